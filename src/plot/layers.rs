//! Per-layer statistics over training, drawn from `activations.csv` and `histograms.json`.

use std::path::Path;

use plotters::prelude::*;

use super::{
    DrawResult,
    style::{FAMILY, LABEL_SIZE, TICK_SIZE, TITLE_SIZE, band_polygon, legend, variant_color},
};
use crate::store::RunRecord;

/// `(epoch, value)` of one statistic of one layer of one variant.
pub fn series(
    record: &RunRecord,
    variant: &str,
    layer: usize,
    tensor: &str,
    statistic: &str,
) -> Vec<(f64, f64)> {
    record
        .layer_stats
        .iter()
        .filter(|r| {
            r.variant == variant
                && r.layer == layer
                && r.tensor == tensor
                && r.statistic == statistic
        })
        .map(|r| (r.epoch as f64, r.value))
        .collect()
}

/// A line to draw: label, colour index, points and an optional `(lower, upper)` band.
struct Line {
    label: String,
    color: usize,
    points: Vec<(f64, f64)>,
    band: Option<Vec<(f64, f64, f64)>>,
}

fn layer_color(layer: usize) -> RGBColor {
    // Layers get their own palette so that they read apart from the variant colours.
    const LAYERS: [RGBColor; 6] = [
        RGBColor(27, 158, 119),
        RGBColor(217, 95, 2),
        RGBColor(117, 112, 179),
        RGBColor(231, 41, 138),
        RGBColor(102, 166, 30),
        RGBColor(166, 118, 29),
    ];
    LAYERS[layer % LAYERS.len()]
}

/// One panel per variant, several lines each.
fn draw_panels(
    path: &Path,
    title: &str,
    y_desc: &str,
    log_y: bool,
    panels: Vec<(String, Vec<Line>)>,
) -> DrawResult {
    let n = panels.len().max(1);
    let cols = n.min(4);
    let rows = n.div_ceil(cols);
    let root =
        BitMapBackend::new(path, (720 * cols as u32, 620 * rows as u32 + 50)).into_drawing_area();
    root.fill(&WHITE)?;
    let (top, body) = root.split_vertically(50);
    top.titled(title, (FAMILY, TITLE_SIZE))?;
    let panels: Vec<(String, Vec<Line>)> = panels
        .into_iter()
        .map(|(name, lines)| (name, thinned(lines)))
        .collect();
    for (area, (name, lines)) in body.split_evenly((rows, cols)).iter().zip(&panels) {
        let values = lines.iter().flat_map(|l| {
            l.points
                .iter()
                .map(|p| p.1)
                .chain(l.band.iter().flatten().flat_map(|b| [b.1, b.2]))
        });
        let values: Vec<f64> = values
            .filter(|v| v.is_finite() && (!log_y || *v > 0.0))
            .collect();
        let (lo, hi) = values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        let (lo, hi) = if lo.is_finite() {
            (lo, hi.max(lo + 1e-9))
        } else {
            (0.0, 1.0)
        };
        let epochs = lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.0))
            .fold(1.0f64, f64::max);
        let mut builder = ChartBuilder::on(area);
        builder
            .caption(name, (FAMILY, LABEL_SIZE + 2))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(75);
        macro_rules! finish {
            ($chart:expr) => {{
                let mut chart = $chart;
                chart
                    .configure_mesh()
                    .x_desc("epoch")
                    .y_desc(y_desc)
                    .axis_desc_style((FAMILY, LABEL_SIZE))
                    .label_style((FAMILY, TICK_SIZE))
                    .x_label_formatter(&|v| format!("{v:.0}"))
                    .y_label_formatter(&|v| format!("{v:.3}"))
                    .draw()?;
                for line in lines {
                    let color = layer_color(line.color);
                    if let Some(band) = &line.band {
                        let upper = band.iter().map(|b| (b.0, b.2));
                        let lower = band.iter().rev().map(|b| (b.0, b.1));
                        chart.draw_series([band_polygon(upper, lower, color)])?;
                    }
                    chart
                        .draw_series(LineSeries::new(
                            line.points.iter().copied(),
                            color.stroke_width(2),
                        ))?
                        .label(line.label.clone())
                        .legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
                        });
                }
                legend(&mut chart, SeriesLabelPosition::UpperRight, TICK_SIZE)?;
            }};
        }
        if log_y {
            finish!(builder.build_cartesian_2d(0.0..epochs, (lo * 0.8..hi * 1.25).log_scale())?);
        } else {
            let pad = 0.05 * (hi - lo);
            finish!(builder.build_cartesian_2d(0.0..epochs, (lo - pad)..(hi + pad))?);
        }
    }
    root.present()?;
    Ok(())
}

