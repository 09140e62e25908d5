//! Brent's root finder (Brent 1973, ch. 4; the `zeroin` algorithm): bisection's guarantee with
//! secant and inverse-quadratic speed.

use super::error::TheoryError;

/// Iterations allowed; bisection alone would halve a bracket of width 1e300 to rounding in ~1100.
const MAX_ITERATIONS: usize = 2000;

/// A root of `f` in `[lo, hi]`, where `f(lo)` and `f(hi)` differ in sign (or one is zero),
/// located to `tolerance + 4ε|x|`.
pub(crate) fn brent(
    what: &'static str,
    lo: f64,
    hi: f64,
    tolerance: f64,
    mut f: impl FnMut(f64) -> f64,
) -> Result<f64, TheoryError> {
    let (mut a, mut b) = (lo, hi);
    let (mut fa, mut fb) = (f(a), f(b));
    if fa == 0.0 {
        return Ok(a);
    }
    if fb == 0.0 {
        return Ok(b);
    }
    if fa.signum() == fb.signum() || fa.is_nan() || fb.is_nan() {
        return Err(TheoryError::NoSignChange { what, lo, hi });
    }
    let (mut c, mut fc) = (a, fa);
    let (mut d, mut e) = (b - a, b - a);
    for _ in 0..MAX_ITERATIONS {
        if fb.signum() == fc.signum() {
            (c, fc) = (a, fa);
            (d, e) = (b - a, b - a);
        }
        if fc.abs() < fb.abs() {
            (a, fa) = (b, fb);
            (b, fb) = (c, fc);
            (c, fc) = (a, fa);
        }
        let tol = 2.0 * f64::EPSILON * b.abs() + 0.5 * tolerance;
        let m = 0.5 * (c - b);
        if m.abs() <= tol || fb == 0.0 {
            return Ok(b);
        }
        if e.abs() >= tol && fa.abs() > fb.abs() {
            // Secant (two points) or inverse quadratic interpolation (three).
            let s = fb / fa;
            let (mut p, mut q) = if a == c {
                (2.0 * m * s, 1.0 - s)
            } else {
                let (qa, r) = (fa / fc, fb / fc);
                (
                    s * (2.0 * m * qa * (qa - r) - (b - a) * (r - 1.0)),
                    (qa - 1.0) * (r - 1.0) * (s - 1.0),
                )
            };
            if p > 0.0 {
                q = -q;
            } else {
                p = -p;
            }
            if 2.0 * p < (3.0 * m * q - (tol * q).abs()).min((e * q).abs()) {
                e = d;
                d = p / q;
            } else {
                (d, e) = (m, m);
            }
        } else {
            (d, e) = (m, m);
        }
        (a, fa) = (b, fb);
        b += if d.abs() > tol { d } else { tol.copysign(m) };
        fb = f(b);
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_roots_to_rounding_and_refuses_brackets_without_a_sign_change() {
        let root = brent("x³ - 2", 0.0, 2.0, 0.0, |x| x * x * x - 2.0).unwrap();
        assert!((root - 2.0_f64.cbrt()).abs() <= 4.0 * f64::EPSILON * root);
        assert_eq!(brent("x", 0.0, 1.0, 0.0, |x| x).unwrap(), 0.0);
        assert!(matches!(
            brent("x² + 1", -1.0, 1.0, 0.0, |x| x * x + 1.0),
            Err(TheoryError::NoSignChange { .. })
        ));
        assert!(brent("nan", 0.0, 1.0, 0.0, |_| f64::NAN).is_err());
    }
}
