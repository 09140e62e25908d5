//! The parts of a transformer block: its normalization, causal self-attention and feed-forward
//! layers, each a Burn module with a pure forward pass.

use burn::{
    module::{Module, Param},
    nn::{LayerNorm, LayerNormConfig, Linear, LinearConfig, RotaryEncoding},
    tensor::{Bool, Tensor, TensorData, activation, backend::Backend},
};
use serde::{Deserialize, Serialize};

use super::FeedForwardUnit;
use crate::{model::LayerObserver, product};

/// The normalization every block applies before attention and before the feed-forward, and
/// once after the last block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NormChoice {
    /// Layer normalization (eps 1e-5), with a bias when the model has biases.
    #[default]
    Layer,
    /// RMS normalization (eps 1e-5), never a bias.
    Rms,
}

/// Both norms' epsilon, PyTorch's `LayerNorm` default.
pub const NORM_EPS: f64 = 1e-5;

/// `x / sqrt(mean(x^2) + eps) * weight` in the tensor's own precision (Burn 0.21's `RmsNorm`
/// computes the mean square in float32, which would break float64 agreement).
#[derive(Module, Debug)]
pub struct RmsNorm<B: Backend> {
    /// `[C]`
    pub weight: Param<Tensor<B, 1>>,
}

#[derive(Module, Debug)]
pub enum BlockNorm<B: Backend> {
    Layer(LayerNorm<B>),
    Rms(RmsNorm<B>),
}

impl<B: Backend> BlockNorm<B> {
    pub fn new(choice: NormChoice, width: usize, bias: bool, device: &B::Device) -> Self {
        match choice {
            NormChoice::Layer => Self::Layer(
                LayerNormConfig::new(width)
                    .with_epsilon(NORM_EPS)
                    .with_bias(bias)
                    .init(device),
            ),
            NormChoice::Rms => Self::Rms(RmsNorm {
                weight: Param::from_tensor(Tensor::ones([width], device)),
            }),
        }
    }

    pub fn forward(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        match self {
            // One operation where the backend has it (the same function).
            Self::Layer(norm) => product::layer_norm(
                x,
                norm.gamma.val(),
                norm.beta.as_ref().map(|b| b.val()),
                NORM_EPS,
            )
            .unwrap_or_else(|x| norm.forward(x)),
            Self::Rms(norm) => {
                let rms = x
                    .clone()
                    .powi_scalar(2)
                    .mean_dim(2)
                    .add_scalar(NORM_EPS)
                    .sqrt(); // [B, T, 1]
                (x / rms) * norm.weight.val().unsqueeze::<3>() // [B, T, C]
            }
        }
    }
}

/// A linear layer `y = x W (+ b)` whose `[fan_in, fan_out]` weight is given (drawn from numpy's
/// stream) and whose bias starts at zero.
pub fn linear<B: Backend>(
    weight: Vec<f64>,
    [fan_in, fan_out]: [usize; 2],
    bias: bool,
    device: &B::Device,
) -> Linear<B> {
    let mut layer = LinearConfig::new(fan_in, fan_out)
        .with_bias(bias)
        .init(device);
    layer.weight = Param::from_tensor(Tensor::from_data(
        TensorData::new(weight, [fan_in, fan_out]),
        device,
    ));
    layer.bias = bias.then(|| Param::from_tensor(Tensor::zeros([fan_out], device)));
    layer
}

/// Multi-head causal self-attention: one `[C, 3C]` projection to queries, keys and values,
/// `softmax(q k^T / sqrt(d) + causal mask) v` per head, and an output projection.
#[derive(Module, Debug)]
pub struct Attention<B: Backend> {
    pub qkv: Linear<B>,
    pub proj: Linear<B>,
    #[module(skip)]
    pub heads: usize,
}

impl<B: Backend> Attention<B> {
    /// Queries, keys and values of the projection `qkv: [B, T, 3C]`, each `[B, H, T, d]`,
    /// queries and keys rotated by `rotary` when given.
    fn heads(&self, qkv: Tensor<B, 3>, rotary: Option<&RotaryEncoding<B>>) -> [Tensor<B, 4>; 3] {
        let [batch, time, width3] = qkv.dims();
        let width = width3 / 3;
        let head = width / self.heads;
        let split = |i: usize| {
            qkv.clone()
                .slice([0..batch, 0..time, i * width..(i + 1) * width]) // [B, T, C]
                .reshape([batch, time, self.heads, head])
                .swap_dims(1, 2) // [B, H, T, d]
        };
        let (q, k, v) = (split(0), split(1), split(2));
        match rotary {
            Some(rotary) => [rotary.forward(q), rotary.forward(k), v],
            None => [q, k, v],
        }
    }

