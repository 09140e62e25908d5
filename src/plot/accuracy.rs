//! Test accuracy per epoch for every variant; with several seeds, the mean and a one-std band.

use std::path::Path;

use plotters::prelude::*;

use super::{
    DrawResult,
    curves::{band, seed_count},
    style::{FAMILY, LABEL_SIZE, TICK_SIZE, TITLE_SIZE, band_polygon, legend, variant_color},
};
use crate::store::RunRecord;

pub fn draw(path: &Path, record: &RunRecord) -> DrawResult {
    let root = BitMapBackend::new(path, (1000, 650)).into_drawing_area();
    root.fill(&WHITE)?;
    let seeds = seed_count(record);
    let epochs = record.experiment.train.epochs as f64;
    let title = if seeds > 1 {
        format!(
            "Test accuracy ({}, mean ± 1 std over {seeds} seeds)",
            record.experiment.name
        )
    } else {
        format!("Test accuracy ({})", record.experiment.name)
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FAMILY, TITLE_SIZE))
        .margin(15)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..epochs * 1.02, 0.3..1.02)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc("test accuracy")
        .axis_desc_style((FAMILY, LABEL_SIZE))
        .label_style((FAMILY, TICK_SIZE))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{:.0}%", 100.0 * v))
        .draw()?;
    for (i, summary) in record.summary.variants.iter().enumerate() {
        let color = variant_color(i);
        let curve = band(record, &summary.name, |m| m.test_accuracy);
        if seeds > 1 && !curve.is_empty() {
            let upper = curve.iter().map(|&(e, _, _, hi)| (e, hi.min(1.0)));
            let lower = curve.iter().rev().map(|&(e, _, lo, _)| (e, lo));
            chart.draw_series([band_polygon(upper, lower, color)])?;
        }
        let label = match summary.test_accuracy {
            Some(a) => format!("{} (final {:.1}%)", summary.name, 100.0 * a),
            None => format!("{} (diverged)", summary.name),
        };
        chart
            .draw_series(LineSeries::new(
                curve.iter().map(|&(e, m, _, _)| (e, m)),
                color.stroke_width(2),
            ))?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
            });
    }
    legend(&mut chart, SeriesLabelPosition::LowerRight, LABEL_SIZE)?;
    root.present()?;
    Ok(())
}
