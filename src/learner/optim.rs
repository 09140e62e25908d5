//! Optimizers: SGD (plain, momentum, Nesterov; optional weight decay), Adam and AdamW (weight
//! decay on every parameter, or on matrices only as nanoGPT's two groups), as Burn's own
//! optimizers over any model module, with optional gradient-norm clipping. (The fused engine
//! applies the same update rules to host buffers, in the `fused` module's `update`.)

use std::{
    fmt,
    path::{Path, PathBuf},
    str::FromStr,
};

use burn::{
    module::AutodiffModule,
    optim::{
        Adam, AdamConfig, AdamW, AdamWConfig, GradientsParams, Optimizer, Sgd, SgdConfig,
        SimpleOptimizer, adaptor::OptimizerAdaptor, decay::WeightDecayConfig,
        momentum::MomentumConfig,
    },
    record::{DoublePrecisionSettings, NamedMpkFileRecorder, Record, Recorder},
    tensor::backend::{AutodiffBackend, Backend},
};
use serde::{Deserialize, Serialize};

use super::gradients::split_matrices;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum OptimizerKind {
    Sgd,
    Momentum,
    Nesterov,
    Adam,
    AdamW,
}

impl OptimizerKind {
    pub const ALL: [OptimizerKind; 5] = [
        Self::Sgd,
        Self::Momentum,
        Self::Nesterov,
        Self::Adam,
        Self::AdamW,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Sgd => "sgd",
            Self::Momentum => "momentum",
            Self::Nesterov => "nesterov",
            Self::Adam => "adam",
            Self::AdamW => "adamw",
        }
    }

    pub fn names() -> String {
        Self::ALL.map(Self::name).join(", ")
    }
}

impl fmt::Display for OptimizerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for OptimizerKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|o| o.name() == s)
            .ok_or_else(|| format!("unknown optimizer `{s}`; allowed: {}", Self::names()))
    }
}

impl TryFrom<String> for OptimizerKind {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<OptimizerKind> for String {
    fn from(o: OptimizerKind) -> Self {
        o.name().into()
    }
}

/// An optimizer and its hyper-parameters (the learning rate is passed at each step).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OptimizerSpec {
    pub kind: OptimizerKind,
    /// Momentum coefficient of `momentum` and `nesterov` (no dampening).
    pub momentum: f64,
    /// L2 penalty added to the gradient (SGD family, Adam) or decoupled decay (AdamW); Burn
    /// stores it in float32, so it is applied as `weight_decay as f32`.
    pub weight_decay: f64,
    pub betas: [f64; 2],
    pub epsilon: f64,
    /// AdamW's decay on parameters of rank 2 and more only (matrices, embeddings), as
    /// nanoGPT's `configure_optimizers`: for a model whose parameters are not stacked on a
    /// member dimension ([`crate::model::Family::stacked`]), where biases and gains are rank 1.
    pub decay_matrices_only: bool,
    /// Clip the global gradient norm to this before the update: for a model of one member,
    /// since the norm is taken over every parameter together.
    pub grad_clip: Option<f64>,
}

impl OptimizerSpec {
    pub fn sgd() -> Self {
        Self {
            kind: OptimizerKind::Sgd,
            momentum: 0.0,
            weight_decay: 0.0,
            betas: [0.9, 0.999],
            epsilon: 1e-8,
            decay_matrices_only: false,
            grad_clip: None,
        }
    }

    /// Whether this spec groups or clips parameters, which only the learner's Burn path
    /// does, and only for models that allow it (see the fields).
    pub fn groups_or_clips(&self) -> bool {
        self.decay_matrices_only || self.grad_clip.is_some()
    }

    fn decay(&self) -> Option<WeightDecayConfig> {
        (self.weight_decay > 0.0).then(|| WeightDecayConfig::new(self.weight_decay as f32))
    }
}

type Adaptor<O, M, B> = OptimizerAdaptor<O, M, B>;

/// Burn's optimizer for an [`OptimizerSpec`], over model `M`.
#[derive(Clone)]
pub enum BurnOptimizer<B: AutodiffBackend, M: AutodiffModule<B>> {
    Sgd(Adaptor<Sgd<B::InnerBackend>, M, B>),
    Adam(Adaptor<Adam, M, B>),
    AdamW(Adaptor<AdamW, M, B>),
    /// AdamW with decay on matrices only: one optimizer per group, each handed its group's
    /// gradients.
    AdamWGroups {
        matrices: Adaptor<AdamW, M, B>,
        rest: Adaptor<AdamW, M, B>,
    },
}

/// The file suffixes of [`BurnOptimizer::AdamWGroups`]' two states.
const GROUP_SUFFIXES: [&str; 2] = ["-decay", "-no-decay"];

