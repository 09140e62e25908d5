//! The activation functions under study, applied element-wise to a tensor of any rank.
//!
//! Each is written with float64-exact tensor primitives. Burn 0.21's default `sigmoid`
//! (`ActivationOps::sigmoid`, used by the ndarray backend) computes in float32 and casts back,
//! which would break exact reproduction; ours is numpy's `1 / (1 + exp(-clip(z, -500, 500)))`.

use std::{fmt, str::FromStr};

use burn::tensor::{Tensor, activation, backend::Backend};

use super::elementary;
use serde::{Deserialize, Serialize};

/// An activation function, named in experiment files by its kebab-case name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Activation {
    Sigmoid,
    Tanh,
    Relu,
    LeakyRelu,
    Elu,
    Gelu,
    Silu,
    Softplus,
    Identity,
    Selu,
    Softsign,
}

/// Slope of the leaky ReLU for negative inputs.
pub const LEAKY_SLOPE: f64 = 0.01;
/// SELU's scale and negative saturation (Klambauer et al. 2017), as PyTorch writes them.
pub const SELU_LAMBDA: f64 = 1.050_700_987_355_480_5;
pub const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;

impl Activation {
    pub const ALL: [Activation; 11] = [
        Self::Sigmoid,
        Self::Tanh,
        Self::Relu,
        Self::LeakyRelu,
        Self::Elu,
        Self::Gelu,
        Self::Silu,
        Self::Softplus,
        Self::Identity,
        Self::Selu,
        Self::Softsign,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Sigmoid => "sigmoid",
            Self::Tanh => "tanh",
            Self::Relu => "relu",
            Self::LeakyRelu => "leaky-relu",
            Self::Elu => "elu",
            Self::Gelu => "gelu",
            Self::Silu => "silu",
            Self::Softplus => "softplus",
            Self::Identity => "identity",
            Self::Selu => "selu",
            Self::Softsign => "softsign",
        }
    }

    /// The allowed names, for error messages.
    pub fn names() -> String {
        Self::ALL.map(Self::name).join(", ")
    }

    /// Bounded activations saturate at their bounds (`(lower, upper)`).
    pub fn bounds(self) -> Option<(f64, f64)> {
        match self {
            Self::Sigmoid => Some((0.0, 1.0)),
            Self::Tanh | Self::Softsign => Some((-1.0, 1.0)),
            _ => None,
        }
    }

    /// ReLU-like activations output exact zeros for a whole half-line, so units can die.
    pub fn can_die(self) -> bool {
        matches!(self, Self::Relu)
    }

    pub fn apply<B: Backend, const D: usize>(self, z: Tensor<B, D>) -> Tensor<B, D> {
        match self {
            Self::Sigmoid => sigmoid(z),
            Self::Tanh => z.tanh(),
            Self::Relu => activation::relu(z),
            Self::LeakyRelu => {
                activation::relu(z.clone()) - activation::relu(z.neg()).mul_scalar(LEAKY_SLOPE)
            }
            // relu(z) + (exp(min(z, 0)) - 1): the second term is exactly 0 for z > 0.
            Self::Elu => activation::relu(z.clone()) + z.clamp_max(0.0).exp().sub_scalar(1.0),
            Self::Gelu => {
                // Multiplied by 1/sqrt 2, not divided by sqrt 2: Burn 0.21's `div_scalar`
                // backward divides by the scalar rounded to float32 (1e-8 errors in float64).
                let cdf = z
                    .clone()
                    .mul_scalar(std::f64::consts::FRAC_1_SQRT_2)
                    .erf()
                    .add_scalar(1.0)
                    .mul_scalar(0.5);
                z * cdf
            }
            Self::Silu => z.clone() * sigmoid(z),
            // relu(z) + log(1 + exp(-|z|)): stable for large |z|.
            Self::Softplus => activation::relu(z.clone()) + z.abs().neg().exp().log1p(),
            Self::Identity => z,
            Self::Selu => {
                activation::relu(z.clone()).mul_scalar(SELU_LAMBDA)
                    + z.clamp_max(0.0)
                        .exp()
                        .sub_scalar(1.0)
                        .mul_scalar(SELU_LAMBDA * SELU_ALPHA)
            }
            Self::Softsign => z.clone() / z.abs().add_scalar(1.0),
        }
    }

    /// The activation of one value, as [`Self::apply`] computes it element-wise.
    #[inline]
    pub fn value(self, z: f64) -> f64 {
        let relu = |x: f64| if x > 0.0 { x } else { 0.0 };
        match self {
            Self::Sigmoid => sigmoid_value(z),
            Self::Tanh => z.tanh(),
            Self::Relu => relu(z),
            Self::LeakyRelu => relu(z) - relu(-z) * LEAKY_SLOPE,
            Self::Elu => relu(z) + (z.min(0.0).exp() - 1.0),
            Self::Gelu => z * ((libm::erf(z / std::f64::consts::SQRT_2) + 1.0) * 0.5),
            Self::Silu => z * sigmoid_value(z),
            Self::Softplus => relu(z) + (-z.abs()).exp().ln_1p(),
            Self::Identity => z,
            Self::Selu => {
                relu(z) * SELU_LAMBDA + (z.min(0.0).exp() - 1.0) * (SELU_LAMBDA * SELU_ALPHA)
            }
            Self::Softsign => z / (z.abs() + 1.0),
        }
    }

    /// [`Self::value`] of each of `z` into `out`, choosing the function once for the slice.
    #[inline(always)]
    pub fn apply_slice(self, z: &[f64], out: &mut [f64]) {
        fn map(z: &[f64], out: &mut [f64], f: impl Fn(f64) -> f64) {
            for (o, &v) in out.iter_mut().zip(z) {
                *o = f(v);
            }
        }
        match self {
            Self::Sigmoid => map(z, out, sigmoid_value),
            Self::Relu => map(z, out, |v| Self::Relu.value(v)),
            Self::Tanh => map(z, out, f64::tanh),
            other => map(z, out, |v| other.value(v)),
        }
    }

    /// Multiplies each of `grad` by the derivative at `z` (activation `a`), choosing the function
    /// once for the slice: how much of each gradient passes back through the unit.
    #[inline(always)]
    pub fn scale_by_derivative(self, z: &[f64], a: &[f64], grad: &mut [f64]) {
        fn map(z: &[f64], a: &[f64], grad: &mut [f64], f: impl Fn(f64, f64) -> f64) {
            for ((g, &z), &a) in grad.iter_mut().zip(z).zip(a) {
                *g *= f(z, a);
            }
        }
        match self {
            Self::Sigmoid => map(z, a, grad, |z, a| Self::Sigmoid.derivative(z, a)),
            Self::Relu => map(z, a, grad, |z, a| Self::Relu.derivative(z, a)),
            Self::Tanh => map(z, a, grad, |z, a| Self::Tanh.derivative(z, a)),
            other => map(z, a, grad, |z, a| other.derivative(z, a)),
        }
    }

    /// The derivative at `z`, given `a` = the activation at `z`: how much gradient passes.
    #[inline]
    pub fn derivative(self, z: f64, a: f64) -> f64 {
        match self {
            Self::Sigmoid => a * (1.0 - a),
            Self::Tanh => 1.0 - a * a,
            Self::Relu => f64::from(u8::from(z > 0.0)),
            Self::LeakyRelu => {
                if z > 0.0 {
                    1.0
                } else {
                    LEAKY_SLOPE
                }
            }
            Self::Elu => {
                if z > 0.0 {
                    1.0
                } else {
                    a + 1.0
                }
            }
            Self::Gelu => {
                let cdf = (libm::erf(z / std::f64::consts::SQRT_2) + 1.0) * 0.5;
                let pdf = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
                cdf + z * pdf
            }
            Self::Silu => {
                let s = sigmoid_value(z);
                s * (1.0 + z * (1.0 - s))
            }
            Self::Softplus => sigmoid_value(z),
            Self::Identity => 1.0,
            Self::Selu => {
                if z > 0.0 {
                    SELU_LAMBDA
                } else {
                    a + SELU_LAMBDA * SELU_ALPHA
                }
            }
            Self::Softsign => {
                let d = z.abs() + 1.0;
                1.0 / (d * d)
            }
        }
    }
}

