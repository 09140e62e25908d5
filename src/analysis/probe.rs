//! Per-layer statistics over training, taken on the Burn forward pass of the model being
//! trained, on its backend and in its precision.
//!
//! At chosen epochs a probe runs a separate forward and backward pass of each probed member on
//! a fixed probe set. Each layer's `z` continues the pass as `z + 0`, the zero a tensor that
//! autodiff tracks, so that the backward pass yields `dL/dz` at every layer; the weight
//! gradients come from the same backward pass. The loss gradient is training's own (the mean
//! loss over the probe set). Nothing is written back: parameters, running statistics and the
//! training's random streams are untouched, so training is bit-identical with probes on or off.

use burn::{
    module::AutodiffModule,
    tensor::{
        Tensor, TensorData,
        backend::{AutodiffBackend, Backend},
    },
};
use serde::{Deserialize, Serialize};

use super::{
    article::{DecisionGrid, arange},
    layer_stats::{
        Histogram, correlation, dead_fraction, distance_preservation, distance_to_segments,
        distribution, histogram, mean_derivative, norm, pairwise_distances, saturation,
        zero_fraction,
    },
    trace::std,
};
use crate::{
    config::ProbeConfig,
    data::Dataset,
    learner::{Objective, gather, to_host},
    model::{Family, LayerObserver, Mode, Nonlinearity, select},
};

/// One statistic: a row of `activations.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatRow {
    pub variant: String,
    pub epoch: usize,
    /// 1-based; the last layer is the output.
    pub layer: usize,
    /// The layer's name (`hidden1`, `block3`, `conv2`, `output`).
    pub name: String,
    /// `z`, `a`, `dz` (gradient of the loss at z), `dw` (weight gradient) or `geometry`.
    pub tensor: String,
    pub statistic: String,
    /// NaN where the network diverged (written as `null` in JSON).
    #[serde(deserialize_with = "nan_if_null")]
    pub value: f64,
}

/// A number written as `null` (serde_json writes NaN and the infinities so) read back as NaN:
/// a diverged run's records must read back.
pub fn nan_if_null<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::NAN))
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

/// The fixed probe set, with the pairwise distances of its points computed once.
pub struct ProbeSet {
    pub data: Dataset,
    pub input_distances: Vec<f64>,
    /// Whether the decision-boundary geometry applies (points in the plane, one output).
    pub planar: bool,
}

impl ProbeSet {
    /// The first `max_points` samples of `data`.
    pub fn new(data: &Dataset, max_points: usize, outputs: usize) -> Self {
        let data = data.select(&(0..data.len().min(max_points)).collect::<Vec<_>>());
        Self {
            input_distances: pairwise_distances(&data.dense(), data.features),
            planar: data.features == 2 && outputs == 1,
            data,
        }
    }
}

/// Every layer's values on the probe set, from one forward and backward pass, on the host.
#[derive(Clone, Debug, Default)]
pub struct Pass {
    /// Per observed layer, then the output logits for `z` and `dz`.
    pub z: Vec<Vec<f64>>,
    /// Per observed layer.
    pub a: Vec<Vec<f64>>,
    pub dz: Vec<Vec<f64>>,
    /// Per observed layer, then the output layer.
    pub dw: Vec<Vec<f64>>,
}

/// Adds an autodiff-tracked zero to each `z`, keeping the zeros to read `dL/dz` afterwards.
struct Taps<B: AutodiffBackend> {
    taps: Vec<Tensor<B, 3>>,
    z: Vec<Tensor<B::InnerBackend, 3>>,
    a: Vec<Tensor<B::InnerBackend, 3>>,
}

impl<B: AutodiffBackend> LayerObserver<B> for Taps<B> {
    fn pre_activation(&mut self, _layer: usize, z: Tensor<B, 3>) -> Tensor<B, 3> {
        let tap = Tensor::zeros(z.dims(), &z.device()).require_grad();
        self.taps.push(tap.clone());
        self.z.push(z.clone().inner());
        z + tap
    }

    fn activation(&mut self, _layer: usize, a: &Tensor<B, 3>) {
        self.a.push(a.clone().inner());
    }
}

