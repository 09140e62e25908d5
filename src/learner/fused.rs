//! The fused CPU engine: forward, backward and optimizer steps for MLP ensembles over host f64.
//!
//! actlab's networks are tiny (a seed-protocol step is ~45 thousand flops), so a tensor
//! framework spends nearly all its time in per-operation overhead. This engine runs the same
//! maths as the Burn engine (`Mlp::forward` + autodiff + optimizer) over plain buffers. Members
//! that share an activation train in groups of 4 or 8 lanes of one vector kernel (see
//! [`super::kernel`]); groups are spread over a thread pool. It is checked against the Burn
//! engine and numpy, and each member against training it alone.

use std::sync::Arc;

use burn::tensor::{Tensor, TensorData, backend::Backend};
use rayon::prelude::*;

use super::{
    kernel,
    lanes::{LaneParams, LaneScratch, MemberParams, Scratch},
    optim::{HostState, OptimizerSpec},
    simd, to_host,
};
use crate::{
    data::Dataset,
    model::{Activation, Dense, Mlp},
};

/// Whether the fused engine computes what backend `B` would: float64 on the CPU.
pub fn applies<B: Backend>() -> bool {
    std::any::TypeId::of::<B::FloatElem>() == std::any::TypeId::of::<f64>()
}

/// Members of one activation in the `L` lanes of one kernel. Lanes past `members.len()` repeat
/// lane 0's member and data order; their results are dropped.
#[derive(Clone, Debug)]
struct LaneGroup<const L: usize> {
    activation: Activation,
    /// Ensemble index of each occupied lane.
    members: Vec<usize>,
    params: LaneParams<L>,
}

impl<const L: usize> LaneGroup<L> {
    fn new(
        activation: Activation,
        members: Vec<usize>,
        all: &[MemberParams],
    ) -> Result<Self, String> {
        let params = LaneParams::pack(std::array::from_fn(|q| &all[occupant(&members, q)]))?;
        Ok(Self {
            activation,
            params,
            members,
        })
    }

    fn lane_member(&self, q: usize) -> usize {
        occupant(&self.members, q)
    }

    fn train_epoch(&mut self, job: &EpochJob<'_>, scratch: &mut LaneScratch<L>) -> Vec<f64> {
        let losses = simd::widest(TrainEpoch {
            group: self,
            job,
            scratch,
        });
        losses[..self.members.len()].to_vec()
    }

    fn evaluate(
        &mut self,
        dims: &[usize],
        data: &[&Dataset],
        scratch: &mut LaneScratch<L>,
    ) -> Vec<(f64, f64)> {
        let (loss, accuracy) = simd::widest(Evaluate {
            group: self,
            dims,
            data,
            scratch,
        });
        (0..self.members.len())
            .map(|q| (loss[q], accuracy[q]))
            .collect()
    }
}

/// The member in lane `q` of a group of `members`: lanes past them repeat lane 0's.
fn occupant(members: &[usize], q: usize) -> usize {
    *members.get(q).unwrap_or(&members[0])
}

/// One group's epoch of training, as a kernel to compile per instruction set.
struct TrainEpoch<'a, const L: usize> {
    group: &'a mut LaneGroup<L>,
    job: &'a EpochJob<'a>,
    scratch: &'a mut LaneScratch<L>,
}

impl<const L: usize> simd::Kernel for TrainEpoch<'_, L> {
    type Output = [f64; L];

    #[inline(always)]
    fn run<I: simd::Isa>(self) -> [f64; L] {
        let (g, job) = (self.group, self.job);
        let orders = std::array::from_fn(|q| job.orders[g.lane_member(q)].as_slice());
        let data = std::array::from_fn(|q| job.data[g.lane_member(q)]);
        kernel::train_epoch::<I, L>(
            job.dims,
            g.activation,
            job.optimizer,
            &mut g.params,
            data,
            orders,
            job.batch_size,
            job.lr,
            self.scratch,
        )
    }
}

/// One group's evaluation on a data set, as a kernel to compile per instruction set.
struct Evaluate<'a, const L: usize> {
    group: &'a mut LaneGroup<L>,
    dims: &'a [usize],
    /// Each member's data set.
    data: &'a [&'a Dataset],
    scratch: &'a mut LaneScratch<L>,
}

impl<const L: usize> simd::Kernel for Evaluate<'_, L> {
    type Output = ([f64; L], [f64; L]);

    #[inline(always)]
    fn run<I: simd::Isa>(self) -> Self::Output {
        let g = self.group;
        let data = std::array::from_fn(|q| self.data[g.lane_member(q)]);
        kernel::evaluate::<I, L>(self.dims, g.activation, &g.params, data, self.scratch)
    }
}

