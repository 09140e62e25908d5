//! Layer and batch normalization for `K` members, with a learned scale and shift per unit.
//!
//! Batch normalization's forward pass stays pure: in [`Mode::Train`] it normalizes with the
//! batch's statistics and reports them to the observer; the learner then folds them into the
//! running statistics ([`BatchNorm::update_running`]), which [`Mode::Eval`] uses. Running
//! statistics are parameters without gradients, so they are saved in checkpoints and never
//! touched by an optimizer.

use burn::{
    module::{Module, Param},
    tensor::{Tensor, backend::Backend},
};
use serde::{Deserialize, Serialize};

use super::{LayerObserver, Mode};

/// Added to the variance before the square root, as PyTorch and Burn do.
pub const EPSILON: f64 = 1e-5;
/// Weight of the newest batch in the running statistics, as PyTorch and Burn do.
pub const MOMENTUM: f64 = 0.1;

/// Which normalization a layer applies before its activation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NormKind {
    #[default]
    None,
    Layer,
    Batch,
}

impl NormKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Layer => "layer",
            Self::Batch => "batch",
        }
    }
}

/// Normalizes each sample over its units: `(z - mean) / sqrt(var + eps) * gamma + beta`.
#[derive(Module, Debug)]
pub struct LayerNorm<B: Backend> {
    /// `[K, 1, width]`
    pub gamma: Param<Tensor<B, 3>>,
    /// `[K, 1, width]`
    pub beta: Param<Tensor<B, 3>>,
}

/// Normalizes each unit over the batch; see the module documentation for the running statistics.
#[derive(Module, Debug)]
pub struct BatchNorm<B: Backend> {
    /// `[K, 1, width]`
    pub gamma: Param<Tensor<B, 3>>,
    /// `[K, 1, width]`
    pub beta: Param<Tensor<B, 3>>,
    /// `[K, 1, width]`, no gradient.
    pub running_mean: Param<Tensor<B, 3>>,
    /// `[K, 1, width]`, unbiased as PyTorch keeps it; no gradient.
    pub running_var: Param<Tensor<B, 3>>,
}

/// A normalization layer.
#[derive(Module, Debug)]
pub enum Norm<B: Backend> {
    Layer(LayerNorm<B>),
    Batch(BatchNorm<B>),
}

fn ones<B: Backend>(k: usize, width: usize, device: &B::Device) -> Tensor<B, 3> {
    Tensor::ones([k, 1, width], device)
}

fn zeros<B: Backend>(k: usize, width: usize, device: &B::Device) -> Tensor<B, 3> {
    Tensor::zeros([k, 1, width], device)
}

fn fixed<B: Backend>(t: Tensor<B, 3>) -> Param<Tensor<B, 3>> {
    Param::from_tensor(t).set_require_grad(false)
}

/// `(z - mean) / sqrt(var + eps)`.
fn standardize<B: Backend>(z: Tensor<B, 3>, mean: Tensor<B, 3>, var: Tensor<B, 3>) -> Tensor<B, 3> {
    (z - mean) / var.add_scalar(EPSILON).sqrt()
}

impl<B: Backend> Norm<B> {
    /// A normalization of `kind` for `k` members of `width` units: scale 1, shift 0, running
    /// mean 0 and variance 1. `None` for [`NormKind::None`].
    pub fn new(kind: NormKind, k: usize, width: usize, device: &B::Device) -> Option<Self> {
        match kind {
            NormKind::None => None,
            NormKind::Layer => Some(Self::Layer(LayerNorm {
                gamma: Param::from_tensor(ones(k, width, device)),
                beta: Param::from_tensor(zeros(k, width, device)),
            })),
            NormKind::Batch => Some(Self::Batch(BatchNorm {
                gamma: Param::from_tensor(ones(k, width, device)),
                beta: Param::from_tensor(zeros(k, width, device)),
                running_mean: fixed(zeros(k, width, device)),
                running_var: fixed(ones(k, width, device)),
            })),
        }
    }

    /// Normalizes `z`, `[K, N, width]`; normalization `index` reports its batch statistics.
    pub fn forward(
        &self,
        index: usize,
        z: Tensor<B, 3>,
        mode: Mode,
        observer: &mut impl LayerObserver<B>,
    ) -> Tensor<B, 3> {
        match self {
            Self::Layer(n) => {
                let mean = z.clone().mean_dim(2); // [K, N, 1]
                let var = (z.clone() - mean.clone()).square().mean_dim(2); // [K, N, 1]
                standardize(z, mean, var) * n.gamma.val() + n.beta.val()
            }
            Self::Batch(n) => {
                let (mean, var) = match mode {
                    Mode::Train => {
                        let mean = z.clone().mean_dim(1); // [K, 1, width]
                        let var = (z.clone() - mean.clone()).square().mean_dim(1); // [K, 1, width]
                        observer.batch_statistics(index, &mean, &var);
                        (mean, var)
                    }
                    Mode::Eval => (n.running_mean.val(), n.running_var.val()),
                };
                standardize(z, mean, var) * n.gamma.val() + n.beta.val()
            }
        }
    }

    /// A batch normalization's running statistics moved toward a batch's `mean` and biased
    /// `var` (of `batch` rows); a layer normalization is returned unchanged.
    pub fn update_running(self, mean: Tensor<B, 3>, var: Tensor<B, 3>, batch: usize) -> Self {
        match self {
            Self::Layer(_) => self,
            Self::Batch(n) => {
                let unbiased = var.mul_scalar(batch as f64 / (batch.max(2) - 1) as f64);
                let blend = |running: Tensor<B, 3>, batch: Tensor<B, 3>| {
                    fixed(running.mul_scalar(1.0 - MOMENTUM) + batch.detach().mul_scalar(MOMENTUM))
                };
                Self::Batch(BatchNorm {
                    running_mean: blend(n.running_mean.val(), mean),
                    running_var: blend(n.running_var.val(), unbiased),
                    ..n
                })
            }
        }
    }
}
