//! Batched matrix products on strided ndarray views through the `gemm` crate.
//!
//! Written by hand, over `gemm` rather than ndarray's `general_mat_mul`, because the layers'
//! products and their gradients take transposed and sliced operands: burn-ndarray copies every
//! operand that is not in row-major layout before its product (16% of a training step on
//! Fashion-MNIST), while `gemm` reads any row and column strides as they are. Products large
//! enough to pay for it are split over helper threads (threads.rs).

use super::threads;
use gemm::Parallelism;
use ndarray::{ArrayD, ArrayViewD, IxDyn};
use std::ops::Range;

/// A float type `gemm` multiplies.
pub trait Scalar: Copy + Send + Sync + 'static {
    const ZERO: Self;
    const ONE: Self;
}

impl Scalar for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
}

impl Scalar for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
}

/// Multiply-adds in one call below which it stays on one thread: splitting a smaller one costs
/// more in synchronisation than it saves (measured in BENCHMARKS.md).
const THREADED_WORK: usize = 1 << 18;

/// Whether `lhs @ rhs` is a product [`product`] computes: the same rank (at least 2), the
/// same batch dimensions and matching inner sizes.
pub fn fits(lhs: &[usize], rhs: &[usize]) -> bool {
    let rank = lhs.len();
    rank >= 2
        && rhs.len() == rank
        && lhs[..rank - 2] == rhs[..rank - 2]
        && lhs[rank - 1] == rhs[rank - 2]
}

/// `out[b] = lhs[b] @ rhs[b]` for every batch index `b` of `lhs: [batch.., m, k]` and
/// `rhs: [batch.., k, n]`, read through their strides (transposed views are not copied);
/// `out` is row-major `[batch.., m, n]`. The shapes must satisfy [`fits`].
pub fn product<E: Scalar>(lhs: ArrayViewD<'_, E>, rhs: ArrayViewD<'_, E>) -> ArrayD<E> {
    assert!(
        fits(lhs.shape(), rhs.shape()),
        "product of {:?} and {:?}",
        lhs.shape(),
        rhs.shape()
    );
    let rank = lhs.ndim();
    let (m, k, n) = (
        lhs.shape()[rank - 2],
        lhs.shape()[rank - 1],
        rhs.shape()[rank - 1],
    );
    let batch = &lhs.shape()[..rank - 2];
    let mut shape = batch.to_vec();
    shape.extend([m, n]);
    let count: usize = batch.iter().product();
    if count == 0 || m == 0 || n == 0 || k == 0 {
        return ArrayD::<E>::from_elem(IxDyn(&shape), E::ZERO);
    }
    // Every element is written below (the products do not read their destination), so the
    // buffer is not zeroed first.
    let mut out = ArrayD::<E>::uninit(IxDyn(&shape));
    let operands = Operands {
        lhs: lhs.as_ptr(),
        rhs: rhs.as_ptr(),
        out: out.as_mut_ptr().cast::<E>(),
        lhs_strides: lhs.strides().to_vec(),
        rhs_strides: rhs.strides().to_vec(),
        batch: batch.to_vec(),
        m,
        k,
        n,
    };
    let work = m * k * n;
    let parts = if work * count >= THREADED_WORK {
        threads::parts()
    } else {
        1
    };
    // SAFETY: every pointer stays inside its array (offsets from the arrays' own strides and
    // shapes), and each part writes its own blocks of `out`.
    let all = 0..m;
    if parts == 1 {
        (0..count).for_each(|b| unsafe { operands.block(b, 0..m, 0..n) });
    } else if count >= parts {
        // Many products: each part takes a run of them.
        threads::split(parts, &|part| {
            (count * part / parts..count * (part + 1) / parts)
                .for_each(|b| unsafe { operands.block(b, 0..m, 0..n) })
        });
    } else {
        // One large product: the longer of its two output sides in `parts` blocks, so that
        // each part packs a share of one operand and all of the smaller other.
        for b in 0..count {
            threads::split(parts, &|part| {
                let share = |len: usize| len * part / parts..len * (part + 1) / parts;
                unsafe {
                    if m >= n {
                        operands.block(b, share(m), 0..n)
                    } else {
                        operands.block(b, all.clone(), share(n))
                    }
                }
            });
        }
    }
    // SAFETY: every block of every batch index was written by a product above.
    unsafe { out.assume_init() }
}

/// Raw views of one batched product's operands, shared by the threads that compute it.
struct Operands<E> {
    lhs: *const E,
    rhs: *const E,
    out: *mut E,
    lhs_strides: Vec<isize>,
    rhs_strides: Vec<isize>,
    batch: Vec<usize>,
    m: usize,
    k: usize,
    n: usize,
}

// SAFETY: the pointers are read (lhs, rhs) or written at disjoint blocks (out) only.
unsafe impl<E: Send> Send for Operands<E> {}
unsafe impl<E: Sync> Sync for Operands<E> {}

impl<E: Scalar> Operands<E> {
    /// The element offset of batch index `b` (row-major over the batch dimensions).
    fn offset(&self, strides: &[isize], mut b: usize) -> isize {
        let mut offset = 0;
        for (size, stride) in self.batch.iter().zip(strides).rev() {
            offset += (b % size) as isize * stride;
            b /= size;
        }
        offset
    }

