//! What every model family is to actlab: a Burn module of `K` members whose forward pass can be
//! observed layer by layer. The learner, probes, checkpoints and reports see models only
//! through this trait.

use burn::{
    module::Module,
    tensor::{
        Tensor,
        backend::{AutodiffBackend, Backend},
    },
};
use serde::{Deserialize, Serialize};

/// Which statistics a normalization layer uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The batch's own statistics, reported to the observer (training steps and probes).
    Train,
    /// The running statistics accumulated in training (evaluation).
    Eval,
}

/// One observed layer: where an activation function is applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerInfo {
    /// A name unique within the model, e.g. `hidden2`, `block3`, `conv1`.
    pub name: String,
    /// Values per row at this layer: per sample (units, or channels x positions), or for a
    /// sequence model per position.
    pub width: usize,
}

/// Sees every layer of a forward pass without changing what it computes.
///
/// Layers are numbered from 0 in forward order, as [`Family::layers`] lists them. Every
/// method has a default that does nothing, so an observer implements only what it needs.
pub trait LayerObserver<B: Backend> {
    /// Whether this observer looks at any layer: a model may skip preparing what it would
    /// show to one that does not (reshapes for the plain forward pass). Batch statistics are
    /// reported whatever this says.
    fn observes(&self) -> bool {
        true
    }
    /// Layer `layer`'s pre-activation `z`, `[K, N, width]`, before the activation function.
    /// The pass continues from the returned tensor, which must equal `z` in value: a probe
    /// may return `z + 0` with the zero tracked by autodiff, to read `dL/dz` afterwards.
    fn pre_activation(&mut self, _layer: usize, z: Tensor<B, 3>) -> Tensor<B, 3> {
        z
    }
    /// Layer `layer`'s activation `a = phi(z)`, `[K, N, width]`.
    fn activation(&mut self, _layer: usize, _a: &Tensor<B, 3>) {}
    /// A gated unit's gate `act(z)` and value `x V`, `[K, N, width]` each, before their
    /// product is shown to [`Self::activation`].
    fn gate_value(&mut self, _layer: usize, _gate: &Tensor<B, 3>, _value: &Tensor<B, 3>) {}
    /// A transformer's residual stream entering block `layer` (`layer` = the number of blocks:
    /// after the last), `[K, N, width]`.
    fn residual(&mut self, _layer: usize, _h: &Tensor<B, 3>) {}
    /// The output logits, `[K, N, outputs]`.
    fn output(&mut self, _logits: &Tensor<B, 3>) {}
    /// Batch normalization `norm`'s batch mean and (biased) variance in [`Mode::Train`],
    /// each `[K, 1, width]`: the learner folds them into the running statistics.
    fn batch_statistics(&mut self, _norm: usize, _mean: &Tensor<B, 3>, _var: &Tensor<B, 3>) {}
}

/// The observer that observes nothing: a plain forward pass.
impl<B: Backend> LayerObserver<B> for () {
    fn observes(&self) -> bool {
        false
    }
}

/// A model family: `K` members of one layer layout. The classifier families stack every
/// parameter on a leading member dimension (`[K, ...]`), so that members train as one tensor
/// program and each member computes exactly what it would alone; the GPT is one member whose
/// parameters are not stacked ([`Family::stacked`]).
///
/// Rows: a classifier predicts one row of logits per sample (`R = N`); a sequence model
/// predicts at every position of every sample (`R = N x T`), and its observed layers have one
/// row per position too (the `N` of [`LayerObserver`]'s shapes is then `N x T`).
pub trait Family<B: Backend>: Module<B> + Clone + core::fmt::Debug {
    /// What a member applies at its observed layers: a [`Nonlinearity`](super::Nonlinearity)
    /// for the classifier families, a feed-forward unit for the GPT.
    type Unit: Clone + core::fmt::Debug + PartialEq;

    /// Output logits `[K, R, outputs]` for inputs `[K, N, features]`, each observed layer shown
    /// to `observer` on the way.
    fn forward_observed(
        &self,
        x: Tensor<B, 3>,
        mode: Mode,
        observer: &mut impl LayerObserver<B>,
    ) -> Tensor<B, 3>;

    /// The observed layers, in forward order.
    fn layers(&self) -> Vec<LayerInfo>;

    /// Each member's unit.
    fn activations(&self) -> &[Self::Unit];

    /// The same parameters with each member's unit replaced (after re-stacking members).
    fn with_activations(self, activations: Vec<Self::Unit>) -> Self;

    /// The weight gradient of each observed layer, then of the output layer, flattened.
    fn weight_gradients(&self, grads: &B::Gradients) -> Vec<Option<Tensor<B::InnerBackend, 1>>>
    where
        B: AutodiffBackend;

    /// Folds the batch statistics seen in a [`Mode::Train`] pass over `rows` samples into the
    /// running statistics, with `(norm, mean, var)` as [`LayerObserver::batch_statistics`]
    /// reported them.
    fn update_running(
        self,
        _statistics: Vec<(usize, Tensor<B, 3>, Tensor<B, 3>)>,
        _rows: usize,
    ) -> Self {
        self
    }

    /// Number of members `K`.
    fn members(&self) -> usize {
        self.activations().len()
    }

    /// Whether every parameter carries the leading member dimension `[K, ...]` (so that a
    /// bias is a matrix too). The GPT's do not: its parameters have their own ranks.
    fn stacked(&self) -> bool {
        true
    }

    /// A plain forward pass.
    fn forward(&self, x: Tensor<B, 3>, mode: Mode) -> Tensor<B, 3> {
        self.forward_observed(x, mode, &mut ())
    }
}
