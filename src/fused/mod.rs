//! The fused CPU engine: an accelerator for the one case it covers, plain MLP ensembles with a
//! sigmoid output unit trained in float64 on the CPU.
//!
//! actlab's networks are often tiny (a seed-protocol step is ~45 thousand flops), so a tensor
//! framework spends nearly all its time in per-operation overhead. This engine runs the same
//! maths as the Burn learner (the `mlp` family's forward pass, its autodiff and Burn's
//! optimizers) over plain host buffers, operation for operation, so both give the same bits
//! (tests hold them to each other and to numpy). [`supports`] is the capability boundary:
//! `engine = "auto"` uses this engine only where it computes exactly what the Burn learner
//! would; everything else trains on Burn.

mod ensemble;
mod groups;
mod kernel;
mod lanes;
mod simd;
mod update;

pub use ensemble::FusedEnsemble;
pub use lanes::Scratch;
pub use simd::InstructionSet;
pub use update::HostState;

use std::{ops::Range, path::Path};

use burn::tensor::backend::{AutodiffBackend, Backend};

use crate::{
    backend::BackendInfo,
    config::Plan,
    learner::{Engine, Evaluation, MemberData, OptimizerSpec, Steps},
    model::{FamilyKind, Network, NormKind},
};

/// What the fused engine lacks to train a configuration: one entry per missing capability.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the fused engine does not support {}", .0.join(", "))]
pub struct Unsupported(pub Vec<String>);

/// Whether the fused engine computes exactly what the Burn learner would for `plan` on
/// `backend`: a plain `mlp` without normalization, one output unit (two classes), activations
/// without a gain or shift, and a float64 CPU backend. Every activation, init and optimizer of
/// actlab is supported.
pub fn supports(plan: &Plan, backend: &BackendInfo) -> Result<(), Unsupported> {
    let arch = &plan.architecture;
    let mut lacks = Vec::new();
    if let Some(v) = plan.variants.iter().find(|v| !v.nonlinearity.is_plain()) {
        lacks.push(format!(
            "an activation gain or shift (variant `{}`: {})",
            v.name, v.nonlinearity
        ));
    }
    if arch.family != FamilyKind::Mlp {
        lacks.push(format!("the `{}` family (only `mlp`)", arch.family));
    }
    if arch.norm != NormKind::None {
        lacks.push(format!("{} normalization", arch.norm.name()));
    }
    if arch.outputs != 1 {
        lacks.push(format!(
            "{} outputs (only one sigmoid unit, two classes)",
            arch.outputs
        ));
    }
    if !(backend.backend == "ndarray" && backend.precision == "f64") {
        lacks.push(format!(
            "the {} backend in {} (only float64 on the CPU: `--backend ndarray`)",
            backend.backend, backend.precision
        ));
    }
    if lacks.is_empty() {
        Ok(())
    } else {
        Err(Unsupported(lacks))
    }
}

/// The engine that trains `arch` on `backend` when `asked` for: `auto` resolved, or an error
/// naming what the fused engine lacks when it was asked for by name.
pub fn resolve(plan: &Plan, backend: &BackendInfo) -> Result<Engine, Unsupported> {
    match plan.experiment.train.engine {
        Engine::Auto if supports(plan, backend).is_ok() => Ok(Engine::Fused),
        Engine::Auto | Engine::Burn => Ok(Engine::Burn),
        Engine::Fused => supports(plan, backend).map(|()| Engine::Fused),
    }
}

/// The fused engine behind the learner's [`Steps`], for a [`Network`] of the `mlp` family.
pub struct FusedSteps<B: Backend> {
    ensemble: FusedEnsemble,
    data: MemberData,
    lr: f64,
    batch_size: usize,
    device: B::Device,
}

impl<B: Backend> FusedSteps<B> {
    /// Copies `model`'s parameters to the host, to train with `optimizer` on up to `threads`
    /// threads; `None` unless the model is a plain MLP with one output unit (the kernel's
    /// loss is the sigmoid's binary cross-entropy) and the optimizer neither groups nor clips.
    pub fn new(
        model: &Network<B>,
        optimizer: OptimizerSpec,
        (lr, batch_size): (f64, usize),
        data: MemberData,
        threads: usize,
        device: &B::Device,
    ) -> Option<Self> {
        if optimizer.groups_or_clips() {
            return None;
        }
        let mlp = model
            .as_mlp()
            .filter(|m| m.norms.is_empty() && m.activations.iter().all(|n| n.is_plain()))
            .filter(|m| m.dims().last() == Some(&1))?;
        Some(Self {
            ensemble: FusedEnsemble::from_mlp(mlp, optimizer, threads),
            data,
            lr,
            batch_size,
            device: device.clone(),
        })
    }
}

impl<B: AutodiffBackend> Steps<Network<B>> for FusedSteps<B> {
    fn engine(&self) -> Engine {
        Engine::Fused
    }

    fn train_epoch(&mut self, orders: &[Vec<usize>]) -> Vec<f64> {
        let train = self.data.sets(false);
        self.ensemble
            .train_epoch(&train, orders, self.batch_size, self.lr)
    }

    fn evaluate(&mut self) -> Evaluation {
        let (train_loss, train_accuracy) = self.ensemble.evaluate(&self.data.sets(false));
        let (test_loss, test_accuracy) = self.ensemble.evaluate(&self.data.sets(true));
        Evaluation {
            train_loss,
            train_accuracy,
            test_loss,
            test_accuracy,
        }
    }

    fn model(&self) -> Network<B> {
        Network::Mlp(self.ensemble.to_mlp(&self.device))
    }

    /// `optimizer.json`: the host optimizer state of each member in `members`.
    fn save_optimizer(&self, dir: &Path, members: Range<usize>) -> Result<Vec<String>, String> {
        let states = &self.ensemble.optimizer_states()[members];
        let text = serde_json::to_string(states).map_err(|e| e.to_string())?;
        crate::store::write_text(&dir.join("optimizer.json"), &text).map_err(|e| e.to_string())?;
        Ok(vec!["optimizer.json".into()])
    }

    fn load_optimizer(&mut self, dirs: &[&Path]) -> Result<(), String> {
        let mut states = Vec::new();
        for dir in dirs {
            let path = dir.join("optimizer.json");
            let text = std::fs::read_to_string(&path).map_err(|e| {
                format!(
                    "{}: cannot read the optimizer state ({e}); the checkpoint is incomplete",
                    path.display()
                )
            })?;
            let part: Vec<_> = serde_json::from_str(&text)
                .map_err(|e| format!("{}: not an optimizer state: {e}", path.display()))?;
            states.extend(part);
        }
        self.ensemble.set_optimizer_states(states)
    }
}
