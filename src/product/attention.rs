//! Causal self-attention on burn-ndarray's tensors as one operation with its own backward:
//! `y = softmax(q k^T / sqrt(d) + causal mask) v` for every head, read straight from the
//! `[B, T, 3C]` query-key-value projection and written as `[B, T, C]`, heads side by side.
//!
//! Written by hand because Burn's composite path (a slice per operand, head transposes, two
//! batched products, a `[B, H, T, T]` mask built every pass, a softmax over the masked half,
//! and the backward of each) spent most of a GPT step outside the arithmetic: copies of
//! transposed heads, filled tensors and exponentials of entries the mask discards. Here each
//! (batch, head) pair is one task over its `T x d` rows: its scores as one `T x T` product, a
//! softmax over each row's past (the future set to zero, never exponentiated), and the
//! weighted sum of values as another product; the products run over the whole square, zeros
//! included, which on these sizes is faster than walking the triangle. The backward reads the
//! saved probabilities and recomputes nothing. Pairs are spread over the product helper threads (threads.rs). The
//! results equal the composite path to rounding in value and gradient (tests/product.rs).

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
use ndarray::ArrayViewD;

use super::{
    buffers::{Disjoint, Real, array, standard},
    gemm::Scalar,
    threads,
};

/// A strided matrix operand: its first element and its row and column strides.
#[derive(Clone, Copy)]
struct Strided<E> {
    at: *const E,
    row: isize,
    col: isize,
}

impl<E> Strided<E> {
    /// The transpose: the same elements with rows and columns swapped.
    fn t(self) -> Self {
        Self {
            row: self.col,
            col: self.row,
            ..self
        }
    }
}

