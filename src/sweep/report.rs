//! `sweep.csv`, the heatmap and `report.md` of a sweep, rebuilt from its `points/` alone.

use std::{fmt::Write as _, path::Path};

use super::{csv::sweep_csv, grid::point_plan, runner::SweepError};
use burn::module::Module;

use crate::{
    analysis::{paired, stats::Stat},
    config::Override,
    store::{PointResult, SweepRecord, VariantSummary, plain, write_figure, write_text},
};

/// Trained parameters of one member of `plan`'s architecture (running statistics excluded).
fn parameter_count(plan: &crate::config::Plan) -> Option<usize> {
    let device = Default::default();
    let (model, _, _) =
        crate::run::initial_ensemble::<crate::backend::Eval>(plan, &[0], &[0], &device);
    Some(model.num_params() - plan.architecture.running_values())
}

/// Training cost of a point's configuration: epochs x parameters per member.
fn cost(record: &SweepRecord, point: &PointResult) -> Option<(usize, usize)> {
    let overrides: Vec<Override> = point
        .settings
        .iter()
        .map(|(k, v)| format!("{k}={v}").parse())
        .collect::<Result<_, _>>()
        .ok()?;
    let plan = point_plan(&record.experiment, &overrides).ok()?;
    let params = parameter_count(&plan)?;
    Some((
        plan.experiment.train.epochs * params,
        plan.experiment.train.epochs,
    ))
}

/// A point's settings, each as its label where `[sweep.labels]` gives one, else `key=value`.
fn settings(record: &SweepRecord, point: &PointResult) -> String {
    let sweep = record.experiment.sweep.as_ref();
    point
        .settings
        .iter()
        .map(|(k, v)| match sweep.and_then(|s| s.label(k, v)) {
            Some(label) => format!("**{label}**"),
            None => format!("`{k}={}`", plain(v)),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Mean and 95% interval in percent; the interval is clipped to [0, 100].
fn pct(s: Option<Stat>) -> String {
    s.map_or("n/a".into(), |s| {
        format!(
            "{:.1}% [{:.1}, {:.1}]",
            100.0 * s.mean,
            (100.0 * s.ci95[0]).max(0.0),
            (100.0 * s.ci95[1]).min(100.0)
        )
    })
}

fn variant<'a>(point: &'a PointResult, name: &str) -> Option<&'a VariantSummary> {
    point.variants.iter().find(|v| v.name == name)
}

/// The answer to "can any configuration bring `target` to `reference`'s baseline accuracy?".
/// A configuration's paired comparison with the reference at the baseline: `target` at the
/// point against `reference` at the baseline, seed by seed.
struct Paired<'a> {
    point: &'a PointResult,
    accuracy: Stat,
    comparison: paired::Comparison,
    /// Holm-adjusted p-value of the paired t test.
    adjusted: f64,
    cost: (usize, usize),
}

