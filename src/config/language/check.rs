//! A language-model experiment checked before anything is computed: every key against what is
//! allowed (an error names the key, the value and the rule), each variant's model resolved,
//! and the memory a step would take estimated and limited.

use super::{LmExperiment, LmPublished};
use crate::model::gpt::{FeedForwardUnit, GptConfig, Position};

/// A bad value: the key, the value as written, and what is allowed.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{key} = {value}: {allowed}")]
pub struct LmConfigError {
    pub key: String,
    pub value: String,
    pub allowed: String,
}

fn bad(key: &str, value: impl std::fmt::Display, allowed: impl Into<String>) -> LmConfigError {
    LmConfigError {
        key: key.into(),
        value: value.to_string(),
        allowed: allowed.into(),
    }
}

/// Memory a model may take for its parameters, optimizer state and one step's activations.
pub const MEMORY_LIMIT_BYTES: usize = 8 << 30;

/// A checked experiment: each variant's resolved model.
#[derive(Clone, Debug)]
pub struct LmPlan {
    pub experiment: LmExperiment,
    /// `(variant name, model)` in file order.
    pub variants: Vec<(String, GptConfig)>,
}

impl LmExperiment {
    /// Validates every key that can be checked without the corpus; the vocabulary size is
    /// `vocab` (the corpus' own, or 256 for bytes).
    pub fn check(self, vocab: usize, validation_tokens: usize) -> Result<LmPlan, LmConfigError> {
        let (m, t) = (&self.model, &self.train);
        if m.family != "gpt" {
            return Err(bad(
                "model.family",
                &m.family,
                "a language model is family \"gpt\"",
            ));
        }
        for (key, value) in [
            ("model.n_layer", m.n_layer),
            ("model.n_head", m.n_head),
            ("model.n_embd", m.n_embd),
            ("model.block_size", m.block_size),
            ("train.batch_size", t.batch_size),
            ("train.eval_interval", t.eval_interval),
            ("train.eval_iters", t.eval_iters),
            ("train.seeds", t.seeds),
        ] {
            if value == 0 {
                return Err(bad(key, 0, "must be at least 1"));
            }
        }
        const MAX_DIMENSION: usize = 1 << 20;
        for (key, value) in [
            ("model.n_layer", m.n_layer),
            ("model.n_head", m.n_head),
            ("model.n_embd", m.n_embd),
            ("model.block_size", m.block_size),
            ("model.hidden", m.hidden.unwrap_or(1)),
            ("train.batch_size", t.batch_size),
        ] {
            if value > MAX_DIMENSION {
                return Err(bad(key, value, format!("must be at most {MAX_DIMENSION}")));
            }
        }
        if t.iterations == 0 {
            return Err(bad(
                "train.iterations",
                0,
                "must be at least 1 (a language model trains by steps)",
            ));
        }
        if m.n_embd % m.n_head != 0 {
            return Err(bad(
                "model.n_embd",
                m.n_embd,
                format!("must be divisible by model.n_head = {}", m.n_head),
            ));
        }
        if m.position == Position::Rotary && (m.n_embd / m.n_head) % 2 != 0 {
            return Err(bad(
                "model.position",
                "\"rotary\"",
                format!(
                    "needs an even head width; n_embd / n_head = {}",
                    m.n_embd / m.n_head
                ),
            ));
        }
        if !(0.0..1.0).contains(&m.dropout) {
            return Err(bad("model.dropout", m.dropout, "must be in [0, 1)"));
        }
        if validation_tokens <= m.block_size {
            return Err(bad(
                "model.block_size",
                m.block_size,
                format!(
                    "must be shorter than the validation split ({validation_tokens} tokens, the last 10% of the corpus)"
                ),
            ));
        }
        let positive = [("train.lr", t.lr), ("train.diverge_above", t.diverge_above)];
        for (key, value) in positive {
            if !(value.is_finite() && value > 0.0) {
                return Err(bad(key, value, "must be a positive number"));
            }
        }
        for (key, value) in [
            ("train.min_lr", t.min_lr),
            ("train.weight_decay", t.weight_decay),
            ("train.grad_clip", t.grad_clip),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(bad(key, value, "must be zero or a positive number"));
            }
        }
        if t.min_lr > t.lr {
            return Err(bad(
                "train.min_lr",
                t.min_lr,
                format!("must not exceed train.lr = {}", t.lr),
            ));
        }
        for (i, beta) in t.betas.iter().enumerate() {
            if !(0.0..1.0).contains(beta) {
                return Err(bad(&format!("train.betas[{i}]"), beta, "must be in [0, 1)"));
            }
        }
        if t.decay_iters() < t.warmup_iters {
            return Err(bad(
                "train.lr_decay_iters",
                t.decay_iters(),
                format!("must be at least train.warmup_iters = {}", t.warmup_iters),
            ));
        }
        let every = self.checkpoint.every;
        if every > 0 && !every.is_multiple_of(t.eval_interval) {
            return Err(bad(
                "checkpoint.every",
                every,
                format!(
                    "must be a multiple of train.eval_interval = {} (checkpoints are taken at evaluations)",
                    t.eval_interval
                ),
            ));
        }
        if self.probes.windows == 0 || self.probes.windows > 4096 {
            return Err(bad(
                "probes.windows",
                self.probes.windows,
                "must be 1 to 4096",
            ));
        }
        let s = &self.sample;
        if !(s.temperature.is_finite() && s.temperature > 0.0) {
            return Err(bad(
                "sample.temperature",
                s.temperature,
                "must be a positive number",
            ));
        }
        if s.top_k == 0 {
            return Err(bad("sample.top_k", 0, "must be at least 1"));
        }
        if self.variants.is_empty() {
            return Err(bad("variants", "[]", "at least one [[variants]] table"));
        }
        let mut variants = Vec::new();
        for (i, v) in self.variants.iter().enumerate() {
            if variants.iter().any(|(name, _)| name == &v.name) {
                return Err(bad(
                    &format!("variants[{i}].name"),
                    &v.name,
                    "names must be unique",
                ));
            }
            let key = format!("variants.{}.activation", v.name);
            let name = v
                .activation
                .as_ref()
                .or(m.activation.as_ref())
                .ok_or_else(|| bad(&key, "(none)", "set it, or model.activation"))?;
            let unit: FeedForwardUnit = name.parse().map_err(|e: String| bad(&key, name, e))?;
            let unit = unit
                .with_gain_shift(
                    v.activation_gain.unwrap_or(1.0),
                    v.activation_shift.unwrap_or(0.0),
                )
                .map_err(|e| bad(&format!("variants.{}.activation_gain", v.name), name, e))?;
            let hidden = m.hidden.unwrap_or_else(|| unit.default_hidden(m.n_embd));
            if hidden == 0 {
                return Err(bad("model.hidden", 0, "must be at least 1"));
            }
            let config = GptConfig {
                vocab,
                block_size: m.block_size,
                n_layer: m.n_layer,
                n_head: m.n_head,
                n_embd: m.n_embd,
                hidden,
                unit,
                dropout: m.dropout,
                bias: m.bias,
                tie_embeddings: m.tie_embeddings,
                norm: m.norm,
                position: m.position,
            };
            let bytes = memory_bytes(&config, t.batch_size);
            if bytes > MEMORY_LIMIT_BYTES {
                return Err(bad(
                    "model",
                    format!("{} parameters", config.parameters()),
                    format!(
                        "needs about {:.1} GB for parameters, optimizer state and one batch's activations; the limit is {} GB: make n_embd, n_layer, block_size or batch_size smaller",
                        bytes as f64 / 1e9,
                        MEMORY_LIMIT_BYTES >> 30
                    ),
                ));
            }
            variants.push((v.name.clone(), config));
        }
        if let Some(sweep) = &self.sweep {
            let unsupported = [
                ("sweep.heatmap", !sweep.heatmap.is_empty()),
                ("sweep.target", sweep.target.is_some()),
                ("sweep.reference", sweep.reference.is_some()),
                ("sweep.published", sweep.published.is_some()),
            ];
            if let Some((key, _)) = unsupported.iter().find(|(_, set)| *set) {
                return Err(bad(
                    key,
                    "(set)",
                    "a language-model sweep takes sweep.grid and sweep.labels only",
                ));
            }
            if sweep.grid.is_empty() || sweep.grid.values().any(Vec::is_empty) {
                return Err(bad(
                    "sweep.grid",
                    "(empty)",
                    "at least one key, each with at least one value",
                ));
            }
        }
        if let Some(r) = &self.reference
            && !variants.iter().any(|(name, _)| name == &r.variant)
        {
            return Err(bad(
                "reference.variant",
                &r.variant,
                "must name one of the variants",
            ));
        }
        if let Some(p) = &self.published {
            check_published(p)?;
        }
        if let Some(f) = &self.factorial {
            let cells = [
                ("factorial.baseline", &f.baseline),
                ("factorial.a.variant", &f.a.variant),
                ("factorial.b.variant", &f.b.variant),
                ("factorial.both", &f.both),
                ("factorial.reference", &f.reference),
            ];
            for (key, name) in cells {
                if !variants.iter().any(|(n, _)| n == name) {
                    let names: Vec<&str> = variants.iter().map(|(n, _)| n.as_str()).collect();
                    return Err(bad(
                        key,
                        format!("\"{name}\""),
                        format!("must name one of the variants: {}", names.join(", ")),
                    ));
                }
            }
        }
        Ok(LmPlan {
            experiment: self,
            variants,
        })
    }
}

fn check_published(p: &LmPublished) -> Result<(), LmConfigError> {
    for (name, value) in &p.values {
        let key = format!("published.values.{name}");
        name.parse::<FeedForwardUnit>()
            .map_err(|e: String| bad(&key, name, e))?;
        if !value.is_finite() {
            return Err(bad(&key, value, "must be a finite number"));
        }
    }
    for (i, s) in p.sparsity.iter().enumerate() {
        s.activation
            .parse::<FeedForwardUnit>()
            .map_err(|e: String| {
                bad(
                    &format!("published.sparsity[{i}].activation"),
                    &s.activation,
                    e,
                )
            })?;
        if !(0.0..=1.0).contains(&s.nonzero) {
            return Err(bad(
                &format!("published.sparsity[{i}].nonzero"),
                s.nonzero,
                "a fraction in [0, 1]",
            ));
        }
    }
    Ok(())
}

/// Bytes a training step holds, in float64: parameters, their gradients and two Adam moments,
/// and the activations the backward pass keeps.
pub fn memory_bytes(config: &GptConfig, batch: usize) -> usize {
    8 * (4 * config.parameters()).saturating_add(config.activation_floats(batch))
}