impl<B: AutodiffBackend, M: AutodiffModule<B>> BurnOptimizer<B, M> {
    /// # Panics
    /// When `spec` asks for decay on matrices only of an optimizer other than AdamW.
    pub fn new(spec: &OptimizerSpec) -> Self {
        assert!(
            !spec.decay_matrices_only || spec.kind == OptimizerKind::AdamW,
            "decay on matrices only is an AdamW option, not {}'s",
            spec.kind
        );
        let [beta_1, beta_2] = spec.betas.map(|b| b as f32);
        match spec.kind {
            OptimizerKind::Sgd | OptimizerKind::Momentum | OptimizerKind::Nesterov => {
                let momentum = (spec.kind != OptimizerKind::Sgd).then(|| MomentumConfig {
                    momentum: spec.momentum,
                    dampening: 0.0,
                    nesterov: spec.kind == OptimizerKind::Nesterov,
                });
                Self::Sgd(
                    SgdConfig::new()
                        .with_momentum(momentum)
                        .with_weight_decay(spec.decay())
                        .init(),
                )
            }
            OptimizerKind::Adam => Self::Adam(
                AdamConfig::new()
                    .with_beta_1(beta_1)
                    .with_beta_2(beta_2)
                    .with_epsilon(spec.epsilon as f32)
                    .with_weight_decay(spec.decay())
                    .init(),
            ),
            OptimizerKind::AdamW => {
                let adamw = |decay: f64| {
                    AdamWConfig::new()
                        .with_beta_1(beta_1)
                        .with_beta_2(beta_2)
                        .with_epsilon(spec.epsilon as f32)
                        .with_weight_decay(decay as f32)
                        .init()
                };
                if spec.decay_matrices_only {
                    Self::AdamWGroups {
                        matrices: adamw(spec.weight_decay),
                        rest: adamw(0.0),
                    }
                } else {
                    Self::AdamW(adamw(spec.weight_decay))
                }
            }
        }
    }

    /// Saves the optimizer state into `dir` as `<stem>.mpk` (two groups: `<stem>-decay.mpk`
    /// and `<stem>-no-decay.mpk`), with Burn's named MessagePack recorder in float64; returns
    /// the files written.
    pub fn save(&self, dir: &Path, stem: &str) -> Result<Vec<String>, String> {
        fn write<B: Backend, R: Record<B>>(
            dir: &Path,
            file: &str,
            record: R,
        ) -> Result<String, String> {
            let path = dir.join(file);
            NamedMpkFileRecorder::<DoublePrecisionSettings>::new()
                .record(record, path.clone())
                .map_err(|e| format!("{}.mpk: {e}", path.display()))
                .map(|()| format!("{file}.mpk"))
        }
        match self {
            Self::Sgd(o) => Ok(vec![write::<B, _>(dir, stem, o.to_record())?]),
            Self::Adam(o) => Ok(vec![write::<B, _>(dir, stem, o.to_record())?]),
            Self::AdamW(o) => Ok(vec![write::<B, _>(dir, stem, o.to_record())?]),
            Self::AdamWGroups { matrices, rest } => [matrices, rest]
                .into_iter()
                .zip(GROUP_SUFFIXES)
                .map(|(o, suffix)| write::<B, _>(dir, &format!("{stem}{suffix}"), o.to_record()))
                .collect(),
        }
    }

    /// Restores the state written by [`Self::save`].
    pub fn load(&mut self, dir: &Path, stem: &str, device: &B::Device) -> Result<(), String> {
        fn read<B: AutodiffBackend, O, M>(
            optimizer: &mut Adaptor<O, M, B>,
            path: PathBuf,
            device: &B::Device,
        ) -> Result<(), String>
        where
            O: SimpleOptimizer<B::InnerBackend>,
            M: AutodiffModule<B>,
        {
            let recorder = NamedMpkFileRecorder::<DoublePrecisionSettings>::new();
            let record = Recorder::<B>::load(&recorder, path.clone(), device)
                .map_err(|e| format!("{}.mpk: {e}", path.display()))?;
            *optimizer = optimizer.clone().load_record(record);
            Ok(())
        }
        match self {
            Self::Sgd(o) => read(o, dir.join(stem), device),
            Self::Adam(o) => read(o, dir.join(stem), device),
            Self::AdamW(o) => read(o, dir.join(stem), device),
            Self::AdamWGroups { matrices, rest } => {
                read(
                    matrices,
                    dir.join(format!("{stem}{}", GROUP_SUFFIXES[0])),
                    device,
                )?;
                read(
                    rest,
                    dir.join(format!("{stem}{}", GROUP_SUFFIXES[1])),
                    device,
                )
            }
        }
    }

    /// One update of `model` at learning rate `lr`.
    pub fn step(&mut self, lr: f64, model: M, grads: GradientsParams) -> M {
        match self {
            Self::Sgd(o) => o.step(lr, model, grads),
            Self::Adam(o) => o.step(lr, model, grads),
            Self::AdamW(o) => o.step(lr, model, grads),
            Self::AdamWGroups { matrices, rest } => {
                let (decayed, plain) = split_matrices(&model, grads);
                let model = matrices.step(lr, model, decayed);
                rest.step(lr, model, plain)
            }
        }
    }
}
