//! Figures, drawn with plotters into PNG files with an embedded font (the machine may have none).
//!
//! Every figure is a function of a [`RunRecord`] (and the data set its config regenerates), so
//! `actlab analyze` redraws them all without training.

mod accuracy;
mod boundary;
mod curves;
mod dataset;
pub mod heatmap;
mod hidden;
pub mod layers;
mod loss;
mod style;
mod trace;

use std::path::{Path, PathBuf};

use crate::{
    data::Split,
    run::{RunError, RunRecord},
};

pub use style::{CLASS_COLORS, variant_color};

/// The figures of a run, by file name: the article's five and test accuracy over training.
pub const FIGURES: [(&str, &str); 6] = [
    ("dataset.png", "The data set"),
    ("loss.png", "Training loss"),
    ("accuracy.png", "Test accuracy"),
    ("decision_boundary.png", "Decision boundaries"),
    ("signal_trace.png", "Signal trace"),
    ("hidden_space.png", "Hidden space"),
];

type DrawResult = Result<(), Box<dyn std::error::Error>>;

fn draw(path: PathBuf, f: impl FnOnce(&Path) -> DrawResult) -> Result<(), RunError> {
    f(&path).map_err(|e| RunError::Plot {
        path,
        message: e.to_string(),
    })
}

/// Draws every figure of the run into its folder.
pub fn draw_all(record: &RunRecord, split: &Split) -> Result<(), RunError> {
    style::register_fonts();
    let dir = &record.dir;
    draw(dir.join("dataset.png"), |p| dataset::draw(p, split))?;
    draw(dir.join("loss.png"), |p| loss::draw(p, record))?;
    draw(dir.join("accuracy.png"), |p| accuracy::draw(p, record))?;
    draw(dir.join("decision_boundary.png"), |p| {
        boundary::draw(p, record, split)
    })?;
    draw(dir.join("signal_trace.png"), |p| trace::draw(p, record))?;
    draw(dir.join("hidden_space.png"), |p| {
        hidden::draw(p, record, split)
    })?;
    if !record.layer_stats.is_empty() {
        draw(dir.join("layer_activity.png"), |p| {
            layers::activity(p, record)
        })?;
        draw(dir.join("layer_histograms.png"), |p| {
            layers::histograms(p, record)
        })?;
        draw(dir.join("layer_gradients.png"), |p| {
            layers::gradients(p, record)
        })?;
        draw(dir.join("layer_saturation.png"), |p| {
            layers::saturation(p, record)
        })?;
        draw(dir.join("layer_geometry.png"), |p| {
            layers::geometry(p, record)
        })?;
    }
    Ok(())
}
