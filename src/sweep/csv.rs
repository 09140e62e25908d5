//! `sweep.csv`: one row per grid point and variant, without timings, so merged shards equal a
//! single host's file.

use std::fmt::Write as _;

use super::{PointResult, SweepMeta, SweepRecord};
use crate::run::VariantSummary;

/// Quotes a CSV field when it holds a comma, a quote or a newline.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A swept value for display: strings without their TOML quotes, the rest as TOML.
pub fn plain(toml_text: &str) -> String {
    match format!("v = {toml_text}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
    {
        Some(toml::Value::String(s)) => s,
        _ => toml_text.to_string(),
    }
}

pub fn csv_header(meta: &SweepMeta) -> String {
    let keys: Vec<String> = meta.keys.iter().map(|k| field(k)).collect();
    format!(
        "point,{},variant,runs,diverged,status,final_train_loss_mean,final_train_loss_std,train_accuracy_mean,test_accuracy_mean,test_accuracy_std,test_accuracy_ci_low,test_accuracy_ci_high\n",
        keys.join(",")
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
                .map_or(String::new(), |(_, v)| field(&plain(v)))
        })
        .collect();
    let num = |x: Option<f64>| x.map_or(String::new(), |v| format!("{v:?}"));
    let mut out = String::new();
    for v in &point.variants {
        let (loss, acc, train) = (
            v.stats.final_train_loss,
            v.stats.test_accuracy,
            v.stats.train_accuracy,
        );
        let _ = writeln!(
            out,
            "{id},{},{},{},{},{},{},{},{},{},{},{},{}",
            values.join(","),
            v.name,
            v.stats.runs,
            v.stats.diverged,
            status(v),
            num(loss.map(|s| s.mean)),
            num(loss.map(|s| s.std)),
            num(train.map(|s| s.mean)),
            num(acc.map(|s| s.mean)),
            num(acc.map(|s| s.std)),
            num(acc.map(|s| s.ci95[0])),
            num(acc.map(|s| s.ci95[1])),
        );
    }
    out
}

/// The whole `sweep.csv`, baseline first, then points in id order.
pub fn sweep_csv(record: &SweepRecord) -> String {
    let mut csv = csv_header(&record.meta);
    for p in record.baseline.iter().chain(&record.points) {
        csv.push_str(&csv_rows(&record.meta, p));
    }
    csv
}
