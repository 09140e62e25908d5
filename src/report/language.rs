//! `report.md` of a language-model run, and its figure, rebuilt from the run folder alone: the
//! question, the corpus, each variant's parameters and final validation loss over seeds (with
//! a 95% interval), each variant paired against the first, a published value beside the
//! measured one, speed, the loss curves, the probes inside the blocks, and a sample of each
//! variant's text.

use std::path::Path;

use crate::{
    analysis::paired::{Comparison, compare, holm},
    config::language::LmExperiment,
    store::{
        StoreError,
        language::{JobResult, LmRecord, LmVariantSummary},
        write_figure, write_text,
    },
};

/// Re-creates `loss.png` and `report.md` in `dir` from the files there.
pub fn rebuild(dir: &Path) -> Result<(), StoreError> {
    let record = LmRecord::load(dir)?;
    crate::plot::register_fonts();
    write_figure(&dir.join("loss.png"), |p| {
        crate::plot::language::draw(p, &record)
    })?;
    if !record.layer_stats.is_empty() {
        for figure in &crate::plot::language::BLOCK_FIGURES {
            write_figure(&dir.join(figure.file), |p| {
                crate::plot::language::draw_blocks(p, &record, figure)
            })?;
        }
    }
    let experiment: Option<LmExperiment> = toml::from_str(&record.config).ok();
    write_text(
        &dir.join("report.md"),
        &render(&record, experiment.as_ref()),
    )?;
    super::write_tensorboard(dir).map(|_| ())
}

pub(super) fn loss(v: Option<f64>) -> String {
    v.map_or("diverged".into(), |v| format!("{v:.4}"))
}

pub(super) fn mean_cell(v: &LmVariantSummary) -> String {
    match (v.mean_val_loss, v.val_loss_interval) {
        (Some(m), Some([lo, hi])) => format!("{m:.4} [{lo:.4}, {hi:.4}]"),
        (Some(m), None) => format!("{m:.4}"),
        (None, _) => "all diverged".into(),
    }
}

/// The experiment's question, and its expected answer when it states one.
pub(super) fn question_lines(e: &LmExperiment) -> Vec<String> {
    let mut lines = vec![format!("**Question.** {}", e.question), String::new()];
    if !e.expected.is_empty() {
        lines.extend([format!("**Expected.** {}", e.expected), String::new()]);
    }
    lines
}

