//! A small convolutional net over sequences (`[channels, length]`) or images
//! (`[channels, height, width]`): convolution layers, each followed by the activation, then
//! fully connected hidden layers, then the output layer.
//!
//! Members are stacked along the channel dimension and convolved with `groups = K`, so each
//! member's kernels see only its own channels: one grouped convolution per layer computes all
//! members, and each member exactly what it would alone. A sequence is an image of height 1.

use burn::{
    module::{Module, Param},
    tensor::{
        Tensor, TensorData,
        backend::{AutodiffBackend, Backend},
        module::conv2d,
        ops::ConvOptions,
    },
};

use super::{
    Architecture, ArchitectureError, Blueprint, ConvLayer, Dense, Drawn, Family, Init, LayerInfo,
    LayerObserver, Mode, Nonlinearity, NormKind, activation::apply_per_member,
};
use crate::numpy_rng::NumpyRng;

/// One convolution layer for `K` members.
#[derive(Module, Debug)]
pub struct Conv<B: Backend> {
    /// `[K, out_channels, in_channels, kernel_h, kernel_w]`
    pub weight: Param<Tensor<B, 5>>,
    /// `[K, out_channels]`
    pub bias: Param<Tensor<B, 2>>,
    #[module(skip)]
    pub stride: [usize; 2],
    #[module(skip)]
    pub padding: [usize; 2],
}

#[derive(Module, Debug)]
pub struct Cnn<B: Backend> {
    pub convs: Vec<Conv<B>>,
    /// Fully connected hidden layers, then the output layer.
    pub dense: Vec<Dense<B>>,
    /// One sample as `[channels, height, width]` (height 1 for sequences).
    #[module(skip)]
    pub input: [usize; 3],
    #[module(skip)]
    pub activations: Vec<Nonlinearity>,
}

/// Registered as `family = "cnn"`.
pub struct CnnBlueprint;

/// The input as `[channels, height, width]`, and whether it is an image (square kernels).
fn grid_shape(input: &[usize]) -> Option<([usize; 3], bool)> {
    match *input {
        [length] => Some(([1, 1, length], false)),
        [channels, length] => Some(([channels, 1, length], false)),
        [channels, height, width] => Some(([channels, height, width], true)),
        _ => None,
    }
}

/// Kernel, stride and padding of `layer` in two dimensions.
fn geometry(layer: &ConvLayer, image: bool) -> ([usize; 2], [usize; 2], [usize; 2]) {
    if image {
        ([layer.kernel; 2], [layer.stride; 2], [layer.padding; 2])
    } else {
        ([1, layer.kernel], [1, layer.stride], [0, layer.padding])
    }
}

/// Each convolution's output `[channels, height, width]`, then `None` if a kernel does not fit.
fn conv_shapes(arch: &Architecture) -> Option<Vec<[usize; 3]>> {
    let (mut shape, image) = grid_shape(&arch.input)?;
    let mut shapes = Vec::new();
    for layer in &arch.conv {
        let height = if image {
            layer.output_length(shape[1])?
        } else {
            1
        };
        shape = [layer.channels, height, layer.output_length(shape[2])?];
        shapes.push(shape);
    }
    Some(shapes)
}

/// Values per sample after the last convolution.
fn flat_width(arch: &Architecture) -> usize {
    conv_shapes(arch)
        .and_then(|s| s.last().map(|c| c.iter().product()))
        .unwrap_or_else(|| arch.features())
}

impl Blueprint for CnnBlueprint {
    const NAME: &'static str = "cnn";
    type Model<B: Backend> = Cnn<B>;

    fn check(arch: &Architecture) -> Result<(), ArchitectureError> {
        if grid_shape(&arch.input).is_none() {
            return Err(ArchitectureError::new(
                "data",
                format!("samples of shape {:?}", arch.input),
                "a cnn needs samples of shape [length], [channels, length] or [channels, height, width]",
            ));
        }
        if arch.conv.is_empty() {
            return Err(ArchitectureError::new(
                "model.conv",
                "[]",
                "list at least one convolution, e.g. conv = [{ channels = 16, kernel = 5, stride = 2 }]",
            ));
        }
        if let Some(bad) = arch
            .conv
            .iter()
            .find(|c| c.channels == 0 || c.kernel == 0 || c.stride == 0 || c.channels > 4096)
        {
            return Err(ArchitectureError::new(
                "model.conv",
                format!("{bad:?}"),
                "channels (1 to 4096), kernel and stride must be at least 1",
            ));
        }
        if conv_shapes(arch).is_none() {
            return Err(ArchitectureError::new(
                "model.conv",
                format!("{:?} on samples of shape {:?}", arch.conv, arch.input),
                "each kernel must fit its (padded) input: shrink kernels or strides, or add padding",
            ));
        }
        if arch.norm != NormKind::None {
            return Err(ArchitectureError::new(
                "model.norm",
                arch.norm.name(),
                "the cnn family has no normalization: use norm = \"none\"",
            ));
        }
        Ok(())
    }

    /// Each convolution's kernels `[out][in][kh][kw]`, then the dense layers `[fan_in][fan_out]`.
    fn draw(arch: &Architecture, init: &Init, rng: &mut NumpyRng) -> Vec<Drawn> {
        let Some(([mut channels, ..], image)) = grid_shape(&arch.input) else {
            return Vec::new();
        };
        let mut draws = Vec::new();
        for layer in &arch.conv {
            let ([kh, kw], _, _) = geometry(layer, image);
            let count = layer.channels * channels * kh * kw;
            let (fan_in, fan_out) = (channels * kh * kw, layer.channels * kh * kw);
            let weight = init.draw_count(rng, count, fan_in, fan_out);
            let bias = init.draw_bias(rng, layer.channels);
            draws.push(Drawn { weight, bias });
            channels = layer.channels;
        }
        let widths = arch.dense_widths(flat_width(arch));
        draws.extend(widths.windows(2).map(|w| init.draw_layer(rng, w[0], w[1])));
        draws
    }

