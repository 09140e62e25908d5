//! The quadrature behind the theory: why split panels are the default, how Gauss–Hermite
//! compares, and that wrappers and slopes are consistent.

mod math_common;

use actlab::model::Activation;
use actlab::theory::{
    Affine, Erf, ErfMoments, FnUnit, MeanField, Method, Moments, PiecewiseLinear, Quadrature,
    QuadratureConfig, Unit, Variances,
};
use math_common::assert_close;

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

#[test]
fn graded_panels_stay_accurate_for_very_wide_inputs() {
    // At q = 1e6, erf(u) is a step on the scale of the Gaussian; the panels grade towards the
    // kink at 0, so the cost grows like log q and the accuracy holds.
    let numeric = Quadrature::new(Erf).unwrap();
    let exact = ErfMoments { scale: 1.0 };
    for q in [1e2, 1e4, 1e6] {
        assert_close(
            numeric.second_moment(q),
            exact.second_moment(q),
            1e-13,
            0.0,
            "E φ²",
        );
        assert_close(
            numeric.derivative_second_moment(q),
            exact.derivative_second_moment(q),
            1e-12,
            0.0,
            "E φ'²",
        );
        for c in [-0.5, 0.3, 0.99] {
            assert_close(
                numeric.kernel(q, c),
                exact.kernel(q, c),
                1e-12,
                1e-15,
                &format!("E φφ q={q} c={c}"),
            );
            let d = numeric.derivative_kernel(q, c);
            assert_close(
                d,
                exact.derivative_kernel(q, c),
                1e-11,
                0.0,
                &format!("E φ'φ' q={q} c={c}"),
            );
        }
    }
}

#[test]
fn gauss_hermite_is_slow_on_kinks_which_is_why_panels_are_the_default() {
    // ReLU's own kink cancels in Gauss–Hermite's symmetric node pairs in 1-D, but not in 2-D,
    // and ELU's derivative jump spoils even 1-D.
    let relu = PiecewiseLinear {
        negative_slope: 0.0,
    };
    let hermite = quadrature(Activation::Relu, Method::Hermite);
    let panels = quadrature(Activation::Relu, Method::Panels);
    let hermite_error = (hermite.kernel(1.0, 0.5) - relu.kernel(1.0, 0.5)).abs();
    let panel_error = (panels.kernel(1.0, 0.5) - relu.kernel(1.0, 0.5)).abs();
    assert!(
        hermite_error > 1e-7,
        "100² Gauss–Hermite across the kink: error {hermite_error:e}"
    );
    assert!(panel_error < 1e-15, "split panels: error {panel_error:e}");
    // E[elu'(u)²] at q = 1: ½ + E[e^{2u}; u < 0] = ½ + e² Φ(-2).
    let exact = 0.5 + (2.0_f64).exp() * 0.5 * libm::erfc(2.0 / std::f64::consts::SQRT_2);
    let hermite = quadrature(Activation::Elu, Method::Hermite).derivative_second_moment(1.0);
    let panels = quadrature(Activation::Elu, Method::Panels).derivative_second_moment(1.0);
    assert!(
        (hermite - exact).abs() > 1e-4,
        "200-node Gauss–Hermite, ELU: {hermite} vs {exact}"
    );
    assert_close(panels, exact, 1e-15, 0.0, "panels, ELU");
}

#[test]
fn affine_sigmoid_is_a_scaled_tanh() {
    // 4(σ(x) - ½) = 2 tanh(x/2): the Affine wrapper against an FnUnit.
    let affine = Quadrature::new(Affine {
        inner: Activation::Sigmoid,
        gain: 4.0,
        shift: -0.5,
    })
    .unwrap();
    let scaled = Quadrature::new(FnUnit::new(
        |x: f64| 2.0 * (x / 2.0).tanh(),
        |x: f64| 1.0 / (x / 2.0).cosh().powi(2),
    ))
    .unwrap();
    for q in [0.3, 1.0, 4.0] {
        assert_close(
            affine.second_moment(q),
            scaled.second_moment(q),
            1e-13,
            0.0,
            "affine E φ²",
        );
        assert_close(
            affine.derivative_second_moment(q),
            scaled.derivative_second_moment(q),
            1e-13,
            0.0,
            "E φ'²",
        );
        assert_close(
            affine.kernel(q, 0.4),
            scaled.kernel(q, 0.4),
            1e-12,
            1e-15,
            "affine kernel",
        );
    }
}

#[test]
fn gauss_hermite_agrees_with_panels_on_smooth_units_at_small_q() {
    // Gauss–Hermite's accuracy on smooth units falls as q grows (tanh's poles approach the real
    // axis in z); at q <= 1 it matches the panels to ~1e-14 in 1-D and ~2e-11 in 2-D.
    for unit in [
        Activation::Tanh,
        Activation::Sigmoid,
        Activation::Gelu,
        Activation::Silu,
        Activation::Softplus,
    ] {
        let hermite = quadrature(unit, Method::Hermite);
        let panels = quadrature(unit, Method::Panels);
        for q in [0.1, 0.5, 1.0] {
            let name = format!("{} q={q}", unit.name());
            assert_close(
                hermite.second_moment(q),
                panels.second_moment(q),
                1e-14,
                0.0,
                &name,
            );
            assert_close(
                hermite.second_moment_slope(q),
                panels.second_moment_slope(q),
                1e-13,
                0.0,
                &name,
            );
            assert_close(
                hermite.derivative_second_moment(q),
                panels.derivative_second_moment(q),
                1e-13,
                0.0,
                &name,
            );
            for c in [-0.6, 0.2, 0.95] {
                assert_close(
                    hermite.kernel(q, c),
                    panels.kernel(q, c),
                    1e-10,
                    1e-14,
                    &name,
                );
                assert_close(
                    hermite.derivative_kernel(q, c),
                    panels.derivative_kernel(q, c),
                    1e-10,
                    1e-14,
                    &name,
                );
            }
        }
    }
}

#[test]
fn length_map_slope_is_its_derivative() {
    for unit in [
        Activation::Tanh,
        Activation::Elu,
        Activation::Gelu,
        Activation::Softsign,
        Activation::Sigmoid,
    ] {
        let moments = Quadrature::new(unit).unwrap();
        let mf = field(&moments, 1.7, 0.1);
        for q in [0.2, 1.0, 3.0] {
            let h = 1e-4 * q;
            let central = (mf.length_map(q + h) - mf.length_map(q - h)) / (2.0 * h);
            assert_close(
                mf.length_map_slope(q),
                central,
                1e-7,
                0.0,
                &format!("{} chi_q", unit.name()),
            );
        }
    }
}
