//! The Gaussian expectations of a unit that the mean-field maps are built from: by quadrature for
//! any [`Unit`], in closed form for the piecewise-linear units and erf.

use super::error::TheoryError;
use super::gauss::{Cov2, Gaussian, Method, QuadratureConfig};
use super::unit::Unit;
use std::f64::consts::PI;

/// Expectations over `u ~ N(0, q)`, and over `(u1, u2)` with variances `q` and correlation `c`.
///
/// Everything the mean-field maps need: implement this with closed forms where they exist, or
/// use [`Quadrature`] for any [`Unit`].
pub trait Moments {
    /// `E[φ(u)²]`.
    fn second_moment(&self, q: f64) -> f64;
    /// `d/dq E[φ(u)²]` (`= E[φ'(u)² + φ(u)φ''(u)]` by Stein's lemma).
    fn second_moment_slope(&self, q: f64) -> f64;
    /// `E[φ'(u)²]`.
    fn derivative_second_moment(&self, q: f64) -> f64;
    /// `E[φ(u1) φ(u2)]`.
    fn kernel(&self, q: f64, c: f64) -> f64;
    /// `½ E[(φ(u1) - φ(u2))²] = E[φ(u)²] - E[φ(u1)φ(u2)]`, computed without that cancellation
    /// so that the correlation map can be resolved as `c → 1`.
    fn kernel_gap(&self, q: f64, c: f64) -> f64;
    /// `E[φ'(u1) φ'(u2)]`.
    fn derivative_kernel(&self, q: f64, c: f64) -> f64;
}

impl<M: Moments + ?Sized> Moments for &M {
    fn second_moment(&self, q: f64) -> f64 {
        (**self).second_moment(q)
    }
    fn second_moment_slope(&self, q: f64) -> f64 {
        (**self).second_moment_slope(q)
    }
    fn derivative_second_moment(&self, q: f64) -> f64 {
        (**self).derivative_second_moment(q)
    }
    fn kernel(&self, q: f64, c: f64) -> f64 {
        (**self).kernel(q, c)
    }
    fn kernel_gap(&self, q: f64, c: f64) -> f64 {
        (**self).kernel_gap(q, c)
    }
    fn derivative_kernel(&self, q: f64, c: f64) -> f64 {
        (**self).derivative_kernel(q, c)
    }
}

impl<M: Moments + ?Sized> Moments for Box<M> {
    fn second_moment(&self, q: f64) -> f64 {
        (**self).second_moment(q)
    }
    fn second_moment_slope(&self, q: f64) -> f64 {
        (**self).second_moment_slope(q)
    }
    fn derivative_second_moment(&self, q: f64) -> f64 {
        (**self).derivative_second_moment(q)
    }
    fn kernel(&self, q: f64, c: f64) -> f64 {
        (**self).kernel(q, c)
    }
    fn kernel_gap(&self, q: f64, c: f64) -> f64 {
        (**self).kernel_gap(q, c)
    }
    fn derivative_kernel(&self, q: f64, c: f64) -> f64 {
        (**self).derivative_kernel(q, c)
    }
}

/// Variance standing in for `q = 0` in the expectations of `φ'`: they are taken in the limit
/// `q → 0⁺`, which for a kinked unit averages the one-sided derivatives (ReLU: `E[φ'²] → ½`, not
/// `φ'(0)² = 0`). Expectations of `φ` itself are continuous in `q` and use `φ(0)` exactly.
const TINY_VARIANCE: f64 = 1e-300;
/// Below this `q` the slope `E[φ φ' u] / q` is taken as its limit (dividing amplifies rounding).
const SMALL_VARIANCE: f64 = 1e-20;

/// [`Moments`] of any [`Unit`] by quadrature; split Gauss–Legendre panels unless configured
/// otherwise (see [`super::gauss`] for why).
#[derive(Clone, Debug)]
pub struct Quadrature<U> {
    unit: U,
    gauss: Gaussian,
}

impl<U: Unit> Quadrature<U> {
    /// The default quadrature ([`QuadratureConfig::default`]).
    pub fn new(unit: U) -> Result<Self, TheoryError> {
        Self::with_config(unit, QuadratureConfig::default())
    }

