//! Paired comparisons of two variants trained on the same seeds: the paired t test with its
//! confidence interval, the Wilcoxon signed-rank test, and Holm's step-down adjustment for
//! comparing many pairs at once; Welch's test for samples that do not pair.
//!
//! Pairing by seed removes the seed-to-seed variance that both variants share, so a difference
//! that an unpaired interval would drown can be resolved. Results match scipy 1.17.1
//! (`ttest_rel`, `wilcoxon` with its defaults) and statsmodels 0.15
//! (`multipletests(method="holm")`).
//!
//! Inputs are validated, never trusted: mismatched lengths, fewer than two pairs, non-finite
//! values and all-zero differences are [`PairedError`]s, not panics or `NaN`s.

mod holm;
pub mod special;
mod welch;
mod wilcoxon;

pub use holm::holm;
pub use welch::{Welch, welch};
pub use wilcoxon::{Wilcoxon, WilcoxonMethod, wilcoxon};

use special::{student_t_quantile, student_t_two_sided};

/// Why a paired test cannot be computed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PairedError {
    #[error("paired samples need equal lengths, got {x} and {y}")]
    LengthMismatch { x: usize, y: usize },
    #[error("need at least 2 pairs, got {0}")]
    TooFewPairs(usize),
    #[error("pair {index} is not finite (NaN or infinite)")]
    NonFinite { index: usize },
    #[error("all differences are zero: the variants are indistinguishable on these seeds")]
    AllDifferencesZero,
    #[error("p-value {index} is {value}, not a probability")]
    InvalidPValue { index: usize, value: f64 },
    #[error("confidence level must lie strictly between 0 and 1, got {0}")]
    InvalidLevel(f64),
}

/// The differences `x_i - y_i`, after checking the pairs.
pub(crate) fn differences(x: &[f64], y: &[f64]) -> Result<Vec<f64>, PairedError> {
    if x.len() != y.len() {
        return Err(PairedError::LengthMismatch {
            x: x.len(),
            y: y.len(),
        });
    }
    if x.len() < 2 {
        return Err(PairedError::TooFewPairs(x.len()));
    }
    x.iter()
        .zip(y)
        .enumerate()
        .map(|(index, (a, b))| {
            let d = a - b;
            if a.is_finite() && b.is_finite() {
                Ok(d)
            } else {
                Err(PairedError::NonFinite { index })
            }
        })
        .collect()
}

/// The paired t test on `d = x - y`, two-sided.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PairedT {
    pub n: usize,
    /// `mean(x - y)`.
    pub mean_difference: f64,
    /// Sample standard deviation of `x - y` (`n - 1` in the denominator).
    pub std_difference: f64,
    /// `std_difference / √n`.
    pub standard_error: f64,
    /// `mean_difference / standard_error`; `±∞` when every difference is the same non-zero value.
    pub t: f64,
    /// Degrees of freedom, `n - 1`.
    pub df: f64,
    /// Two-sided p-value, `P(|T| >= |t|)` under Student's t with `df` degrees of freedom.
    pub p_value: f64,
    /// The 95% confidence interval of the mean difference.
    pub ci95: [f64; 2],
}

impl PairedT {
    /// `mean ∓ t(1 - (1 - level)/2, n - 1) · standard_error`, for `0 < level < 1`.
    pub fn confidence_interval(&self, level: f64) -> Result<[f64; 2], PairedError> {
        if !(level > 0.0 && level < 1.0) {
            return Err(PairedError::InvalidLevel(level));
        }
        let half = student_t_quantile(0.5 + 0.5 * level, self.df) * self.standard_error;
        Ok([self.mean_difference - half, self.mean_difference + half])
    }
}

/// The paired t test of `x` against `y` (scipy's `ttest_rel(x, y)`).
///
/// [`PairedError::AllDifferencesZero`] when `x == y` pairwise: the statistic is `0/0` (scipy
/// returns `NaN`). Equal non-zero differences give `t = ±∞`, `p = 0`, as in scipy.
pub fn paired_t(x: &[f64], y: &[f64]) -> Result<PairedT, PairedError> {
    let d = differences(x, y)?;
    if d.iter().all(|&v| v == 0.0) {
        return Err(PairedError::AllDifferencesZero);
    }
    let n = d.len();
    let nf = n as f64;
    let mean = d.iter().sum::<f64>() / nf;
    let std = (d.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (nf - 1.0)).sqrt();
    let standard_error = std / nf.sqrt();
    let t = mean / standard_error;
    let df = nf - 1.0;
    let mut result = PairedT {
        n,
        mean_difference: mean,
        std_difference: std,
        standard_error,
        t,
        df,
        p_value: student_t_two_sided(t, df),
        ci95: [mean, mean],
    };
    result.ci95 = result.confidence_interval(0.95)?;
    Ok(result)
}

/// A paired comparison as reports show it: the mean difference `x - y` with its 95% interval,
/// the paired t test's and the Wilcoxon signed-rank test's two-sided p-values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Comparison {
    pub n: usize,
    pub mean_difference: f64,
    pub ci95: [f64; 2],
    pub t_p_value: f64,
    /// `None` when every difference is zero or the test cannot run.
    pub wilcoxon_p_value: Option<f64>,
}

impl Comparison {
    /// `+1.234 points [+0.500, +1.968]`: the mean difference and its interval, times `scale`,
    /// to 3 decimals with `unit` after the mean.
    pub fn difference(&self, scale: f64, unit: &str) -> String {
        format!(
            "{:+.3}{unit} [{:+.3}, {:+.3}]",
            scale * self.mean_difference,
            scale * self.ci95[0],
            scale * self.ci95[1]
        )
    }
}

/// Compares paired samples; `None` when fewer than two pairs. All-zero differences give a
/// zero difference with p-values of 1 (the variants are indistinguishable on these pairs).
pub fn compare(x: &[f64], y: &[f64]) -> Option<Comparison> {
    match paired_t(x, y) {
        Ok(t) => Some(Comparison {
            n: t.n,
            mean_difference: t.mean_difference,
            ci95: t.ci95,
            t_p_value: t.p_value,
            wilcoxon_p_value: wilcoxon(x, y).ok().map(|w| w.p_value),
        }),
        Err(PairedError::AllDifferencesZero) => Some(Comparison {
            n: x.len(),
            mean_difference: 0.0,
            ci95: [0.0, 0.0],
            t_p_value: 1.0,
            wilcoxon_p_value: Some(1.0),
        }),
        Err(_) => None,
    }
}
