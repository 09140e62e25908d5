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
pub mod gradients;
mod history;
mod objective;
pub mod optim;

pub use batches::{Batch, EvalSet, batch, batch_ranges, chunk_rows, gather};
pub use history::{EpochMetrics, History};
pub use objective::{EPS, Objective};
pub use optim::{BurnOptimizer, OptimizerKind, OptimizerSpec};

use std::{ops::Range, path::Path, sync::Arc};

use burn::{
    module::AutodiffModule,
    optim::GradientsParams,
    tensor::{
        Tensor,
        backend::{AutodiffBackend, Backend},
    },
};
use serde::{Deserialize, Serialize};

use crate::{
    data::{Dataset, Split},
    model::{Family, LayerObserver, Mode},
};

/// How training steps are computed; both engines give the same numbers where both apply
/// (checked in `tests/engines.rs`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// The fused engine where it supports the whole configuration, else Burn.
    #[default]
    Auto,
    /// Burn tensors, autodiff and optimizers on the selected backend: the reference.
    Burn,
    /// The fused host kernel: plain MLPs in float64 on the CPU, without per-operation overhead.
    Fused,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Burn => "burn",
            Self::Fused => "fused",
        }
    }
}

/// Each member's metrics on the whole train and test sets.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    pub train_loss: Vec<f64>,
    pub train_accuracy: Vec<f64>,
    pub test_loss: Vec<f64>,
    pub test_accuracy: Vec<f64>,
}

/// What the epoch loop needs from whatever computes the steps of an ensemble `M`.
pub trait Steps<M> {
    /// The engine computing the steps.
    fn engine(&self) -> Engine;
    /// One epoch: member `k` visits its training set in `orders[k]`, in mini-batches. Returns
    /// each member's mean batch loss, each computed before its update.
    fn train_epoch(&mut self, orders: &[Vec<usize>]) -> Vec<f64>;
    /// Every member's loss and accuracy on its train and test sets.
    fn evaluate(&mut self) -> Evaluation;
    /// The model as it stands, as a Burn module.
    fn model(&self) -> M;
    /// Writes the optimizer state of `members` into the checkpoint folder `dir`; returns the
    /// files written.
    fn save_optimizer(&self, dir: &Path, members: Range<usize>) -> Result<Vec<String>, String>;
    /// Restores the states written by [`Self::save_optimizer`], one folder per run of members
    /// in order.
    fn load_optimizer(&mut self, dirs: &[&Path]) -> Result<(), String>;
}

/// Which data set each member trains and is evaluated on: members of one program share a
/// split; programs on different data sets train together with splits of one size.
#[derive(Clone, Debug)]
pub struct MemberData {
    /// Shared, so that a copy of the member map (made each epoch) never copies a data set.
    pub splits: Vec<Arc<Split>>,
    /// Member `k` uses `splits[split_of[k]]`.
    pub split_of: Vec<usize>,
}

impl MemberData {
    /// All `members` on one split.
    pub fn shared(split: &Split, members: usize) -> Self {
        Self {
            splits: vec![Arc::new(split.clone())],
            split_of: vec![0; members],
        }
    }

    /// Each member's training set (or, with `test`, test set).
    pub fn sets(&self, test: bool) -> Vec<&Dataset> {
        self.split_of
            .iter()
            .map(|&i| {
                if test {
                    &self.splits[i].test
                } else {
                    &self.splits[i].train
                }
            })
            .collect()
    }

    pub fn train_rows(&self) -> usize {
        self.splits[0].train.len()
    }
}

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
        let loss = self.objective.loss(inner.clone(), targets.clone()); // [K]
        let gradient = Tensor::from_inner(self.objective.logit_gradient(inner, targets));
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

/// The classification runs' feed: every member visits its data set in its own permutation
/// each epoch, in mini-batches, through one [`Learner`]; evaluation on the whole sets.
pub struct Epochs<B: AutodiffBackend, M: AutodiffModule<B>> {
    learner: Learner<B, M>,
    data: MemberData,
    outputs: usize,
    train_set: EvalSet<B::InnerBackend>,
    test_set: EvalSet<B::InnerBackend>,
    lr: f64,
    batch_size: usize,
    device: B::Device,
}

