//! Per-layer statistics over training: at chosen epochs, a separate forward and backward pass
//! on a fixed probe set observes every layer of a copy of the model, never touching training.

use serde::{Deserialize, Serialize};

use super::{
    article::{DecisionGrid, arange},
    layer_stats::{
        Histogram, correlation, dead_fraction, distance_preservation, distance_to_segments,
        distribution, histogram, mean_derivative, norm, pairwise_distances, saturation,
        zero_fraction,
    },
    probe::std,
};
use crate::{data::Dataset, learner::FusedEnsemble};

/// `[probes]`: when and how per-layer statistics are captured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeConfig {
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Probe at epoch 0 (before any update), every `every` epochs, and at the last epoch.
    #[serde(default = "ten")]
    pub every: usize,
    /// `test` or `train`: the fixed probe set.
    #[serde(default = "test_set")]
    pub set: String,
    /// A bounded unit within this distance of a bound counts as saturated.
    #[serde(default = "eps")]
    pub saturation_eps: f64,
    #[serde(default = "thirty")]
    pub bins: usize,
    /// Histograms of unbounded values span `[-hist_range, hist_range]`.
    #[serde(default = "six")]
    pub hist_range: f64,
    /// At most this many points of the set are probed (the first ones): distance preservation
    /// compares every pair, so its cost grows with the square of this number.
    #[serde(default = "five_hundred")]
    pub max_points: usize,
}

fn five_hundred() -> usize {
    500
}

fn yes() -> bool {
    true
}
fn ten() -> usize {
    10
}
fn test_set() -> String {
    "test".into()
}
fn eps() -> f64 {
    0.05
}
fn thirty() -> usize {
    30
}
fn six() -> f64 {
    6.0
}

impl Default for ProbeConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            every: 10,
            set: test_set(),
            saturation_eps: 0.05,
            bins: 30,
            hist_range: 6.0,
            max_points: 500,
        }
    }
}

impl ProbeConfig {
    pub fn is_probe_epoch(&self, epoch: usize, last: usize) -> bool {
        self.enabled
            && (epoch == 0 || epoch == last || (self.every > 0 && epoch.is_multiple_of(self.every)))
    }
}

/// One statistic: a row of `activations.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatRow {
    pub variant: String,
    pub epoch: usize,
    /// 1-based; the last layer is the output unit.
    pub layer: usize,
    /// `z`, `a`, `dz` (gradient of the loss at z), `dw` (weight gradient) or `geometry`.
    pub tensor: String,
    pub statistic: String,
    pub value: f64,
}

/// One histogram of `histograms.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistogramRecord {
    pub variant: String,
    pub epoch: usize,
    pub layer: usize,
    pub tensor: String,
    pub histogram: Histogram,
}

/// What the probes of one run captured.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProbeLog {
    pub rows: Vec<StatRow>,
    pub histograms: Vec<HistogramRecord>,
}

/// Probes members `(k, variant name)` of `host` (a copy of the model's parameters) on `data`
/// at `epoch`; `boundary` adds the decision-boundary geometry (denser: done at the first and
/// last probe).
pub fn probe(
    host: &FusedEnsemble,
    members: &[(usize, String)],
    data: &ProbeSet,
    epoch: usize,
    config: &ProbeConfig,
    boundary: bool,
    log: &mut ProbeLog,
) {
    let (input_distances, data) = (&data.input_distances, &data.data);
    let r = config.hist_range;
    let dims = host.dims().to_vec();
    let layers = dims.len() - 1;

    for (k, variant) in members {
        let activation = host.activation(*k);
        let pass = host.probe(*k, data);
        let mut row = |layer: usize, tensor: &str, statistic: &str, value: f64| {
            log.rows.push(StatRow {
                variant: variant.clone(),
                epoch,
                layer,
                tensor: tensor.into(),
                statistic: statistic.into(),
                value,
            });
        };
        let mut hist = |layer: usize, tensor: &str, histogram: Histogram| {
            log.histograms.push(HistogramRecord {
                variant: variant.clone(),
                epoch,
                layer,
                tensor: tensor.into(),
                histogram,
            });
        };
        for l in 0..layers {
            let layer = l + 1;
            let z = &pass.z[l];
            for (name, v) in distribution(z).named() {
                row(layer, "z", name, v);
            }
            hist(layer, "z", histogram(z, -r, r, config.bins));
            if l + 1 < layers {
                let (a, width) = (&pass.a[l + 1], dims[l + 1]);
                for (name, v) in distribution(a).named() {
                    row(layer, "a", name, v);
                }
                let (lo, hi) = activation.bounds().unwrap_or(if activation.can_die() {
                    (0.0, r)
                } else {
                    (-r, r)
                });
                hist(layer, "a", histogram(a, lo, hi, config.bins));
                row(
                    layer,
                    "a",
                    "mean_derivative",
                    mean_derivative(activation, z, a),
                );
                if let Some(bounds) = activation.bounds() {
                    row(
                        layer,
                        "a",
                        "saturated_fraction",
                        saturation(a, bounds, config.saturation_eps),
                    );
                }
                if activation.can_die() {
                    row(layer, "a", "zero_fraction", zero_fraction(a));
                    row(layer, "a", "dead_units", dead_fraction(a, width));
                }
                row(
                    layer,
                    "geometry",
                    "distance_preservation",
                    distance_preservation(input_distances, a, width),
                );
            }
            row(layer, "dz", "norm", norm(&pass.dz[l]));
            row(layer, "dz", "std", std(&pass.dz[l]));
            row(layer, "dw", "norm", norm(&pass.grad_w[l]));
            row(layer, "dw", "std", std(&pass.grad_w[l]));
        }
        if boundary && let Some((corr, slope)) = logit_geometry(host, *k, data, &pass.z[layers - 1])
        {
            row(layers, "geometry", "logit_distance_correlation", corr);
            row(layers, "geometry", "logit_per_unit_distance", slope);
        }
    }
}