/// `out[m x n] = beta lhs[m x k] @ rhs[k x n]` into a row-major block of row stride `out_row`.
///
/// # Safety
/// Every operand's elements are inside its buffer, and no other thread writes `out`'s block.
unsafe fn product<E: Scalar>(
    [m, n, k]: [usize; 3],
    out: *mut E,
    out_row: isize,
    lhs: Strided<E>,
    rhs: Strided<E>,
    beta: E,
) {
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out,
            1,
            out_row,
            false,
            lhs.at,
            lhs.col,
            lhs.row,
            rhs.at,
            rhs.col,
            rhs.row,
            E::ZERO,
            beta,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// The sizes of one attention: batch, time, width `C` and heads (`d = C / heads`).
#[derive(Clone, Copy, Debug)]
struct Shape {
    batch: usize,
    time: usize,
    width: usize,
    heads: usize,
}

impl Shape {
    fn of(qkv: &[usize], heads: usize) -> Self {
        assert!(
            qkv.len() == 3
                && qkv[2].is_multiple_of(3)
                && heads > 0
                && (qkv[2] / 3).is_multiple_of(heads),
            "causal attention of a {qkv:?} projection with {heads} heads"
        );
        Self {
            batch: qkv[0],
            time: qkv[1],
            width: qkv[2] / 3,
            heads,
        }
    }

    fn head(&self) -> usize {
        self.width / self.heads
    }

    fn scale<E: Real>(&self) -> E {
        E::from_f64(1.0 / (self.head() as f64).sqrt())
    }

    /// Where row `t` of part `part` (0 queries, 1 keys, 2 values) of head `h` in batch `b`
    /// starts in the `[B, T, 3C]` projection (or its gradient).
    fn qkv(&self, b: usize, t: usize, part: usize, h: usize) -> usize {
        (b * self.time + t) * 3 * self.width + part * self.width + h * self.head()
    }

    /// Where row `t` of head `h` in batch `b` starts in the `[B, T, C]` output.
    fn out(&self, b: usize, t: usize, h: usize) -> usize {
        (b * self.time + t) * self.width + h * self.head()
    }

    /// Where row `t` of pair `(b, h)`'s `[T, T]` probabilities starts.
    fn probability(&self, b: usize, h: usize, t: usize) -> usize {
        ((b * self.heads + h) * self.time + t) * self.time
    }

    /// Runs `task(b, h)` for every pair, spread over the helper threads.
    fn each_pair(&self, task: &(dyn Fn(usize, usize) + Sync)) {
        let pairs = self.batch * self.heads;
        if pairs == 0 || self.time == 0 || self.head() == 0 {
            return;
        }
        let parts = threads::parts().min(pairs).max(1);
        threads::split(parts, &|part| {
            for pair in pairs * part / parts..pairs * (part + 1) / parts {
                task(pair / self.heads, pair % self.heads);
            }
        });
    }
}

impl Shape {
    /// The queries, keys and values of head `h` in batch `b` of a `[B, T, 3C]` projection,
    /// each a `[T, d]` matrix.
    fn parts<E>(&self, qkv: &[E], b: usize, h: usize) -> [Strided<E>; 3] {
        std::array::from_fn(|part| Strided {
            at: qkv[self.qkv(b, 0, part, h)..].as_ptr(),
            row: 3 * self.width as isize,
            col: 1,
        })
    }
}

/// The output `[B, T, C]` and the probabilities `[B, H, T, T]` (zero above the diagonal) for a
/// row-major projection `qkv: [B, T, 3C]`.
fn forward<E: Real>(qkv: &[E], shape: Shape) -> (Vec<E>, Vec<E>) {
    let Shape {
        batch,
        time,
        width,
        heads,
    } = shape;
    let d = shape.head();
    let scale: E = shape.scale();
    let mut y = vec![E::ZERO; batch * time * width];
    let mut probabilities = vec![E::ZERO; batch * heads * time * time];
    let (out, p) = (
        Disjoint(y.as_mut_ptr()),
        Disjoint(probabilities.as_mut_ptr()),
    );
    shape.each_pair(&|b, h| {
        let [q, k, v] = shape.parts(qkv, b, h);
        // SAFETY: pair (b, h)'s probabilities and head h's columns of batch b's output rows
        // belong to this task alone; the operands lie inside `qkv`.
        let probability = unsafe { p.slice(shape.probability(b, h, 0), time * time) };
        unsafe {
            // S = scale q k^T, [T, T].
            product(
                [time, time, d],
                probability.as_mut_ptr(),
                time as isize,
                q,
                k.t(),
                scale,
            );
        }
        for (i, row) in probability.chunks_exact_mut(time).enumerate() {
            let (past, future) = row.split_at_mut(i + 1);
            let mut max = E::NEG_INFINITY;
            for &s in past.iter() {
                if s > max {
                    max = s;
                }
            }
            let mut sum = E::ZERO;
            for s in past.iter_mut() {
                *s = (*s - max).exp();
                sum += *s;
            }
            past.iter_mut().for_each(|s| *s = *s / sum);
            future.fill(E::ZERO);
        }
        let weights = Strided {
            at: probability.as_ptr(),
            row: time as isize,
            col: 1,
        };
        unsafe {
            // y = P v, [T, d].
            product(
                [time, d, time],
                out.at(shape.out(b, 0, h)),
                width as isize,
                weights,
                v,
                E::ONE,
            );
        }
    });
    (y, probabilities)
}

/// The gradient `[B, T, 3C]` of the projection, from the output's gradient `dy: [B, T, C]`.
fn backward<E: Real>(qkv: &[E], probabilities: &[E], dy: &[E], shape: Shape) -> Vec<E> {
    let (time, width) = (shape.time, shape.width);
    let d = shape.head();
    let scale: E = shape.scale();
    let mut grad = vec![E::ZERO; qkv.len()];
    let g = Disjoint(grad.as_mut_ptr());
    shape.each_pair(&|b, h| {
        let [q, k, v] = shape.parts(qkv, b, h);
        let p = &probabilities[shape.probability(b, h, 0)..][..time * time];
        let weights = Strided {
            at: p.as_ptr(),
            row: time as isize,
            col: 1,
        };
        let dyh = Strided {
            at: dy[shape.out(b, 0, h)..].as_ptr(),
            row: width as isize,
            col: 1,
        };
        let target = |part| g.at(shape.qkv(b, 0, part, h));
        let row = 3 * width as isize;
        let mut ds = vec![E::ZERO; time * time];
        // SAFETY: head h's columns of batch b's rows of the gradient belong to this task
        // alone; every operand lies inside its buffer.
        unsafe {
            // dP = dy v^T and dv = P^T dy.
            product(
                [time, time, d],
                ds.as_mut_ptr(),
                time as isize,
                dyh,
                v.t(),
                E::ONE,
            );
            product([time, d, time], target(2), row, weights.t(), dyh, E::ONE);
        }
        // dS = P (dP - rowsum(P dP)), scaled: zero above the diagonal, where P is.
        for (dsi, pi) in ds.chunks_exact_mut(time).zip(p.chunks_exact(time)) {
            let mut mean = E::ZERO;
            for (&dp, &p) in dsi.iter().zip(pi) {
                mean += p * dp;
            }
            for (dp, &p) in dsi.iter_mut().zip(pi) {
                *dp = p * (*dp - mean) * scale;
            }
        }
        let scores = Strided {
            at: ds.as_ptr(),
            row: time as isize,
            col: 1,
        };
        unsafe {
            // dq = dS k and dk = dS^T q.
            product([time, d, time], target(0), row, scores, k, E::ONE);
            product([time, d, time], target(1), row, scores.t(), q, E::ONE);
        }
    });
    grad
}

/// The attention of `qkv: [B, T, 3C]` on one float type: `y: [B, T, C]` and the probabilities.
fn attend<E: Real>(qkv: ArrayViewD<'_, E>, heads: usize) -> (SharedArray<E>, SharedArray<E>) {
    let shape = Shape::of(qkv.shape(), heads);
    let (y, p) = forward(&standard(qkv), shape);
    let dims = [shape.batch, shape.time, shape.width];
    let pdims = [shape.batch, heads, shape.time, shape.time];
    (array(y, &dims), array(p, &pdims))
}

/// The forward pass on burn-ndarray's tensor: `(y, probabilities)`.
pub fn causal(qkv: NdArrayTensor, heads: usize) -> (NdArrayTensor, NdArrayTensor) {
    match qkv {
        NdArrayTensor::F32(a) => {
            let (y, p) = attend(a.view(), heads);
            (y.into(), p.into())
        }
        NdArrayTensor::F64(a) => {
            let (y, p) = attend(a.view(), heads);
            (y.into(), p.into())
        }
        other => panic!(
            "causal attention of a {:?} tensor: float32 or float64 only",
            other.dtype()
        ),
    }
}

/// The backward pass on burn-ndarray's tensors: the projection's gradient.
fn causal_backward(
    qkv: NdArrayTensor,
    probabilities: NdArrayTensor,
    dy: NdArrayTensor,
    heads: usize,
) -> NdArrayTensor {
    fn typed<E: Real>(
        qkv: ArrayViewD<'_, E>,
        p: ArrayViewD<'_, E>,
        dy: ArrayViewD<'_, E>,
        heads: usize,
    ) -> SharedArray<E> {
        let shape = Shape::of(qkv.shape(), heads);
        let dims = qkv.shape().to_vec();
        let grad = backward(&standard(qkv), &standard(p), &standard(dy), shape);
        array(grad, &dims)
    }
    match (qkv, probabilities, dy) {
        (NdArrayTensor::F32(q), NdArrayTensor::F32(p), NdArrayTensor::F32(g)) => {
            typed(q.view(), p.view(), g.view(), heads).into()
        }
        (NdArrayTensor::F64(q), NdArrayTensor::F64(p), NdArrayTensor::F64(g)) => {
            typed(q.view(), p.view(), g.view(), heads).into()
        }
        (q, _, g) => panic!(
            "the gradient of causal attention of {:?} with {:?}: one float type only",
            q.dtype(),
            g.dtype()
        ),
    }
}

/// The attention as a node of the autodiff graph.
#[derive(Debug)]
struct CausalAttention {
    heads: usize,
}

impl<E: FloatNdArrayElement> Backward<NdArray<E>, 1> for CausalAttention
where
    NdArrayTensor: From<SharedArray<E>>,
{
    /// The projection and the probabilities.
    type State = (NdArrayTensor, NdArrayTensor);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let (qkv, probabilities) = ops.state;
        let heads = self.heads;
        unary::<NdArray<E>, _>(ops.parents, ops.node, grads, |dy| {
            causal_backward(qkv, probabilities, dy, heads)
        });
    }
}