fn render_rescue(md: &mut String, record: &SweepRecord, target: &str, reference: &str) {
    let _ = writeln!(
        md,
        "## Can any configuration bring {target} to {reference}'s accuracy?\n"
    );
    let Some(baseline) = &record.baseline else {
        let _ = writeln!(md, "The baseline point has not run yet.\n");
        return;
    };
    let (Some(bar_variant), Some(bar), Some(start)) = (
        variant(baseline, reference),
        variant(baseline, reference).and_then(|v| v.stats.test_accuracy),
        variant(baseline, target).and_then(|v| v.stats.test_accuracy),
    ) else {
        let _ = writeln!(md, "The baseline diverged, so there is no bar to reach.\n");
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
                cost: cost(record, p)?,
            })
        })
        .collect();
    let raw: Vec<f64> = compared.iter().map(|c| c.comparison.t_p_value).collect();
    if let Ok(adjusted) = paired::holm(&raw) {
        for (c, p) in compared.iter_mut().zip(adjusted) {
            c.adjusted = p;
        }
    }
    let _ = writeln!(
        md,
        "At the experiment's own settings, {reference} reaches {} and {target} {} (test accuracy, mean [95% CI] over seeds). \
         Each configuration's {target} is compared with {reference} at the baseline seed by seed (the same initial draws, data order \
         and data set): the mean paired difference in test accuracy, and a two-sided paired t test whose p-values are corrected for \
         the {} configurations tested with Holm's step-down method (family-wise error rate 5%). A configuration *closes the gap* \
         unless it is significantly worse than the bar after that correction: its mean difference is at least 0, or its adjusted \
         p-value is at least 0.05.\n",
        pct(Some(bar)),
        pct(Some(start)),
        compared.len()
    );
    let closes = |c: &Paired| c.comparison.mean_difference >= 0.0 || c.adjusted >= 0.05;
    let mut closing: Vec<&Paired> = compared.iter().filter(|c| closes(c)).collect();
    closing.sort_by_key(|c| (c.cost.0, c.point.id));
    let better = compared
        .iter()
        .filter(|c| c.comparison.mean_difference > 0.0 && c.adjusted < 0.05)
        .count();
    let best = compared
        .iter()
        .max_by(|a, b| a.accuracy.mean.total_cmp(&b.accuracy.mean));
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
            let _ = writeln!(
                md,
                "**Yes.** {} of {} configurations close the gap ({better} of them significantly better than the bar). \
                 The cheapest (fewest epochs x parameters: {cost} = {epochs} epochs x {} parameters) is {}: {target} {}, \
                 paired difference to the bar {}.\n",
                closing.len(),
                compared.len(),
                cost / epochs,
                settings(record, c.point),
                pct(Some(c.accuracy)),
                difference(c)
            );
        }
        None => {
            let _ = writeln!(
                md,
                "**No.** Every one of the {} configurations is significantly worse than the bar.",
                compared.len()
            );
            if let Some(c) = best {
                let _ = writeln!(
                    md,
                    "The best, {}, reaches {target} {} (paired difference {}).",
                    settings(record, c.point),
                    pct(Some(c.accuracy)),
                    difference(c)
                );
            }
            let _ = writeln!(md);
        }
    }
    let rescuers: Vec<&PointResult> = closing.iter().map(|c| c.point).collect();
    render_rescue_signal(md, baseline, &rescuers, target);
    if !closing.is_empty() {
        let _ = writeln!(
            md,
            "| configuration | {target} test accuracy | paired difference to the bar [95% CI], Holm-adjusted p | {reference} at the same settings | epochs x parameters |\n|---|---|---|---|---|"
        );
        for c in closing.iter().take(15) {
            let other = variant(c.point, reference).and_then(|v| v.stats.test_accuracy);
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                settings(record, c.point),
                pct(Some(c.accuracy)),
                difference(c),
                pct(other),
                c.cost.0
            );
        }
        let _ = writeln!(md);
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
fn render_rescue_signal(
    md: &mut String,
    baseline: &PointResult,
    closing: &[&PointResult],
    target: &str,
) {
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
    let _ = writeln!(
        md,
        "**Through which per-layer signal?** At the last epoch (first seed, probe set), {target} at the baseline against the configurations that close the gap:\n"
    );
    let _ = writeln!(
        md,
        "| quantity | baseline | configurations that close the gap | factor (median) |\n|---|---|---|---|"
    );
    let mut factors = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let mut values: Vec<f64> = rescued.iter().map(|s| s[i]).collect();
        values.sort_by(f64::total_cmp);
        let median = values[values.len() / 2];
        let factor = median / base[i];
        factors.push((factor.ln().abs(), i, factor));
        let _ = writeln!(
            md,
            "| {name} | {:.3e} | {:.3e} to {:.3e} | {factor:.3e} |",
            base[i],
            values[0],
            values[values.len() - 1]
        );
    }
    factors.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (_, most, factor) = factors[0];
    let _ = writeln!(
        md,
        "\nThe quantity that changes most is {}: {factor:.2e} times the baseline's (median). \
         The others change by {:.2}x and {:.2}x.\n",
        names[most], factors[1].2, factors[2].2
    );
}

/// Each grid point's published test accuracy beside the measured interval, per variant.
fn render_published(md: &mut String, record: &SweepRecord, published: &crate::config::Published) {
    let _ = writeln!(
        md,
        "## Published values beside measured ones\n\nPublished by {}. Measured: test accuracy after the last epoch, mean [95% CI] over seeds.\n\n\
         | configuration | variant | published | measured | published value inside the interval? |\n|---|---|---|---|---|",
        published.source
    );
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
            let _ = writeln!(
                md,
                "| {} | {} | {:.1}% | {} | {inside} |",
                settings(record, point),
                v.name,
                100.0 * value,
                pct(measured)
            );
        }
    }
    let _ = writeln!(md);
}

