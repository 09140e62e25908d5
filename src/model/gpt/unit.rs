//! The feed-forward unit of a transformer block: any activation actlab knows, squared ReLU
//! (So et al. 2021, Primer) or a gated linear unit of Shazeer 2020 ("GLU Variants Improve
//! Transformer"): `FFN(x) = (act(x W) * x V) W2`, with `act` sigmoid (GLU), identity
//! (bilinear), ReLU (ReGLU), GELU (GEGLU) or Swish (SwiGLU).

use std::fmt;

use burn::tensor::{Tensor, activation, backend::Backend};
use serde::{Deserialize, Serialize};

use crate::model::{Activation, Nonlinearity};

/// What the feed-forward block applies between its projections.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum FeedForwardUnit {
    /// `act(x W1) W2`, any activation of the MLP families (gain and shift included).
    Plain(Nonlinearity),
    /// `relu(x W1)^2 W2`.
    SquaredRelu,
    /// `(gate(x W) * x V) W2`.
    Gated(Activation),
}

/// The gated units' names and their gate activations.
const GATED: [(&str, Activation); 5] = [
    ("glu", Activation::Sigmoid),
    ("bilinear", Activation::Identity),
    ("reglu", Activation::Relu),
    ("geglu", Activation::Gelu),
    ("swiglu", Activation::Silu),
];

impl FeedForwardUnit {
    pub fn is_gated(self) -> bool {
        matches!(self, Self::Gated(_))
    }

    /// The name in experiment files (`activation = "..."`).
    pub fn name(self) -> String {
        match self {
            Self::Plain(n) => n.activation.name().to_string(),
            Self::SquaredRelu => "squared-relu".into(),
            Self::Gated(gate) => GATED
                .iter()
                .find(|(_, a)| *a == gate)
                .map_or("gated", |(name, _)| name)
                .into(),
        }
    }

    /// Every allowed name, for error messages.
    pub fn names() -> String {
        let mut names: Vec<&str> = Activation::ALL.iter().map(|a| a.name()).collect();
        names.push("squared-relu");
        names.extend(GATED.iter().map(|(name, _)| *name));
        names.join(", ")
    }

    /// The same unit with a gain and shift on its activation (plain units only).
    pub fn with_gain_shift(self, gain: f64, shift: f64) -> Result<Self, String> {
        match self {
            Self::Plain(n) => Ok(Self::Plain(Nonlinearity { gain, shift, ..n })),
            _ if gain == 1.0 && shift == 0.0 => Ok(self),
            other => Err(format!(
                "activation_gain and activation_shift apply to plain activations, not `{}`",
                other.name()
            )),
        }
    }

    /// The hidden width for model width `n_embd`: `4 n_embd`, or for gated units 2/3 of it
    /// rounded to a multiple of 8, so that the three matrices hold as many parameters as two.
    pub fn default_hidden(self, n_embd: usize) -> usize {
        let full = 4 * n_embd;
        if self.is_gated() {
            (8 * ((2.0 * full as f64 / 3.0 / 8.0).round() as usize)).max(8)
        } else {
            full
        }
    }

    /// The activation applied to `z` (the gate's pre-activation for gated units).
    pub fn activate<B: Backend, const D: usize>(self, z: Tensor<B, D>) -> Tensor<B, D> {
        match self {
            // One operation where the backend has it (the same function).
            Self::Plain(n) if n.activation == Activation::Gelu && n.is_plain() => {
                crate::product::gelu(z).unwrap_or_else(|z| n.apply(z))
            }
            Self::Plain(n) => n.apply(z),
            Self::SquaredRelu => {
                let r = activation::relu(z);
                r.clone() * r
            }
            Self::Gated(gate) => gate.apply(z),
        }
    }

    /// Whether the activation (the gate's, for gated units) has bounds it saturates at.
    pub fn bounds(self) -> Option<(f64, f64)> {
        match self {
            Self::Plain(n) => n.bounds(),
            Self::SquaredRelu => None,
            Self::Gated(gate) => gate.bounds(),
        }
    }
}

impl fmt::Display for FeedForwardUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl std::str::FromStr for FeedForwardUnit {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "squared-relu" {
            return Ok(Self::SquaredRelu);
        }
        if let Some((_, gate)) = GATED.iter().find(|(name, _)| *name == s) {
            return Ok(Self::Gated(*gate));
        }
        s.parse::<Activation>()
            .map(|a| Self::Plain(a.into()))
            .map_err(|_| {
                format!(
                    "unknown feed-forward activation `{s}`; allowed: {}",
                    Self::names()
                )
            })
    }
}

impl TryFrom<String> for FeedForwardUnit {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// Serialised by name; a plain unit's gain and shift are kept by the model config beside it.
impl From<FeedForwardUnit> for String {
    fn from(u: FeedForwardUnit) -> Self {
        u.name()
    }
}
