//! actlab's matrix products (src/product) equal Burn's `matmul` and `Linear::forward` on the
//! ndarray backends, in value and in both gradients: 1e-5 relative in float32, 1e-12 in
//! float64, over 2-D, 3-D and 4-D shapes, transposed and sliced operands, and shapes large
//! enough to be split over threads.
#![cfg(feature = "ndarray")]

use actlab::product;
use burn::{
    backend::{Autodiff, NdArray},
    module::Param,
    nn::{Linear, LinearConfig},
    tensor::{
        Distribution, Tensor,
        backend::{AutodiffBackend, Backend},
        cast::ToElement,
    },
};

type Ad<E> = Autodiff<NdArray<E>>;

/// The largest entry of `|a - b|` over the largest of `|b|`.
fn relative<B: Backend, const D: usize>(a: Tensor<B, D>, b: Tensor<B, D>) -> f64 {
    assert_eq!(a.dims(), b.dims(), "the same shape");
    let scale = b
        .clone()
        .abs()
        .max()
        .into_scalar()
        .to_f64()
        .max(f64::MIN_POSITIVE);
    (a - b).abs().max().into_scalar().to_f64() / scale
}

fn random<B: Backend, const D: usize>(dims: [usize; D], seed: u64) -> Tensor<B, D> {
    B::seed(&Default::default(), seed);
    Tensor::random(dims, Distribution::Normal(0.0, 1.0), &Default::default())
}

/// How an operand is made before the product: as drawn, transposed (a strided view), or a
/// slice of a larger tensor (offset and strides).
#[derive(Clone, Copy, Debug)]
enum Layout {
    Plain,
    Transposed,
    Sliced,
}

/// An operand of `dims` laid out as `layout` (its values differ between layouts; both sides of
/// a comparison see the same tensor).
fn operand<B: Backend, const D: usize>(
    dims: [usize; D],
    layout: Layout,
    seed: u64,
) -> Tensor<B, D> {
    match layout {
        Layout::Plain => random(dims, seed),
        Layout::Transposed => {
            let mut swapped = dims;
            swapped.swap(D - 2, D - 1);
            random::<B, D>(swapped, seed).swap_dims(D - 2, D - 1)
        }
        Layout::Sliced => {
            let mut larger = dims;
            larger[D - 2] += 3;
            larger[D - 1] += 5;
            let ranges: [std::ops::Range<usize>; D] = std::array::from_fn(|i| {
                if i >= D - 2 {
                    2..2 + dims[i]
                } else {
                    0..dims[i]
                }
            });
            random::<B, D>(larger, seed).slice(ranges)
        }
    }
}

/// Value and both gradients of `product::matmul` against Burn's `matmul` (the weight of the
/// upstream gradient is random, so every output entry counts).
fn check<B: AutodiffBackend, const D: usize>(
    lhs: [usize; D],
    rhs: [usize; D],
    layouts: [Layout; 2],
    tol: f64,
) {
    let x = operand::<B, D>(lhs, layouts[0], 1).require_grad();
    let w = operand::<B, D>(rhs, layouts[1], 2).require_grad();
    let mut out_dims = lhs;
    out_dims[D - 1] = rhs[D - 1];
    let upstream = random::<B, D>(out_dims, 3);

    let ours = product::matmul(x.clone(), w.clone());
    let burns = x.clone().matmul(w.clone());
    let label = format!(
        "{lhs:?} @ {rhs:?} {layouts:?} in {}",
        std::any::type_name::<B::FloatElem>()
    );
    let value = relative(ours.clone(), burns.clone());
    assert!(value <= tol, "{label}: value differs by {value:e}");

    let g_ours = (ours * upstream.clone()).sum().backward();
    let g_burns = (burns * upstream).sum().backward();
    for (name, t) in [("lhs", &x), ("rhs", &w)] {
        let d = relative(t.grad(&g_ours).unwrap(), t.grad(&g_burns).unwrap());
        assert!(d <= tol, "{label}: d {name} differs by {d:e}");
    }
}

