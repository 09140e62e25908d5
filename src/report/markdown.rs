//! `report.md`: the experiment's question, the published values beside the measured ones, and
//! the figures, all rendered from a [`RunRecord`].

use std::fmt::Write as _;

use crate::{
    analysis::{paired, stats::Stat},
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

fn fixed(value: f64, decimals: usize) -> String {
    format!("{value:.decimals$}")
}

fn percent(value: f64) -> String {
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

fn opt(value: Option<f64>, show: fn(f64) -> String) -> String {
    value.map_or("n/a".into(), show)
}

fn stat_cell(stat: Option<Stat>, show: fn(f64) -> String) -> String {
    stat.map_or("n/a".into(), |s| {
        format!(
            "{} ± {} [{}, {}]",
            show(s.mean),
            show(s.std),
            show(s.ci95[0]),
            show(s.ci95[1])
        )
    })
}

/// Mean ± std [95% CI] over seeds, and the variants' paired differences.
fn render_seed_stats(md: &mut String, record: &RunRecord) {
    let s = &record.summary;
    let seeds = s.variants.first().map_or(0, |v| v.seeds.len());
    let data = if record.experiment.train.vary_data_seed {
        "init, data order and data set"
    } else {
        "init and data order"
    };
    let _ = writeln!(
        md,
        "## Over {seeds} seeds
"
    );
    let _ = writeln!(md, "Each seed varies the {data}. Values: mean ± sample std [95% confidence interval of the mean, Student's t], over the seeds that did not diverge.
");
    let _ = writeln!(
        md,
        "| variant | runs | diverged | final train loss | train accuracy | test accuracy |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|");
    let pct = |v: f64| format!("{:.1}%", 100.0 * v);
    let loss = |v: f64| format!("{v:.4}");
    for v in &s.variants {
        let st = &v.stats;
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} |",
            v.name,
            st.runs,
            st.diverged,
            stat_cell(st.final_train_loss, loss),
            stat_cell(st.train_accuracy, pct),
            stat_cell(st.test_accuracy, pct)
        );
    }
    let _ = writeln!(md);
    render_paired(md, &s.variants);
}

/// The data set in one phrase: its kind, sizes, sample shape, classes and preparation.
fn describe_data(d: &crate::data::DataConfig, split: &crate::data::Split) -> String {
    let sizes = format!(
        "{} train / {} test samples",
        split.train.len(),
        split.test.len()
    );
    let scaling = match d.scaling {
        crate::data::Scaling::Standard => "standardized",
        crate::data::Scaling::UnitInterval => "pixels scaled to [0, 1]",
        crate::data::Scaling::None => "unscaled",
    };
    if d.kind.is_generated() {
        format!(
            "{} points of `{}` ({sizes}), noise {}, seed {}, {scaling}",
            d.n_samples, d.kind, d.noise, d.seed
        )
    } else {
        format!(
            "`{}`, {sizes} of shape {:?}, {} classes, seed {}, {scaling}",
            d.kind, split.shape, split.classes, d.seed
        )
    }
}

/// Per-class accuracy and the most confident mistakes, for data with more than two classes.
fn render_classes(md: &mut String, record: &RunRecord, split: &crate::data::Split) {
    if split.classes <= 2 {
        return;
    }
    let reports: Vec<(&str, &crate::analysis::classes::ClassReport)> = record
        .analyses
        .iter()
        .filter_map(|a| Some((a.variant.as_str(), &a.analysis.as_ref()?.classes)))
        .filter(|(_, c)| !c.confusion.is_empty())
        .collect();
    if reports.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "## By class\n\nTest accuracy of each true class (first seed of each variant); the confusion matrices are among the figures.\n"
    );
    let _ = write!(md, "| variant |");
    for c in 0..split.classes {
        let _ = write!(md, " {c} |");
    }
    let _ = writeln!(md, "\n|---|{}", "---|".repeat(split.classes));
    for (name, report) in &reports {
        let _ = write!(md, "| {name} |");
        for a in &report.per_class_accuracy {
            let _ = write!(
                md,
                " {} |",
                a.map_or("n/a".into(), |a| format!("{:.1}%", 100.0 * a))
            );
        }
        let _ = writeln!(md);
    }
    let _ = writeln!(md);
    for (name, report) in &reports {
        let shown: Vec<String> = report
            .mistakes
            .iter()
            .take(8)
            .map(|m| {
                format!(
                    "#{} ({} taken for {}, {:.0}%)",
                    m.index,
                    m.label,
                    m.predicted,
                    100.0 * m.confidence
                )
            })
            .collect();
        if !shown.is_empty() {
            let _ = writeln!(
                md,
                "- {name}'s most confident mistakes: {}.",
                shown.join(", ")
            );
        }
    }
    let _ = writeln!(md);
}

