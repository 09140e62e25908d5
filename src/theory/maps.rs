//! The mean-field maps of a deep random network and their fixed points (Poole et al. 2016;
//! Schoenholz et al. 2017): how the length `q` and the correlation `c` of pre-activations evolve
//! with depth.
//!
//! Network: `h^l = W^l φ(h^{l-1}) + b^l`, `W_ij ~ N(0, σ_w²/fan_in)`, `b_i ~ N(0, σ_b²)`.

use super::error::{TheoryError, non_negative};
use super::moments::Moments;
use super::roots::brent;

/// Plain iterations of the length map before bracketing: the network's own dynamics, which
/// usually land on the fixed point outright.
const ITERATIONS: usize = 200;
/// Lengths beyond this many times `1 + σ_b² + start` count as divergence: up there the length
/// map's rounding (relative ~1e-15) swamps the `σ_b²` that decides whether it still grows.
const DIVERGENCE: f64 = 1e12;
/// Bracket search stops shrinking towards 0 here and tries 0 itself.
const TINY: f64 = 1e-290;

/// The initialisation: weight variance `σ_w²` (times `1/fan_in`) and bias variance `σ_b²`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Variances {
    sigma_w2: f64,
    sigma_b2: f64,
}

impl Variances {
    /// Both finite and non-negative.
    pub fn new(sigma_w2: f64, sigma_b2: f64) -> Result<Self, TheoryError> {
        Ok(Self {
            sigma_w2: non_negative("sigma_w^2", sigma_w2)?,
            sigma_b2: non_negative("sigma_b^2", sigma_b2)?,
        })
    }

    pub fn sigma_w2(&self) -> f64 {
        self.sigma_w2
    }

    pub fn sigma_b2(&self) -> f64 {
        self.sigma_b2
    }
}

/// A unit's [`Moments`] under an initialisation: the maps of one network.
#[derive(Clone, Copy, Debug)]
pub struct MeanField<M> {
    moments: M,
    variances: Variances,
}

impl<M: Moments> MeanField<M> {
    pub fn new(moments: M, variances: Variances) -> Self {
        Self { moments, variances }
    }

    pub fn moments(&self) -> &M {
        &self.moments
    }

    pub fn variances(&self) -> Variances {
        self.variances
    }

    /// The length map `q^{l+1} = σ_w² E[φ(√q^l z)²] + σ_b²` (Poole et al. 2016, eq. 3).
    pub fn length_map(&self, q: f64) -> f64 {
        self.variances.sigma_w2 * self.moments.second_moment(q) + self.variances.sigma_b2
    }

    /// Its slope `χ_q(q) = σ_w² d/dq E[φ(√q z)²] = χ_1(q) + σ_w² E[φ φ'']` (Schoenholz et al.
    /// 2017, §3, the rate at which `q^l` approaches `q*`).
    pub fn length_map_slope(&self, q: f64) -> f64 {
        self.variances.sigma_w2 * self.moments.second_moment_slope(q)
    }

    /// `q^1 = σ_w² · (mean squared input) + σ_b²`: the first layer sees the raw input, not `φ` of
    /// anything, so its length comes from the input's second moment `Σ x_i² / n_in`.
    pub fn first_length(&self, input_second_moment: f64) -> Result<f64, TheoryError> {
        let m = non_negative("input second moment", input_second_moment)?;
        Ok(self.variances.sigma_w2 * m + self.variances.sigma_b2)
    }

    /// The predicted lengths `q^1, …, q^layers`, starting from `q1` (see [`Self::first_length`]).
    pub fn lengths(&self, q1: f64, layers: usize) -> Result<Vec<f64>, TheoryError> {
        let q1 = non_negative("q^1", q1)?;
        Ok(
            std::iter::successors(Some(q1), |&q| Some(self.length_map(q)))
                .take(layers)
                .collect(),
        )
    }

