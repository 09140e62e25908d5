//! Why a mean-field computation can fail: bad parameters, no bracket, no fixed point.

/// An error from the mean-field theory: the caller's parameters, or a fixed point that does not
/// exist where it was looked for.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TheoryError {
    /// Variances, lengths and node counts must be finite and non-negative (node counts positive).
    #[error("{name} must be finite and non-negative, got {value}")]
    InvalidParameter { name: &'static str, value: f64 },

    /// A correlation must lie in [-1, 1].
    #[error("correlation must lie in [-1, 1], got {0}")]
    InvalidCorrelation(f64),

    /// Newton's method failed to find the nodes of a quadrature rule (not seen for n <= 1000).
    #[error("Newton's method did not converge for the {0}-node quadrature rule")]
    NodesDidNotConverge(usize),

    /// The length map has no finite fixed point: q grows without bound (e.g. ReLU with
    /// sigma_w^2 > 2, or sigma_w^2 = 2 with sigma_b^2 > 0).
    #[error("the length map diverges: q grows without bound")]
    Diverges,

    /// `χ_1(q*) - 1` changes sign by a jump, not a crossing: the fixed point reached from the
    /// starting length switches branch or diverges at this `σ_w²` (GELU at `σ_b² = 0.05`:
    /// bistable lengths, `χ_1 ≈ 0.73` on the stable branch up to where it vanishes).
    #[error(
        "chi_1(q*) jumps across 1 at sigma_w^2 = {sigma_w2} (chi_1 = {chi_1} just below): no critical point"
    )]
    NoCrossing { sigma_w2: f64, chi_1: f64 },

    /// A root was sought where the function does not change sign.
    #[error("{what} does not change sign on [{lo}, {hi}]")]
    NoSignChange {
        what: &'static str,
        lo: f64,
        hi: f64,
    },
}

/// `Ok(value)` when it is finite and non-negative, else [`TheoryError::InvalidParameter`].
pub(crate) fn non_negative(name: &'static str, value: f64) -> Result<f64, TheoryError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(TheoryError::InvalidParameter { name, value })
    }
}
