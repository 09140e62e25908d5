//! The theory's API contract: sequences, gradients, depth scales, and refusals.

mod math_common;

use actlab::model::Activation;
use actlab::theory::{
    CriticalSearch, DepthScale, MeanField, Moments, PiecewiseLinear, Quadrature, TheoryError,
    Variances, critical_sigma_w2,
};
use math_common::assert_close;

fn field<M: Moments>(moments: M, sigma_w2: f64, sigma_b2: f64) -> MeanField<M> {
    MeanField::new(moments, Variances::new(sigma_w2, sigma_b2).unwrap())
}

#[test]
fn lengths_iterate_the_map_from_the_first_layer() {
    let relu = PiecewiseLinear {
        negative_slope: 0.0,
    };
    let mf = field(relu, 1.5, 0.1);
    // Input with mean square 2: q^1 = 1.5·2 + 0.1.
    let q1 = mf.first_length(2.0).unwrap();
    assert_close(q1, 3.1, 1e-15, 0.0, "q^1");
    let qs = mf.lengths(q1, 4).unwrap();
    assert_eq!(qs.len(), 4);
    assert_eq!(qs[0], q1);
    for l in 1..4 {
        assert_close(
            qs[l],
            0.75 * qs[l - 1] + 0.1,
            1e-15,
            0.0,
            "q^{l+1} = σ_w² q^l / 2 + σ_b²",
        );
    }
    assert!(mf.lengths(-1.0, 3).is_err());
    assert!(mf.first_length(f64::NAN).is_err());
    assert_eq!(mf.lengths(1.0, 0).unwrap(), Vec::<f64>::new());
}

#[test]
fn gradient_growth_multiplies_chi_1_back_from_the_last_layer() {
    let identity = PiecewiseLinear {
        negative_slope: 1.0,
    };
    let mf = field(identity, 1.2, 0.0);
    let growth = mf.gradient_growth(&[1.0, 2.0, 3.0, 4.0]).unwrap();
    let expected = [1.2_f64.powi(3), 1.2_f64.powi(2), 1.2, 1.0];
    for (g, e) in growth.iter().zip(expected) {
        assert_close(*g, e, 1e-15, 0.0, "identity: σ_w² per layer");
    }
    // ReLU at He initialisation keeps gradient norms whatever the lengths.
    let relu = Quadrature::new(Activation::Relu).unwrap();
    let he = field(&relu, 2.0, 0.0);
    for g in he.gradient_growth(&[0.3, 1.0, 7.0]).unwrap() {
        assert_close(g, 1.0, 1e-14, 0.0, "relu at sigma_w^2 = 2");
    }
    // tanh: E[tanh'(u)²] falls with q, so the per-layer ratio depends on the layer's length.
    let tanh = Quadrature::new(Activation::Tanh).unwrap();
    let mf = field(&tanh, 1.0, 0.0);
    assert!(mf.gradient_ratio(0.01) > mf.gradient_ratio(1.0));
    assert_eq!(mf.gradient_growth(&[]).unwrap(), Vec::<f64>::new());
    assert!(mf.gradient_growth(&[1.0, f64::INFINITY]).is_err());
}

#[test]
fn correlation_map_fixes_one_and_its_slope_there_is_chi_1() {
    for unit in [
        Activation::Tanh,
        Activation::Elu,
        Activation::Sigmoid,
        Activation::Softsign,
    ] {
        let m = Quadrature::new(unit).unwrap();
        let mf = field(&m, 1.8, 0.2);
        let q_star = mf.length_fixed_point(1.0).unwrap();
        assert_close(mf.correlation_map(q_star, 1.0), 1.0, 0.0, 1e-15, "C(1) = 1");
        let h = 1e-6;
        let slope = (mf.correlation_map(q_star, 1.0) - mf.correlation_map(q_star, 1.0 - h)) / h;
        assert_close(
            slope,
            mf.chi_1(q_star),
            1e-4,
            0.0,
            &format!("{} slope at 1", unit.name()),
        );
    }
}

#[test]
fn ordered_phase_has_unit_correlation_and_equal_slopes() {
    let tanh = Quadrature::new(Activation::Tanh).unwrap();
    let a = field(&tanh, 1.2, 0.3).analyse(1.0).unwrap();
    assert!(a.chi_1 < 1.0);
    assert_eq!(a.c_star, 1.0);
    assert_eq!(a.chi_c, a.chi_1);
    assert_close(
        a.xi_c.layers().unwrap(),
        -1.0 / a.chi_1.ln(),
        1e-13,
        0.0,
        "xi_c",
    );
    assert_close(
        a.xi_q.layers().unwrap(),
        -1.0 / a.chi_q.ln(),
        1e-13,
        0.0,
        "xi_q",
    );
    // Schoenholz et al.: in the ordered phase ξ_q < ξ_c (χ_q < χ_1 for tanh).
    assert!(a.chi_q < a.chi_1);
}

