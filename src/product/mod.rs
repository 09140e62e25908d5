//! Matrix products, causal attention, GELU and layer normalization for the model layers: on the
//! ndarray backend a strided GEMM with its own backward (no transposed copies, threads where a
//! product pays for them), and attention, GELU and layer normalization each as one operation
//! with its own backward (attention.rs, gelu.rs, norm.rs); on every other backend Burn's
//! `matmul` and the caller's composite.
//!
//! Models stay generic over `B: Backend`. The fast path is chosen at run time by the backend's
//! type (`TypeId`): a tensor of the ndarray backends is moved into its concrete type and back,
//! which costs a comparison and a boxed handle, never a copy of the data. The results equal
//! Burn's composites in value and gradient to rounding (tests/product.rs).

#[cfg(feature = "ndarray")]
mod attention;
#[cfg(feature = "ndarray")]
mod buffers;
#[cfg(feature = "ndarray")]
mod gelu;
#[cfg(feature = "ndarray")]
mod gemm;
#[cfg(feature = "ndarray")]
mod norm;
#[cfg(feature = "ndarray")]
mod ops;
#[cfg(feature = "ndarray")]
mod threads;

use burn::{
    nn::Linear,
    tensor::{Tensor, backend::Backend},
};

/// `lhs @ rhs` over equal batch dimensions: `[.., m, k] @ [.., k, n] -> [.., m, n]`. Shapes
/// that broadcast go to Burn's `matmul`.
pub fn matmul<B: Backend, const D: usize>(lhs: Tensor<B, D>, rhs: Tensor<B, D>) -> Tensor<B, D> {
    #[cfg(feature = "ndarray")]
    let (lhs, rhs) = match fast::matmul(lhs, rhs) {
        Ok(out) => return out,
        Err(operands) => operands,
    };
    lhs.matmul(rhs)
}

/// `softmax(q k^T / sqrt(d) + causal mask) v` for each of `heads` heads, read from the
/// projection `qkv: [B, T, 3C]` (queries, keys, values side by side, each head's `d = C / heads`
/// columns in order) and returned as `[B, T, C]`, heads side by side: `Ok` on the ndarray
/// backends, else `Err(qkv)` for the caller's composite path.
pub fn causal_attention<B: Backend>(
    qkv: Tensor<B, 3>,
    heads: usize,
) -> Result<Tensor<B, 3>, Tensor<B, 3>> {
    #[cfg(feature = "ndarray")]
    return fast::causal_attention(qkv, heads);
    #[cfg(not(feature = "ndarray"))]
    Err(qkv)
}

/// GELU, `z (1 + erf(z / sqrt 2)) / 2`, element-wise: `Ok` on the ndarray backends, else
/// `Err(z)` for the caller's composite.
pub fn gelu<B: Backend, const D: usize>(z: Tensor<B, D>) -> Result<Tensor<B, D>, Tensor<B, D>> {
    #[cfg(feature = "ndarray")]
    return fast::gelu(z);
    #[cfg(not(feature = "ndarray"))]
    Err(z)
}

/// Layer normalization of `x: [.., C]` over its last axis with `gamma` and `beta` (`[C]` each;
/// no bias when `beta` is `None`) and `eps`: `Ok` on the ndarray backends, else `Err(x)` for the
/// caller's composite.
pub fn layer_norm<B: Backend, const D: usize>(
    x: Tensor<B, D>,
    gamma: Tensor<B, 1>,
    beta: Option<Tensor<B, 1>>,
    eps: f64,
) -> Result<Tensor<B, D>, Tensor<B, D>> {
    #[cfg(feature = "ndarray")]
    return fast::layer_norm(x, gamma, beta, eps);
    #[cfg(not(feature = "ndarray"))]
    Err(x)
}

