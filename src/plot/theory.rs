//! Signal through depth at initialisation: each hidden layer's measured pre-activation length
//! `q^l` (mean of `z^2` over the probe set, epoch 0) beside mean-field theory's prediction, one
//! panel per variant, on a log scale. Plain MLPs only (the theory's networks).

use std::path::Path;

use plotters::prelude::*;

use super::{
    DrawResult,
    style::{FAMILY, LABEL_SIZE, TICK_SIZE, TITLE_SIZE, legend},
};
use crate::{
    analysis::prediction::{predict_inputs, probe_second_moments},
    config::Plan,
    data::Split,
    model::{FamilyKind, NormKind},
    store::RunRecord,
};

/// One variant's name and its `(layer, measured q, predicted q)` points.
pub type LengthPanel = (String, Vec<(f64, f64, f64)>);

/// [`LengthPanel`] for each variant, or `None` if the theory does not apply.
pub fn lengths(record: &RunRecord, split: &Split) -> Option<Vec<LengthPanel>> {
    let plan: &Plan = record.plan.as_ref()?;
    let arch = &plan.architecture;
    if arch.family != FamilyKind::Mlp || arch.norm != NormKind::None {
        return None;
    }
    let probes = &plan.experiment.probes;
    let inputs = probe_second_moments(split, probes);
    let stat = |variant: &str, layer: usize, statistic: &str| {
        record
            .layer_stats
            .iter()
            .find(|r| {
                r.variant == variant
                    && r.epoch == 0
                    && r.layer == layer
                    && r.tensor == "z"
                    && r.statistic == statistic
            })
            .map(|r| r.value)
    };
    let out: Vec<LengthPanel> = plan
        .variants
        .iter()
        .filter_map(|v| {
            let p = predict_inputs(
                v.nonlinearity,
                &v.init,
                arch.features(),
                &arch.hidden,
                &inputs,
            )
            .ok()?;
            let points =
                p.q.iter()
                    .enumerate()
                    .filter_map(|(l, &q_pred)| {
                        let (s, m) = (stat(&v.name, l + 1, "std")?, stat(&v.name, l + 1, "mean")?);
                        Some(((l + 1) as f64, s * s + m * m, q_pred))
                    })
                    .collect::<Vec<_>>();
            (!points.is_empty()).then(|| (v.name.clone(), points))
        })
        .collect();
    (!out.is_empty()).then_some(out)
}

pub fn draw(path: &Path, panels: &[LengthPanel]) -> DrawResult {
    let n = panels.len().max(1);
    let cols = n.min(4);
    let rows = n.div_ceil(cols);
    let root =
        BitMapBackend::new(path, (620 * cols as u32, 520 * rows as u32 + 50)).into_drawing_area();
    root.fill(&WHITE)?;
    let (top, body) = root.split_vertically(50);
    top.titled(
        "q^l = mean z^2 at initialisation: measured (dots) and mean-field theory (line)",
        (FAMILY, TITLE_SIZE),
    )?;
    for (area, (name, points)) in body.split_evenly((rows, cols)).iter().zip(panels) {
        let values: Vec<f64> = points
            .iter()
            .flat_map(|p| [p.1, p.2])
            .filter(|v| v.is_finite() && *v > 0.0)
            .collect();
        let lo = values
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min)
            .max(1e-300);
        let hi = values
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max)
            .max(lo * 10.0);
        let layers = points.iter().map(|p| p.0).fold(1.0, f64::max);
        let mut chart = ChartBuilder::on(area)
            .caption(name, (FAMILY, LABEL_SIZE + 2))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..layers + 1.0, (lo * 0.5..hi * 2.0).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("hidden layer")
            .y_desc("q^l")
            .axis_desc_style((FAMILY, LABEL_SIZE))
            .label_style((FAMILY, TICK_SIZE))
            .y_label_formatter(&|v| format!("{v:.1e}"))
            .draw()?;
        let theory = RGBColor(0, 0, 0);
        let measured = RGBColor(213, 94, 0);
        chart
            .draw_series(LineSeries::new(
                points.iter().filter(|p| p.2 > 0.0).map(|p| (p.0, p.2)),
                theory.stroke_width(2),
            ))?
            .label("theory (infinite width)")
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], theory.stroke_width(2))
            });
        chart
            .draw_series(
                points
                    .iter()
                    .filter(|p| p.1 > 0.0)
                    .map(|p| Circle::new((p.0, p.1), 4, measured.filled())),
            )?
            .label("measured")
            .legend(move |(x, y)| Circle::new((x, y), 4, measured.filled()));
        legend(&mut chart, SeriesLabelPosition::UpperRight, TICK_SIZE)?;
    }
    root.present()?;
    Ok(())
}
