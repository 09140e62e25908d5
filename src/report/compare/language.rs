//! `actlab compare` for language-model runs (a language-model sweep's points are such runs
//! too): what differs in their configurations, the training and validation loss per
//! evaluation overlaid, and each side's final validation loss per variant with each later
//! side's difference from the first, paired over the seeds when both sides ran the same ones
//! (a seed fixes a job's initial weights and its batches), Welch's test otherwise.

use std::path::{Path, PathBuf};

use super::{
    CompareError,
    config_diff::{Difference, differences_in},
    results::{Test, tested},
    sections::{configuration_table, test_cells},
};
use crate::{
    analysis::stats::Stat,
    plot::{
        self,
        panels::{Panel, Series},
    },
    report::page::Page,
    store::{
        StoreError,
        language::{LmRecord, LmVariantSummary},
        write_figure, write_text,
    },
};

/// One language-model run, ready to compare.
pub struct LmSide {
    /// `A`, `B`, ... in the order given.
    pub label: String,
    /// The path as the user gave it.
    pub shown: PathBuf,
    pub record: LmRecord,
}

impl LmSide {
    pub fn load(path: &Path, shown: &Path, label: String) -> Result<Self, CompareError> {
        Ok(Self {
            label,
            shown: shown.into(),
            record: LmRecord::load(path)?,
        })
    }

    fn variants(&self) -> &[LmVariantSummary] {
        &self.record.summary.variants
    }

    /// Variant `name`'s mean loss at each evaluation over its seeds that did not diverge, as
    /// `(iteration, loss)`; `validation` picks the validation loss, else the training loss.
    fn curve(&self, name: &str, validation: bool) -> Vec<(f64, f64)> {
        let jobs: Vec<_> = self
            .record
            .results
            .iter()
            .filter(|r| r.variant == name && !r.history.diverged)
            .collect();
        let Some(first) = jobs.first() else {
            return Vec::new();
        };
        (0..first.history.evaluations.len())
            .filter_map(|i| {
                let values: Vec<f64> = jobs
                    .iter()
                    .filter_map(|j| j.history.evaluations.get(i))
                    .map(|e| if validation { e.val_loss } else { e.train_loss })
                    .collect();
                let iteration = first.history.evaluations[i].iteration as f64;
                (values.len() == jobs.len())
                    .then(|| (iteration, values.iter().sum::<f64>() / values.len() as f64))
            })
            .collect()
    }
}

