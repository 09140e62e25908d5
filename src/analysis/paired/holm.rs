//! Holm's step-down adjustment (Holm 1979): family-wise error control for many comparisons,
//! uniformly more powerful than Bonferroni and valid under any dependence between the tests.

use super::PairedError;

/// Holm-adjusted p-values, in the input order: sort ascending, multiply the `k`-th smallest
/// (0-based) by `n - k`, take running maxima so the adjusted values keep the raw order, cap at 1.
/// statsmodels' `multipletests(p, method="holm")[1]`. Rejecting where the adjusted value is
/// `<= α` controls the family-wise error rate at `α`.
///
/// Every input must be a probability in `[0, 1]` ([`PairedError::InvalidPValue`] otherwise);
/// no p-values give none.
pub fn holm(p_values: &[f64]) -> Result<Vec<f64>, PairedError> {
    if let Some((index, &value)) = p_values
        .iter()
        .enumerate()
        .find(|(_, p)| !(0.0..=1.0).contains(*p))
    {
        return Err(PairedError::InvalidPValue { index, value });
    }
    let n = p_values.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| p_values[i].total_cmp(&p_values[j]));
    let mut adjusted = vec![0.0; n];
    let mut running = 0.0_f64;
    for (k, &i) in order.iter().enumerate() {
        running = running.max(p_values[i] * (n - k) as f64);
        adjusted[i] = running.min(1.0);
    }
    Ok(adjusted)
}
