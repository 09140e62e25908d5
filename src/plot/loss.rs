//! Figure 2: training loss per epoch for every variant, log scale, with final values; with
//! several seeds, the mean and a one-std band.

use std::path::Path;

use plotters::{
    prelude::*,
    style::text_anchor::{HPos, Pos, VPos},
};

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
    let curves: Vec<_> = record
        .summary
        .variants
        .iter()
        .map(|v| band(record, &v.name, |m| m.train_loss))
        .collect();
    let values = curves
        .iter()
        .flatten()
        .flat_map(|&(_, m, lo, hi)| [m, lo, hi])
        .filter(|l| *l > 0.0 && l.is_finite());
    let (lo, hi) = values.fold((f64::INFINITY, 0.0f64), |(lo, hi), l| {
        (lo.min(l), hi.max(l))
    });
    let (lo, hi) = if lo.is_finite() {
        (lo * 0.7, hi * 1.3)
    } else {
        (1e-3, 1.0)
    };
    let epochs = record.experiment.train.epochs as f64;
    let title = if seeds > 1 {
        format!(
            "Training loss ({}, mean ± 1 std over {seeds} seeds)",
            record.experiment.name
        )
    } else {
        format!("Training loss ({})", record.experiment.name)
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FAMILY, TITLE_SIZE))
        .margin(15)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..epochs * 1.02, (lo..hi).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc("binary cross-entropy (mean of batch losses, log scale)")
        .axis_desc_style((FAMILY, LABEL_SIZE))
        .label_style((FAMILY, TICK_SIZE))
        .y_labels(15)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.3}"))
        .draw()?;
    for (i, (curve, summary)) in curves.iter().zip(&record.summary.variants).enumerate() {
        let color = variant_color(i);
        if seeds > 1 && !curve.is_empty() {
            let upper = curve.iter().map(|&(e, _, _, hi)| (e, hi));
            let lower = curve
                .iter()
                .rev()
                .map(|&(e, _, lo, _)| (e, lo.max(f64::MIN_POSITIVE)));
            chart.draw_series([band_polygon(upper, lower, color)])?;
        }
        let last = curve.last().map(|c| c.1);
        let label = match (last, summary.diverged, summary.diverged_at_epoch) {
            (_, _, Some(epoch)) => format!("{} (diverged at epoch {epoch})", summary.name),
            (_, true, None) => format!("{} (all seeds diverged)", summary.name),
            (Some(l), false, None) => format!("{} (final {l:.4})", summary.name),
            (None, false, None) => summary.name.clone(),
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
        if let Some(&(x, y, _, _)) = curve.last() {
            chart.draw_series([Circle::new((x, y), 5, color.filled())])?;
            let style = (FAMILY, TICK_SIZE)
                .into_font()
                .color(&color)
                .pos(Pos::new(HPos::Right, VPos::Bottom));
            chart.draw_series([Text::new(format!("{y:.4}"), (x, y * 1.08), style)])?;
        }
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight, LABEL_SIZE)?;
    root.present()?;
    Ok(())
}
