//! The mean-field theory against what is known in closed form: ReLU and leaky ReLU (arc-cosine
//! kernels, He et al. 2015), the identity, erf (Williams 1997), tanh at `σ_b² = 0`, SELU's
//! self-normalising fixed point.

mod math_common;

use actlab::model::Activation;
use actlab::theory::{
    Cov2, CriticalSearch, DepthScale, Erf, ErfMoments, MeanField, Method, Moments, PiecewiseLinear,
    Quadrature, QuadratureConfig, TheoryError, Unit, Variances, critical_sigma_w2,
};
use math_common::assert_close;

const QS: [f64; 5] = [0.01, 0.5, 1.0, 4.0, 30.0];
const CS: [f64; 7] = [-0.99, -0.5, 0.0, 0.3, 0.9, 0.999, 1.0];

fn quadrature<U: Unit>(unit: U, method: Method) -> Quadrature<U> {
    Quadrature::with_config(
        unit,
        QuadratureConfig {
            method,
            ..QuadratureConfig::default()
        },
    )
    .unwrap()
}

fn field<M: Moments>(moments: M, sigma_w2: f64, sigma_b2: f64) -> MeanField<M> {
    MeanField::new(moments, Variances::new(sigma_w2, sigma_b2).unwrap())
}

/// Every moment of `numeric` against `exact`, relative tolerance `rtol`.
fn assert_moments_match(numeric: &impl Moments, exact: &impl Moments, rtol: f64, name: &str) {
    for q in QS {
        let at = |what: &str| format!("{name} {what} q={q}");
        assert_close(
            numeric.second_moment(q),
            exact.second_moment(q),
            rtol,
            0.0,
            &at("E φ²"),
        );
        assert_close(
            numeric.second_moment_slope(q),
            exact.second_moment_slope(q),
            rtol,
            0.0,
            &at("d/dq E φ²"),
        );
        assert_close(
            numeric.derivative_second_moment(q),
            exact.derivative_second_moment(q),
            rtol,
            0.0,
            &at("E φ'²"),
        );
        for c in CS {
            let at = |what: &str| format!("{name} {what} q={q} c={c}");
            let scale = exact.second_moment(q);
            assert_close(
                numeric.kernel(q, c),
                exact.kernel(q, c),
                rtol,
                rtol * scale,
                &at("E φφ"),
            );
            assert_close(
                numeric.kernel_gap(q, c),
                exact.kernel_gap(q, c),
                1e3 * rtol,
                rtol * scale,
                &at("gap"),
            );
            let dscale = exact.derivative_second_moment(q);
            assert_close(
                numeric.derivative_kernel(q, c),
                exact.derivative_kernel(q, c),
                rtol,
                rtol * dscale,
                &at("E φ'φ'"),
            );
        }
    }
}

#[test]
fn relu_leaky_relu_and_identity_match_arc_cosine_kernels() {
    // The split panels are exact to rounding on each linear piece.
    for (unit, slope) in [
        (Activation::Relu, 0.0),
        (Activation::LeakyRelu, 0.01),
        (Activation::Identity, 1.0),
    ] {
        let numeric = Quadrature::new(unit).unwrap();
        let exact = PiecewiseLinear {
            negative_slope: slope,
        };
        assert_moments_match(&numeric, &exact, 1e-12, unit.name());
        // What `Activation::closed_form` hands out is the same closed form.
        let handed = unit.closed_form().unwrap();
        assert_eq!(handed.kernel(2.0, 0.3), exact.kernel(2.0, 0.3));
    }
    assert!(Activation::Tanh.closed_form().is_none());
}

#[test]
fn erf_matches_its_closed_form_kernel_in_1d_and_2d() {
    let exact = ErfMoments { scale: 1.0 };
    assert_moments_match(&Quadrature::new(Erf).unwrap(), &exact, 1e-13, "erf");
    // Unequal variances, through both 2-D methods (erf is entire: Gauss–Hermite is fine here).
    for (q11, q22, q12) in [(0.3, 2.0, 0.5), (4.0, 0.1, -0.6), (1.0, 1.0, 1.0)] {
        let cov = Cov2::new(q11, q22, q12).unwrap();
        let want = exact.kernel_cov(cov);
        let dwant = exact.derivative_kernel_cov(cov);
        // Gauss–Hermite loses digits on erf(2u)'s steepness at q11 = 4: ~6e-10.
        for (method, rtol) in [(Method::Hermite, 1e-9), (Method::Panels, 1e-13)] {
            let q = quadrature(Erf, method);
            let erf = Erf;
            let at = format!("{method:?} cov=({q11}, {q22}, {q12})");
            assert_close(
                q.expect2(cov, |a, b| erf.value(a) * erf.value(b)),
                want,
                rtol,
                1e-15,
                &at,
            );
            let d = q.expect2(cov, |a, b| erf.derivative(a) * erf.derivative(b));
            assert_close(d, dwant, rtol, 1e-15, &at);
        }
    }
    assert!(
        Cov2::new(1.0, 1.0, 1.5).is_err(),
        "covariance beyond the correlation bound"
    );
}