/// The probe set's inputs and targets for one member, on `device`.
fn tensors<B: Backend>(
    data: &Dataset,
    outputs: usize,
    device: &B::Device,
) -> (Tensor<B, 3>, Tensor<B, 3>) {
    let all: Vec<usize> = (0..data.len()).collect();
    let (x, y) = gather::<B::FloatElem>(&[data], &[all.as_slice()], outputs);
    (Tensor::from_data(x, device), Tensor::from_data(y, device))
}

/// One member's (`K = 1`) forward and backward pass on `data`, in training mode (batch
/// statistics of the probe set; running statistics untouched).
pub fn pass<B: AutodiffBackend, M: Family<B>>(
    member: &M,
    data: &Dataset,
    outputs: usize,
    device: &B::Device,
) -> Pass {
    let (x, y) = tensors::<B>(data, outputs, device);
    let y: Tensor<B::InnerBackend, 3> = y.inner();
    let mut taps = Taps {
        taps: Vec::new(),
        z: Vec::new(),
        a: Vec::new(),
    };
    let logits = member.forward_observed(x, Mode::Train, &mut taps); // [1, n, C]
    let inner = logits.clone().inner();
    let gradient = Objective::for_outputs(outputs).logit_gradient(inner.clone(), y); // [1, n, C]
    let grads = (logits * Tensor::from_inner(gradient.clone()))
        .sum()
        .backward();
    let mut z: Vec<Vec<f64>> = taps.z.into_iter().map(to_host).collect();
    z.push(to_host(inner));
    let mut dz: Vec<Vec<f64>> = taps
        .taps
        .iter()
        .map(|t| t.grad(&grads).map(to_host).unwrap_or_default())
        .collect();
    dz.push(to_host(gradient));
    Pass {
        z,
        a: taps.a.into_iter().map(to_host).collect(),
        dz,
        dw: member
            .weight_gradients(&grads)
            .into_iter()
            .map(|g| g.map(to_host).unwrap_or_default())
            .collect(),
    }
}

/// What a probe observes and how: the set, the statistics' settings, and the data's outputs.
pub struct Probe<'a> {
    pub set: &'a ProbeSet,
    pub config: &'a ProbeConfig,
    pub outputs: usize,
}

impl Probe<'_> {
    /// Probes members `(k, variant name)` of `model` at `epoch` into `log`; `boundary` adds
    /// the decision-boundary geometry (denser: done at the first and last probe).
    pub fn observe<B, M>(
        &self,
        model: &M,
        members: &[(usize, String)],
        epoch: usize,
        boundary: bool,
        log: &mut ProbeLog,
        device: &B::Device,
    ) where
        B: AutodiffBackend,
        M: Family<B, Unit = Nonlinearity> + AutodiffModule<B>,
        M::InnerModule: Family<B::InnerBackend>,
    {
        for (k, variant) in members {
            let member = select(model, *k..*k + 1);
            let pass = pass::<B, M>(&member, &self.set.data, self.outputs, device);
            let names: Vec<String> = member.layers().into_iter().map(|l| l.name).collect();
            let mut rows = Rows {
                variant,
                epoch,
                names: &names,
                log: &mut *log,
            };
            self.layer_rows(&mut rows, &pass, model.activations()[*k]);
            if boundary && self.set.planar {
                let data = &self.set.data;
                let inner = member.valid();
                let logits = member_logits(&inner, &data.dense(), data.features, device);
                if let Some((corr, slope)) = logit_geometry(&inner, &self.set.data, &logits, device)
                {
                    let output = names.len() + 1;
                    rows.row(output, "geometry", "logit_distance_correlation", corr);
                    rows.row(output, "geometry", "logit_per_unit_distance", slope);
                }
            }
        }
    }

    fn layer_rows(&self, rows: &mut Rows, pass: &Pass, activation: Nonlinearity) {
        let r = self.config.hist_range;
        let hidden = pass.a.len();
        for l in 0..=hidden {
            let layer = l + 1;
            let z = &pass.z[l];
            for (name, v) in distribution(z).named() {
                rows.row(layer, "z", name, v);
            }
            rows.histogram(layer, "z", histogram(z, -r, r, self.config.bins));
            if l < hidden {
                let a = &pass.a[l];
                let width = a.len() / self.set.data.len().max(1);
                for (name, v) in distribution(a).named() {
                    rows.row(layer, "a", name, v);
                }
                let (lo, hi) = activation.bounds().unwrap_or(if activation.can_die() {
                    (0.0, r)
                } else {
                    (-r, r)
                });
                rows.histogram(layer, "a", histogram(a, lo, hi, self.config.bins));
                rows.row(
                    layer,
                    "a",
                    "mean_derivative",
                    mean_derivative(activation, z, a),
                );
                if let Some(bounds) = activation.bounds() {
                    let fraction = saturation(a, bounds, self.config.saturation_eps);
                    rows.row(layer, "a", "saturated_fraction", fraction);
                }
                if activation.can_die() {
                    rows.row(layer, "a", "zero_fraction", zero_fraction(a));
                    rows.row(layer, "a", "dead_units", dead_fraction(a, width));
                }
                let preserved = distance_preservation(&self.set.input_distances, a, width);
                rows.row(layer, "geometry", "distance_preservation", preserved);
            }
            rows.row(layer, "dz", "norm", norm(&pass.dz[l]));
            rows.row(layer, "dz", "std", std(&pass.dz[l]));
            if let Some(dw) = pass.dw.get(l).filter(|g| !g.is_empty()) {
                rows.row(layer, "dw", "norm", norm(dw));
                rows.row(layer, "dw", "std", std(dw));
            }
        }
    }
}

