//! The epoch loop: programs trained together as one ensemble, each member recorded as if it
//! trained alone, with probing and checkpointing as policies beside the loop.

use std::{ops::Range, path::PathBuf, sync::Arc, time::Instant};

use burn::tensor::backend::AutodiffBackend;

use super::{
    Progress,
    policies::{Checkpointing, Probing},
    programs::{Member, Program, Trained, initial_ensemble},
};
use crate::{
    analysis::probe::ProbeLog,
    backend::BackendInfo,
    checkpoint::{self, CheckpointError, CheckpointMeta},
    config::Plan,
    fused::{self, FusedSteps, Unsupported},
    learner::{Engine, EpochMetrics, Epochs, Evaluation, History, MemberData, Steps},
    model::{Network, concat, select},
    numpy_rng::NumpyRng,
};

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(transparent)]
    Engine(#[from] Unsupported),
}

/// Where checkpoints go and how often.
#[derive(Clone, Debug)]
pub struct CheckpointPlan {
    /// `<run>/checkpoints`.
    pub root: PathBuf,
    /// Every this many epochs (0: only at the end).
    pub every: usize,
    /// The experiment as run (TOML), recorded in every checkpoint.
    pub config: String,
}

/// What to train and how.
#[derive(Clone)]
pub struct Schedule<'a> {
    pub plan: &'a Plan,
    /// Trained together; their splits must have one size.
    pub programs: &'a [Program],
    /// The plan's variants to train (indices).
    pub variants: &'a [usize],
    /// Worker threads the fused engine may use.
    pub threads: usize,
    /// Whether per-layer statistics are captured (the plan's `[probes]` decides when).
    pub probe: bool,
    pub checkpoints: Option<CheckpointPlan>,
    /// Continue from the checkpoints of this epoch.
    pub resume: Option<usize>,
    pub backend: &'a BackendInfo,
}

/// One program's part of the joint ensemble, as training goes.
pub(super) struct ProgramState {
    pub index: usize,
    pub data_seed: u32,
    pub members: Vec<Member>,
    /// This program's members in the joint ensemble.
    pub range: Range<usize>,
    /// This program's data-order streams in the joint list.
    pub rngs: Range<usize>,
    pub histories: Vec<History>,
    pub probes: ProbeLog,
}

/// Trains the schedule's programs as one ensemble and returns each program's result as if it
/// had trained alone: member for member the same numbers.
pub fn train<B: AutodiffBackend>(
    s: &Schedule,
    device: &B::Device,
    progress: &Progress,
) -> Result<Vec<Trained<Network<B>>>, TrainError> {
    let arch = &s.plan.architecture;
    let engine = fused::resolve(s.plan, s.backend)?;
    let mut models = Vec::new();
    let mut states: Vec<ProgramState> = Vec::new();
    let mut rngs: Vec<NumpyRng> = Vec::new();
    let mut resumed: Vec<(PathBuf, CheckpointMeta)> = Vec::new();
    for program in s.programs {
        let (mut model, members, program_rngs) =
            initial_ensemble::<B>(s.plan, &program.seeds, s.variants, device);
        if let (Some(epoch), Some(c)) = (s.resume, &s.checkpoints) {
            let dir = checkpoint::checkpoint_dir(&c.root, epoch, program.index);
            let meta = resumable(s, &dir, &members, &c.config)?;
            model = checkpoint::load_model(&dir, &meta, model, device)?;
            resumed.push((dir, meta));
        }
        let first = states.last().map_or(0, |p| p.range.end);
        states.push(ProgramState {
            index: program.index,
            data_seed: program.data_seed,
            range: first..first + members.len(),
            rngs: rngs.len()..rngs.len() + program_rngs.len(),
            histories: vec![History::default(); members.len()],
            probes: ProbeLog::default(),
            members,
        });
        rngs.extend(program_rngs);
        models.push(model);
    }
    let model = concat(models);
    let data = MemberData {
        splits: s.programs.iter().map(|p| Arc::clone(&p.split)).collect(),
        split_of: states
            .iter()
            .enumerate()
            .flat_map(|(i, p)| std::iter::repeat_n(i, p.members.len()))
            .collect(),
    };
    let train = &s.plan.experiment.train;
    let (spec, rates) = (train.optimizer_spec(), (train.lr, train.batch_size));
    let run = Run {
        schedule: s,
        states,
        rngs,
        resumed,
    };
    if engine == Engine::Fused
        && let Some(steps) = FusedSteps::new(&model, spec, rates, data.clone(), s.threads, device)
    {
        return run.epochs(steps, device, progress);
    }
    let steps = Epochs::new(model, spec, rates, data, arch.outputs, device);
    run.epochs(steps, device, progress)
}

/// The checkpoint's metadata, refused unless it belongs to this run and these members.
fn resumable(
    s: &Schedule,
    dir: &std::path::Path,
    members: &[Member],
    config: &str,
) -> Result<CheckpointMeta, CheckpointError> {
    let meta = checkpoint::load_meta(dir)?;
    let expected: Vec<(usize, u32)> = members.iter().map(|m| (m.variant, m.seed)).collect();
    if meta.members != expected {
        return Err(CheckpointError::Mismatch {
            path: dir.into(),
            message: format!("members {:?}, expected {expected:?}", meta.members),
        });
    }
    let train = &s.plan.experiment.train;
    meta.check_belongs(
        dir,
        train.optimizer,
        &s.plan.architecture.describe(),
        s.backend,
        config,
    )?;
    Ok(meta)
}

