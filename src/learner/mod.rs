//! One learner for every model: mini-batch training with recorded per-epoch metrics.
//!
//! The learner owns a model (an ensemble of `K` members), its optimizer and its data: one split
//! for all members, or one per member (splits of one size, as programs on different data sets
//! trained together). A training step records each member's batch loss *before* its update, as
//! the article does; on the Burn engine the loss values stay on the device until the epoch
//! ends, so a step never waits on the host. Two engines compute the same maths: Burn's tensors and autodiff on any
//! backend, and a fused host kernel that removes per-operation overhead on the CPU.

mod batches;
pub mod fused;
mod groups;
mod history;
mod kernel;
mod lanes;
mod loss;
pub mod optim;
mod simd;

pub use batches::{Batch, EvalSet, batches_for_epoch};
pub use fused::FusedEnsemble;
pub use history::{EpochMetrics, History};
pub use lanes::Scratch;
pub use loss::{EPS, bce_per_member, logit_gradient};
pub use optim::{BurnOptimizer, OptimizerKind, OptimizerSpec};
pub use simd::InstructionSet;

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
    model::{Mlp, activation::sigmoid},
};

/// How training steps are computed; both give the same numbers (checked in `tests/engines.rs`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// [`Engine::Fused`] where it applies (a float64 CPU backend), else [`Engine::Burn`].
    #[default]
    Auto,
    /// Burn tensors and autodiff on the selected backend, with Burn's SGD optimizer.
    Burn,
    /// The fused host kernel of [`fused`]: the same maths without per-operation overhead,
    /// always in float64 on the CPU.
    Fused,
}

impl Engine {
    /// The engine that computes steps on backend `B`: [`Engine::Auto`] resolved.
    pub fn resolve<B: Backend>(self) -> Engine {
        match self {
            Engine::Auto if fused::applies::<B>() => Engine::Fused,
            Engine::Auto => Engine::Burn,
            chosen => chosen,
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

enum State<B: AutodiffBackend> {
    Burn {
        model: Mlp<B>,
        optimizer: BurnOptimizer<B>,
        train_set: EvalSet<B::InnerBackend>,
        test_set: EvalSet<B::InnerBackend>,
    },
    Fused(FusedEnsemble),
}

/// Trains one [`Mlp`] ensemble, whichever engine computes it. Members share one data split or
/// each train on their own (of equal sizes).
pub struct Learner<B: AutodiffBackend> {
    state: State<B>,
    /// The distinct splits, and the one each member trains and is evaluated on.
    splits: Vec<Split>,
    split_of: Vec<usize>,
    lr: f64,
    batch_size: usize,
    device: B::Device,
}

impl<B: AutodiffBackend> Learner<B> {
    /// Plain SGD; see [`Self::new`].
    pub fn sgd(
        model: Mlp<B>,
        engine: Engine,
        lr: f64,
        batch_size: usize,
        split: &Split,
        threads: usize,
        device: &B::Device,
    ) -> Self {
        Self::new(
            model,
            engine,
            OptimizerSpec::sgd(),
            lr,
            batch_size,
            split,
            threads,
            device,
        )
    }

    /// A learner for `model` on `split`; `threads` bounds the fused engine's worker threads.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        model: Mlp<B>,
        engine: Engine,
        optimizer: OptimizerSpec,
        lr: f64,
        batch_size: usize,
        split: &Split,
        threads: usize,
        device: &B::Device,
    ) -> Self {
        let members = model.members();
        Self::per_member(
            model,
            engine,
            optimizer,
            (lr, batch_size),
            (vec![split.clone()], vec![0; members]),
            threads,
            device,
        )
    }

    /// [`Self::new`] where member `k` trains on `splits[split_of[k]]`. The splits must have
    /// the same train and test sizes.
    pub fn per_member(
        model: Mlp<B>,
        engine: Engine,
        optimizer: OptimizerSpec,
        (lr, batch_size): (f64, usize),
        (splits, split_of): (Vec<Split>, Vec<usize>),
        threads: usize,
        device: &B::Device,
    ) -> Self {
        assert_eq!(split_of.len(), model.members(), "one split per member");
        assert!(
            splits
                .iter()
                .all(|s| s.train.len() == splits[0].train.len()
                    && s.test.len() == splits[0].test.len()),
            "members trained together need splits of one size"
        );
        let state = match engine.resolve::<B>() {
            Engine::Fused => State::Fused(FusedEnsemble::from_mlp(&model, optimizer, threads)),
            _ => State::Burn {
                model,
                optimizer: BurnOptimizer::new(&optimizer),
                train_set: EvalSet::per_member(&member_sets(&splits, &split_of, false), device),
                test_set: EvalSet::per_member(&member_sets(&splits, &split_of, true), device),
            },
        };
        Self {
            state,
            splits,
            split_of,
            lr,
            batch_size,
            device: device.clone(),
        }
    }

    /// The engine actually in use.
    pub fn engine(&self) -> Engine {
        match self.state {
            State::Burn { .. } => Engine::Burn,
            State::Fused(_) => Engine::Fused,
        }
    }

    /// The model as it stands.
    pub fn model(&self) -> Mlp<B> {
        match &self.state {
            State::Burn { model, .. } => model.clone(),
            State::Fused(fused) => fused.to_mlp(&self.device),
        }
    }

    /// Writes the optimizer's state of members `members` into `dir`: `optimizer.json` (fused
    /// engine), or `optimizer.mpk` (Burn's recorder, float64; all members only).
    pub fn save_optimizer(
        &self,
        dir: &std::path::Path,
        members: std::ops::Range<usize>,
    ) -> Result<(), String> {
        match &self.state {
            State::Fused(fused) => {
                let states = &fused.optimizer_states()[members];
                let text = serde_json::to_string(states).map_err(|e| e.to_string())?;
                std::fs::write(dir.join("optimizer.json"), text).map_err(|e| e.to_string())
            }
            State::Burn { model, .. } if members != (0..model.members()) => {
                Err("the Burn engine saves its optimizer for all members only".into())
            }
            State::Burn { optimizer, .. } => optimizer.save(&dir.join("optimizer")),
        }
    }

    /// Restores the states written by [`Self::save_optimizer`], one folder per run of members
    /// in order (the Burn engine: one folder for all).
    pub fn load_optimizer(&mut self, dirs: &[&std::path::Path]) -> Result<(), String> {
        match &mut self.state {
            State::Fused(fused) => {
                let mut states = Vec::new();
                for dir in dirs {
                    let path = dir.join("optimizer.json");
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    let part: Vec<_> = serde_json::from_str(&text)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    states.extend(part);
                }
                fused.set_optimizer_states(states)
            }
            State::Burn { optimizer, .. } => match dirs {
                [dir] => optimizer.load(&dir.join("optimizer"), &self.device),
                _ => Err("the Burn engine loads its optimizer from one folder".into()),
            },
        }
    }

    /// A host copy of the parameters, for probes: the fused engine's own state, or the Burn
    /// model's parameters copied out.
    pub fn host_snapshot(&self) -> FusedEnsemble {
        match &self.state {
            State::Fused(fused) => fused.clone(),
            State::Burn { model, .. } => FusedEnsemble::from_mlp(model, OptimizerSpec::sgd(), 1),
        }
    }

    /// One epoch: member `k` visits its training set in `orders[k]`, in mini-batches.
    /// Returns each member's mean batch loss, each computed before its update.
    pub fn train_epoch(&mut self, orders: &[Vec<usize>]) -> Vec<f64> {
        let (lr, batch_size) = (self.lr, self.batch_size);
        let train = member_sets(&self.splits, &self.split_of, false);
        match &mut self.state {
            State::Fused(fused) => fused.train_epoch(&train, orders, batch_size, lr),
            State::Burn {
                model, optimizer, ..
            } => {
                let batches = batches_for_epoch::<B>(&train, orders, batch_size, &self.device);
                let losses: Vec<_> = batches
                    .iter()
                    .map(|b| burn_step(model, optimizer, lr, b))
                    .collect();
                let k = model.members();
                let flat = to_host(Tensor::cat(losses, 0)); // [steps * K], step-major
                (0..k)
                    .map(|m| flat.iter().skip(m).step_by(k).sum::<f64>() / batches.len() as f64)
                    .collect()
            }
        }
    }

    /// Every member's loss and accuracy on the train and test sets.
    pub fn evaluate(&mut self) -> Evaluation {
        let ((train_loss, train_accuracy), (test_loss, test_accuracy)) = match &mut self.state {
            State::Fused(fused) => {
                let sets = |test| member_sets(&self.splits, &self.split_of, test);
                (fused.evaluate(&sets(false)), fused.evaluate(&sets(true)))
            }
            State::Burn {
                model,
                train_set,
                test_set,
                ..
            } => {
                let model = model.valid();
                (evaluate(&model, train_set), evaluate(&model, test_set))
            }
        };
        Evaluation {
            train_loss,
            train_accuracy,
            test_loss,
            test_accuracy,
        }
    }
}

/// Each member's training set (or, with `test`, test set): `splits[split_of[k]]`.
fn member_sets<'a>(splits: &'a [Split], split_of: &[usize], test: bool) -> Vec<&'a Dataset> {
    split_of
        .iter()
        .map(|&i| {
            if test {
                &splits[i].test
            } else {
                &splits[i].train
            }
        })
        .collect()
}