/// At most [`MAX_LINES`] of a panel's lines, evenly spread from the first to the last, so
/// that a deep network's panels stay readable.
fn thinned(lines: Vec<Line>) -> Vec<Line> {
    if lines.len() <= MAX_LINES {
        return lines;
    }
    let last = lines.len() - 1;
    let keep: Vec<usize> = (0..MAX_LINES).map(|i| i * last / (MAX_LINES - 1)).collect();
    lines
        .into_iter()
        .enumerate()
        .filter(|(i, _)| keep.contains(i))
        .map(|(_, l)| l)
        .collect()
}

/// Lines drawn per panel.
const MAX_LINES: usize = 8;

fn hidden_layers(record: &RunRecord) -> usize {
    record.layer_names().len()
}

pub fn activity(path: &Path, record: &RunRecord) -> DrawResult {
    let panels = record
        .summary
        .variants
        .iter()
        .map(|v| {
            let lines = (1..=hidden_layers(record))
                .map(|layer| {
                    // The median within the 2nd-98th percentiles: a band that stays inside
                    // the activation's range (mean +/- std put ReLU's below zero).
                    let median = series(record, &v.name, layer, "a", "p50");
                    let low = series(record, &v.name, layer, "a", "p2");
                    let high = series(record, &v.name, layer, "a", "p98");
                    let band = low
                        .iter()
                        .zip(&high)
                        .map(|(&(e, lo), &(_, hi))| (e, lo, hi))
                        .collect();
                    Line {
                        label: format!("layer {layer}"),
                        color: layer - 1,
                        points: median,
                        band: Some(band),
                    }
                })
                .collect();
            (format!("{} ({})", v.name, v.activation), lines)
        })
        .collect();
    draw_panels(
        path,
        "Activation a by layer on the probe set: median, 2nd-98th percentile band",
        "activation",
        false,
        panels,
    )
}

pub fn gradients(path: &Path, record: &RunRecord) -> DrawResult {
    let panels = record
        .summary
        .variants
        .iter()
        .map(|v| {
            let lines = (1..=hidden_layers(record) + 1)
                .map(|layer| {
                    let label = if layer > hidden_layers(record) {
                        "output".to_string()
                    } else {
                        format!("layer {layer}")
                    };
                    Line {
                        label,
                        color: layer - 1,
                        points: series(record, &v.name, layer, "dz", "norm"),
                        band: None,
                    }
                })
                .collect();
            (format!("{} ({})", v.name, v.activation), lines)
        })
        .collect();
    draw_panels(
        path,
        "Back-propagated gradient ||dL/dz|| by layer (probe-set loss, log scale)",
        "gradient norm",
        true,
        panels,
    )
}

