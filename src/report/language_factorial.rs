//! The 2x2 factorial of a language-model run (`[factorial]`): how much of the gap in final
//! validation loss between a baseline and a reference each of two changes to the feed-forward
//! activation explains, seed by seed, and what the probes inside the blocks show of each cell.

use super::factorial::{answers, contrasts};
use crate::{
    config::FactorialConfig,
    store::language::{LmRecord, LmVariantSummary},
};

/// Per seed the five cells' final validation losses, over the seeds every cell finished.
fn seed_rows(cells: &[&LmVariantSummary; 5]) -> Vec<[f64; 5]> {
    cells[0]
        .seeds
        .iter()
        .filter_map(|seed| {
            let mut row = [0.0; 5];
            for (i, cell) in cells.iter().enumerate() {
                let k = cell.seeds.iter().position(|s| s == seed)?;
                row[i] = cell.final_val_loss[k]?;
            }
            Some(row)
        })
        .collect()
}

/// The mean over blocks of `tensor`'s `statistic` for `variant` at `step`.
pub(super) fn block_mean(
    record: &LmRecord,
    variant: &str,
    step: usize,
    tensor: &str,
    statistic: &str,
) -> Option<f64> {
    let values: Vec<f64> = record
        .layer_stats
        .iter()
        .filter(|r| {
            r.variant == variant
                && r.epoch == step
                && r.tensor == tensor
                && r.statistic == statistic
        })
        .map(|r| r.value)
        .collect();
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// One block's value of `tensor`'s `statistic` for `variant` at `step`.
fn at_block(
    record: &LmRecord,
    variant: &str,
    step: usize,
    block: usize,
    tensor: &str,
    statistic: &str,
) -> Option<f64> {
    record
        .layer_stats
        .iter()
        .find(|r| {
            r.variant == variant
                && r.epoch == step
                && r.layer == block
                && r.tensor == tensor
                && r.statistic == statistic
        })
        .map(|r| r.value)
}

pub(super) fn factorial_section(record: &LmRecord, f: &FactorialConfig) -> Vec<String> {
    let variants = &record.summary.variants;
    let find = |name: &str| variants.iter().find(|v| v.name == name);
    let (Some(base), Some(a), Some(b), Some(both), Some(reference)) = (
        find(&f.baseline),
        find(&f.a.variant),
        find(&f.b.variant),
        find(&f.both),
        find(&f.reference),
    ) else {
        return Vec::new();
    };
    let cells = [base, a, b, both, reference];
    let rows = seed_rows(&cells);
    let mut lines = vec![
        format!(
            "## What explains the gap between {} and {}?",
            f.baseline, f.reference
        ),
        String::new(),
        format!(
            "A 2x2 factorial on the final validation loss (nats per token): **{}** alone ({}), **{}** alone ({}), both ({}). Per seed (the same batches and initial draws in every cell), a main effect is the change's effect averaged over the other's two levels; the interaction is both − a − b + baseline; the gap is {} − {}. Mean over {} seeds with its 95% interval (paired, Student's t); *share* is a contrast's mean over the gap's.",
            f.a.name,
            f.a.variant,
            f.b.name,
            f.b.variant,
            f.both,
            f.reference,
            f.baseline,
            rows.len()
        ),
        String::new(),
        "| contrast | mean [95% CI] | share of the gap | paired t p |".into(),
        "|---|---|---|---|".into(),
    ];
    let mut answer = Vec::new();
    for x in contrasts(&rows, &f.a.name, &f.b.name) {
        let (label, c, share) = (&x.label, &x.comparison, &x.share);
        if answers(&x) {
            answer.push(format!("{label} {share} of the gap"));
        }
        lines.push(format!(
            "| {label} | {:+.4} [{:+.4}, {:+.4}] | {share} | {:.2e} |",
            c.mean_difference, c.ci95[0], c.ci95[1], c.t_p_value
        ));
    }
    lines.push(String::new());
    if !answer.is_empty() {
        lines.push(format!("**Answer.** {}.", answer.join("; ")));
        lines.push(String::new());
    }
    lines.extend(probe_table(record, &cells));
    lines
}

/// What the probes show in each cell (and every other variant), at the first and last probed
/// steps: the activation's mean, its mean slope, saturation, the gradient at z in the first
/// and last blocks, and the residual stream entering the last block.
fn probe_table(record: &LmRecord, cells: &[&LmVariantSummary; 5]) -> Vec<String> {
    let steps: Vec<usize> = record.layer_stats.iter().map(|r| r.epoch).collect();
    let (Some(&first), Some(&last)) = (steps.iter().min(), steps.iter().max()) else {
        return Vec::new();
    };
    let blocks = record
        .layer_stats
        .iter()
        .map(|r| r.layer)
        .max()
        .unwrap_or(1);
    let cell = |v: Option<f64>| v.map_or("n/a".into(), |v| format!("{v:.4}"));
    let mut lines = vec![
        format!(
            "**What the probes show** (each variant's first seed; means over the {blocks} blocks unless a block is named; step {first} → step {last}):"
        ),
        String::new(),
        "| variant | mean of a | mean f'(z) | saturated | \\|\\|dL/dz\\|\\| block 1 | \\|\\|dL/dz\\|\\| last block | residual RMS, last block |".into(),
        "|---|---|---|---|---|---|---|".into(),
    ];
    let mut names: Vec<&str> = cells.iter().map(|v| v.name.as_str()).collect();
    for v in &record.summary.variants {
        if !names.contains(&v.name.as_str()) {
            names.push(&v.name);
        }
    }
    names.dedup();
    for name in names {
        let span =
            |f: &dyn Fn(usize) -> Option<f64>| format!("{} → {}", cell(f(first)), cell(f(last)));
        lines.push(format!(
            "| {name} | {} | {} | {} | {} | {} | {} |",
            span(&|s| block_mean(record, name, s, "a", "mean")),
            span(&|s| block_mean(record, name, s, "z", "mean_derivative")),
            span(&|s| block_mean(record, name, s, "z", "saturated_fraction")),
            span(&|s| at_block(record, name, s, 1, "dz", "norm")),
            span(&|s| at_block(record, name, s, blocks, "dz", "norm")),
            span(&|s| at_block(record, name, s, blocks, "residual", "rms")),
        ));
    }
    lines.push(String::new());
    lines
}
