//! Figure 4: the signal trace, mean |z| and |a| layer by layer as grouped bars, for each traced sample.

use std::path::Path;

use plotters::{
    prelude::*,
    style::text_anchor::{HPos, Pos, VPos},
};

use super::{
    DrawResult,
    style::{FAMILY, LABEL_SIZE, TICK_SIZE, TITLE_SIZE, legend, variant_color},
};
use crate::store::RunRecord;

/// Stage names along the x axis: `|z1|, |a1|, ..., |z_out|`.
pub fn stage_labels(hidden_layers: usize) -> Vec<String> {
    let mut labels: Vec<String> = (1..=hidden_layers)
        .flat_map(|l| [format!("mean|z{l}|"), format!("mean|a{l}|")])
        .collect();
    labels.push(format!("|z{}| (logit)", hidden_layers + 1));
    labels
}

pub fn draw(path: &Path, record: &RunRecord) -> DrawResult {
    let traced: Vec<_> = record
        .analyses
        .iter()
        .enumerate()
        .filter_map(|(i, e)| e.analysis.as_ref().map(|a| (i, &e.variant, a)))
        .collect();
    let samples = traced
        .first()
        .map_or(0, |(_, _, a)| a.trace_samples.len())
        .max(1);
    let root = BitMapBackend::new(path, (760 * samples as u32, 650)).into_drawing_area();
    root.fill(&WHITE)?;
    let labels = stage_labels(record.layer_names().len());
    for (s, panel) in root.split_evenly((1, samples)).iter().enumerate() {
        let Some((_, _, first)) = traced.first() else {
            break;
        };
        let Some(sample) = first.trace_samples.get(s) else {
            break;
        };
        let top = traced
            .iter()
            .flat_map(|(_, _, a)| a.signal_trace[s].iter().copied())
            .fold(0.0f64, f64::max);
        let label_style = (FAMILY, TICK_SIZE - 3).into_font();
        let mut chart = ChartBuilder::on(panel)
            .caption(
                format!(
                    "Class-{} sample at ({:.2}, {:.2})",
                    sample.class, sample.point[0], sample.point[1]
                ),
                (FAMILY, TITLE_SIZE),
            )
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.5..(labels.len() as f64 - 0.5), 0.0..top * 1.12)?;
        chart
            .configure_mesh()
            .x_labels(labels.len())
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 {
                    labels.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_desc("magnitude")
            .axis_desc_style((FAMILY, LABEL_SIZE))
            .label_style((FAMILY, TICK_SIZE - 2))
            .draw()?;
        let width = 0.8 / traced.len() as f64;
        for (slot, (i, name, analysis)) in traced.iter().enumerate() {
            let color = variant_color(*i);
            let left = |k: usize| k as f64 - 0.4 + slot as f64 * width;
            let values = &analysis.signal_trace[s];
            chart
                .draw_series(values.iter().enumerate().map(|(k, &v)| {
                    Rectangle::new(
                        [(left(k), 0.0), (left(k) + width * 0.92, v)],
                        color.filled(),
                    )
                }))?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 16, y + 6)], color.filled())
                });
            chart.draw_series(values.iter().enumerate().map(|(k, &v)| {
                Text::new(
                    format!("{v:.3}"),
                    (left(k) + width * 0.46, v + top * 0.01),
                    label_style
                        .color(&color)
                        .pos(Pos::new(HPos::Center, VPos::Bottom)),
                )
            }))?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft, LABEL_SIZE)?;
    }
    root.present()?;
    Ok(())
}
