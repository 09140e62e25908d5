//! Per-layer statistics over training: at chosen epochs, a separate forward and backward pass
//! on a fixed probe set observes every layer of a model, never touching its training.

use burn::tensor::{Tensor, TensorData, backend::Backend};
use serde::{Deserialize, Serialize};

use super::{
    article::{DecisionGrid, arange},
    layer_stats::{
        Histogram, dead_fraction, distance_preservation, distance_to_segments, distribution, histogram, mean_derivative, norm,
        pairwise_distances, saturation, zero_fraction, correlation,
    },
    probe::{ForwardTrace, std},
};
use crate::{
    data::Dataset,
    learner::{FusedEnsemble, OptimizerSpec},
    model::Mlp,
};

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
        Self { enabled: true, every: 10, set: test_set(), saturation_eps: 0.05, bins: 30, hist_range: 6.0 }
    }
}

impl ProbeConfig {
    pub fn is_probe_epoch(&self, epoch: usize, last: usize) -> bool {
        self.enabled && (epoch == 0 || epoch == last || (self.every > 0 && epoch % self.every == 0))
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
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProbeLog {
    pub rows: Vec<StatRow>,
    pub histograms: Vec<HistogramRecord>,
}

/// Probes members `(k, variant name)` of `model` on `data` at `epoch`; `boundary` adds the
/// decision-boundary geometry (a denser computation, done at the first and last probe).
pub fn probe<B: Backend>(
    model: &Mlp<B>,
    members: &[(usize, String)],
    data: &Dataset,
    epoch: usize,
    config: &ProbeConfig,
    boundary: bool,
    device: &B::Device,
    log: &mut ProbeLog,
) {
    let k_all = model.members();
    let points: Vec<f64> = (0..k_all).flat_map(|_| data.x.iter().flat_map(|p| *p)).collect();
    let x = Tensor::<B, 3>::from_data(TensorData::new(points, [k_all, data.len(), 2]), device);
    let trace = ForwardTrace::record(model, x);
    let host = FusedEnsemble::from_mlp(model, OptimizerSpec::sgd(), 1);
    let input: Vec<f64> = data.x.iter().flat_map(|p| *p).collect();
    let input_distances = pairwise_distances(&input, 2);
    let r = config.hist_range;

    for (k, variant) in members {
        let activation = model.activations[*k];
        let grads = host.probe(*k, data);
        let mut row = |layer: usize, tensor: &str, statistic: &str, value: f64| {
            log.rows.push(StatRow { variant: variant.clone(), epoch, layer, tensor: tensor.into(), statistic: statistic.into(), value });
        };
        let mut hist = |layer: usize, tensor: &str, histogram: Histogram| {
            log.histograms.push(HistogramRecord { variant: variant.clone(), epoch, layer, tensor: tensor.into(), histogram });
        };
        let layers = trace.z.len() + 1;
        for l in 0..layers {
            let layer = l + 1;
            let z = if l + 1 < layers { trace.z[l].member(*k) } else { trace.logit.as_ref().expect("recorded").member(*k) };
            let d = distribution(z);
            for (name, v) in [("mean", d.mean), ("std", d.std), ("mean_abs", d.mean_abs), ("min", d.min), ("max", d.max), ("p2", d.p2), ("p50", d.p50), ("p98", d.p98)] {
                row(layer, "z", name, v);
            }
            hist(layer, "z", histogram(z, -r, r, config.bins));
            if l + 1 < layers {
                let a = trace.a[l].member(*k);
                let width = trace.a[l].dims[2];
                let d = distribution(a);
                for (name, v) in [("mean", d.mean), ("std", d.std), ("mean_abs", d.mean_abs), ("min", d.min), ("max", d.max), ("p2", d.p2), ("p50", d.p50), ("p98", d.p98)] {
                    row(layer, "a", name, v);
                }
                let (lo, hi) = activation.bounds().unwrap_or(if activation.can_die() { (0.0, r) } else { (-r, r) });
                hist(layer, "a", histogram(a, lo, hi, config.bins));
                row(layer, "a", "mean_derivative", mean_derivative(activation, z, a));
                if let Some(bounds) = activation.bounds() {
                    row(layer, "a", "saturated_fraction", saturation(a, bounds, config.saturation_eps));
                }
                if activation.can_die() {
                    row(layer, "a", "zero_fraction", zero_fraction(a));
                    row(layer, "a", "dead_units", dead_fraction(a, width));
                }
                row(layer, "geometry", "distance_preservation", distance_preservation(&input_distances, a, width));
            }
            row(layer, "dz", "norm", norm(&grads.dz[l]));
            row(layer, "dz", "std", std(&grads.dz[l]));
            row(layer, "dw", "norm", norm(&grads.grad_w[l]));
            row(layer, "dw", "std", std(&grads.grad_w[l]));
        }
        if boundary {
            let logit = trace.logit.as_ref().expect("recorded").member(*k).to_vec();
            if let Some((corr, slope)) = logit_geometry(model, *k, data, &logit, device) {
                row(layers, "geometry", "logit_distance_correlation", corr);
                row(layers, "geometry", "logit_per_unit_distance", slope);
            }
        }
    }
}

/// Correlation between `|logit|` and each probe point's distance to the 0.5 boundary, and the
/// least-squares slope of `|logit|` on that distance.
fn logit_geometry<B: Backend>(model: &Mlp<B>, k: usize, data: &Dataset, logit: &[f64], device: &B::Device) -> Option<(f64, f64)> {
    let span = |axis: usize| {
        let (lo, hi) = data.x.iter().map(|p| p[axis]).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        arange(lo - 0.5, hi + 0.5, 0.05)
    };
    let (xs, ys) = (span(0), span(1));
    let grid_points: Vec<f64> = ys.iter().flat_map(|&y| xs.iter().flat_map(move |&x| [x, y])).collect();
    let n = grid_points.len() / 2;
    let k_all = model.members();
    let values: Vec<f64> = (0..k_all).flat_map(|_| grid_points.iter().copied()).collect();
    let prob = crate::learner::to_host(model.predict(Tensor::from_data(TensorData::new(values, [k_all, n, 2]), device)));
    let grid = DecisionGrid { xs, ys, prob: prob[k * n..(k + 1) * n].to_vec() };
    let segments = grid.contour(0.5);
    if segments.is_empty() {
        return None;
    }
    let distance: Vec<f64> = data.x.iter().map(|p| distance_to_segments(*p, &segments)).collect();
    let magnitude: Vec<f64> = logit.iter().map(|z| z.abs()).collect();
    let slope = distance.iter().zip(&magnitude).map(|(d, m)| d * m).sum::<f64>() / distance.iter().map(|d| d * d).sum::<f64>();
    Some((correlation(&distance, &magnitude), slope))
}

/// Renders rows as `activations.csv`.
pub fn activations_csv(rows: &[StatRow]) -> String {
    let mut csv = String::from("variant,epoch,layer,tensor,statistic,value\n");
    for r in rows {
        csv.push_str(&format!("{},{},{},{},{},{:?}\n", r.variant, r.epoch, r.layer, r.tensor, r.statistic, r.value));
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
