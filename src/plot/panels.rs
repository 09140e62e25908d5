//! A figure of side-by-side panels of labelled lines, for pages that overlay several runs
//! (`actlab compare`): the caller says what each line is, this file only draws.

use std::path::Path;

use plotters::{drawing::DrawingAreaErrorKind, prelude::*};

use super::{
    DrawResult,
    style::{FAMILY, LABEL_SIZE, TICK_SIZE, TITLE_SIZE, variant_color},
};

/// One line of a panel: `(x, y)` points, non-finite `y` left out (a gap).
#[derive(Clone, Debug)]
pub struct Series {
    pub label: String,
    /// Index into the variant palette.
    pub color: usize,
    pub points: Vec<(f64, f64)>,
}

/// One panel: its axes and lines.
#[derive(Clone, Debug)]
pub struct Panel {
    pub title: String,
    pub x_desc: String,
    pub y_desc: String,
    pub log_y: bool,
    /// Whether x takes whole values only (layers): ticks at integers, half a step of margin.
    pub discrete_x: bool,
    pub series: Vec<Series>,
}

/// Draws `panels` side by side (at most 3 per row, 2 for four) under `title`, with one legend for all of
/// them (the first panel's series: every panel draws the same ones). A series of few points is
/// drawn with a dot at each.
pub fn draw(path: &Path, title: &str, panels: &[Panel]) -> DrawResult {
    let n = panels.len().max(1);
    let cols = if n == 4 { 2 } else { n.min(3) };
    let rows = n.div_ceil(cols);
    let width = 760 * cols as u32;
    let key_rows = legend_rows(width, panels.first().map_or(&[], |p| &p.series[..]));
    let top_height = 50 + 34 * key_rows.len() as u32 + 6;
    let root =
        BitMapBackend::new(path, (width, 600 * rows as u32 + top_height)).into_drawing_area();
    root.fill(&WHITE)?;
    let (top, body) = root.split_vertically(top_height);
    let (heading, key) = top.split_vertically(50);
    heading.titled(title, (FAMILY, TITLE_SIZE))?;
    shared_legend(&key, &key_rows)?;
    for (area, panel) in body.split_evenly((rows, cols)).iter().zip(panels) {
        let finite =
            |p: &&(f64, f64)| p.0.is_finite() && p.1.is_finite() && (!panel.log_y || p.1 > 0.0);
        let points: Vec<(f64, f64)> = panel
            .series
            .iter()
            .flat_map(|s| s.points.iter().filter(finite).copied())
            .collect();
        let bounds = |f: fn(&(f64, f64)) -> f64| {
            points
                .iter()
                .map(f)
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(v), hi.max(v))
                })
        };
        let ((x0, x1), (y0, y1)) = (bounds(|p| p.0), bounds(|p| p.1));
        let (x0, x1) = match (x0.is_finite(), panel.discrete_x) {
            (false, _) => (0.0, 1.0),
            (true, true) => (x0 - 0.5, x1 + 0.5),
            (true, false) => (x0.min(0.0), x1.max(x0 + 1.0) * 1.02),
        };
        let ticks = if panel.discrete_x {
            ((x1 - x0).round() as usize).clamp(1, 20)
        } else {
            10
        };
        let (y0, y1) = if y0.is_finite() {
            (y0, y1.max(y0 + 1e-9))
        } else {
            (0.1, 1.0)
        };
        let mut builder = ChartBuilder::on(area);
        builder
            .caption(&panel.title, (FAMILY, LABEL_SIZE + 2))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(80);
        macro_rules! finish {
            ($chart:expr) => {{
                let mut chart = $chart;
                chart
                    .configure_mesh()
                    .x_desc(panel.x_desc.as_str())
                    .y_desc(panel.y_desc.as_str())
                    .axis_desc_style((FAMILY, LABEL_SIZE))
                    .label_style((FAMILY, TICK_SIZE))
                    .x_labels(ticks)
                    .x_label_formatter(&|v| {
                        if !panel.discrete_x || (v - v.round()).abs() < 1e-6 {
                            format!("{v:.0}")
                        } else {
                            String::new()
                        }
                    })
                    .y_label_formatter(&|v| format!("{v:.3}"))
                    .draw()?;
                for series in &panel.series {
                    let color = variant_color(series.color);
                    let points: Vec<(f64, f64)> =
                        series.points.iter().filter(finite).copied().collect();
                    if points.len() <= MARKED {
                        chart.draw_series(
                            points.iter().map(|&p| Circle::new(p, 5, color.filled())),
                        )?;
                    }
                    chart.draw_series(LineSeries::new(points, color.stroke_width(2)))?;
                }
            }};
        }
        if panel.log_y {
            finish!(builder.build_cartesian_2d(x0..x1, (y0 * 0.8..y1 * 1.25).log_scale())?);
        } else {
            let pad = 0.05 * (y1 - y0).max(1e-9);
            finish!(builder.build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))?);
        }
    }
    root.present()?;
    Ok(())
}

/// Series with at most this many points get a dot at each.
const MARKED: usize = 30;

/// The width in pixels of one legend entry: its line, its label and a gap.
fn entry_width(series: &Series) -> u32 {
    40 + 11 * series.label.chars().count() as u32 + 30
}

/// The legend's entries in rows that fit `width`.
fn legend_rows(width: u32, series: &[Series]) -> Vec<Vec<Series>> {
    let mut rows: Vec<Vec<Series>> = Vec::new();
    let mut used = 0;
    for s in series {
        if rows.is_empty() || used + entry_width(s) > width.saturating_sub(20) {
            rows.push(Vec::new());
            used = 0;
        }
        used += entry_width(s);
        rows.last_mut().expect("a row was pushed").push(s.clone());
    }
    rows
}

/// Every series' colour and label, row by row, each row centred under the title.
fn shared_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    rows: &[Vec<Series>],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (width, _) = area.dim_in_pixel();
    let font = (FAMILY, LABEL_SIZE).into_font();
    for (r, row) in rows.iter().enumerate() {
        let y = 20 + 34 * r as i32;
        let total: u32 = row.iter().map(entry_width).sum();
        let mut x = ((width as i32 - total as i32) / 2).max(10);
        for s in row {
            let color = variant_color(s.color);
            area.draw(&PathElement::new(
                vec![(x, y), (x + 30, y)],
                color.stroke_width(4),
            ))?;
            area.draw(&Text::new(s.label.clone(), (x + 38, y - 11), font.clone()))?;
            x += entry_width(s) as i32;
        }
    }
    Ok(())
}
