//! scipy.ndimage's 1-D Gaussian filter, operation for operation: `gaussian_filter1d` /
//! `gaussian_filter` on a 1-D float64 array with `mode="reflect"` (MNIST-1D's correlated noise).
//!
//! scipy builds the kernel in Python (`_gaussian_kernel1d`) and correlates in C
//! (`NI_Correlate1D`): the line is extended by half-sample symmetric reflection
//! (`d c b a | a b c d | d c b a`), and a symmetric kernel is applied as
//! `out = x[i] * w[0]`, then `out += (x[i-k] + x[i+k]) * w[k]` for k from the radius down to 1.

/// The kernel `gaussian_filter(noise, 2)` uses (sigma 2, radius `int(4.0 * 2 + 0.5) = 8`),
/// bit for bit as numpy 2.x computes it on x86-64 with AVX-512F. numpy's float64 `exp` there is
/// its own SIMD code, which differs from the C library's `exp` in the last bit for 2 of the 9
/// distinct values (offsets 3 and 7 here); on other CPUs numpy falls back to the C library and
/// MNIST-1D itself changes in the last bits. Fixing the constants keeps the generator the same
/// on every machine. Symmetric: index 8 is the centre.
pub const SIGMA2_KERNEL: [f64; 17] = [
    6.691628957263553e-05,
    0.0004363490205067883,
    0.002215963172596555,
    0.00876430436278587,
    0.026995957967298846,
    0.06475993660472744,
    0.12098748976534904,
    0.17603575888479034,
    0.199474647864745,
    0.17603575888479034,
    0.12098748976534904,
    0.06475993660472744,
    0.026995957967298846,
    0.00876430436278587,
    0.002215963172596555,
    0.0004363490205067883,
    6.691628957263553e-05,
];

/// scipy's kernel radius for `sigma` and `truncate`: `int(truncate * sigma + 0.5)`.
pub fn radius(sigma: f64, truncate: f64) -> usize {
    (truncate * sigma + 0.5) as usize
}

/// `scipy.ndimage._gaussian_kernel1d(sigma, 0, radius)`: `exp(-0.5 / sigma^2 * x^2)` for
/// `x = -radius..=radius`, divided by its (numpy pairwise) sum. Uses the platform's `exp`, which
/// can differ from numpy's in the last bit (see [`SIGMA2_KERNEL`]).
pub fn gaussian_kernel(sigma: f64, radius: usize) -> Vec<f64> {
    let sigma2 = sigma * sigma;
    let r = radius as i64;
    let phi: Vec<f64> = (-r..=r)
        .map(|x| (-0.5 / sigma2 * (x * x) as f64).exp())
        .collect();
    let total = super::numpy_ops::sum(&phi);
    phi.iter().map(|p| p / total).collect()
}

/// The line extended by `before` values on the left and `after` on the right as scipy's
/// `NI_ExtendLine` does for `NI_EXTEND_REFLECT`, repeating the reflection when the line is
/// shorter than the extension.
fn extend_reflect(line: &[f64], before: usize, after: usize) -> Vec<f64> {
    let n = line.len();
    let mut buf = vec![0.0; before + n + after];
    buf[before..before + n].copy_from_slice(line);
    let first = before;
    let last = before + n; // one past the line
    // Left: mirror the line outward from its first value, then copy backwards from its end.
    let (mut dst, mut src, mut left) = (first as isize - 1, first, before);
    while left > 0 && src < last {
        buf[dst as usize] = buf[src];
        dst -= 1;
        src += 1;
        left -= 1;
    }
    let mut src = last as isize - 1;
    while left > 0 {
        buf[dst as usize] = buf[src as usize];
        dst -= 1;
        src -= 1;
        left -= 1;
    }
    // Right: mirror outward from the last value, then copy forwards from the start.
    let (mut dst, mut src, mut right) = (last, last as isize - 1, after);
    while right > 0 && src >= first as isize {
        buf[dst] = buf[src as usize];
        dst += 1;
        src -= 1;
        right -= 1;
    }
    let mut src = first;
    while right > 0 {
        buf[dst] = buf[src];
        dst += 1;
        src += 1;
        right -= 1;
    }
    buf
}

