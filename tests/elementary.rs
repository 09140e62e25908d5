//! actlab's vectorizable `exp` and `ln` against the C library's: within one ulp everywhere.

use actlab::{model::elementary, numpy_rng::NumpyRng};

/// Distance in units in the last place between two finite floats of the same sign.
fn ulps(a: f64, b: f64) -> u64 {
    if a == b {
        return 0;
    }
    assert_eq!(a.is_sign_negative(), b.is_sign_negative(), "{a} vs {b}");
    a.to_bits().abs_diff(b.to_bits())
}

fn worst(
    f: fn(f64) -> f64,
    reference: fn(f64) -> f64,
    xs: impl Iterator<Item = f64>,
) -> (u64, f64) {
    xs.map(|x| (ulps(f(x), reference(x)), x))
        .max_by_key(|&(u, _)| u)
        .expect("some inputs")
}

fn uniform(rng: &mut NumpyRng, low: f64, high: f64, n: usize) -> Vec<f64> {
    (0..n).map(|_| low + (high - low) * rng.uniform()).collect()
}

#[test]
fn exp_is_within_one_ulp_of_the_c_library() {
    let mut rng = NumpyRng::new(7);
    for (low, high) in [(-1.0, 1.0), (-40.0, 40.0), (-745.0, 709.7), (-1e-8, 1e-8)] {
        let (u, x) = worst(
            elementary::exp,
            f64::exp,
            uniform(&mut rng, low, high, 200_000).into_iter(),
        );
        assert!(
            u <= 1,
            "exp({x}): {} vs {} ({u} ulps)",
            elementary::exp(x),
            x.exp()
        );
    }
    // Results in the subnormal range, rounded once.
    let (u, x) = worst(
        elementary::exp,
        f64::exp,
        uniform(&mut rng, -745.0, -708.0, 20_000).into_iter(),
    );
    assert!(u <= 1, "exp({x}): {u} ulps");
    for (x, expected) in [
        (0.0, 1.0),
        (-0.0, 1.0),
        (710.0, f64::INFINITY),
        (1e300, f64::INFINITY),
        (f64::INFINITY, f64::INFINITY),
        (-746.0, 0.0),
        (f64::NEG_INFINITY, 0.0),
    ] {
        assert_eq!(elementary::exp(x), expected, "exp({x})");
    }
    assert!(elementary::exp(f64::NAN).is_nan());
}

#[test]
fn ln_is_within_one_ulp_of_the_c_library() {
    let mut rng = NumpyRng::new(8);
    let ranges = [
        (1e-9, 1.0 + 1e-9),
        (0.5, 2.0),
        (1.0 - 1e-6, 1.0 + 1e-6),
        (1.0, 1e300),
    ];
    for (low, high) in ranges {
        let (u, x) = worst(
            elementary::ln,
            f64::ln,
            uniform(&mut rng, low, high, 200_000).into_iter(),
        );
        assert!(
            u <= 1,
            "ln({x}): {} vs {} ({u} ulps)",
            elementary::ln(x),
            x.ln()
        );
    }
    // Across every binade, subnormals included.
    let binades = (-1074..1024).flat_map(|e| {
        let base = 2f64.powi(e);
        [
            base,
            base * 1.3,
            base * std::f64::consts::SQRT_2,
            base * 1.9,
        ]
    });
    let (u, x) = worst(
        elementary::ln,
        f64::ln,
        binades.filter(|x| x.is_finite() && *x > 0.0),
    );
    assert!(u <= 1, "ln({x}): {u} ulps");
    assert_eq!(elementary::ln(1.0), 0.0);
    assert_eq!(elementary::ln(0.0), f64::NEG_INFINITY);
    assert_eq!(elementary::ln(f64::INFINITY), f64::INFINITY);
    assert!(elementary::ln(-1.0).is_nan());
    assert!(elementary::ln(f64::NAN).is_nan());
}
