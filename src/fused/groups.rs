//! Lane groups: members of one activation packed into the 1, 4 or 8 lanes of one kernel, run
//! through [`super::simd`] for the CPU's instruction set, with working buffers per worker thread.

use super::{
    kernel,
    lanes::{LaneParams, LaneScratch, MemberParams},
    simd,
};
use crate::{data::Dataset, learner::OptimizerSpec, model::Activation};

/// Members of one activation in the `L` lanes of one kernel. Lanes past `members.len()` repeat
/// lane 0's member and data order; their results are dropped.
#[derive(Clone, Debug)]
pub(super) struct LaneGroup<const L: usize> {
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

    pub(super) fn train_epoch(
        &mut self,
        job: &EpochJob<'_>,
        scratch: &mut LaneScratch<L>,
    ) -> Vec<f64> {
        let losses = simd::widest(TrainEpoch {
            group: self,
            job,
            scratch,
        });
        losses[..self.members.len()].to_vec()
    }

    pub(super) fn evaluate(
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
pub(super) enum Group {
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
pub(super) use on_group;

/// Working buffers for groups of each width: one set per worker thread, kept warm in that
/// core's caches from group to group and epoch to epoch.
pub(super) struct Buffers {
    pub(super) one: LaneScratch<1>,
    pub(super) four: LaneScratch<4>,
    pub(super) eight: LaneScratch<8>,
}

/// One [`Buffers`] per worker thread (a clone starts with fresh, empty ones).
pub(super) struct WorkerBuffers {
    dims: Vec<usize>,
    sets: Vec<std::sync::Mutex<Buffers>>,
}

impl WorkerBuffers {
    pub(super) fn new(dims: &[usize], threads: usize) -> Self {
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
    pub(super) fn mine(&self) -> std::sync::MutexGuard<'_, Buffers> {
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
    pub(super) fn pack(
        activations: &[Activation],
        all: &[MemberParams],
    ) -> Result<Vec<Self>, String> {
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

    pub(super) fn members(&self) -> &[usize] {
        on_group!(self, g => &g.members)
    }

    pub(super) fn member(&self, q: usize) -> MemberParams {
        on_group!(self, g => g.params.unpack(q))
    }
}

/// What one epoch of training needs, shared by every group.
pub(super) struct EpochJob<'a> {
    pub(super) dims: &'a [usize],
    pub(super) optimizer: &'a OptimizerSpec,
    /// Each member's training set.
    pub(super) data: &'a [&'a Dataset],
    pub(super) orders: &'a [Vec<usize>],
    pub(super) batch_size: usize,
    pub(super) lr: f64,
}