fn check_all<B: AutodiffBackend>(tol: f64) {
    use Layout::*;
    for layouts in [
        [Plain, Plain],
        [Transposed, Plain],
        [Plain, Transposed],
        [Sliced, Transposed],
        [Sliced, Sliced],
    ] {
        check::<B, 2>([7, 13], [13, 5], layouts, tol);
        check::<B, 2>([128, 784], [784, 256], layouts, tol); // a Fashion-MNIST layer
        check::<B, 2>([1, 1], [1, 1], layouts, tol);
        check::<B, 3>([4, 9, 6], [4, 6, 11], layouts, tol);
        check::<B, 4>([2, 3, 16, 8], [2, 3, 8, 16], layouts, tol); // attention scores
        check::<B, 4>([2, 2, 64, 48], [2, 2, 48, 80], layouts, tol);
    }
    // Large enough to be split over threads, by rows and by columns.
    check::<B, 2>([1024, 300], [300, 40], [Plain, Plain], tol);
    check::<B, 2>([40, 300], [300, 1024], [Plain, Transposed], tol);
    check::<B, 3>([32, 64, 64], [32, 64, 64], [Transposed, Plain], tol);
}

#[test]
fn matmul_equals_burns_in_float32() {
    check_all::<Ad<f32>>(1e-5);
}

#[test]
fn matmul_equals_burns_in_float64() {
    check_all::<Ad<f64>>(1e-12);
}

/// Without autodiff (inference, `eval`) the product is the same function.
#[test]
fn matmul_equals_burns_without_autodiff() {
    let x = operand::<NdArray<f64>, 3>([3, 20, 30], Layout::Sliced, 4);
    let w = operand::<NdArray<f64>, 3>([3, 30, 10], Layout::Transposed, 5);
    assert!(relative(product::matmul(x.clone(), w.clone()), x.matmul(w)) <= 1e-12);
    let x = operand::<NdArray<f32>, 2>([50, 30], Layout::Plain, 4);
    let w = operand::<NdArray<f32>, 2>([30, 10], Layout::Plain, 5);
    assert!(relative(product::matmul(x.clone(), w.clone()), x.matmul(w)) <= 1e-5);
}

/// Operands whose batch dimensions broadcast take Burn's own product, with the same answer.
#[test]
fn broadcast_batches_fall_back_to_burn() {
    let x = random::<Ad<f64>, 3>([4, 6, 5], 6).require_grad();
    let w = random::<Ad<f64>, 3>([1, 5, 3], 7).require_grad();
    let ours = product::matmul(x.clone(), w.clone());
    assert_eq!(ours.dims(), [4, 6, 3]);
    assert!(relative(ours.clone(), x.clone().matmul(w.clone())) <= 1e-12);
    let grads = ours.sum().backward();
    assert_eq!(w.grad(&grads).unwrap().dims(), [1, 5, 3]);
}

/// `product::linear` is `Linear::forward`, with and without a bias, on 2-D and 3-D inputs,
/// in value and in the gradients of input, weight and bias.
#[test]
fn linear_equals_burns_linear() {
    fn once<B: AutodiffBackend, const D: usize>(dims: [usize; D], bias: bool, tol: f64) {
        let device = Default::default();
        B::seed(&device, 8);
        let layer: Linear<B> = LinearConfig::new(dims[D - 1], 17)
            .with_bias(bias)
            .init(&device);
        let layer = Linear {
            weight: Param::from_tensor(layer.weight.val().require_grad()),
            bias: layer
                .bias
                .map(|b| Param::from_tensor(b.val().require_grad())),
        };
        let x = random::<B, D>(dims, 9).require_grad();
        let mut out = dims;
        out[D - 1] = 17;
        let upstream = random::<B, D>(out, 10);
        let ours = product::linear(&layer, x.clone());
        let burns = layer.forward(x.clone());
        assert!(
            relative(ours.clone(), burns.clone()) <= tol,
            "{dims:?} value"
        );
        let g_ours = (ours * upstream.clone()).sum().backward();
        let g_burns = (burns * upstream).sum().backward();
        assert!(relative(x.grad(&g_ours).unwrap(), x.grad(&g_burns).unwrap()) <= tol);
        let w = layer.weight.val();
        assert!(relative(w.grad(&g_ours).unwrap(), w.grad(&g_burns).unwrap()) <= tol);
        if let Some(b) = &layer.bias {
            let b = b.val();
            assert!(relative(b.grad(&g_ours).unwrap(), b.grad(&g_burns).unwrap()) <= tol);
        }
    }
    for bias in [true, false] {
        once::<Ad<f64>, 2>([33, 12], bias, 1e-12);
        once::<Ad<f64>, 3>([4, 16, 12], bias, 1e-12);
        once::<Ad<f32>, 2>([33, 12], bias, 1e-5);
        once::<Ad<f32>, 3>([4, 16, 12], bias, 1e-5);
    }
}

