//! A 2x2 factorial among the variants (`[factorial]`): how much of the gap between a baseline
//! and a reference each of two changes explains, alone, together, and as main effects, with
//! paired intervals over the seeds, and what mean-field theory's `chi_1` says of each cell.

use super::page::Page;
use crate::{
    analysis::{paired, prediction},
    config::FactorialConfig,
    store::{RunRecord, SeedResult, VariantSummary},
};

/// `(seed, data seed) -> value` of one variant's final metric, over the seeds that finished.
fn values(v: &VariantSummary, metric: fn(&SeedResult) -> Option<f64>) -> Vec<((u32, u32), f64)> {
    v.seeds
        .iter()
        .filter_map(|s| Some(((s.seed, s.data_seed), metric(s)?)))
        .collect()
}

/// Per seed `[baseline, a, b, both, reference]`, over the seeds every cell finished.
fn seed_rows(
    cells: &[&VariantSummary; 5],
    metric: fn(&SeedResult) -> Option<f64>,
) -> Vec<[f64; 5]> {
    let columns: Vec<Vec<((u32, u32), f64)>> = cells.iter().map(|v| values(v, metric)).collect();
    columns[0]
        .iter()
        .filter_map(|(seed, first)| {
            let mut row = [*first; 5];
            for (i, column) in columns.iter().enumerate().skip(1) {
                row[i] = column.iter().find(|(s, _)| s == seed)?.1;
            }
            Some(row)
        })
        .collect()
}

/// One contrast of a factorial, per seed, from `[baseline, a, b, both, reference]`.
type Combine = fn([f64; 5]) -> f64;

/// The gap, each cell against the baseline, both main effects and the interaction.
const CONTRASTS: [(&str, Combine); 7] = [
    ("gap: reference - baseline", |[b, _, _, _, r]| r - b),
    ("a alone - baseline", |[b, a, _, _, _]| a - b),
    ("b alone - baseline", |[b, _, bb, _, _]| bb - b),
    ("both - baseline", |[b, _, _, ab, _]| ab - b),
    ("main effect of a", |[b, a, bb, ab, _]| {
        ((a - b) + (ab - bb)) / 2.0
    }),
    ("main effect of b", |[b, a, bb, ab, _]| {
        ((bb - b) + (ab - a)) / 2.0
    }),
    ("interaction", |[b, a, bb, ab, _]| ab - a - bb + b),
];

/// A contrast's label with the factors' names in place of `a` and `b`.
fn contrast_label(label: &str, a: &str, b: &str) -> String {
    label
        .replace("a alone", &format!("{a} alone"))
        .replace("b alone", &format!("{b} alone"))
        .replace("effect of a", &format!("effect of {a}"))
        .replace("effect of b", &format!("effect of {b}"))
}

/// One contrast over the paired seeds: its label (the factors named), its mean against zero
/// with the paired interval and t test, and its share of the gap (empty for the gap itself).
pub(super) struct Contrasted {
    pub label: String,
    pub comparison: paired::Comparison,
    pub share: String,
}

/// Every contrast of [`CONTRASTS`] over per-seed rows `[baseline, a, b, both, reference]`;
/// those with fewer than two seeds are left out.
pub(super) fn contrasts(rows: &[[f64; 5]], a: &str, b: &str) -> Vec<Contrasted> {
    let gap: Vec<f64> = rows.iter().map(|r| CONTRASTS[0].1(*r)).collect();
    let gap_mean = gap.iter().sum::<f64>() / gap.len().max(1) as f64;
    CONTRASTS
        .iter()
        .filter_map(|(label, combine)| {
            let label = contrast_label(label, a, b);
            let effects: Vec<f64> = rows.iter().map(|r| combine(*r)).collect();
            let comparison = paired::compare(&effects, &vec![0.0; effects.len()])?;
            let share = if label.starts_with("gap") || gap_mean == 0.0 {
                String::new()
            } else {
                format!("{:.0}%", 100.0 * comparison.mean_difference / gap_mean)
            };
            Some(Contrasted {
                label,
                comparison,
                share,
            })
        })
        .collect()
}