/// Paired differences between every two variants: trained on the same seeds (the same
/// initial draws, data order and data set), their per-seed differences are compared with a
/// paired t test and a Wilcoxon signed-rank test.
fn render_paired(md: &mut String, variants: &[VariantSummary]) {
    if variants.len() < 2 {
        return;
    }
    let _ = writeln!(
        md,
        "### Paired differences\n\nVariants train on the same seeds (initial draws, data order and data set), so each seed gives one difference. \
         Mean difference (first minus second) with its 95% interval (Student's t), and two-sided p-values of the paired t test and \
         the Wilcoxon signed-rank test, over the seeds where neither diverged.\n"
    );
    let _ = writeln!(
        md,
        "| comparison | quantity | mean difference [95% CI] | paired t p | Wilcoxon p | seeds |\n|---|---|---|---|---|---|"
    );
    let p = |v: f64| {
        if v < 1e-4 {
            format!("{v:.1e}")
        } else {
            format!("{v:.4}")
        }
    };
    for (i, a) in variants.iter().enumerate() {
        for b in &variants[i + 1..] {
            let metrics: [(
                &str,
                fn(&crate::store::SeedResult) -> Option<f64>,
                f64,
                &str,
            ); 2] = [
                ("test accuracy", |r| r.test_accuracy, 100.0, " points"),
                ("final train loss", |r| r.final_train_loss, 1.0, ""),
            ];
            for (name, metric, scale, unit) in metrics {
                let (x, y) = a.paired_with(b, metric);
                let Some(c) = paired::compare(&x, &y) else {
                    continue;
                };
                let _ = writeln!(
                    md,
                    "| {} - {} | {name} | {:+.3}{unit} [{:+.3}, {:+.3}] | {} | {} | {} |",
                    a.name,
                    b.name,
                    scale * c.mean_difference,
                    scale * c.ci95[0],
                    scale * c.ci95[1],
                    p(c.t_p_value),
                    c.wilcoxon_p_value.map_or("n/a".into(), p),
                    c.n
                );
            }
        }
    }
    let _ = writeln!(md);
}

pub fn render(record: &RunRecord, split: &crate::data::Split) -> String {
    let (e, s) = (&record.experiment, &record.summary);
    let mut md = String::new();
    let _ = writeln!(md, "# {}\n\n**Question.** {}\n", e.name, e.question.trim());
    if !e.expected.trim().is_empty() {
        let _ = writeln!(
            md,
            "**Expected.** {}\n",
            e.expected.trim().replace('\n', " ")
        );
    }
    let _ = write!(
        md,
        "Run `{}` on {} ({}, {}), actlab {}, {} engine. Data: {}; model {}; ",
        s.run_id,
        s.backend.backend,
        s.backend.device,
        s.backend.precision,
        s.actlab_version,
        s.engine.name(),
        describe_data(&e.data, split),
        s.variants
            .first()
            .map_or("(none trained)", |v| v.architecture.as_str()),
    );
    let _ = writeln!(
        md,
        "{} epochs of {} with lr {} and batch {}.\n",
        e.train.epochs, e.train.optimizer, e.train.lr, e.train.batch_size,
    );
    if !s.overrides.is_empty() {
        let _ = writeln!(md, "Overrides: `{}`.\n", s.overrides.join("`, `"));
    }
    if let Some(evaluated) = &s.evaluated {
        let _ = writeln!(
            md,
            "**Evaluation of checkpoint `{}` at epoch {}.** Every metric below is recomputed from the loaded weights; the final train loss is the loss on the whole training set after that epoch. What training recorded at that epoch is set beside the recomputed values in `eval.json`.\n",
            evaluated.checkpoint, evaluated.epoch
        );
    }

    let _ = writeln!(md, "## Results\n");
    let _ = writeln!(
        md,
        "| variant | activation | init | final train loss | train accuracy | test accuracy | hidden std per layer | training time |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|");
    for v in &s.variants {
        let loss = match v.diverged_at_epoch {
            Some(epoch) => format!("diverged at epoch {epoch}"),
            None => v.train_loss.last().map_or("n/a".into(), |l| fixed(*l, 4)),
        };
        let stds = v
            .hidden_std
            .iter()
            .map(|x| fixed(*x, 4))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {:.2} s |",
            v.name,
            v.activation,
            v.init,
            loss,
            opt(v.train_accuracy, percent),
            opt(v.test_accuracy, percent),
            stds,
            v.train_seconds
        );
    }
    let _ = writeln!(
        md,
        "\nTraining took {:.2} s in training steps ({:.2} s including per-epoch evaluation) for all variants together.\n",
        s.train_seconds, s.wall_seconds
    );

    if s.variants.iter().any(|v| v.seeds.len() > 1) {
        render_seed_stats(&mut md, record);
    }
    if let Some(factorial) = &e.factorial {
        super::factorial::render_factorial(&mut md, record, factorial);
    }

    let rows = comparisons(record);
    if let Some(reference) = e.reference.as_ref().filter(|_| !rows.is_empty()) {
        let matched = rows.iter().filter(|r| r.matches()).count();
        let _ = writeln!(md, "## Published values beside measured ones\n");
        let _ = writeln!(
            md,
            "Published by {}; measured values rounded to the published digits.",
            reference.source
        );
        if !s.overrides.is_empty() {
            let _ = writeln!(
                md,
                "This run overrides the protocol, so the published values need not apply."
            );
        }
        if !s.backend.is_exact() {
            let _ = writeln!(
                md,
                "This run computed in {}, so values are approximate: exact agreement needs float64.",
                s.backend.precision
            );
        }
        let _ = writeln!(
            md,
            "\n**{matched} of {} values match to the printed digit.**\n",
            rows.len()
        );
        let _ = writeln!(md, "| variant | quantity | published | measured | |");
        let _ = writeln!(md, "|---|---|---|---|---|");
        for r in &rows {
            let mark = if r.matches() { "match" } else { "differs" };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {mark} |",
                r.variant, r.metric, r.published, r.measured
            );
        }
        let _ = writeln!(md);
    }

    render_classes(&mut md, record, split);
    let _ = writeln!(md, "## Figures\n");
    for (file, title) in crate::plot::figures(record, split) {
        let _ = writeln!(md, "### {title}\n\n![{title}]({file})\n");
    }
    if !record.layer_stats.is_empty() {
        super::layers::render_layers(&mut md, record);
        super::saturation::render_saturation(&mut md, record);
        super::theory::render_theory(&mut md, record, split);
    }
    let _ = writeln!(
        md,
        "Files: `config.toml` (the experiment as run), `metrics.csv` (per variant and epoch), `summary.json`, `analysis.json`. Rebuild this report with `actlab analyze <this folder>`."
    );
    md
}