/// `product::rows` reads a left operand that is not row-major (a transposed or sliced view)
/// and a transposed weight, with the same value and gradients as Burn's reshape and matmul.
#[test]
fn rows_equal_burns_for_strided_operands() {
    fn once<B: AutodiffBackend>(layouts: [Layout; 2], tol: f64) {
        let x = operand::<B, 3>([3, 7, 12], layouts[0], 11).require_grad();
        let w = operand::<B, 2>([12, 9], layouts[1], 12).require_grad();
        let upstream = random::<B, 3>([3, 7, 9], 13);
        let ours = product::rows(x.clone(), w.clone());
        let burns = x
            .clone()
            .reshape([21, 12])
            .matmul(w.clone())
            .reshape([3, 7, 9]);
        assert!(
            relative(ours.clone(), burns.clone()) <= tol,
            "{layouts:?} value"
        );
        let g_ours = (ours * upstream.clone()).sum().backward();
        let g_burns = (burns * upstream).sum().backward();
        for (name, t) in [("x", &x)] {
            let d = relative(t.grad(&g_ours).unwrap(), t.grad(&g_burns).unwrap());
            assert!(d <= tol, "{layouts:?}: d {name} differs by {d:e}");
        }
        let d = relative(w.grad(&g_ours).unwrap(), w.grad(&g_burns).unwrap());
        assert!(d <= tol, "{layouts:?}: d w differs by {d:e}");
    }
    use Layout::*;
    for layouts in [[Plain, Plain], [Transposed, Transposed], [Sliced, Plain]] {
        once::<Ad<f64>>(layouts, 1e-12);
        once::<Ad<f32>>(layouts, 1e-5);
    }
}

/// Causal attention the way Burn composes it: heads split and transposed, scaled scores, the
/// future masked, a softmax, the weighted values, heads joined.
fn composite_attention<B: Backend>(qkv: Tensor<B, 3>, heads: usize) -> Tensor<B, 3> {
    use burn::tensor::{Bool, activation::softmax};
    let [batch, time, width3] = qkv.dims();
    let width = width3 / 3;
    let d = width / heads;
    let split = |i: usize| {
        qkv.clone()
            .slice([0..batch, 0..time, i * width..(i + 1) * width])
            .reshape([batch, time, heads, d])
            .swap_dims(1, 2)
    };
    let (q, k, v) = (split(0), split(1), split(2));
    // Scaled by multiplying: Burn 0.21's `div_scalar` backward divides by the scalar rounded
    // to float32, which puts 1e-8 errors into float64 gradients.
    let scores = q
        .matmul(k.swap_dims(2, 3))
        .mul_scalar(1.0 / (d as f64).sqrt());
    let future = Tensor::<B, 2, Bool>::tril_mask([time, time], 0, &scores.device())
        .unsqueeze::<4>()
        .expand([batch, heads, time, time]);
    softmax(scores.mask_fill(future, f64::NEG_INFINITY), 3)
        .matmul(v)
        .swap_dims(1, 2)
        .reshape([batch, time, width])
}