/// How well the edge of the trainable region follows `6 xi_c`.
fn render_trainability(md: &mut String, map: &crate::plot::trainability::Map) {
    let mut ws: Vec<f64> = map.cells.iter().map(|c| c.0).collect();
    ws.sort_by(f64::total_cmp);
    ws.dedup();
    let _ = writeln!(
        md,
        "## Trainability and the depth scale\n\n![trainability](trainability.png)\n\n\
         Schoenholz et al. (2017) find deep networks trainable to about 6 xi_c layers, xi_c = -1/ln(chi_c) the depth over which \
         correlations between inputs are forgotten (mean-field theory, infinite width). Here a point counts as trainable when its \
         test accuracy reaches {:.0}% (twice chance).\n\n| sigma_w^2 | 6 xi_c | deepest trainable depth | deepest depth tried |\n|---|---|---|---|",
        100.0 * crate::plot::trainability::TRAINABLE
    );
    let judged = map.judged();
    let agree = judged.iter().filter(|j| j.predicted == j.observed).count();
    let total = judged.len();
    let misses: Vec<String> = judged
        .iter()
        .filter(|j| j.predicted != j.observed)
        .map(|j| {
            format!(
                "sigma_w^2 {}, depth {}: {} but {}",
                j.weight_var,
                j.depth,
                if j.predicted {
                    "within 6 xi_c"
                } else {
                    "beyond 6 xi_c"
                },
                if j.observed {
                    "trainable"
                } else {
                    "not trainable"
                }
            )
        })
        .collect();
    for &w in &ws {
        let column: Vec<&crate::plot::trainability::Judged> =
            judged.iter().filter(|j| j.weight_var == w).collect();
        let deepest = column
            .iter()
            .filter(|j| j.observed)
            .map(|j| j.depth)
            .fold(None, |m: Option<f64>, d| Some(m.map_or(d, |m| m.max(d))));
        let tried = column.iter().map(|j| j.depth).fold(0.0, f64::max);
        let _ = writeln!(
            md,
            "| {w} | {} | {} | {tried} |",
            map.six_xi_c_at(w)
                .map_or("infinite (critical)".into(), |l| format!("{l:.1}")),
            deepest.map_or("none".into(), |d| format!("{d}"))
        );
    }
    let _ = writeln!(
        md,
        "\n**{agree} of {total} points** are on the side of 6 xi_c that the theory predicts (trainable within it, not beyond).{}\n",
        if misses.is_empty() {
            String::new()
        } else {
            format!(" The others: {}.", misses.join("; "))
        }
    );
}

/// How signal and gradient survive the layers at each point: the first seed, last epoch.
fn render_layer_signal(md: &mut String, record: &SweepRecord) {
    if record.points.iter().all(|p| p.layers.is_empty()) {
        return;
    }
    let _ = writeln!(
        md,
        "## Signal through the layers\n\nAt the last epoch, first seed, on the probe set: the gradient norm ||dL/dz|| at the first hidden layer and at the output, \
         their ratio (how much of the output's gradient reaches the first layer), and the smallest activation std and mean f'(z) over the hidden layers.\n"
    );
    let _ = writeln!(
        md,
        "| configuration | variant | ||dL/dz|| layer 1 | ||dL/dz|| output | ratio | smallest a std | smallest f'(z) |\n|---|---|---|---|---|---|---|"
    );
    for p in &record.points {
        for v in &record.experiment.variants {
            let rows: Vec<_> = p.layers.iter().filter(|r| r.variant == v.name).collect();
            let get = |layer: usize, t: &str, s: &str| {
                rows.iter()
                    .find(|r| r.layer == layer && r.tensor == t && r.statistic == s)
                    .map(|r| r.value)
            };
            let Some(output_layer) = rows
                .iter()
                .filter(|r| r.tensor == "dz")
                .map(|r| r.layer)
                .max()
            else {
                continue;
            };
            let (first, output) = (get(1, "dz", "norm"), get(output_layer, "dz", "norm"));
            // "n/a" where the model has no hidden layer (logistic regression).
            let smallest = |s: &str| {
                rows.iter()
                    .filter(|r| r.tensor == "a" && r.statistic == s)
                    .map(|r| r.value)
                    .min_by(f64::total_cmp)
                    .map_or("n/a".into(), |v| format!("{v:.4}"))
            };
            let show = |x: Option<f64>| x.map_or("n/a".into(), |v| format!("{v:.2e}"));
            let ratio = first.zip(output).map(|(a, b)| a / b);
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} |",
                settings(record, p),
                v.name,
                show(first),
                show(output),
                show(ratio),
                smallest("std"),
                smallest("mean_derivative")
            );
        }
    }
    let _ = writeln!(md);
}

