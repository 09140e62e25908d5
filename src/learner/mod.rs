//! One learner for every model: mini-batch training with recorded metrics.
//!
//! [`Learner`] is the reference step: Burn tensors, Burn's autodiff and Burn's optimizers, over
//! any model [`Family`] on any backend: the classifiers' ensembles and the GPT alike. What feeds
//! it differs by task: [`Epochs`] visits data sets in per-member permutations (the
//! classification runs), the language-model job draws windows of text (`lm::train`).
//!
//! Whatever computes a classification run's epochs implements [`Steps`], which is all the
//! epoch loop sees; the fused CPU engine (the `fused` module) is the other implementation, an
//! accelerator for the configurations it supports. A step records each member's batch loss
//! *before* its update, as the article does; the loss values stay on the device until the
//! caller needs them, so a step never waits on the host.

mod batches;
mod epochs;
pub mod gradients;
mod history;
mod objective;
pub mod optim;

pub use batches::{Batch, EvalSet, batch, batch_ranges, chunk_rows, gather};
pub use epochs::{Engine, Epochs, Evaluation, MemberData, Steps, evaluate};
pub use history::{EpochMetrics, History};
pub use objective::{EPS, Objective};
pub use optim::{BurnOptimizer, OptimizerKind, OptimizerSpec};

use std::path::Path;

use burn::{
    module::AutodiffModule,
    optim::GradientsParams,
    tensor::{
        Tensor,
        backend::{AutodiffBackend, Backend},
    },
};

use crate::model::{Family, LayerObserver, Mode};
/// Collects the batch statistics a training pass reports, for the running statistics.
#[derive(Default)]
struct RunningStatistics<B: Backend>(Vec<(usize, Tensor<B, 3>, Tensor<B, 3>)>);

impl<B: Backend> LayerObserver<B> for RunningStatistics<B> {
    /// No layer is looked at: a training step's forward pass is the plain one.
    fn observes(&self) -> bool {
        false
    }
    fn batch_statistics(&mut self, norm: usize, mean: &Tensor<B, 3>, var: &Tensor<B, 3>) {
        self.0
            .push((norm, mean.clone().detach(), var.clone().detach()));
    }
}

/// The reference learner: Burn's autodiff and optimizers over any model family, any backend.
pub struct Learner<B: AutodiffBackend, M: AutodiffModule<B>> {
    model: M,
    optimizer: BurnOptimizer<B, M>,
    objective: Objective,
    grad_clip: Option<f64>,
}

impl<B, M> Learner<B, M>
where
    B: AutodiffBackend,
    M: Family<B> + AutodiffModule<B>,
{
    /// A learner for `model` with `optimizer`, minimising `objective`.
    ///
    /// # Panics
    /// When `optimizer` clips the gradient norm of a model of several members (the norm would
    /// mix them), or groups the parameters of a stacked model by rank (its biases are
    /// matrices too).
    pub fn new(model: M, optimizer: &OptimizerSpec, objective: Objective) -> Self {
        assert!(
            optimizer.grad_clip.is_none() || model.members() == 1,
            "gradient-norm clipping applies to a model of one member"
        );
        assert!(
            !optimizer.decay_matrices_only || !model.stacked(),
            "decay on matrices only applies to a model whose parameters are not stacked"
        );
        Self {
            model,
            optimizer: BurnOptimizer::new(optimizer),
            objective,
            grad_clip: optimizer.grad_clip,
        }
    }

    /// One update at learning rate `lr` on inputs `x` (`[K, n, features]`) against `targets`
    /// (`[K, rows, outputs]`, one row per row of logits); returns each member's mean loss
    /// before the update, `[K]`, left on the device.
    ///
    /// The output gradient `(p - y) / rows` is injected as the exact gradient of
    /// `sum(logits * g)` with `g` held constant, so backpropagation starts from the same
    /// numbers as the numpy original.
    pub fn step(
        &mut self,
        x: Tensor<B, 3>,
        targets: Tensor<B::InnerBackend, 3>,
        lr: f64,
    ) -> Tensor<B::InnerBackend, 1> {
        let samples = x.dims()[1];
        let mut running = RunningStatistics::default();
        let logits = self.model.forward_observed(x, Mode::Train, &mut running); // [K, rows, C]
        let inner = logits.clone().inner();
        let (loss, gradient) = self.objective.loss_and_gradient(inner, targets); // [K], [K, rows, C]
        let gradient = Tensor::from_inner(gradient);
        let mut grads =
            GradientsParams::from_grads((logits * gradient).sum().backward(), &self.model);
        if let Some(max_norm) = self.grad_clip {
            grads = gradients::clip_global_norm(&self.model, grads, max_norm);
        }
        let stepped = self.optimizer.step(lr, self.model.clone(), grads);
        self.model = stepped.update_running(running.0, samples);
        loss
    }

    /// The model as it stands.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// Replaces the model (restored from a checkpoint).
    pub fn set_model(&mut self, model: M) {
        self.model = model;
    }

    /// Writes the optimizer state into `dir` (`optimizer.mpk`, or one file per parameter
    /// group); returns the files written.
    pub fn save_optimizer(&self, dir: &Path) -> Result<Vec<String>, String> {
        self.optimizer.save(dir, OPTIMIZER_STEM)
    }

    /// Restores the state [`Self::save_optimizer`] wrote.
    pub fn load_optimizer(&mut self, dir: &Path, device: &B::Device) -> Result<(), String> {
        self.optimizer.load(dir, OPTIMIZER_STEM, device)
    }
}

/// The optimizer's files in a checkpoint folder: `optimizer.mpk`, `optimizer-decay.mpk`, ...
const OPTIMIZER_STEM: &str = "optimizer";

/// Copies a tensor's values to the host as `f64`.
pub fn to_host<B: Backend, const D: usize>(tensor: Tensor<B, D>) -> Vec<f64> {
    tensor
        .into_data()
        .convert::<f64>()
        .to_vec::<f64>()
        .expect("converted to f64")
}
