//! The fused CPU engine: forward, backward and SGD for MLP ensembles in one pass over host f64.
//!
//! actlab's networks are tiny (a seed-protocol step is ~45 thousand flops), so a tensor
//! framework spends nearly all its time in per-operation overhead. This engine runs the same
//! maths as the Burn engine (`Mlp::forward` + autodiff + SGD) member by member over plain
//! buffers, members spread over threads. It is checked against the Burn engine and numpy.

use burn::tensor::{Tensor, TensorData, backend::Backend};

use super::{
    kernel::{MemberParams, Scratch, backward, forward, train_step},
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

/// A whole ensemble on the host with its optimizer.
#[derive(Clone, Debug, PartialEq)]
pub struct FusedEnsemble {
    dims: Vec<usize>,
    activations: Vec<Activation>,
    members: Vec<MemberParams>,
    optimizer: OptimizerSpec,
    threads: usize,
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
