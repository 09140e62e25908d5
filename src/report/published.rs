//! The published values beside the measured ones, each rounded to the digits it was published
//! with: the comparisons a run's record yields, and their section of `report.md`.

use super::page::Page;
use crate::{
    config::VariantReference,
    store::{RunRecord, VariantSummary},
};

/// One published value set beside the measured one, rounded to the published digits.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub variant: String,
    pub metric: String,
    pub published: String,
    pub measured: String,
}

impl Comparison {
    pub fn matches(&self) -> bool {
        self.published == self.measured
    }
}

pub(super) fn fixed(value: f64, decimals: usize) -> String {
    format!("{value:.decimals$}")
}

pub(super) fn percent(value: f64) -> String {
    format!("{:.1}%", 100.0 * value)
}

/// Every published value of `reference` beside what `measured` found, at the article's printed
/// precision: losses and stds to 4 decimals, accuracies to 0.1%, the signal trace to 3 decimals.
pub fn compare(
    variant: &str,
    reference: &VariantReference,
    measured: &VariantSummary,
) -> Vec<Comparison> {
    let mut rows = Vec::new();
    let mut push = |metric: String, published: String, measured: Option<String>| {
        rows.push(Comparison {
            variant: variant.into(),
            metric,
            published,
            measured: measured.unwrap_or_else(|| "n/a".into()),
        });
    };
    let mut losses: Vec<(usize, f64)> = reference
        .train_loss
        .iter()
        .filter_map(|(k, v)| Some((k.parse().ok()?, *v)))
        .collect();
    losses.sort_by_key(|(epoch, _)| *epoch);
    for (epoch, value) in losses {
        push(
            format!("train loss, epoch {epoch}"),
            fixed(value, 4),
            measured.train_loss.get(epoch - 1).map(|v| fixed(*v, 4)),
        );
    }
    if let Some(acc) = reference.test_accuracy {
        push(
            "test accuracy".into(),
            percent(acc),
            measured.test_accuracy.map(percent),
        );
    }
    for (layer, value) in reference.hidden_std.iter().flatten().enumerate() {
        push(
            format!("hidden std, layer {}", layer + 1),
            fixed(*value, 4),
            measured.hidden_std.get(layer).map(|v| fixed(*v, 4)),
        );
    }
    for (sample, trace) in reference.signal_trace.iter().flatten().enumerate() {
        let show = |t: &[f64]| {
            t.iter()
                .map(|v| fixed(*v, 3))
                .collect::<Vec<_>>()
                .join(", ")
        };
        push(
            format!("signal trace, sample {}", sample + 1),
            show(trace),
            measured.signal_trace.get(sample).map(|t| show(t)),
        );
    }
    rows
}

/// All comparisons of a run, in reference order.
pub fn comparisons(record: &RunRecord) -> Vec<Comparison> {
    let Some(reference) = &record.experiment.reference else {
        return Vec::new();
    };
    record
        .summary
        .variants
        .iter()
        .filter_map(|v| {
            reference
                .variants
                .get(&v.name)
                .map(|r| compare(&v.name, r, v))
        })
        .flatten()
        .collect()
}

/// The published values beside the measured ones, rounded to the published digits.
pub(super) fn render_published(page: &mut Page, record: &RunRecord) {
    let s = &record.summary;
    let rows = comparisons(record);
    let Some(reference) = record
        .experiment
        .reference
        .as_ref()
        .filter(|_| !rows.is_empty())
    else {
        return;
    };
    let matched = rows.iter().filter(|r| r.matches()).count();
    let mut notes = vec![format!(
        "Published by {}; measured values rounded to the published digits.",
        reference.source
    )];
    if !s.overrides.is_empty() {
        notes.push(
            "This run overrides the protocol, so the published values need not apply.".into(),
        );
    }
    if !s.backend.is_exact() {
        notes.push(format!(
            "This run computed in {}, so values are approximate: exact agreement needs float64.",
            s.backend.precision
        ));
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.variant.clone(),
                r.metric.clone(),
                r.published.clone(),
                r.measured.clone(),
                if r.matches() { "match" } else { "differs" }.into(),
            ]
        })
        .collect();
    page.heading(2, "Published values beside measured ones")
        .paragraph(&notes.join("\n"))
        .paragraph(&format!(
            "**{matched} of {} values match to the printed digit.**",
            rows.len()
        ))
        .table(
            &["variant", "quantity", "published", "measured", "agreement"],
            &table,
        );
}
