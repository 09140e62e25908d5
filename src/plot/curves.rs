//! Per-epoch curves over seeds from `metrics.csv`: the mean and a one-std band.

use crate::run::{MetricRow, RunRecord};

/// `(epoch, mean, mean - std, mean + std)` of `metric` over a variant's seeds, for epochs where
/// every seed still has a finite value.
pub fn band(
    record: &RunRecord,
    variant: &str,
    metric: fn(&MetricRow) -> f64,
) -> Vec<(f64, f64, f64, f64)> {
    let mut by_epoch: std::collections::BTreeMap<usize, Vec<f64>> = Default::default();
    let rows = record.variant_metrics(variant);
    let seeds = rows
        .iter()
        .map(|r| (r.seed, r.data_seed))
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    for r in rows {
        by_epoch.entry(r.epoch).or_default().push(metric(r));
    }
    by_epoch
        .into_iter()
        .map_while(|(epoch, values)| {
            let finite: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
            (finite.len() == seeds && seeds > 0).then(|| {
                let n = finite.len() as f64;
                let mean = finite.iter().sum::<f64>() / n;
                let std = if finite.len() > 1 {
                    (finite.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
                } else {
                    0.0
                };
                (epoch as f64, mean, mean - std, mean + std)
            })
        })
        .collect()
}

/// Number of seeds of the run's first variant.
pub fn seed_count(record: &RunRecord) -> usize {
    record
        .summary
        .variants
        .first()
        .map_or(1, |v| v.seeds.len().max(1))
}
