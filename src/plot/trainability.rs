//! The trainability map of an edge-of-chaos sweep: test accuracy over the weight variance
//! (`model.weight_var`, across) and the depth (`model.depth`, up), with `6 xi_c` from
//! mean-field theory drawn over it (Schoenholz et al. 2017 find networks trainable to about
//! six times the correlation depth scale).

use std::path::Path;

use plotters::prelude::*;

use super::{
    DrawResult,
    style::{FAMILY, LABEL_SIZE, TICK_SIZE, TITLE_SIZE, legend, register_fonts},
};
use crate::{
    analysis::prediction,
    store::{SweepRecord, plain},
};

/// Test accuracy at each `(weight_var, depth)` point of the sweep, for the first variant.
pub struct Map {
    pub variant: String,
    /// `(weight_var, depth, mean test accuracy)`.
    pub cells: Vec<(f64, f64, Option<f64>)>,
    /// `(weight_var, 6 xi_c)` on a fine grid (infinite where the scale diverges: omitted).
    pub six_xi_c: Vec<(f64, f64)>,
    pub bias_var: f64,
}

/// Test accuracy at or above this counts as trainable (twice chance for ten classes).
pub const TRAINABLE: f64 = 0.2;

/// One point of the map against the theory: inside `6 xi_c` (predicted trainable) or not, and
/// whether it trained.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Judged {
    pub weight_var: f64,
    pub depth: f64,
    pub predicted: bool,
    pub observed: bool,
}

impl Map {
    /// `6 xi_c` at the fine-grid weight variance nearest `w`; `None` where it diverges.
    pub fn six_xi_c_at(&self, w: f64) -> Option<f64> {
        self.six_xi_c
            .iter()
            .min_by(|a, b| (a.0 - w).abs().total_cmp(&(b.0 - w).abs()))
            .map(|p| p.1)
    }

    /// Every point, judged against `6 xi_c`.
    pub fn judged(&self) -> Vec<Judged> {
        self.cells
            .iter()
            .map(|&(w, depth, accuracy)| Judged {
                weight_var: w,
                depth,
                predicted: self.six_xi_c_at(w).is_none_or(|l| depth <= l),
                observed: accuracy.is_some_and(|a| a >= TRAINABLE),
            })
            .collect()
    }
}

/// The map, when the sweep varies `model.weight_var` and `model.depth` of a `mean-field` MLP.
pub fn map(record: &SweepRecord) -> Option<Map> {
    let sweep = record.experiment.sweep.as_ref()?;
    if !(sweep.grid.contains_key("model.weight_var") && sweep.grid.contains_key("model.depth")) {
        return None;
    }
    let plan = record.experiment.clone();
    let variant = plan.variants.first()?;
    let activation = variant.activation.or(plan.model.activation)?;
    let unit = crate::model::Nonlinearity {
        activation,
        gain: variant
            .activation_gain
            .or(plan.model.activation_gain)
            .unwrap_or(1.0),
        shift: variant
            .activation_shift
            .or(plan.model.activation_shift)
            .unwrap_or(0.0),
    };
    let bias_var = variant.bias_var.or(plan.model.bias_var).unwrap_or(0.0);
    let setting = |p: &crate::store::PointResult, key: &str| -> Option<f64> {
        plain(&p.settings.iter().find(|(k, _)| k == key)?.1)
            .parse()
            .ok()
    };
    let cells = record
        .points
        .iter()
        .filter_map(|p| {
            let accuracy = p
                .variants
                .iter()
                .find(|v| v.name == variant.name)?
                .stats
                .test_accuracy
                .map(|s| s.mean);
            Some((
                setting(p, "model.weight_var")?,
                setting(p, "model.depth")?,
                accuracy,
            ))
        })
        .collect::<Vec<_>>();
    let (lo, hi) = cells.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), c| {
        (lo.min(c.0), hi.max(c.0))
    });
    let six_xi_c = (0..=120)
        .map(|i| lo + (hi - lo) * i as f64 / 120.0)
        .filter_map(|w| {
            let s = prediction::summarize(unit, w, bias_var, 1, 1.0).ok()?;
            Some((w, 6.0 * s.xi_c?))
        })
        .collect();
    Some(Map {
        variant: variant.name.clone(),
        cells,
        six_xi_c,
        bias_var,
    })
}