/// A member's nonlinearity: an activation function `phi`, or `phi` in an affine wrapper
/// `a(x) = gain * (phi(x) + shift)`. `4 * (sigmoid(x) - 1/2)` is `2 tanh(x / 2)`: sigmoid
/// with tanh's slope at 0 and tanh's zero mean.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Nonlinearity {
    pub activation: Activation,
    pub gain: f64,
    pub shift: f64,
}

impl From<Activation> for Nonlinearity {
    fn from(activation: Activation) -> Self {
        Self {
            activation,
            gain: 1.0,
            shift: 0.0,
        }
    }
}

impl Nonlinearity {
    /// Whether this is the activation itself (`gain = 1`, `shift = 0`): computed with no extra
    /// operation, so plain activations keep their exact arithmetic.
    pub fn is_plain(self) -> bool {
        self.gain == 1.0 && self.shift == 0.0
    }

    pub fn apply<B: Backend, const D: usize>(self, z: Tensor<B, D>) -> Tensor<B, D> {
        let a = self.activation.apply(z);
        if self.is_plain() {
            a
        } else {
            a.add_scalar(self.shift).mul_scalar(self.gain)
        }
    }

    pub fn value(self, z: f64) -> f64 {
        let a = self.activation.value(z);
        if self.is_plain() {
            a
        } else {
            (a + self.shift) * self.gain
        }
    }