/// Writes one member's rows and histograms at one epoch.
struct Rows<'a> {
    variant: &'a str,
    epoch: usize,
    names: &'a [String],
    log: &'a mut ProbeLog,
}

impl Rows<'_> {
    fn name(&self, layer: usize) -> String {
        self.names
            .get(layer - 1)
            .cloned()
            .unwrap_or_else(|| "output".into())
    }

    fn row(&mut self, layer: usize, tensor: &str, statistic: &str, value: f64) {
        let name = self.name(layer);
        self.log.rows.push(StatRow {
            variant: self.variant.into(),
            epoch: self.epoch,
            layer,
            name,
            tensor: tensor.into(),
            statistic: statistic.into(),
            value,
        });
    }

    fn histogram(&mut self, layer: usize, tensor: &str, histogram: Histogram) {
        self.log.histograms.push(HistogramRecord {
            variant: self.variant.into(),
            epoch: self.epoch,
            layer,
            tensor: tensor.into(),
            histogram,
        });
    }
}

/// A single member's output logits on row-major samples `x` of `features` values, in
/// evaluation mode, on the host.
fn member_logits<B: Backend, M: Family<B>>(
    member: &M,
    x: &[f64],
    features: usize,
    device: &B::Device,
) -> Vec<f64> {
    x.chunks(CHUNK_ROWS * features)
        .flat_map(|chunk| {
            let rows = chunk.len() / features;
            let x = Tensor::from_data(TensorData::new(chunk.to_vec(), [1, rows, features]), device);
            to_host(member.forward(x, Mode::Eval))
        })
        .collect()
}

/// Rows per forward pass when a grid is evaluated, so that a deep, wide network's activations
/// stay small.
pub const CHUNK_ROWS: usize = 4096;

/// Correlation between `|logit|` and each probe point's distance to the 0.5 boundary, and the
/// least-squares slope of `|logit|` on that distance (planar data, one output).
fn logit_geometry<B: Backend, M: Family<B>>(
    member: &M,
    data: &Dataset,
    logits: &[f64],
    device: &B::Device,
) -> Option<(f64, f64)> {
    let span = |axis: usize| {
        let (lo, hi) = data
            .points()
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
    let grid: Vec<f64> = points.into_iter().flatten().collect();
    let prob = member_logits(member, &grid, 2, device)
        .into_iter()
        .map(crate::model::activation::sigmoid_value)
        .collect();
    let segments = DecisionGrid { xs, ys, prob }.contour(0.5);
    if segments.is_empty() {
        return None;
    }
    let distance: Vec<f64> = data
        .points()
        .map(|p| distance_to_segments(p, &segments))
        .collect();
    let magnitude: Vec<f64> = logits.iter().map(|z| z.abs()).collect();
    let slope = distance
        .iter()
        .zip(&magnitude)
        .map(|(d, m)| d * m)
        .sum::<f64>()
        / distance.iter().map(|d| d * d).sum::<f64>();
    Some((correlation(&distance, &magnitude), slope))
}