/// Points compared with the most: beyond this, the per-point table would swamp the report.
const MAX_COMPARED_POINTS: usize = 40;

/// At each point, every other variant against the first, seed by seed (paired by init, data
/// order and data set); Holm across all the comparisons made.
fn render_point_comparisons(md: &mut String, record: &SweepRecord) {
    let e = &record.experiment;
    if e.variants.len() < 2 || e.train.seeds < 2 || record.points.len() > MAX_COMPARED_POINTS {
        return;
    }
    let base = &e.variants[0].name;
    let mut rows = Vec::new();
    for p in &record.points {
        let Some(b) = variant(p, base) else { continue };
        for other in &e.variants[1..] {
            let Some(o) = variant(p, &other.name) else {
                continue;
            };
            let (x, y) = o.paired_with(b, |r| r.test_accuracy);
            if let Some(c) = paired::compare(&x, &y) {
                rows.push((p, &other.name, o, b, c));
            }
        }
    }
    if rows.is_empty() {
        return;
    }
    let raw: Vec<f64> = rows.iter().map(|r| r.4.t_p_value).collect();
    let adjusted = paired::holm(&raw).unwrap_or(raw.clone());
    let _ = writeln!(
        md,
        "## Variants compared at each point\n\n\
         At each point, each variant against {base}, seed by seed (the same initial draws, data order and data set): \
         test accuracy, mean [95% CI] over seeds, and the mean paired difference with its 95% interval, the paired t test's \
         and the Wilcoxon signed-rank test's two-sided p-values. The t p-values are corrected for the {} comparisons with \
         Holm's step-down method (family-wise error rate 5%).\n",
        rows.len()
    );
    let _ = writeln!(
        md,
        "| configuration | variant | accuracy | {base} | difference [95% CI] | t p | Wilcoxon p | Holm p | |\n|---|---|---|---|---|---|---|---|---|"
    );
    for ((p, name, o, b, c), holm) in rows.iter().zip(&adjusted) {
        let verdict = if *holm >= 0.05 {
            "no significant difference"
        } else if c.mean_difference > 0.0 {
            "better"
        } else {
            "worse"
        };
        let _ = writeln!(
            md,
            "| {} | {name} | {} | {} | {:+.1} [{:+.1}, {:+.1}] points | {:.2e} | {} | {:.2e} | {verdict} |",
            settings(record, p),
            pct(o.stats.test_accuracy),
            pct(b.stats.test_accuracy),
            100.0 * c.mean_difference,
            100.0 * c.ci95[0],
            100.0 * c.ci95[1],
            c.t_p_value,
            c.wilcoxon_p_value
                .map_or("n/a".into(), |w| format!("{w:.2e}")),
            holm
        );
    }
    let _ = writeln!(md);
}

