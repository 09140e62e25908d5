//! A forward trace: a [`LayerObserver`] that copies every layer's `z` and `a` of one forward
//! pass to the host.

use burn::tensor::{Tensor, backend::Backend};

use crate::{
    learner::to_host,
    model::{Family, LayerObserver, Mode},
};

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
    /// Pre-activation of each observed layer.
    pub z: Vec<HostTensor>,
    /// Activation of each observed layer.
    pub a: Vec<HostTensor>,
    /// The output logits, `[K, N, outputs]`.
    pub logit: Option<HostTensor>,
}

impl<B: Backend> LayerObserver<B> for ForwardTrace {
    fn pre_activation(&mut self, _layer: usize, z: Tensor<B, 3>) -> Tensor<B, 3> {
        self.z.push(HostTensor::from_tensor(&z));
        z
    }

    fn activation(&mut self, _layer: usize, a: &Tensor<B, 3>) {
        self.a.push(HostTensor::from_tensor(a));
    }

    fn output(&mut self, logits: &Tensor<B, 3>) {
        self.logit = Some(HostTensor::from_tensor(logits));
    }
}

impl ForwardTrace {
    /// Runs `model` on `x` in evaluation mode and records every layer.
    pub fn record<B: Backend, M: Family<B>>(model: &M, x: Tensor<B, 3>) -> Self {
        let mut trace = Self::default();
        model.forward_observed(x, Mode::Eval, &mut trace);
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
