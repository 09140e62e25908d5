//! Memory a run will need, estimated before anything is computed, and refused with the
//! estimate and the limit when it would not fit: a clear error instead of the out-of-memory
//! killer.
//!
//! The limit is the memory the system reports available (`MemAvailable` in `/proc/meminfo`),
//! or `ACTLAB_MEMORY_LIMIT` (bytes, or with a `K`, `M`, `G` or `T` suffix) when set. The
//! estimates are upper bounds of the large allocations: the data sets, the recorded metrics
//! and probe statistics, the decision grid and the probe set's pairwise distances.

use crate::{analysis::article, config::Plan, data::Split, learner::chunk_rows};

/// Bytes per stored float.
const F64: f64 = 8.0;
/// Bytes a recorded epoch of one member costs in memory (history, metric row, summary curve).
const PER_MEMBER_EPOCH: f64 = 200.0;
/// Bytes a probed statistic costs (its row and its share of histograms).
const PER_STATISTIC: f64 = 400.0;

#[derive(Debug, thiserror::Error)]
pub enum BudgetError {
    #[error(
        "this run would need about {need} of memory ({parts}), more than the {limit} available ({source_of_limit}); {advice}"
    )]
    TooLarge {
        need: String,
        parts: String,
        limit: String,
        source_of_limit: String,
        advice: String,
    },
    #[error(
        "the decision grid would hold {points:.3e} points over the test data's range (x {x:?}, y {y:?}) at step {step} with margin {margin}; at most {max}: increase `analysis.grid_step`, lower `analysis.grid_margin`, or standardize the data"
    )]
    Grid {
        points: f64,
        x: [f64; 2],
        y: [f64; 2],
        step: f64,
        margin: f64,
        max: usize,
    },
}

/// `bytes` in a unit a reader takes in at a glance.
pub fn human(bytes: f64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value.is_finite() {
        format!("{value:.1} {}", units[unit])
    } else {
        "an unbounded amount".into()
    }
}

/// The memory limit in bytes and where it comes from.
pub fn limit() -> (f64, String) {
    if let Ok(text) = std::env::var("ACTLAB_MEMORY_LIMIT")
        && let Some(bytes) = parse_bytes(&text)
    {
        return (bytes, "ACTLAB_MEMORY_LIMIT".into());
    }
    let available = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        });
    match available {
        Some(kib) => (
            kib * 1024.0,
            "MemAvailable; set ACTLAB_MEMORY_LIMIT to change the limit".into(),
        ),
        None => (
            8.0 * 1024f64.powi(3),
            "a default of 8 GiB; set ACTLAB_MEMORY_LIMIT to change it".into(),
        ),
    }
}

fn parse_bytes(text: &str) -> Option<f64> {
    let text = text.trim();
    let (number, scale) = match text.chars().last()? {
        'K' | 'k' => (&text[..text.len() - 1], 1024f64),
        'M' | 'm' => (&text[..text.len() - 1], 1024f64.powi(2)),
        'G' | 'g' => (&text[..text.len() - 1], 1024f64.powi(3)),
        'T' | 't' => (&text[..text.len() - 1], 1024f64.powi(4)),
        _ => (text, 1.0),
    };
    number.trim().parse::<f64>().ok().map(|n| n * scale)
}

/// Named estimates in bytes.
struct Estimate(Vec<(&'static str, f64)>);

impl Estimate {
    fn check(self, advice: &str) -> Result<(), BudgetError> {
        let need: f64 = self.0.iter().map(|(_, b)| b).sum();
        let (limit, source_of_limit) = limit();
        if need <= limit {
            return Ok(());
        }
        let mut parts: Vec<&(&str, f64)> = self.0.iter().filter(|(_, b)| *b > 0.0).collect();
        parts.sort_by(|a, b| b.1.total_cmp(&a.1));
        Err(BudgetError::TooLarge {
            need: human(need),
            parts: parts
                .iter()
                .map(|(what, b)| format!("{what} {}", human(*b)))
                .collect::<Vec<_>>()
                .join(", "),
            limit: human(limit),
            source_of_limit,
            advice: advice.into(),
        })
    }
}

/// Checks what can be estimated from the plan alone, before the data is built.
pub fn check_plan(plan: &Plan) -> Result<(), BudgetError> {
    let e = &plan.experiment;
    let programs = if e.train.vary_data_seed {
        e.train.seeds
    } else {
        1
    } as f64;
    let features = plan.architecture.features() as f64;
    let samples = e.data.n_samples as f64;
    let members = (e.train.seeds * plan.variants.len()) as f64;
    let epochs = e.train.epochs as f64;
    let layers = (plan.architecture.hidden.len() + plan.architecture.conv.len() + 1) as f64;
    let probe_epochs = if e.probes.enabled {
        (if e.probes.every > 0 {
            epochs / e.probes.every as f64
        } else {
            0.0
        }) + 2.0
    } else {
        0.0
    };
    let probe_points = e.probes.max_points.min(e.data.n_samples) as f64;
    Estimate(vec![
        // generated, standardized, and split into copies: three times the data per program.
        ("data", programs * samples * (features + 1.0) * F64 * 3.0),
        ("recorded metrics", members * epochs * PER_MEMBER_EPOCH),
        (
            "probe statistics",
            probe_epochs * plan.variants.len() as f64 * layers * 40.0 * PER_STATISTIC,
        ),
        ("probe distances", probe_points * probe_points * F64),
    ])
    .check(
        "reduce data.n_samples, train.epochs, train.seeds, or probes.max_points, or probe less often (probes.every)",
    )
}

/// Checks what depends on the data: the decision grid over its range, and evaluation chunks.
pub fn check_data(plan: &Plan, split: &Split) -> Result<(), BudgetError> {
    let analysis = &plan.experiment.analysis;
    let widest = plan
        .architecture
        .hidden
        .iter()
        .copied()
        .max()
        .unwrap_or(1)
        .max(split.features()) as f64;
    let mut parts = Vec::new();
    if analysis.decision_grid && split.is_planar() && plan.architecture.outputs == 1 {
        let points = article::grid_size(&split.test, analysis);
        if !(points <= article::MAX_GRID_POINTS as f64) {
            let range = |axis: usize| {
                split
                    .test
                    .points()
                    .map(|p| p[axis])
                    .fold([f64::INFINITY, f64::NEG_INFINITY], |[lo, hi], v| {
                        [lo.min(v), hi.max(v)]
                    })
            };
            return Err(BudgetError::Grid {
                points,
                x: range(0),
                y: range(1),
                step: analysis.grid_step,
                margin: analysis.grid_margin,
                max: article::MAX_GRID_POINTS,
            });
        }
        parts.push(("decision grid", points * (3.0 + 3.0 * widest) * F64));
    }
    let members = (plan.experiment.train.seeds * plan.variants.len()).max(1);
    let chunk = chunk_rows(members, widest as usize) as f64;
    parts.push((
        "evaluation chunks",
        chunk * members as f64 * widest * F64 * 4.0,
    ));
    Estimate(parts).check("reduce the model's width or the number of seeds")
}
