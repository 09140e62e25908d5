//! The fused ensemble: an MLP ensemble's parameters and optimizer state on the host, trained in
//! lane groups.
//!
//! actlab's networks are tiny (a seed-protocol step is ~45 thousand flops), so a tensor
//! framework spends nearly all its time in per-operation overhead. This engine runs the same
//! maths as the Burn engine (`Mlp::forward` + autodiff + optimizer) over plain buffers. Members
//! that share an activation train in groups of 4 or 8 lanes of one vector kernel (see
//! [`super::groups`] and [`super::kernel`]); groups are spread over a thread pool. It is checked against the Burn
//! engine and numpy, and each member against training it alone.

use std::sync::Arc;

use burn::tensor::{Tensor, TensorData, backend::Backend};
use rayon::prelude::*;

use super::{
    groups::{Buffers, EpochJob, Group, WorkerBuffers, on_group},
    kernel,
    lanes::{MemberParams, Scratch},
    update::HostState,
};
use crate::{
    data::Dataset,
    learner::{OptimizerSpec, to_host},
    model::{Activation, Dense, Mlp},
};

/// A whole ensemble on the host with its optimizer.
#[derive(Clone, Debug)]
pub struct FusedEnsemble {
    dims: Vec<usize>,
    activations: Vec<Activation>,
    groups: Vec<Group>,
    /// `(group, lane)` of each member.
    lanes: Vec<(usize, usize)>,
    optimizer: OptimizerSpec,
    /// Worker threads for the groups; none when one thread suffices.
    pool: Option<Arc<rayon::ThreadPool>>,
    scratch: WorkerBuffers,
}

