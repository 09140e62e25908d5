//! `report.md`: the experiment's question, the results over seeds, per class and paired, the
//! published values beside the measured ones (`published`), and the figures, all rendered from
//! a [`RunRecord`].

use super::{
    page::Page,
    published::{fixed, percent, render_published},
};
use crate::{
    analysis::{paired, stats::Stat},
    store::{RunRecord, VariantSummary},
};

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
fn render_seed_stats(page: &mut Page, record: &RunRecord) {
    let s = &record.summary;
    let seeds = s.variants.first().map_or(0, |v| v.seeds.len());
    let data = if record.experiment.train.vary_data_seed {
        "init, data order and data set"
    } else {
        "init and data order"
    };
    let pct = |v: f64| format!("{:.1}%", 100.0 * v);
    let loss = |v: f64| format!("{v:.4}");
    let rows: Vec<Vec<String>> = s
        .variants
        .iter()
        .map(|v| {
            let st = &v.stats;
            vec![
                v.name.clone(),
                st.runs.to_string(),
                st.diverged.to_string(),
                stat_cell(st.final_train_loss, loss),
                stat_cell(st.train_accuracy, pct),
                stat_cell(st.test_accuracy, pct),
            ]
        })
        .collect();
    page.heading(2, &format!("Over {seeds} seeds"))
        .paragraph(&format!("Each seed varies the {data}. Values: mean ± sample std [95% confidence interval of the mean, Student's t], over the seeds that did not diverge."))
        .table(
            &[
                "variant",
                "runs",
                "diverged",
                "final train loss",
                "train accuracy",
                "test accuracy",
            ],
            &rows,
        );
    render_paired(page, &s.variants);
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
fn render_classes(page: &mut Page, record: &RunRecord, split: &crate::data::Split) {
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
    let classes: Vec<String> = (0..split.classes).map(|c| c.to_string()).collect();
    let mut header = vec!["variant"];
    header.extend(classes.iter().map(String::as_str));
    let rows: Vec<Vec<String>> = reports
        .iter()
        .map(|(name, report)| {
            let mut row = vec![name.to_string()];
            row.extend(
                report
                    .per_class_accuracy
                    .iter()
                    .map(|a| a.map_or("n/a".into(), |a| format!("{:.1}%", 100.0 * a))),
            );
            row
        })
        .collect();
    let mistakes: Vec<String> = reports
        .iter()
        .filter_map(|(name, report)| {
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
            (!shown.is_empty())
                .then(|| format!("- {name}'s most confident mistakes: {}.", shown.join(", ")))
        })
        .collect();
    page.heading(2, "By class")
        .paragraph("Test accuracy of each true class (first seed of each variant); the confusion matrices are among the figures.")
        .table(&header, &rows)
        .paragraph(&mistakes.join("\n"));
}

/// Paired differences between every two variants: trained on the same seeds (the same
/// initial draws, data order and data set), their per-seed differences are compared with a
/// paired t test and a Wilcoxon signed-rank test.
fn render_paired(page: &mut Page, variants: &[VariantSummary]) {
    if variants.len() < 2 {
        return;
    }
    let p = |v: f64| {
        if v < 1e-4 {
            format!("{v:.1e}")
        } else {
            format!("{v:.4}")
        }
    };
    let mut rows = Vec::new();
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
                rows.push(vec![
                    format!("{} - {}", a.name, b.name),
                    name.into(),
                    c.difference(scale, unit),
                    p(c.t_p_value),
                    c.wilcoxon_p_value.map_or("n/a".into(), p),
                    c.n.to_string(),
                ]);
            }
        }
    }
    page.heading(3, "Paired differences")
        .paragraph(
            "Variants train on the same seeds (initial draws, data order and data set), so each seed gives one difference. \
             Mean difference (first minus second) with its 95% interval (Student's t), and two-sided p-values of the paired t test and \
             the Wilcoxon signed-rank test, over the seeds where neither diverged.",
        )
        .table(
            &[
                "comparison",
                "quantity",
                "mean difference [95% CI]",
                "paired t p",
                "Wilcoxon p",
                "seeds",
            ],
            &rows,
        );
}

pub fn render(record: &RunRecord, split: &crate::data::Split) -> String {
    let (e, s) = (&record.experiment, &record.summary);
    let mut page = Page::new(&e.name);
    page.paragraph(&format!("**Question.** {}", e.question.trim()));
    if !e.expected.trim().is_empty() {
        page.paragraph(&format!(
            "**Expected.** {}",
            e.expected.trim().replace('\n', " ")
        ));
    }
    page.paragraph(&format!(
        "Run `{}` on {} ({}, {}), actlab {}, {} engine. Data: {}; model {}; {} epochs of {} with lr {} and batch {}.",
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
        e.train.epochs,
        e.train.optimizer,
        e.train.lr,
        e.train.batch_size,
    ));
    if !s.overrides.is_empty() {
        page.paragraph(&format!("Overrides: `{}`.", s.overrides.join("`, `")));
    }
    if let Some(evaluated) = &s.evaluated {
        page.paragraph(&format!(
            "**Evaluation of checkpoint `{}` at epoch {}.** Every metric below is recomputed from the loaded weights; the final train loss is the loss on the whole training set after that epoch. What training recorded at that epoch is set beside the recomputed values in `eval.json`.",
            evaluated.checkpoint, evaluated.epoch
        ));
    }
    render_results(&mut page, record);
    if s.variants.iter().any(|v| v.seeds.len() > 1) {
        render_seed_stats(&mut page, record);
    }
    if let Some(factorial) = &e.factorial {
        super::factorial::render_factorial(&mut page, record, factorial);
    }
    render_published(&mut page, record);
    render_classes(&mut page, record, split);
    page.heading(2, "Figures");
    for figure in crate::plot::figures(record, split) {
        page.heading(3, figure.title())
            .figure(figure.title(), figure.file());
    }
    if !record.layer_stats.is_empty() {
        super::layers::render_layers(&mut page, record);
        super::saturation::render_saturation(&mut page, record);
        super::theory::render_theory(&mut page, record, split);
    }
    page.paragraph(
        "Files: `config.toml` (the experiment as run), `metrics.csv` (per variant and epoch), `summary.json`, `analysis.json`. Rebuild this report with `actlab analyze <this folder>`.",
    );
    page.finish()
}

/// Each variant's outcome: final losses and accuracies, hidden stds, training time.
fn render_results(page: &mut Page, record: &RunRecord) {
    let s = &record.summary;
    let rows: Vec<Vec<String>> = s
        .variants
        .iter()
        .map(|v| {
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
            vec![
                v.name.clone(),
                v.activation.clone(),
                v.init.clone(),
                loss,
                opt(v.train_accuracy, percent),
                opt(v.test_accuracy, percent),
                stds,
                format!("{:.2} s", v.train_seconds),
            ]
        })
        .collect();
    page.heading(2, "Results")
        .table(
            &[
                "variant",
                "activation",
                "init",
                "final train loss",
                "train accuracy",
                "test accuracy",
                "hidden std per layer",
                "training time",
            ],
            &rows,
        )
        .paragraph(&format!(
            "Training took {:.2} s in training steps ({:.2} s including per-epoch evaluation) for all variants together.",
            s.train_seconds, s.wall_seconds
        ));
}