    pub fn with_config(unit: U, config: QuadratureConfig) -> Result<Self, TheoryError> {
        Ok(Self {
            unit,
            gauss: Gaussian::new(config)?,
        })
    }

    pub fn method(&self) -> Method {
        self.gauss.method()
    }

    pub fn unit(&self) -> &U {
        &self.unit
    }

    /// `E[f(u1, u2)]` for any centred bivariate normal, with this quadrature.
    pub fn expect2(&self, cov: Cov2, f: impl Fn(f64, f64) -> f64) -> f64 {
        self.gauss.expect2(cov, f)
    }

    /// `NaN` for a negative or non-finite `q`, rather than a quietly wrong number.
    fn expect(&self, q: f64, f: impl Fn(f64) -> f64) -> f64 {
        if !(0.0..f64::INFINITY).contains(&q) {
            return f64::NAN;
        }
        self.gauss.expect(q.max(TINY_VARIANCE), f)
    }

    /// `NaN` also for a correlation outside `[-1, 1]`.
    fn expect_pair(&self, q: f64, c: f64, f: impl Fn(f64, f64) -> f64) -> f64 {
        if !(0.0..f64::INFINITY).contains(&q) || !(-1.0..=1.0).contains(&c) {
            return f64::NAN;
        }
        self.gauss.expect2(Cov2::equal(q.max(TINY_VARIANCE), c), f)
    }
}

impl<U: Unit> Moments for Quadrature<U> {
    fn second_moment(&self, q: f64) -> f64 {
        if q == 0.0 {
            // Exactly φ(0)², so that σ_b² = φ(0) = 0 makes q = 0 an exact fixed point.
            return self.unit.value(0.0).powi(2);
        }
        self.expect(q, |u| self.unit.value(u).powi(2))
    }

    fn second_moment_slope(&self, q: f64) -> f64 {
        if (0.0..SMALL_VARIANCE).contains(&q) {
            // Limit q → 0⁺ of E[φ'² + φ φ'']: one-sided derivatives averaged, φ'' by a central
            // difference (its term vanishes for the φ(0) = 0 units that can have q* = 0).
            let u = &self.unit;
            let h = 1e-6;
            let curvature = (u.derivative(h) - u.derivative(-h)) / (2.0 * h);
            let slope2 =
                0.5 * (u.derivative(TINY_VARIANCE).powi(2) + u.derivative(-TINY_VARIANCE).powi(2));
            return slope2 + u.value(0.0) * curvature;
        }
        self.expect(q, |u| self.unit.value(u) * self.unit.derivative(u) * u) / q
    }

    fn derivative_second_moment(&self, q: f64) -> f64 {
        self.expect(q, |u| self.unit.derivative(u).powi(2))
    }

    fn kernel(&self, q: f64, c: f64) -> f64 {
        if q == 0.0 {
            return self.unit.value(0.0).powi(2);
        }
        self.expect_pair(q, c, |a, b| self.unit.value(a) * self.unit.value(b))
    }

    fn kernel_gap(&self, q: f64, c: f64) -> f64 {
        if q == 0.0 {
            return 0.0;
        }
        self.expect_pair(q, c, |a, b| {
            0.5 * (self.unit.value(a) - self.unit.value(b)).powi(2)
        })
    }

    fn derivative_kernel(&self, q: f64, c: f64) -> f64 {
        self.expect_pair(q, c, |a, b| {
            self.unit.derivative(a) * self.unit.derivative(b)
        })
    }
}

/// `φ(u) = u` for `u > 0`, `negative_slope · u` below: ReLU (0), leaky ReLU, identity (1).
///
/// Kernels from the arc-cosine kernel of degree 1 and 0 (Cho & Saul 2009): for correlation `c`,
/// `E[relu(u1) relu(u2)] = q (√(1-c²) + (π - arccos c) c) / 2π` and
/// `P(u1 > 0, u2 > 0) = (π - arccos c) / 2π`; the negative branch follows by `u → -u`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PiecewiseLinear {
    pub negative_slope: f64,
}

