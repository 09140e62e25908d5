//! Layer normalization over the last axis, `y = (x - mean) / sqrt(var + eps) * gamma + beta`
//! (biased variance, as PyTorch's `LayerNorm`), on burn-ndarray's tensors as one operation with
//! its own backward.
//!
//! Written by hand because Burn composes it from nine tensor operations, each a pass over the
//! activations with its own buffer and backward; here one pass forward (keeping each row's
//! normalized values and reciprocal deviation) and one backward,
//! `dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat))` with `dxhat = dy gamma`, rows split
//! over the product helper threads, summed in blocks of rows so that the result does not
//! depend on the thread count. Equal to Burn's composite in value and gradient
//! (tests/product.rs).

use burn::backend::{
    Autodiff, NdArray,
    autodiff::{
        checkpoint::{base::Checkpointer, strategy::NoCheckpointing},
        grads::Gradients,
        ops::{Backward, Ops, OpsKind},
    },
};
use burn::tensor::ops::FloatTensor;
use burn_ndarray::{FloatNdArrayElement, NdArrayTensor, SharedArray};
use ndarray::ArrayViewD;

use super::{
    buffers::{Disjoint, Real, array, standard},
    threads,
};

/// Items (rows, or blocks of rows) below which one thread does the whole pass.
const THREADED: usize = 2;

/// Runs `f(part, items)` over `0..count` items in parts, on the helper threads when there are
/// several; returns how many parts there were.
fn each_part(count: usize, f: &(dyn Fn(usize, std::ops::Range<usize>) + Sync)) -> usize {
    let parts = if count >= THREADED {
        threads::parts()
    } else {
        1
    };
    threads::split(parts, &|part| {
        f(part, count * part / parts..count * (part + 1) / parts)
    });
    parts
}

/// `(y, xhat, rstd)` for row-major `x` of rows of `width`.
fn forward<E: Real>(
    x: &[E],
    gamma: &[E],
    beta: Option<&[E]>,
    width: usize,
    eps: f64,
) -> (Vec<E>, Vec<E>, Vec<E>) {
    let rows = x.len() / width.max(1);
    let (mut y, mut xhat, mut rstd) = (
        vec![E::ZERO; x.len()],
        vec![E::ZERO; x.len()],
        vec![E::ZERO; rows],
    );
    let (yo, ho, ro) = (
        Disjoint(y.as_mut_ptr()),
        Disjoint(xhat.as_mut_ptr()),
        Disjoint(rstd.as_mut_ptr()),
    );
    let (n, eps) = (E::from_f64(width as f64), E::from_f64(eps));
    each_part(rows, &|_, range| {
        for r in range {
            let row = &x[r * width..][..width];
            // SAFETY: row r of each output belongs to this part alone.
            let (y, h, s) = unsafe {
                (
                    yo.slice(r * width, width),
                    ho.slice(r * width, width),
                    ro.slice(r, 1),
                )
            };
            let mut sum = E::ZERO;
            row.iter().for_each(|&v| sum += v);
            let mean = sum / n;
            let mut squares = E::ZERO;
            for (h, &v) in h.iter_mut().zip(row) {
                *h = v - mean;
                squares += *h * *h;
            }
            let inv = E::ONE / (squares / n + eps).sqrt();
            s[0] = inv;
            for (i, (y, h)) in y.iter_mut().zip(h.iter_mut()).enumerate() {
                *h = *h * inv;
                *y = *h * gamma[i];
                if let Some(beta) = beta {
                    *y += beta[i];
                }
            }
        }
    });
    (y, xhat, rstd)
}

/// Rows per block of the gamma and beta sums: each block is summed in row order and the blocks
/// in block order, so the sums do not depend on how many threads share the rows (a run split
/// over processes equals one run whole, bit for bit).
const BLOCK: usize = 32;

