//! The GPT as a model [`Family`] of one member, so that the one learner trains it: a sample is a
//! window of `T` token ids (stored exactly in the float input: ids stay below 2^24), and a row
//! of output is one predicted position, `[1, N x T, vocab]`. Observed layers are the blocks'
//! feed-forward units, one row per position, as [`Gpt::forward_observed`] shows them.

use burn::tensor::{
    Tensor,
    backend::{AutodiffBackend, Backend},
};

use super::{FeedForwardUnit, Gpt};
use crate::model::{Family, LayerInfo, LayerObserver, Mode};

impl<B: Backend> Family<B> for Gpt<B> {
    type Unit = FeedForwardUnit;

    /// Dropout follows Burn's convention (active on an autodiff backend), whatever `mode`:
    /// a GPT has no batch statistics.
    fn forward_observed(
        &self,
        x: Tensor<B, 3>,
        _mode: Mode,
        observer: &mut impl LayerObserver<B>,
    ) -> Tensor<B, 3> {
        let [members, samples, time] = x.dims();
        assert_eq!(members, 1, "a GPT is a family of one member");
        let tokens = x.reshape([samples, time]).int(); // [N, T]
        let logits = Gpt::forward_observed(self, tokens, observer); // [N, T, vocab]
        let logits = logits.reshape([1, samples * time, self.config.vocab]); // [1, N*T, vocab]
        if observer.observes() {
            observer.output(&logits);
        }
        logits
    }

    fn layers(&self) -> Vec<LayerInfo> {
        (1..=self.config.n_layer)
            .map(|l| LayerInfo {
                name: format!("block{l}"),
                width: self.config.hidden,
            })
            .collect()
    }

    fn stacked(&self) -> bool {
        false
    }

    fn activations(&self) -> &[FeedForwardUnit] {
        std::slice::from_ref(&self.config.unit)
    }

    /// # Panics
    /// Unless `activations` holds one unit, gated exactly when the current one is: a gated
    /// unit has a value matrix a plain one lacks.
    fn with_activations(mut self, activations: Vec<FeedForwardUnit>) -> Self {
        let [unit] = activations[..] else {
            panic!(
                "a GPT is a family of one member, given {}",
                activations.len()
            );
        };
        assert_eq!(
            unit.is_gated(),
            self.config.unit.is_gated(),
            "a gated and a plain feed-forward unit have different parameters"
        );
        self.config.unit = unit;
        for block in &mut self.blocks {
            block.ffn.unit = unit;
        }
        self
    }

    /// Each block's `W1` (a gated unit's gate matrix), then the output head (the token
    /// embedding when tied).
    fn weight_gradients(&self, grads: &B::Gradients) -> Vec<Option<Tensor<B::InnerBackend, 1>>>
    where
        B: AutodiffBackend,
    {
        let flat = |g: Tensor<B::InnerBackend, 2>| g.flatten(0, 1);
        let mut found: Vec<_> = self
            .blocks
            .iter()
            .map(|b| b.ffn.fc.weight.grad(grads).map(flat))
            .collect();
        found.push(match &self.head {
            Some(head) => head.grad(grads).map(flat),
            None => self.wte.weight.grad(grads).map(flat),
        });
        found
    }
}