    /// The derivative at `z`, given `a` = the nonlinearity's value at `z`.
    pub fn derivative(self, z: f64, a: f64) -> f64 {
        if self.is_plain() {
            self.activation.derivative(z, a)
        } else {
            self.gain * self.activation.derivative(z, a / self.gain - self.shift)
        }
    }

    /// The bounds a bounded nonlinearity saturates at.
    pub fn bounds(self) -> Option<(f64, f64)> {
        let (lo, hi) = self.activation.bounds()?;
        let (a, b) = ((lo + self.shift) * self.gain, (hi + self.shift) * self.gain);
        Some((a.min(b), a.max(b)))
    }

    /// Whether units can output exact zeros over a half-line, and so die.
    pub fn can_die(self) -> bool {
        self.activation.can_die() && self.shift == 0.0
    }

    /// `sigmoid`, or `4*(sigmoid-0.5)` with a gain and shift.
    pub fn name(self) -> String {
        let name = self.activation.name();
        match (self.gain == 1.0, self.shift == 0.0) {
            (true, true) => name.to_string(),
            (true, false) => format!("{name}{:+}", self.shift),
            (false, true) => format!("{}*{name}", self.gain),
            (false, false) => format!("{}*({name}{:+})", self.gain, self.shift),
        }
    }

    /// A key that orders and tells apart nonlinearities.
    fn key(self) -> (&'static str, u64, u64) {
        (
            self.activation.name(),
            self.gain.to_bits(),
            self.shift.to_bits(),
        )
    }
}

impl std::fmt::Display for Nonlinearity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// Each member's nonlinearity applied to its slice of `z`, `[K, ...]`. With mixed
/// nonlinearities every one is computed on all members and selected per member, so a member's
/// values are exactly those of its own.
pub fn apply_per_member<B: Backend, const D: usize>(
    activations: &[Nonlinearity],
    z: Tensor<B, D>,
) -> Tensor<B, D> {
    let first = activations[0];
    if activations.iter().all(|&a| a == first) {
        return first.apply(z);
    }
    let mut distinct = activations.to_vec();
    distinct.sort_by_key(|a| a.key());
    distinct.dedup();
    let dims = z.dims();
    let device = z.device();
    let mut out = first.apply(z.clone());
    for activation in distinct.into_iter().filter(|&a| a != first) {
        let chosen: Vec<bool> = activations.iter().map(|&a| a == activation).collect();
        let mut mask_shape = [1; D];
        mask_shape[0] = dims[0];
        let mask = Tensor::<B, D, burn::tensor::Bool>::from_bool(
            burn::tensor::TensorData::new(chosen, mask_shape),
            &device,
        )
        .expand(dims);
        out = out.mask_where(mask, activation.apply(z.clone()));
    }
    out
}

/// numpy's `1 / (1 + exp(-clip(z, -500, 500)))` for one value.
#[inline]
pub fn sigmoid_value(z: f64) -> f64 {
    1.0 / (elementary::exp(-z.clamp(-500.0, 500.0)) + 1.0)
}

/// numpy's `1 / (1 + exp(-clip(z, -500, 500)))`, in the tensor's own precision.
pub fn sigmoid<B: Backend, const D: usize>(z: Tensor<B, D>) -> Tensor<B, D> {
    z.clamp(-500.0, 500.0).neg().exp().add_scalar(1.0).recip()
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Activation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| format!("unknown activation `{s}`; allowed: {}", Self::names()))
    }
}

impl TryFrom<String> for Activation {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Activation> for String {
    fn from(a: Activation) -> Self {
        a.name().to_string()
    }
}

/// The mean-field theory sees an activation through its value and derivative: the very
/// functions training applies, so theory and measurement share one activation table.
impl crate::theory::Unit for Activation {
    fn value(&self, z: f64) -> f64 {
        Activation::value(*self, z)
    }

    fn derivative(&self, z: f64) -> f64 {
        Activation::derivative(*self, z, Activation::value(*self, z))
    }
}

impl Activation {
    /// Closed-form Gaussian moments, where they are cheap: the piecewise-linear units. The
    /// others go through quadrature ([`crate::theory::Quadrature`]).
    pub fn closed_form(self) -> Option<Box<dyn crate::theory::Moments>> {
        let negative_slope = match self {
            Self::Relu => 0.0,
            Self::LeakyRelu => LEAKY_SLOPE,
            Self::Identity => 1.0,
            _ => return None,
        };
        Some(Box::new(crate::theory::PiecewiseLinear { negative_slope }))
    }
}

/// The mean-field theory sees a nonlinearity through its value and derivative.
impl crate::theory::Unit for Nonlinearity {
    fn value(&self, z: f64) -> f64 {
        Nonlinearity::value(*self, z)
    }

    fn derivative(&self, z: f64) -> f64 {
        Nonlinearity::derivative(*self, z, Nonlinearity::value(*self, z))
    }
}
