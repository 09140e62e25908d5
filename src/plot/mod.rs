//! Figures, drawn with plotters into PNG files with an embedded font (the machine may have none).
//!
//! Every figure is a function of a [`RunRecord`] (and the data set its config regenerates), so
//! `actlab analyze` redraws them all without training.

mod accuracy;
mod boundary;
pub mod classes;
mod curves;
mod dataset;
mod figure;
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
    store::{RunRecord, StoreError, SweepRecord, write_figure},
};

pub use figure::{LayerFigure, RunFigure, SweepFigure, TheoryFigure};
pub use style::{CLASS_COLORS, register_fonts, variant_color};

/// Which of [`RunFigure::ALL`] a run has: the data set, the decision boundaries and the
/// signal trace need points in the plane.
pub fn figures(record: &RunRecord, split: &Split) -> Vec<RunFigure> {
    let planar = split.is_planar();
    let analysed = |has: fn(&crate::analysis::ArticleAnalysis) -> bool| {
        record
            .analyses
            .iter()
            .any(|a| a.analysis.as_ref().is_some_and(has))
    };
    let traced = analysed(|a| !a.signal_trace.is_empty());
    let gridded = analysed(|a| a.grid.is_some());
    let classified = analysed(|a| !a.classes.confusion.is_empty());
    RunFigure::ALL
        .iter()
        .copied()
        .filter(|figure| match figure {
            RunFigure::Dataset => planar,
            RunFigure::DecisionBoundary => planar && gridded,
            RunFigure::SignalTrace => traced,
            RunFigure::Confusion | RunFigure::Samples | RunFigure::Mistakes => {
                !planar && classified
            }
            RunFigure::Loss | RunFigure::Accuracy | RunFigure::HiddenSpace => true,
        })
        .collect()
}

/// Whether a run gets the per-layer figures: they follow statistics over training, so they
/// need two probes or more.
pub fn has_layer_figures(record: &RunRecord) -> bool {
    let probe_epochs: std::collections::BTreeSet<usize> =
        record.layer_stats.iter().map(|r| r.epoch).collect();
    probe_epochs.len() > 1
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Draws every figure of the run into its folder, each written whole or not at all.
pub fn draw_all(record: &RunRecord, split: &Split) -> Result<(), StoreError> {
    style::register_fonts();
    let dir = &record.dir;
    for figure in figures(record, split) {
        let path = dir.join(figure.file());
        match figure {
            RunFigure::Dataset => write_figure(&path, |p| dataset::draw(p, split))?,
            RunFigure::Loss => write_figure(&path, |p| loss::draw(p, record))?,
            RunFigure::Accuracy => write_figure(&path, |p| accuracy::draw(p, record))?,
            RunFigure::DecisionBoundary => {
                write_figure(&path, |p| boundary::draw(p, record, split))?
            }
            RunFigure::SignalTrace => write_figure(&path, |p| trace::draw(p, record))?,
            RunFigure::HiddenSpace => write_figure(&path, |p| hidden::draw(p, record, split))?,
            RunFigure::Confusion => write_figure(&path, |p| classes::draw(p, record))?,
            RunFigure::Samples | RunFigure::Mistakes => {
                let Some((name, report)) = record
                    .analyses
                    .iter()
                    .find_map(|a| Some((&a.variant, &a.analysis.as_ref()?.classes)))
                else {
                    continue;
                };
                let (shown, title) = if figure == RunFigure::Samples {
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
        }
    }
    if let Some(panels) = theory::lengths(record, split) {
        write_figure(&dir.join(TheoryFigure::SignalDepth.file()), |p| {
            theory::draw(p, &panels)
        })?;
    }
    if has_layer_figures(record) {
        for &figure in LayerFigure::ALL {
            let path = dir.join(figure.file());
            match figure {
                LayerFigure::Activity => write_figure(&path, |p| layers::activity(p, record))?,
                LayerFigure::Histograms => write_figure(&path, |p| layers::histograms(p, record))?,
                LayerFigure::Gradients => write_figure(&path, |p| layers::gradients(p, record))?,
                LayerFigure::Saturation => write_figure(&path, |p| layers::saturation(p, record))?,
                LayerFigure::Geometry => write_figure(&path, |p| layers::geometry(p, record))?,
            }
        }
    }
    Ok(())
}

/// Draws a sweep's figures into its folder: the heatmap, and the trainability map where the
/// grid spans weight variance and depth.
pub fn draw_sweep(record: &SweepRecord) -> Result<(), StoreError> {
    style::register_fonts();
    for &figure in SweepFigure::ALL {
        let path = record.dir.join(figure.file());
        match figure {
            SweepFigure::Heatmap => write_figure(&path, |p| heatmap::draw(p, record))?,
            SweepFigure::Trainability => {
                if let Some(map) = trainability::map(record) {
                    write_figure(&path, |p| trainability::draw(p, &map))?
                }
            }
        }
    }
    Ok(())
}