/// `x @ w` for every row of `x: [.., k]` and a matrix `w: [k, n]`: `[.., n]`. On the ndarray
/// backends a row-major `x` is read in place (burn-ndarray's `reshape` copies it); elsewhere one
/// 2-D product over the reshaped rows.
pub fn rows<B: Backend, const D: usize>(x: Tensor<B, D>, w: Tensor<B, 2>) -> Tensor<B, D> {
    #[cfg(feature = "ndarray")]
    let (x, w) = match fast::rows(x, w) {
        Ok(out) => return out,
        Err(operands) => operands,
    };
    let mut dims = x.dims();
    let [fan_in, fan_out] = w.dims();
    let count = dims[..D - 1].iter().product::<usize>();
    dims[D - 1] = fan_out;
    matmul(x.reshape([count, fan_in]), w).reshape(dims)
}

/// Burn's `Linear` applied to `x: [.., fan_in]` as one 2-D product over every row, the same
/// function as `layer.forward(x)` (whose weight gradient is a batched product then a sum).
pub fn linear<B: Backend, const D: usize>(layer: &Linear<B>, x: Tensor<B, D>) -> Tensor<B, D> {
    let y = rows(x, layer.weight.val()); // [.., fan_out]
    match &layer.bias {
        Some(bias) => y + bias.val().unsqueeze::<D>(),
        None => y,
    }
}

#[cfg(feature = "ndarray")]
mod fast {
    //! The run-time choice of the ndarray path.

    use super::{attention, gelu as pointwise, gemm, norm, ops};
    use burn::backend::{Autodiff, NdArray};
    use burn::tensor::{Tensor, TensorPrimitive, backend::Backend};
    use std::any::{Any, TypeId};

    type Operands<B, const D: usize> = (Tensor<B, D>, Tensor<B, D>);

    /// The product on an ndarray backend, or the operands back for any other backend or shape.
    pub fn matmul<B: Backend, const D: usize>(
        lhs: Tensor<B, D>,
        rhs: Tensor<B, D>,
    ) -> Result<Tensor<B, D>, Operands<B, D>> {
        if !gemm::fits(&lhs.dims(), &rhs.dims()) {
            return Err((lhs, rhs));
        }
        let plain = |l, r| ops::product(l, r, [false, false]);
        let operands = (lhs, rhs);
        let operands = match on::<B, NdArray<f64>, D>(operands, plain) {
            Ok(out) => return Ok(out),
            Err(operands) => operands,
        };
        let operands = match on::<B, NdArray<f32>, D>(operands, plain) {
            Ok(out) => return Ok(out),
            Err(operands) => operands,
        };
        let operands = match on::<B, Autodiff<NdArray<f64>>, D>(operands, ops::tracked_product) {
            Ok(out) => return Ok(out),
            Err(operands) => operands,
        };
        on::<B, Autodiff<NdArray<f32>>, D>(operands, ops::tracked_product)
    }

    /// `x @ w` row by row on an ndarray backend, or the operands back.
    pub fn rows<B: Backend, const D: usize>(
        x: Tensor<B, D>,
        w: Tensor<B, 2>,
    ) -> Result<Tensor<B, D>, (Tensor<B, D>, Tensor<B, 2>)> {
        if D < 2 || x.dims()[D - 1] != w.dims()[0] {
            return Err((x, w));
        }
        let plain = |x, w| ops::rows_product(x, w, false);
        let operands = match rows_on::<B, NdArray<f64>, D>((x, w), plain) {
            Ok(out) => return Ok(out),
            Err(operands) => operands,
        };
        let operands = match rows_on::<B, NdArray<f32>, D>(operands, plain) {
            Ok(out) => return Ok(out),
            Err(operands) => operands,
        };
        let operands =
            match rows_on::<B, Autodiff<NdArray<f64>>, D>(operands, ops::tracked_rows_product) {
                Ok(out) => return Ok(out),
                Err(operands) => operands,
            };
        rows_on::<B, Autodiff<NdArray<f32>>, D>(operands, ops::tracked_rows_product)
    }

