//! The per-layer section of `report.md`: what happened to each layer of each variant, in numbers.

use super::page::Page;
use crate::{
    plot::{LayerFigure, has_layer_figures},
    store::RunRecord,
};

/// One statistic at one epoch, if probed.
pub fn stat(
    record: &RunRecord,
    variant: &str,
    epoch: usize,
    layer: usize,
    tensor: &str,
    statistic: &str,
) -> Option<f64> {
    record
        .layer_stats
        .iter()
        .find(|r| {
            r.variant == variant
                && r.epoch == epoch
                && r.layer == layer
                && r.tensor == tensor
                && r.statistic == statistic
        })
        .map(|r| r.value)
}

/// "What happened to each layer of each variant", in numbers, at the first and last probe.
pub fn render_layers(page: &mut Page, record: &RunRecord) {
    let epochs: Vec<usize> = record.layer_stats.iter().map(|r| r.epoch).collect();
    let (Some(&first), Some(&last)) = (epochs.iter().min(), epochs.iter().max()) else {
        return;
    };
    let probes = &record.experiment.probes;
    page.heading(2, "Per-layer statistics over training").paragraph(&format!(
        "Probed on the {} set at epoch 0 (before any update), every {} epochs and at the last, \
         for each variant's first seed; a separate forward and backward pass that leaves training untouched. \
         `a`: activation; p2-p98: the band holding 96% of the values; saturated: within {} of a bound; dead: units never positive; \
         f'(z): mean derivative of the activation, the share of gradient the layer passes; ||dL/dz||: gradient norm of the probe-set loss; \
         distance preservation: correlation of pairwise distances in input space and in the layer.",
        probes.set, probes.every, probes.saturation_eps
    ));
    let layers = record.layer_names().len();
    let fmt = |v: Option<f64>| v.map_or("".into(), |v| format!("{v:.4}"));
    let mut rows = Vec::new();
    for v in &record.summary.variants {
        for layer in 1..=layers {
            let epochs = if first == last {
                vec![first]
            } else {
                vec![first, last]
            };
            for epoch in epochs {
                let g = |t: &str, s: &str| stat(record, &v.name, epoch, layer, t, s);
                let band = match (g("a", "p2"), g("a", "p98")) {
                    (Some(a), Some(b)) => format!("{a:.3} to {b:.3}"),
                    _ => String::new(),
                };
                rows.push(vec![
                    v.name.clone(),
                    layer.to_string(),
                    epoch.to_string(),
                    fmt(g("a", "mean")),
                    fmt(g("a", "std")),
                    band,
                    fmt(g("a", "saturated_fraction")),
                    fmt(g("a", "dead_units")),
                    fmt(g("a", "mean_derivative")),
                    fmt(g("dz", "norm")),
                    fmt(g("geometry", "distance_preservation")),
                ]);
            }
        }
    }
    page.table(
        &[
            "variant",
            "layer",
            "epoch",
            "a mean",
            "a std",
            "a p2-p98",
            "saturated",
            "dead",
            "f'(z)",
            "||dL/dz||",
            "distance preservation",
        ],
        &rows,
    );
    let mut bullets = Vec::new();
    for v in &record.summary.variants {
        let g = |layer: usize, t: &str, s: &str| stat(record, &v.name, last, layer, t, s);
        let bands: Vec<String> = (1..=layers)
            .filter_map(|l| {
                Some(format!(
                    "layer {l}: {:.3} to {:.3} (std {:.4})",
                    g(l, "a", "p2")?,
                    g(l, "a", "p98")?,
                    g(l, "a", "std")?
                ))
            })
            .collect();
        let grads: Vec<String> = (1..=layers + 1)
            .filter_map(|l| Some(format!("{:.4}", g(l, "dz", "norm")?)))
            .collect();
        let geometry = (1..=layers)
            .filter_map(|l| Some(format!("{:.3}", g(l, "geometry", "distance_preservation")?)))
            .collect::<Vec<_>>();
        let mut bullet = format!(
            "- **{}** at epoch {last}: activations span {}. Gradient norm from the first layer to the output: {}. Distance preservation by layer: {}.",
            v.name,
            bands.join("; "),
            grads.join(", "),
            geometry.join(", ")
        );
        if let (Some(c), Some(slope)) = (
            g(layers + 1, "geometry", "logit_distance_correlation"),
            g(layers + 1, "geometry", "logit_per_unit_distance"),
        ) {
            bullet += &format!(
                " |logit| grows by {slope:.2} per unit of distance from the decision boundary (correlation {c:.3})."
            );
        }
        bullets.push(bullet);
    }
    page.paragraph(&bullets.join("\n"));
    if has_layer_figures(record) {
        for figure in LayerFigure::ALL {
            page.heading(3, figure.title())
                .figure(figure.title(), figure.file());
        }
    }
}
