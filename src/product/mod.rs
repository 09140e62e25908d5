//! Matrix products for the model layers: on the ndarray backend a strided GEMM with its own
//! backward (no transposed copies, threads where a product pays for them); on every other
//! backend Burn's `matmul`.
//!
//! Models stay generic over `B: Backend`. The fast path is chosen at run time by the backend's
//! type (`TypeId`): a tensor of the ndarray backends is moved into its concrete type and back,
//! which costs a comparison and no copy. The results equal Burn's `matmul` in value and
//! gradient to rounding (tests/product.rs).

#[cfg(feature = "ndarray")]
mod gemm;
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

/// Burn's `Linear` applied to `x: [.., fan_in]` as one 2-D product over every row, the same
/// function as `layer.forward(x)` (whose weight gradient is a batched product then a sum).
pub fn linear<B: Backend, const D: usize>(layer: &Linear<B>, x: Tensor<B, D>) -> Tensor<B, D> {
    let dims = x.dims();
    let [fan_in, fan_out] = layer.weight.dims();
    let rows = dims[..D - 1].iter().product::<usize>();
    let y = matmul(x.reshape([rows, fan_in]), layer.weight.val()); // [rows, fan_out]
    let y = match &layer.bias {
        Some(bias) => y + bias.val().unsqueeze::<2>(),
        None => y,
    };
    let mut out = dims;
    out[D - 1] = fan_out;
    y.reshape(out)
}

#[cfg(feature = "ndarray")]
mod fast {
    //! The run-time choice of the ndarray path.

    use super::{gemm, ops};
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
