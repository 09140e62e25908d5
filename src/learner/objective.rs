//! The training objective, fixed by the number of outputs: two classes use the article's
//! sigmoid output with binary cross-entropy (eps 1e-9 inside both logarithms); more classes
//! use a softmax output with cross-entropy. Losses are means over samples, per member.

use burn::tensor::{Tensor, backend::Backend};
use serde::{Deserialize, Serialize};

use crate::model::activation::sigmoid;

/// The epsilon inside both logarithms of the binary loss, as in the article.
pub const EPS: f64 = 1e-9;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Objective {
    /// One logit, `P(class 1) = sigmoid(logit)`, binary cross-entropy.
    Binary,
    /// One logit per class, softmax, cross-entropy.
    Multiclass,
}

impl Objective {
    /// The objective of a model with `outputs` logits.
    pub fn for_outputs(outputs: usize) -> Self {
        if outputs == 1 {
            Self::Binary
        } else {
            Self::Multiclass
        }
    }

    /// Output logits for `classes` classes.
    pub fn outputs(classes: usize) -> usize {
        if classes <= 2 { 1 } else { classes }
    }

    /// The target row of a sample of class `y` with `outputs` logits: the label itself for
    /// one output, one-hot otherwise.
    pub fn target(outputs: usize, y: u8) -> impl Iterator<Item = f64> {
        (0..outputs).map(move |c| {
            let hit = if outputs == 1 {
                y == 1
            } else {
                usize::from(y) == c
            };
            f64::from(u8::from(hit))
        })
    }

    /// Each member's summed loss over the samples: `[K, n, C]` logits and targets to `[K]`.
    pub fn loss_sum<B: Backend>(self, logits: Tensor<B, 3>, targets: Tensor<B, 3>) -> Tensor<B, 1> {
        self.log_likelihood(logits, targets).neg()
    }

    /// Each member's mean loss: `[K]`, in the article's order of operations (sum, divide by
    /// `n`, negate).
    pub fn loss<B: Backend>(self, logits: Tensor<B, 3>, targets: Tensor<B, 3>) -> Tensor<B, 1> {
        let n = logits.dims()[1];
        self.log_likelihood(logits, targets)
            .div_scalar(n as f64)
            .neg()
    }

    /// Each member's summed log-likelihood of the targets: `[K]`.
    fn log_likelihood<B: Backend>(
        self,
        logits: Tensor<B, 3>,
        targets: Tensor<B, 3>,
    ) -> Tensor<B, 1> {
        self.normalized(logits).log_likelihood(targets)
    }

    /// The mean loss, `[K]`, and its gradient with respect to the logits, `[K, n, C]`, from one
    /// sigmoid or softmax of the logits: the same numbers as [`Self::loss`] and
    /// [`Self::logit_gradient`], without computing the normalization twice (a training step).
    pub fn loss_and_gradient<B: Backend>(
        self,
        logits: Tensor<B, 3>,
        targets: Tensor<B, 3>,
    ) -> (Tensor<B, 1>, Tensor<B, 3>) {
        let n = logits.dims()[1] as f64;
        let normalized = self.normalized(logits);
        let loss = normalized
            .clone()
            .log_likelihood(targets.clone())
            .div_scalar(n)
            .neg();
        let gradient = (normalized.probabilities() - targets).div_scalar(n);
        (loss, gradient)
    }

    /// The sigmoid (binary) or the log-softmax (multi-class) of the logits.
    fn normalized<B: Backend>(self, logits: Tensor<B, 3>) -> Normalized<B> {
        match self {
            Self::Binary => Normalized::Probability(sigmoid(logits)),
            Self::Multiclass => Normalized::LogProbability(log_softmax(logits)),
        }
    }

    /// The gradient of the mean loss with respect to the logits: `(p - y) / n`, `[K, n, C]`,
    /// with `p` the sigmoid or the softmax.
    pub fn logit_gradient<B: Backend>(
        self,
        logits: Tensor<B, 3>,
        targets: Tensor<B, 3>,
    ) -> Tensor<B, 3> {
        let n = logits.dims()[1];
        (self.probabilities(logits) - targets).div_scalar(n as f64)
    }

    /// `P(class 1)` (binary) or the class probabilities (softmax), `[K, n, C]`.
    pub fn probabilities<B: Backend>(self, logits: Tensor<B, 3>) -> Tensor<B, 3> {
        self.normalized(logits).probabilities()
    }

    /// Each member's number of correct predictions: `[K]`.
    pub fn correct<B: Backend>(self, logits: Tensor<B, 3>, targets: Tensor<B, 3>) -> Tensor<B, 1> {
        let [k, _, _] = logits.dims();
        let hits = match self {
            Self::Binary => sigmoid(logits)
                .greater_equal_elem(0.5)
                .equal(targets.equal_elem(1.0))
                .float(), // [K, n, 1]
            Self::Multiclass => logits.argmax(2).equal(targets.argmax(2)).float(), // [K, n, 1]
        };
        hits.sum_dim(1).reshape([k])
    }
}

/// `z - logsumexp(z)` over the last dimension, stable for large logits.
fn log_softmax<B: Backend>(logits: Tensor<B, 3>) -> Tensor<B, 3> {
    let max = logits.clone().max_dim(2).detach(); // [K, n, 1]
    let shifted = logits - max; // [K, n, C]
    let log_sum = shifted.clone().exp().sum_dim(2).log(); // [K, n, 1]
    shifted - log_sum
}

/// The logits normalized once, for the loss and the probabilities alike.
#[derive(Clone)]
enum Normalized<B: Backend> {
    /// `sigmoid(z)`, `[K, n, 1]`.
    Probability(Tensor<B, 3>),
    /// `log_softmax(z)`, `[K, n, C]`.
    LogProbability(Tensor<B, 3>),
}

impl<B: Backend> Normalized<B> {
    /// Each member's summed log-likelihood of the targets: `[K]`.
    fn log_likelihood(self, targets: Tensor<B, 3>) -> Tensor<B, 1> {
        match self {
            Self::Probability(prob) => {
                let k = prob.dims()[0];
                let positive = targets.clone() * prob.clone().add_scalar(EPS).log(); // [K, n, 1]
                let negative = targets.neg().add_scalar(1.0)
                    * prob.neg().add_scalar(1.0).add_scalar(EPS).log();
                (positive + negative).sum_dim(1).reshape([k]) // [K]
            }
            Self::LogProbability(log_prob) => {
                let k = log_prob.dims()[0];
                (log_prob * targets).sum_dim(2).sum_dim(1).reshape([k]) // [K]
            }
        }
    }

    /// `P(class 1)` or the class probabilities, `[K, n, C]`.
    fn probabilities(self) -> Tensor<B, 3> {
        match self {
            Self::Probability(prob) => prob,
            Self::LogProbability(log_prob) => log_prob.exp(),
        }
    }
}
