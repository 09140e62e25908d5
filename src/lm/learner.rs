//! The language-model learner: one AdamW step on a batch of windows, as nanoGPT's `train.py`
//! takes it: the mean next-token cross-entropy, the global gradient norm clipped, decoupled
//! weight decay on matrices and embeddings only (two Burn AdamW optimizers over the same model,
//! each handed its group's gradients), and the learning rate of the schedule.

use std::path::Path;

use burn::{
    module::{AutodiffModule, Module, ModuleVisitor, Param, ParamId},
    optim::{AdamW, AdamWConfig, GradientsParams, Optimizer, adaptor::OptimizerAdaptor},
    record::{DoublePrecisionSettings, NamedMpkFileRecorder, Recorder},
    tensor::{
        Int, Tensor,
        activation::log_softmax,
        backend::{AutodiffBackend, Backend},
    },
};

use super::batches::TokenBatch;
use crate::model::gpt::Gpt;

/// The mean cross-entropy of `logits` `[B, T, V]` against `targets` `[B, T]`: `[1]`.
pub fn cross_entropy<B: Backend>(logits: Tensor<B, 3>, targets: Tensor<B, 2, Int>) -> Tensor<B, 1> {
    let [batch, time, vocab] = logits.dims();
    let log_p = log_softmax(logits.reshape([batch * time, vocab]), 1); // [B*T, V]
    let picked = log_p.gather(1, targets.reshape([batch * time, 1])); // [B*T, 1]
    picked.mean().neg()
}

type Adaptor<B> = OptimizerAdaptor<AdamW, Gpt<B>, B>;

/// The optimizer's hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamWSpec {
    pub betas: [f64; 2],
    pub weight_decay: f64,
    /// 0: no clipping.
    pub grad_clip: f64,
}

pub struct LmLearner<B: AutodiffBackend> {
    pub model: Gpt<B>,
    decayed: Adaptor<B>,
    plain: Adaptor<B>,
    grad_clip: f64,
}

/// The files a learner's optimizer state is saved to, beside the model.
pub const OPTIMIZER_FILES: [&str; 2] = ["optimizer-decay.mpk", "optimizer-no-decay.mpk"];

fn adamw<B: AutodiffBackend>(spec: &AdamWSpec, weight_decay: f64) -> Adaptor<B> {
    AdamWConfig::new()
        .with_beta_1(spec.betas[0] as f32)
        .with_beta_2(spec.betas[1] as f32)
        .with_epsilon(1e-8)
        .with_weight_decay(weight_decay as f32)
        .init()
}

impl<B: AutodiffBackend> LmLearner<B> {
    pub fn new(model: Gpt<B>, spec: &AdamWSpec) -> Self {
        Self {
            model,
            decayed: adamw(spec, spec.weight_decay),
            plain: adamw(spec, 0.0),
            grad_clip: spec.grad_clip,
        }
    }

    /// One update at learning rate `lr`; returns the batch's loss before it, `[1]`, left on
    /// the device.
    pub fn step(&mut self, batch: &TokenBatch<B>, lr: f64) -> Tensor<B::InnerBackend, 1> {
        let logits = self.model.forward(batch.x.clone()); // [B, T, V]
        let loss = cross_entropy(logits, batch.y.clone()); // [1]
        let value = loss.clone().inner();
        let mut grads = GradientsParams::from_grads(loss.backward(), &self.model);
        if self.grad_clip > 0.0 {
            // torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6) where that is
            // below 1. Computed on the device (multiplying by exactly 1 changes nothing), so a
            // step never waits on the host.
            let coefficient = global_norm(&self.model, &grads)
                .add_scalar(1e-6)
                .recip()
                .mul_scalar(self.grad_clip)
                .clamp_max(1.0); // [1]
            grads = scaled(&self.model, grads, coefficient);
        }
        let (decayed, plain) = split(&self.model, grads);
        let model = self.decayed.step(lr, self.model.clone(), decayed);
        self.model = self.plain.step(lr, model, plain);
        value
    }

