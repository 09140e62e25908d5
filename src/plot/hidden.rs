//! Figure 5: the test set in hidden space, units 1 vs 2 of each hidden layer, one row per variant.

use std::path::Path;

use plotters::prelude::*;

use super::{
    DrawResult,
    style::{CLASS_COLORS, FAMILY, LABEL_SIZE, TICK_SIZE, TITLE_SIZE, legend, padded_range},
};
use crate::{data::Split, store::RunRecord};

pub fn draw(path: &Path, record: &RunRecord, split: &Split) -> DrawResult {
    let rows = record.analyses.len().max(1);
    let names = record.layer_names();
    let cols = names.len().max(1);
    let root = BitMapBackend::new(path, (560 * cols as u32, 520 * rows as u32)).into_drawing_area();
    root.fill(&WHITE)?;
    let panels = root.split_evenly((rows, cols));
    for (r, entry) in record.analyses.iter().enumerate() {
        let Some(analysis) = &entry.analysis else {
            continue;
        };
        for (scatter, std) in analysis.hidden_scatter.iter().zip(&analysis.hidden_std) {
            let Some(panel) = panels.get(r * cols + scatter.layer) else {
                continue;
            };
            let (x0, x1) = padded_range(scatter.x.iter().copied(), 0.08);
            let (y0, y1) = padded_range(scatter.y.iter().copied(), 0.08);
            let mut chart = ChartBuilder::on(panel)
                .caption(
                    format!(
                        "{}, {}: std {std:.4}",
                        entry.variant,
                        names.get(scatter.layer).map_or("?", String::as_str)
                    ),
                    (FAMILY, TITLE_SIZE - 2),
                )
                .margin(12)
                .x_label_area_size(45)
                .y_label_area_size(60)
                .build_cartesian_2d(x0..x1, y0..y1)?;
            chart
                .configure_mesh()
                .x_desc(format!("unit {}", scatter.units[0] + 1))
                .y_desc(format!("unit {}", scatter.units[1] + 1))
                .axis_desc_style((FAMILY, LABEL_SIZE))
                .label_style((FAMILY, TICK_SIZE))
                .x_label_formatter(&|v| format!("{v:.2}"))
                .y_label_formatter(&|v| format!("{v:.2}"))
                .draw()?;
            for class in 0..2u8 {
                let color = CLASS_COLORS[class as usize];
                let points = scatter
                    .x
                    .iter()
                    .zip(&scatter.y)
                    .zip(&split.test.y)
                    .filter(|(_, y)| **y == class);
                chart
                    .draw_series(
                        points.map(|((&x, &y), _)| Circle::new((x, y), 5, color.mix(0.8).filled())),
                    )?
                    .label(format!("class {class}"))
                    .legend(move |(x, y)| Circle::new((x, y), 5, color.filled()));
            }
            legend(&mut chart, SeriesLabelPosition::UpperLeft, TICK_SIZE)?;
        }
    }
    root.present()?;
    Ok(())
}
