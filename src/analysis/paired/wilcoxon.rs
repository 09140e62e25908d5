//! The Wilcoxon signed-rank test, two-sided, as scipy 1.17.1's `stats.wilcoxon(x, y)` computes
//! it with its defaults (`zero_method="wilcox"`, `correction=False`, `method="auto"`).
//!
//! scipy's rules (`scipy/stats/_wilcoxon.py`), with `n` the number of pairs *including* zero
//! differences and `m` the number of non-zero ones, which alone are ranked:
//! * `n > 50`: normal approximation;
//! * otherwise, no ties among `|d|` and no zeros: the exact null distribution of `R+`;
//! * otherwise, `n <= 13`: an exact permutation test over all `2^n` sign flips;
//! * otherwise: normal approximation.
//!
//! The exact and the permutation null distributions are the same thing, the distribution of
//! `R+` when each rank's sign is a fair coin, so both are computed here by counting subset sums
//! of the (doubled, hence integer) ranks exactly. Zeros only duplicate every sign pattern, which
//! leaves the proportions unchanged.

use super::{PairedError, differences, special::normal_sf};

/// Which null distribution gave the p-value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WilcoxonMethod {
    /// Exact distribution of `R+` (no ties, no zeros, `n <= 50`).
    Exact,
    /// Exact enumeration of sign flips with the tied ranks (ties or zeros, `n <= 13`).
    Permutation,
    /// Normal approximation with the tie correction, no continuity correction.
    Normal,
}

/// The signed-rank test's result.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Wilcoxon {
    /// `min(R+, R-)`, what scipy reports as the statistic.
    pub statistic: f64,
    /// Sum of the ranks of `|d|` over positive differences.
    pub r_plus: f64,
    /// Sum over negative differences.
    pub r_minus: f64,
    /// Differences that are not zero (the ones ranked).
    pub nonzero: usize,
    /// Two-sided p-value.
    pub p_value: f64,
    pub method: WilcoxonMethod,
    /// The standardised `R+` when [`WilcoxonMethod::Normal`].
    pub z: Option<f64>,
}

/// The Wilcoxon signed-rank test of `x` against `y`, two-sided.
///
/// [`PairedError::AllDifferencesZero`] when no difference is non-zero (scipy returns `p = 1`
/// for `n <= 13` and `NaN` above: either way there is nothing to test).
pub fn wilcoxon(x: &[f64], y: &[f64]) -> Result<Wilcoxon, PairedError> {
    let d = differences(x, y)?;
    let n = d.len();
    let nonzero: Vec<f64> = d.into_iter().filter(|&v| v != 0.0).collect();
    let m = nonzero.len();
    if m == 0 {
        return Err(PairedError::AllDifferencesZero);
    }
    let (ranks, tie_groups) = average_ranks(&nonzero);
    let r_plus: f64 = nonzero
        .iter()
        .zip(&ranks)
        .filter(|(v, _)| **v > 0.0)
        .map(|(_, r)| r)
        .sum();
    let total = (m * (m + 1)) as f64 / 2.0;
    let r_minus = total - r_plus;
    let has_ties = tie_groups.iter().any(|&t| t > 1);
    let method = if n > 50 {
        WilcoxonMethod::Normal
    } else if !has_ties && m == n {
        WilcoxonMethod::Exact
    } else if n <= 13 {
        WilcoxonMethod::Permutation
    } else {
        WilcoxonMethod::Normal
    };
    let (p_value, z) = match method {
        WilcoxonMethod::Normal => {
            let mf = m as f64;
            let ties: f64 = tie_groups
                .iter()
                .map(|&t| (t as f64).powi(3) - t as f64)
                .sum();
            let se = ((mf * (mf + 1.0) * (2.0 * mf + 1.0) - 0.5 * ties) / 24.0).sqrt();
            let z = (r_plus - 0.25 * mf * (mf + 1.0)) / se;
            ((2.0 * normal_sf(z.abs())).min(1.0), Some(z))
        }
        WilcoxonMethod::Exact | WilcoxonMethod::Permutation => {
            (exact_p_value(&ranks, r_plus), None)
        }
    };
    Ok(Wilcoxon {
        statistic: r_plus.min(r_minus),
        r_plus,
        r_minus,
        nonzero: m,
        p_value,
        method,
        z,
    })
}

/// Average ranks (1-based) of `|values|`, in input order, and the sizes of the tie groups.
fn average_ranks(values: &[f64]) -> (Vec<f64>, Vec<usize>) {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&i, &j| values[i].abs().total_cmp(&values[j].abs()));
    let mut ranks = vec![0.0; values.len()];
    let mut groups = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let level = values[order[start]].abs();
        let end = start
            + order[start..]
                .iter()
                .take_while(|&&i| values[i].abs() == level)
                .count();
        // Positions start..end (0-based) share the mean of ranks start+1..=end.
        let rank = (start + end + 1) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        groups.push(end - start);
        start = end;
    }
    (ranks, groups)
}

/// `min(1, 2 · min(P(R+ <= observed), P(R+ >= observed)))` under random signs, by counting the
/// subset sums of the doubled ranks (average ranks are multiples of ½, so doubling is exact).
fn exact_p_value(ranks: &[f64], r_plus: f64) -> f64 {
    let doubled: Vec<usize> = ranks.iter().map(|r| (2.0 * r).round() as usize).collect();
    let top: usize = doubled.iter().sum();
    // counts[s]: sign patterns with doubled R+ = s; at most 2^50 for n <= 50, so u64 suffices.
    let mut counts = vec![0u64; top + 1];
    counts[0] = 1;
    let mut reach = 0;
    for &r in &doubled {
        for s in (0..=reach).rev() {
            counts[s + r] += counts[s];
        }
        reach += r;
    }
    let observed = (2.0 * r_plus).round() as usize;
    let patterns = counts.iter().map(|&c| c as f64).sum::<f64>();
    let below: u64 = counts[..=observed].iter().sum();
    let above: u64 = counts[observed..].iter().sum();
    (2.0 * below.min(above) as f64 / patterns).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_their_average_rank() {
        let (ranks, groups) = average_ranks(&[0.5, -0.25, 0.25, 1.0, -0.5]);
        assert_eq!(ranks, vec![3.5, 1.5, 1.5, 5.0, 3.5]);
        assert_eq!(groups, vec![2, 2, 1]);
    }

    #[test]
    fn exact_null_distribution_of_three_ranks() {
        // R+ over {1, 2, 3}: sums 0,1,2,3,3,4,5,6 with equal weight; P(R+ <= 0) = 1/8.
        assert_eq!(exact_p_value(&[1.0, 2.0, 3.0], 0.0), 0.25);
        assert_eq!(exact_p_value(&[1.0, 2.0, 3.0], 3.0), 1.0);
    }
}
