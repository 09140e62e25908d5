//! GELU, `z Phi(z)` with `Phi(z) = (1 + erf(z / sqrt 2)) / 2`, on burn-ndarray's tensors as one
//! element-wise operation with its own backward `Phi(z) + z phi(z)`.
//!
//! Written by hand because Burn composes GELU from five tensor operations, each with its own
//! pass, buffer and backward, and burn-ndarray evaluates `erf` element by element in float64
//! even for float32 tensors: a fifth of a GPT step. Here one pass forward and one backward,
//! split over the product helper threads. Float64 keeps libm's `erf` and `exp` (the golden
//! tests hold PyTorch's float64 GELU to 1e-10); float32 uses branch-free approximations that
//! the compiler vectorizes: `erf` by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7,
//! 5e-7 once evaluated in float32; the approximation PyTorch's vectorized float32 `erf` uses) and `exp` by Cephes' `expf`
//! polynomial (a few ulp), both checked against libm in the tests below.

use burn::backend::{
    Autodiff, NdArray,
    autodiff::{
        checkpoint::{base::Checkpointer, strategy::NoCheckpointing},
        grads::Gradients,
        ops::{Backward, Ops, OpsKind, unary},
    },
};
use burn::tensor::{TensorMetadata, ops::FloatTensor};
use burn_ndarray::{FloatNdArrayElement, NdArrayTensor, SharedArray};
use ndarray::{ArrayD, ArrayViewD};

use super::{buffers::Disjoint, threads};

/// Elements below which one thread does the whole pass.
const THREADED: usize = 1 << 15;