    /// Runs `f` on `x` and `w`'s primitives when `B` is `C` (quantized operands are given back).
    fn rows_on<B: Backend, C: Backend, const D: usize>(
        (x, w): (Tensor<B, D>, Tensor<B, 2>),
        f: impl FnOnce(C::FloatTensorPrimitive, C::FloatTensorPrimitive) -> C::FloatTensorPrimitive,
    ) -> Result<Tensor<B, D>, (Tensor<B, D>, Tensor<B, 2>)> {
        if TypeId::of::<B>() != TypeId::of::<C>() {
            return Err((x, w));
        }
        let (x, w) = cast::<_, (Tensor<C, D>, Tensor<C, 2>)>((x, w));
        match (x.into_primitive(), w.into_primitive()) {
            (TensorPrimitive::Float(x), TensorPrimitive::Float(w)) => Ok(cast(
                Tensor::<C, D>::from_primitive(TensorPrimitive::Float(f(x, w))),
            )),
            (x, w) => Err(cast((
                Tensor::<C, D>::from_primitive(x),
                Tensor::<C, 2>::from_primitive(w),
            ))),
        }
    }

    /// The fused attention on an ndarray backend, or `qkv` back for any other backend.
    pub fn causal_attention<B: Backend>(
        qkv: Tensor<B, 3>,
        heads: usize,
    ) -> Result<Tensor<B, 3>, Tensor<B, 3>> {
        let plain = |p| attention::causal(p, heads).0;
        let qkv = match unary::<B, NdArray<f64>, 3>(qkv, plain) {
            Ok(out) => return Ok(out),
            Err(qkv) => qkv,
        };
        let qkv = match unary::<B, NdArray<f32>, 3>(qkv, plain) {
            Ok(out) => return Ok(out),
            Err(qkv) => qkv,
        };
        let qkv = match unary::<B, Autodiff<NdArray<f64>>, 3>(qkv, |p| attention::tracked(p, heads))
        {
            Ok(out) => return Ok(out),
            Err(qkv) => qkv,
        };
        unary::<B, Autodiff<NdArray<f32>>, 3>(qkv, |p| attention::tracked(p, heads))
    }

    /// Layer normalization on an ndarray backend, or `x` back for any other backend.
    pub fn layer_norm<B: Backend, const D: usize>(
        x: Tensor<B, D>,
        gamma: Tensor<B, 1>,
        beta: Option<Tensor<B, 1>>,
        eps: f64,
    ) -> Result<Tensor<B, D>, Tensor<B, D>> {
        let ndarray = [
            TypeId::of::<NdArray<f64>>(),
            TypeId::of::<NdArray<f32>>(),
            TypeId::of::<Autodiff<NdArray<f64>>>(),
            TypeId::of::<Autodiff<NdArray<f32>>>(),
        ];
        if !ndarray.contains(&TypeId::of::<B>()) {
            return Err(x);
        }
        let has_beta = beta.is_some();
        // A model without a bias passes zeros that nothing tracks: they get no gradient.
        let beta = beta.unwrap_or_else(|| Tensor::zeros(gamma.dims(), &gamma.device()));
        let operands = (x, gamma, beta);
        macro_rules! on {
            ($backend:ty, $f:expr) => {
                if TypeId::of::<B>() == TypeId::of::<$backend>() {
                    let (x, gamma, beta) = cast::<
                        _,
                        (
                            Tensor<$backend, D>,
                            Tensor<$backend, 1>,
                            Tensor<$backend, 1>,
                        ),
                    >(operands);
                    return match (
                        x.into_primitive(),
                        gamma.into_primitive(),
                        beta.into_primitive(),
                    ) {
                        (
                            TensorPrimitive::Float(x),
                            TensorPrimitive::Float(g),
                            TensorPrimitive::Float(b),
                        ) => Ok(cast(Tensor::<$backend, D>::from_primitive(
                            TensorPrimitive::Float($f(x, g, b)),
                        ))),
                        (x, _, _) => Err(cast(Tensor::<$backend, D>::from_primitive(x))),
                    };
                }
            };
        }
        on!(NdArray<f64>, |x, g, b| norm::plain(x, g, b, has_beta, eps));
        on!(NdArray<f32>, |x, g, b| norm::plain(x, g, b, has_beta, eps));
        on!(Autodiff<NdArray<f64>>, |x, g, b| norm::tracked(
            x, g, b, has_beta, eps
        ));
        on!(Autodiff<NdArray<f32>>, |x, g, b| norm::tracked(
            x, g, b, has_beta, eps
        ));
        Err(operands.0)
    }

