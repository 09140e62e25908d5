//! The strided product on burn-ndarray's tensors, and its autodiff operation with its own
//! backward: `d lhs = d out @ rhs^T` and `d rhs = lhs^T @ d out`, the transposes read as
//! strides rather than copied (Burn's own matmul backward copies both).

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

/// `lhs @ rhs` on ndarray tensors of one float type, either operand read transposed (its
/// last two axes swapped) when asked.
pub fn product(lhs: NdArrayTensor, rhs: NdArrayTensor, transpose: [bool; 2]) -> NdArrayTensor {
    fn view<E>(array: ndarray::ArrayViewD<'_, E>, transpose: bool) -> ndarray::ArrayViewD<'_, E> {
        let mut array = array;
        if transpose {
            let rank = array.ndim();
            array.swap_axes(rank - 2, rank - 1);
        }
        array
    }
    match (lhs, rhs) {
        (NdArrayTensor::F32(l), NdArrayTensor::F32(r)) => {
            gemm::product(view(l.view(), transpose[0]), view(r.view(), transpose[1]))
                .into_shared()
                .into()
        }
        (NdArrayTensor::F64(l), NdArrayTensor::F64(r)) => {
            gemm::product(view(l.view(), transpose[0]), view(r.view(), transpose[1]))
                .into_shared()
                .into()
        }
        (l, r) => panic!(
            "a matrix product of {:?} and {:?} tensors: both operands must be float32 or both float64",
            l.dtype(),
            r.dtype()
        ),
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
