//! The activations actlab studies, as [`Unit`]s, with the closed-form Gaussian moments of those
//! that have them.
//!
//! Values follow actlab's `Activation::value` (numerically stable forms); derivatives at the
//! kink take the right-hand branch for `z > 0` only, as actlab's backward pass does.

use super::moments::{ErfMoments, Moments, PiecewiseLinear};
use super::unit::Unit;
use std::f64::consts::{PI, SQRT_2};

/// Slope of the leaky ReLU for negative inputs (actlab's `LEAKY_SLOPE`).
pub const LEAKY_SLOPE: f64 = 0.01;
/// SELU's scale λ (Klambauer et al. 2017).
pub const SELU_LAMBDA: f64 = 1.050_700_987_355_480_5;
/// SELU's α (Klambauer et al. 2017).
pub const SELU_ALPHA: f64 = 1.673_263_242_354_377_2;

/// A standard activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Standard {
    Sigmoid,
    Tanh,
    Relu,
    LeakyRelu,
    /// ELU with α = 1.
    Elu,
    /// GELU, exact form `z Φ(z)`.
    Gelu,
    Silu,
    Softplus,
    Identity,
    Selu,
    /// `z / (1 + |z|)`.
    Softsign,
    /// `erf(z)`: not in actlab, but its Gaussian kernel is known in closed form.
    Erf,
}

impl Standard {
    pub const ALL: [Standard; 12] = [
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
        Self::Erf,
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
            Self::Erf => "erf",
        }
    }

    /// Closed-form Gaussian moments, where they are cheap: the piecewise-linear units and erf.
    /// The others go through quadrature ([`super::Quadrature`]).
    pub fn closed_form(self) -> Option<Box<dyn Moments>> {
        match self {
            Self::Relu => Some(Box::new(PiecewiseLinear {
                negative_slope: 0.0,
            })),
            Self::LeakyRelu => Some(Box::new(PiecewiseLinear {
                negative_slope: LEAKY_SLOPE,
            })),
            Self::Identity => Some(Box::new(PiecewiseLinear {
                negative_slope: 1.0,
            })),
            Self::Erf => Some(Box::new(ErfMoments { scale: 1.0 })),
            _ => None,
        }
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / ((-z.clamp(-500.0, 500.0)).exp() + 1.0)
}

fn relu(z: f64) -> f64 {
    if z > 0.0 { z } else { 0.0 }
}

fn step(z: f64) -> f64 {
    if z > 0.0 { 1.0 } else { 0.0 }
}

impl Unit for Standard {
    fn value(&self, z: f64) -> f64 {
        match self {
            Self::Sigmoid => sigmoid(z),
            Self::Tanh => z.tanh(),
            Self::Relu => relu(z),
            Self::LeakyRelu => relu(z) - LEAKY_SLOPE * relu(-z),
            Self::Elu => relu(z) + z.min(0.0).exp_m1(),
            Self::Gelu => z * 0.5 * libm::erfc(-z / SQRT_2),
            Self::Silu => z * sigmoid(z),
            Self::Softplus => relu(z) + (-z.abs()).exp().ln_1p(),
            Self::Identity => z,
            Self::Selu => SELU_LAMBDA * (relu(z) + SELU_ALPHA * z.min(0.0).exp_m1()),
            Self::Softsign => z / (1.0 + z.abs()),
            Self::Erf => libm::erf(z),
        }
    }

    fn derivative(&self, z: f64) -> f64 {
        match self {
            Self::Sigmoid => {
                let s = sigmoid(z);
                s * (1.0 - s)
            }
            Self::Tanh => {
                let c = z.cosh();
                1.0 / (c * c)
            }
            Self::Relu => step(z),
            Self::LeakyRelu => step(z) + LEAKY_SLOPE * (1.0 - step(z)),
            Self::Elu => step(z) + (1.0 - step(z)) * z.min(0.0).exp(),
            Self::Gelu => {
                0.5 * libm::erfc(-z / SQRT_2) + z * (-0.5 * z * z).exp() / (2.0 * PI).sqrt()
            }
            Self::Silu => {
                let s = sigmoid(z);
                s * (1.0 + z * (1.0 - s))
            }
            Self::Softplus => sigmoid(z),
            Self::Identity => 1.0,
            Self::Selu => SELU_LAMBDA * (step(z) + (1.0 - step(z)) * SELU_ALPHA * z.min(0.0).exp()),
            Self::Softsign => {
                let d = 1.0 + z.abs();
                1.0 / (d * d)
            }
            Self::Erf => 2.0 / PI.sqrt() * (-z * z).exp(),
        }
    }
}