/// `1 / sqrt(2 pi)`.
const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// `exp(x)` in float32 without branches: `2^n p(r)` with `x = n ln 2 + r`, `|r| <= ln 2 / 2`
/// (Cephes `expf`); inputs below -87 give about 1e-38, above 88 about 1.6e38.
#[inline(always)]
fn exp_f32(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    // Round to nearest by adding and removing 1.5 * 2^23.
    let n = (x * std::f32::consts::LOG2_E + 12_582_912.0) - 12_582_912.0;
    let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let p = ((((1.987_569_1e-4 * r + 1.398_2e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 0.166_666_65)
        * r
        + 0.5;
    let p = p * r * r + r + 1.0;
    // 2^n from the bits of n + 127 (in 1..=254 after the clamp), read off the mantissa of
    // n + 127 + 2^23: no float-to-integer conversion, which the compiler would not vectorize.
    p * f32::from_bits((n + 127.0 + 8_388_608.0).to_bits() << 23)
}

/// `(erf(x), exp(-x^2))` in float32 without branches (Abramowitz & Stegun 7.1.26).
#[inline(always)]
fn erf_f32(x: f32) -> (f32, f32) {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = ((((1.061_405_4 * t - 1.453_152_1) * t + 1.421_413_8) * t - 0.284_496_72) * t
        + 0.254_829_6)
        * t;
    // exp(-x^2) is below float32's smallest normal past x^2 = 87; zero there, so that the
    // derivative's z phi(z) vanishes in the tails (and is NaN at infinite z, as in float64).
    let square = a * a;
    let gauss = if square > 87.0 { 0.0 } else { exp_f32(-square) };
    ((1.0 - poly * gauss).copysign(x), gauss)
}

/// `(Phi(z), phi(z))` of one float type.
trait Gaussian: Copy + Send + Sync + 'static {
    fn cdf_pdf(z: Self) -> (Self, Self);
    fn gelu(z: Self) -> Self;
    fn gelu_derivative(z: Self) -> Self;
}

impl Gaussian for f64 {
    #[inline(always)]
    fn cdf_pdf(z: f64) -> (f64, f64) {
        let cdf = (libm::erf(z / std::f64::consts::SQRT_2) + 1.0) * 0.5;
        (cdf, (-0.5 * z * z).exp() * INV_SQRT_2PI)
    }
    #[inline(always)]
    fn gelu(z: f64) -> f64 {
        z * ((libm::erf(z / std::f64::consts::SQRT_2) + 1.0) * 0.5)
    }
    #[inline(always)]
    fn gelu_derivative(z: f64) -> f64 {
        let (cdf, pdf) = Self::cdf_pdf(z);
        cdf + z * pdf
    }
}

impl Gaussian for f32 {
    #[inline(always)]
    fn cdf_pdf(z: f32) -> (f32, f32) {
        let (erf, gauss) = erf_f32(z * std::f32::consts::FRAC_1_SQRT_2);
        ((erf + 1.0) * 0.5, gauss * INV_SQRT_2PI as f32)
    }
    #[inline(always)]
    fn gelu(z: f32) -> f32 {
        z * Self::cdf_pdf(z).0
    }
    #[inline(always)]
    fn gelu_derivative(z: f32) -> f32 {
        let (cdf, pdf) = Self::cdf_pdf(z);
        cdf + z * pdf
    }
}

/// `out[i] = f(a[i], b[i])` (with `b` absent: `f(a[i], a[i])`), split over the helper threads
/// when long enough.
fn map<E: Gaussian + Default + Clone>(
    a: ArrayViewD<'_, E>,
    b: Option<ArrayViewD<'_, E>>,
    f: impl Fn(E, E) -> E + Sync,
) -> ArrayD<E> {
    let a = a.as_standard_layout();
    let b = b.as_ref().map(|b| b.as_standard_layout());
    let mut out = ArrayD::<E>::default(a.raw_dim());
    let (x, out_slice) = (
        a.as_slice().expect("row-major"),
        out.as_slice_mut().expect("row-major"),
    );
    let y = b.as_ref().map(|b| b.as_slice().expect("row-major"));
    let len = x.len();
    let parts = if len >= THREADED { threads::parts() } else { 1 };
    let out_ptr = Disjoint(out_slice.as_mut_ptr());
    let run = |part: usize| {
        let range = len * part / parts..len * (part + 1) / parts;
        // SAFETY: each part writes its own range of `out`.
        let out = unsafe { out_ptr.slice(range.start, range.len()) };
        let x = &x[range.clone()];
        widest(out, x, y.map_or(x, |y| &y[range]), &f);
    };
    threads::split(parts, &run);
    out
}

/// `out[i] = f(x[i], y[i])`: the loop every instruction set compiles.
#[inline(always)]
fn kernel<E: Copy>(out: &mut [E], x: &[E], y: &[E], f: &impl Fn(E, E) -> E) {
    let n = out.len();
    let (x, y) = (&x[..n], &y[..n]);
    for i in 0..n {
        out[i] = f(x[i], y[i]);
    }
}

/// [`kernel`] compiled for the widest vectors this CPU has. The lanes only widen: no
/// multiply-add is fused, so every instruction set computes the same numbers.
fn widest<E: Copy>(out: &mut [E], x: &[E], y: &[E], f: &impl Fn(E, E) -> E) {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f")]
        fn avx512<E: Copy>(out: &mut [E], x: &[E], y: &[E], f: &impl Fn(E, E) -> E) {
            kernel(out, x, y, f)
        }
        #[target_feature(enable = "avx2")]
        fn avx2<E: Copy>(out: &mut [E], x: &[E], y: &[E], f: &impl Fn(E, E) -> E) {
            kernel(out, x, y, f)
        }
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F.
            return unsafe { avx512(out, x, y, f) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2.
            return unsafe { avx2(out, x, y, f) };
        }
    }
    kernel(out, x, y, f)
}

/// GELU of a float32 or float64 tensor.
pub fn gelu(z: NdArrayTensor) -> NdArrayTensor {
    match z {
        NdArrayTensor::F32(z) => map(z.view(), None, |z: f32, _| f32::gelu(z))
            .into_shared()
            .into(),
        NdArrayTensor::F64(z) => map(z.view(), None, |z: f64, _| f64::gelu(z))
            .into_shared()
            .into(),
        other => panic!(
            "GELU of a {:?} tensor: float32 or float64 only",
            other.dtype()
        ),
    }
}

/// `grad * GELU'(z)`.
fn gelu_backward(z: NdArrayTensor, grad: NdArrayTensor) -> NdArrayTensor {
    match (z, grad) {
        (NdArrayTensor::F32(z), NdArrayTensor::F32(g)) => {
            map(z.view(), Some(g.view()), |z: f32, g| {
                g * f32::gelu_derivative(z)
            })
            .into_shared()
            .into()
        }
        (NdArrayTensor::F64(z), NdArrayTensor::F64(g)) => {
            map(z.view(), Some(g.view()), |z: f64, g| {
                g * f64::gelu_derivative(z)
            })
            .into_shared()
            .into()
        }
        (z, g) => panic!(
            "the gradient of GELU of {:?} with {:?}: one float type only",
            z.dtype(),
            g.dtype()
        ),
    }
}

/// GELU as a node of the autodiff graph.
#[derive(Debug)]
struct Gelu;

impl<E: FloatNdArrayElement> Backward<NdArray<E>, 1> for Gelu
where
    NdArrayTensor: From<SharedArray<E>>,
{
    /// The input.
    type State = NdArrayTensor;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let z = ops.state;
        unary::<NdArray<E>, _>(ops.parents, ops.node, grads, |grad| gelu_backward(z, grad));
    }
}