/// The attention on the autodiff ndarray backend, recorded with its own backward.
pub fn tracked<E: FloatNdArrayElement>(
    qkv: FloatTensor<Autodiff<NdArray<E>>>,
    heads: usize,
) -> FloatTensor<Autodiff<NdArray<E>>>
where
    NdArrayTensor: From<SharedArray<E>>,
{
    match (CausalAttention { heads })
        .prepare::<NoCheckpointing>([qkv.node.clone()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => {
            let (y, probabilities) = causal(qkv.primitive.clone(), heads);
            prep.finish((qkv.primitive, probabilities), y)
        }
        OpsKind::UnTracked(prep) => prep.finish(causal(qkv.primitive, heads).0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-head, two-step case by hand: q = k = v rows (1, 0) and (0, 1), d = 2.
    #[test]
    fn two_steps_by_hand() {
        let shape = Shape::of(&[1, 2, 6], 1);
        // rows: [q | k | v] = [1 0 | 1 0 | 1 0], [0 1 | 0 1 | 0 1]
        let qkv = [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0];
        let (y, p) = forward::<f64>(&qkv, shape);
        // Step 0 sees itself only; step 1 scores (q1.k0, q1.k1) / sqrt 2 = (0, 1/sqrt 2).
        let e = (1.0 / 2f64.sqrt()).exp();
        let (p10, p11) = (1.0 / (1.0 + e), e / (1.0 + e));
        let expected_p = [1.0, 0.0, p10, p11];
        let expected_y = [1.0, 0.0, p10, p11];
        for (a, b) in p.iter().zip(expected_p).chain(y.iter().zip(expected_y)) {
            assert!((a - b).abs() < 1e-15, "{a} against {b}");
        }
    }
}
