//! The sweep heatmap: best mean test accuracy over two swept keys, one panel per variant.

use std::path::Path;

use plotters::{
    coord::types::RangedCoordf64,
    prelude::*,
    style::text_anchor::{HPos, Pos, VPos},
};

use super::{
    DrawResult,
    style::{FAMILY, LABEL_SIZE, TICK_SIZE, TITLE_SIZE, cell_label as label_at, register_fonts},
};
use crate::store::{PointResult, SweepRecord, plain};

/// White (low) to deep blue (high).
fn shade(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    RGBColor(mix(247.0, 8.0), mix(251.0, 48.0), mix(255.0, 107.0))
}

pub fn draw(path: &Path, record: &SweepRecord) -> DrawResult {
    register_fonts();
    let Some(sweep) = record.experiment.sweep.as_ref() else {
        return Err("the sweep's config has no [sweep] section".into());
    };
    let keys: Vec<&String> = if sweep.heatmap.is_empty() {
        sweep.grid.keys().take(2).collect()
    } else {
        sweep.heatmap.iter().collect()
    };
    if keys.len() == 1 {
        return draw_one_key(path, record, keys[0]);
    }
    let axis = |i: usize| -> (String, Vec<String>) {
        keys.get(i).map_or(("".into(), vec!["(all)".into()]), |k| {
            (
                (*k).clone(),
                sweep.grid[*k].iter().map(ToString::to_string).collect(),
            )
        })
    };
    let ((x_key, x_values), (y_key, y_values)) = (axis(0), axis(1));
    // A value as its label where `[sweep.labels]` gives one.
    let shown = |key: &str, value: &str| {
        sweep
            .label(key, value)
            .map_or_else(|| plain(value), str::to_string)
    };
    let variants = &record.experiment.variants;
    let n = variants.len().max(1);
    let width = (110 * x_values.len() as u32 + 260).max(560);
    let root = BitMapBackend::new(path, (width * n as u32, 90 * y_values.len() as u32 + 240))
        .into_drawing_area();
    root.fill(&WHITE)?;
    let value_of = |point: &PointResult, key: &str| {
        point
            .settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    let cells: Vec<Vec<Vec<Option<f64>>>> = variants
        .iter()
        .map(|v| {
            y_values
                .iter()
                .map(|yv| {
                    x_values
                        .iter()
                        .map(|xv| {
                            record
                                .points
                                .iter()
                                .filter(|p| {
                                    value_of(p, &x_key).as_ref() == Some(xv)
                                        && (y_key.is_empty()
                                            || value_of(p, &y_key).as_ref() == Some(yv))
                                })
                                .filter_map(|p| {
                                    p.variants
                                        .iter()
                                        .find(|s| s.name == v.name)?
                                        .stats
                                        .test_accuracy
                                        .map(|s| s.mean)
                                })
                                .fold(None, |best: Option<f64>, a| {
                                    Some(best.map_or(a, |b| b.max(a)))
                                })
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    let all = cells.iter().flatten().flatten().flatten().copied();
    let (lo, hi) = all.fold((1.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    for (panel, (v, grid)) in root
        .split_evenly((1, n))
        .iter()
        .zip(variants.iter().zip(&cells))
    {
        let mut chart = ChartBuilder::on(panel)
            .caption(
                format!("{}: best test accuracy", v.name),
                (FAMILY, TITLE_SIZE),
            )
            .margin(20)
            .x_label_area_size(60)
            .y_label_area_size(150)
            .build_cartesian_2d(0.0..x_values.len() as f64, 0.0..y_values.len() as f64)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(x_values.len() * 2 + 1)
            .y_labels(y_values.len() * 2 + 1)
            .x_label_formatter(&|x| shown(&x_key, &label_at(&x_values, *x)))
            .y_label_formatter(&|y| shown(&y_key, &label_at(&y_values, *y)))
            .x_desc(x_key.clone())
            .y_desc(y_key.clone())
            .axis_desc_style((FAMILY, LABEL_SIZE))
            .label_style((FAMILY, TICK_SIZE))
            .draw()?;
        draw_cells(&mut chart, grid, (lo, hi))?;
    }
    root.present()?;
    Ok(())
}

type Grid<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// One unit square per cell, shaded from `lo` to `hi`, with its value as a percentage;
/// `None` (every seed diverged) is grey.
fn draw_cells(chart: &mut Grid, cells: &[Vec<Option<f64>>], (lo, hi): (f64, f64)) -> DrawResult {
    for (j, row) in cells.iter().enumerate() {
        for (i, cell) in row.iter().enumerate() {
            let (x, y) = (i as f64, j as f64);
            let t = cell.map_or(0.0, |a| if hi > lo { (a - lo) / (hi - lo) } else { 1.0 });
            let color = cell.map_or(RGBColor(220, 220, 220), |_| shade(t));
            chart.draw_series([Rectangle::new([(x, y), (x + 1.0, y + 1.0)], color.filled())])?;
            let text = cell.map_or("diverged".into(), |a| format!("{:.1}%", 100.0 * a));
            let ink = if t > 0.55 { WHITE } else { BLACK };
            let style = (FAMILY, TICK_SIZE + 2)
                .into_font()
                .color(&ink)
                .pos(Pos::new(HPos::Center, VPos::Center));
            chart.draw_series([Text::new(text, (x + 0.5, y + 0.5), style)])?;
        }
    }
    Ok(())
}

/// The label of the cell whose centre is at `at` (labels sit at half-integers).
/// One swept key: a single panel, the key's values across and the variants down.
fn draw_one_key(path: &Path, record: &SweepRecord, key: &str) -> DrawResult {
    let Some(sweep) = record.experiment.sweep.as_ref() else {
        return Err("the sweep's config has no [sweep] section".into());
    };
    let x_values: Vec<String> = sweep.grid[key]
        .iter()
        .map(|v| {
            let text = v.to_string();
            sweep
                .label(key, &text)
                .map_or_else(|| plain(&text), str::to_string)
        })
        .collect();
    let variants: Vec<String> = record
        .experiment
        .variants
        .iter()
        .map(|v| v.name.clone())
        .collect();
    let cells: Vec<Vec<Option<f64>>> = variants
        .iter()
        .map(|name| {
            sweep.grid[key]
                .iter()
                .map(|value| {
                    let text = value.to_string();
                    record
                        .points
                        .iter()
                        .filter(|p| p.settings.iter().any(|(k, v)| k == key && *v == text))
                        .filter_map(|p| {
                            p.variants
                                .iter()
                                .find(|s| &s.name == name)?
                                .stats
                                .test_accuracy
                                .map(|s| s.mean)
                        })
                        .fold(None, |best: Option<f64>, a| {
                            Some(best.map_or(a, |b| b.max(a)))
                        })
                })
                .collect()
        })
        .collect();
    let all = cells.iter().flatten().flatten().copied();
    let (lo, hi) = all.fold((1.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let label_width = x_values.iter().map(String::len).max().unwrap_or(4) as u32;
    let width = (x_values.len() as u32) * (40 + 9 * label_width).max(110) + 260;
    let root =
        BitMapBackend::new(path, (width, 70 * variants.len() as u32 + 220)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{}: mean test accuracy over seeds", record.experiment.name),
            (FAMILY, TITLE_SIZE),
        )
        .margin(20)
        .x_label_area_size(70)
        .y_label_area_size(130)
        .build_cartesian_2d(0.0..x_values.len() as f64, 0.0..variants.len() as f64)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(x_values.len() * 2 + 1)
        .y_labels(variants.len() * 2 + 1)
        .x_label_formatter(&|x| label_at(&x_values, *x))
        .y_label_formatter(&|y| label_at(&variants, *y))
        .x_desc(key)
        .axis_desc_style((FAMILY, LABEL_SIZE))
        .label_style((FAMILY, TICK_SIZE))
        .draw()?;
    draw_cells(&mut chart, &cells, (lo, hi))?;
    root.present()?;
    Ok(())
}
