//! The sweep page's per-point comparisons: at each point, every other variant against the
//! first, seed by seed (paired by init, data order and data set); Holm across all of them.

use super::{Page, pct, settings, variant};
use crate::{analysis::paired, store::SweepRecord};

/// Points compared with the most: beyond this, the per-point table would swamp the report.
const MAX_COMPARED_POINTS: usize = 40;

pub fn render(page: &mut Page, record: &SweepRecord) {
    let e = &record.experiment;
    if e.variants.len() < 2 || e.train.seeds < 2 || record.points.len() > MAX_COMPARED_POINTS {
        return;
    }
    let base = &e.variants[0].name;
    let mut compared = Vec::new();
    for p in &record.points {
        let Some(b) = variant(p, base) else { continue };
        for other in &e.variants[1..] {
            let Some(o) = variant(p, &other.name) else {
                continue;
            };
            let (x, y) = o.paired_with(b, |r| r.test_accuracy);
            if let Some(c) = paired::compare(&x, &y) {
                compared.push((p, &other.name, o, b, c));
            }
        }
    }
    if compared.is_empty() {
        return;
    }
    let raw: Vec<f64> = compared.iter().map(|r| r.4.t_p_value).collect();
    let adjusted = paired::holm(&raw).unwrap_or(raw.clone());
    let rows: Vec<Vec<String>> = compared
        .iter()
        .zip(&adjusted)
        .map(|((p, name, o, b, c), holm)| {
            let verdict = if *holm >= 0.05 {
                "no significant difference"
            } else if c.mean_difference > 0.0 {
                "better"
            } else {
                "worse"
            };
            vec![
                settings(record, p),
                name.to_string(),
                pct(o.stats.test_accuracy),
                pct(b.stats.test_accuracy),
                format!(
                    "{:+.1} [{:+.1}, {:+.1}] points",
                    100.0 * c.mean_difference,
                    100.0 * c.ci95[0],
                    100.0 * c.ci95[1]
                ),
                format!("{:.2e}", c.t_p_value),
                c.wilcoxon_p_value
                    .map_or("n/a".into(), |w| format!("{w:.2e}")),
                format!("{holm:.2e}"),
                verdict.into(),
            ]
        })
        .collect();
    page.heading(2, "Variants compared at each point")
        .paragraph(&format!(
            "At each point, each variant against {base}, seed by seed (the same initial draws, data order and data set): \
             test accuracy, mean [95% CI] over seeds, and the mean paired difference with its 95% interval, the paired t test's \
             and the Wilcoxon signed-rank test's two-sided p-values. The t p-values are corrected for the {} comparisons with \
             Holm's step-down method (family-wise error rate 5%).",
            compared.len()
        ))
        .table(
            &[
                "configuration",
                "variant",
                "accuracy",
                base,
                "difference [95% CI]",
                "t p",
                "Wilcoxon p",
                "Holm p",
                "verdict",
            ],
            &rows,
        );
}
