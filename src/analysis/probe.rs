//! The probe: a [`LayerObserver`] that keeps every layer's `z` and `a` of one forward pass.

use burn::tensor::{Tensor, backend::Backend};

use crate::{learner::to_host, model::LayerObserver};

/// A `[K, N, W]` tensor copied to the host, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct HostTensor {
    pub dims: [usize; 3],
    pub values: Vec<f64>,
}

impl HostTensor {
    pub fn from_tensor<B: Backend>(tensor: &Tensor<B, 3>) -> Self {
        Self {
            dims: tensor.dims(),
            values: to_host(tensor.clone()),
        }
    }

    /// Member `k`'s `[N, W]` values, row-major.
    pub fn member(&self, k: usize) -> &[f64] {
        let size = self.dims[1] * self.dims[2];
        &self.values[k * size..(k + 1) * size]
    }

    /// Member `k`'s row `i`: the values of one sample across the layer's units.
    pub fn row(&self, k: usize, i: usize) -> &[f64] {
        let w = self.dims[2];
        &self.member(k)[i * w..(i + 1) * w]
    }

    /// Member `k`'s column `unit` over all samples.
    pub fn column(&self, k: usize, unit: usize) -> Vec<f64> {
        self.member(k)
            .chunks(self.dims[2])
            .map(|row| row[unit])
            .collect()
    }
}

/// What one probed forward pass saw, layer by layer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ForwardTrace {
    /// Pre-activation of each hidden layer.
    pub z: Vec<HostTensor>,
    /// Activation of each hidden layer.
    pub a: Vec<HostTensor>,
    /// The output logit, `[K, N, 1]`.
    pub logit: Option<HostTensor>,
}

impl<B: Backend> LayerObserver<B> for ForwardTrace {
    fn hidden(&mut self, _layer: usize, z: &Tensor<B, 3>, a: &Tensor<B, 3>) {
        self.z.push(HostTensor::from_tensor(z));
        self.a.push(HostTensor::from_tensor(a));
    }

    fn output(&mut self, logit: &Tensor<B, 3>) {
        self.logit = Some(HostTensor::from_tensor(logit));
    }
}

impl ForwardTrace {
    /// Runs `model` on `x` and records every layer.
    pub fn record<B: Backend>(model: &crate::model::Mlp<B>, x: Tensor<B, 3>) -> Self {
        let mut trace = Self::default();
        model.forward_observed(x, &mut trace);
        trace
    }
}

/// Population standard deviation, as numpy's `std()`.
pub fn std(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt()
}

/// Mean absolute value.
pub fn mean_abs(values: &[f64]) -> f64 {
    values.iter().map(|v| v.abs()).sum::<f64>() / values.len() as f64
}
