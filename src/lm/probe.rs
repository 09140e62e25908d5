//! Per-block probes of a GPT: on fixed validation windows, a forward and backward pass of a copy
//! of the model being trained (its weights untouched, so training is the same with probes on or
//! off) reports each block's feed-forward pre-activation `z`, activation `a` (for gated units
//! also the gate and the value), `dL/dz`, the block's weight-gradient norm, the residual stream's
//! RMS entering it, and each head's attention entropy, as rows of `activations.csv`, with
//! histograms of `z` and `a` (and a gated unit's gate and value) for `histograms.json`.

use burn::{
    module::{Module, ModuleVisitor, Param},
    tensor::{
        Tensor,
        backend::{AutodiffBackend, Backend},
    },
};

use super::{
    batches::TokenBatch,
    learner::{cross_entropy, frozen},
};
use crate::{
    analysis::{
        layer_stats::{distribution, histogram, norm, saturation},
        probe::{HistogramRecord, ProbeLog, StatRow},
    },
    learner::to_host,
    model::{
        LayerObserver,
        gpt::{FeedForwardUnit, Gpt},
    },
};

/// Saturated: within this of a bound, as the MLP probes count it.
const SATURATION_EPS: f64 = 0.01;
/// Near zero: `|a|` below this fraction of the block's largest `|a|`.
const NEAR_ZERO: f64 = 1e-3;
/// Histogram bins, and the span of unbounded values, as the MLP probes' defaults.
const BINS: usize = 30;
const SPAN: f64 = 6.0;

/// What one probe pass captured, per block, on the autodiff backend.
struct Capture<B: AutodiffBackend> {
    /// `z + 0` with the zero tracked, so that its gradient is `dL/dz`.
    zeros: Vec<Tensor<B, 3>>,
    z: Vec<Tensor<B, 3>>,
    a: Vec<Tensor<B, 3>>,
    gate_value: Vec<(Tensor<B, 3>, Tensor<B, 3>)>,
    streams: Vec<Tensor<B, 3>>,
}

impl<B: AutodiffBackend> LayerObserver<B> for Capture<B> {
    fn pre_activation(&mut self, _layer: usize, z: Tensor<B, 3>) -> Tensor<B, 3> {
        let zero = Tensor::zeros(z.dims(), &z.device()).require_grad();
        self.zeros.push(zero.clone());
        self.z.push(z.clone().detach());
        z + zero
    }
    fn activation(&mut self, _layer: usize, a: &Tensor<B, 3>) {
        self.a.push(a.clone().detach());
    }
    fn gate_value(&mut self, _layer: usize, gate: &Tensor<B, 3>, value: &Tensor<B, 3>) {
        self.gate_value
            .push((gate.clone().detach(), value.clone().detach()));
    }
    fn residual(&mut self, _layer: usize, h: &Tensor<B, 3>) {
        self.streams.push(h.clone().detach());
    }
}

fn host<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f64> {
    to_host(t)
}

/// The sum of squared gradients of a module's parameters.
fn squared_gradients<B: AutodiffBackend, M: Module<B>>(module: &M, grads: &B::Gradients) -> f64 {
    struct Sum<'a, B: AutodiffBackend> {
        grads: &'a B::Gradients,
        total: f64,
    }
    impl<B: AutodiffBackend> ModuleVisitor<B> for Sum<'_, B> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            if let Some(g) = param.grad(self.grads) {
                self.total += to_host((g.clone() * g).sum())[0];
            }
        }
    }
    let mut sum = Sum::<B> { grads, total: 0.0 };
    module.visit(&mut sum);
    sum.total
}

/// The mean derivative of the unit's activation (the gate's for gated units) at `z`.
fn mean_derivative(unit: FeedForwardUnit, z: &[f64]) -> f64 {
    let derivative = |z: f64| match unit {
        FeedForwardUnit::Plain(n) => n.derivative(z, n.value(z)),
        FeedForwardUnit::SquaredRelu => 2.0 * z.max(0.0),
        FeedForwardUnit::Gated(gate) => gate.derivative(z, gate.value(z)),
    };
    z.iter().map(|&v| derivative(v)).sum::<f64>() / z.len() as f64
}

/// Units whose activation is exactly zero on every probed position.
fn never_active(a: &[f64], width: usize) -> f64 {
    let dead = (0..width)
        .filter(|&u| a.iter().skip(u).step_by(width).all(|&v| v == 0.0))
        .count();
    dead as f64 / width as f64
}

