//! The multi-layer perceptron: `K` independent members of one architecture in one set of tensors.
//!
//! A single network is the `K = 1` case. Stacking members (`[K, fan_in, fan_out]` weights, one
//! batched matmul per layer) lets seeds, variants and grid points of one architecture train as
//! one tensor program, and each member's arithmetic is exactly what it would be alone. Members
//! may differ in activation: each activation is computed and selected per member.

use burn::{
    module::{Module, Param},
    tensor::{Bool, Tensor, TensorData, backend::Backend},
};
use serde::{Deserialize, Serialize};

use super::{Activation, InitScheme, activation::sigmoid};
use crate::numpy_rng::NumpyRng;

/// The architecture: `input -> hidden[0] -> ... -> hidden[n-1] -> 1` with one activation on
/// every hidden layer and a sigmoid output unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MlpConfig {
    pub input: usize,
    pub hidden: Vec<usize>,
    pub activation: Activation,
    pub init: InitScheme,
}

/// A fully connected layer for `K` members: `z = a @ W + b` per member.
#[derive(Module, Debug)]
pub struct Dense<B: Backend> {
    /// `[K, fan_in, fan_out]`
    pub weight: Param<Tensor<B, 3>>,
    /// `[K, 1, fan_out]`
    pub bias: Param<Tensor<B, 3>>,
}

/// `K` members sharing one layer layout ([`MlpConfig::dims`]).
#[derive(Module, Debug)]
pub struct Mlp<B: Backend> {
    pub layers: Vec<Dense<B>>,
    /// The hidden activation of each member.
    #[module(skip)]
    pub activations: Vec<Activation>,
}

/// Sees every layer of a forward pass without changing it: the analysis probes implement this.
pub trait LayerObserver<B: Backend> {
    /// A hidden layer's pre-activation `z` and activation `a`, each `[K, N, width]`.
    fn hidden(&mut self, _layer: usize, _z: &Tensor<B, 3>, _a: &Tensor<B, 3>) {}
    /// The output logit, `[K, N, 1]`.
    fn output(&mut self, _logit: &Tensor<B, 3>) {}
}

/// The observer that observes nothing: plain `forward`.
impl<B: Backend> LayerObserver<B> for () {}

impl MlpConfig {
    /// Layer widths from input to output.
    pub fn dims(&self) -> Vec<usize> {
        let mut dims = vec![self.input];
        dims.extend(&self.hidden);
        dims.push(1);
        dims
    }

    /// Number of trainable parameters of one member.
    pub fn parameter_count(&self) -> usize {
        self.dims().windows(2).map(|w| (w[0] + 1) * w[1]).sum()
    }

    /// Draws one member's weight matrices in layer order, as the article's
    /// `np.random.randn(fan_in, fan_out) * scale` calls do; the caller seeds `rng`.
    pub fn draw_weights(&self, rng: &mut NumpyRng) -> Vec<Vec<f64>> {
        self.dims()
            .windows(2)
            .map(|w| self.init.draw(rng, w[0], w[1]))
            .collect()
    }

    /// Builds `K = members.len()` members of this configuration from their drawn weights (see
    /// [`Self::draw_weights`]), with zero biases.
    pub fn init<B: Backend>(&self, members: &[Vec<Vec<f64>>], device: &B::Device) -> Mlp<B> {
        let members: Vec<(&MlpConfig, &[Vec<f64>])> =
            members.iter().map(|w| (self, w.as_slice())).collect();
        Mlp::from_members(&members, device)
    }
}

impl<B: Backend> Mlp<B> {
    /// Stacks members, each a configuration and its drawn weights, into one ensemble with zero
    /// biases. All configurations must share [`MlpConfig::dims`].
    pub fn from_members(members: &[(&MlpConfig, &[Vec<f64>])], device: &B::Device) -> Self {
        let (first, _) = members
            .first()
            .expect("an ensemble has at least one member");
        let dims = first.dims();
        assert!(
            members.iter().all(|(c, _)| c.dims() == dims),
            "ensemble members must share a layer layout"
        );
        let k = members.len();
        let layers = dims
            .windows(2)
            .enumerate()
            .map(|(layer, w)| {
                let (fan_in, fan_out) = (w[0], w[1]);
                let weights: Vec<f64> = members
                    .iter()
                    .flat_map(|(_, m)| m[layer].iter().copied())
                    .collect();
                let weight =
                    Tensor::from_data(TensorData::new(weights, [k, fan_in, fan_out]), device);
                let bias = Tensor::zeros([k, 1, fan_out], device);
                Dense {
                    weight: Param::from_tensor(weight),
                    bias: Param::from_tensor(bias),
                }
            })
            .collect();
        Mlp {
            layers,
            activations: members.iter().map(|(c, _)| c.activation).collect(),
        }
    }
}

