//! The files of a run folder: their types, how they are written, and how they are read back.

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
};

use burn::tensor::backend::AutodiffBackend;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::{Program, RunError, Trained};
use crate::{
    analysis::stats::Stat,
    analysis::{
        ArticleAnalysis,
        training::{HistogramRecord, StatRow, parse_activations_csv},
    },
    backend::BackendInfo,
    config::{Experiment, Plan, PlannedVariant, parse_experiment},
    learner::{Engine, EpochMetrics, History},
};

/// `summary.json`: the stable, machine-readable result of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub experiment: String,
    pub run_id: String,
    pub actlab_version: String,
    pub backend: BackendInfo,
    /// How training steps were computed.
    pub engine: Engine,
    /// The `--set key=value` overrides applied to the experiment file.
    pub overrides: Vec<String>,
    /// Whole training loop including per-epoch evaluation.
    pub wall_seconds: f64,
    /// Time in training steps; all variants train together as one ensemble program.
    pub train_seconds: f64,
    pub variants: Vec<VariantSummary>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariantSummary {
    pub name: String,
    pub activation: String,
    pub init: String,
    pub hidden: Vec<usize>,
    /// The first seed; every seed is listed in `seeds`.
    pub seed: u32,
    pub epochs_completed: usize,
    /// True when every seed diverged.
    pub diverged: bool,
    /// With one seed: the epoch whose loss was not finite or too large, if any.
    pub diverged_at_epoch: Option<usize>,
    /// Per epoch: the seed's loss, or with several seeds the mean over those that did not
    /// diverge (finite values only).
    pub train_loss: Vec<f64>,
    pub test_loss: Vec<f64>,
    /// After the last epoch (mean over non-diverged seeds); `null` if every seed diverged.
    pub train_accuracy: Option<f64>,
    pub test_accuracy: Option<f64>,
    /// Std of each hidden layer's test-set activations (first non-diverged seed).
    pub hidden_std: Vec<f64>,
    /// Per trace sample, `[mean|z1|, mean|a1|, ..., |z_out|]` (first non-diverged seed).
    pub signal_trace: Vec<Vec<f64>>,
    /// Training-step time of the run's programs together.
    pub train_seconds: f64,
    /// Every seed's outcome.
    pub seeds: Vec<SeedResult>,
    /// Statistics over the seeds that did not diverge.
    pub stats: SeedStats,
}

/// One seed of a variant, as trained.
#[derive(Clone, Copy)]
pub struct SeedRun<'a> {
    pub seed: u32,
    pub data_seed: u32,
    pub history: &'a History,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedResult {
    pub seed: u32,
    pub data_seed: u32,
    pub diverged_at_epoch: Option<usize>,
    pub final_train_loss: Option<f64>,
    pub train_accuracy: Option<f64>,
    pub test_accuracy: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedStats {
    pub runs: usize,
    pub diverged: usize,
    pub final_train_loss: Option<Stat>,
    pub train_accuracy: Option<Stat>,
    pub test_accuracy: Option<Stat>,
}

/// Per-epoch mean of `metric` over the histories (epochs where all have a finite value).
fn mean_curve(histories: &[&History], metric: impl Fn(&EpochMetrics) -> f64) -> Vec<f64> {
    let epochs = histories.iter().map(|h| h.epochs.len()).min().unwrap_or(0);
    (0..epochs)
        .map(|e| {
            histories.iter().map(|h| metric(&h.epochs[e])).sum::<f64>() / histories.len() as f64
        })
        .take_while(|v| v.is_finite())
        .collect()
}