/// Whether a contrast belongs in the one-line answer: the main effects and the interaction.
pub(super) fn answers(c: &Contrasted) -> bool {
    c.label.starts_with("main effect") || c.label == "interaction"
}

pub fn render_factorial(page: &mut Page, record: &RunRecord, f: &FactorialConfig) {
    let find = |name: &str| record.summary.variants.iter().find(|v| v.name == name);
    let (Some(base), Some(a), Some(b), Some(both), Some(reference)) = (
        find(&f.baseline),
        find(&f.a.variant),
        find(&f.b.variant),
        find(&f.both),
        find(&f.reference),
    ) else {
        return;
    };
    let cells = [base, a, b, both, reference];
    page.heading(
        2,
        &format!(
            "What explains the gap between {} and {}?",
            f.baseline, f.reference
        ),
    );
    page.paragraph(&format!(
        "A 2x2 factorial: **{}** alone ({}), **{}** alone ({}), both ({}). Per seed (the same initial draws, data order and \
         data set in every cell), the main effect of a change is its effect averaged over the other's two levels, \
         ((with - without) at each level of the other) / 2; the interaction is both - a - b + baseline; the gap is {} - {}. \
         Mean over seeds with its 95% interval (paired, Student's t); *share* is the main effect's mean over the gap's.",
        f.a.name,
        f.a.variant,
        f.b.name,
        f.b.variant,
        f.both,
        f.reference,
        f.baseline
    ));
    let metrics: [(&str, fn(&SeedResult) -> Option<f64>, f64, &str); 2] = [
        ("test accuracy", |s| s.test_accuracy, 100.0, " points"),
        ("final train loss", |s| s.final_train_loss, 1.0, ""),
    ];
    let mut answer: Vec<String> = Vec::new();
    for (metric_name, metric, scale, unit) in metrics {
        let mut rows = Vec::new();
        for x in contrasts(&seed_rows(&cells, metric), &f.a.name, &f.b.name) {
            let (label, c, share) = (&x.label, &x.comparison, &x.share);
            if answers(&x) {
                answer.push(format!("{label} {share} of the {metric_name} gap"));
            }
            rows.push(vec![
                label.clone(),
                c.difference(scale, unit),
                share.clone(),
                format!("{:.2e}", c.t_p_value),
                c.n.to_string(),
            ]);
        }
        page.paragraph(&format!("**{metric_name}**")).table(
            &[
                "contrast",
                "mean [95% CI]",
                "share of the gap",
                "paired t p",
                "seeds",
            ],
            &rows,
        );
    }
    if !answer.is_empty() {
        page.paragraph(&format!("**Answer.** {}.", answer.join("; ")));
    }
    if let Some(plan) = &record.plan {
        let width = plan.architecture.hidden.first().copied().unwrap_or(1);
        let mut rows = Vec::new();
        for name in [
            &f.baseline,
            &f.a.variant,
            &f.b.variant,
            &f.both,
            &f.reference,
        ] {
            let Some(v) = plan.variants.iter().find(|v| &v.name == name) else {
                continue;
            };
            let (w, bias) = v.init.variances(width, width);
            let (q_star, chi1) = match prediction::summarize(v.nonlinearity, w, bias, 1, 1.0) {
                Ok(s) => (format!("{:.4}", s.q_star), format!("{:.4}", s.chi1)),
                Err(e) => ("n/a".into(), e.to_string()),
            };
            rows.push(vec![
                name.clone(),
                v.nonlinearity.to_string(),
                format!("{w:.3}"),
                q_star,
                chi1,
            ]);
        }
        page.paragraph(
            "**What theory says of each cell** (mean-field, infinite width, at initialisation): chi_1 = sigma_w^2 E[phi'(z)^2] at the \
             fixed length q*; below 1 gradients shrink by about sqrt(chi_1) per layer.",
        )
        .table(
            &["variant", "nonlinearity", "sigma_w^2", "q*", "chi_1"],
            &rows,
        );
    }
}