impl<B: Backend> Mlp<B> {
    /// The ensembles' members one after another, as one ensemble (new parameters, outside any
    /// autodiff graph). One ensemble comes back as it is, parameter ids included (Burn's
    /// optimizer state refers to them).
    pub fn concat(mut parts: Vec<Self>) -> Self {
        if parts.len() == 1 {
            return parts.remove(0);
        }
        let layers = (0..parts[0].layers.len())
            .map(|l| Dense {
                weight: Param::from_tensor(
                    Tensor::cat(parts.iter().map(|p| p.layers[l].weight.val()).collect(), 0)
                        .detach(),
                ),
                bias: Param::from_tensor(
                    Tensor::cat(parts.iter().map(|p| p.layers[l].bias.val()).collect(), 0).detach(),
                ),
            })
            .collect();
        Mlp {
            layers,
            activations: parts.iter().flat_map(|p| p.activations.clone()).collect(),
        }
    }

    /// Members `range` as an ensemble of their own (new parameters, outside any autodiff graph);
    /// all members come back as they are, parameter ids included.
    pub fn select(&self, range: std::ops::Range<usize>) -> Self {
        if range == (0..self.members()) {
            return self.clone();
        }
        let layers = self
            .layers
            .iter()
            .map(|l| Dense {
                weight: Param::from_tensor(
                    l.weight.val().narrow(0, range.start, range.len()).detach(),
                ),
                bias: Param::from_tensor(l.bias.val().narrow(0, range.start, range.len()).detach()),
            })
            .collect();
        Mlp {
            layers,
            activations: self.activations[range].to_vec(),
        }
    }
}

impl<B: Backend> Dense<B> {
    pub fn forward(&self, a: Tensor<B, 3>) -> Tensor<B, 3> {
        a.matmul(self.weight.val()) + self.bias.val() // [K, N, fan_out]
    }
}

impl<B: Backend> Mlp<B> {
    /// Number of members `K`.
    pub fn members(&self) -> usize {
        self.layers[0].weight.dims()[0]
    }

    /// Output logits `[K, N, 1]` for inputs `[K, N, input]`.
    pub fn forward(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        self.forward_observed(x, &mut ())
    }

    /// Each member's activation applied to its slice of `z`, `[K, N, width]`. With mixed
    /// activations every one is computed on all members and selected per member, so a member's
    /// values are exactly those of its own activation.
    fn activate(&self, z: Tensor<B, 3>) -> Tensor<B, 3> {
        let first = self.activations[0];
        if self.activations.iter().all(|&a| a == first) {
            return first.apply(z);
        }
        let mut distinct = self.activations.clone();
        distinct.dedup();
        distinct.sort_by_key(|a| a.name());
        distinct.dedup();
        let dims = z.dims();
        let device = z.device();
        let mut out = first.apply(z.clone());
        for activation in distinct.into_iter().filter(|&a| a != first) {
            let chosen: Vec<bool> = self.activations.iter().map(|&a| a == activation).collect();
            let mask =
                Tensor::<B, 3, Bool>::from_bool(TensorData::new(chosen, [dims[0], 1, 1]), &device)
                    .expand(dims); // [K, N, width]
            out = out.mask_where(mask, activation.apply(z.clone()));
        }
        out
    }

    /// `P(class 1)`, `[K, N, 1]`.
    pub fn predict(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        sigmoid(self.forward(x))
    }

    /// [`Self::forward`], showing each layer to `observer` on the way.
    pub fn forward_observed(
        &self,
        x: Tensor<B, 3>,
        observer: &mut impl LayerObserver<B>,
    ) -> Tensor<B, 3> {
        let (output, hidden) = self
            .layers
            .split_last()
            .expect("an MLP has an output layer");
        let mut a = x; // [K, N, input]
        for (layer, dense) in hidden.iter().enumerate() {
            let z = dense.forward(a); // [K, N, width]
            a = self.activate(z.clone()); // [K, N, width]
            observer.hidden(layer, &z, &a);
        }
        let logit = output.forward(a); // [K, N, 1]
        observer.output(&logit);
        logit
    }
}
