//! The strided product on burn-ndarray's tensors, and its autodiff operation with its own
//! backward: `d lhs = d out @ rhs^T` and `d rhs = lhs^T @ d out`, the transposes read as
//! strides rather than copied (Burn's own matmul backward copies both). A left operand of
//! higher rank than a matrix right operand (a layer's `[B, T, C] @ [C, N]`) is read as the
//! matrix of its rows, without the copy that burn-ndarray's `reshape` makes of a row-major
//! tensor (other layouts are copied once).

use super::gemm;
use burn::backend::{
    Autodiff, NdArray,
    autodiff::{
        NodeId,
        checkpoint::{base::Checkpointer, strategy::NoCheckpointing},
        grads::Gradients,
        ops::{Backward, Ops, OpsKind, binary},
    },
};
use burn::tensor::{TensorMetadata, ops::FloatTensor};
use burn_ndarray::{FloatNdArrayElement, NdArrayTensor, SharedArray};
use ndarray::{ArrayD, ArrayViewD, CowArray, IxDyn};

/// `lhs @ rhs` on ndarray tensors of one float type, either operand read transposed (its
/// last two axes swapped) when asked.
pub fn product(lhs: NdArrayTensor, rhs: NdArrayTensor, transpose: [bool; 2]) -> NdArrayTensor {
    fn view<E>(array: ArrayViewD<'_, E>, transpose: bool) -> ArrayViewD<'_, E> {
        let mut array = array;
        if transpose {
            let rank = array.ndim();
            array.swap_axes(rank - 2, rank - 1);
        }
        array
    }
    on_both(
        lhs,
        rhs,
        |l, r| gemm::product(view(l, transpose[0]), view(r, transpose[1])),
        |l, r| gemm::product(view(l, transpose[0]), view(r, transpose[1])),
    )
}

/// `f32` or `f64` applied to two ndarray tensors of that one float type.
fn on_both(
    lhs: NdArrayTensor,
    rhs: NdArrayTensor,
    f32: impl FnOnce(ArrayViewD<'_, f32>, ArrayViewD<'_, f32>) -> ArrayD<f32>,
    f64: impl FnOnce(ArrayViewD<'_, f64>, ArrayViewD<'_, f64>) -> ArrayD<f64>,
) -> NdArrayTensor {
    match (lhs, rhs) {
        (NdArrayTensor::F32(l), NdArrayTensor::F32(r)) => {
            f32(l.view(), r.view()).into_shared().into()
        }
        (NdArrayTensor::F64(l), NdArrayTensor::F64(r)) => {
            f64(l.view(), r.view()).into_shared().into()
        }
        (l, r) => panic!(
            "a matrix product of {:?} and {:?} tensors: both operands must be float32 or both float64",
            l.dtype(),
            r.dtype()
        ),
    }
}

/// `array: [.., n]` as the matrix of its rows `[rows, n]`: a view of a row-major array, else a
/// row-major copy.
fn rows<E: Clone>(array: ArrayViewD<'_, E>) -> CowArray<'_, E, IxDyn> {
    let rank = array.ndim();
    let last = array.shape().last().copied().unwrap_or(1);
    let count = array.shape()[..rank.saturating_sub(1)]
        .iter()
        .product::<usize>();
    let shape = IxDyn(&[count, last]);
    match array.clone().into_shape_with_order(shape.clone()) {
        Ok(view) => view.into(),
        Err(_) => array
            .as_standard_layout()
            .into_owned()
            .into_shape_with_order(shape)
            .expect("a row-major array reshapes")
            .into(),
    }
}

/// `x @ w` for every row of `x: [.., k]` and a matrix `w: [k, n]` (read transposed, as
/// `[n, k]`, with `transpose_w`): `[.., n]`.
pub fn rows_product(x: NdArrayTensor, w: NdArrayTensor, transpose_w: bool) -> NdArrayTensor {
    fn typed<E: gemm::Scalar>(
        x: ArrayViewD<'_, E>,
        w: ArrayViewD<'_, E>,
        transpose_w: bool,
    ) -> ArrayD<E> {
        let mut dims = x.shape().to_vec();
        let mut w = w;
        if transpose_w {
            w.swap_axes(0, 1);
        }
        *dims.last_mut().expect("rank at least 1") = w.shape()[1];
        let x = rows(x);
        gemm::product(x.view(), w)
            .into_shape_with_order(IxDyn(&dims))
            .expect("a new row-major product reshapes")
    }
    on_both(
        x,
        w,
        |x, w| typed(x, w, transpose_w),
        |x, w| typed(x, w, transpose_w),
    )
}

/// `rows(x)^T @ rows(dy)` for `x: [.., k]` and `dy: [.., n]` with the same rows: `[k, n]`, the
/// gradient of a weight applied to every row.
pub fn rows_gradient(x: NdArrayTensor, dy: NdArrayTensor) -> NdArrayTensor {
    fn typed<E: gemm::Scalar>(x: ArrayViewD<'_, E>, dy: ArrayViewD<'_, E>) -> ArrayD<E> {
        let (x, dy) = (rows(x), rows(dy));
        let mut xt = x.view();
        xt.swap_axes(0, 1);
        gemm::product(xt, dy.view())
    }
    on_both(x, dy, typed, typed)
}

/// `x @ w` for every row of `x`, as a node of the autodiff graph.
#[derive(Debug)]
struct RowsProduct;

impl<E: FloatNdArrayElement> Backward<NdArray<E>, 2> for RowsProduct
where
    NdArrayTensor: From<SharedArray<E>>,
{
    /// `x` when `w` needs a gradient, and `w` when `x` does.
    type State = (Option<NdArrayTensor>, Option<NdArrayTensor>);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let (x, w) = ops.state;
        binary::<NdArray<E>, _, _>(
            ops.parents,
            ops.node,
            grads,
            |grad| rows_product(grad, w.expect("w kept for x's gradient"), true),
            |grad| rows_gradient(x.expect("x kept for w's gradient"), grad),
        );
    }
}

/// `x @ w` for every row of `x: [.., k]` and a matrix `w: [k, n]` on the autodiff ndarray
/// backend, recorded with [`RowsProduct`]'s backward.
pub fn tracked_rows_product<E: FloatNdArrayElement>(
    x: FloatTensor<Autodiff<NdArray<E>>>,
    w: FloatTensor<Autodiff<NdArray<E>>>,
) -> FloatTensor<Autodiff<NdArray<E>>>
where
    NdArrayTensor: From<SharedArray<E>>,
{
    let (x_tracked, w_tracked) = (x.is_tracked(), w.is_tracked());
    match RowsProduct
        .prepare::<NoCheckpointing>([x.node.clone(), w.node.clone()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => {
            let x_state = w_tracked.then(|| x.primitive.clone());
            let w_state = x_tracked.then(|| w.primitive.clone());
            let out = rows_product(x.primitive, w.primitive, false);
            prep.finish((x_state, w_state), out)
        }
        OpsKind::UnTracked(prep) => prep.finish(rows_product(x.primitive, w.primitive, false)),
    }
}

/// The product as a node of the autodiff graph.
#[derive(Debug)]
struct Product;

impl<E: FloatNdArrayElement> Backward<NdArray<E>, 2> for Product
where
    NdArrayTensor: From<SharedArray<E>>,
{
    /// The checkpointed operands: `lhs` when `rhs` needs a gradient, and `rhs` when `lhs` does.
    type State = (Option<NodeId>, Option<NodeId>);

    fn backward(
        self,
        ops: Ops<Self::State, 2>,
        grads: &mut Gradients,
        checkpointer: &mut Checkpointer,
    ) {
        let (lhs, rhs) = ops.state;
        let lhs: Option<NdArrayTensor> = lhs.map(|id| checkpointer.retrieve_node_output(id));
        let rhs: Option<NdArrayTensor> = rhs.map(|id| checkpointer.retrieve_node_output(id));
        binary::<NdArray<E>, _, _>(
            ops.parents,
            ops.node,
            grads,
            |grad| {
                product(
                    grad,
                    rhs.expect("rhs kept for lhs' gradient"),
                    [false, true],
                )
            },
            |grad| {
                product(
                    lhs.expect("lhs kept for rhs' gradient"),
                    grad,
                    [true, false],
                )
            },
        );
    }
}

/// `lhs @ rhs` on the autodiff ndarray backend, recorded with [`Product`]'s backward.
pub fn tracked_product<E: FloatNdArrayElement>(
    lhs: FloatTensor<Autodiff<NdArray<E>>>,
    rhs: FloatTensor<Autodiff<NdArray<E>>>,
) -> FloatTensor<Autodiff<NdArray<E>>>
where
    NdArrayTensor: From<SharedArray<E>>,
{
    let (lhs_tracked, rhs_tracked) = (lhs.is_tracked(), rhs.is_tracked());
    match Product
        .prepare::<NoCheckpointing>([lhs.node.clone(), rhs.node.clone()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(mut prep) => {
            let lhs_state = rhs_tracked.then(|| prep.checkpoint(&lhs));
            let rhs_state = lhs_tracked.then(|| prep.checkpoint(&rhs));
            let out = product(lhs.primitive, rhs.primitive, [false, false]);
            prep.finish((lhs_state, rhs_state), out)
        }
        OpsKind::UnTracked(prep) => {
            prep.finish(product(lhs.primitive, rhs.primitive, [false, false]))
        }
    }
}
