//! The typed shape of a language-model experiment (`[model] family = "gpt"`): its sections,
//! their defaults, and how a file is recognised as one. Checking it into a plan is `check`.

mod check;

pub use check::{LmConfigError, LmPlan, MEMORY_LIMIT_BYTES, memory_bytes};

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::{
    config::SweepConfig,
    data::text::{Corpus, TextError, Tokens},
    model::gpt::{NormChoice, Position},
};

/// A language-model experiment: a question, the text, the transformer, the training, and the
/// feed-forward variants compared.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LmExperiment {
    pub name: String,
    pub question: String,
    #[serde(default)]
    pub expected: String,
    pub data: TextConfig,
    pub model: GptSection,
    pub train: LmTrain,
    pub variants: Vec<LmVariant>,
    #[serde(default)]
    pub checkpoint: LmCheckpoint,
    #[serde(default)]
    pub sample: SampleConfig,
    #[serde(default)]
    pub probes: LmProbes,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<LmReference>,
    /// A 2x2 factorial among the variants, as for the MLP families (`[factorial]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factorial: Option<crate::config::FactorialConfig>,
    /// A source's numbers per feed-forward activation, shown beside the measured ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<LmPublished>,
    /// A grid of settings: every combination is one language-model run (`[sweep.grid]`, with
    /// optional `[sweep.labels]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweepConfig>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextKind {
    /// The corpus built into actlab.
    TinyShakespeare,
    /// Any file, `data.path`.
    Text,
}

/// `[data]` of a language model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextConfig {
    pub kind: TextKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    #[serde(default)]
    pub tokens: Tokens,
}

impl TextConfig {
    /// Reads and tokenizes the corpus.
    pub fn load(&self) -> Result<Corpus, TextError> {
        match (&self.kind, &self.path) {
            (TextKind::TinyShakespeare, _) => Corpus::tiny_shakespeare(self.tokens),
            (TextKind::Text, Some(path)) => Corpus::read(path, self.tokens),
            (TextKind::Text, None) => Err(TextError::Read {
                path: String::new(),
                message: "data.kind = \"text\" needs data.path".into(),
            }),
        }
    }
}

/// `[model]` of a language model: nanoGPT's `GPTConfig` keys.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GptSection {
    pub family: String,
    pub n_layer: usize,
    pub n_head: usize,
    pub n_embd: usize,
    pub block_size: usize,
    #[serde(default)]
    pub dropout: f64,
    #[serde(default)]
    pub bias: bool,
    #[serde(default = "yes")]
    pub tie_embeddings: bool,
    #[serde(default)]
    pub norm: NormChoice,
    #[serde(default)]
    pub position: Position,
    /// The default feed-forward activation of the variants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation: Option<String>,
    /// The feed-forward hidden width; default 4 n_embd, 2/3 of that for gated units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<usize>,
    /// The first seed: initial weights (numpy's `np.random.seed`) and, after them, batches.
    #[serde(default = "default_seed")]
    pub seed: u32,
}

fn yes() -> bool {
    true
}

fn default_seed() -> u32 {
    1337
}

/// `[train]` of a language model: steps, not epochs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LmTrain {
    pub iterations: usize,
    pub batch_size: usize,
    pub lr: f64,
    #[serde(default)]
    pub min_lr: f64,
    #[serde(default)]
    pub warmup_iters: usize,
    /// Cosine decay ends here (default: `iterations`); `min_lr` after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lr_decay_iters: Option<usize>,
    #[serde(default = "default_betas")]
    pub betas: [f64; 2],
    /// Decoupled weight decay of matrices and embeddings; biases and norms are not decayed.
    #[serde(default)]
    pub weight_decay: f64,
    /// Clip the global gradient norm to this (0: no clipping).
    #[serde(default)]
    pub grad_clip: f64,
    pub eval_interval: usize,
    pub eval_iters: usize,
    #[serde(default = "one")]
    pub seeds: usize,
    /// A loss (nats) above this, or not finite, marks the run diverged.
    #[serde(default = "default_diverge")]
    pub diverge_above: f64,
    /// The backend, as `--backend` names it (default `ndarray-f32`); `--backend` overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
}

