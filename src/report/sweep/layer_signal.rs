//! The sweep page's per-layer signal: how signal and gradient survive the layers at each
//! point (first seed, last epoch, probe set).

use super::{Page, settings};
use crate::store::SweepRecord;

pub fn render(page: &mut Page, record: &SweepRecord) {
    if record.points.iter().all(|p| p.layers.is_empty()) {
        return;
    }
    let mut rows = Vec::new();
    for p in &record.points {
        for v in &record.experiment.variants {
            let layers: Vec<_> = p.layers.iter().filter(|r| r.variant == v.name).collect();
            let get = |layer: usize, t: &str, s: &str| {
                layers
                    .iter()
                    .find(|r| r.layer == layer && r.tensor == t && r.statistic == s)
                    .map(|r| r.value)
            };
            let Some(output_layer) = layers
                .iter()
                .filter(|r| r.tensor == "dz")
                .map(|r| r.layer)
                .max()
            else {
                continue;
            };
            let (first, output) = (get(1, "dz", "norm"), get(output_layer, "dz", "norm"));
            // "n/a" where the model has no hidden layer (logistic regression).
            let smallest = |s: &str| {
                layers
                    .iter()
                    .filter(|r| r.tensor == "a" && r.statistic == s)
                    .map(|r| r.value)
                    .min_by(f64::total_cmp)
                    .map_or("n/a".into(), |v| format!("{v:.4}"))
            };
            let show = |x: Option<f64>| x.map_or("n/a".into(), |v| format!("{v:.2e}"));
            rows.push(vec![
                settings(record, p),
                v.name.clone(),
                show(first),
                show(output),
                show(first.zip(output).map(|(a, b)| a / b)),
                smallest("std"),
                smallest("mean_derivative"),
            ]);
        }
    }
    page.heading(2, "Signal through the layers")
        .paragraph(
            "At the last epoch, first seed, on the probe set: the gradient norm ||dL/dz|| at the first hidden layer and at the output, \
             their ratio (how much of the output's gradient reaches the first layer), and the smallest activation std and mean f'(z) over the hidden layers.",
        )
        .table(
            &[
                "configuration",
                "variant",
                "||dL/dz|| layer 1",
                "||dL/dz|| output",
                "ratio",
                "smallest a std",
                "smallest f'(z)",
            ],
            &rows,
        );
}