/// The fixed probe set, with the pairwise distances of its points computed once.
pub struct ProbeSet {
    pub data: Dataset,
    pub input_distances: Vec<f64>,
}

impl ProbeSet {
    /// The first `max_points` points of `data`.
    pub fn new(data: &Dataset, max_points: usize) -> Self {
        let data = data.select(&(0..data.len().min(max_points)).collect::<Vec<_>>());
        let input: Vec<f64> = data.x.iter().flat_map(|p| *p).collect();
        Self {
            input_distances: pairwise_distances(&input, 2),
            data,
        }
    }
}

/// Correlation between `|logit|` and each probe point's distance to the 0.5 boundary, and the
/// least-squares slope of `|logit|` on that distance.
fn logit_geometry(
    host: &FusedEnsemble,
    k: usize,
    data: &Dataset,
    logit: &[f64],
) -> Option<(f64, f64)> {
    let span = |axis: usize| {
        let (lo, hi) = data
            .x
            .iter()
            .map(|p| p[axis])
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        arange(lo - 0.5, hi + 0.5, 0.1)
    };
    let (xs, ys) = (span(0), span(1));
    let points: Vec<[f64; 2]> = ys
        .iter()
        .flat_map(|&y| xs.iter().map(move |&x| [x, y]))
        .collect();
    let grid_set = Dataset {
        y: vec![0; points.len()],
        x: points,
    };
    let logits = host.probe(k, &grid_set).z.pop()?;
    let prob = logits
        .iter()
        .map(|&z| crate::model::activation::sigmoid_value(z))
        .collect();
    let segments = DecisionGrid { xs, ys, prob }.contour(0.5);
    if segments.is_empty() {
        return None;
    }
    let distance: Vec<f64> = data
        .x
        .iter()
        .map(|p| distance_to_segments(*p, &segments))
        .collect();
    let magnitude: Vec<f64> = logit.iter().map(|z| z.abs()).collect();
    let slope = distance
        .iter()
        .zip(&magnitude)
        .map(|(d, m)| d * m)
        .sum::<f64>()
        / distance.iter().map(|d| d * d).sum::<f64>();
    Some((correlation(&distance, &magnitude), slope))
}

/// Renders rows as `activations.csv`.
pub fn activations_csv(rows: &[StatRow]) -> String {
    let mut csv = String::from("variant,epoch,layer,tensor,statistic,value\n");
    for r in rows {
        csv.push_str(&format!(
            "{},{},{},{},{},{:?}\n",
            r.variant, r.epoch, r.layer, r.tensor, r.statistic, r.value
        ));
    }
    csv
}

/// Parses `activations.csv`.
pub fn parse_activations_csv(text: &str) -> Result<Vec<StatRow>, String> {
    let mut lines = text.lines();
    if lines.next() != Some("variant,epoch,layer,tensor,statistic,value") {
        return Err("expected the header `variant,epoch,layer,tensor,statistic,value`".into());
    }
    lines
        .enumerate()
        .map(|(i, line)| {
            let f: Vec<&str> = line.split(',').collect();
            let bad = || format!("line {}: `{line}`", i + 2);
            if f.len() != 6 {
                return Err(bad());
            }
            Ok(StatRow {
                variant: f[0].into(),
                epoch: f[1].parse().map_err(|_| bad())?,
                layer: f[2].parse().map_err(|_| bad())?,
                tensor: f[3].into(),
                statistic: f[4].into(),
                value: f[5].parse().map_err(|_| bad())?,
            })
        })
        .collect()
}
