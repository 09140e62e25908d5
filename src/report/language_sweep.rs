//! `report.md`, `sweep.csv` and figures of a language-model sweep, rebuilt from its point
//! folders alone: every point's final validation loss over seeds, each point paired by seed
//! against the first, a source's ordering beside the measured one (`[published]`, drawn up in
//! `language_published.rs`), and the feed-forward sparsity beside published figures.

use std::path::Path;

use super::{
    language::{blocks_section, loss, mean_cell, paired, paired_lines, question_lines},
    language_factorial::block_mean,
    language_published::{Ordering, ordering, published_section},
};
use crate::{
    config::language::{LmExperiment, LmPublished},
    store::{
        StoreError,
        language::{
            LM_SWEEP_COLUMNS, LmPoint, LmRecord, LmSweepMeta, LmSweepRow, LmVariantSummary,
            is_language_run,
        },
        read_json, write_figure, write_rows, write_text,
    },
};

/// A finished point: its id, settings as written, the name the sweep's pages give it, and its
/// run record.
struct Point {
    id: usize,
    settings: String,
    label: String,
    record: LmRecord,
}

/// The short name of a point: its `[sweep.labels]` (or values, unquoted), joined.
fn point_label(experiment: Option<&LmExperiment>, point: &LmPoint) -> String {
    point
        .settings
        .iter()
        .map(|(key, value)| {
            experiment
                .and_then(|e| e.sweep.as_ref())
                .and_then(|s| s.label(key, value))
                .map_or_else(|| value.trim_matches('"').to_string(), String::from)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The name of one variant of a point: the point's label, and the variant's name when the
/// point has several.
fn entry_name(point: &Point, variant: &LmVariantSummary) -> String {
    if point.record.summary.variants.len() > 1 {
        format!("{} / {}", point.label, variant.name)
    } else {
        point.label.clone()
    }
}

/// Every point's variants as one record, each variant renamed to its entry name, so that the
/// run figures draw the whole sweep.
fn combined(points: &[Point]) -> Option<LmRecord> {
    let first = points.first()?;
    let mut record = LmRecord {
        dir: first.record.dir.clone(),
        config: first.record.config.clone(),
        summary: first.record.summary.clone(),
        results: Vec::new(),
        metrics: Vec::new(),
        layer_stats: Vec::new(),
    };
    record.summary.variants.clear();
    for p in points {
        for v in &p.record.summary.variants {
            let name = entry_name(p, v);
            record.summary.variants.push(LmVariantSummary {
                name: name.clone(),
                ..v.clone()
            });
            record
                .metrics
                .extend(
                    p.record
                        .metrics
                        .iter()
                        .filter(|m| m.variant == v.name)
                        .map(|m| crate::store::language::LmMetricRow {
                            variant: name.clone(),
                            ..m.clone()
                        }),
                );
            record
                .results
                .extend(
                    p.record
                        .results
                        .iter()
                        .filter(|r| r.variant == v.name)
                        .map(|r| crate::store::language::JobResult {
                            variant: name.clone(),
                            ..r.clone()
                        }),
                );
            record.layer_stats.extend(
                p.record
                    .layer_stats
                    .iter()
                    .filter(|r| r.variant == v.name)
                    .map(|r| crate::analysis::probe::StatRow {
                        variant: name.clone(),
                        ..r.clone()
                    }),
            );
        }
    }
    Some(record)
}

/// A language-model sweep folder read back: its meta, experiment, finished points and the
/// unfinished ones this shard owns.
struct Loaded {
    meta: LmSweepMeta,
    experiment: Option<LmExperiment>,
    points: Vec<Point>,
    missing: Vec<String>,
}

fn load(dir: &Path) -> Result<Loaded, StoreError> {
    let meta: LmSweepMeta = read_json(&dir.join(LmSweepMeta::FILE))?;
    let text =
        std::fs::read_to_string(dir.join("experiment.toml")).map_err(|e| StoreError::Read {
            path: dir.join("experiment.toml"),
            message: e.to_string(),
        })?;
    let experiment: Option<LmExperiment> = toml::from_str(&text).ok();
    let mut points = Vec::new();
    let mut missing = Vec::new();
    for id in 0..meta.points {
        let folder = LmSweepMeta::point_dir(dir, id);
        if !is_language_run(&folder) {
            if meta.shard.owns(id) {
                missing.push(id.to_string());
            }
            continue;
        }
        let settings: LmPoint = read_json(&folder.join("point.json"))?;
        points.push(Point {
            id,
            settings: settings
                .settings
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; "),
            label: point_label(experiment.as_ref(), &settings),
            record: LmRecord::load(&folder)?,
        });
    }
    Ok(Loaded {
        meta,
        experiment,
        points,
        missing,
    })
}

/// Every point's variants under their entry names, in point order.
fn entries(points: &[Point]) -> Vec<(String, &LmVariantSummary)> {
    points
        .iter()
        .flat_map(|p| {
            p.record
                .summary
                .variants
                .iter()
                .map(move |v| (entry_name(p, v), v))
        })
        .collect()
}

/// What a language-model sweep found, as `actlab verify` reads it: the agreement with the
/// experiment's `[published]` ordering, and each feed-forward unit's share of nonzero
/// activations (mean over blocks) at the last probed step.
pub struct LmSweepFindings {
    pub ordering: Option<Ordering>,
    /// `(activation, nonzero share)` of each probed variant.
    pub nonzero: Vec<(String, f64)>,
    /// The finished points, and all the sweep has.
    pub finished: usize,
    pub points: usize,
}

pub fn findings(dir: &Path) -> Result<LmSweepFindings, StoreError> {
    let loaded = load(dir)?;
    let published = loaded
        .experiment
        .as_ref()
        .and_then(|e| e.published.as_ref());
    let ordering = published.map(|p| ordering(p, &entries(&loaded.points)));
    let mut nonzero = Vec::new();
    if let Some(record) = combined(&loaded.points)
        && let Some(&last) = record
            .layer_stats
            .iter()
            .map(|r| r.epoch)
            .collect::<Vec<_>>()
            .iter()
            .max()
    {
        for v in &record.summary.variants {
            if let Some(z) = block_mean(&record, &v.name, last, "a", "zero_fraction") {
                nonzero.push((v.activation.clone(), 1.0 - z));
            }
        }
    }
    Ok(LmSweepFindings {
        ordering,
        nonzero,
        finished: loaded.points.len(),
        points: loaded.meta.points,
    })
}

/// Re-creates a language-model sweep's `sweep.csv`, `report.md` and figures from its point
/// folders.
pub fn rebuild_sweep(dir: &Path) -> Result<(), StoreError> {
    let Loaded {
        meta,
        experiment,
        points,
        missing,
    } = load(dir)?;
    write_rows(
        &dir.join("sweep.csv"),
        &LM_SWEEP_COLUMNS,
        &sweep_rows(&points),
    )?;
    let combined = combined(&points);
    if let Some(record) = &combined {
        crate::plot::register_fonts();
        write_figure(&dir.join("loss.png"), |p| {
            crate::plot::language::draw(p, record)
        })?;
        if !record.layer_stats.is_empty() {
            for figure in &crate::plot::language::BLOCK_FIGURES {
                write_figure(&dir.join(figure.file), |p| {
                    crate::plot::language::draw_blocks(p, record, figure)
                })?;
            }
        }
    }
    let lines = render(
        &meta,
        experiment.as_ref(),
        &points,
        combined.as_ref(),
        &missing,
    );
    write_text(&dir.join("report.md"), &lines.join("\n"))?;
    super::write_tensorboard(dir).map(|_| ())
}

fn sweep_rows(points: &[Point]) -> Vec<LmSweepRow> {
    points
        .iter()
        .flat_map(|p| {
            p.record.results.iter().map(|r| LmSweepRow {
                point: p.id,
                settings: p.settings.clone(),
                variant: r.variant.clone(),
                activation: r.activation.clone(),
                parameters: r.parameters,
                seed: r.seed,
                final_val_loss: r.final_val_loss(),
                final_train_loss: r
                    .history
                    .evaluations
                    .last()
                    .map(|e| e.train_loss)
                    .filter(|_| !r.history.diverged),
            })
        })
        .collect()
}

fn render(
    meta: &LmSweepMeta,
    experiment: Option<&LmExperiment>,
    points: &[Point],
    combined: Option<&LmRecord>,
    missing: &[String],
) -> Vec<String> {
    let mut lines = vec![format!("# {} (sweep)", meta.experiment), String::new()];
    if let Some(e) = experiment {
        lines.extend(question_lines(e));
    }
    lines.push(format!(
        "{} points over {}; this folder holds shard {}/{}. Each point is a language-model run in `points/<id>/` with its own report, figures and samples.",
        meta.points,
        meta.keys.join(", "),
        meta.shard.index,
        meta.shard.count
    ));
    lines.push(String::new());
    let published = experiment.and_then(|e| e.published.as_ref());
    lines.extend(results_table(points, published));
    if !missing.is_empty() {
        lines.push(format!(
            "Unfinished points: {} (`actlab resume` finishes them).",
            missing.join(", ")
        ));
        lines.push(String::new());
    }
    let entries = entries(points);
    if let Some(((base_name, base), others)) = entries.split_first() {
        let compared = paired(base, others);
        lines.extend(paired_lines(base_name, &compared));
        if let Some(p) = published {
            lines.extend(published_section(p, base_name, base, &compared, &entries));
        }
    }
    if combined.is_some() {
        lines.push("## Loss curves".into());
        lines.push(String::new());
        lines.push("![loss](loss.png)".into());
        lines.push(String::new());
    }
    if let Some(record) = combined.filter(|r| !r.layer_stats.is_empty()) {
        lines.extend(sparsity_section(record, published));
        lines.extend(blocks_section(record));
    }
    lines
}

fn results_table(points: &[Point], published: Option<&LmPublished>) -> Vec<String> {
    let mut lines = vec![
        format!(
            "| point | settings | variant | feed-forward | parameters | final validation loss (mean [95% CI]) | per seed |{}",
            published.map_or(String::new(), |_| " published |".into())
        ),
        format!(
            "|---|---|---|---|---|---|---|{}",
            published.map_or("", |_| "---|")
        ),
    ];
    for p in points {
        for v in &p.record.summary.variants {
            let per_seed: Vec<String> = v.final_val_loss.iter().map(|l| loss(*l)).collect();
            let source = published.map_or(String::new(), |s| {
                format!(
                    " {} |",
                    s.values
                        .get(&v.activation)
                        .map_or("n/a".into(), |x| format!("{x:.3}"))
                )
            });
            lines.push(format!(
                "| [{id}](points/{id}/report.md) | {} | {} | {} | {} | {} | {} |{source}",
                p.settings.replace('|', "\\|"),
                v.name,
                v.activation,
                v.parameters,
                mean_cell(v),
                per_seed.join(", "),
                id = p.id,
            ));
        }
    }
    lines.push(String::new());
    if let Some(s) = published {
        lines.push(format!("Published: {}; {}.", s.metric, s.source));
        lines.push(String::new());
    }
    lines
}

/// Exact and near zeros of every unit at the first and last probed steps, then the published
/// sparsity figures beside this sweep's.
fn sparsity_section(record: &LmRecord, published: Option<&LmPublished>) -> Vec<String> {
    let steps: Vec<usize> = record.layer_stats.iter().map(|r| r.epoch).collect();
    let (Some(&first), Some(&last)) = (steps.iter().min(), steps.iter().max()) else {
        return Vec::new();
    };
    let percent = |v: Option<f64>| v.map_or("n/a".into(), |v| format!("{:.1}%", 100.0 * v));
    let mut lines = vec![
        "## Sparsity of the feed-forward activation".into(),
        String::new(),
        format!(
            "Mean over blocks, on the probe windows of each unit's first seed, at step {first} and at step {last}: exact zeros, near zeros (|a| below 1e-3 of the block's largest) and units never active. Per block and over training: `layer_sparsity.png` and `layer_near_zero.png`."
        ),
        String::new(),
        format!(
            "| feed-forward | zeros, step {first} | zeros, step {last} | near zeros, step {first} | near zeros, step {last} | dead units, step {last} |"
        ),
        "|---|---|---|---|---|---|".into(),
    ];
    for v in &record.summary.variants {
        let at = |step, statistic| block_mean(record, &v.name, step, "a", statistic);
        lines.push(format!(
            "| {} | {} | {} | {} | {} | {} |",
            v.name,
            percent(at(first, "zero_fraction")),
            percent(at(last, "zero_fraction")),
            percent(at(first, "near_zero_fraction")),
            percent(at(last, "near_zero_fraction")),
            percent(at(last, "dead_fraction")),
        ));
    }
    lines.push(String::new());
    let Some(p) = published.filter(|p| !p.sparsity.is_empty()) else {
        return lines;
    };
    lines.push("Published figures beside this sweep's (nonzero: 1 − exact zeros, mean over blocks, at the last probed step):".into());
    lines.push(String::new());
    lines.push("| source | model | feed-forward | published nonzero | nonzero here |".into());
    lines.push("|---|---|---|---|---|".into());
    for s in &p.sparsity {
        let here = record
            .summary
            .variants
            .iter()
            .find(|v| v.activation == s.activation)
            .and_then(|v| block_mean(record, &v.name, last, "a", "zero_fraction"))
            .map(|z| 1.0 - z);
        lines.push(format!(
            "| {} | {} | {} | {}{} | {} |",
            s.source,
            s.model,
            s.activation,
            if s.at_most { "at most " } else { "" },
            percent(Some(s.nonzero)),
            percent(here)
        ));
    }
    lines.push(String::new());
    lines
}
