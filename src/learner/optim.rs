//! Optimizers: SGD (plain, momentum, Nesterov; optional weight decay), Adam and AdamW, as
//! Burn's own optimizers over any model module. (The fused engine applies the same update rules
//! to host buffers, in the `fused` module's `update`.)

use std::{fmt, str::FromStr};

use burn::{
    module::AutodiffModule,
    optim::{
        Adam, AdamConfig, AdamW, AdamWConfig, GradientsParams, Optimizer, Sgd, SgdConfig,
        adaptor::OptimizerAdaptor, decay::WeightDecayConfig, momentum::MomentumConfig,
    },
    record::{DoublePrecisionSettings, NamedMpkFileRecorder, Recorder},
    tensor::backend::AutodiffBackend,
};
use serde::{Deserialize, Serialize};

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
}

impl OptimizerSpec {
    pub fn sgd() -> Self {
        Self {
            kind: OptimizerKind::Sgd,
            momentum: 0.0,
            weight_decay: 0.0,
            betas: [0.9, 0.999],
            epsilon: 1e-8,
        }
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
}

impl<B: AutodiffBackend, M: AutodiffModule<B>> BurnOptimizer<B, M> {
    pub fn new(spec: &OptimizerSpec) -> Self {
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
            OptimizerKind::AdamW => Self::AdamW(
                AdamWConfig::new()
                    .with_beta_1(beta_1)
                    .with_beta_2(beta_2)
                    .with_epsilon(spec.epsilon as f32)
                    .with_weight_decay(spec.weight_decay as f32)
                    .init(),
            ),
        }
    }

    /// Saves the optimizer state with Burn's named MessagePack recorder in float64.
    pub fn save(&self, path: &std::path::Path) -> Result<(), String> {
        let recorder = NamedMpkFileRecorder::<DoublePrecisionSettings>::new();
        let result = match self {
            Self::Sgd(o) => Recorder::<B>::record(&recorder, o.to_record(), path.into()),
            Self::Adam(o) => Recorder::<B>::record(&recorder, o.to_record(), path.into()),
            Self::AdamW(o) => Recorder::<B>::record(&recorder, o.to_record(), path.into()),
        };
        result.map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Restores the state written by [`Self::save`].
    pub fn load(&mut self, path: &std::path::Path, device: &B::Device) -> Result<(), String> {
        let recorder = NamedMpkFileRecorder::<DoublePrecisionSettings>::new();
        let fail = |e: burn::record::RecorderError| format!("{}: {e}", path.display());
        match self {
            Self::Sgd(o) => {
                *o = o
                    .clone()
                    .load_record(Recorder::<B>::load(&recorder, path.into(), device).map_err(fail)?)
            }
            Self::Adam(o) => {
                *o = o
                    .clone()
                    .load_record(Recorder::<B>::load(&recorder, path.into(), device).map_err(fail)?)
            }
            Self::AdamW(o) => {
                *o = o
                    .clone()
                    .load_record(Recorder::<B>::load(&recorder, path.into(), device).map_err(fail)?)
            }
        }
        Ok(())
    }

    pub fn step(&mut self, lr: f64, model: M, grads: GradientsParams) -> M {
        match self {
            Self::Sgd(o) => o.step(lr, model, grads),
            Self::Adam(o) => o.step(lr, model, grads),
            Self::AdamW(o) => o.step(lr, model, grads),
        }
    }
}
