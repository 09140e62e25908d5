//! The sweep page's answer to "can any configuration bring `target` to `reference`'s
//! baseline accuracy?": every configuration's `target` against `reference` at the baseline,
//! seed by seed, Holm across the configurations, and the per-layer signal that moved.

use super::{Page, pct, settings, variant};
use crate::{
    analysis::{paired, stats::Stat},
    backend::Eval,
    config::Plan,
    model::Network,
    store::{PointResult, SweepRecord},
};

/// Rows of the closing configurations shown.
const SHOWN: usize = 15;

/// A configuration's paired comparison with the reference at the baseline: `target` at the
/// point against `reference` at the baseline, seed by seed.
struct Paired<'a> {
    point: &'a PointResult,
    accuracy: Stat,
    comparison: paired::Comparison,
    /// Holm-adjusted p-value of the paired t test.
    adjusted: f64,
    /// Training cost: epochs x parameters per member, and the epochs.
    cost: (usize, usize),
}

/// Training cost of a point's plan: epochs x trained parameters of one member.
fn cost(plan: &Plan) -> (usize, usize) {
    let first = &plan.variants[0];
    let parameters = Network::<Eval>::member_parameters(
        &plan.architecture,
        first.nonlinearity,
        &first.init,
        &Default::default(),
    );
    let epochs = plan.experiment.train.epochs;
    (epochs * parameters, epochs)
}

pub fn render(page: &mut Page, record: &SweepRecord, target: &str, reference: &str) {
    page.heading(
        2,
        &format!("Can any configuration bring {target} to {reference}'s accuracy?"),
    );
    let Some(baseline) = &record.baseline else {
        page.paragraph("The baseline point has not run yet.");
        return;
    };
    let (Some(bar_variant), Some(bar), Some(start)) = (
        variant(baseline, reference),
        variant(baseline, reference).and_then(|v| v.stats.test_accuracy),
        variant(baseline, target).and_then(|v| v.stats.test_accuracy),
    ) else {
        page.paragraph("The baseline diverged, so there is no bar to reach.");
        return;
    };
    // Every configuration against the bar, seed by seed; Holm across the configurations.
    let mut compared: Vec<Paired> = record
        .points
        .iter()
        .filter_map(|p| {
            let v = variant(p, target)?;
            let (x, y) = v.paired_with(bar_variant, |r| r.test_accuracy);
            Some(Paired {
                point: p,
                accuracy: v.stats.test_accuracy?,
                comparison: paired::compare(&x, &y)?,
                adjusted: 1.0,
                cost: cost(p.plan.as_ref()?),
            })
        })
        .collect();
    let raw: Vec<f64> = compared.iter().map(|c| c.comparison.t_p_value).collect();
    if let Ok(adjusted) = paired::holm(&raw) {
        for (c, p) in compared.iter_mut().zip(adjusted) {
            c.adjusted = p;
        }
    }
    page.paragraph(&format!(
        "At the experiment's own settings, {reference} reaches {} and {target} {} (test accuracy, mean [95% CI] over seeds). \
         Each configuration's {target} is compared with {reference} at the baseline seed by seed (the same initial draws, data order \
         and data set): the mean paired difference in test accuracy, and a two-sided paired t test whose p-values are corrected for \
         the {} configurations tested with Holm's step-down method (family-wise error rate 5%). A configuration *closes the gap* \
         unless it is significantly worse than the bar after that correction: its mean difference is at least 0, or its adjusted \
         p-value is at least 0.05.",
        pct(Some(bar)),
        pct(Some(start)),
        compared.len()
    ));
    let closes = |c: &Paired| c.comparison.mean_difference >= 0.0 || c.adjusted >= 0.05;
    let mut closing: Vec<&Paired> = compared.iter().filter(|c| closes(c)).collect();
    closing.sort_by_key(|c| (c.cost.0, c.point.id));
    let better = compared
        .iter()
        .filter(|c| c.comparison.mean_difference > 0.0 && c.adjusted < 0.05)
        .count();
    let difference = |c: &Paired| {
        let d = &c.comparison;
        format!(
            "{:+.1} points [{:+.1}, {:+.1}], adjusted p {:.3}",
            100.0 * d.mean_difference,
            100.0 * d.ci95[0],
            100.0 * d.ci95[1],
            c.adjusted
        )
    };
    match closing.first() {
        Some(c) => {
            let (cost, epochs) = c.cost;
            page.paragraph(&format!(
                "**Yes.** {} of {} configurations close the gap ({better} of them significantly better than the bar). \
                 The cheapest (fewest epochs x parameters: {cost} = {epochs} epochs x {} parameters) is {}: {target} {}, \
                 paired difference to the bar {}.",
                closing.len(),
                compared.len(),
                cost / epochs,
                settings(record, c.point),
                pct(Some(c.accuracy)),
                difference(c)
            ));
        }
        None => {
            let mut lines = vec![format!(
                "**No.** Every one of the {} configurations is significantly worse than the bar.",
                compared.len()
            )];
            let best = compared
                .iter()
                .max_by(|a, b| a.accuracy.mean.total_cmp(&b.accuracy.mean));
            if let Some(c) = best {
                lines.push(format!(
                    "The best, {}, reaches {target} {} (paired difference {}).",
                    settings(record, c.point),
                    pct(Some(c.accuracy)),
                    difference(c)
                ));
            }
            page.paragraph(&lines.join("\n"));
        }
    }
    let rescuers: Vec<&PointResult> = closing.iter().map(|c| c.point).collect();
    render_signal(page, baseline, &rescuers, target);
    if !closing.is_empty() {
        let rows: Vec<Vec<String>> = closing
            .iter()
            .take(SHOWN)
            .map(|c| {
                let other = variant(c.point, reference).and_then(|v| v.stats.test_accuracy);
                vec![
                    settings(record, c.point),
                    pct(Some(c.accuracy)),
                    difference(c),
                    pct(other),
                    c.cost.0.to_string(),
                ]
            })
            .collect();
        page.table(
            &[
                "configuration",
                &format!("{target} test accuracy"),
                "paired difference to the bar [95% CI], Holm-adjusted p",
                &format!("{reference} at the same settings"),
                "epochs x parameters",
            ],
            &rows,
        );
    }
}