    /// The stable fixed point `q*` that the length map reaches from `start`.
    ///
    /// Iterates the map as the network does; if that has not settled after a few hundred steps
    /// (near criticality the approach is algebraic, not geometric) it brackets `L(q) - q` in the
    /// direction the iterates move and polishes with Brent. A downward crossing of `L(q) = q` is
    /// a stable fixed point for a monotone map. [`TheoryError::Diverges`] when `q` grows past
    /// `1e12 (1 + σ_b² + start)`. `q* = 0` is reported exactly when `σ_b² = φ(0) = 0` and
    /// nothing positive is stable.
    pub fn length_fixed_point(&self, start: f64) -> Result<f64, TheoryError> {
        let mut q = non_negative("starting length", start)?;
        let huge = DIVERGENCE * (1.0 + self.variances.sigma_b2 + start);
        for _ in 0..ITERATIONS {
            let next = self.length_map(q);
            if next.is_nan() || next > huge {
                return Err(TheoryError::Diverges);
            }
            if (next - q).abs() <= 2.0 * f64::EPSILON * next {
                return Ok(next);
            }
            q = next;
        }
        let gap = |q: f64| self.length_map(q) - q;
        let (lo, hi) = if gap(q) > 0.0 {
            // Rising: double until the map falls below the diagonal.
            let (mut lo, mut hi) = (q, 2.0 * q.max(1.0));
            // `>=`: at huge q, L(q) = q + σ_b² rounds to q; that is divergence, not a root.
            while gap(hi) >= 0.0 {
                (lo, hi) = (hi, 2.0 * hi);
                if hi > huge {
                    return Err(TheoryError::Diverges);
                }
            }
            (lo, hi)
        } else {
            // Falling: halve until the map is above the diagonal, ending at 0 (gap(0) >= 0).
            let (mut lo, mut hi) = (0.5 * q, q);
            while lo > TINY && gap(lo) < 0.0 {
                (lo, hi) = (0.5 * lo, lo);
            }
            if lo <= TINY {
                lo = 0.0;
            }
            (lo, hi)
        };
        brent("L(q) - q", lo, hi, 0.0, gap)
    }

    /// `χ_1 = σ_w² E[φ'(√q z)²]` (Poole et al. 2016, eq. 7; Schoenholz et al. 2017, eq. for
    /// `χ_1`): the slope of the correlation map at `c = 1`, and the factor by which a squared
    /// gradient grows per layer going backwards at length `q`. Criticality is `χ_1(q*) = 1`.
    pub fn chi_1(&self, q: f64) -> f64 {
        self.variances.sigma_w2 * self.moments.derivative_second_moment(q)
    }

    /// The correlation map at the fixed length `q*`:
    /// `c^{l+1} = (σ_w² E[φ(u1)φ(u2)] + σ_b²) / q*`, `u1 = √q* z1`,
    /// `u2 = √q* (c z1 + √(1-c²) z2)` (Poole et al. 2016, eq. 5).
    pub fn correlation_map(&self, q_star: f64, c: f64) -> f64 {
        if q_star == 0.0 {
            // Every input collapses to 0. The limit σ_b² → 0⁺ of the ordered phase, where
            // σ_b² = (1 - χ_1) q* and E[φ(u1)φ(u2)] → φ'(0)² q* c, is C(c) = 1 - χ_1 (1 - c).
            return 1.0 - self.chi_1(0.0) * (1.0 - c);
        }
        // 1 - C(c) = σ_w² ½E[(φ(u1) - φ(u2))²] / q*, using q* = L(q*).
        1.0 - self.variances.sigma_w2 * self.moments.kernel_gap(q_star, c) / q_star
    }

    /// The slope of the correlation map, `σ_w² E[φ'(u1)φ'(u2)]` (Price's theorem); `χ_c` at `c*`.
    pub fn correlation_map_slope(&self, q_star: f64, c: f64) -> f64 {
        if c == 1.0 {
            return self.chi_1(q_star);
        }
        self.variances.sigma_w2 * self.moments.derivative_kernel(q_star, c)
    }

    /// The stable fixed point `c*` of the correlation map at length `q_star`.
    ///
    /// `c = 1` is always a fixed point; it is the stable one iff `χ_1 <= 1` (the ordered phase).
    /// Otherwise (chaos) `c* < 1` is the largest root of `C(c) = c` below 1, found with Brent on
    /// `h(c) = (1 - C(c)) / (1 - c) - 1`, which is `≤ 0` at `c = 0` and tends to `χ_1 - 1 > 0`
    /// as `c → 1`: the division removes the trivial root at 1 without cancellation.
    pub fn correlation_fixed_point(&self, q_star: f64) -> Result<f64, TheoryError> {
        let q_star = non_negative("q*", q_star)?;
        let chi_1 = self.chi_1(q_star);
        if q_star == 0.0 || chi_1 <= 1.0 {
            return Ok(1.0);
        }
        let h = |c: f64| {
            if c >= 1.0 {
                chi_1 - 1.0
            } else if c == 0.0 {
                // -C(0) = -(σ_w² E[φ]² + σ_b²)/q* <= 0, from the kernel rather than the gap: its
                // sign closes the bracket even when it is 0 (odd units without bias, SELU).
                let kernel = self.variances.sigma_w2 * self.moments.kernel(q_star, 0.0);
                -(kernel + self.variances.sigma_b2).max(0.0) / q_star
            } else {
                (1.0 - self.correlation_map(q_star, c)) / (1.0 - c) - 1.0
            }
        };
        // Scan down from 1 so that the largest root is the one bracketed.
        let mut hi = 1.0;
        for k in (1..=8).rev() {
            let c = 1.0 - 0.5_f64.powi(k);
            if h(c) <= 0.0 {
                return brent("C(c) - c", c, hi, 1e-15, h);
            }
            hi = c;
        }
        brent("C(c) - c", 0.0, hi, 1e-15, h)
    }
}
