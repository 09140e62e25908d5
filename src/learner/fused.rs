//! The fused CPU engine: forward, backward and SGD for MLP ensembles in one pass over host f64.
//!
//! actlab's networks are tiny (a seed-protocol step is ~45 thousand flops), so a tensor
//! framework spends nearly all its time in per-operation overhead. This engine runs the same
//! maths as the Burn engine (`Mlp::forward` + autodiff + SGD) member by member over plain
//! buffers, members spread over threads. It is checked against the Burn engine and numpy.

use burn::tensor::{Tensor, TensorData, backend::Backend};

use super::{
    loss::EPS,
    optim::{HostState, OptimizerSpec},
    to_host,
};
use crate::{
    data::Dataset,
    model::{Activation, Dense, Mlp, activation::sigmoid_value},
};

/// Whether the fused engine computes what backend `B` would: float64 on the CPU.
pub fn applies<B: Backend>() -> bool {
    std::any::TypeId::of::<B::FloatElem>() == std::any::TypeId::of::<f64>()
}

/// One member's parameters: per layer, `[fan_in * fan_out]` row-major weights and `[fan_out]` biases.
#[derive(Clone, Debug, PartialEq)]
struct MemberParams {
    weights: Vec<Vec<f64>>,
    biases: Vec<Vec<f64>>,
    /// Optimizer state per layer: (weights, biases).
    states: Vec<(HostState, HostState)>,
}

/// A whole ensemble on the host with its optimizer.
#[derive(Clone, Debug, PartialEq)]
pub struct FusedEnsemble {
    dims: Vec<usize>,
    activations: Vec<Activation>,
    members: Vec<MemberParams>,
    optimizer: OptimizerSpec,
    threads: usize,
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

impl FusedEnsemble {
    /// Copies `mlp`'s parameters to the host, to train with `optimizer` on up to `threads` threads.
    pub fn from_mlp<B: Backend>(mlp: &Mlp<B>, optimizer: OptimizerSpec, threads: usize) -> Self {
        let k = mlp.members();
        let mut dims = vec![mlp.layers[0].weight.dims()[1]];
        dims.extend(mlp.layers.iter().map(|l| l.weight.dims()[2]));
        let host: Vec<(Vec<f64>, Vec<f64>)> = mlp
            .layers
            .iter()
            .map(|l| (to_host(l.weight.val()), to_host(l.bias.val())))
            .collect();
        let members = (0..k)
            .map(|m| {
                let (weights, biases) = host
                    .iter()
                    .zip(dims.windows(2))
                    .map(|((w, b), d)| {
                        (
                            w[m * d[0] * d[1]..(m + 1) * d[0] * d[1]].to_vec(),
                            b[m * d[1]..(m + 1) * d[1]].to_vec(),
                        )
                    })
                    .unzip();
                let states = vec![Default::default(); dims.len() - 1];
                MemberParams {
                    weights,
                    biases,
                    states,
                }
            })
            .collect();
        Self {
            dims,
            activations: mlp.activations.clone(),
            members,
            optimizer,
            threads: threads.max(1),
        }
    }

    /// The ensemble as a Burn module again.
    pub fn to_mlp<B: Backend>(&self, device: &B::Device) -> Mlp<B> {
        let k = self.members.len();
        let layers = self
            .dims
            .windows(2)
            .enumerate()
            .map(|(l, d)| {
                let w: Vec<f64> = self
                    .members
                    .iter()
                    .flat_map(|m| m.weights[l].iter().copied())
                    .collect();
                let b: Vec<f64> = self
                    .members
                    .iter()
                    .flat_map(|m| m.biases[l].iter().copied())
                    .collect();
                Dense {
                    weight: burn::module::Param::from_tensor(Tensor::from_data(
                        TensorData::new(w, [k, d[0], d[1]]),
                        device,
                    )),
                    bias: burn::module::Param::from_tensor(Tensor::from_data(
                        TensorData::new(b, [k, 1, d[1]]),
                        device,
                    )),
                }
            })
            .collect();
        Mlp {
            layers,
            activations: self.activations.clone(),
        }
    }

