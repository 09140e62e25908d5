//! The sweep page's published values: each grid point's published test accuracy beside the
//! measured interval, per variant.

use super::{Page, pct, settings};
use crate::{config::Published, store::SweepRecord};

pub fn render(page: &mut Page, record: &SweepRecord, published: &Published) {
    let mut rows = Vec::new();
    for point in &record.points {
        let Some(value) = point.id.and_then(|id| published.test_accuracy.get(id)) else {
            continue;
        };
        for v in &point.variants {
            let measured = v.stats.test_accuracy;
            let inside = measured.map_or("n/a", |s| {
                if (s.ci95[0]..=s.ci95[1]).contains(value) {
                    "yes"
                } else if s.ci95[1] < *value {
                    "no: below"
                } else {
                    "no: above"
                }
            });
            rows.push(vec![
                settings(record, point),
                v.name.clone(),
                format!("{:.1}%", 100.0 * value),
                pct(measured),
                inside.into(),
            ]);
        }
    }
    page.heading(2, "Published values beside measured ones")
        .paragraph(&format!(
            "Published by {}. Measured: test accuracy after the last epoch, mean [95% CI] over seeds.",
            published.source
        ))
        .table(
            &[
                "configuration",
                "variant",
                "published",
                "measured",
                "published value inside the interval?",
            ],
            &rows,
        );
}
