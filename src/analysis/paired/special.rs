//! The special functions behind the paired tests: the regularized incomplete beta function and
//! Student's t distribution built on it, plus the normal tail.
//!
//! Implemented here rather than pulled in as a crate because the whole need is ~100 lines, and
//! each piece is checked against scipy to ~1e-13 (see `tests/paired_golden.rs`).

use std::f64::consts::{PI, SQRT_2};

/// Continued-fraction terms allowed; convergence takes O(√max(a, b)) terms.
const MAX_TERMS: usize = 10_000;

/// The regularized incomplete beta function `I_x(a, b)`, for `a, b > 0` and `0 <= x <= 1`;
/// `NaN` outside that domain. scipy's `special.betainc(a, b, x)`.
pub fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    incomplete_beta_split(a, b, x, 1.0 - x)
}

/// `I_x(a, b)` given both `x` and `y = 1 - x`, so that a caller who knows `y` more precisely
/// than `1 - x` (a t tail: `y = t²/(ν + t²)`) keeps those digits.
pub(crate) fn incomplete_beta_split(a: f64, b: f64, x: f64, y: f64) -> f64 {
    if !(a > 0.0 && b > 0.0 && (0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y)) {
        return f64::NAN;
    }
    if x == 0.0 {
        return 0.0;
    }
    if y == 0.0 {
        return 1.0;
    }
    let ln_front = a * x.ln() + b * y.ln() - ln_beta(a, b);
    // The continued fraction converges fast for x < (a + 1)/(a + b + 2); use the symmetry
    // I_x(a, b) = 1 - I_y(b, a) on the other side (Numerical Recipes 3rd ed., §6.4).
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_fraction(a, b, x) / a
    } else {
        1.0 - ln_front.exp() * beta_fraction(b, a, y) / b
    }
}

fn ln_beta(a: f64, b: f64) -> f64 {
    libm::lgamma(a) + libm::lgamma(b) - libm::lgamma(a + b)
}

/// The continued fraction for `I_x(a, b)`, by the modified Lentz method.
fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    let tiny = f64::MIN_POSITIVE / f64::EPSILON;
    let guard = |v: f64| if v.abs() < tiny { tiny } else { v };
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / guard(1.0 - qab * x / qap);
    let mut h = d;
    for m in 1..MAX_TERMS {
        let m = m as f64;
        let m2 = 2.0 * m;
        // Even step.
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 / guard(1.0 + aa * d);
        c = guard(1.0 + aa / c);
        h *= d * c;
        // Odd step.
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 / guard(1.0 + aa * d);
        c = guard(1.0 + aa / c);
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() <= f64::EPSILON {
            break;
        }
    }
    h
}

/// `P(T > t)` for Student's t with `df > 0` degrees of freedom.
pub fn student_t_sf(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    let half_two_sided = 0.5 * student_t_two_sided(t, df);
    if t > 0.0 {
        half_two_sided
    } else {
        1.0 - half_two_sided
    }
}

/// `P(T <= t)`.
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    student_t_sf(-t, df)
}

/// `P(|T| >= |t|) = I_{ν/(ν+t²)}(ν/2, 1/2)`: the two-sided p-value of a t statistic.
pub fn student_t_two_sided(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if t.is_infinite() {
        return 0.0;
    }
    let t2 = t * t;
    incomplete_beta_split(0.5 * df, 0.5, df / (df + t2), t2 / (df + t2))
}

/// The density of Student's t.
pub fn student_t_pdf(t: f64, df: f64) -> f64 {
    let ln_norm = libm::lgamma(0.5 * (df + 1.0)) - libm::lgamma(0.5 * df) - 0.5 * (df * PI).ln();
    (ln_norm - 0.5 * (df + 1.0) * (t * t / df).ln_1p()).exp()
}

/// The quantile of Student's t: the `t` with `P(T <= t) = p`, for `0 < p < 1`, `df > 0`; `NaN`
/// outside. scipy's `stats.t.ppf(p, df)`.
///
/// Safeguarded Newton on the upper tail (`sf(t) = min(p, 1 - p)` for `t >= 0`, then the sign):
/// Newton steps with the density, falling back to bisection whenever a step leaves the bracket.
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    if !(p > 0.0 && p < 1.0 && df > 0.0) {
        return f64::NAN;
    }
    if p == 0.5 {
        return 0.0;
    }
    let tail = p.min(1.0 - p);
    let sign = if p > 0.5 { 1.0 } else { -1.0 };
    let excess = |t: f64| 0.5 * student_t_two_sided(t, df) - tail;
    // Bracket [lo, hi] with excess(lo) > 0 > excess(hi).
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    while excess(hi) > 0.0 {
        lo = hi;
        hi *= 2.0;
        if hi.is_infinite() {
            return sign * f64::INFINITY;
        }
    }
    let mut t = 0.5 * (lo + hi);
    for _ in 0..200 {
        let e = excess(t);
        if e == 0.0 {
            break;
        }
        if e > 0.0 {
            lo = t;
        } else {
            hi = t;
        }
        let newton = t + e / student_t_pdf(t, df);
        let next = if newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        let converged = (next - t).abs() <= 2.0 * f64::EPSILON * next.abs();
        t = next;
        if converged || hi - lo <= 2.0 * f64::EPSILON * hi {
            break;
        }
    }
    sign * t
}

/// `P(Z > z)` for a standard normal `Z`, accurate in the far tail (via `erfc`).
pub fn normal_sf(z: f64) -> f64 {
    0.5 * libm::erfc(z / SQRT_2)
}