impl<B, M> Epochs<B, M>
where
    B: AutodiffBackend,
    M: Family<B> + AutodiffModule<B>,
    M::InnerModule: Family<B::InnerBackend>,
{
    /// Epochs of `model` (member `k` on `data.splits[data.split_of[k]]`) with `optimizer`,
    /// learning rate `lr` and mini-batches of `batch_size`.
    pub fn new(
        model: M,
        optimizer: OptimizerSpec,
        (lr, batch_size): (f64, usize),
        data: MemberData,
        outputs: usize,
        device: &B::Device,
    ) -> Self {
        assert_eq!(data.split_of.len(), model.members(), "one split per member");
        assert!(
            model.stacked(),
            "epochs feed the stacked classifier families"
        );
        let width = model.layers().iter().map(|l| l.width).max().unwrap_or(1);
        let set = |test| EvalSet::new(&data.sets(test), outputs, width, device);
        let (train_set, test_set) = (set(false), set(true));
        Self {
            learner: Learner::new(model, &optimizer, Objective::for_outputs(outputs)),
            outputs,
            train_set,
            test_set,
            data,
            lr,
            batch_size,
            device: device.clone(),
        }
    }
}

impl<B, M> Steps<M> for Epochs<B, M>
where
    B: AutodiffBackend,
    M: Family<B> + AutodiffModule<B>,
    M::InnerModule: Family<B::InnerBackend>,
{
    fn engine(&self) -> Engine {
        Engine::Burn
    }

    fn train_epoch(&mut self, orders: &[Vec<usize>]) -> Vec<f64> {
        let rows = self.data.train_rows();
        let data = self.data.clone();
        let train = data.sets(false);
        let mut losses = Vec::new();
        for range in batch_ranges(rows, self.batch_size) {
            let batch = batch::<B>(&train, orders, range, self.outputs, &self.device);
            losses.push(self.learner.step(batch.x, batch.y, self.lr));
        }
        let (k, steps) = (self.learner.model.members(), losses.len());
        let flat = to_host(Tensor::cat(losses, 0)); // [steps * K], step-major
        (0..k)
            .map(|m| flat.iter().skip(m).step_by(k).sum::<f64>() / steps as f64)
            .collect()
    }

    fn evaluate(&mut self) -> Evaluation {
        let model = self.learner.model.valid();
        let on = |set: &EvalSet<B::InnerBackend>, test: bool| {
            let data = self.data.sets(test);
            evaluate(&model, set, &data, self.learner.objective, &self.device)
        };
        let (train_loss, train_accuracy) = on(&self.train_set, false);
        let (test_loss, test_accuracy) = on(&self.test_set, true);
        Evaluation {
            train_loss,
            train_accuracy,
            test_loss,
            test_accuracy,
        }
    }

    fn model(&self) -> M {
        self.learner.model.clone()
    }

    /// `optimizer.mpk` (Burn's recorder, float64), for all members only: Burn's optimizer
    /// state is keyed by parameter, not by member.
    fn save_optimizer(&self, dir: &Path, members: Range<usize>) -> Result<Vec<String>, String> {
        if members != (0..self.learner.model.members()) {
            return Err("the Burn engine saves its optimizer for all members only".into());
        }
        self.learner.save_optimizer(dir)
    }

    fn load_optimizer(&mut self, dirs: &[&Path]) -> Result<(), String> {
        match dirs {
            [dir] => self.learner.load_optimizer(dir, &self.device),
            _ => Err("the Burn engine loads its optimizer from one folder".into()),
        }
    }
}

/// Loss and accuracy of every member of `model` on its set: `(loss[K], accuracy[K])`,
/// accumulated over the set's chunks.
pub fn evaluate<B: Backend, M: Family<B>>(
    model: &M,
    set: &EvalSet<B>,
    data: &[&Dataset],
    objective: Objective,
    device: &B::Device,
) -> (Vec<f64>, Vec<f64>) {
    let (k, n) = (model.members(), data[0].len());
    let (mut loss, mut correct) = (vec![0.0; k], vec![0.0; k]);
    for (x, y) in set.tensors(data, device) {
        let logits = model.forward(x, Mode::Eval); // [K, rows, C]
        let chunk_loss = to_host(objective.loss_sum(logits.clone(), y.clone()));
        let chunk_correct = to_host(objective.correct(logits, y));
        for m in 0..k {
            loss[m] += chunk_loss[m];
            correct[m] += chunk_correct[m];
        }
    }
    let mean = |v: Vec<f64>| v.into_iter().map(|s| s / n as f64).collect();
    (mean(loss), mean(correct))
}

/// Copies a tensor's values to the host as `f64`.
pub fn to_host<B: Backend, const D: usize>(tensor: Tensor<B, D>) -> Vec<f64> {
    tensor
        .into_data()
        .convert::<f64>()
        .to_vec::<f64>()
        .expect("converted to f64")
}