impl VariantSummary {
    pub fn new(
        variant: &PlannedVariant,
        seeds: &[SeedRun],
        analysis: Option<&ArticleAnalysis>,
        train_seconds: f64,
    ) -> Self {
        let results: Vec<SeedResult> = seeds
            .iter()
            .map(|s| {
                let last = s.history.last().filter(|_| s.history.is_active());
                SeedResult {
                    seed: s.seed,
                    data_seed: s.data_seed,
                    diverged_at_epoch: s.history.diverged_at,
                    final_train_loss: last.map(|m| m.train_loss),
                    train_accuracy: last.map(|m| m.train_accuracy),
                    test_accuracy: last.map(|m| m.test_accuracy),
                }
            })
            .collect();
        let of = |f: fn(&SeedResult) -> Option<f64>| {
            Stat::of(&results.iter().filter_map(f).collect::<Vec<_>>())
        };
        let stats = SeedStats {
            runs: results.len(),
            diverged: results
                .iter()
                .filter(|r| r.diverged_at_epoch.is_some())
                .count(),
            final_train_loss: of(|r| r.final_train_loss),
            train_accuracy: of(|r| r.train_accuracy),
            test_accuracy: of(|r| r.test_accuracy),
        };
        let active: Vec<&History> = seeds
            .iter()
            .map(|s| s.history)
            .filter(|h| h.is_active())
            .collect();
        let (train_loss, test_loss, epochs_completed) = match seeds {
            [only] => {
                let finite: Vec<_> = only
                    .history
                    .epochs
                    .iter()
                    .filter(|m| m.train_loss.is_finite())
                    .collect();
                (
                    finite.iter().map(|m| m.train_loss).collect(),
                    finite.iter().map(|m| m.test_loss).collect(),
                    finite.len(),
                )
            }
            _ => {
                let curve = mean_curve(&active, |m| m.train_loss);
                let n = curve.len();
                (curve, mean_curve(&active, |m| m.test_loss), n)
            }
        };
        Self {
            name: variant.name.clone(),
            activation: variant.mlp.activation.to_string(),
            init: variant.mlp.init.to_string(),
            hidden: variant.mlp.hidden.clone(),
            seed: seeds.first().map_or(0, |s| s.seed),
            epochs_completed,
            diverged: active.is_empty(),
            diverged_at_epoch: if seeds.len() == 1 {
                seeds[0].history.diverged_at
            } else {
                None
            },
            train_loss,
            test_loss,
            train_accuracy: stats.train_accuracy.map(|s| s.mean),
            test_accuracy: stats.test_accuracy.map(|s| s.mean),
            hidden_std: analysis.map(|a| a.hidden_std.clone()).unwrap_or_default(),
            signal_trace: analysis.map(|a| a.signal_trace.clone()).unwrap_or_default(),
            train_seconds,
            seeds: results,
            stats,
        }
    }
}

/// One variant's entry in `analysis.json`; `None` if it diverged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnalysisRecord {
    pub variant: String,
    pub analysis: Option<ArticleAnalysis>,
}

/// One row of `metrics.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricRow {
    pub variant: String,
    pub seed: u32,
    pub data_seed: u32,
    pub epoch: usize,
    pub train_loss: f64,
    pub train_accuracy: f64,
    pub test_loss: f64,
    pub test_accuracy: f64,
}

pub const METRICS_HEADER: &str =
    "variant,seed,epoch,train_loss,train_accuracy,test_loss,test_accuracy";

pub fn write_text(path: &Path, contents: &str) -> Result<(), RunError> {
    write_file(path, contents)
}

fn write_file(path: &Path, contents: &str) -> Result<(), RunError> {
    std::fs::write(path, contents).map_err(|source| RunError::Write {
        path: path.into(),
        source,
    })
}

pub fn write_json(path: &Path, value: &impl Serialize) -> Result<(), RunError> {
    let text = serde_json::to_string_pretty(value).expect("run records serialise");
    write_file(path, &(text + "\n"))
}

/// `config.toml`: the experiment exactly as run, overrides applied.
pub fn write_config(dir: &Path, experiment: &Experiment) -> Result<(), RunError> {
    let text = toml::to_string_pretty(experiment).expect("an experiment serialises to TOML");
    write_file(
        &dir.join("config.toml"),
        &format!("# The experiment as run, with every override applied.\n{text}"),
    )
}

/// `metrics.csv`: one row per variant, seed and epoch; values printed to round-trip exactly.
pub fn write_metrics<B: AutodiffBackend>(
    dir: &Path,
    plan: &Plan,
    programs: &[Program],
    trained: &[Trained<B>],
) -> Result<(), RunError> {
    let mut csv = format!("{METRICS_HEADER}\n");
    for v in 0..plan.variants.len() {
        for (program, t) in programs.iter().zip(trained) {
            for k in t.members_of(v) {
                let (name, seed) = (&plan.variants[v].name, t.members[k].seed);
                for m in &t.histories[k].epochs {
                    writeln!(
                        csv,
                        "{name},{seed},{},{},{:?},{:?},{:?},{:?}",
                        program.data_seed,
                        m.epoch,
                        m.train_loss,
                        m.train_accuracy,
                        m.test_loss,
                        m.test_accuracy
                    )
                    .expect("writing to a String");
                }
            }
        }
    }
    write_file(&dir.join("metrics.csv"), &csv)
}