/// `scipy.ndimage.correlate1d(input, weights, mode="reflect", origin=0)` for a 1-D float64
/// input, including scipy's test for a symmetric (or antisymmetric) odd-length kernel, which
/// changes the order of operations.
pub fn correlate1d_reflect(input: &[f64], weights: &[f64]) -> Vec<f64> {
    assert!(!weights.is_empty(), "correlate1d: empty weights");
    let size = weights.len();
    let size1 = size / 2;
    let size2 = size - size1 - 1;
    let mut symmetric = 0i8;
    if size % 2 == 1 {
        symmetric = 1;
        if (1..=size1).any(|i| (weights[size1 + i] - weights[size1 - i]).abs() > f64::EPSILON) {
            symmetric = -1;
            if (1..=size1).any(|i| (weights[size1 + i] + weights[size1 - i]).abs() > f64::EPSILON) {
                symmetric = 0;
            }
        }
    }
    let buf = extend_reflect(input, size1, size2);
    // `fw[j]` is `weights[size1 + j]`; `line[j]` is `buf[i + size1 + j]` for output `i`.
    let fw = |j: isize| weights[(size1 as isize + j) as usize];
    (0..input.len())
        .map(|i| {
            let line = |j: isize| buf[(i as isize + size1 as isize + j) as usize];
            let s1 = size1 as isize;
            match symmetric {
                1 => {
                    let mut out = line(0) * fw(0);
                    for j in -s1..0 {
                        out += (line(j) + line(-j)) * fw(j);
                    }
                    out
                }
                -1 => {
                    let mut out = line(0) * fw(0);
                    for j in -s1..0 {
                        out += (line(j) - line(-j)) * fw(j);
                    }
                    out
                }
                _ => {
                    let s2 = size2 as isize;
                    let mut out = line(s2) * fw(s2);
                    for j in -s1..s2 {
                        out += line(j) * fw(j);
                    }
                    out
                }
            }
        })
        .collect()
}

/// `scipy.ndimage.gaussian_filter1d(input, sigma, mode="reflect", truncate=truncate)` (order 0)
/// on a 1-D float64 array, with the kernel from [`gaussian_kernel`]. For a 1-D array this is
/// also `gaussian_filter(input, sigma)`.
pub fn gaussian_filter1d(input: &[f64], sigma: f64, truncate: f64) -> Vec<f64> {
    let mut weights = gaussian_kernel(sigma, radius(sigma, truncate));
    weights.reverse(); // scipy correlates with the reversed kernel
    correlate1d_reflect(input, &weights)
}

/// `scipy.ndimage.gaussian_filter(input, 2)` on a 1-D array, with the fixed [`SIGMA2_KERNEL`].
pub fn gaussian_filter_sigma2(input: &[f64]) -> Vec<f64> {
    let mut weights = SIGMA2_KERNEL;
    weights.reverse();
    correlate1d_reflect(input, &weights)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflect_extension_matches_scipys_pattern() {
        // abcd -> dcba | abcd | dcba, and "cd dcba | abcd | dcba ab" for a longer extension.
        let line = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(
            extend_reflect(&line, 4, 4),
            vec![4.0, 3.0, 2.0, 1.0, 1.0, 2.0, 3.0, 4.0, 4.0, 3.0, 2.0, 1.0]
        );
        assert_eq!(
            extend_reflect(&line, 6, 6)[..6],
            [3.0, 4.0, 4.0, 3.0, 2.0, 1.0]
        );
        assert_eq!(
            extend_reflect(&line, 6, 6)[10..],
            [4.0, 3.0, 2.0, 1.0, 1.0, 2.0]
        );
    }

    #[test]
    fn sigma2_kernel_is_symmetric_and_close_to_the_computed_one() {
        let computed = gaussian_kernel(2.0, radius(2.0, 4.0));
        assert_eq!(computed.len(), 17);
        for (i, (a, b)) in SIGMA2_KERNEL.iter().zip(&computed).enumerate() {
            assert_eq!(SIGMA2_KERNEL[i], SIGMA2_KERNEL[16 - i]);
            let ulps = (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs();
            assert!(ulps <= 1, "{i}: {a} vs {b}");
        }
    }
}
