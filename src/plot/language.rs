//! A language-model run's loss curves: training and validation loss (nats per token) per
//! evaluation for every variant, the mean over seeds with a one-std band, and the unigram
//! entropy of the corpus as the line a model that learned nothing would sit on.

use std::path::Path;

use plotters::prelude::*;

use super::{
    DrawResult,
    style::{FAMILY, LABEL_SIZE, TICK_SIZE, TITLE_SIZE, band_polygon, legend, variant_color},
};
use crate::store::language::LmRecord;

/// `(iteration, mean, mean - std, mean + std)` of `value` over the seeds of `variant`.
pub fn curve(
    record: &LmRecord,
    variant: &str,
    value: fn(&crate::store::language::LmMetricRow) -> f64,
) -> Vec<(f64, f64, f64, f64)> {
    let mut iterations: Vec<usize> = record
        .metrics
        .iter()
        .filter(|m| m.variant == variant)
        .map(|m| m.iteration)
        .collect();
    iterations.sort_unstable();
    iterations.dedup();
    iterations
        .into_iter()
        .filter_map(|it| {
            let values: Vec<f64> = record
                .metrics
                .iter()
                .filter(|m| m.variant == variant && m.iteration == it)
                .map(value)
                .filter(|v| v.is_finite())
                .collect();
            if values.is_empty() {
                return None;
            }
            let n = values.len() as f64;
            let mean = values.iter().sum::<f64>() / n;
            let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
            Some((it as f64, mean, mean - std, mean + std))
        })
        .collect()
}

/// Beyond this many variants the legend names only the validation curves.
const MANY_VARIANTS: usize = 6;

pub fn draw(path: &Path, record: &LmRecord) -> DrawResult {
    let root = BitMapBackend::new(path, (1100, 700)).into_drawing_area();
    root.fill(&WHITE)?;
    let variants = &record.summary.variants;
    let curves: Vec<_> = variants
        .iter()
        .map(|v| {
            (
                curve(record, &v.name, |m| m.train_loss),
                curve(record, &v.name, |m| m.val_loss),
            )
        })
        .collect();
    let entropy = record.summary.corpus.unigram_entropy;
    let all = curves
        .iter()
        .flat_map(|(t, v)| t.iter().chain(v))
        .flat_map(|&(_, m, lo, hi)| [m, lo, hi])
        .chain([entropy]);
    let (lo, hi) = all.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let last = record
        .metrics
        .iter()
        .map(|m| m.iteration)
        .max()
        .unwrap_or(1) as f64;
    let seeds = variants.iter().map(|v| v.seeds.len()).max().unwrap_or(1);
    let title = format!(
        "Loss per token ({}, {})",
        record.summary.experiment,
        if seeds > 1 {
            format!("mean ± 1 std over {seeds} seeds")
        } else {
            "one seed".into()
        }
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FAMILY, TITLE_SIZE))
        .margin(15)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..last * 1.02, (lo * 0.95)..(hi * 1.03))?;
    chart
        .configure_mesh()
        .x_desc("training step")
        .y_desc("cross-entropy (nats per token)")
        .axis_desc_style((FAMILY, LABEL_SIZE))
        .label_style((FAMILY, TICK_SIZE))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.2}"))
        .draw()?;
    chart
        .draw_series(LineSeries::new(
            [(0.0, entropy), (last, entropy)],
            BLACK.mix(0.5).stroke_width(1),
        ))?
        .label(format!("unigram entropy {entropy:.3}"))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], BLACK.mix(0.5)));
    for (i, ((train, val), v)) in curves.iter().zip(variants).enumerate() {
        let color = variant_color(i);
        if seeds > 1 && !val.is_empty() {
            let upper = val.iter().map(|&(x, _, _, hi)| (x, hi));
            let lower = val.iter().rev().map(|&(x, _, lo, _)| (x, lo));
            chart.draw_series([band_polygon(upper, lower, color)])?;
        }
        let final_val = val.last().map_or(String::new(), |c| format!(" {:.3}", c.1));
        chart
            .draw_series(LineSeries::new(
                val.iter().map(|&(x, m, _, _)| (x, m)),
                color.stroke_width(3),
            ))?
            .label(format!("{} validation{final_val}", v.name))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
            });
        let training = chart.draw_series(DashedLineSeries::new(
            train.iter().map(|&(x, m, _, _)| (x, m)),
            6,
            4,
            color.stroke_width(1),
        ))?;
        // With many variants one legend line says what the dashes are.
        if variants.len() <= MANY_VARIANTS {
            training
                .label(format!("{} training", v.name))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(1))
                });
        } else if i == 0 {
            training.label("dashed: training loss").legend(|(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], BLACK.stroke_width(1))
            });
        }
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight, TICK_SIZE)?;
    root.present()?;
    Ok(())
}