pub fn render(record: &LmRecord, experiment: Option<&LmExperiment>) -> String {
    let s = &record.summary;
    let c = &s.corpus;
    let mut lines = vec![format!("# {}", s.experiment), String::new()];
    if let Some(e) = experiment {
        lines.extend(question_lines(e));
        let m = &e.model;
        let t = &e.train;
        lines.push(format!(
            "**Model.** GPT, {} layers, {} heads, {} channels, context {}, {} norm, {} positions, biases {}, head {}, dropout {}.",
            m.n_layer,
            m.n_head,
            m.n_embd,
            m.block_size,
            toml_name(&m.norm),
            toml_name(&m.position),
            if m.bias { "on" } else { "off" },
            if m.tie_embeddings { "tied to the embedding" } else { "untied" },
            m.dropout
        ));
        lines.push(String::new());
        lines.push(format!(
            "**Training.** {} steps of batch {} (AdamW, lr {} after {} warm-up steps, cosine to {} at step {}, betas {:?}, weight decay {} on matrices, clip {}), evaluated every {} steps on {} batches of each split.",
            t.iterations,
            t.batch_size,
            t.lr,
            t.warmup_iters,
            t.min_lr,
            t.decay_iters(),
            t.betas,
            t.weight_decay,
            t.grad_clip,
            t.eval_interval,
            t.eval_iters
        ));
        lines.push(String::new());
    }
    lines.push(format!(
        "**Corpus.** {} ({} bytes, SHA-256 `{}`), {} tokens of {} kinds ({:?}): {} for training (the first 90%), {} for validation. Unigram entropy {:.4} nats per token: a model that learned only token frequencies would sit there.",
        c.source,
        c.bytes,
        c.sha256,
        c.tokens,
        c.vocabulary.size(),
        c.vocabulary.tokens,
        c.train_tokens,
        c.val_tokens,
        c.unigram_entropy
    ));
    lines.push(String::new());
    lines.push(format!(
        "**Backend.** {} ({}, {}).{}",
        s.backend.backend,
        s.backend.device,
        s.backend.precision,
        if s.overrides.is_empty() {
            String::new()
        } else {
            format!(" Overrides: `{}`.", s.overrides.join("`, `"))
        }
    ));
    lines.push(String::new());
    lines.push("## Results".into());
    lines.push(String::new());
    lines.push("| variant | feed-forward | parameters | hidden | final validation loss (mean [95% CI]) | bits per token | per seed | final training loss | tokens/s | training time |".into());
    lines.push("|---|---|---|---|---|---|---|---|---|---|".into());
    for v in &s.variants {
        let per_seed = v
            .final_val_loss
            .iter()
            .map(|l| loss(*l))
            .collect::<Vec<_>>()
            .join(", ");
        let train = v
            .final_train_loss
            .iter()
            .map(|l| loss(*l))
            .collect::<Vec<_>>()
            .join(", ");
        lines.push(format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:.0} | {:.0} s |",
            v.name,
            v.activation,
            v.parameters,
            v.hidden,
            mean_cell(v),
            v.mean_val_loss.map_or("n/a".into(), |m| format!(
                "{:.3}",
                m / std::f64::consts::LN_2
            )),
            per_seed,
            train,
            v.tokens_per_second,
            v.train_seconds
        ));
    }
    lines.push(String::new());
    lines.extend(paired_section(record));
    if let Some(f) = experiment.and_then(|e| e.factorial.as_ref()) {
        lines.extend(super::language_factorial::factorial_section(record, f));
    }
    if let Some(r) = experiment.and_then(|e| e.reference.as_ref()) {
        lines.push("## Published beside measured".into());
        lines.push(String::new());
        if let Some(v) = s.variants.iter().find(|v| v.name == r.variant) {
            let verdict = match v.mean_val_loss {
                Some(m) if (m - r.val_loss).abs() <= r.tolerance => format!(
                    "**holds**: the mean is {:.4}, within {} of the published {}",
                    m, r.tolerance, r.val_loss
                ),
                Some(m) => format!(
                    "**differs**: the mean is {:.4}, {:+.4} from the published {} (tolerance {})",
                    m,
                    m - r.val_loss,
                    r.val_loss,
                    r.tolerance
                ),
                None => "**not measured**: every seed diverged".into(),
            };
            lines.push(format!(
                "| | published | measured ({} seeds) |",
                v.seeds.len()
            ));
            lines.push("|---|---|---|".into());
            lines.push(format!(
                "| validation loss, {} | {} | {} |",
                v.name,
                r.val_loss,
                mean_cell(v)
            ));
            lines.push(String::new());
            lines.push(format!("Source: {}. Verdict: {verdict}.", r.source));
            lines.push(String::new());
        }
    }
    lines.push("## Loss curves".into());
    lines.push(String::new());
    lines.push("![loss](loss.png)".into());
    lines.push(String::new());
    lines.extend(blocks_section(record));
    lines.push("## Samples".into());
    lines.push(String::new());
    if let Some(e) = experiment {
        let p = &e.sample;
        lines.push(format!(
            "{} tokens after the prompt {:?}, temperature {}, top-k {}, sampling seed {}; from each variant's first seed (`actlab sample` makes more).",
            p.tokens, p.prompt, p.temperature, p.top_k, p.seed
        ));
        lines.push(String::new());
    }
    for v in &s.variants {
        if let Some(first) = record
            .results
            .iter()
            .find(|r: &&JobResult| r.variant == v.name)
        {
            lines.push(format!("### {} (seed {})", v.name, first.seed));
            lines.push(String::new());
            if first.history.diverged && first.sample.is_empty() {
                lines.push("No sample: this job diverged.".into());
            } else {
                lines.push("```text".into());
                lines.push(first.sample.replace("```", "'''"));
                lines.push("```".into());
            }
            lines.push(String::new());
        }
    }
    lines.join("\n")
}

/// One comparison against the reference variant: who, the paired result, and t's p-value
/// Holm-corrected over every comparison made with it.
pub(super) struct Paired<'a> {
    pub name: String,
    pub summary: &'a LmVariantSummary,
    pub comparison: Comparison,
    pub holm_p: f64,
}

/// Each of `others` against `base`, paired by seed (variants of a seed share their batches,
/// and their initial draws where shapes agree): final validation loss minus `base`'s, seed by
/// seed. Those with fewer than two pairs that did not diverge are left out.
pub(super) fn paired<'a>(
    base: &LmVariantSummary,
    others: &[(String, &'a LmVariantSummary)],
) -> Vec<Paired<'a>> {
    let pairs = |v: &LmVariantSummary| -> (Vec<f64>, Vec<f64>) {
        v.seeds
            .iter()
            .zip(&v.final_val_loss)
            .filter_map(|(seed, loss)| {
                let i = base.seeds.iter().position(|s| s == seed)?;
                Some(((*loss)?, base.final_val_loss[i]?))
            })
            .unzip()
    };
    let compared: Vec<(String, &LmVariantSummary, Comparison)> = others
        .iter()
        .filter_map(|(name, v)| {
            let (x, y) = pairs(v);
            Some((name.clone(), *v, compare(&x, &y)?))
        })
        .collect();
    let p: Vec<f64> = compared.iter().map(|(_, _, c)| c.t_p_value).collect();
    let adjusted = holm(&p).unwrap_or(p);
    compared
        .into_iter()
        .zip(adjusted)
        .map(|((name, summary, comparison), holm_p)| Paired {
            name,
            summary,
            comparison,
            holm_p,
        })
        .collect()
}

