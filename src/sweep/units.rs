//! Units of sweep work: one variant of one grid point, trained once however many points share
//! it. A variant whose resolved configuration and data-order streams are the same at two
//! points (a grid key that only changes another variant) trains bit for bit the same there,
//! so it is trained once and its result reused.

use std::collections::BTreeMap;

use crate::{analysis::probe::StatRow, config::Plan, store::VariantSummary};

use super::grid::Job;

/// The per-layer statistics a unit keeps, at its last epoch and first seed.
pub const LAYER_SUMMARY: [(&str, &str); 5] = [
    ("a", "std"),
    ("a", "saturated_fraction"),
    ("a", "dead_units"),
    ("a", "mean_derivative"),
    ("dz", "norm"),
];

/// One variant of one point's plan, to be trained once however many points share it (a
/// "unit" of sweep work; the activation a theory analyses is `theory::Unit`).
#[derive(Clone)]
pub struct Training {
    pub plan: Plan,
    pub variant: usize,
}

/// What a [`Training`] produced.
#[derive(Clone, Debug)]
pub struct Trained {
    pub summary: VariantSummary,
    pub seconds: f64,
    pub layers: Vec<StatRow>,
}

/// Everything a variant's training depends on, as text: the experiment's data, model,
/// training and probe settings, the variant's own settings, and the data-order streams its
/// seeds start from (they continue from the last variant's weight draws).
pub fn key(plan: &Plan, variant: usize) -> String {
    let e = &plan.experiment;
    let v = &plan.variants[variant];
    let streams: Vec<String> = crate::run::program_seeds(plan)
        .iter()
        .map(|(_, seeds)| {
            serde_json::to_string(&crate::run::order_streams(plan, seeds)).unwrap_or_default()
        })
        .collect();
    serde_json::json!({
        "data": e.data, "model": e.model, "train": e.train, "probes": e.probes,
        "architecture": plan.architecture,
        "variant": { "name": v.name, "nonlinearity": v.nonlinearity, "init": v.init },
        "streams": streams,
    })
    .to_string()
}

/// The distinct units of `jobs`, in first-use order, and each job's unit indices.
pub fn units(jobs: &[Job]) -> (Vec<Training>, Vec<Vec<usize>>) {
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut units = Vec::new();
    let per_job = jobs
        .iter()
        .map(|job| {
            (0..job.plan.variants.len())
                .map(|v| {
                    *index.entry(key(&job.plan, v)).or_insert_with(|| {
                        units.push(Training {
                            plan: job.plan.clone(),
                            variant: v,
                        });
                        units.len() - 1
                    })
                })
                .collect()
        })
        .collect();
    (units, per_job)
}