fn default_betas() -> [f64; 2] {
    [0.9, 0.999]
}

fn one() -> usize {
    1
}

fn default_diverge() -> f64 {
    20.0
}

impl LmTrain {
    /// Where the cosine decay ends: `lr_decay_iters`, else the last step (or the warm-up's end).
    pub fn decay_iters(&self) -> usize {
        self.lr_decay_iters
            .unwrap_or(self.iterations.max(self.warmup_iters))
    }
}

/// `[checkpoint]`: every `every` iterations (0: only at the end).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LmCheckpoint {
    #[serde(default)]
    pub every: usize,
}

/// `[probes]`: per-block statistics of each variant's first seed over training.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LmProbes {
    /// Probe at step 0, every this many steps and at the end (default: at every evaluation;
    /// 0: no probes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<usize>,
    /// Validation windows of `block_size` tokens probed (the same ones at every probe).
    #[serde(default = "default_windows")]
    pub windows: usize,
}

fn default_windows() -> usize {
    8
}

impl Default for LmProbes {
    fn default() -> Self {
        Self {
            every: None,
            windows: default_windows(),
        }
    }
}

/// `[sample]`: the text each variant writes into the report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleConfig {
    #[serde(default = "default_prompt")]
    pub prompt: String,
    #[serde(default = "default_tokens")]
    pub tokens: usize,
    #[serde(default = "default_temperature")]
    pub temperature: f64,
    #[serde(default = "default_top_k")]
    pub top_k: usize,
    #[serde(default = "one_u64")]
    pub seed: u64,
}

fn default_prompt() -> String {
    "\n".into()
}
fn default_tokens() -> usize {
    500
}
fn default_temperature() -> f64 {
    0.8
}
fn default_top_k() -> usize {
    200
}
fn one_u64() -> u64 {
    1
}

impl Default for SampleConfig {
    fn default() -> Self {
        Self {
            prompt: default_prompt(),
            tokens: default_tokens(),
            temperature: default_temperature(),
            top_k: default_top_k(),
            seed: 1,
        }
    }
}

/// `[reference]`: a published validation loss and how close counts as agreement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LmReference {
    pub source: String,
    pub val_loss: f64,
    pub tolerance: f64,
    /// The variant the published value is for.
    pub variant: String,
}

/// `[published]`: what a source measured for each feed-forward activation, in its own setting
/// (so compared by ordering, not by value), and published activation sparsity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LmPublished {
    pub source: String,
    /// What the values are, e.g. "held-out log-perplexity of T5-base on C4 at 65,536 steps".
    pub metric: String,
    /// Activation name (as in `activation = "..."`) to the published value; lower is better.
    pub values: std::collections::BTreeMap<String, f64>,
    /// Published fractions of nonzero feed-forward activations (`[[published.sparsity]]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sparsity: Vec<PublishedSparsity>,
}

/// One published sparsity figure: the fraction of feed-forward activations that are nonzero.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedSparsity {
    pub source: String,
    /// The model measured, e.g. "T5-Base".
    pub model: String,
    pub activation: String,
    /// The fraction of nonzero entries, in [0, 1].
    pub nonzero: f64,
    /// Whether the figure is an upper bound ("at most"), e.g. "over 90% zeros".
    #[serde(default)]
    pub at_most: bool,
}

/// One variant: its name and feed-forward unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LmVariant {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_gain: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_shift: Option<f64>,
}

/// Whether the experiment TOML `text` describes a language model (`[model] family = "gpt"`).
pub fn is_language_model(text: &str) -> bool {
    text.parse::<toml::Table>().ok().is_some_and(|t| {
        t.get("model")
            .and_then(|m| m.get("family"))
            .and_then(|f| f.as_str())
            == Some("gpt")
    })
}
