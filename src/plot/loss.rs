//! Figure 2: training loss per epoch for every variant, log scale, with final values.

use std::path::Path;

use plotters::{
    prelude::*,
    style::text_anchor::{HPos, Pos, VPos},
};

use super::{
    DrawResult,
    style::{FAMILY, LABEL_SIZE, TICK_SIZE, TITLE_SIZE, variant_color},
};
use crate::run::RunRecord;

pub fn draw(path: &Path, record: &RunRecord) -> DrawResult {
    let root = BitMapBackend::new(path, (1000, 650)).into_drawing_area();
    root.fill(&WHITE)?;
    let curves: Vec<(String, Vec<(f64, f64)>)> = record
        .summary
        .variants
        .iter()
        .map(|v| {
            (
                v.name.clone(),
                v.train_loss
                    .iter()
                    .enumerate()
                    .map(|(i, &l)| ((i + 1) as f64, l))
                    .collect(),
            )
        })
        .collect();
    let losses = curves
        .iter()
        .flat_map(|(_, c)| c.iter().map(|p| p.1))
        .filter(|l| *l > 0.0);
    let (lo, hi) = losses.fold((f64::INFINITY, 0.0f64), |(lo, hi), l| {
        (lo.min(l), hi.max(l))
    });
    let (lo, hi) = if lo.is_finite() {
        (lo * 0.7, hi * 1.3)
    } else {
        (1e-3, 1.0)
    };
    let epochs = record.experiment.train.epochs as f64;

    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("Training loss ({})", record.experiment.name),
            (FAMILY, TITLE_SIZE),
        )
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
    for (i, ((name, curve), summary)) in curves.iter().zip(&record.summary.variants).enumerate() {
        let color = variant_color(i);
        let label = match (curve.last(), summary.diverged_at_epoch) {
            (_, Some(epoch)) => format!("{name} (diverged at epoch {epoch})"),
            (Some(&(_, last)), None) => format!("{name} (final {last:.4})"),
            (None, None) => name.clone(),
        };
        chart
            .draw_series(LineSeries::new(
                curve.iter().copied(),
                color.stroke_width(2),
            ))?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
            });
        if let Some(&(x, y)) = curve.last() {
            chart.draw_series([Circle::new((x, y), 5, color.filled())])?;
            let style = (FAMILY, TICK_SIZE)
                .into_font()
                .color(&color)
                .pos(Pos::new(HPos::Right, VPos::Bottom));
            chart.draw_series([Text::new(format!("{y:.4}"), (x, y * 1.08), style)])?;
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FAMILY, LABEL_SIZE))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