/// `(dx, dgamma, dbeta)` from the saved `xhat` and `rstd` and the output's gradient `dy`.
fn backward<E: Real>(
    xhat: &[E],
    rstd: &[E],
    gamma: &[E],
    dy: &[E],
    width: usize,
) -> (Vec<E>, Vec<E>, Vec<E>) {
    let rows = rstd.len();
    let blocks = rows.div_ceil(BLOCK);
    let mut dx = vec![E::ZERO; xhat.len()];
    // Each block's sums of dy xhat and of dy.
    let mut partial = vec![E::ZERO; blocks * 2 * width];
    let (dxo, po) = (Disjoint(dx.as_mut_ptr()), Disjoint(partial.as_mut_ptr()));
    let n = E::from_f64(width as f64);
    each_part(blocks, &|_, range| {
        for block in range {
            // SAFETY: block `block`'s sums and its rows of dx belong to this part alone.
            let sums = unsafe { po.slice(block * 2 * width, 2 * width) };
            let (dgamma, dbeta) = sums.split_at_mut(width);
            for r in block * BLOCK..((block + 1) * BLOCK).min(rows) {
                let (h, g) = (&xhat[r * width..][..width], &dy[r * width..][..width]);
                let mut mean_dh = E::ZERO;
                let mut mean_dh_h = E::ZERO;
                for i in 0..width {
                    let dh = g[i] * gamma[i];
                    mean_dh += dh;
                    mean_dh_h += dh * h[i];
                    dgamma[i] += g[i] * h[i];
                    dbeta[i] += g[i];
                }
                let (mean_dh, mean_dh_h) = (mean_dh / n, mean_dh_h / n);
                // SAFETY: as above.
                let dx = unsafe { dxo.slice(r * width, width) };
                for i in 0..width {
                    dx[i] = rstd[r] * (g[i] * gamma[i] - mean_dh - h[i] * mean_dh_h);
                }
            }
        }
    });
    let (mut dgamma, mut dbeta) = (vec![E::ZERO; width], vec![E::ZERO; width]);
    for sums in partial.chunks_exact(2 * width) {
        for i in 0..width {
            dgamma[i] += sums[i];
            dbeta[i] += sums[width + i];
        }
    }
    (dx, dgamma, dbeta)
}

/// The three tensors of one float type, or a panic naming the mismatch.
macro_rules! typed {
    ($what:literal, $($t:ident),+ => $f32:expr, $f64:expr) => {
        match ($($t),+) {
            ($(NdArrayTensor::F32($t)),+) => $f32,
            ($(NdArrayTensor::F64($t)),+) => $f64,
            _ => panic!(concat!($what, ": float32 or float64 tensors of one type only")),
        }
    };
}

/// The forward pass on burn-ndarray's tensors: `(y, xhat, rstd)`.
fn normalize(
    x: NdArrayTensor,
    gamma: NdArrayTensor,
    beta: NdArrayTensor,
    has_beta: bool,
    eps: f64,
) -> (NdArrayTensor, NdArrayTensor, NdArrayTensor) {
    fn run<E: Real>(
        x: ArrayViewD<'_, E>,
        gamma: ArrayViewD<'_, E>,
        beta: Option<ArrayViewD<'_, E>>,
        eps: f64,
    ) -> (SharedArray<E>, SharedArray<E>, SharedArray<E>) {
        let dims = x.shape().to_vec();
        let width = *dims.last().expect("rank at least 1");
        let (gamma, beta) = (standard(gamma), beta.map(standard));
        let (y, h, s) = forward(&standard(x), &gamma, beta.as_deref(), width, eps);
        let rows = s.len();
        (array(y, &dims), array(h, &dims), array(s, &[rows]))
    }
    typed!("layer normalization", x, gamma, beta =>
        {
            let (y, h, s) = run(x.view(), gamma.view(), has_beta.then(|| beta.view()), eps);
            (y.into(), h.into(), s.into())
        },
        {
            let (y, h, s) = run(x.view(), gamma.view(), has_beta.then(|| beta.view()), eps);
            (y.into(), h.into(), s.into())
        }
    )
}