/// `product::causal_attention` equals the composite in value and in the projection's gradient,
/// from one step and one head to the GPT recipe's shape (48 pairs over the helper threads),
/// and on a projection that is not row-major.
#[test]
fn causal_attention_equals_burns_composite() {
    fn once<B: AutodiffBackend>(dims: [usize; 3], heads: usize, sliced: bool, tol: f64) {
        let qkv = if sliced {
            operand::<B, 3>(dims, Layout::Sliced, 14)
        } else {
            random::<B, 3>(dims, 14)
        }
        .require_grad();
        let upstream = random::<B, 3>([dims[0], dims[1], dims[2] / 3], 15);
        let ours = product::causal_attention(qkv.clone(), heads).expect("the ndarray path");
        let burns = composite_attention(qkv.clone(), heads);
        let label = format!("{dims:?} with {heads} heads");
        let value = relative(ours.clone(), burns.clone());
        assert!(value <= tol, "{label}: value differs by {value:e}");
        let g_ours = (ours * upstream.clone()).sum().backward();
        let g_burns = (burns * upstream).sum().backward();
        let d = relative(qkv.grad(&g_ours).unwrap(), qkv.grad(&g_burns).unwrap());
        assert!(d <= tol, "{label}: d qkv differs by {d:e}");
    }
    for (dims, heads, sliced) in [
        ([1, 1, 3], 1, false),
        ([2, 5, 18], 2, false),
        ([2, 5, 18], 3, true),
        ([12, 64, 384], 4, false),
    ] {
        once::<Ad<f64>>(dims, heads, sliced, 1e-12);
        once::<Ad<f32>>(dims, heads, sliced, 1e-5);
    }
    // Without autodiff (evaluation, sampling) the same function.
    let qkv = random::<NdArray<f64>, 3>([2, 9, 24], 16);
    let ours = product::causal_attention(qkv.clone(), 2).expect("the ndarray path");
    assert!(relative(ours, composite_attention(qkv, 2)) <= 1e-12);
}

/// `product::gelu` equals GELU composed of Burn's operations, `z (1 + erf(z / sqrt 2)) / 2`, in
/// value and gradient: to rounding in float64, and within the float32 approximation's error
/// (5e-7 in erf) in float32; over a range that reaches both tails, split over threads.
#[test]
fn gelu_equals_burns_composite() {
    // The library's own composite (Activation::apply), Burn's operations only.
    fn composite<B: Backend, const D: usize>(z: Tensor<B, D>) -> Tensor<B, D> {
        actlab::model::Activation::Gelu.apply(z)
    }
    fn once<B: AutodiffBackend>(dims: [usize; 3], tol: f64) {
        let z = random::<B, 3>(dims, 17).mul_scalar(4.0).require_grad();
        let upstream = random::<B, 3>(dims, 18);
        let ours = product::gelu(z.clone()).expect("the ndarray path");
        let burns = composite(z.clone());
        let value = relative(ours.clone(), burns.clone());
        assert!(value <= tol, "{dims:?}: value differs by {value:e}");
        let g_ours = (ours * upstream.clone()).sum().backward();
        let g_burns = (burns * upstream).sum().backward();
        let d = relative(z.grad(&g_ours).unwrap(), z.grad(&g_burns).unwrap());
        assert!(d <= tol, "{dims:?}: d z differs by {d:e}");
    }
    for dims in [[1, 1, 1], [2, 3, 5], [12, 64, 512]] {
        once::<Ad<f64>>(dims, 1e-12);
        once::<Ad<f32>>(dims, 1e-5);
    }
    let z = random::<NdArray<f64>, 2>([40, 30], 19);
    assert!(relative(product::gelu(z.clone()).unwrap(), composite(z)) <= 1e-12);
}

