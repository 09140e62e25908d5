//! The residual MLP: pre-activation residual blocks on a stream of constant width.
//!
//! ```text
//! h_0 = x W_in + b_in                          (stem, no activation)
//! z_l = Norm_l(h_{l-1}),  a_l = phi(z_l)        (l = 1..L, Norm optional)
//! h_l = h_{l-1} + a_l W_l + b_l                 (block l)
//! logits = h_L W_out + b_out
//! ```
//!
//! As in He et al. 2016 ("Identity mappings in deep residual networks"), the normalization and
//! the activation come before each block's weights and the stream itself is never squashed,
//! so gradients reach early layers through the identity path whatever `phi` does. `hidden`
//! lists the stream width once per block, all equal. Every weight matrix is drawn from the
//! variant's init.

use burn::{
    module::Module,
    tensor::{
        Tensor,
        backend::{AutodiffBackend, Backend},
    },
};

use super::{
    Architecture, ArchitectureError, Blueprint, Dense, Drawn, Family, Init, LayerInfo,
    LayerObserver, Mode, Nonlinearity, Norm, activation::apply_per_member,
};
use crate::numpy_rng::NumpyRng;

#[derive(Module, Debug)]
pub struct ResidualMlp<B: Backend> {
    /// `features -> width`.
    pub stem: Dense<B>,
    /// `width -> width`, one per block.
    pub blocks: Vec<Dense<B>>,
    /// One per block, or none.
    pub norms: Vec<Norm<B>>,
    /// `width -> outputs`.
    pub output: Dense<B>,
    #[module(skip)]
    pub activations: Vec<Nonlinearity>,
}

/// Registered as `family = "residual-mlp"`.
pub struct ResidualBlueprint;

impl Blueprint for ResidualBlueprint {
    const NAME: &'static str = "residual-mlp";
    type Model<B: Backend> = ResidualMlp<B>;

    fn check(arch: &Architecture) -> Result<(), ArchitectureError> {
        if arch.hidden.is_empty() {
            return Err(ArchitectureError::new(
                "model.hidden",
                "[]",
                "a residual MLP needs at least one block: list its width once per block",
            ));
        }
        if arch.hidden.iter().any(|&w| w != arch.hidden[0]) {
            return Err(ArchitectureError::new(
                "model.hidden",
                format!("{:?}", arch.hidden),
                "a residual MLP's blocks share one width: list it once per block, e.g. [32, 32, 32, 32]",
            ));
        }
        if !arch.conv.is_empty() {
            return Err(ArchitectureError::new(
                "model.conv",
                format!("{} layers", arch.conv.len()),
                "convolutions need `family = \"cnn\"`",
            ));
        }
        Ok(())
    }

    /// Stem, blocks in order, output layer, each `[fan_in][fan_out]`.
    fn draw(arch: &Architecture, init: &Init, rng: &mut NumpyRng) -> Vec<Drawn> {
        let width = arch.hidden[0];
        let mut draws = vec![init.draw_layer(rng, arch.features(), width)];
        draws.extend((0..arch.hidden.len()).map(|_| init.draw_layer(rng, width, width)));
        draws.push(init.draw_layer(rng, width, arch.outputs));
        draws
    }

    fn init<B: Backend>(
        arch: &Architecture,
        members: &[(Nonlinearity, &[Drawn])],
        device: &B::Device,
    ) -> ResidualMlp<B> {
        let (width, blocks, k) = (arch.hidden[0], arch.hidden.len(), members.len());
        let dense = |index: usize, fan_in: usize, fan_out: usize| {
            let drawn: Vec<&Drawn> = members.iter().map(|(_, m)| &m[index]).collect();
            Dense::from_members(&drawn, fan_in, fan_out, device)
        };
        ResidualMlp {
            stem: dense(0, arch.features(), width),
            blocks: (1..=blocks).map(|i| dense(i, width, width)).collect(),
            norms: (0..blocks)
                .filter_map(|_| Norm::new(arch.norm, k, width, device))
                .collect(),
            output: dense(blocks + 1, width, arch.outputs),
            activations: members.iter().map(|(a, _)| *a).collect(),
        }
    }
}

impl<B: Backend> Family<B> for ResidualMlp<B> {
    type Unit = Nonlinearity;

    fn forward_observed(
        &self,
        x: Tensor<B, 3>,
        mode: Mode,
        observer: &mut impl LayerObserver<B>,
    ) -> Tensor<B, 3> {
        let mut h = self.stem.forward(x); // [K, N, width]
        for (l, block) in self.blocks.iter().enumerate() {
            let mut z = h.clone(); // [K, N, width]
            if let Some(norm) = self.norms.get(l) {
                z = norm.forward(l, z, mode, observer);
            }
            let z = observer.pre_activation(l, z);
            let a = apply_per_member(&self.activations, z); // [K, N, width]
            observer.activation(l, &a);
            h = h + block.forward(a); // [K, N, width]
        }
        let logits = self.output.forward(h); // [K, N, outputs]
        observer.output(&logits);
        logits
    }

    fn layers(&self) -> Vec<LayerInfo> {
        self.blocks
            .iter()
            .enumerate()
            .map(|(l, d)| LayerInfo {
                name: format!("block{}", l + 1),
                width: d.shape()[0],
            })
            .collect()
    }

    fn activations(&self) -> &[Nonlinearity] {
        &self.activations
    }

    fn with_activations(self, activations: Vec<Nonlinearity>) -> Self {
        Self {
            activations,
            ..self
        }
    }

    /// Each block's weights, then the output layer's (the stem has no activation to observe).
    fn weight_gradients(&self, grads: &B::Gradients) -> Vec<Option<Tensor<B::InnerBackend, 1>>>
    where
        B: AutodiffBackend,
    {
        self.blocks
            .iter()
            .chain([&self.output])
            .map(|d| d.weight.grad(grads).map(|g| g.flatten(0, 2)))
            .collect()
    }

    fn update_running(
        mut self,
        statistics: Vec<(usize, Tensor<B, 3>, Tensor<B, 3>)>,
        rows: usize,
    ) -> Self {
        for (index, mean, var) in statistics {
            let norm = self.norms.remove(index);
            self.norms
                .insert(index, norm.update_running(mean, var, rows));
        }
        self
    }
}