/// The section of paired differences against `base_name`; empty when nothing pairs.
pub(super) fn paired_lines(base_name: &str, rows: &[Paired]) -> Vec<String> {
    if rows.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![
        format!("## Paired differences against {base_name}"),
        String::new(),
        format!(
            "Final validation loss minus {base_name}'s, seed by seed (negative: lower loss than {base_name}); the mean difference with its 95% interval, the paired t and Wilcoxon p-values, and t's p-value Holm-corrected over the comparisons."
        ),
        String::new(),
        "| variant | pairs | mean difference [95% CI] | t p | Wilcoxon p | t p, Holm |".into(),
        "|---|---|---|---|---|---|".into(),
    ];
    for r in rows {
        let c = &r.comparison;
        lines.push(format!(
            "| {} | {} | {:+.4} [{:+.4}, {:+.4}] | {:.3} | {} | {:.3} |",
            r.name,
            c.n,
            c.mean_difference,
            c.ci95[0],
            c.ci95[1],
            c.t_p_value,
            c.wilcoxon_p_value
                .map_or("n/a".into(), |p| format!("{p:.3}")),
            r.holm_p
        ));
    }
    lines.push(String::new());
    lines
}

/// Each variant against the first; empty with fewer than two variants or two seeds.
fn paired_section(record: &LmRecord) -> Vec<String> {
    let variants = &record.summary.variants;
    let Some(base) = variants.first() else {
        return Vec::new();
    };
    let others: Vec<(String, &LmVariantSummary)> =
        variants[1..].iter().map(|v| (v.name.clone(), v)).collect();
    paired_lines(&base.name, &paired(base, &others))
}

/// The per-block probes at the last probed step: sparsity, dead units, the activation's slope,
/// saturation, the gradient at z, the residual stream and attention, with the figures.
pub(super) fn blocks_section(record: &LmRecord) -> Vec<String> {
    let stats = &record.layer_stats;
    let Some(last) = stats.iter().map(|r| r.epoch).max() else {
        return Vec::new();
    };
    let value = |variant: &str, layer: usize, tensor: &str, statistic: &str| {
        stats
            .iter()
            .find(|r| {
                r.variant == variant
                    && r.layer == layer
                    && r.epoch == last
                    && r.tensor == tensor
                    && r.statistic == statistic
            })
            .map_or("n/a".to_string(), |r| format!("{:.4}", r.value))
    };
    let blocks = stats.iter().map(|r| r.layer).max().unwrap_or(0);
    let mut lines = vec![
        "## Inside the blocks".into(),
        String::new(),
        format!(
            "Probes of each variant's first seed on fixed validation windows, at step {last} (every probed step is in `activations.csv`, whose `epoch` column holds the step). Exact zeros and near zeros (|a| below 1e-3 of the block's largest) of the feed-forward activation, units never active on the probe windows, the mean slope f'(z) (the gate's for gated units), the share of bounded activations within 0.01 of a bound, ||dL/dz||, the RMS of the residual stream entering the block, and the mean attention entropy."
        ),
        String::new(),
        "| variant | block | zeros | near zeros | dead units | mean f'(z) | saturated | \\|\\|dL/dz\\|\\| | residual RMS | attention entropy |".into(),
        "|---|---|---|---|---|---|---|---|---|---|".into(),
    ];
    for v in &record.summary.variants {
        for layer in 1..=blocks {
            let cell = |t: &str, s: &str| value(&v.name, layer, t, s);
            lines.push(format!(
                "| {} | {layer} | {} | {} | {} | {} | {} | {} | {} | {} |",
                v.name,
                cell("a", "zero_fraction"),
                cell("a", "near_zero_fraction"),
                cell("a", "dead_fraction"),
                cell("z", "mean_derivative"),
                cell("z", "saturated_fraction"),
                cell("dz", "norm"),
                cell("residual", "rms"),
                cell("attention", "entropy"),
            ));
        }
    }
    lines.push(String::new());
    let probed = record
        .results
        .iter()
        .filter(|r| !r.history.probes.is_empty());
    let (probing, training) = probed.fold((0.0, 0.0), |(p, t), r| {
        (p + r.history.probe_seconds, t + r.history.train_seconds)
    });
    if probing > 0.0 && training > 0.0 {
        lines.push(format!(
            "Probing took {probing:.1} s beside {training:.0} s of training steps in the probed jobs ({:.1}% of their training time).",
            100.0 * probing / training
        ));
        lines.push(String::new());
    }
    for figure in &crate::plot::language::BLOCK_FIGURES {
        lines.push(format!("![{}]({})", figure.title, figure.file));
        lines.push(String::new());
    }
    lines
}

/// A kebab-case enum as its experiment-file name.
fn toml_name(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}
