//! A fully connected layer of `K` members: `z = a @ W + b` per member.

use super::Drawn;
use burn::{
    module::{Module, Param},
    tensor::{Tensor, TensorData, backend::Backend},
};

#[derive(Module, Debug)]
pub struct Dense<B: Backend> {
    /// `[K, fan_in, fan_out]`
    pub weight: Param<Tensor<B, 3>>,
    /// `[K, 1, fan_out]`
    pub bias: Param<Tensor<B, 3>>,
}

impl<B: Backend> Dense<B> {
    /// Stacks each member's drawn `[fan_in][fan_out]` weights (row-major) and biases.
    pub fn from_members(
        layers: &[&Drawn],
        fan_in: usize,
        fan_out: usize,
        device: &B::Device,
    ) -> Self {
        let k = layers.len();
        let values: Vec<f64> = layers
            .iter()
            .flat_map(|d| d.weight.iter().copied())
            .collect();
        let weight = Tensor::from_data(TensorData::new(values, [k, fan_in, fan_out]), device);
        let bias = Drawn::stacked_biases(layers, fan_out);
        let bias = Tensor::from_data(TensorData::new(bias, [k, 1, fan_out]), device);
        Self {
            weight: Param::from_tensor(weight),
            bias: Param::from_tensor(bias),
        }
    }

    pub fn forward(&self, a: Tensor<B, 3>) -> Tensor<B, 3> {
        crate::product::matmul(a, self.weight.val()) + self.bias.val() // [K, N, fan_out]
    }

    /// `[fan_in, fan_out]`.
    pub fn shape(&self) -> [usize; 2] {
        let [_, fan_in, fan_out] = self.weight.dims();
        [fan_in, fan_out]
    }
}
