//! How a language model uses the one learner ([`crate::learner::Learner`]): nanoGPT's
//! optimizer (AdamW with decoupled decay on matrices and embeddings only, the global gradient
//! norm clipped), a batch of windows handed over as the learner's samples and one-hot next
//! tokens, and the mean next-token cross-entropy that evaluation and probes compute.

use burn::{
    module::AutodiffModule,
    tensor::{
        Int, Tensor,
        activation::log_softmax,
        backend::{AutodiffBackend, Backend},
    },
};

use super::batches::TokenBatch;
use crate::{
    config::language::LmTrain,
    learner::{Learner, Objective, OptimizerKind, OptimizerSpec},
    model::gpt::Gpt,
};

/// The one learner over a GPT.
pub type LmLearner<B> = Learner<B, Gpt<B>>;

/// nanoGPT's `configure_optimizers` for the experiment's `[train]`: AdamW, decay on parameters
/// of rank 2 and more, `eps` 1e-8; clipping unless `grad_clip` is 0.
pub fn optimizer(train: &LmTrain) -> OptimizerSpec {
    OptimizerSpec {
        kind: OptimizerKind::AdamW,
        momentum: 0.0,
        weight_decay: train.weight_decay,
        betas: train.betas,
        epsilon: 1e-8,
        decay_matrices_only: true,
        grad_clip: (train.grad_clip > 0.0).then_some(train.grad_clip),
    }
}

/// The learner that trains `model` as `train` says.
pub fn learner<B: AutodiffBackend>(model: Gpt<B>, train: &LmTrain) -> LmLearner<B> {
    Learner::new(model, &optimizer(train), Objective::Multiclass)
}

/// One update on `batch` at learning rate `lr`; returns the batch's mean loss before it,
/// `[1]`, left on the device.
pub fn step<B: AutodiffBackend>(
    learner: &mut LmLearner<B>,
    batch: &TokenBatch<B>,
    lr: f64,
) -> Tensor<B::InnerBackend, 1> {
    let (x, targets) = batch.samples(learner.model().config.vocab);
    learner.step(x, targets, lr)
}

/// The mean cross-entropy of `logits` `[B, T, V]` against `targets` `[B, T]`: `[1]`.
pub fn cross_entropy<B: Backend>(logits: Tensor<B, 3>, targets: Tensor<B, 2, Int>) -> Tensor<B, 1> {
    let [batch, time, vocab] = logits.dims();
    let log_p = log_softmax(logits.reshape([batch * time, vocab]), 1); // [B*T, V]
    let picked = log_p.gather(1, targets.reshape([batch * time, 1])); // [B*T, 1]
    picked.mean().neg()
}

/// The model without gradient tracking, for evaluation and sampling.
pub fn frozen<B: AutodiffBackend>(model: &Gpt<B>) -> Gpt<B::InnerBackend> {
    model.valid()
}