/// A lane group of one of the widths the engine uses.
#[derive(Clone, Debug)]
enum Group {
    One(LaneGroup<1>),
    Four(LaneGroup<4>),
    Eight(LaneGroup<8>),
}

/// Runs `$body` on the lane group inside `$group`, whatever its width; with `$scratch`, also
/// binds `$s` to that width's buffers in it.
macro_rules! on_group {
    ($group:expr, $g:ident => $body:expr) => {
        match $group {
            Group::One($g) => $body,
            Group::Four($g) => $body,
            Group::Eight($g) => $body,
        }
    };
    ($group:expr, $scratch:expr, ($g:ident, $s:ident) => $body:expr) => {
        match $group {
            Group::One($g) => {
                let $s = &mut $scratch.one;
                $body
            }
            Group::Four($g) => {
                let $s = &mut $scratch.four;
                $body
            }
            Group::Eight($g) => {
                let $s = &mut $scratch.eight;
                $body
            }
        }
    };
}

/// Working buffers for groups of each width: one set per worker thread, kept warm in that
/// core's caches from group to group and epoch to epoch.
struct Buffers {
    one: LaneScratch<1>,
    four: LaneScratch<4>,
    eight: LaneScratch<8>,
}

/// One [`Buffers`] per worker thread (a clone starts with fresh, empty ones).
struct WorkerBuffers {
    dims: Vec<usize>,
    sets: Vec<std::sync::Mutex<Buffers>>,
}

impl WorkerBuffers {
    fn new(dims: &[usize], threads: usize) -> Self {
        let fresh = || Buffers {
            one: LaneScratch::new(dims, 0),
            four: LaneScratch::new(dims, 0),
            eight: LaneScratch::new(dims, 0),
        };
        Self {
            dims: dims.to_vec(),
            sets: (0..threads.max(1)).map(|_| fresh().into()).collect(),
        }
    }

    /// The calling worker's buffers (uncontended: one set per worker).
    fn mine(&self) -> std::sync::MutexGuard<'_, Buffers> {
        let index = rayon::current_thread_index().unwrap_or(0) % self.sets.len();
        self.sets[index]
            .lock()
            .expect("no worker panicked holding its buffers")
    }
}

impl Clone for WorkerBuffers {
    fn clone(&self) -> Self {
        Self::new(&self.dims, self.sets.len())
    }
}

impl std::fmt::Debug for WorkerBuffers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WorkerBuffers({} sets of buffers)", self.sets.len())
    }
}

impl Group {
    /// Groups members by activation into lanes: runs of 8, then what remains in 8 lanes (5 to
    /// 7 members), 4 lanes (2 to 4) or alone.
    fn pack(activations: &[Activation], all: &[MemberParams]) -> Result<Vec<Self>, String> {
        let mut kinds: Vec<Activation> = Vec::new();
        for &a in activations {
            if !kinds.contains(&a) {
                kinds.push(a);
            }
        }
        let mut groups = Vec::new();
        for kind in kinds {
            let same: Vec<usize> = (0..all.len()).filter(|&k| activations[k] == kind).collect();
            for chunk in same.chunks(8) {
                let members = chunk.to_vec();
                groups.push(match chunk.len() {
                    5.. => Self::Eight(LaneGroup::new(kind, members, all)?),
                    2..=4 => Self::Four(LaneGroup::new(kind, members, all)?),
                    _ => Self::One(LaneGroup::new(kind, members, all)?),
                });
            }
        }
        Ok(groups)
    }

    fn members(&self) -> &[usize] {
        on_group!(self, g => &g.members)
    }

    fn member(&self, q: usize) -> MemberParams {
        on_group!(self, g => g.params.unpack(q))
    }
}

/// What one epoch of training needs, shared by every group.
struct EpochJob<'a> {
    dims: &'a [usize],
    optimizer: &'a OptimizerSpec,
    /// Each member's training set.
    data: &'a [&'a Dataset],
    orders: &'a [Vec<usize>],
    batch_size: usize,
    lr: f64,
}

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
    pub fn from_mlp<B: Backend>(mlp: &Mlp<B>, optimizer: OptimizerSpec, threads: usize) -> Self {
        let k = mlp.members();
        let mut dims = vec![mlp.layers[0].weight.dims()[1]];
        dims.extend(mlp.layers.iter().map(|l| l.weight.dims()[2]));
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
            activations: mlp.activations.clone(),
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
            activations: self.activations.clone(),
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
    /// every layer's `z`, `a`, `dL/dz` and parameter gradients of the mean loss.
    pub fn probe(&self, k: usize, data: &Dataset) -> Scratch {
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
