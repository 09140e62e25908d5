//! The order-to-chaos transition: the `σ_w²` at which `χ_1(q*) = 1` for a given `σ_b²`, and the
//! phase boundary as a curve over `σ_b²` (the phase diagram of Poole et al. 2016, Fig. 2, and
//! Schoenholz et al. 2017, Fig. 1).

use super::error::{TheoryError, non_negative};
use super::maps::{MeanField, Variances};
use super::moments::Moments;
use super::roots::brent;

/// How close to 1 `χ_1` must be at the root for it to be a crossing rather than a jump.
const CROSSING: f64 = 1e-6;

/// Where to look for the critical `σ_w²`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CriticalSearch {
    /// Range of `σ_w²`, scanned on a geometric grid for the first sign change of `χ_1 - 1`.
    pub lo: f64,
    pub hi: f64,
    /// Grid points in the scan.
    pub grid: usize,
    /// Starting length for the fixed-point search at each `σ_w²`.
    pub start: f64,
}

impl Default for CriticalSearch {
    fn default() -> Self {
        Self {
            lo: 0.05,
            hi: 500.0,
            grid: 64,
            start: 1.0,
        }
    }
}

/// A critical point: at `(σ_w², σ_b²)`, `χ_1(q*) = 1`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Critical {
    pub sigma_b2: f64,
    pub sigma_w2: f64,
    /// `q*` there. Large when the transition coincides with the length map's divergence
    /// (ReLU with `σ_b² > 0`, whose `q*` is infinite at `σ_w² = 2`).
    pub q_star: f64,
}

/// `χ_1(q*) - 1` at `σ_w²`; a diverging length map counts as chaotic (+1).
fn excess<M: Moments>(
    moments: &M,
    sigma_w2: f64,
    sigma_b2: f64,
    start: f64,
) -> Result<f64, TheoryError> {
    let field = MeanField::new(moments, Variances::new(sigma_w2, sigma_b2)?);
    match field.length_fixed_point(start) {
        Ok(q_star) => Ok(field.chi_1(q_star) - 1.0),
        Err(TheoryError::Diverges) => Ok(1.0),
        Err(other) => Err(other),
    }
}

/// The critical `σ_w²` for `σ_b²`: the smallest in `search`'s range where `χ_1(q*)` crosses 1,
/// by a grid scan and then Brent to ~1e-12. `q*` is the fixed point reached from
/// `search.start`, so for units with several stable lengths the answer can depend on it;
/// [`TheoryError::NoCrossing`] when `χ_1` jumps over 1 instead.
pub fn critical_sigma_w2<M: Moments>(
    moments: &M,
    sigma_b2: f64,
    search: CriticalSearch,
) -> Result<Critical, TheoryError> {
    let sigma_b2 = non_negative("sigma_b^2", sigma_b2)?;
    let lo = non_negative("lower sigma_w^2", search.lo)?;
    let hi = non_negative("upper sigma_w^2", search.hi)?;
    if !(0.0 < lo && lo < hi) {
        return Err(TheoryError::NoSignChange {
            what: "chi_1 - 1",
            lo,
            hi,
        });
    }
    let steps = search.grid.max(2) - 1;
    let ratio = (hi / lo).powf(1.0 / steps as f64);
    let mut previous = lo;
    if excess(moments, lo, sigma_b2, search.start)? > 0.0 {
        return Err(TheoryError::NoSignChange {
            what: "chi_1 - 1",
            lo,
            hi,
        });
    }
    for k in 1..=steps {
        let sigma_w2 = if k == steps {
            hi
        } else {
            lo * ratio.powi(k as i32)
        };
        if excess(moments, sigma_w2, sigma_b2, search.start)? > 0.0 {
            // Errors cannot occur inside: both ends already evaluated fine.
            let f = |s: f64| excess(moments, s, sigma_b2, search.start).unwrap_or(f64::NAN);
            let sigma_w2 = brent("chi_1 - 1", previous, sigma_w2, 1e-13, f)?;
            // Brent returns the end with the smaller |χ_1 - 1|; if even that is far from 0,
            // χ_1 jumped rather than crossed.
            let field = MeanField::new(moments, Variances::new(sigma_w2, sigma_b2)?);
            let q_star = field
                .length_fixed_point(search.start)
                .unwrap_or(f64::INFINITY);
            let chi_1 = field.chi_1(q_star);
            if chi_1.is_nan() || (chi_1 - 1.0).abs() > CROSSING {
                return Err(TheoryError::NoCrossing { sigma_w2, chi_1 });
            }
            return Ok(Critical {
                sigma_b2,
                sigma_w2,
                q_star,
            });
        }
        previous = sigma_w2;
    }
    Err(TheoryError::NoSignChange {
        what: "chi_1 - 1",
        lo,
        hi,
    })
}

/// The order-to-chaos boundary: the critical `σ_w²` at each `σ_b²` of `sigma_b2s`, one result
/// per grid point so that one failure does not lose the curve.
pub fn phase_boundary<M: Moments>(
    moments: &M,
    sigma_b2s: &[f64],
    search: CriticalSearch,
) -> Vec<Result<Critical, TheoryError>> {
    sigma_b2s
        .iter()
        .map(|&b| critical_sigma_w2(moments, b, search))
        .collect()
}
