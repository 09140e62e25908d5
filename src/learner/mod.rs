//! One learner for every model: mini-batch training with recorded per-epoch metrics.
//!
//! The learner owns a model (an ensemble of `K` members) and its optimizer. A training step
//! records each member's batch loss *before* its update, as the article does; the loss values
//! stay on the device until the epoch ends, so a step never waits on the host.

mod batches;
mod history;
mod loss;

pub use batches::{Batch, EvalSet, batches_for_epoch};
pub use history::{EpochMetrics, History};
pub use loss::{bce_per_member, logit_gradient};

use burn::{
    module::AutodiffModule,
    optim::{GradientsParams, Optimizer, SgdConfig, adaptor::OptimizerAdaptor, Sgd},
    tensor::{Tensor, backend::AutodiffBackend},
};

use crate::model::{Mlp, activation::sigmoid};

/// Trains one [`Mlp`] ensemble with plain SGD.
pub struct Learner<B: AutodiffBackend> {
    model: Mlp<B>,
    optimizer: OptimizerAdaptor<Sgd<B::InnerBackend>, Mlp<B>, B>,
    lr: f64,
}

impl<B: AutodiffBackend> Learner<B> {
    pub fn sgd(model: Mlp<B>, lr: f64) -> Self {
        Self { model, optimizer: SgdConfig::new().init(), lr }
    }

    pub fn model(&self) -> &Mlp<B> {
        &self.model
    }

    pub fn into_model(self) -> Mlp<B> {
        self.model
    }

    /// One update on `batch`; returns each member's loss before the update, `[K]`.
    ///
    /// The output gradient is the article's `(out - y) / batch_size`, injected as the exact
    /// gradient of `sum(logit * g)` with `g` held constant, so backpropagation starts from
    /// the same numbers as the numpy original.
    pub fn step(&mut self, batch: &Batch<B>) -> Tensor<B::InnerBackend, 1> {
        let logit = self.model.forward(batch.x.clone()); // [K, n, 1]
        let prob = sigmoid(logit.clone().inner()); // [K, n, 1]
        let loss = bce_per_member(prob.clone(), batch.y.clone()); // [K]
        let gradient = Tensor::from_inner(logit_gradient(prob, batch.y.clone())); // [K, n, 1]
        let grads = GradientsParams::from_grads((logit * gradient).sum().backward(), &self.model);
        self.model = self.optimizer.step(self.lr, self.model.clone(), grads);
        loss
    }

    /// Trains on every batch of one epoch; returns each member's mean batch loss.
    pub fn train_epoch(&mut self, batches: &[Batch<B>]) -> Vec<f64> {
        let losses: Vec<_> = batches.iter().map(|b| self.step(b)).collect();
        let k = self.model.members();
        let flat = to_host(Tensor::cat(losses, 0)); // [steps * K], step-major
        (0..k)
            .map(|member| flat.iter().skip(member).step_by(k).sum::<f64>() / batches.len() as f64)
            .collect()
    }

    /// Loss and accuracy of every member on `set`: `(loss[K], accuracy[K])`.
    pub fn evaluate(&self, set: &EvalSet<B::InnerBackend>) -> (Vec<f64>, Vec<f64>) {
        evaluate(&self.model.valid(), set)
    }
}

/// Loss and accuracy of every member of `model` on `set`: `(loss[K], accuracy[K])`.
pub fn evaluate<B: burn::tensor::backend::Backend>(model: &Mlp<B>, set: &EvalSet<B>) -> (Vec<f64>, Vec<f64>) {
    let prob = model.predict(set.x.clone()); // [K, n, 1]
    let [k, n, _] = prob.dims();
    let loss = bce_per_member(prob.clone(), set.y.clone()); // [K]
    let correct = prob.greater_equal_elem(0.5).equal(set.y.clone().equal_elem(1.0)).float(); // [K, n, 1]
    let accuracy = correct.sum_dim(1).reshape([k]).div_scalar(n as f64); // [K]
    (to_host(loss), to_host(accuracy))
}

/// Copies a tensor's values to the host as `f64`.
pub fn to_host<B: burn::tensor::backend::Backend, const D: usize>(tensor: Tensor<B, D>) -> Vec<f64> {
    tensor.into_data().convert::<f64>().to_vec::<f64>().expect("converted to f64")
}