/// One probe statistic per block over training: a panel per block, a line per variant.
pub struct BlockFigure {
    pub file: &'static str,
    pub tensor: &'static str,
    pub statistic: &'static str,
    pub title: &'static str,
    pub log: bool,
}

/// The per-block figures a probed language-model run gets.
pub const BLOCK_FIGURES: [BlockFigure; 5] = [
    BlockFigure {
        file: "layer_sparsity.png",
        tensor: "a",
        statistic: "zero_fraction",
        title: "fraction of exact zeros in the feed-forward activation",
        log: false,
    },
    BlockFigure {
        file: "layer_near_zero.png",
        tensor: "a",
        statistic: "near_zero_fraction",
        title: "fraction of near zeros (|a| below 1e-3 of the block's largest) in the feed-forward activation",
        log: false,
    },
    BlockFigure {
        file: "layer_derivative.png",
        tensor: "z",
        statistic: "mean_derivative",
        title: "mean f'(z) of the feed-forward activation (the gate's for gated units)",
        log: false,
    },
    BlockFigure {
        file: "layer_gradient.png",
        tensor: "dz",
        statistic: "norm",
        title: "||dL/dz|| at the feed-forward pre-activation",
        log: true,
    },
    BlockFigure {
        file: "layer_attention.png",
        tensor: "attention",
        statistic: "entropy",
        title: "mean attention entropy over heads (nats)",
        log: false,
    },
];

pub fn draw_blocks(path: &Path, record: &LmRecord, figure: &BlockFigure) -> DrawResult {
    let blocks = record
        .layer_stats
        .iter()
        .map(|r| r.layer)
        .max()
        .unwrap_or(1);
    let (columns, rows) = (blocks.min(4), blocks.div_ceil(4));
    let root = BitMapBackend::new(path, (360 * columns as u32 + 40, 330 * rows as u32 + 60))
        .into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(figure.title, (FAMILY, LABEL_SIZE))?;
    let panels = root.split_evenly((rows, columns));
    let select = |variant: &str, layer: usize| -> Vec<(f64, f64)> {
        record
            .layer_stats
            .iter()
            .filter(|r| {
                r.variant == variant
                    && r.layer == layer
                    && r.tensor == figure.tensor
                    && r.statistic == figure.statistic
                    && r.value.is_finite()
            })
            .map(|r| (r.epoch as f64, r.value))
            .collect()
    };
    let variants = &record.summary.variants;
    let last = record
        .metrics
        .iter()
        .map(|m| m.iteration)
        .max()
        .unwrap_or(1) as f64;
    for (i, panel) in panels.iter().enumerate().take(blocks) {
        let layer = i + 1;
        let values: Vec<f64> = variants
            .iter()
            .flat_map(|v| select(&v.name, layer))
            .map(|(_, y)| y)
            .filter(|y| !figure.log || *y > 0.0)
            .collect();
        let (lo, hi) = values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
        let mut builder = ChartBuilder::on(panel);
        builder
            .caption(format!("block {layer}"), (FAMILY, TICK_SIZE + 2))
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size(55);
        let x = 0.0..last * 1.02;
        let legend_here = i == 0;
        macro_rules! series {
            ($chart:expr) => {{
                let mut chart = $chart;
                chart
                    .configure_mesh()
                    .label_style((FAMILY, TICK_SIZE - 2))
                    .x_labels(4)
                    .y_labels(5)
                    .x_label_formatter(&|v| format!("{v:.0}"))
                    .y_label_formatter(&|v| format!("{v:.3}"))
                    .draw()?;
                for (k, v) in variants.iter().enumerate() {
                    let color = variant_color(k);
                    let points: Vec<(f64, f64)> = select(&v.name, layer)
                        .into_iter()
                        .filter(|(_, y)| !figure.log || *y > 0.0)
                        .collect();
                    chart
                        .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                        .label(v.name.clone())
                        .legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                        });
                }
                if legend_here {
                    legend(&mut chart, SeriesLabelPosition::UpperRight, TICK_SIZE - 2)?;
                }
            }};
        }
        if figure.log {
            let (lo, hi) = (lo.max(1e-12) * 0.8, hi.max(1e-12) * 1.25);
            series!(builder.build_cartesian_2d(x, (lo..hi).log_scale())?);
        } else {
            let pad = ((hi - lo) * 0.08).max(1e-6);
            series!(builder.build_cartesian_2d(x, (lo - pad)..(hi + pad))?);
        }
    }
    root.present()?;
    Ok(())
}
