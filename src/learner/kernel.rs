//! The fused engine's kernels: one member's forward pass, backward pass and optimizer step over
//! plain float64 buffers, in the order of operations of `Mlp::forward` and its autodiff.

use super::{
    loss::EPS,
    optim::{HostState, OptimizerSpec},
};
use crate::{
    data::Dataset,
    model::{Activation, activation::sigmoid_value},
};

/// One member's parameters: per layer, `[fan_in * fan_out]` row-major weights and `[fan_out]` biases.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MemberParams {
    pub(crate) weights: Vec<Vec<f64>>,
    pub(crate) biases: Vec<Vec<f64>>,
    /// Optimizer state per layer: (weights, biases).
    pub(crate) states: Vec<(HostState, HostState)>,
}

/// Per-layer buffers of one member's forward pass on a batch.
pub struct Scratch {
    /// `a[0]` is the input; `a[l]` the activation of layer `l` (`[rows * width]`).
    pub a: Vec<Vec<f64>>,
    /// `z[l]` the pre-activation of layer `l + 1`.
    pub z: Vec<Vec<f64>>,
    /// `dz[l]`: the gradient of the mean loss with respect to `z[l]`.
    pub dz: Vec<Vec<f64>>,
    /// Gradients of each layer's weights and biases.
    pub grad_w: Vec<Vec<f64>>,
    pub grad_b: Vec<Vec<f64>>,
}

impl Scratch {
    pub fn new(dims: &[usize], rows: usize) -> Self {
        let layers = dims.windows(2);
        Self {
            a: dims.iter().map(|&w| vec![0.0; rows * w]).collect(),
            z: dims[1..].iter().map(|&w| vec![0.0; rows * w]).collect(),
            dz: dims[1..].iter().map(|&w| vec![0.0; rows * w]).collect(),
            grad_w: layers.clone().map(|d| vec![0.0; d[0] * d[1]]).collect(),
            grad_b: layers.map(|d| vec![0.0; d[1]]).collect(),
        }
    }
}

/// `z = a @ W + b` then the activation, layer by layer, for the rows `batch` of `data`.
pub(crate) fn forward(
    dims: &[usize],
    activation: Activation,
    params: &MemberParams,
    data: &Dataset,
    batch: &[usize],
    s: &mut Scratch,
) {
    let n = batch.len();
    for (r, &i) in batch.iter().enumerate() {
        s.a[0][r * 2..r * 2 + 2].copy_from_slice(&data.x[i]);
    }
    let layers = dims.len() - 1;
    for l in 0..layers {
        let (fan_in, fan_out) = (dims[l], dims[l + 1]);
        let (w, b) = (&params.weights[l], &params.biases[l]);
        let (input, rest) = s.a.split_at_mut(l + 1);
        let input = &input[l];
        let z = &mut s.z[l];
        for r in 0..n {
            let row = &mut z[r * fan_out..(r + 1) * fan_out];
            row.fill(0.0);
            for p in 0..fan_in {
                let x = input[r * fan_in + p];
                for (acc, &wpj) in row.iter_mut().zip(&w[p * fan_out..(p + 1) * fan_out]) {
                    *acc += x * wpj;
                }
            }
            for (acc, &bj) in row.iter_mut().zip(b) {
                *acc += bj;
            }
        }
        if l + 1 < layers {
            activation.apply_slice(&z[..n * fan_out], &mut rest[0][..n * fan_out]);
        }
    }
}

/// One optimizer step on `batch`; returns the batch loss before the update.
#[allow(clippy::too_many_arguments)]
pub(crate) fn train_step(
    dims: &[usize],
    activation: Activation,
    optimizer: &OptimizerSpec,
    params: &mut MemberParams,
    data: &Dataset,
    batch: &[usize],
    lr: f64,
    s: &mut Scratch,
) -> f64 {
    let loss = backward(dims, activation, params, data, batch, s);
    for (l, (state_w, state_b)) in params.states.iter_mut().enumerate() {
        optimizer.update(lr, &mut params.weights[l], &mut s.grad_w[l], state_w);
        optimizer.update(lr, &mut params.biases[l], &mut s.grad_b[l], state_b);
    }
    loss
}

/// Forward and backward on `batch`: fills `s` with every layer's `z`, `a`, `dL/dz` and the
/// parameter gradients of the mean loss; returns the loss.
pub(crate) fn backward(
    dims: &[usize],
    activation: Activation,
    params: &MemberParams,
    data: &Dataset,
    batch: &[usize],
    s: &mut Scratch,
) -> f64 {
    forward(dims, activation, params, data, batch, s);
    let n = batch.len();
    let layers = dims.len() - 1;
    let mut loss = 0.0;
    for (r, &i) in batch.iter().enumerate() {
        let p = sigmoid_value(s.z[layers - 1][r]);
        let y = f64::from(data.y[i]);
        loss += y * (p + EPS).ln() + (1.0 - y) * (1.0 - p + EPS).ln();
        s.dz[layers - 1][r] = (p - y) / n as f64;
    }
    for l in (0..layers).rev() {
        let (fan_in, fan_out) = (dims[l], dims[l + 1]);
        let (below, here) = s.dz.split_at_mut(l);
        let delta = &here[0];
        let input = &s.a[l];
        if l > 0 {
            let w = &params.weights[l];
            for r in 0..n {
                let d_row = &delta[r * fan_out..(r + 1) * fan_out];
                for p in 0..fan_in {
                    let da: f64 = d_row
                        .iter()
                        .zip(&w[p * fan_out..(p + 1) * fan_out])
                        .map(|(d, w)| d * w)
                        .sum();
                    let idx = r * fan_in + p;
                    below[l - 1][idx] = da * activation.derivative(s.z[l - 1][idx], input[idx]);
                }
            }
        }
        // Row by row, so the inner loops run over contiguous memory; each gradient entry still
        // sums its rows in order, exactly as `a^T @ delta` written entry by entry would.
        let (grad_w, grad_b) = (&mut s.grad_w[l], &mut s.grad_b[l]);
        grad_w.fill(0.0);
        grad_b.fill(0.0);
        for r in 0..n {
            let d_row = &delta[r * fan_out..(r + 1) * fan_out];
            for (p, &x) in input[r * fan_in..(r + 1) * fan_in].iter().enumerate() {
                for (g, &d) in grad_w[p * fan_out..(p + 1) * fan_out].iter_mut().zip(d_row) {
                    *g += x * d;
                }
            }
            for (g, &d) in grad_b.iter_mut().zip(d_row) {
                *g += d;
            }
        }
    }
    -(loss / n as f64)
}