#[test]
fn relu_length_map_is_linear_and_critical_at_two() {
    let relu = Quadrature::new(Activation::Relu).unwrap();
    for (w, b) in [(1.0, 0.0), (2.0, 0.0), (1.7, 0.3)] {
        let mf = field(&relu, w, b);
        for q in QS {
            assert_close(
                mf.length_map(q),
                w * q / 2.0 + b,
                1e-13,
                0.0,
                "relu length map",
            );
            assert_close(mf.chi_1(q), w / 2.0, 1e-13, 0.0, "relu chi_1");
        }
    }
    // He et al. 2015: σ_w² = 2 preserves the length; every q is then a fixed point.
    assert_close(
        field(&relu, 2.0, 0.0).length_fixed_point(0.7).unwrap(),
        0.7,
        1e-15,
        0.0,
        "relu q*",
    );
    assert_close(
        field(&relu, 1.0, 0.5).length_fixed_point(1.0).unwrap(),
        1.0,
        1e-13,
        0.0,
        "relu q* = b/(1 - w/2)",
    );
    let critical = critical_sigma_w2(&relu, 0.0, CriticalSearch::default()).unwrap();
    assert_close(
        critical.sigma_w2,
        2.0,
        1e-10,
        0.0,
        "relu critical sigma_w^2",
    );
    assert!(matches!(
        field(&relu, 2.5, 0.0).length_fixed_point(1.0),
        Err(TheoryError::Diverges)
    ));
    assert!(matches!(
        field(&relu, 2.0, 0.1).length_fixed_point(1.0),
        Err(TheoryError::Diverges)
    ));
}

#[test]
fn identity_length_map_is_linear() {
    let identity = Quadrature::new(Activation::Identity).unwrap();
    let mf = field(&identity, 0.8, 0.2);
    for q in QS {
        assert_close(
            mf.length_map(q),
            0.8 * q + 0.2,
            1e-13,
            0.0,
            "identity length map",
        );
        assert_close(mf.chi_1(q), 0.8, 1e-13, 0.0, "identity chi_1");
    }
    assert_close(
        mf.length_fixed_point(5.0).unwrap(),
        1.0,
        1e-13,
        0.0,
        "identity q* = b/(1 - w)",
    );
}

#[test]
fn tanh_without_bias_is_critical_at_one_with_zero_length() {
    let tanh = Quadrature::new(Activation::Tanh).unwrap();
    // Ordered side: everything shrinks to q* = 0, where χ_1 = σ_w² φ'(0)² = σ_w².
    let ordered = field(&tanh, 0.9, 0.0).analyse(1.0).unwrap();
    assert_eq!(ordered.q_star, 0.0);
    assert_close(ordered.chi_1, 0.9, 1e-15, 0.0, "tanh chi_1 at q* = 0");
    assert_eq!(ordered.c_star, 1.0);
    // At σ_w² = 1 itself the approach to 0 is algebraic (q^l ~ 1/(2l)); q* is still 0.
    let critical = field(&tanh, 1.0, 0.0).analyse(1.0).unwrap();
    assert!(critical.q_star < 1e-15, "q* = {}", critical.q_star);
    assert_close(critical.chi_1, 1.0, 1e-14, 0.0, "tanh chi_1 at criticality");
    assert_eq!(critical.xi_c, DepthScale::Infinite);
    // Above, q* > 0; the critical σ_w² found by root finding is 1. χ_1 - 1 is only second order
    // in σ_w² - 1 on the chaotic side, so the root is resolved to ~1e-7, not to rounding.
    assert!(field(&tanh, 1.2, 0.0).length_fixed_point(1.0).unwrap() > 0.05);
    let found = critical_sigma_w2(&tanh, 0.0, CriticalSearch::default()).unwrap();
    assert_close(
        found.sigma_w2,
        1.0,
        0.0,
        1e-6,
        "tanh critical sigma_w^2 at sigma_b^2 = 0",
    );
}

#[test]
fn selu_is_self_normalising() {
    // Klambauer et al. 2017: with σ_w² = 1, σ_b² = 0, E[selu(u)²] = 1 at q = 1, so q* = 1.
    let selu = Quadrature::new(Activation::Selu).unwrap();
    let q_star = field(&selu, 1.0, 0.0).length_fixed_point(3.0).unwrap();
    assert_close(q_star, 1.0, 0.0, 1e-12, "selu q*");
}
