//! numpy's float64 arithmetic that MNIST-1D depends on, operation for operation: pairwise sums
//! (`np.sum`, `mean`, `std`), `linspace` and `np.interp`.
//!
//! Each function performs the same IEEE operations in the same order as numpy's C code (x86-64
//! builds, which do not fuse multiply-adds), so results agree bit for bit.

/// numpy's `pairwise_sum` for float64 (`DOUBLE_pairwise_sum`): below 8 values a plain loop;
/// up to 128 values eight interleaved accumulators combined as `((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7))`
/// then the remainder added in order; above that the halves (split at a multiple of 8) recursively.
///
/// `np.add.reduce` on a contiguous float64 array (any number of dimensions, reduced whole or
/// along its last axis) starts from the identity 0.0 and adds this sum once.
pub fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        let mut res = 0.0;
        for &v in a {
            res += v;
        }
        res
    } else if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - n % 8 {
            for j in 0..8 {
                r[j] += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res += a[i];
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
    }
}

/// `np.sum(a)` for a contiguous float64 array: the identity 0.0 plus the pairwise sum.
pub fn sum(a: &[f64]) -> f64 {
    0.0 + pairwise_sum(a)
}

/// `a.mean()`: the sum divided by the count.
pub fn mean(a: &[f64]) -> f64 {
    sum(a) / a.len() as f64
}

/// `a.std()` (population, `ddof=0`), as numpy's `_var` computes it: the mean, the squared
/// deviations `(x - mean) * (x - mean)`, their pairwise sum over the count, then the square root.
pub fn std(a: &[f64]) -> f64 {
    let m = mean(a);
    let squares: Vec<f64> = a
        .iter()
        .map(|&x| {
            let d = x - m;
            d * d
        })
        .collect();
    (sum(&squares) / a.len() as f64).sqrt()
}

/// `np.linspace(start, stop, num)` with its endpoint: `i * step + start` with
/// `step = (stop - start) / (num - 1)`, the last value set to `stop`.
pub fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    match num {
        0 => Vec::new(),
        1 => vec![start],
        _ => {
            let div = (num - 1) as f64;
            let delta = stop - start;
            let step = delta / div;
            let mut values: Vec<f64> = if step == 0.0 {
                // numpy's `any_step_zero` branch: `y / div * delta`.
                (0..num).map(|i| i as f64 / div * delta + start).collect()
            } else {
                (0..num).map(|i| i as f64 * step + start).collect()
            };
            values[num - 1] = stop;
            values
        }
    }
}

/// `np.interp(x, xp, fp)` with the default fills (`fp[0]` left of `xp[0]`, `fp[-1]` right of
/// `xp[-1]`), as numpy's `arr_interp` computes it: `j` the last index with `xp[j] <= x`, then
/// `fp[j]` when `x` is exactly `xp[j]` or `j` is the last index, else
/// `slope * (x - xp[j]) + fp[j]` with `slope = (fp[j+1] - fp[j]) / (xp[j+1] - xp[j])`
/// (retried from the right end when that is NaN). `xp` must be increasing; NaN `x` gives NaN.
///
/// This is also `scipy.interpolate.interp1d(xp, fp, kind="linear")(x)` for 1-D float64 data
/// inside the range: scipy delegates that case to `np.interp`.
pub fn interp(x: &[f64], xp: &[f64], fp: &[f64]) -> Vec<f64> {
    assert_eq!(xp.len(), fp.len(), "interp: xp and fp differ in length");
    assert!(!xp.is_empty(), "interp: no sample points");
    let n = xp.len();
    let (left, right) = (fp[0], fp[n - 1]);
    x.iter()
        .map(|&v| {
            if v.is_nan() {
                return v;
            }
            if n == 1 {
                return if v < xp[0] {
                    left
                } else if v > xp[0] {
                    right
                } else {
                    fp[0]
                };
            }
            if v > xp[n - 1] {
                return right;
            }
            if v < xp[0] {
                return left;
            }
            // The number of points <= v, minus one (numpy's `binary_search_with_guess`).
            let j = xp.partition_point(|&p| p <= v) - 1;
            if j == n - 1 || xp[j] == v {
                return fp[j];
            }
            let slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
            let y = slope * (v - xp[j]) + fp[j];
            if !y.is_nan() {
                return y;
            }
            let y = slope * (v - xp[j + 1]) + fp[j + 1];
            if y.is_nan() && fp[j] == fp[j + 1] {
                fp[j]
            } else {
                y
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_sum_of_integers_is_exact() {
        for n in [0usize, 1, 7, 8, 9, 16, 127, 128, 129, 1000, 4097] {
            let a: Vec<f64> = (0..n).map(|i| i as f64).collect();
            assert_eq!(
                pairwise_sum(&a),
                (n * n.saturating_sub(1) / 2) as f64,
                "n={n}"
            );
        }
    }

    #[test]
    fn linspace_hits_both_ends() {
        let v = linspace(-0.5, 0.5, 72);
        assert_eq!((v[0], v[71], v.len()), (-0.5, 0.5, 72));
        assert_eq!(linspace(3.0, 3.0, 4), vec![3.0; 4]);
    }

    #[test]
    fn interp_is_exact_on_the_knots_and_clamps_outside() {
        let xp = [0.0, 1.0, 3.0];
        let fp = [1.0, 3.0, -1.0];
        let y = interp(&[-1.0, 0.0, 0.5, 1.0, 2.0, 3.0, 4.0], &xp, &fp);
        assert_eq!(y, vec![1.0, 1.0, 2.0, 3.0, 1.0, -1.0, -1.0]);
    }
}
