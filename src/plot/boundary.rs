//! Figure 3: each variant's `P(class 1)` over the plane (50 bands), its 0.5 contour and the test set.

use std::path::Path;

use plotters::prelude::*;

use super::{
    DrawResult,
    style::{CLASS_COLORS, FAMILY, LABEL_SIZE, TICK_SIZE, TITLE_SIZE, legend, probability_color},
};
use crate::{data::Split, store::RunRecord};

/// Number of colour bands, as the article's `contourf(..., levels=50)`.
const LEVELS: usize = 50;

pub fn draw(path: &Path, record: &RunRecord, split: &Split) -> DrawResult {
    let n = record.analyses.len().max(1);
    let root = BitMapBackend::new(path, (720 * n as u32, 720)).into_drawing_area();
    root.fill(&WHITE)?;
    for (panel, (entry, summary)) in root
        .split_evenly((1, n))
        .iter()
        .zip(record.analyses.iter().zip(&record.summary.variants))
    {
        let Some(analysis) = &entry.analysis else {
            panel.titled(
                &format!("{}: diverged, no boundary", entry.variant),
                (FAMILY, TITLE_SIZE),
            )?;
            continue;
        };
        let Some(grid) = &analysis.grid else {
            continue;
        };
        let (Some(&x0), Some(&x1), Some(&y0), Some(&y1)) = (
            grid.xs.first(),
            grid.xs.last(),
            grid.ys.first(),
            grid.ys.last(),
        ) else {
            continue;
        };
        let accuracy = summary
            .test_accuracy
            .map_or("n/a".into(), |a| format!("{:.1}%", 100.0 * a));
        let mut chart = ChartBuilder::on(panel)
            .caption(
                format!("{}: test accuracy {accuracy}", entry.variant),
                (FAMILY, TITLE_SIZE),
            )
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(60)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("x₁")
            .y_desc("x₂")
            .axis_desc_style((FAMILY, LABEL_SIZE))
            .label_style((FAMILY, TICK_SIZE))
            .draw()?;
        let (hx, hy) = (
            grid.xs.get(1).map_or(1.0, |x| x - x0) / 2.0,
            grid.ys.get(1).map_or(1.0, |y| y - y0) / 2.0,
        );
        let nx = grid.xs.len();
        chart.draw_series(grid.prob.iter().enumerate().map(|(idx, &p)| {
            let (x, y) = (grid.xs[idx % nx], grid.ys[idx / nx]);
            Rectangle::new(
                [(x - hx, y - hy), (x + hx, y + hy)],
                probability_color(p, LEVELS).filled(),
            )
        }))?;
        chart
            .draw_series(
                grid.contour(0.5)
                    .into_iter()
                    .map(|s| PathElement::new(s.to_vec(), BLACK.stroke_width(3))),
            )?
            .label("P(class 1) = 0.5")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], BLACK.stroke_width(3)));
        for class in 0..2u8 {
            let color = CLASS_COLORS[class as usize];
            chart
                .draw_series(
                    split
                        .test
                        .points()
                        .zip(&split.test.y)
                        .filter(|(_, y)| **y == class)
                        .map(|(p, _)| {
                            EmptyElement::at((p[0], p[1]))
                                + Circle::new((0, 0), 6, color.filled())
                                + Circle::new((0, 0), 6, WHITE.stroke_width(1))
                        }),
                )?
                .label(format!("test, class {class}"))
                .legend(move |(x, y)| Circle::new((x, y), 6, color.filled()));
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight, TICK_SIZE)?;
    }
    root.present()?;
    Ok(())
}