    /// GELU on an ndarray backend, or `z` back for any other backend.
    pub fn gelu<B: Backend, const D: usize>(z: Tensor<B, D>) -> Result<Tensor<B, D>, Tensor<B, D>> {
        let z = match unary::<B, NdArray<f64>, D>(z, pointwise::gelu) {
            Ok(out) => return Ok(out),
            Err(z) => z,
        };
        let z = match unary::<B, NdArray<f32>, D>(z, pointwise::gelu) {
            Ok(out) => return Ok(out),
            Err(z) => z,
        };
        let z = match unary::<B, Autodiff<NdArray<f64>>, D>(z, pointwise::tracked) {
            Ok(out) => return Ok(out),
            Err(z) => z,
        };
        unary::<B, Autodiff<NdArray<f32>>, D>(z, pointwise::tracked)
    }

    /// Runs `f` on a float tensor's primitive when `B` is `C` (a quantized tensor is given back).
    fn unary<B: Backend, C: Backend, const D: usize>(
        x: Tensor<B, D>,
        f: impl FnOnce(C::FloatTensorPrimitive) -> C::FloatTensorPrimitive,
    ) -> Result<Tensor<B, D>, Tensor<B, D>> {
        if TypeId::of::<B>() != TypeId::of::<C>() {
            return Err(x);
        }
        let x = cast::<Tensor<B, D>, Tensor<C, D>>(x);
        match x.into_primitive() {
            TensorPrimitive::Float(p) => Ok(cast::<Tensor<C, D>, Tensor<B, D>>(
                Tensor::from_primitive(TensorPrimitive::Float(f(p))),
            )),
            other => Err(cast::<Tensor<C, D>, Tensor<B, D>>(Tensor::from_primitive(
                other,
            ))),
        }
    }

    /// Runs `f` on the operands' primitives when `B` is `C` (quantized operands take Burn's
    /// `matmul`).
    fn on<B: Backend, C: Backend, const D: usize>(
        operands: Operands<B, D>,
        f: impl FnOnce(C::FloatTensorPrimitive, C::FloatTensorPrimitive) -> C::FloatTensorPrimitive,
    ) -> Result<Tensor<B, D>, Operands<B, D>> {
        if TypeId::of::<B>() != TypeId::of::<C>() {
            return Err(operands);
        }
        let (lhs, rhs) = cast::<Operands<B, D>, Operands<C, D>>(operands);
        let out = match (lhs.into_primitive(), rhs.into_primitive()) {
            (TensorPrimitive::Float(l), TensorPrimitive::Float(r)) => {
                Tensor::<C, D>::from_primitive(TensorPrimitive::Float(f(l, r)))
            }
            (l, r) => Tensor::<C, D>::from_primitive(l).matmul(Tensor::from_primitive(r)),
        };
        Ok(cast::<Tensor<C, D>, Tensor<B, D>>(out))
    }

    /// `value` as type `U`, which it is (the backends' `TypeId`s were compared).
    fn cast<T: 'static, U: 'static>(value: T) -> U {
        let boxed: Box<dyn Any> = Box::new(value);
        *boxed.downcast::<U>().expect("the same type")
    }
}