/// One update on `batch`; returns each member's loss before the update, `[K]`.
///
/// The output gradient is the article's `(out - y) / batch_size`, injected as the exact
/// gradient of `sum(logit * g)` with `g` held constant, so backpropagation starts from
/// the same numbers as the numpy original.
fn burn_step<B: AutodiffBackend>(
    model: &mut Mlp<B>,
    optimizer: &mut BurnOptimizer<B>,
    lr: f64,
    batch: &Batch<B>,
) -> Tensor<B::InnerBackend, 1> {
    let logit = model.forward(batch.x.clone()); // [K, n, 1]
    let prob = sigmoid(logit.clone().inner()); // [K, n, 1]
    let loss = bce_per_member(prob.clone(), batch.y.clone()); // [K]
    let gradient = Tensor::from_inner(logit_gradient(prob, batch.y.clone())); // [K, n, 1]
    let grads = GradientsParams::from_grads((logit * gradient).sum().backward(), model);
    *model = optimizer.step(lr, model.clone(), grads);
    loss
}

/// Loss and accuracy of every member of `model` on `set`: `(loss[K], accuracy[K])`.
pub fn evaluate<B: Backend>(model: &Mlp<B>, set: &EvalSet<B>) -> (Vec<f64>, Vec<f64>) {
    let prob = model.predict(set.x.clone()); // [K, n, 1]
    let [k, n, _] = prob.dims();
    let loss = bce_per_member(prob.clone(), set.y.clone()); // [K]
    let correct = prob
        .greater_equal_elem(0.5)
        .equal(set.y.clone().equal_elem(1.0))
        .float(); // [K, n, 1]
    let accuracy = correct.sum_dim(1).reshape([k]).div_scalar(n as f64); // [K]
    (to_host(loss), to_host(accuracy))
}

/// Copies a tensor's values to the host as `f64`.
pub fn to_host<B: Backend, const D: usize>(tensor: Tensor<B, D>) -> Vec<f64> {
    tensor
        .into_data()
        .convert::<f64>()
        .to_vec::<f64>()
        .expect("converted to f64")
}