impl FusedEnsemble {
    /// Copies `mlp`'s parameters to the host, to train with `optimizer` on up to `threads` threads.
    /// The MLP must have no normalization (see [`super::supports`]).
    pub fn from_mlp<B: Backend>(mlp: &Mlp<B>, optimizer: OptimizerSpec, threads: usize) -> Self {
        let k = mlp.activations.len();
        let dims = mlp.dims();
        let host: Vec<(Vec<f64>, Vec<f64>)> = mlp
            .layers
            .iter()
            .map(|l| (to_host(l.weight.val()), to_host(l.bias.val())))
            .collect();
        let members: Vec<MemberParams> = (0..k)
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
                MemberParams {
                    weights,
                    biases,
                    states: vec![Default::default(); dims.len() - 1],
                }
            })
            .collect();
        let mut fused = Self {
            scratch: WorkerBuffers::new(&dims, 1),
            dims,
            activations: mlp.activations.iter().map(|n| n.activation).collect(),
            groups: Vec::new(),
            lanes: Vec::new(),
            optimizer,
            pool: None,
        };
        fused
            .set_members(&members)
            .expect("fresh members share their optimizer's progress");
        let threads = threads.min(fused.groups.len());
        if threads > 1 {
            fused.pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .thread_name(|i| format!("actlab-fused-{i}"))
                .build()
                .ok()
                .map(Arc::new);
            fused.scratch = WorkerBuffers::new(&fused.dims, threads);
        }
        fused
    }

    /// Packs `members` into lane groups.
    fn set_members(&mut self, members: &[MemberParams]) -> Result<(), String> {
        self.groups = Group::pack(&self.activations, members)?;
        self.lanes = vec![(0, 0); members.len()];
        for (g, group) in self.groups.iter().enumerate() {
            for (q, &k) in group.members().iter().enumerate() {
                self.lanes[k] = (g, q);
            }
        }
        Ok(())
    }

    /// Member `k`'s parameters and optimizer state.
    fn member(&self, k: usize) -> MemberParams {
        let (g, q) = self.lanes[k];
        self.groups[g].member(q)
    }

    fn all_members(&self) -> Vec<MemberParams> {
        (0..self.members()).map(|k| self.member(k)).collect()
    }

    /// The number of members.
    pub fn members(&self) -> usize {
        self.lanes.len()
    }

    /// The ensemble as a Burn module again.
    pub fn to_mlp<B: Backend>(&self, device: &B::Device) -> Mlp<B> {
        let members = self.all_members();
        let k = members.len();
        let layers = self
            .dims
            .windows(2)
            .enumerate()
            .map(|(l, d)| {
                let w: Vec<f64> = members
                    .iter()
                    .flat_map(|m| m.weights[l].iter().copied())
                    .collect();
                let b: Vec<f64> = members
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
            norms: Vec::new(),
            activations: self.activations.iter().map(|&a| a.into()).collect(),
        }
    }

    /// Runs `f` on every group with the calling worker's buffers, on the pool's threads when
    /// there is one; results in group order.
    fn for_groups<R: Send>(
        &mut self,
        f: impl Fn(&mut Group, &mut Buffers) -> R + Sync + Send,
    ) -> Vec<R> {
        let scratch = &self.scratch;
        let run = |group: &mut Group| f(group, &mut scratch.mine());
        match &self.pool {
            Some(pool) => pool.install(|| self.groups.par_iter_mut().map(run).collect()),
            None => self.groups.iter_mut().map(run).collect(),
        }
    }

    /// Spreads per-group, per-lane results back to member order.
    fn by_member<T: Copy + Default>(&self, per_group: &[Vec<T>]) -> Vec<T> {
        self.lanes.iter().map(|&(g, q)| per_group[g][q]).collect()
    }

    /// One epoch with learning rate `lr`: member `k` visits its training set `data[k]` in
    /// `orders[k]`, in batches of `batch_size`. Returns each member's mean batch loss (each
    /// before its update). All the sets must have the same size.
    pub fn train_epoch(
        &mut self,
        data: &[&Dataset],
        orders: &[Vec<usize>],
        batch_size: usize,
        lr: f64,
    ) -> Vec<f64> {
        let dims = self.dims.clone();
        let optimizer = self.optimizer;
        let job = EpochJob {
            dims: &dims,
            optimizer: &optimizer,
            data,
            orders,
            batch_size,
            lr,
        };
        let per_group = self.for_groups(
            |group, scratch| on_group!(group, scratch, (g, s) => g.train_epoch(&job, s)),
        );
        self.by_member(&per_group)
    }

    /// Loss and accuracy of every member on all of its set `data[k]`: `(loss[K], accuracy[K])`.
    /// All the sets must have the same size.
    pub fn evaluate(&mut self, data: &[&Dataset]) -> (Vec<f64>, Vec<f64>) {
        let dims = self.dims.clone();
        let per_group = self.for_groups(
            |group, scratch| on_group!(group, scratch, (g, s) => g.evaluate(&dims, data, s)),
        );
        self.by_member(&per_group).into_iter().unzip()
    }

    /// Member `k`'s forward and backward pass on all of `data` without changing anything:
    /// every layer's `z`, `a`, `dL/dz` and parameter gradients of the mean loss. Probes observe
    /// the Burn model; this host pass is kept as an independent reference for them (tests).
    pub fn reference_pass(&self, k: usize, data: &Dataset) -> Scratch {
        kernel::gradients(&self.dims, self.activations[k], &self.member(k), data)
    }

    /// Every member's optimizer state: per layer, (weights, biases).
    pub fn optimizer_states(&self) -> Vec<Vec<(HostState, HostState)>> {
        self.all_members().into_iter().map(|m| m.states).collect()
    }

    /// Restores the optimizer states saved by [`Self::optimizer_states`].
    pub fn set_optimizer_states(
        &mut self,
        states: Vec<Vec<(HostState, HostState)>>,
    ) -> Result<(), String> {
        let k = self.members();
        if states.len() != k || states.iter().any(|s| s.len() != self.dims.len() - 1) {
            return Err(format!(
                "optimizer state for {} members does not fit {k} members of {} layers",
                states.len(),
                self.dims.len() - 1
            ));
        }
        let mut members = self.all_members();
        for (m, s) in members.iter_mut().zip(states) {
            m.states = s;
        }
        self.set_members(&members)
    }

    /// Member `k`'s hidden activation.
    pub fn activation(&self, k: usize) -> Activation {
        self.activations[k]
    }

    /// Layer widths from input to output.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }
}