/// The backward pass on burn-ndarray's tensors: `(dx, dgamma, dbeta)`.
fn normalize_backward(
    xhat: NdArrayTensor,
    rstd: NdArrayTensor,
    gamma: NdArrayTensor,
    dy: NdArrayTensor,
) -> (NdArrayTensor, NdArrayTensor, NdArrayTensor) {
    fn run<E: Real>(
        xhat: ArrayViewD<'_, E>,
        rstd: ArrayViewD<'_, E>,
        gamma: ArrayViewD<'_, E>,
        dy: ArrayViewD<'_, E>,
    ) -> (SharedArray<E>, SharedArray<E>, SharedArray<E>) {
        let dims = xhat.shape().to_vec();
        assert_eq!(
            dy.shape(),
            &dims[..],
            "the gradient of a layer norm's output"
        );
        let width = *dims.last().expect("rank at least 1");
        let (dx, dg, db) = backward(
            &standard(xhat),
            &standard(rstd),
            &standard(gamma),
            &standard(dy),
            width,
        );
        (array(dx, &dims), array(dg, &[width]), array(db, &[width]))
    }
    typed!("the gradient of layer normalization", xhat, rstd, gamma, dy =>
        {
            let (a, b, c) = run(xhat.view(), rstd.view(), gamma.view(), dy.view());
            (a.into(), b.into(), c.into())
        },
        {
            let (a, b, c) = run(xhat.view(), rstd.view(), gamma.view(), dy.view());
            (a.into(), b.into(), c.into())
        }
    )
}

/// Layer normalization as a node of the autodiff graph (parents: x, gamma, beta).
#[derive(Debug)]
struct LayerNorm;

impl<E: FloatNdArrayElement> Backward<NdArray<E>, 3> for LayerNorm
where
    NdArrayTensor: From<SharedArray<E>>,
{
    /// `xhat`, `rstd` and `gamma`.
    type State = (NdArrayTensor, NdArrayTensor, NdArrayTensor);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let (xhat, rstd, gamma) = ops.state;
        let [x, g, b] = ops.parents;
        let dy = grads.consume::<NdArray<E>>(&ops.node);
        let (dx, dgamma, dbeta) = normalize_backward(xhat, rstd, gamma, dy);
        for (parent, grad) in [(x, dx), (g, dgamma), (b, dbeta)] {
            if let Some(parent) = parent {
                grads.register::<NdArray<E>>(parent.id, grad);
            }
        }
    }
}

/// Layer normalization without autodiff: `beta` is ignored unless `has_beta`.
pub fn plain(
    x: NdArrayTensor,
    gamma: NdArrayTensor,
    beta: NdArrayTensor,
    has_beta: bool,
    eps: f64,
) -> NdArrayTensor {
    normalize(x, gamma, beta, has_beta, eps).0
}

/// Layer normalization on the autodiff ndarray backend, recorded with its own backward;
/// `beta` is ignored (and gets no gradient) unless `has_beta`.
pub fn tracked<E: FloatNdArrayElement>(
    x: FloatTensor<Autodiff<NdArray<E>>>,
    gamma: FloatTensor<Autodiff<NdArray<E>>>,
    beta: FloatTensor<Autodiff<NdArray<E>>>,
    has_beta: bool,
    eps: f64,
) -> FloatTensor<Autodiff<NdArray<E>>>
where
    NdArrayTensor: From<SharedArray<E>>,
{
    let nodes = [x.node.clone(), gamma.node.clone(), beta.node.clone()];
    match LayerNorm
        .prepare::<NoCheckpointing>(nodes)
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => {
            let (y, xhat, rstd) = normalize(
                x.primitive,
                gamma.primitive.clone(),
                beta.primitive,
                has_beta,
                eps,
            );
            prep.finish((xhat, rstd, gamma.primitive), y)
        }
        OpsKind::UnTracked(prep) => prep.finish(plain(
            x.primitive,
            gamma.primitive,
            beta.primitive,
            has_beta,
            eps,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On one thread (inside a rayon pool the helpers stand aside) and on the helpers, the
    /// gradients are the same bits: blocks are summed in one order whatever the thread count.
    #[test]
    fn gradients_do_not_depend_on_the_thread_count() {
        let (rows, width) = (300, 24);
        let values = |seed: f32| -> Vec<f32> {
            (0..rows * width)
                .map(|i| ((i as f32 + seed) * 0.731).sin() * 3.0)
                .collect()
        };
        let (x, dy) = (values(1.0), values(2.0));
        let gamma: Vec<f32> = (0..width).map(|i| 1.0 + i as f32 * 0.1).collect();
        let (_, xhat, rstd) = forward(&x, &gamma, None, width, 1e-5);
        let here = backward(&xhat, &rstd, &gamma, &dy, width);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let alone = pool.install(|| backward(&xhat, &rstd, &gamma, &dy, width));
        let bits = |v: &Vec<f32>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&here.0), bits(&alone.0));
        assert_eq!(bits(&here.1), bits(&alone.1));
        assert_eq!(bits(&here.2), bits(&alone.2));
    }
}