/// The per-layer signal of `variant` at a point's last probe (first seed): the share of the
/// output's gradient norm that reaches the first hidden layer, the smallest activation std and
/// the smallest mean derivative over the hidden layers.
fn signal(point: &PointResult, variant: &str) -> Option<[f64; 3]> {
    let rows: Vec<_> = point
        .layers
        .iter()
        .filter(|r| r.variant == variant)
        .collect();
    let get = |layer: usize| {
        rows.iter()
            .find(|r| r.layer == layer && r.tensor == "dz" && r.statistic == "norm")
            .map(|r| r.value)
    };
    let output = rows
        .iter()
        .filter(|r| r.tensor == "dz")
        .map(|r| r.layer)
        .max()?;
    let smallest = |s: &str| {
        rows.iter()
            .filter(|r| r.tensor == "a" && r.statistic == s)
            .map(|r| r.value)
            .fold(f64::INFINITY, f64::min)
    };
    Some([
        get(1)? / get(output)?,
        smallest("std"),
        smallest("mean_derivative"),
    ])
}

/// Which per-layer signal tells the rescuing configurations from the baseline: each quantity
/// at the baseline beside its range over the configurations that close the gap, and the one
/// that moved most (by factor).
fn render_signal(page: &mut Page, baseline: &PointResult, closing: &[&PointResult], target: &str) {
    let Some(base) = signal(baseline, target) else {
        return;
    };
    let rescued: Vec<[f64; 3]> = closing.iter().filter_map(|p| signal(p, target)).collect();
    if rescued.is_empty() {
        return;
    }
    let names = [
        "the gradient reaching the first hidden layer (||dL/dz1|| / ||dL/dz_out||)",
        "the smallest activation std over the hidden layers",
        "the smallest mean f'(z) over the hidden layers",
    ];
    let mut factors = Vec::new();
    let mut rows = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let mut values: Vec<f64> = rescued.iter().map(|s| s[i]).collect();
        values.sort_by(f64::total_cmp);
        let median = values[values.len() / 2];
        let factor = median / base[i];
        factors.push((factor.ln().abs(), i, factor));
        rows.push(vec![
            name.to_string(),
            format!("{:.3e}", base[i]),
            format!("{:.3e} to {:.3e}", values[0], values[values.len() - 1]),
            format!("{factor:.3e}"),
        ]);
    }
    factors.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (_, most, factor) = factors[0];
    page.paragraph(&format!(
        "**Through which per-layer signal?** At the last epoch (first seed, probe set), {target} at the baseline against the configurations that close the gap:"
    ))
    .table(
        &[
            "quantity",
            "baseline",
            "configurations that close the gap",
            "factor (median)",
        ],
        &rows,
    )
    .paragraph(&format!(
        "The quantity that changes most is {}: {factor:.2e} times the baseline's (median). \
         The others change by {:.2}x and {:.2}x.",
        names[most], factors[1].2, factors[2].2
    ));
}