pub fn saturation(path: &Path, record: &RunRecord) -> DrawResult {
    let panels = record
        .summary
        .variants
        .iter()
        .map(|v| {
            let lines = (1..=hidden_layers(record))
                .flat_map(|layer| {
                    [
                        ("saturated_fraction", "saturated"),
                        ("dead_units", "dead units"),
                        ("mean_derivative", "mean f'(z)"),
                    ]
                    .into_iter()
                    .enumerate()
                    .filter_map(move |(i, (stat, what))| {
                        let points = series(record, &v.name, layer, "a", stat);
                        // Saturation (or dead units) and f'(z) of one layer get different colours.
                        (!points.is_empty()).then(|| Line {
                            label: format!("layer {layer}: {what}"),
                            color: 2 * (layer - 1) + usize::from(i == 2),
                            points,
                            band: None,
                        })
                    })
                })
                .collect();
            (format!("{} ({})", v.name, v.activation), lines)
        })
        .collect();
    let eps = record.experiment.probes.saturation_eps;
    draw_panels(
        path,
        &format!("Saturated (within {eps} of a bound), dead (never positive) units and mean f'(z)"),
        "fraction / mean derivative",
        false,
        panels,
    )
}

pub fn geometry(path: &Path, record: &RunRecord) -> DrawResult {
    let panels = record
        .summary
        .variants
        .iter()
        .map(|v| {
            let lines = (1..=hidden_layers(record))
                .map(|layer| Line {
                    label: format!("layer {layer}"),
                    color: layer - 1,
                    points: series(record, &v.name, layer, "geometry", "distance_preservation"),
                    band: None,
                })
                .collect();
            (format!("{} ({})", v.name, v.activation), lines)
        })
        .collect();
    draw_panels(
        path,
        "Distance preservation: corr(input distances, layer distances) over probe-set pairs",
        "correlation",
        false,
        panels,
    )
}

pub fn histograms(path: &Path, record: &RunRecord) -> DrawResult {
    let variants = &record.summary.variants;
    let layers = hidden_layers(record);
    let epochs: Vec<usize> = record.histograms.iter().map(|h| h.epoch).collect();
    let (Some(&first), Some(&last)) = (epochs.iter().min(), epochs.iter().max()) else {
        return Ok(());
    };
    let root = BitMapBackend::new(path, (460 * layers as u32, 360 * variants.len() as u32))
        .into_drawing_area();
    root.fill(&WHITE)?;
    for (panel, (v, layer)) in root.split_evenly((variants.len(), layers)).iter().zip(
        variants
            .iter()
            .flat_map(|v| (1..=layers).map(move |l| (v, l))),
    ) {
        let find = |epoch: usize| {
            record.histograms.iter().find(|h| {
                h.variant == v.name && h.layer == layer && h.tensor == "a" && h.epoch == epoch
            })
        };
        let (Some(a), Some(b)) = (find(first), find(last)) else {
            continue;
        };
        let peak = a
            .histogram
            .counts
            .iter()
            .chain(&b.histogram.counts)
            .copied()
            .max()
            .unwrap_or(1) as f64;
        let (lo, hi) = (a.histogram.lo, a.histogram.hi);
        let mut chart = ChartBuilder::on(panel)
            .caption(
                format!("{}, layer {layer}: a", v.name),
                (FAMILY, LABEL_SIZE),
            )
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(50)
            .build_cartesian_2d(lo..hi, 0.0..peak * 1.1)?;
        chart
            .configure_mesh()
            .label_style((FAMILY, TICK_SIZE - 2))
            .x_label_formatter(&|v| format!("{v:.1}"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()?;
        let color = variant_color(variants.iter().position(|x| x.name == v.name).unwrap_or(0));
        for (h, style, label) in [
            (a, color.mix(0.25).filled(), format!("epoch {first}")),
            (b, color.mix(0.85).filled(), format!("epoch {last}")),
        ] {
            let width = (hi - lo) / h.histogram.counts.len() as f64;
            chart
                .draw_series(h.histogram.counts.iter().enumerate().map(|(i, &c)| {
                    let x = lo + i as f64 * width;
                    Rectangle::new([(x, 0.0), (x + width, c as f64)], style)
                }))?
                .label(label)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], style));
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight, TICK_SIZE - 2)?;
    }
    root.present()?;
    Ok(())
}
