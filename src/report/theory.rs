//! Theory beside measurement: at initialisation (the epoch-0 probe), each layer's measured
//! pre-activation length `q^l` (the mean of `z^2` over the probe set) and gradient-norm ratio
//! beside mean-field theory's prediction for the variant's init, with the relative error.

use super::page::Page;
use crate::{
    analysis::prediction::{predict_inputs, probe_second_moments},
    data::Split,
    model::{FamilyKind, NormKind},
    plot::TheoryFigure,
    store::RunRecord,
};

/// One statistic at initialisation (the epoch-0 probe).
fn stat(
    record: &RunRecord,
    variant: &str,
    layer: usize,
    tensor: &str,
    statistic: &str,
) -> Option<f64> {
    super::layers::stat(record, variant, 0, layer, tensor, statistic)
}

/// A length readable at any scale (ReLU at sigma_w^2 = 1 halves it 49 times over 50 layers).
fn length(q: f64) -> String {
    if q != 0.0 && q.abs() < 1e-3 {
        format!("{q:.4e}")
    } else {
        format!("{q:.4}")
    }
}

fn relative(measured: f64, predicted: f64) -> String {
    format!("{:+.1}%", 100.0 * (measured - predicted) / predicted)
}

/// The section, when the run was probed at epoch 0.
pub fn render_theory(page: &mut Page, record: &RunRecord, split: &Split) {
    if !record.layer_stats.iter().any(|r| r.epoch == 0) {
        return;
    }
    let Some(plan) = &record.plan else {
        return;
    };
    page.heading(2, "Theory beside measurement at initialisation");
    page.paragraph(
        "Mean-field theory (Poole et al. 2016; Schoenholz et al. 2017) predicts, for an infinitely wide network, each layer's \
         pre-activation length q^l = E[z^2] (per input, from its own q^1; averaged over the probe inputs as the measurement is) from the init's variances (sigma_w^2 = fan_in Var[W], sigma_b^2 = Var[b]) and the ratio of \
         gradient norms between consecutive layers, sqrt(sigma_w^2 E[phi'(z)^2]). Measured: the mean of z^2 over the probe set and \
         the ratio ||dL/dz^l|| / ||dL/dz^(l+1)|| at epoch 0, first seed. A network of finite width fluctuates around the prediction.",
    );
    let arch = &plan.architecture;
    if arch.family != FamilyKind::Mlp || arch.norm != NormKind::None {
        page.paragraph(&format!(
            "The predictions cover plain MLPs; this model is `{}`, so none is given.",
            arch.describe()
        ));
        return;
    }
    let probes = &plan.experiment.probes;
    let inputs = probe_second_moments(split, probes);
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut verdicts = Vec::new();
    for variant in &plan.variants {
        let prediction = match predict_inputs(
            variant.nonlinearity,
            &variant.init,
            arch.features(),
            &arch.hidden,
            &inputs,
        ) {
            Ok(p) => p,
            Err(e) => {
                rows.push(vec![
                    variant.name.clone(),
                    String::new(),
                    String::new(),
                    format!("no prediction: {e}"),
                ]);
                continue;
            }
        };
        let mut errors: Vec<(usize, f64)> = Vec::new();
        for (l, &q_pred) in prediction.q.iter().enumerate() {
            let layer = l + 1;
            let name = &variant.name;
            let q = match (
                stat(record, name, layer, "z", "std"),
                stat(record, name, layer, "z", "mean"),
            ) {
                (Some(s), Some(m)) => Some(s * s + m * m),
                _ => None,
            };
            let ratio = match (
                stat(record, name, layer, "dz", "norm"),
                stat(record, name, layer + 1, "dz", "norm"),
            ) {
                (Some(a), Some(b)) if layer < prediction.q.len() => Some(a / b),
                _ => None,
            };
            let ratio_pred = prediction.gradient_ratio.get(l).copied();
            if let Some(q) = q {
                errors.push((layer, (q - q_pred) / q_pred));
            }
            rows.push(vec![
                name.clone(),
                layer.to_string(),
                q.map_or("n/a".into(), length),
                length(q_pred),
                q.map_or(String::new(), |q| relative(q, q_pred)),
                ratio.map_or(String::new(), |r| format!("{r:.4}")),
                ratio_pred.map_or(String::new(), |r| format!("{r:.4}")),
                ratio
                    .zip(ratio_pred)
                    .map_or(String::new(), |(r, p)| relative(r, p)),
            ]);
        }
        if let Some(&(worst_layer, worst)) =
            errors.iter().max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        {
            let within = errors.iter().filter(|(_, e)| e.abs() <= 0.05).count();
            verdicts.push(format!(
                "{} {within} of {} layers (largest {:+.1}% at layer {worst_layer})",
                variant.name,
                errors.len(),
                100.0 * worst
            ));
        }
    }
    page.table(
        &[
            "variant",
            "layer",
            "q measured",
            "q predicted",
            "error",
            "gradient ratio measured",
            "predicted",
            "error",
        ],
        &rows,
    );
    let figure = TheoryFigure::SignalDepth;
    if record.dir.join(figure.file()).is_file() {
        page.figure(figure.title(), figure.file());
    }
    if !verdicts.is_empty() {
        let width = arch.hidden.iter().copied().min().unwrap_or(1);
        page.paragraph(&format!(
            "**Within 5% of theory** (q^l), by variant: {}.\n\n\
             Why a layer can be further off: the theory is for infinite width; at width {width} the mean of z^2 over the layer \
             fluctuates by about sqrt(2/{width}) = {:.1}% from layer to layer. Where the length map contracts (a stable q*, \
             chi_q < 1) these fluctuations stay of that size; at a neutral point (ReLU at sigma_w^2 = 2, tanh at sigma_w^2 = 1 \
             without bias) nothing pulls them back and they add up like a random walk over depth; where the map is steep \
             on the way to q* (GELU) an early fluctuation is amplified before it decays.",
            verdicts.join("; "),
            100.0 * (2.0 / width as f64).sqrt()
        ));
    }
}
