//! A small convolutional net over sequences (`[channels, length]`) or images
//! (`[channels, height, width]`): convolution layers, each followed by the activation, then
//! fully connected hidden layers, then the output layer.
//!
//! Members are stacked along the channel dimension; each member's kernels see only its own
//! channels, and one batched matrix product per layer computes all members, each exactly what
//! it would alone. A sequence is an image of height 1.

use burn::{
    module::{Module, Param},
    tensor::{
        Int, Tensor, TensorData,
        backend::{AutodiffBackend, Backend},
        ops::PadMode,
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
    ///
    /// As patches and one batched matrix product (im2col) rather than Burn's `conv2d`: on the
    /// ndarray backend that is a direct loop, and its backward pass a transposed one, both
    /// far slower than the matrix product for these shapes. The patches are gathered with
    /// `select`, whose gradient is a scatter-add, so autodiff needs nothing of its own.
    fn forward(&self, grid: Tensor<B, 4>) -> Tensor<B, 4> {
        let [k, out, inp, kh, kw] = self.weight.dims();
        let [n, _, h, w] = grid.dims();
        let ([sh, sw], [ph, pw]) = (self.stride, self.padding);
        let (oh, ow) = ((h + 2 * ph - kh) / sh + 1, (w + 2 * pw - kw) / sw + 1);
        let device = grid.device();
        // Channels last, members leading: [K*N, H, W, in] (Burn's ndarray holds 6 dims at most).
        let grid = grid
            .reshape([n, k, inp, h, w])
            .permute([1, 0, 3, 4, 2])
            .reshape([k * n, h, w, inp]);
        let grid = if ph > 0 || pw > 0 {
            grid.pad([(ph, ph), (pw, pw), (0, 0)], PadMode::Constant(0.0))
        } else {
            grid
        };
        // Row `p * kernel + j` of the patches reads input position `p * stride + j`.
        let positions = |outputs: usize, kernel: usize, stride: usize| {
            let index: Vec<i64> = (0..outputs)
                .flat_map(|p| (0..kernel).map(move |j| (p * stride + j) as i64))
                .collect();
            Tensor::<B, 1, Int>::from_data(TensorData::new(index, [outputs * kernel]), &device)
        };
        let patches = grid
            .select(1, positions(oh, kh, sh))
            .select(2, positions(ow, kw, sw)) // [K*N, oh*kh, ow*kw, in]
            .reshape([k * n, oh, kh, ow, kw, inp])
            .permute([0, 1, 3, 2, 4, 5]) // [K*N, oh, ow, kh, kw, in]
            .reshape([k, n * oh * ow, kh * kw * inp]);
        let weight = self
            .weight
            .val()
            .permute([0, 3, 4, 2, 1]) // [K, kh, kw, in, out]
            .reshape([k, kh * kw * inp, out]);
        let z = crate::product::matmul(patches, weight) + self.bias.val().reshape([k, 1, out]); // [K, N*oh*ow, out]
        z.reshape([k, n, oh * ow, out])
            .permute([1, 0, 3, 2]) // [N, K, out, oh*ow]
            .reshape([n, k * out, oh, ow])
    }
}

impl<B: Backend> Family<B> for Cnn<B> {
    type Unit = Nonlinearity;

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

#[cfg(test)]
mod tests {
    use burn::tensor::{Distribution, module::conv2d, ops::ConvOptions};

    use super::*;
    use crate::backend::Train;

    /// The patches-and-matmul convolution equals Burn's own grouped `conv2d`, in value and in
    /// the gradients of input, kernels and biases, for sequences and images with stride and
    /// padding, two members each.
    #[test]
    fn matches_burns_grouped_convolution() {
        let device = Default::default();
        // (members, in, out, [h, w], kernel, stride, padding)
        let cases = [
            (2, 3, 4, [1, 40], [1, 5], [1, 2], [0, 1]),
            (2, 2, 3, [1, 11], [1, 3], [1, 1], [0, 0]),
            (2, 1, 3, [9, 9], [3, 3], [2, 2], [1, 1]),
            (3, 2, 2, [7, 6], [2, 2], [1, 2], [0, 1]),
        ];
        for (k, inp, out, [h, w], [kh, kw], stride, padding) in cases {
            let grid =
                Tensor::<Train, 4>::random([5, k * inp, h, w], Distribution::Default, &device)
                    .require_grad();
            let conv = Conv::<Train> {
                weight: Param::from_tensor(Tensor::random(
                    [k, out, inp, kh, kw],
                    Distribution::Normal(0.0, 1.0),
                    &device,
                )),
                bias: Param::from_tensor(Tensor::random([k, out], Distribution::Default, &device)),
                stride,
                padding,
            };
            let ours = conv.forward(grid.clone());
            let reference = conv2d(
                grid.clone(),
                conv.weight.val().reshape([k * out, inp, kh, kw]),
                Some(conv.bias.val().reshape([k * out])),
                ConvOptions::new(stride, padding, [1, 1], k),
            );
            assert_eq!(ours.dims(), reference.dims());
            let close = |a: Tensor<_, 1>, b: Tensor<_, 1>| {
                let (a, b) = (
                    a.into_data().to_vec::<f64>().unwrap(),
                    b.into_data().to_vec::<f64>().unwrap(),
                );
                assert_eq!(a.len(), b.len());
                for (x, y) in a.iter().zip(&b) {
                    assert!((x - y).abs() <= 1e-12 * (1.0 + y.abs()), "{x} vs {y}");
                }
            };
            close(
                ours.clone().inner().flatten(0, 3),
                reference.clone().inner().flatten(0, 3),
            );
            // A loss that weighs every output differently, so every gradient entry is tested.
            let weights = Tensor::<Train, 4>::random(ours.dims(), Distribution::Default, &device);
            let g1 = (ours * weights.clone()).sum().backward();
            let g2 = (reference * weights).sum().backward();
            close(
                grid.grad(&g1).unwrap().flatten(0, 3),
                grid.grad(&g2).unwrap().flatten(0, 3),
            );
            close(
                conv.weight.grad(&g1).unwrap().flatten(0, 4),
                conv.weight.grad(&g2).unwrap().flatten(0, 4),
            );
            close(
                conv.bias.grad(&g1).unwrap().flatten(0, 1),
                conv.bias.grad(&g2).unwrap().flatten(0, 1),
            );
        }
    }
}
