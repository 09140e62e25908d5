//! Per-epoch curves over seeds from `metrics.csv`: the mean and a one-std band.

use crate::{
    analysis::stats::Stat,
    store::{MetricRow, RunRecord},
};

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
            let stat = Stat::of(&finite).filter(|_| finite.len() == seeds)?;
            Some((
                epoch as f64,
                stat.mean,
                stat.mean - stat.std,
                stat.mean + stat.std,
            ))
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