/// GELU on the autodiff ndarray backend, recorded with its own backward.
pub fn tracked<E: FloatNdArrayElement>(
    z: FloatTensor<Autodiff<NdArray<E>>>,
) -> FloatTensor<Autodiff<NdArray<E>>>
where
    NdArrayTensor: From<SharedArray<E>>,
{
    match Gelu
        .prepare::<NoCheckpointing>([z.node.clone()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => {
            let out = gelu(z.primitive.clone());
            prep.finish(z.primitive, out)
        }
        OpsKind::UnTracked(prep) => prep.finish(gelu(z.primitive)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points from -12 to 12, dense near zero, with the signed zeros and both ends.
    fn points() -> Vec<f64> {
        let mut xs: Vec<f64> = (-4800..=4800).map(|i| i as f64 / 400.0).collect();
        xs.extend([0.0, -0.0, 1e-30, -1e-30, 87.5, -87.5, 200.0, -200.0]);
        xs
    }

    #[test]
    fn the_widest_vectors_compute_the_portable_loops_numbers_bit_for_bit() {
        let z: Vec<f32> = points().into_iter().map(|z| z as f32).collect();
        let g: Vec<f32> = z.iter().map(|z| (z * 0.37).sin()).collect();
        fn same(z: &[f32], g: &[f32], f: impl Fn(f32, f32) -> f32) {
            let (mut wide, mut plain) = (vec![0.0; z.len()], vec![0.0; z.len()]);
            widest(&mut wide, z, g, &f);
            kernel(&mut plain, z, g, &f);
            assert!(
                wide.iter()
                    .zip(&plain)
                    .all(|(a, b)| a.to_bits() == b.to_bits())
            );
        }
        same(&z, &g, |z, _| f32::gelu(z));
        same(&z, &g, |z, g| g * f32::gelu_derivative(z));
    }

    #[test]
    fn float32_exp_is_within_a_few_ulp_of_libm() {
        for i in -8700..=8800 {
            let x = i as f32 / 100.0;
            let (ours, exact) = (exp_f32(x) as f64, (x as f64).exp());
            // (exp_f32 clamps below -87; `erf_f32` zeroes exp(-x^2) there itself.)
            assert!(
                ((ours - exact) / exact).abs() < 4.0 * f32::EPSILON as f64,
                "exp({x}): {ours} against {exact}"
            );
        }
    }

    #[test]
    fn float32_erf_is_within_its_published_bound_of_libm() {
        for x in points() {
            let ours = erf_f32(x as f32).0 as f64;
            let exact = libm::erf(x as f32 as f64);
            // 1.5e-7 for the approximation, plus float32 rounding of `poly`, `exp(-x^2)` and
            // `1 - poly exp(-x^2)` (about 3e-7 where the difference is small).
            assert!(
                (ours - exact).abs() < 5e-7,
                "erf({x}): {ours} against {exact}"
            );
        }
    }

    #[test]
    fn gelu_and_its_derivative_match_float64_definitions() {
        for z in points() {
            let exact = z * (libm::erf(z / std::f64::consts::SQRT_2) + 1.0) * 0.5;
            let derivative = (libm::erf(z / std::f64::consts::SQRT_2) + 1.0) * 0.5
                + z * (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
            assert!((f64::gelu(z) - exact).abs() <= 1e-15 * exact.abs().max(1.0));
            assert!((f64::gelu_derivative(z) - derivative).abs() <= 1e-15);
            let z32 = z as f32;
            let tolerance = 4e-7 * (z.abs().max(1.0));
            let exact32 =
                (z32 as f64) * (libm::erf(z32 as f64 / std::f64::consts::SQRT_2) + 1.0) * 0.5;
            assert!(
                (f32::gelu(z32) as f64 - exact32).abs() <= tolerance,
                "gelu({z}): {} against {exact32}",
                f32::gelu(z32)
            );
            let z = z32 as f64;
            let derivative32 = (libm::erf(z / std::f64::consts::SQRT_2) + 1.0) * 0.5
                + z * (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
            assert!(
                (f32::gelu_derivative(z32) as f64 - derivative32).abs() <= tolerance,
                "gelu'({z}): {} against {derivative32}",
                f32::gelu_derivative(z32)
            );
        }
        assert!(f32::gelu(f32::NAN).is_nan() && f64::gelu(f64::NAN).is_nan());
        assert!(f32::gelu_derivative(f32::NAN).is_nan());
        assert!(f32::gelu_derivative(f32::INFINITY).is_nan());
        assert_eq!(f32::gelu_derivative(20.0), 1.0);
        assert_eq!(f32::gelu_derivative(-20.0), 0.0);
    }
}
