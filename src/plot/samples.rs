//! Test samples with their predictions: images as grey pixels, sequences as curves; a green
//! title when the prediction is right, red when it is wrong. Drawn for the first test samples
//! and for the most confident mistakes of each variant's first seed.

use std::path::Path;

use plotters::prelude::*;

use super::{
    DrawResult,
    style::{FAMILY, TICK_SIZE, TITLE_SIZE},
};
use crate::{analysis::classes::Prediction, data::Dataset};

/// Draws `shown` (predictions on `test`) in a grid; `shape` is one sample's shape.
pub fn draw(
    path: &Path,
    title: &str,
    shown: &[Prediction],
    test: &Dataset,
    shape: &[usize],
) -> DrawResult {
    let n = shown.len().max(1);
    let cols = n.min(8);
    let rows = n.div_ceil(cols);
    let root =
        BitMapBackend::new(path, (190 * cols as u32, 200 * rows as u32 + 50)).into_drawing_area();
    root.fill(&WHITE)?;
    let (top, body) = root.split_vertically(50);
    top.titled(title, (FAMILY, TITLE_SIZE - 4))?;
    let image = match shape {
        [_, h, w] | [h, w] if *h > 1 => Some((*h, *w)),
        _ => None,
    };
    for (area, p) in body.split_evenly((rows, cols)).iter().zip(shown) {
        let Some(row) = (p.index < test.len()).then(|| test.row(p.index)) else {
            continue;
        };
        let row = &*row;
        let right = p.label == p.predicted;
        let color = if right {
            RGBColor(0, 140, 60)
        } else {
            RGBColor(200, 30, 30)
        };
        let caption = format!(
            "#{} {} -> {} ({:.0}%)",
            p.index,
            p.label,
            p.predicted,
            100.0 * p.confidence
        );
        let (lo, hi) = row
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        let span = (hi - lo).max(1e-12);
        match image {
            Some((h, w)) => {
                let mut chart = ChartBuilder::on(area)
                    .caption(caption, (FAMILY, TICK_SIZE - 2).into_font().color(&color))
                    .margin(6)
                    .build_cartesian_2d(0..w, 0..h)?;
                chart.draw_series((0..h).flat_map(|y| {
                    (0..w).map(move |x| {
                        let v = ((row[y * w + x] - lo) / span * 255.0).round() as u8;
                        Rectangle::new(
                            [(x, h - 1 - y), (x + 1, h - y)],
                            RGBColor(255 - v, 255 - v, 255 - v).filled(),
                        )
                    })
                }))?;
            }
            None => {
                let mut chart = ChartBuilder::on(area)
                    .caption(caption, (FAMILY, TICK_SIZE - 2).into_font().color(&color))
                    .margin(6)
                    .build_cartesian_2d(0.0..row.len() as f64, lo..hi + 1e-12)?;
                chart.draw_series(LineSeries::new(
                    row.iter().enumerate().map(|(i, &v)| (i as f64, v)),
                    RGBColor(40, 40, 40).stroke_width(2),
                ))?;
            }
        }
    }
    root.present()?;
    Ok(())
}