    /// Saves both optimizers' state into `dir`, in float64.
    pub fn save_optimizer(&self, dir: &Path) -> Result<Vec<String>, String> {
        let recorder = NamedMpkFileRecorder::<DoublePrecisionSettings>::new();
        for (optimizer, file) in [&self.decayed, &self.plain]
            .into_iter()
            .zip(OPTIMIZER_FILES)
        {
            let path = dir.join(file.trim_end_matches(".mpk"));
            Recorder::<B>::record(&recorder, optimizer.to_record(), path)
                .map_err(|e| format!("{file}: {e}"))?;
        }
        Ok(OPTIMIZER_FILES.map(String::from).to_vec())
    }

    /// Restores the state [`Self::save_optimizer`] wrote.
    pub fn load_optimizer(&mut self, dir: &Path, device: &B::Device) -> Result<(), String> {
        let recorder = NamedMpkFileRecorder::<DoublePrecisionSettings>::new();
        for (optimizer, file) in [&mut self.decayed, &mut self.plain]
            .into_iter()
            .zip(OPTIMIZER_FILES)
        {
            let path = dir.join(file.trim_end_matches(".mpk"));
            let record =
                Recorder::<B>::load(&recorder, path, device).map_err(|e| format!("{file}: {e}"))?;
            *optimizer = optimizer.clone().load_record(record);
        }
        Ok(())
    }
}

/// The L2 norm of every gradient together, `[1]`, left on the device.
fn global_norm<B: AutodiffBackend>(
    model: &Gpt<B>,
    grads: &GradientsParams,
) -> Tensor<B::InnerBackend, 1> {
    struct Norm<'a, B: AutodiffBackend> {
        grads: &'a GradientsParams,
        sum: Option<Tensor<B::InnerBackend, 1>>,
    }
    impl<B: AutodiffBackend> ModuleVisitor<B> for Norm<'_, B> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            if let Some(g) = self.grads.get::<B::InnerBackend, D>(param.id) {
                let squares = (g.clone() * g).sum(); // [1]
                self.sum = Some(match self.sum.take() {
                    Some(sum) => sum + squares,
                    None => squares,
                });
            }
        }
    }
    let mut norm = Norm::<B> { grads, sum: None };
    model.visit(&mut norm);
    norm.sum.expect("a model has parameters").sqrt()
}

/// Every gradient multiplied by `coefficient`, `[1]`.
fn scaled<B: AutodiffBackend>(
    model: &Gpt<B>,
    mut grads: GradientsParams,
    coefficient: Tensor<B::InnerBackend, 1>,
) -> GradientsParams {
    for (id, rank) in parameters(model) {
        macro_rules! scale {
            ($d:literal) => {
                if let Some(g) = grads.remove::<B::InnerBackend, $d>(id) {
                    let c = coefficient.clone().reshape([1; $d]);
                    grads.register::<B::InnerBackend, $d>(id, g * c);
                }
            };
        }
        match rank {
            1 => scale!(1),
            2 => scale!(2),
            3 => scale!(3),
            _ => scale!(4),
        }
    }
    grads
}

/// The gradients of matrices and embeddings (rank 2 and more: decayed), and of the rest.
fn split<B: AutodiffBackend>(
    model: &Gpt<B>,
    mut grads: GradientsParams,
) -> (GradientsParams, GradientsParams) {
    let mut decayed = GradientsParams::new();
    for (id, rank) in parameters(model) {
        macro_rules! take {
            ($d:literal) => {
                if let Some(g) = grads.remove::<B::InnerBackend, $d>(id) {
                    decayed.register::<B::InnerBackend, $d>(id, g);
                }
            };
        }
        match rank {
            1 => {}
            2 => take!(2),
            3 => take!(3),
            _ => take!(4),
        }
    }
    (decayed, grads)
}

/// Every parameter's id and rank.
fn parameters<B: Backend>(model: &Gpt<B>) -> Vec<(ParamId, usize)> {
    struct Ids(Vec<(ParamId, usize)>);
    impl<B: Backend> ModuleVisitor<B> for Ids {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            self.0.push((param.id, D));
        }
    }
    let mut ids = Ids(Vec::new());
    model.visit(&mut ids);
    ids.0
}

/// The model without gradient tracking, for evaluation and sampling.
pub fn frozen<B: AutodiffBackend>(model: &Gpt<B>) -> Gpt<B::InnerBackend> {
    model.valid()
}
