//! `sweep.csv`: one row per grid point and variant, without timings, so merged shards equal a
//! single host's file. Written with the `csv` crate (grid keys become columns).

use super::{PointResult, SweepMeta, SweepRecord, VariantSummary, plain};

/// The columns after the point id and the grid keys.
pub const VALUE_COLUMNS: [&str; 12] = [
    "variant",
    "runs",
    "diverged",
    "status",
    "final_train_loss_mean",
    "final_train_loss_std",
    "train_accuracy_mean",
    "test_accuracy_mean",
    "test_accuracy_std",
    "test_accuracy_ci_low",
    "test_accuracy_ci_high",
    "architecture",
];

fn record(fields: impl IntoIterator<Item = String>) -> String {
    let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
    let fields: Vec<String> = fields.into_iter().collect();
    // Writing strings to memory cannot fail.
    let _ = writer.write_record(&fields);
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

pub fn csv_header(meta: &SweepMeta) -> String {
    record(
        std::iter::once("point".to_string())
            .chain(meta.keys.iter().cloned())
            .chain(VALUE_COLUMNS.iter().map(|c| c.to_string())),
    )
}

fn status(v: &VariantSummary) -> &'static str {
    match (v.stats.diverged, v.stats.runs) {
        (0, _) => "ok",
        (d, r) if d == r => "diverged",
        _ => "partly-diverged",
    }
}

/// The rows of one point: one per variant. Timing is left out so that a merged sweep's
/// file equals a single host's.
pub fn csv_rows(meta: &SweepMeta, point: &PointResult) -> String {
    let id = point.id.map_or("baseline".to_string(), |id| id.to_string());
    let values: Vec<String> = meta
        .keys
        .iter()
        .map(|k| {
            point
                .settings
                .iter()
                .find(|(key, _)| key == k)
                .map_or(String::new(), |(_, v)| plain(v))
        })
        .collect();
    let num = |x: Option<f64>| x.map_or(String::new(), |v| format!("{v:?}"));
    point
        .variants
        .iter()
        .map(|v| {
            let (loss, acc, train) = (
                v.stats.final_train_loss,
                v.stats.test_accuracy,
                v.stats.train_accuracy,
            );
            record(
                std::iter::once(id.clone())
                    .chain(values.iter().cloned())
                    .chain([
                        v.name.clone(),
                        v.stats.runs.to_string(),
                        v.stats.diverged.to_string(),
                        status(v).into(),
                        num(loss.map(|s| s.mean)),
                        num(loss.map(|s| s.std)),
                        num(train.map(|s| s.mean)),
                        num(acc.map(|s| s.mean)),
                        num(acc.map(|s| s.std)),
                        num(acc.map(|s| s.ci95[0])),
                        num(acc.map(|s| s.ci95[1])),
                        v.architecture.clone(),
                    ]),
            )
        })
        .collect()
}

/// The whole `sweep.csv`, baseline first, then points in id order.
pub fn sweep_csv(record: &SweepRecord) -> String {
    let mut csv = csv_header(&record.meta);
    for p in record.baseline.iter().chain(&record.points) {
        csv.push_str(&csv_rows(&record.meta, p));
    }
    csv
}
