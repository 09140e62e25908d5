//! Figures, drawn with plotters into PNG files with an embedded font (the machine may have none).
//!
//! Every figure is a function of a [`RunRecord`] (and the data set its config regenerates), so
//! `actlab analyze` redraws them all without training.

mod accuracy;
mod boundary;
pub mod classes;
mod curves;
mod dataset;
pub mod heatmap;
mod hidden;
pub mod language;
pub mod layers;
mod loss;
pub mod panels;
pub mod phase;
pub mod samples;
mod style;
pub mod theory;
mod trace;
pub mod trainability;

use crate::{
    data::Split,
    store::{RunRecord, StoreError, write_figure},
};

pub use style::{CLASS_COLORS, register_fonts, variant_color};

/// The figures of a run, by file name: the article's five, test accuracy over training, and
/// for data that are not points in the plane the confusion matrices and sample predictions.
pub const FIGURES: [(&str, &str); 9] = [
    ("dataset.png", "The data set"),
    ("loss.png", "Training loss"),
    ("accuracy.png", "Test accuracy"),
    ("decision_boundary.png", "Decision boundaries"),
    ("signal_trace.png", "Signal trace"),
    ("hidden_space.png", "Hidden space"),
    ("confusion.png", "Confusion matrices"),
    ("samples.png", "Test samples and predictions"),
    ("mistakes.png", "The most confident mistakes"),
];

/// Which of [`FIGURES`] a run has: the data set, the decision boundaries and the signal trace
/// need points in the plane.
pub fn figures(record: &RunRecord, split: &Split) -> Vec<(&'static str, &'static str)> {
    let planar = split.is_planar();
    let traced = record.analyses.iter().any(|a| {
        a.analysis
            .as_ref()
            .is_some_and(|a| !a.signal_trace.is_empty())
    });
    let gridded = record
        .analyses
        .iter()
        .any(|a| a.analysis.as_ref().is_some_and(|a| a.grid.is_some()));
    let classified = record.analyses.iter().any(|a| {
        a.analysis
            .as_ref()
            .is_some_and(|a| !a.classes.confusion.is_empty())
    });
    FIGURES
        .into_iter()
        .filter(|(file, _)| match *file {
            "dataset.png" => planar,
            "decision_boundary.png" => planar && gridded,
            "signal_trace.png" => traced,
            "confusion.png" | "samples.png" | "mistakes.png" => !planar && classified,
            _ => true,
        })
        .collect()
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Draws every figure of the run into its folder, each written whole or not at all.
pub fn draw_all(record: &RunRecord, split: &Split) -> Result<(), StoreError> {
    style::register_fonts();
    let dir = &record.dir;
    for (file, _) in figures(record, split) {
        let path = dir.join(file);
        match file {
            "dataset.png" => write_figure(&path, |p| dataset::draw(p, split))?,
            "loss.png" => write_figure(&path, |p| loss::draw(p, record))?,
            "accuracy.png" => write_figure(&path, |p| accuracy::draw(p, record))?,
            "decision_boundary.png" => write_figure(&path, |p| boundary::draw(p, record, split))?,
            "signal_trace.png" => write_figure(&path, |p| trace::draw(p, record))?,
            "confusion.png" => write_figure(&path, |p| classes::draw(p, record))?,
            "samples.png" | "mistakes.png" => {
                let Some((name, report)) = record
                    .analyses
                    .iter()
                    .find_map(|a| Some((&a.variant, &a.analysis.as_ref()?.classes)))
                else {
                    continue;
                };
                let (shown, title) = if file == "samples.png" {
                    (
                        &report.samples,
                        format!("{name}: the first test samples, true -> predicted (confidence)"),
                    )
                } else {
                    (
                        &report.mistakes,
                        format!(
                            "{name}: the most confident mistakes, true -> predicted (confidence)"
                        ),
                    )
                };
                write_figure(&path, |p| {
                    samples::draw(p, &title, shown, &split.test, &split.shape)
                })?
            }
            _ => write_figure(&path, |p| hidden::draw(p, record, split))?,
        }
    }
    if let Some(panels) = theory::lengths(record, split) {
        write_figure(&dir.join("signal_depth.png"), |p| theory::draw(p, &panels))?;
    }
    // The per-layer figures follow statistics over training: they need two probes or more.
    let probe_epochs: std::collections::BTreeSet<usize> =
        record.layer_stats.iter().map(|r| r.epoch).collect();
    if probe_epochs.len() > 1 {
        for (file, _) in layers::LAYER_FIGURES {
            let path = dir.join(file);
            match file {
                "layer_activity.png" => write_figure(&path, |p| layers::activity(p, record))?,
                "layer_histograms.png" => write_figure(&path, |p| layers::histograms(p, record))?,
                "layer_gradients.png" => write_figure(&path, |p| layers::gradients(p, record))?,
                "layer_saturation.png" => write_figure(&path, |p| layers::saturation(p, record))?,
                _ => write_figure(&path, |p| layers::geometry(p, record))?,
            }
        }
    }
    Ok(())
}