    fn init<B: Backend>(
        arch: &Architecture,
        members: &[(Nonlinearity, &[Drawn])],
        device: &B::Device,
    ) -> Cnn<B> {
        let (input, image) = grid_shape(&arch.input).expect("checked by CnnBlueprint::check");
        let k = members.len();
        let mut channels = input[0];
        let convs = arch
            .conv
            .iter()
            .enumerate()
            .map(|(l, layer)| {
                let ([kh, kw], stride, padding) = geometry(layer, image);
                let drawn: Vec<&Drawn> = members.iter().map(|(_, m)| &m[l]).collect();
                let values: Vec<f64> = drawn.iter().flat_map(|d| d.weight.clone()).collect();
                let biases = Drawn::stacked_biases(&drawn, layer.channels);
                let shape = [k, layer.channels, channels, kh, kw];
                channels = layer.channels;
                Conv {
                    weight: Param::from_tensor(Tensor::from_data(
                        TensorData::new(values, shape),
                        device,
                    )),
                    bias: Param::from_tensor(Tensor::from_data(
                        TensorData::new(biases, [k, layer.channels]),
                        device,
                    )),
                    stride,
                    padding,
                }
            })
            .collect();
        let first_dense = arch.conv.len();
        let dense = arch
            .dense_widths(flat_width(arch))
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                let drawn: Vec<&Drawn> = members.iter().map(|(_, m)| &m[first_dense + i]).collect();
                Dense::from_members(&drawn, w[0], w[1], device)
            })
            .collect();
        Cnn {
            convs,
            dense,
            input,
            activations: members.iter().map(|(a, _)| *a).collect(),
        }
    }
}

impl<B: Backend> Conv<B> {
    /// Convolves every member's channels with its own kernels: `[N, K * in, H, W]` to
    /// `[N, K * out, H', W']`.
    fn forward(&self, grid: Tensor<B, 4>) -> Tensor<B, 4> {
        let [k, out, inp, kh, kw] = self.weight.dims();
        let weight = self.weight.val().reshape([k * out, inp, kh, kw]);
        let bias = self.bias.val().reshape([k * out]);
        let options = ConvOptions::new(self.stride, self.padding, [1, 1], k);
        conv2d(grid, weight, Some(bias), options)
    }
}

impl<B: Backend> Family<B> for Cnn<B> {
    fn forward_observed(
        &self,
        x: Tensor<B, 3>,
        _mode: Mode,
        observer: &mut impl LayerObserver<B>,
    ) -> Tensor<B, 3> {
        let [k, n, _] = x.dims();
        let [c, h, w] = self.input;
        let mut grid = x
            .reshape([k, n, c * h * w])
            .swap_dims(0, 1)
            .reshape([n, k * c, h, w]); // [N, K*C, H, W]
        for (l, conv) in self.convs.iter().enumerate() {
            let out = conv.forward(grid); // [N, K*C', H', W']
            let [_, kc, h2, w2] = out.dims();
            let channels = kc / k;
            let z = out.reshape([n, k, channels * h2 * w2]).swap_dims(0, 1); // [K, N, C'*H'*W']
            let z = observer.pre_activation(l, z);
            let a = apply_per_member(&self.activations, z); // [K, N, C'*H'*W']
            observer.activation(l, &a);
            grid = a.swap_dims(0, 1).reshape([n, kc, h2, w2]); // [N, K*C', H', W']
        }
        let [_, kc, h2, w2] = grid.dims();
        let mut a = grid.reshape([n, k, kc / k * h2 * w2]).swap_dims(0, 1); // [K, N, flat]
        let (output, hidden) = self.dense.split_last().expect("a cnn has an output layer");
        for (i, dense) in hidden.iter().enumerate() {
            let l = self.convs.len() + i;
            let z = observer.pre_activation(l, dense.forward(a)); // [K, N, width]
            a = apply_per_member(&self.activations, z);
            observer.activation(l, &a);
        }
        let logits = output.forward(a); // [K, N, outputs]
        observer.output(&logits);
        logits
    }

    fn layers(&self) -> Vec<LayerInfo> {
        let [_, mut h, mut w] = self.input;
        let mut layers = Vec::new();
        for (l, conv) in self.convs.iter().enumerate() {
            let [_, out, _, kh, kw] = conv.weight.dims();
            h = (h + 2 * conv.padding[0] - kh) / conv.stride[0] + 1;
            w = (w + 2 * conv.padding[1] - kw) / conv.stride[1] + 1;
            layers.push(LayerInfo {
                name: format!("conv{}", l + 1),
                width: out * h * w,
            });
        }
        let hidden = &self.dense[..self.dense.len() - 1];
        layers.extend(hidden.iter().enumerate().map(|(i, d)| LayerInfo {
            name: format!("hidden{}", i + 1),
            width: d.shape()[1],
        }));
        layers
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

    /// Each convolution's kernels, each hidden layer's weights, then the output layer's.
    fn weight_gradients(&self, grads: &B::Gradients) -> Vec<Option<Tensor<B::InnerBackend, 1>>>
    where
        B: AutodiffBackend,
    {
        let convs = self
            .convs
            .iter()
            .map(|c| c.weight.grad(grads).map(|g| g.flatten(0, 4)));
        let dense = self
            .dense
            .iter()
            .map(|d| d.weight.grad(grads).map(|g| g.flatten(0, 2)));
        convs.chain(dense).collect()
    }
}
