//! What the fixed points predict: depth scales of forward signal propagation (Schoenholz et al.
//! 2017, §3) and the per-layer growth of backpropagated gradients (§5).

use super::error::{TheoryError, non_negative};
use super::maps::MeanField;
use super::moments::Moments;

/// A depth scale `ξ = -1/ln|χ|`: the number of layers over which a deviation from a stable fixed
/// point decays by a factor `e`, when it decays like `χ^l`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DepthScale {
    Finite(f64),
    /// `|χ| >= 1`: deviations do not decay (at criticality, `χ = 1`, the depth scale diverges).
    Infinite,
}

impl DepthScale {
    /// From the rate `χ` of geometric approach. `|χ|` because a negative slope (possible for
    /// non-monotone units such as GELU) approaches by alternating overshoot at the same rate.
    pub fn from_rate(chi: f64) -> Self {
        let chi = chi.abs();
        if chi >= 1.0 {
            Self::Infinite
        } else {
            // ln_1p keeps the digits of 1 - χ when χ is close to 1 (the critical regime).
            Self::Finite(-1.0 / (chi - 1.0).ln_1p())
        }
    }

    /// The number of layers, `None` when infinite.
    pub fn layers(self) -> Option<f64> {
        match self {
            Self::Finite(layers) => Some(layers),
            Self::Infinite => None,
        }
    }
}

/// The fixed points of one network and the rates of approach to them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Analysis {
    /// The stable length `q*`.
    pub q_star: f64,
    /// The stable correlation `c*` (1 in the ordered phase).
    pub c_star: f64,
    /// `χ_1 = σ_w² E[φ'(√q* z)²]`: ordered below 1, chaotic above.
    pub chi_1: f64,
    /// The slope of the correlation map at `c*` (`= χ_1` when `c* = 1`).
    pub chi_c: f64,
    /// The slope of the length map at `q*`.
    pub chi_q: f64,
    /// `ξ_q = -1/ln χ_q`: how fast lengths settle (Schoenholz et al. 2017, §3).
    pub xi_q: DepthScale,
    /// `ξ_c = -1/ln χ_c`: how far correlations between inputs survive; infinite at criticality.
    pub xi_c: DepthScale,
}

impl<M: Moments> MeanField<M> {
    /// Fixed points, slopes and depth scales, with `q*` reached from `start` (e.g. `q^1`).
    pub fn analyse(&self, start: f64) -> Result<Analysis, TheoryError> {
        let q_star = self.length_fixed_point(start)?;
        let c_star = self.correlation_fixed_point(q_star)?;
        let chi_c = self.correlation_map_slope(q_star, c_star);
        let chi_q = self.length_map_slope(q_star);
        Ok(Analysis {
            q_star,
            c_star,
            chi_1: self.chi_1(q_star),
            chi_c,
            chi_q,
            xi_q: DepthScale::from_rate(chi_q),
            xi_c: DepthScale::from_rate(chi_c),
        })
    }

    /// The predicted `‖∂L/∂h^l‖² / ‖∂L/∂h^{l+1}‖² = σ_w² E[φ'(√q^l z)²]` at layer length
    /// `q^l` (Schoenholz et al. 2017, §5). From `δ^l = φ'(h^l) ⊙ (W^{l+1})ᵀ δ^{l+1}` with
    /// `Var W = σ_w²/fan_in`: the fan-in normalisation cancels the width ratio, so unequal
    /// widths need no correction. At `q*` this is `χ_1`.
    pub fn gradient_ratio(&self, q: f64) -> f64 {
        self.chi_1(q)
    }

    /// The cumulative prediction over a stack: given the lengths `q^1..q^L` of hidden layers
    /// `1..L` (e.g. from [`Self::lengths`]), element `l - 1` is `‖∂L/∂h^l‖² / ‖∂L/∂h^L‖²
    /// = Π_{k=l}^{L-1} σ_w² E[φ'(√q^k z)²]`; the last element is 1. Read from the first element:
    /// below 1, gradients vanish towards the input; above, they explode.
    pub fn gradient_growth(&self, lengths: &[f64]) -> Result<Vec<f64>, TheoryError> {
        for &q in lengths {
            non_negative("q^l", q)?;
        }
        let mut growth = vec![1.0; lengths.len()];
        for l in (0..lengths.len().saturating_sub(1)).rev() {
            growth[l] = growth[l + 1] * self.gradient_ratio(lengths[l]);
        }
        Ok(growth)
    }
}
