//! Figure 5: the test set in hidden space, one row per variant: units 1 vs 2 of each hidden
//! layer (the article's figure, points in the plane), or each layer's first two principal
//! components (data of any other shape).

use std::path::Path;

use plotters::prelude::*;

use super::{
    DrawResult,
    style::{FAMILY, LABEL_SIZE, TICK_SIZE, TITLE_SIZE, class_color, legend, padded_range},
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
        let projected = !analysis.projections.is_empty();
        let scatters: Vec<(usize, &[f64], &[f64], String, [String; 2])> = if projected {
            analysis
                .projections
                .iter()
                .map(|p| {
                    (
                        p.layer,
                        p.x.as_slice(),
                        p.y.as_slice(),
                        format!(
                            "PCA, {:.0}% + {:.0}% of the variance",
                            100.0 * p.explained[0],
                            100.0 * p.explained[1]
                        ),
                        [
                            "principal component 1".into(),
                            "principal component 2".into(),
                        ],
                    )
                })
                .collect()
        } else {
            analysis
                .hidden_scatter
                .iter()
                .zip(&analysis.hidden_std)
                .map(|(sc, std)| {
                    (
                        sc.layer,
                        sc.x.as_slice(),
                        sc.y.as_slice(),
                        format!("std {std:.4}"),
                        [
                            format!("unit {}", sc.units[0] + 1),
                            format!("unit {}", sc.units[1] + 1),
                        ],
                    )
                })
                .collect()
        };
        for (layer, xs, ys, note, axes) in scatters {
            let Some(panel) = panels.get(r * cols + layer) else {
                continue;
            };
            let (x0, x1) = padded_range(xs.iter().copied(), 0.08);
            let (y0, y1) = padded_range(ys.iter().copied(), 0.08);
            let mut chart = ChartBuilder::on(panel)
                .caption(
                    format!(
                        "{}, {}: {note}",
                        entry.variant,
                        names.get(layer).map_or("?", String::as_str)
                    ),
                    (FAMILY, TITLE_SIZE - 2),
                )
                .margin(12)
                .x_label_area_size(45)
                .y_label_area_size(60)
                .build_cartesian_2d(x0..x1, y0..y1)?;
            chart
                .configure_mesh()
                .x_desc(axes[0].clone())
                .y_desc(axes[1].clone())
                .axis_desc_style((FAMILY, LABEL_SIZE))
                .label_style((FAMILY, TICK_SIZE))
                .x_label_formatter(&|v| format!("{v:.2}"))
                .y_label_formatter(&|v| format!("{v:.2}"))
                .draw()?;
            for class in 0..split.classes.max(2) as u8 {
                let color = class_color(class, split.classes);
                let points = xs
                    .iter()
                    .zip(ys)
                    .zip(&split.test.y)
                    .filter(|(_, y)| **y == class);
                chart
                    .draw_series(
                        points.map(|((&x, &y), _)| Circle::new((x, y), 4, color.mix(0.7).filled())),
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