    /// Computes the block `rows x cols` of batch index `b`'s product.
    ///
    /// # Safety
    /// `b` is below the batch count, `rows` within `0..m` and `cols` within `0..n`, and no
    /// other call writes the same block at once.
    unsafe fn block(&self, b: usize, rows: Range<usize>, cols: Range<usize>) {
        if rows.is_empty() || cols.is_empty() {
            return;
        }
        let rank = self.lhs_strides.len();
        let (ls, rs) = (&self.lhs_strides, &self.rhs_strides);
        let (row, col) = (rows.start as isize, cols.start as isize);
        unsafe {
            gemm::gemm(
                rows.len(),
                cols.len(),
                self.k,
                self.out
                    .add(b * self.m * self.n + rows.start * self.n + cols.start),
                1,
                self.n as isize,
                false,
                self.lhs.offset(self.offset(ls, b) + row * ls[rank - 2]),
                ls[rank - 1],
                ls[rank - 2],
                self.rhs.offset(self.offset(rs, b) + col * rs[rank - 1]),
                rs[rank - 1],
                rs[rank - 2],
                E::ZERO,
                E::ONE,
                false,
                false,
                false,
                Parallelism::None,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array;

    /// The product by its definition, in float64.
    fn naive(lhs: &ArrayD<f64>, rhs: &ArrayD<f64>) -> ArrayD<f64> {
        let rank = lhs.ndim();
        let (m, k, n) = (
            lhs.shape()[rank - 2],
            lhs.shape()[rank - 1],
            rhs.shape()[rank - 1],
        );
        let count: usize = lhs.shape()[..rank - 2].iter().product();
        let l = lhs
            .as_standard_layout()
            .into_shape_with_order((count, m, k))
            .unwrap();
        let r = rhs
            .as_standard_layout()
            .into_shape_with_order((count, k, n))
            .unwrap();
        let mut out = Array::zeros((count, m, n));
        for b in 0..count {
            for i in 0..m {
                for j in 0..n {
                    out[[b, i, j]] = (0..k).map(|p| l[[b, i, p]] * r[[b, p, j]]).sum();
                }
            }
        }
        let mut shape = lhs.shape()[..rank - 2].to_vec();
        shape.extend([m, n]);
        out.into_shape_with_order(IxDyn(&shape)).unwrap()
    }

    fn filled(shape: &[usize], seed: f64) -> ArrayD<f64> {
        let len: usize = shape.iter().product();
        let values = (0..len)
            .map(|i| ((i as f64 + seed) * 0.7311).sin())
            .collect();
        ArrayD::from_shape_vec(IxDyn(shape), values).unwrap()
    }

    #[test]
    fn equals_the_definition_for_plain_transposed_and_sliced_operands() {
        let lhs = filled(&[2, 3, 5, 4], 1.0);
        let rhs = filled(&[2, 3, 4, 6], 2.0);
        let expected = naive(&lhs, &rhs);
        let got = product(lhs.view(), rhs.view());
        assert!((&got - &expected).iter().all(|d| d.abs() < 1e-13));

        // Transposed operands: lhs^T stored as [.., k, m], read with swapped strides.
        let lt = lhs.view().permuted_axes(IxDyn(&[0, 1, 3, 2])).to_owned();
        let rt = rhs.view().permuted_axes(IxDyn(&[0, 1, 3, 2])).to_owned();
        let (mut lv, mut rv) = (lt.view(), rt.view());
        lv.swap_axes(2, 3);
        rv.swap_axes(2, 3);
        let got = product(lv, rv);
        assert!((&got - &expected).iter().all(|d| d.abs() < 1e-13));

        // A slice with a batch stride that is not the matrix size, and a reversed axis.
        let wide = filled(&[2, 3, 5, 9], 3.0);
        let sliced = wide.slice(ndarray::s![.., .., .., 2..6;1]).into_dyn();
        let expected = naive(&sliced.to_owned(), &rhs);
        assert!(
            (&product(sliced, rhs.view()) - &expected)
                .iter()
                .all(|d| d.abs() < 1e-13)
        );
        let reversed = wide.slice(ndarray::s![.., .., ..;-1, 1..5]).into_dyn();
        let expected = naive(&reversed.to_owned(), &rhs);
        assert!(
            (&product(reversed, rhs.view()) - &expected)
                .iter()
                .all(|d| d.abs() < 1e-13)
        );
    }

    #[test]
    fn threaded_products_equal_the_definition() {
        // One large product (split by rows), one wide one (split by columns) and many small ones
        // (split over the batch), on the helper threads where this machine has them.
        for (lhs, rhs) in [
            (filled(&[1, 300, 200], 4.0), filled(&[1, 200, 160], 5.0)),
            (filled(&[1, 90, 200], 8.0), filled(&[1, 200, 333], 9.0)),
            (filled(&[96, 40, 30], 6.0), filled(&[96, 30, 40], 7.0)),
        ] {
            let threaded = product(lhs.view(), rhs.view());
            let expected = naive(&lhs, &rhs);
            assert!((&threaded - &expected).iter().all(|d| d.abs() < 1e-11));
        }
    }

    #[test]
    fn empty_dimensions_give_zeros_of_the_right_shape() {
        let lhs = filled(&[2, 3, 0], 1.0);
        let rhs = filled(&[2, 0, 4], 1.0);
        let out = product(lhs.view(), rhs.view());
        assert_eq!(out.shape(), &[2, 3, 4]);
        assert!(out.iter().all(|&v| v == 0.0));
        assert!(!fits(&[2, 3, 4], &[3, 4, 5]));
        assert!(!fits(&[3, 4], &[5, 6]));
        assert!(fits(&[3, 4], &[4, 6]));
    }
}
