//! The comparison's `report.md`: what is compared, what differs in configuration, the results
//! per side and variant, each later side against the first, and the figures.

use super::{
    config_diff::{Difference, differences},
    figures::Figure,
    results::{Contrast, Metric, Test, contrasts},
    side::{Side, Source},
};
use crate::{analysis::stats::Stat, report::page::Page};

pub fn render(sides: &[Side], figures: &[Figure]) -> String {
    let mut page = Page::new(&format!(
        "Comparison of {} (on {})",
        sides
            .iter()
            .map(|s| s.label.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        sides[0].experiment.data.kind.name()
    ));
    inputs(&mut page, sides);
    configuration(&mut page, sides);
    results(&mut page, sides);
    against_first(&mut page, sides);
    page.heading(2, "Figures");
    for figure in figures {
        page.figure(figure.alt, figure.file);
    }
    page.paragraph(
        "Rebuilt from the compared folders by `actlab analyze <this folder>`; `compare.json` names them.",
    );
    page.finish()
}

fn inputs(page: &mut Page, sides: &[Side]) {
    page.heading(2, "What is compared");
    let rows: Vec<Vec<String>> = sides
        .iter()
        .map(|s| {
            let kind = match &s.source {
                Source::Run(_) => "run".to_string(),
                Source::Point { .. } if s.settings.is_empty() => "sweep baseline".to_string(),
                Source::Point { .. } => format!("sweep point ({})", s.settings.join(", ")),
            };
            vec![
                s.label.clone(),
                format!("`{}`", s.shown.display()),
                s.experiment.name.clone(),
                kind,
            ]
        })
        .collect();
    page.table(&["side", "folder or point", "experiment", "kind"], &rows);
}

fn configuration(page: &mut Page, sides: &[Side]) {
    let experiments: Vec<_> = sides.iter().map(|s| &s.experiment).collect();
    let labels: Vec<&str> = sides.iter().map(|s| s.label.as_str()).collect();
    configuration_table(page, &labels, &differences(&experiments));
}

/// The section listing the settings `found` to differ between the sides `labels`.
pub(super) fn configuration_table(page: &mut Page, labels: &[&str], found: &[Difference]) {
    page.heading(2, "What differs in configuration");
    if found.is_empty() {
        page.paragraph("Nothing: the experiments are the same, setting for setting.");
        return;
    }
    let header: Vec<&str> = std::iter::once("setting")
        .chain(labels.iter().copied())
        .collect();
    let rows: Vec<Vec<String>> = found
        .iter()
        .map(|d| {
            std::iter::once(format!("`{}`", d.key))
                .chain(
                    d.values
                        .iter()
                        .map(|v| v.clone().unwrap_or_else(|| "(unset)".into())),
                )
                .collect()
        })
        .collect();
    page.paragraph("Each setting as `--set` names it; prose and published values are left out.");
    page.table(&header, &rows);
}

fn results(page: &mut Page, sides: &[Side]) {
    page.heading(2, "Results");
    let mut rows = Vec::new();
    for side in sides {
        for v in &side.variants {
            let seeds = if v.stats.diverged > 0 {
                format!("{} ({} diverged)", v.stats.runs, v.stats.diverged)
            } else {
                v.stats.runs.to_string()
            };
            rows.push(vec![
                side.label.clone(),
                v.name.clone(),
                v.activation.clone(),
                v.init.clone(),
                seeds,
                spread(Metric::TestAccuracy.stat(v), percent),
                spread(Metric::FinalTrainLoss.stat(v), |x| format!("{x:.4}")),
                format!("{:.1}", v.train_seconds),
            ]);
        }
    }
    page.paragraph("Means over the seeds that did not diverge, ± one standard deviation.");
    page.table(
        &[
            "side",
            "variant",
            "activation",
            "init",
            "seeds",
            "test accuracy",
            "final train loss",
            "train s",
        ],
        &rows,
    );
}

fn against_first(page: &mut Page, sides: &[Side]) {
    let found = contrasts(sides);
    page.heading(2, &format!("Against {}", sides[0].label));
    if found.is_empty() {
        page.paragraph(&format!(
            "No variant of a later side matches one of {} by name, so nothing is set against it.",
            sides[0].label
        ));
        return;
    }
    page.paragraph(
        "Each difference is the later side minus the first. Where both trained the same seeds on the same data orders, seeds pair: the paired t test (with its 95% interval) and the Wilcoxon signed-rank test. Otherwise the samples are independent: Welch's unequal-variance t test, stated as such.",
    );
    let rows: Vec<Vec<String>> = found.iter().map(contrast_row).collect();
    page.table(
        &[
            "variant",
            "sides",
            "metric",
            "difference",
            "95% interval",
            "test",
            "p",
        ],
        &rows,
    );
}

fn contrast_row(c: &Contrast) -> Vec<String> {
    let show = |x: f64| match c.metric {
        Metric::TestAccuracy => format!("{:+.2} pp", 100.0 * x),
        Metric::FinalTrainLoss => format!("{x:+.4}"),
    };
    let [interval, test, p] = test_cells(&c.test, &show);
    vec![
        c.variant.clone(),
        format!("{} − {}", c.other, c.base),
        c.metric.name().into(),
        c.difference.map_or("n/a".into(), show),
        interval,
        test,
        p,
    ]
}

/// A tested difference's 95% interval (values shown by `show`), how it was tested, and its p.
pub(super) fn test_cells(test: &Test, show: &dyn Fn(f64) -> String) -> [String; 3] {
    let interval = |ci: [f64; 2]| format!("[{}, {}]", show(ci[0]), show(ci[1]));
    match *test {
        Test::Paired(t) => [
            interval(t.ci95),
            format!("paired over {} seeds", t.n),
            match t.wilcoxon_p_value {
                Some(w) => format!("t {}, Wilcoxon {}", p_value(t.t_p_value), p_value(w)),
                None => format!("t {}", p_value(t.t_p_value)),
            },
        ],
        Test::Unpaired(w) => [
            interval(w.ci95),
            format!("Welch, unpaired (df {:.1})", w.df),
            p_value(w.p_value),
        ],
        Test::Untested { reason } => ["n/a".into(), format!("untested: {reason}"), "n/a".into()],
    }
}

fn percent(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

fn spread(stat: Option<Stat>, show: fn(f64) -> String) -> String {
    match stat {
        None => "n/a (every seed diverged)".into(),
        Some(s) if s.n < 2 => show(s.mean),
        Some(s) => format!("{} ± {}", show(s.mean), show(s.std).trim_start_matches('+')),
    }
}

fn p_value(p: f64) -> String {
    if p < 1e-4 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}