#[test]
fn depth_scales() {
    assert_eq!(DepthScale::from_rate(1.0), DepthScale::Infinite);
    assert_eq!(DepthScale::from_rate(1.3), DepthScale::Infinite);
    assert_eq!(DepthScale::from_rate(0.0), DepthScale::Finite(0.0));
    assert_close(
        DepthScale::from_rate(0.5).layers().unwrap(),
        1.0 / 2.0_f64.ln(),
        1e-15,
        0.0,
        "ξ(½)",
    );
    assert_eq!(DepthScale::from_rate(-0.5), DepthScale::from_rate(0.5));
    // Close to 1 the digits of 1 - χ survive: ξ ≈ 1/(1 - χ).
    assert_close(
        DepthScale::from_rate(1.0 - 1e-12).layers().unwrap(),
        1e12,
        1e-4,
        0.0,
        "ξ near criticality",
    );
    assert_eq!(DepthScale::Infinite.layers(), None);
}

#[test]
fn invalid_parameters_are_refused() {
    assert!(matches!(
        Variances::new(-1.0, 0.0),
        Err(TheoryError::InvalidParameter { .. })
    ));
    assert!(matches!(
        Variances::new(1.0, f64::NAN),
        Err(TheoryError::InvalidParameter { .. })
    ));
    let relu = PiecewiseLinear {
        negative_slope: 0.0,
    };
    let mf = field(relu, 1.0, 0.1);
    assert!(mf.length_fixed_point(f64::INFINITY).is_err());
    assert!(mf.correlation_fixed_point(-1.0).is_err());
    let search = CriticalSearch {
        lo: 3.0,
        hi: 1.0,
        ..CriticalSearch::default()
    };
    assert!(matches!(
        critical_sigma_w2(&relu, 0.0, search),
        Err(TheoryError::NoSignChange { .. })
    ));
    assert!(critical_sigma_w2(&relu, -0.1, CriticalSearch::default()).is_err());
    // The quadrature answers NaN to nonsense rather than hanging or guessing.
    let tanh = Quadrature::new(Activation::Tanh).unwrap();
    for q in [-1.0, f64::INFINITY, f64::NAN] {
        assert!(tanh.second_moment(q).is_nan(), "E φ² at q = {q}");
        assert!(tanh.second_moment_slope(q).is_nan(), "slope at q = {q}");
        assert!(tanh.derivative_kernel(q, 0.5).is_nan(), "E φ'φ' at q = {q}");
    }
    assert!(tanh.kernel(1.0, 1.5).is_nan() && tanh.kernel_gap(1.0, f64::NAN).is_nan());
}

#[test]
fn a_jump_over_chi_1_equal_one_is_not_reported_as_critical() {
    // GELU at σ_b² = 0.05: the stable length vanishes in a saddle-node at σ_w² ≈ 2.23 with
    // χ_1 ≈ 0.73, and beyond it q explodes: χ_1 - 1 changes sign without a zero.
    let gelu = Quadrature::new(Activation::Gelu).unwrap();
    match critical_sigma_w2(&gelu, 0.05, CriticalSearch::default()) {
        Err(TheoryError::NoCrossing { sigma_w2, chi_1 }) => {
            assert!(
                (2.2..2.3).contains(&sigma_w2) && chi_1 < 0.8,
                "{sigma_w2} {chi_1}"
            );
        }
        other => panic!("expected NoCrossing, got {other:?}"),
    }
}

#[test]
fn relu_with_bias_is_critical_only_where_its_length_diverges() {
    // χ_1 = σ_w²/2 regardless of q, but for σ_b² > 0, q* = σ_b²/(1 - σ_w²/2) → ∞ as σ_w² → 2.
    let relu = Quadrature::new(Activation::Relu).unwrap();
    let c = critical_sigma_w2(&relu, 0.1, CriticalSearch::default()).unwrap();
    assert_close(c.sigma_w2, 2.0, 1e-10, 0.0, "sigma_w^2");
    assert!(c.q_star > 1e8, "q* = {}", c.q_star);
}