fn render(record: &SweepRecord) -> String {
    let e = &record.experiment;
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# {} (sweep)\n\n**Question.** {}\n",
        e.name,
        e.question.trim()
    );
    if !e.expected.trim().is_empty() {
        let _ = writeln!(
            md,
            "**Expected.** {}\n",
            e.expected.trim().replace('\n', " ")
        );
    }
    let Some(sweep) = e.sweep.as_ref() else {
        let _ = writeln!(md, "This folder's experiment has no `[sweep]` section.");
        return md;
    };
    let grid: Vec<String> = sweep
        .grid
        .iter()
        .map(|(k, v)| {
            let values = v.iter().map(|value| {
                let text = value.to_string();
                match sweep.label(k, &text) {
                    Some(label) => format!("**{label}** = `{text}`"),
                    None => text,
                }
            });
            format!("`{k}` in {}", values.collect::<Vec<_>>().join(", "))
        })
        .collect();
    let _ = writeln!(
        md,
        "Grid: {} ({} points); each point trains {} variants x {} seeds for the experiment's settings otherwise. Finished: {} of {} points{}.\n",
        grid.join("; "),
        record.meta.points,
        e.variants.len(),
        e.train.seeds,
        record.points.len(),
        record.meta.points,
        if record.meta.shard.count > 1 {
            format!(
                " (shard {}/{})",
                record.meta.shard.index, record.meta.shard.count
            )
        } else {
            String::new()
        }
    );
    if let (Some(t), Some(r)) = (&sweep.target, &sweep.reference) {
        render_rescue(&mut md, record, t, r);
    }
    let _ = writeln!(
        md,
        "## Best configurations\n\nBy mean test accuracy over seeds, per variant.\n"
    );
    for v in &e.variants {
        let mut ranked: Vec<(&PointResult, Stat)> = record
            .points
            .iter()
            .filter_map(|p| Some((p, variant(p, &v.name)?.stats.test_accuracy?)))
            .collect();
        ranked.sort_by(|a, b| b.1.mean.total_cmp(&a.1.mean).then(a.0.id.cmp(&b.0.id)));
        let _ = writeln!(
            md,
            "### {}\n\n| rank | configuration | test accuracy [95% CI] | final train loss |\n|---|---|---|---|",
            v.name
        );
        for (rank, (p, acc)) in ranked.iter().take(10).enumerate() {
            let loss = variant(p, &v.name)
                .and_then(|x| x.stats.final_train_loss)
                .map_or("n/a".into(), |s| format!("{:.4}", s.mean));
            let _ = writeln!(
                md,
                "| {} | {} | {} | {loss} |",
                rank + 1,
                settings(record, p),
                pct(Some(*acc))
            );
        }
        let diverged: Vec<String> = record
            .points
            .iter()
            .filter(|p| variant(p, &v.name).is_some_and(|x| x.stats.diverged > 0))
            .map(|p| {
                format!(
                    "{} ({} of {} seeds)",
                    settings(record, p),
                    variant(p, &v.name).map_or(0, |x| x.stats.diverged),
                    e.train.seeds
                )
            })
            .collect();
        if !diverged.is_empty() {
            let _ = writeln!(md, "\nDiverged: {}.", diverged.join("; "));
        }
        let _ = writeln!(md);
    }
    if let Some(map) = crate::plot::trainability::map(record) {
        render_trainability(&mut md, &map);
    }
    if let Some(published) = &sweep.published {
        render_published(&mut md, record, published);
    }
    if sweep.target.is_none() {
        render_point_comparisons(&mut md, record);
    }
    render_layer_signal(&mut md, record);
    let _ = writeln!(
        md,
        "## Heatmap\n\n![heatmap](heatmap.png)\n\nEach cell: the best mean test accuracy over the other swept keys.\n"
    );
    let _ = writeln!(
        md,
        "Files: `sweep.csv` (one row per point and variant), `points/*.json` (each point's full summary), `config.toml`, `sweep.json`. Rebuild with `actlab analyze <this folder>`."
    );
    md
}

/// Rewrites `sweep.csv` in point order, the heatmap and `report.md` from `points/`.
pub fn rebuild_sweep(dir: &Path) -> Result<(), SweepError> {
    let record = SweepRecord::load(dir)?;
    if record.experiment.sweep.is_none() {
        return Err(SweepError::Invalid(format!(
            "{} holds sweep.json, but its config.toml has no [sweep] section",
            dir.display()
        )));
    }
    write_text(&dir.join("sweep.csv"), &sweep_csv(&record))?;
    write_figure(&dir.join("heatmap.png"), |p| {
        crate::plot::heatmap::draw(p, &record)
    })?;
    if let Some(map) = crate::plot::trainability::map(&record) {
        write_figure(&dir.join("trainability.png"), |p| {
            crate::plot::trainability::draw(p, &map)
        })?;
    }
    write_text(&dir.join("report.md"), &render(&record))?;
    crate::report::write_tensorboard(dir)?;
    Ok(())
}
