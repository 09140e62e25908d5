//! When the epoch loop probes and when it checkpoints: policies beside the loop, each deciding
//! whether an epoch is due and doing the work when it is.

use burn::tensor::backend::AutodiffBackend;

use super::schedule::{CheckpointPlan, ProgramState, Schedule};
use crate::{
    analysis::probe::{Probe, ProbeLog, ProbeSet},
    checkpoint::{self, CheckpointError, CheckpointMeta, FORMAT_VERSION},
    learner::Steps,
    model::{Network, select},
    numpy_rng::NumpyRng,
};

/// Probes each variant's first member of the first program, per the plan's `[probes]`.
pub(super) struct Probing<'a> {
    schedule: &'a Schedule<'a>,
    set: Option<ProbeSet>,
    /// `(member index, variant name)`.
    members: Vec<(usize, String)>,
}

impl<'a> Probing<'a> {
    pub fn new(schedule: &'a Schedule<'a>, first: &ProgramState) -> Self {
        let plan = schedule.plan;
        let config = &plan.experiment.probes;
        let enabled = schedule.probe && config.enabled;
        let split = &schedule.programs[0].split;
        let set = enabled.then(|| {
            let data = if config.set == "train" {
                &split.train
            } else {
                &split.test
            };
            ProbeSet::new(data, config.max_points, plan.architecture.outputs)
        });
        let members = schedule
            .variants
            .iter()
            .filter_map(|&v| {
                let k = first.members.iter().position(|m| m.variant == v)?;
                Some((k, plan.variants[v].name.clone()))
            })
            .collect();
        Self {
            schedule,
            set,
            members,
        }
    }

    pub fn due(&self, epoch: usize, last: usize) -> bool {
        self.set.is_some()
            && self
                .schedule
                .plan
                .experiment
                .probes
                .is_probe_epoch(epoch, last)
    }

    /// Probes `model` (the whole joint ensemble; the first program's members come first).
    pub fn observe<B: AutodiffBackend>(
        &mut self,
        model: &Network<B>,
        epoch: usize,
        log: &mut ProbeLog,
        device: &B::Device,
    ) {
        let Some(set) = &self.set else {
            return;
        };
        let plan = self.schedule.plan;
        let probe = Probe {
            set,
            config: &plan.experiment.probes,
            outputs: plan.architecture.outputs,
        };
        let last = plan.experiment.train.epochs;
        let boundary = (epoch == 0 || epoch == last) && plan.experiment.analysis.decision_grid;
        probe.observe(model, &self.members, epoch, boundary, log, device);
    }
}

/// Saves each program's checkpoint every `every` epochs and at the last.
pub(super) struct Checkpointing<'a> {
    pub plan: &'a CheckpointPlan,
    pub schedule: &'a Schedule<'a>,
    pub last: usize,
}

impl Checkpointing<'_> {
    pub fn due(&self, epoch: usize) -> bool {
        epoch == self.last || (self.plan.every > 0 && epoch.is_multiple_of(self.plan.every))
    }

    /// Writes every program's checkpoint at `epoch`; the model is copied out once.
    pub fn save<B: AutodiffBackend, S: Steps<Network<B>>>(
        &self,
        steps: &S,
        epoch: usize,
        states: &[ProgramState],
        rngs: &[NumpyRng],
        seconds: f64,
    ) -> Result<(), CheckpointError> {
        let model = steps.model();
        let plan = self.schedule.plan;
        for state in states {
            let meta = CheckpointMeta {
                format_version: FORMAT_VERSION,
                actlab_version: env!("CARGO_PKG_VERSION").into(),
                config: self.plan.config.clone(),
                epoch,
                backend: self.schedule.backend.clone(),
                engine: steps.engine(),
                optimizer: plan.experiment.train.optimizer,
                architecture: plan.architecture.describe(),
                program: state.index,
                data_seed: state.data_seed,
                members: state.members.iter().map(|m| (m.variant, m.seed)).collect(),
                histories: state.histories.clone(),
                order_rngs: rngs[state.rngs.clone()].to_vec(),
                train_seconds: seconds,
                probes: state.probes.clone(),
                checksums: Default::default(),
            };
            let part = select(&model, state.range.clone());
            checkpoint::save(&self.plan.root, &meta, &part, |dir| {
                steps.save_optimizer(dir, state.range.clone())
            })?;
        }
        Ok(())
    }
}