/// The state of one training run of the schedule.
struct Run<'a> {
    schedule: &'a Schedule<'a>,
    states: Vec<ProgramState>,
    rngs: Vec<NumpyRng>,
    resumed: Vec<(PathBuf, CheckpointMeta)>,
}

impl Run<'_> {
    fn epochs<B: AutodiffBackend, S: Steps<Network<B>>>(
        mut self,
        mut steps: S,
        device: &B::Device,
        progress: &Progress,
    ) -> Result<Vec<Trained<Network<B>>>, TrainError> {
        let s = self.schedule;
        let (train, last) = (&s.plan.experiment.train, s.plan.experiment.train.epochs);
        let (mut seconds, first) = self.restore(&mut steps)?;
        progress.inc(((first - 1) * s.programs.len()) as u64);
        let mut probing = Probing::new(s, &self.states[0]);
        let checkpointing = s.checkpoints.as_ref().map(|c| Checkpointing {
            plan: c,
            schedule: s,
            last,
        });
        if first == 1 {
            probing.observe(&steps.model(), 0, &mut self.states[0].probes, device);
        }
        // Member `k`'s data-order stream in the joint list.
        let rng_of: Vec<usize> = self
            .states
            .iter()
            .flat_map(|p| (0..p.members.len()).map(move |k| p.rngs.start + k % p.rngs.len()))
            .collect();
        let rows = s.programs[0].split.train.len();
        for epoch in first..=last {
            let orders = NumpyRng::permutations(&mut self.rngs, rows);
            let active = self
                .states
                .iter()
                .flat_map(|p| &p.histories)
                .any(History::is_active);
            if active {
                let member_orders: Vec<Vec<usize>> =
                    rng_of.iter().map(|&r| orders[r].clone()).collect();
                let started = Instant::now();
                let losses = steps.train_epoch(&member_orders);
                seconds += started.elapsed().as_secs_f64();
                self.record(epoch, &losses, &steps.evaluate(), train.diverge_above);
                if probing.due(epoch, last) {
                    probing.observe(&steps.model(), epoch, &mut self.states[0].probes, device);
                }
                if let Some(c) = checkpointing.as_ref().filter(|c| c.due(epoch)) {
                    c.save(&steps, epoch, &self.states, &self.rngs, seconds)?;
                }
            }
            progress.inc(s.programs.len() as u64);
        }
        Ok(self.finish(&steps, seconds))
    }

    /// Restores the optimizer, histories, probes and data-order streams of the checkpoints
    /// resumed from; returns the training time so far and the first epoch to train.
    fn restore<M, S: Steps<M>>(&mut self, steps: &mut S) -> Result<(f64, usize), TrainError> {
        let Some((_, first)) = self.resumed.first() else {
            return Ok((0.0, 1));
        };
        let (seconds, epoch) = (first.train_seconds, first.epoch);
        for (dir, meta) in &self.resumed {
            checkpoint::verify_optimizer(dir, meta)?;
        }
        let dirs: Vec<&std::path::Path> = self.resumed.iter().map(|(d, _)| d.as_path()).collect();
        steps
            .load_optimizer(&dirs)
            .map_err(|message| CheckpointError::Mismatch {
                path: dirs[0].into(),
                message,
            })?;
        for (state, (_, meta)) in self.states.iter_mut().zip(&self.resumed) {
            state.histories = meta.histories.clone();
            state.probes = meta.probes.clone();
            self.rngs
                .splice(state.rngs.clone(), meta.order_rngs.clone());
        }
        Ok((seconds, epoch + 1))
    }

    /// Records each member's epoch metrics in its program's histories.
    fn record(&mut self, epoch: usize, losses: &[f64], eval: &Evaluation, diverge_above: f64) {
        for state in &mut self.states {
            for (k, history) in state.range.clone().zip(&mut state.histories) {
                let metrics = EpochMetrics {
                    epoch,
                    train_loss: losses[k],
                    train_accuracy: eval.train_accuracy[k],
                    test_loss: eval.test_loss[k],
                    test_accuracy: eval.test_accuracy[k],
                };
                history.push(metrics, diverge_above);
            }
        }
    }

    /// Each program's result: its members cut out of the joint ensemble.
    fn finish<B: AutodiffBackend, S: Steps<Network<B>>>(
        self,
        steps: &S,
        seconds: f64,
    ) -> Vec<Trained<Network<B>>> {
        let model = steps.model();
        let total: usize = self.states.iter().map(|p| p.members.len()).sum();
        self.states
            .into_iter()
            .map(|state| Trained {
                model: select(&model, state.range.clone()),
                engine: steps.engine(),
                // The joint time, shared out by members, so that the programs' times add up.
                seconds: seconds * state.members.len() as f64 / total as f64,
                members: state.members,
                histories: state.histories,
                probes: state.probes,
            })
            .collect()
    }
}