/// Empty dimensions give empty or zero results of the right shape, forward and backward.
#[test]
fn empty_dimensions_neither_panic_nor_lose_shape() {
    let x = random::<Ad<f64>, 3>([2, 3, 0], 20).require_grad();
    let w = random::<Ad<f64>, 2>([0, 4], 21).require_grad();
    let y = product::rows(x.clone(), w.clone());
    assert_eq!(y.dims(), [2, 3, 4]);
    assert_eq!(y.clone().abs().sum().into_scalar(), 0.0);
    let grads = y.sum().backward();
    assert_eq!(x.grad(&grads).unwrap().dims(), [2, 3, 0]);
    let x = random::<Ad<f64>, 3>([2, 3, 5], 22).require_grad();
    let w = random::<Ad<f64>, 2>([5, 0], 23).require_grad();
    let y = product::rows(x.clone(), w.clone());
    assert_eq!(y.dims(), [2, 3, 0]);
    let grads = y.sum().backward();
    assert_eq!(x.grad(&grads).unwrap().dims(), [2, 3, 5]);

    let qkv = random::<Ad<f64>, 3>([2, 0, 12], 24).require_grad();
    let y = product::causal_attention(qkv.clone(), 2).expect("the ndarray path");
    assert_eq!(y.dims(), [2, 0, 4]);
    let grads = y.sum().backward();
    assert_eq!(qkv.grad(&grads).unwrap().dims(), [2, 0, 12]);
}

/// `product::layer_norm` equals Burn's `LayerNorm` (nine composed operations), with and without
/// a bias, in value and in the gradients of input, gamma and beta, on rows few enough for one
/// thread and many enough for the helpers.
#[test]
fn layer_norm_equals_burns() {
    use burn::nn::LayerNormConfig;
    fn once<B: AutodiffBackend>(dims: [usize; 3], bias: bool, tol: f64) {
        let device = Default::default();
        let mut norm = LayerNormConfig::new(dims[2])
            .with_epsilon(1e-5)
            .with_bias(bias)
            .init::<B>(&device);
        // Weights away from their initial ones and zeros, so that every term counts.
        norm.gamma =
            Param::from_tensor(random::<B, 1>([dims[2]], 25).add_scalar(1.0).require_grad());
        norm.beta = bias.then(|| Param::from_tensor(random::<B, 1>([dims[2]], 26).require_grad()));
        let x = random::<B, 3>(dims, 27)
            .mul_scalar(3.0)
            .add_scalar(0.5)
            .require_grad();
        let upstream = random::<B, 3>(dims, 28);
        let (gamma, beta) = (norm.gamma.val(), norm.beta.as_ref().map(|b| b.val()));
        let ours = product::layer_norm(x.clone(), gamma.clone(), beta.clone(), 1e-5)
            .expect("the ndarray path");
        let burns = norm.forward(x.clone());
        let label = format!("{dims:?} bias {bias}");
        assert!(
            relative(ours.clone(), burns.clone()) <= tol,
            "{label}: value"
        );
        let g_ours = (ours * upstream.clone()).sum().backward();
        let g_burns = (burns * upstream).sum().backward();
        let d = |t: &Tensor<B, 3>| relative(t.grad(&g_ours).unwrap(), t.grad(&g_burns).unwrap());
        assert!(d(&x) <= tol, "{label}: d x differs by {:e}", d(&x));
        let d1 = |t: &Tensor<B, 1>| relative(t.grad(&g_ours).unwrap(), t.grad(&g_burns).unwrap());
        assert!(
            d1(&gamma) <= tol,
            "{label}: d gamma differs by {:e}",
            d1(&gamma)
        );
        if let Some(beta) = &beta {
            assert!(d1(beta) <= tol, "{label}: d beta differs by {:e}", d1(beta));
        }
    }
    for bias in [false, true] {
        for dims in [[1, 1, 4], [2, 5, 16], [12, 64, 128]] {
            once::<Ad<f64>>(dims, bias, 1e-12);
            once::<Ad<f32>>(dims, bias, 1e-5);
        }
    }
}