    /// `x: [B, T, C]` to `[B, T, C]`.
    pub fn forward(&self, x: Tensor<B, 3>, rotary: Option<&RotaryEncoding<B>>) -> Tensor<B, 3> {
        let [batch, time, width] = x.dims();
        let qkv = product::linear(&self.qkv, x); // [B, T, 3C]
        let y = match rotary {
            // One operation over the projection where the backend has it.
            None => product::causal_attention(qkv, self.heads), // [B, T, C]
            Some(_) => Err(qkv),
        };
        let y = y.unwrap_or_else(|qkv| {
            let [q, k, v] = self.heads(qkv, rotary);
            product::matmul(causal_softmax(q, k), v) // [B, H, T, d]
                .swap_dims(1, 2)
                .reshape([batch, time, width]) // [B, T, C]
        });
        product::linear(&self.proj, y)
    }

    /// Each head's attention probabilities, `[B, H, T, T]`, for probes.
    pub fn probabilities(
        &self,
        x: Tensor<B, 3>,
        rotary: Option<&RotaryEncoding<B>>,
    ) -> Tensor<B, 4> {
        let [q, k, _] = self.heads(product::linear(&self.qkv, x), rotary);
        causal_softmax(q, k)
    }
}

/// `softmax(q k^T / sqrt(d))` with the future masked, for `q, k: [B, H, T, d]`: `[B, H, T, T]`.
fn causal_softmax<B: Backend>(q: Tensor<B, 4>, k: Tensor<B, 4>) -> Tensor<B, 4> {
    let [batch, heads, time, head] = q.dims();
    // Multiplied by 1/sqrt(d), not divided by sqrt(d): Burn 0.21's `div_scalar` backward
    // divides by the scalar rounded to float32, an error of 1e-8 in float64 gradients.
    let scores = product::matmul(q, k.swap_dims(2, 3)).mul_scalar(1.0 / (head as f64).sqrt()); // [B, H, T, T]
    let future = Tensor::<B, 2, Bool>::tril_mask([time, time], 0, &scores.device())
        .unsqueeze::<4>()
        .expand([batch, heads, time, time]);
    activation::softmax(scores.mask_fill(future, f64::NEG_INFINITY), 3)
}

/// The feed-forward block: `act(x W1) W2`, or `(gate(x W) * x V) W2` for gated units.
#[derive(Module, Debug)]
pub struct FeedForward<B: Backend> {
    /// `W1`, or the gate's `W` for gated units: `[C, hidden]`.
    pub fc: Linear<B>,
    /// The value projection `V` of gated units.
    pub value: Option<Linear<B>>,
    /// `W2`: `[hidden, C]`.
    pub proj: Linear<B>,
    #[module(skip)]
    pub unit: FeedForwardUnit,
}

impl<B: Backend> FeedForward<B> {
    /// `x: [B, T, C]`; block `layer`'s pre-activation and activation are shown to `observer`
    /// as `[1, B*T, hidden]` (for gated units: the gate's pre-activation and the gated product).
    pub fn forward(
        &self,
        x: Tensor<B, 3>,
        layer: usize,
        observer: &mut impl LayerObserver<B>,
    ) -> Tensor<B, 3> {
        let [batch, time, _] = x.dims();
        let flat = |t: Tensor<B, 3>| {
            let hidden = t.dims()[2];
            t.reshape([1, batch * time, hidden])
        };
        let value = self.value.as_ref().map(|v| product::linear(v, x.clone())); // [B, T, hidden]
        let z = product::linear(&self.fc, x); // [B, T, hidden]
        if !observer.observes() {
            let a = self.unit.activate(z); // [B, T, hidden]
            let a = match value {
                Some(value) => a * value,
                None => a,
            };
            return product::linear(&self.proj, a); // [B, T, C]
        }
        let z = observer.pre_activation(layer, flat(z)); // [1, B*T, hidden]
        let mut a = self.unit.activate(z); // [1, B*T, hidden]
        if let Some(value) = value {
            let value = flat(value);
            observer.gate_value(layer, &a, &value);
            a = a * value;
        }
        observer.activation(layer, &a);
        let hidden = a.dims()[2];
        product::linear(&self.proj, a.reshape([batch, time, hidden])) // [B, T, C]
    }
}