pub fn draw(path: &Path, map: &Map) -> DrawResult {
    register_fonts();
    let root = BitMapBackend::new(path, (1000, 720)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut ws: Vec<f64> = map.cells.iter().map(|c| c.0).collect();
    let mut ds: Vec<f64> = map.cells.iter().map(|c| c.1).collect();
    ws.sort_by(f64::total_cmp);
    ws.dedup();
    ds.sort_by(f64::total_cmp);
    ds.dedup();
    let half_w = ws
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(f64::INFINITY, f64::min)
        .min(1.0)
        / 2.0;
    let d_max = ds.last().copied().unwrap_or(1.0);
    let (w_lo, w_hi) = (ws[0] - half_w, ws[ws.len() - 1] + half_w);
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "Trainability of {} (bias_var {}): test accuracy, and 6 xi_c",
                map.variant, map.bias_var
            ),
            (FAMILY, TITLE_SIZE),
        )
        .margin(15)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(w_lo..w_hi, 0.0..d_max * 1.15)?;
    chart
        .configure_mesh()
        .x_desc("weight variance sigma_w^2")
        .y_desc("depth (hidden layers)")
        .axis_desc_style((FAMILY, LABEL_SIZE))
        .label_style((FAMILY, TICK_SIZE))
        .draw()?;
    // Each cell a rectangle between its neighbours, shaded white (chance) to blue (best).
    let span = |values: &[f64], v: f64| {
        let i = values.iter().position(|x| *x == v).unwrap_or(0);
        let lo = if i == 0 {
            v - half_w
        } else {
            (values[i - 1] + v) / 2.0
        };
        let hi = if i + 1 == values.len() {
            v + half_w.max(if i > 0 {
                (v - values[i - 1]) / 2.0
            } else {
                half_w
            })
        } else {
            (v + values[i + 1]) / 2.0
        };
        (lo, hi)
    };
    let best = map
        .cells
        .iter()
        .filter_map(|c| c.2)
        .fold(0.0, f64::max)
        .max(0.11);
    for &(w, d, accuracy) in &map.cells {
        let ((x0, x1), (y0, y1)) = (span(&ws, w), span(&ds, d));
        let t = accuracy.map_or(0.0, |a| ((a - 0.1) / (best - 0.1)).clamp(0.0, 1.0));
        let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
        let color = accuracy.map_or(RGBColor(200, 200, 200), |_| {
            RGBColor(mix(247.0, 8.0), mix(251.0, 48.0), mix(255.0, 107.0))
        });
        chart.draw_series([Rectangle::new([(x0, y0), (x1, y1)], color.filled())])?;
        let label = accuracy.map_or("diverged".into(), |a| format!("{:.0}%", 100.0 * a));
        let ink = if t > 0.55 { WHITE } else { BLACK };
        chart.draw_series([Text::new(
            label,
            (
                (x0 + x1) / 2.0 - 0.04 * (w_hi - w_lo) / ws.len() as f64,
                (y0 + y1) / 2.0,
            ),
            (FAMILY, TICK_SIZE).into_font().color(&ink),
        )])?;
    }
    let curve = RGBColor(213, 94, 0);
    chart
        .draw_series(LineSeries::new(
            map.six_xi_c.iter().copied().filter(|p| p.1 <= d_max * 1.15),
            curve.stroke_width(3),
        ))?
        .label("6 xi_c (mean-field theory)")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], curve.stroke_width(3)));
    legend(&mut chart, SeriesLabelPosition::UpperRight, TICK_SIZE)?;
    root.present()?;
    Ok(())
}