/// `metrics.csv` for one program's members and histories.
pub fn write_metrics_rows(
    dir: &Path,
    plan: &Plan,
    data_seed: u32,
    members: &[super::Member],
    histories: &[History],
) -> Result<(), RunError> {
    let mut csv = format!("{METRICS_HEADER}\n");
    for (member, history) in members.iter().zip(histories) {
        let name = &plan.variants[member.variant].name;
        for m in &history.epochs {
            writeln!(
                csv,
                "{name},{},{data_seed},{},{:?},{:?},{:?},{:?}",
                member.seed, m.epoch, m.train_loss, m.train_accuracy, m.test_loss, m.test_accuracy
            )
            .expect("writing to a String");
        }
    }
    write_file(&dir.join("metrics.csv"), &csv)
}

/// Everything a run folder holds, read back from disk.
pub struct RunRecord {
    pub dir: PathBuf,
    pub experiment: Experiment,
    pub summary: Summary,
    pub analyses: Vec<AnalysisRecord>,
    pub metrics: Vec<MetricRow>,
    /// `activations.csv` and `histograms.json`, when the run was probed.
    pub layer_stats: Vec<StatRow>,
    pub histograms: Vec<HistogramRecord>,
}

fn read_text(path: &Path) -> Result<String, RunError> {
    std::fs::read_to_string(path).map_err(|e| RunError::Read {
        path: path.into(),
        message: e.to_string(),
    })
}

fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, RunError> {
    serde_json::from_str(&read_text(path)?).map_err(|e| RunError::Read {
        path: path.into(),
        message: e.to_string(),
    })
}

fn parse_metrics(path: &Path, text: &str) -> Result<Vec<MetricRow>, RunError> {
    let bad = |line: usize, what: &str| RunError::Read {
        path: path.into(),
        message: format!("line {line}: {what}"),
    };
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, header)) if header == METRICS_HEADER => {}
        _ => return Err(bad(1, &format!("expected the header `{METRICS_HEADER}`"))),
    }
    lines
        .map(|(i, line)| {
            let f: Vec<&str> = line.split(',').collect();
            if f.len() != 8 {
                return Err(bad(i + 1, "expected 8 comma-separated fields"));
            }
            let num = |s: &str| {
                s.parse::<f64>()
                    .map_err(|_| bad(i + 1, &format!("`{s}` is not a number")))
            };
            Ok(MetricRow {
                variant: f[0].to_string(),
                seed: f[1].parse().map_err(|_| bad(i + 1, "bad seed"))?,
                data_seed: f[2].parse().map_err(|_| bad(i + 1, "bad data seed"))?,
                epoch: f[3].parse().map_err(|_| bad(i + 1, "bad epoch"))?,
                train_loss: num(f[4])?,
                train_accuracy: num(f[5])?,
                test_loss: num(f[6])?,
                test_accuracy: num(f[7])?,
            })
        })
        .collect()
}

impl RunRecord {
    pub fn load(dir: &Path) -> Result<Self, RunError> {
        if !super::is_run_folder(dir) {
            return Err(RunError::Read {
                path: dir.into(),
                message: "not a run folder (expected summary.json and config.toml inside)".into(),
            });
        }
        let config_path = dir.join("config.toml");
        let experiment = parse_experiment(
            &read_text(&config_path)?,
            &config_path.display().to_string(),
            &[],
        )
        .map_err(|e| RunError::Read {
            path: config_path.clone(),
            message: e.to_string(),
        })?;
        let metrics_path = dir.join("metrics.csv");
        Ok(Self {
            dir: dir.into(),
            experiment,
            summary: read_json(&dir.join("summary.json"))?,
            analyses: read_json(&dir.join("analysis.json"))?,
            metrics: parse_metrics(&metrics_path, &read_text(&metrics_path)?)?,
            layer_stats: match dir.join("activations.csv") {
                p if p.is_file() => parse_activations_csv(&read_text(&p)?)
                    .map_err(|message| RunError::Read { path: p, message })?,
                _ => Vec::new(),
            },
            histograms: match dir.join("histograms.json") {
                p if p.is_file() => read_json(&p)?,
                _ => Vec::new(),
            },
        })
    }

    /// The metric rows of one variant, in epoch order.
    pub fn variant_metrics(&self, variant: &str) -> Vec<&MetricRow> {
        self.metrics
            .iter()
            .filter(|m| m.variant == variant)
            .collect()
    }
}