/// Sides compare when they model the same text: the same corpus, tokenized alike.
pub fn comparable(a: &LmSide, b: &LmSide) -> Result<(), CompareError> {
    let (ca, cb) = (&a.record.summary.corpus, &b.record.summary.corpus);
    let checks: [(&'static str, String, String); 2] = [
        ("corpus (SHA-256)", ca.sha256.clone(), cb.sha256.clone()),
        (
            "vocabulary size",
            ca.vocabulary.size().to_string(),
            cb.vocabulary.size().to_string(),
        ),
    ];
    for (what, a_value, b_value) in checks {
        if a_value != b_value {
            return Err(CompareError::Incompatible {
                what,
                a: a.shown.clone(),
                a_value,
                b: b.shown.clone(),
                b_value,
            });
        }
    }
    Ok(())
}

/// `report.md` and `loss.png` of `sides` in `dir`.
pub fn write(dir: &Path, sides: &[LmSide]) -> Result<(), CompareError> {
    draw(dir, sides)?;
    let tables: Vec<toml::Table> = sides
        .iter()
        .map(|s| {
            s.record
                .config
                .parse::<toml::Table>()
                .map_err(|e| StoreError::Read {
                    path: s.record.dir.join("config.toml"),
                    message: e.to_string(),
                })
        })
        .collect::<Result<_, _>>()?;
    write_text(
        &dir.join("report.md"),
        &render(sides, &differences_in(&tables)),
    )?;
    Ok(())
}

fn draw(dir: &Path, sides: &[LmSide]) -> Result<(), StoreError> {
    plot::register_fonts();
    let panel = |title: &str, validation: bool| Panel {
        title: title.into(),
        x_desc: "iteration".into(),
        y_desc: "loss, nats per token".into(),
        log_y: false,
        discrete_x: false,
        series: sides
            .iter()
            .flat_map(|s| s.variants().iter().map(move |v| (s, v)))
            .enumerate()
            .map(|(color, (s, v))| Series {
                label: if v.diverged == v.seeds.len() {
                    format!("{} {} (diverged)", s.label, v.name)
                } else {
                    format!("{} {}", s.label, v.name)
                },
                color,
                points: s.curve(&v.name, validation),
            })
            .collect(),
    };
    let panels = [
        panel("training loss", false),
        panel("validation loss", true),
    ];
    write_figure(&dir.join("loss.png"), |p| {
        plot::panels::draw(p, "Loss per evaluation (mean over seeds)", &panels)
    })
}

fn render(sides: &[LmSide], differ: &[Difference]) -> String {
    let labels: Vec<&str> = sides.iter().map(|s| s.label.as_str()).collect();
    let mut page = Page::new(&format!(
        "Comparison of {} (language models on {})",
        labels.join(", "),
        sides[0].record.summary.corpus.source
    ));
    page.heading(2, "What is compared");
    let rows: Vec<Vec<String>> = sides
        .iter()
        .map(|s| {
            vec![
                s.label.clone(),
                format!("`{}`", s.shown.display()),
                s.record.summary.experiment.clone(),
            ]
        })
        .collect();
    page.table(&["side", "folder", "experiment"], &rows);
    configuration_table(&mut page, &labels, differ);
    results(&mut page, sides);
    against_first(&mut page, sides);
    page.heading(2, "Figures");
    page.figure(
        "training and validation loss per evaluation, every side and variant",
        "loss.png",
    );
    page.paragraph(
        "Rebuilt from the compared folders by `actlab analyze <this folder>`; `compare.json` names them.",
    );
    page.finish()
}

fn results(page: &mut Page, sides: &[LmSide]) {
    page.heading(2, "Results");
    let mut rows = Vec::new();
    for side in sides {
        for v in side.variants() {
            let finite: Vec<f64> = final_losses(v);
            let seeds = if v.diverged > 0 {
                format!("{} ({} diverged)", v.seeds.len(), v.diverged)
            } else {
                v.seeds.len().to_string()
            };
            let loss = match Stat::of(&finite) {
                None => "n/a (every seed diverged)".into(),
                Some(s) if s.n < 2 => format!("{:.4}", s.mean),
                Some(s) => format!("{:.4} [{:.4}, {:.4}]", s.mean, s.ci95[0], s.ci95[1]),
            };
            rows.push(vec![
                side.label.clone(),
                v.name.clone(),
                v.activation.clone(),
                v.parameters.to_string(),
                seeds,
                loss,
                format!("{:.0}", v.tokens_per_second),
            ]);
        }
    }
    page.paragraph(
        "Final validation loss in nats per token: the mean over the seeds that did not diverge, with its 95% interval.",
    );
    page.table(
        &[
            "side",
            "variant",
            "feed-forward unit",
            "parameters",
            "seeds",
            "final validation loss",
            "tokens/s",
        ],
        &rows,
    );
}

/// The last validation loss of each seed that did not diverge.
fn final_losses(v: &LmVariantSummary) -> Vec<f64> {
    v.final_val_loss
        .iter()
        .flatten()
        .copied()
        .filter(|x| x.is_finite())
        .collect()
}

/// `o - b` in final validation loss and its test.
pub fn contrast(b: &LmVariantSummary, o: &LmVariantSummary) -> (Option<f64>, Test) {
    let mean = |xs: &[f64]| (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64);
    let (bs, os) = (final_losses(b), final_losses(o));
    let difference = mean(&bs).zip(mean(&os)).map(|(b, o)| o - b);
    let pairs: (Vec<f64>, Vec<f64>) = o
        .final_val_loss
        .iter()
        .zip(&b.final_val_loss)
        .filter_map(|(o, b)| Some(((*o)?, (*b)?)))
        .filter(|(o, b)| o.is_finite() && b.is_finite())
        .unzip();
    tested(
        difference,
        (b.seeds == o.seeds).then_some((&pairs.0, &pairs.1)),
        (&os, &bs),
    )
}

fn against_first(page: &mut Page, sides: &[LmSide]) {
    let (base, others) = sides.split_first().expect("at least two sides");
    page.heading(2, &format!("Against {}", base.label));
    let mut rows = Vec::new();
    for other in others {
        for (b, o) in matched(base.variants(), other.variants()) {
            let (difference, test) = contrast(b, o);
            let show = |x: f64| format!("{x:+.4}");
            let [interval, how, p] = test_cells(&test, &show);
            let variant = if b.name == o.name {
                b.name.clone()
            } else {
                format!("{} vs {}", b.name, o.name)
            };
            rows.push(vec![
                variant,
                format!("{} − {}", other.label, base.label),
                difference.map_or("n/a".into(), show),
                interval,
                how,
                p,
            ]);
        }
    }
    if rows.is_empty() {
        page.paragraph(&format!(
            "No variant of a later side matches one of {} by name, so nothing is set against it.",
            base.label
        ));
        return;
    }
    page.paragraph(
        "Each difference is the later side's final validation loss minus the first's (negative: the later side is better). Where both sides trained the same seeds, seeds pair (the same initial weights and batches): the paired t test with its 95% interval, and the Wilcoxon signed-rank test. Otherwise Welch's unequal-variance t test, stated as such.",
    );
    page.table(
        &[
            "variant",
            "sides",
            "difference (nats)",
            "95% interval",
            "test",
            "p",
        ],
        &rows,
    );
}

/// The variants compared: those of the same name, or the single variant of each side.
fn matched<'a>(
    base: &'a [LmVariantSummary],
    other: &'a [LmVariantSummary],
) -> Vec<(&'a LmVariantSummary, &'a LmVariantSummary)> {
    let same: Vec<_> = base
        .iter()
        .filter_map(|b| Some((b, other.iter().find(|o| o.name == b.name)?)))
        .collect();
    match (same.is_empty(), base, other) {
        (true, [b], [o]) => vec![(b, o)],
        _ => same,
    }
}