/// Probes `model` on `batch` at step `iteration`; returns the rows for `variant`.
pub fn probe<B: AutodiffBackend>(
    model: &Gpt<B>,
    batch: &TokenBatch<B>,
    variant: &str,
    iteration: usize,
) -> ProbeLog {
    // Without dropout: the probes see the network as it is evaluated, and draw nothing.
    let mut model = model.clone();
    model.dropout.prob = 0.0;
    let mut capture = Capture {
        zeros: Vec::new(),
        z: Vec::new(),
        a: Vec::new(),
        gate_value: Vec::new(),
        streams: Vec::new(),
    };
    let logits = model.forward_observed(batch.x.clone(), &mut capture);
    let grads = cross_entropy(logits, batch.y.clone()).backward();
    let [b, t] = batch.x.dims();
    let (width, unit) = (model.config.hidden, model.config.unit);
    let inner = frozen(&model);
    let mut rows = Vec::new();
    let mut histograms = Vec::new();
    for (l, block) in model.blocks.iter().enumerate() {
        let mut histogram_of = |tensor: &str, values: &[f64], (lo, hi): (f64, f64)| {
            histograms.push(HistogramRecord {
                variant: variant.into(),
                epoch: iteration,
                layer: l + 1,
                tensor: tensor.into(),
                histogram: histogram(values, lo, hi, BINS),
            })
        };
        let mut push = |tensor: &str, statistic: &str, value: f64| {
            rows.push(StatRow {
                variant: variant.into(),
                epoch: iteration,
                layer: l + 1,
                name: format!("block{}", l + 1),
                tensor: tensor.into(),
                statistic: statistic.into(),
                value,
            })
        };
        let z = host(capture.z[l].clone().inner());
        let a = host(capture.a[l].clone().inner());
        histogram_of("z", &z, (-SPAN, SPAN));
        let a_span = match unit {
            FeedForwardUnit::Plain(n) if n.can_die() => (0.0, SPAN),
            FeedForwardUnit::SquaredRelu => (0.0, SPAN),
            FeedForwardUnit::Plain(n) => n.bounds().unwrap_or((-SPAN, SPAN)),
            FeedForwardUnit::Gated(_) => (-SPAN, SPAN),
        };
        histogram_of("a", &a, a_span);
        if let Some((gate, value)) = capture.gate_value.get(l) {
            let gate_span = unit.bounds().unwrap_or((-SPAN, SPAN));
            histogram_of("gate", &host(gate.clone().inner()), gate_span);
            histogram_of("value", &host(value.clone().inner()), (-SPAN, SPAN));
        }
        for (name, value) in distribution(&z).named() {
            push("z", name, value);
        }
        push("z", "mean_derivative", mean_derivative(unit, &z));
        if let Some(bounds) = unit.bounds() {
            let gate = match unit {
                FeedForwardUnit::Gated(_) => host(capture.gate_value[l].0.clone().inner()),
                _ => a.clone(),
            };
            push(
                "z",
                "saturated_fraction",
                saturation(&gate, bounds, SATURATION_EPS),
            );
        }
        for (name, value) in distribution(&a).named() {
            push("a", name, value);
        }
        let largest = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let zeros = a.iter().filter(|&&v| v == 0.0).count() as f64 / a.len() as f64;
        let near =
            a.iter().filter(|&&v| v.abs() < NEAR_ZERO * largest).count() as f64 / a.len() as f64;
        push("a", "zero_fraction", zeros);
        push("a", "near_zero_fraction", near);
        push("a", "dead_fraction", never_active(&a, width));
        if let Some((gate, value)) = capture.gate_value.get(l) {
            for (name, value) in distribution(&host(gate.clone().inner())).named() {
                push("gate", name, value);
            }
            for (name, value) in distribution(&host(value.clone().inner())).named() {
                push("value", name, value);
            }
        }
        if let Some(dz) = capture.zeros[l].grad(&grads) {
            let dz = host(dz);
            push("dz", "norm", norm(&dz));
            push("dz", "std", distribution(&dz).std);
        }
        push("dw", "norm", squared_gradients(block, &grads).sqrt());
        let stream = host(capture.streams[l].clone().inner());
        let rms = (stream.iter().map(|v| v * v).sum::<f64>() / stream.len() as f64).sqrt();
        push("residual", "rms", rms);
        let h = capture.streams[l]
            .clone()
            .inner()
            .reshape([b, t, model.config.n_embd]);
        let p = host(inner.attention_probabilities(l, h)); // [B, H, T, T] row-major
        let heads = model.config.n_head;
        let mut total = 0.0;
        for head in 0..heads {
            let mut entropy = 0.0;
            for row in 0..b * t {
                let (bi, ti) = (row / t, row % t);
                let start = ((bi * heads + head) * t + ti) * t;
                entropy -= p[start..start + t]
                    .iter()
                    .filter(|&&q| q > 0.0)
                    .map(|&q| q * q.ln())
                    .sum::<f64>();
            }
            let mean = entropy / (b * t) as f64;
            total += mean;
            push("attention", &format!("entropy_head{}", head + 1), mean);
        }
        push("attention", "entropy", total / heads as f64);
    }
    ProbeLog { rows, histograms }
}
