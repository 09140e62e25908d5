//! A sweep's page: `sweep.csv`, the heatmap and `report.md`, rebuilt from its `points/` alone,
//! one file per section.

mod best;
mod comparisons;
mod layer_signal;
mod published;
mod rescue;
mod trainability;

use std::path::Path;

use super::page::Page;
use crate::{
    analysis::stats::Stat,
    plot::{self, SweepFigure},
    store::{PointResult, StoreError, SweepRecord, VariantSummary, plain, sweep_csv, write_text},
};

/// Rewrites `sweep.csv` in point order, the sweep's figures, `report.md` and `tensorboard/`
/// from `points/`.
pub fn rebuild_sweep(dir: &Path) -> Result<(), StoreError> {
    let record = SweepRecord::load(dir)?;
    if record.experiment.sweep.is_none() {
        return Err(StoreError::Read {
            path: dir.join("config.toml"),
            message: "the folder holds sweep.json, but its config.toml has no [sweep] section"
                .into(),
        });
    }
    write_text(&dir.join("sweep.csv"), &sweep_csv(&record))?;
    plot::draw_sweep(&record)?;
    write_text(&dir.join("report.md"), &render(&record))?;
    super::write_tensorboard(dir)?;
    Ok(())
}

fn render(record: &SweepRecord) -> String {
    let e = &record.experiment;
    let mut page = Page::new(&format!("{} (sweep)", e.name));
    page.paragraph(&format!("**Question.** {}", e.question.trim()));
    if !e.expected.trim().is_empty() {
        page.paragraph(&format!(
            "**Expected.** {}",
            e.expected.trim().replace('\n', " ")
        ));
    }
    let Some(sweep) = e.sweep.as_ref() else {
        page.paragraph("This folder's experiment has no `[sweep]` section.");
        return page.finish();
    };
    page.paragraph(&grid_line(record, sweep));
    if let (Some(t), Some(r)) = (&sweep.target, &sweep.reference) {
        rescue::render(&mut page, record, t, r);
    }
    best::render(&mut page, record);
    if let Some(map) = plot::trainability::map(record) {
        trainability::render(&mut page, &map);
    }
    if let Some(published) = &sweep.published {
        published::render(&mut page, record, published);
    }
    if sweep.target.is_none() {
        comparisons::render(&mut page, record);
    }
    layer_signal::render(&mut page, record);
    page.heading(2, "Heatmap")
        .figure("heatmap", SweepFigure::Heatmap.file())
        .paragraph("Each cell: the best mean test accuracy over the other swept keys.")
        .paragraph(
            "Files: `sweep.csv` (one row per point and variant), `points/*.json` (each point's full summary), `config.toml`, `sweep.json`. Rebuild with `actlab analyze <this folder>`.",
        );
    page.finish()
}

/// What was swept and how much of it has finished.
fn grid_line(record: &SweepRecord, sweep: &crate::config::SweepConfig) -> String {
    let e = &record.experiment;
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
    let shard = &record.meta.shard;
    format!(
        "Grid: {} ({} points); each point trains {} variants x {} seeds for the experiment's settings otherwise. Finished: {} of {} points{}.",
        grid.join("; "),
        record.meta.points,
        e.variants.len(),
        e.train.seeds,
        record.points.len(),
        record.meta.points,
        if shard.count > 1 {
            format!(" (shard {}/{})", shard.index, shard.count)
        } else {
            String::new()
        }
    )
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