impl PiecewiseLinear {
    fn even(&self) -> f64 {
        1.0 + self.negative_slope.powi(2)
    }
}

/// `E[relu(u1) relu(u2)] / q` for unit-variance inputs with correlation `c`.
fn arc_cosine_1(c: f64) -> f64 {
    ((1.0 - c * c).max(0.0).sqrt() + (PI - c.acos()) * c) / (2.0 * PI)
}

/// `P(u1 > 0, u2 > 0)` for correlation `c`.
fn arc_cosine_0(c: f64) -> f64 {
    (PI - c.acos()) / (2.0 * PI)
}

impl Moments for PiecewiseLinear {
    fn second_moment(&self, q: f64) -> f64 {
        0.5 * self.even() * q
    }
    fn second_moment_slope(&self, _q: f64) -> f64 {
        0.5 * self.even()
    }
    fn derivative_second_moment(&self, _q: f64) -> f64 {
        0.5 * self.even()
    }
    fn kernel(&self, q: f64, c: f64) -> f64 {
        q * (self.even() * arc_cosine_1(c) - 2.0 * self.negative_slope * arc_cosine_1(-c))
    }
    fn kernel_gap(&self, q: f64, c: f64) -> f64 {
        // ½ - J1(c) written out, so that nothing O(1) cancels as c → 1.
        let s = (1.0 - c * c).max(0.0).sqrt();
        let half_minus_j1 = (PI * (1.0 - c) + c * c.acos() - s) / (2.0 * PI);
        q * (self.even() * half_minus_j1 + 2.0 * self.negative_slope * arc_cosine_1(-c))
    }
    fn derivative_kernel(&self, _q: f64, c: f64) -> f64 {
        self.even() * arc_cosine_0(c) + 2.0 * self.negative_slope * arc_cosine_0(-c)
    }
}

/// `φ(u) = erf(scale · u)`, whose Gaussian kernel is elementary (Williams 1997):
/// `E[erf(a u1) erf(a u2)] = (2/π) arcsin(2a²Σ12 / √((1 + 2a²Σ11)(1 + 2a²Σ22)))`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ErfMoments {
    pub scale: f64,
}

impl ErfMoments {
    /// The kernel for any covariance (the theory only needs equal variances).
    pub fn kernel_cov(&self, cov: Cov2) -> f64 {
        let a2 = 2.0 * self.scale * self.scale;
        let denominator = ((1.0 + a2 * cov.q11()) * (1.0 + a2 * cov.q22())).sqrt();
        2.0 / PI * (a2 * cov.q12() / denominator).asin()
    }

    /// `E[φ'(u1) φ'(u2)] = (4a²/π) / √det(I + 2a²Σ)` for any covariance.
    pub fn derivative_kernel_cov(&self, cov: Cov2) -> f64 {
        let a2 = 2.0 * self.scale * self.scale;
        let det = (1.0 + a2 * cov.q11()) * (1.0 + a2 * cov.q22()) - (a2 * cov.q12()).powi(2);
        2.0 * a2 / PI / det.sqrt()
    }
}

impl Moments for ErfMoments {
    fn second_moment(&self, q: f64) -> f64 {
        self.kernel(q, 1.0)
    }
    fn second_moment_slope(&self, q: f64) -> f64 {
        let a2 = 2.0 * self.scale * self.scale;
        2.0 * a2 / PI / ((1.0 + a2 * q) * (1.0 + 2.0 * a2 * q).sqrt())
    }
    fn derivative_second_moment(&self, q: f64) -> f64 {
        self.derivative_kernel(q, 1.0)
    }
    fn kernel(&self, q: f64, c: f64) -> f64 {
        self.kernel_cov(Cov2::equal(q, c))
    }
    fn kernel_gap(&self, q: f64, c: f64) -> f64 {
        self.second_moment(q) - self.kernel(q, c)
    }
    fn derivative_kernel(&self, q: f64, c: f64) -> f64 {
        self.derivative_kernel_cov(Cov2::equal(q, c))
    }
}
