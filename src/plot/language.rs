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
        chart
            .draw_series(DashedLineSeries::new(
                train.iter().map(|&(x, m, _, _)| (x, m)),
                6,
                4,
                color.stroke_width(1),
            ))?
            .label(format!("{} training", v.name))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(1))
            });
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight, TICK_SIZE)?;
    root.present()?;
    Ok(())
}
