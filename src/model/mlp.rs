//! The multi-layer perceptron: `features -> hidden[0] -> ... -> hidden[n-1] -> outputs`, one
//! activation on every hidden layer, optionally normalized before it (`Linear -> Norm -> phi`).
//!
//! With no normalization this is the article's network, computed operation for operation as
//! the numpy original and the fused engine compute it.

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

/// `K` members sharing one layer layout.
#[derive(Module, Debug)]
pub struct Mlp<B: Backend> {
    /// The hidden layers, then the output layer.
    pub layers: Vec<Dense<B>>,
    /// One per hidden layer, or none.
    pub norms: Vec<Norm<B>>,
    /// The hidden activation of each member.
    #[module(skip)]
    pub activations: Vec<Nonlinearity>,
}

/// Registered as `family = "mlp"`.
pub struct MlpBlueprint;

impl Blueprint for MlpBlueprint {
    const NAME: &'static str = "mlp";
    type Model<B: Backend> = Mlp<B>;

    fn check(arch: &Architecture) -> Result<(), ArchitectureError> {
        if !arch.conv.is_empty() {
            return Err(ArchitectureError::new(
                "model.conv",
                format!("{} layers", arch.conv.len()),
                "convolutions need `family = \"cnn\"`",
            ));
        }
        Ok(())
    }

    /// The article's `np.random.randn(fan_in, fan_out) * scale`, layer by layer.
    fn draw(arch: &Architecture, init: &Init, rng: &mut NumpyRng) -> Vec<Drawn> {
        arch.dense_widths(arch.features())
            .windows(2)
            .map(|w| init.draw_layer(rng, w[0], w[1]))
            .collect()
    }

    fn init<B: Backend>(
        arch: &Architecture,
        members: &[(Nonlinearity, &[Drawn])],
        device: &B::Device,
    ) -> Mlp<B> {
        let dims = arch.dense_widths(arch.features());
        let k = members.len();
        let layers = dims
            .windows(2)
            .enumerate()
            .map(|(l, w)| {
                let drawn: Vec<&Drawn> = members.iter().map(|(_, m)| &m[l]).collect();
                Dense::from_members(&drawn, w[0], w[1], device)
            })
            .collect();
        let norms = arch.hidden[..]
            .iter()
            .filter_map(|&width| Norm::new(arch.norm, k, width, device))
            .collect();
        Mlp {
            layers,
            norms,
            activations: members.iter().map(|(a, _)| *a).collect(),
        }
    }
}

impl<B: Backend> Family<B> for Mlp<B> {
    type Unit = Nonlinearity;

    fn forward_observed(
        &self,
        x: Tensor<B, 3>,
        mode: Mode,
        observer: &mut impl LayerObserver<B>,
    ) -> Tensor<B, 3> {
        let (output, hidden) = self
            .layers
            .split_last()
            .expect("an MLP has an output layer");
        let mut a = x; // [K, N, features]
        for (l, dense) in hidden.iter().enumerate() {
            let mut z = dense.forward(a); // [K, N, width]
            if let Some(norm) = self.norms.get(l) {
                z = norm.forward(l, z, mode, observer); // [K, N, width]
            }
            let z = observer.pre_activation(l, z);
            a = apply_per_member(&self.activations, z); // [K, N, width]
            observer.activation(l, &a);
        }
        let logits = output.forward(a); // [K, N, outputs]
        observer.output(&logits);
        logits
    }

    fn layers(&self) -> Vec<LayerInfo> {
        let hidden = &self.layers[..self.layers.len() - 1];
        hidden
            .iter()
            .enumerate()
            .map(|(l, d)| LayerInfo {
                name: format!("hidden{}", l + 1),
                width: d.shape()[1],
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

    fn weight_gradients(&self, grads: &B::Gradients) -> Vec<Option<Tensor<B::InnerBackend, 1>>>
    where
        B: AutodiffBackend,
    {
        self.layers
            .iter()
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

impl<B: Backend> Mlp<B> {
    /// Layer widths from input to output.
    pub fn dims(&self) -> Vec<usize> {
        let mut dims = vec![self.layers[0].shape()[0]];
        dims.extend(self.layers.iter().map(|l| l.shape()[1]));
        dims
    }
}
