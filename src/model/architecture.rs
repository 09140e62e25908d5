//! The layer layout every variant of an experiment shares, resolved from the experiment file
//! and the data's shape, and what a family may reject about it.

use serde::{Deserialize, Serialize};

use super::{FamilyKind, NormKind};

/// One convolution layer of the `cnn` family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvLayer {
    /// Output channels.
    pub channels: usize,
    /// Kernel length (sequences) or side (images).
    pub kernel: usize,
    #[serde(default = "one")]
    pub stride: usize,
    /// Zeros added at both ends of each spatial dimension.
    #[serde(default)]
    pub padding: usize,
}

fn one() -> usize {
    1
}

impl ConvLayer {
    /// The output length of a spatial dimension of `length`; `None` when the kernel does not fit.
    pub fn output_length(&self, length: usize) -> Option<usize> {
        let padded = length + 2 * self.padding;
        (padded >= self.kernel && self.stride > 0).then(|| (padded - self.kernel) / self.stride + 1)
    }
}

/// The resolved layout of a model: family, input, layers and outputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Architecture {
    pub family: FamilyKind,
    /// One sample's shape: `[features]`, `[channels, length]` or `[channels, height, width]`.
    pub input: Vec<usize>,
    /// Widths of the fully connected hidden layers (after the convolutions for `cnn`).
    pub hidden: Vec<usize>,
    pub norm: NormKind,
    /// Convolution layers (`cnn` only).
    pub conv: Vec<ConvLayer>,
    /// Output logits: 1 (a sigmoid unit, two classes) or the number of classes (softmax).
    pub outputs: usize,
}

/// A value of the architecture a family cannot build, named as the experiment file names it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{key}` = {value}: {allowed}")]
pub struct ArchitectureError {
    pub key: String,
    pub value: String,
    pub allowed: String,
}

impl ArchitectureError {
    pub fn new(key: &str, value: impl std::fmt::Display, allowed: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: value.to_string(),
            allowed: allowed.into(),
        }
    }
}

impl Architecture {
    /// Values per sample.
    pub fn features(&self) -> usize {
        self.input.iter().product()
    }

    /// Values of running statistics per member (batch normalization's means and variances):
    /// stored with the parameters but not trained.
    pub fn running_values(&self) -> usize {
        if self.norm == NormKind::Batch {
            2 * self.hidden.iter().sum::<usize>()
        } else {
            0
        }
    }

    /// `[features, hidden..., outputs]`: the widths of a fully connected stack.
    pub fn dense_widths(&self, first: usize) -> Vec<usize> {
        let mut dims = vec![first];
        dims.extend(&self.hidden);
        dims.push(self.outputs);
        dims
    }

    /// A one-line description, e.g. `mlp 2 -> 8 -> 8 -> 1`.
    pub fn describe(&self) -> String {
        let widths = |v: &[usize]| {
            v.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" -> ")
        };
        let input = self
            .input
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("x");
        let mut text = format!("{} {input}", self.family.name());
        for c in &self.conv {
            text += &format!(
                " -> conv{}(k{} s{} p{})",
                c.channels, c.kernel, c.stride, c.padding
            );
        }
        if !self.hidden.is_empty() {
            text += &format!(" -> {}", widths(&self.hidden));
        }
        text += &format!(" -> {}", self.outputs);
        if self.norm != NormKind::None {
            text += &format!(", {} norm", self.norm.name());
        }
        text
    }
}