    /// Runs `f(member index, params, activation)` for every member, spread over the threads;
    /// results come back in member order.
    fn for_members<R: Send>(
        &mut self,
        f: impl Fn(usize, &mut MemberParams, Activation) -> R + Sync,
    ) -> Vec<R> {
        let chunk = self.members.len().div_ceil(self.threads);
        let activations = &self.activations;
        if self.threads == 1 || self.members.len() == 1 {
            return self
                .members
                .iter_mut()
                .zip(activations)
                .enumerate()
                .map(|(k, (m, &a))| f(k, m, a))
                .collect();
        }
        std::thread::scope(|scope| {
            let handles: Vec<_> = self
                .members
                .chunks_mut(chunk)
                .zip(activations.chunks(chunk))
                .enumerate()
                .map(|(c, (ms, acts))| {
                    let f = &f;
                    scope.spawn(move || {
                        ms.iter_mut()
                            .zip(acts)
                            .enumerate()
                            .map(|(i, (m, &a))| f(c * chunk + i, m, a))
                            .collect::<Vec<R>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("a training thread panicked"))
                .collect()
        })
    }

    /// One epoch of SGD with learning rate `lr`: member `k` visits `data` in `orders[k]`, in
    /// batches of `batch_size`. Returns each member's mean batch loss (each before its update).
    pub fn train_epoch(
        &mut self,
        data: &Dataset,
        orders: &[Vec<usize>],
        batch_size: usize,
        lr: f64,
    ) -> Vec<f64> {
        let dims = self.dims.clone();
        let optimizer = self.optimizer;
        let rows = batch_size.min(data.len());
        self.for_members(|k, params, activation| {
            let mut scratch = Scratch::new(&dims, rows);
            let batches = orders[k].chunks(batch_size);
            let steps = batches.len();
            let total: f64 = batches
                .map(|batch| {
                    train_step(
                        &dims,
                        activation,
                        &optimizer,
                        params,
                        data,
                        batch,
                        lr,
                        &mut scratch,
                    )
                })
                .sum();
            total / steps as f64
        })
    }

    /// Member `k`'s forward and backward pass on all of `data` without changing anything:
    /// every layer's `z`, `a`, `dL/dz` and parameter gradients of the mean loss.
    pub fn probe(&self, k: usize, data: &Dataset) -> Scratch {
        let all: Vec<usize> = (0..data.len()).collect();
        let mut scratch = Scratch::new(&self.dims, all.len());
        backward(
            &self.dims,
            self.activations[k],
            &self.members[k],
            data,
            &all,
            &mut scratch,
        );
        scratch
    }

    /// Every member's optimizer state: per layer, (weights, biases).
    pub fn optimizer_states(&self) -> Vec<Vec<(HostState, HostState)>> {
        self.members.iter().map(|m| m.states.clone()).collect()
    }

    /// Restores the optimizer states saved by [`Self::optimizer_states`].
    pub fn set_optimizer_states(
        &mut self,
        states: Vec<Vec<(HostState, HostState)>>,
    ) -> Result<(), String> {
        if states.len() != self.members.len()
            || states.iter().any(|s| s.len() != self.dims.len() - 1)
        {
            return Err(format!(
                "optimizer state for {} members does not fit {} members of {} layers",
                states.len(),
                self.members.len(),
                self.dims.len() - 1
            ));
        }
        for (m, s) in self.members.iter_mut().zip(states) {
            m.states = s;
        }
        Ok(())
    }

    /// Member `k`'s hidden activation.
    pub fn activation(&self, k: usize) -> Activation {
        self.activations[k]
    }

    /// Layer widths from input to output.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// Member `k`'s weights of every layer, row-major `[fan_in * fan_out]`.
    pub fn weights(&self, k: usize) -> &[Vec<f64>] {
        &self.members[k].weights
    }

    /// Loss and accuracy of every member on all of `data`: `(loss[K], accuracy[K])`.
    pub fn evaluate(&mut self, data: &Dataset) -> (Vec<f64>, Vec<f64>) {
        let dims = self.dims.clone();
        let all: Vec<usize> = (0..data.len()).collect();
        let results = self.for_members(|_, params, activation| {
            let mut scratch = Scratch::new(&dims, all.len());
            forward(&dims, activation, params, data, &all, &mut scratch);
            let logits = scratch.z.last().expect("an output layer");
            let (mut loss, mut correct) = (0.0, 0usize);
            for (&i, &z) in all.iter().zip(logits) {
                let p = sigmoid_value(z);
                let y = f64::from(data.y[i]);
                loss += y * (p + EPS).ln() + (1.0 - y) * (1.0 - p + EPS).ln();
                correct += usize::from((p >= 0.5) == (data.y[i] == 1));
            }
            (
                -(loss / all.len() as f64),
                correct as f64 / all.len() as f64,
            )
        });
        results.into_iter().unzip()
    }
}

/// `z = a @ W + b` then the activation, layer by layer, for the rows `batch` of `data`.
fn forward(
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
            let out = &mut rest[0];
            for (o, &zv) in out[..n * fan_out].iter_mut().zip(&z[..n * fan_out]) {
                *o = activation.value(zv);
            }
        }
    }
}

/// One optimizer step on `batch`; returns the batch loss before the update.
#[allow(clippy::too_many_arguments)]
fn train_step(
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
fn backward(
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
