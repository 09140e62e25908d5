//! The classification runs' side of the learner: what the epoch loop sees of whatever computes
//! the steps ([`Steps`], with the engines it may be), which data set each member trains on,
//! the Burn engine's feed ([`Epochs`]: per-member permutations in mini-batches through the one
//! [`Learner`]) and evaluation on whole sets.

use std::{ops::Range, path::Path, sync::Arc};

use burn::{
    module::AutodiffModule,
    tensor::{
        Tensor,
        backend::{AutodiffBackend, Backend},
    },
};
use serde::{Deserialize, Serialize};

use super::{EvalSet, Learner, Objective, OptimizerSpec, batch, batch_ranges, to_host};
use crate::{
    data::{Dataset, Split},
    model::{Family, Mode},
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
