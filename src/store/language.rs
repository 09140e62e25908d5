//! A language-model run folder's records: each job's result (`results/<variant>-seed-<s>.json`
//! and its sample text), the corpus' record (`corpus.json`), `metrics.csv` (one row per job
//! and evaluation) and `summary.json`, from which the report and figures are rebuilt.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{StoreError, read_json, read_rows};
use crate::{analysis::probe::nan_if_null, backend::BackendInfo, data::text::Vocabulary};

/// One evaluation of a job: losses are means over `eval_iters` batches, nats per token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Steps taken before it.
    pub iteration: usize,
    /// The learning rate of the last step taken (0 before any).
    pub lr: f64,
    /// NaN for a diverged evaluation (written as `null`: JSON has no NaN).
    #[serde(deserialize_with = "nan_if_null")]
    pub train_loss: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub val_loss: f64,
    /// Mean loss of the steps since the previous evaluation, each before its update (none at 0).
    pub step_loss: Option<f64>,
    /// Training tokens per second since the previous evaluation (0 at iteration 0).
    pub tokens_per_second: f64,
}

/// A job's record: its evaluations and how it ended.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct JobHistory {
    pub evaluations: Vec<Evaluation>,
    pub diverged: bool,
    pub diverged_at: Option<usize>,
    pub train_seconds: f64,
    /// Per-block statistics at each probe step (the variant's first seed only).
    #[serde(default)]
    pub probes: Vec<crate::analysis::probe::StatRow>,
    /// Histograms of each block's `z`, `a` (gate, value) at each probe step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub histograms: Vec<crate::analysis::probe::HistogramRecord>,
    /// Seconds spent probing (outside `train_seconds`).
    #[serde(default)]
    pub probe_seconds: f64,
}

/// A finished job, written once it has trained (its checkpoint holds the model).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobResult {
    pub variant: String,
    /// The feed-forward unit's name.
    pub activation: String,
    pub seed: u32,
    pub parameters: usize,
    pub hidden: usize,
    pub history: JobHistory,
    /// The text sampled from the trained model (`[sample]`).
    pub sample: String,
}

impl JobResult {
    pub fn file(dir: &Path, job: &str) -> PathBuf {
        dir.join("results").join(format!("{job}.json"))
    }

    pub fn final_val_loss(&self) -> Option<f64> {
        let last = self.history.evaluations.last()?;
        (!self.history.diverged).then_some(last.val_loss)
    }
}

/// `corpus.json`: where the text came from, its SHA-256 and its vocabulary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CorpusRecord {
    pub source: String,
    pub sha256: String,
    pub bytes: usize,
    pub tokens: usize,
    pub train_tokens: usize,
    pub val_tokens: usize,
    /// The loss of a model that knows each token's frequency only, nats.
    pub unigram_entropy: f64,
    pub vocabulary: Vocabulary,
}

/// One row of a language-model run's `metrics.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LmMetricRow {
    pub variant: String,
    pub seed: u32,
    pub iteration: usize,
    pub lr: f64,
    pub train_loss: f64,
    pub val_loss: f64,
    /// Bits per token (per character for `chars` tokens): the loss over ln 2.
    pub train_bpc: f64,
    pub val_bpc: f64,
    pub step_loss: Option<f64>,
    pub tokens_per_second: f64,
}

pub const LM_METRICS_COLUMNS: [&str; 10] = [
    "variant",
    "seed",
    "iteration",
    "lr",
    "train_loss",
    "val_loss",
    "train_bpc",
    "val_bpc",
    "step_loss",
    "tokens_per_second",
];

impl LmMetricRow {
    pub fn rows(result: &JobResult) -> impl Iterator<Item = LmMetricRow> + '_ {
        result.history.evaluations.iter().map(|e| LmMetricRow {
            variant: result.variant.clone(),
            seed: result.seed,
            iteration: e.iteration,
            lr: e.lr,
            train_loss: e.train_loss,
            val_loss: e.val_loss,
            train_bpc: e.train_loss / std::f64::consts::LN_2,
            val_bpc: e.val_loss / std::f64::consts::LN_2,
            step_loss: e.step_loss,
            tokens_per_second: e.tokens_per_second,
        })
    }
}

/// `summary.json` of a language-model run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LmSummary {
    pub kind: String,
    pub experiment: String,
    pub backend: BackendInfo,
    pub overrides: Vec<String>,
    pub corpus: CorpusRecord,
    pub variants: Vec<LmVariantSummary>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LmVariantSummary {
    pub name: String,
    pub activation: String,
    pub parameters: usize,
    pub hidden: usize,
    pub seeds: Vec<u32>,
    /// The last validation loss of each seed that did not diverge, in seed order.
    pub final_val_loss: Vec<Option<f64>>,
    pub final_train_loss: Vec<Option<f64>>,
    pub diverged: usize,
    pub mean_val_loss: Option<f64>,
    pub std_val_loss: Option<f64>,
    /// 95% Student-t interval of the mean over seeds (with at least two seeds).
    pub val_loss_interval: Option<[f64; 2]>,
    pub tokens_per_second: f64,
    pub train_seconds: f64,
}

/// Everything a report is rebuilt from.
pub struct LmRecord {
    pub dir: PathBuf,
    /// `config.toml`.
    pub config: String,
    pub summary: LmSummary,
    pub results: Vec<JobResult>,
    pub metrics: Vec<LmMetricRow>,
    /// `activations.csv` (the `epoch` column holds the step), when the run was probed.
    pub layer_stats: Vec<crate::analysis::probe::StatRow>,
}

pub const LM_KIND: &str = "language-model";

/// Whether `dir` holds a language-model run.
pub fn is_language_run(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("summary.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .is_some_and(|v| v.get("kind").and_then(|k| k.as_str()) == Some(LM_KIND))
}

impl LmRecord {
    pub fn load(dir: &Path) -> Result<Self, StoreError> {
        let summary: LmSummary = read_json(&dir.join("summary.json"))?;
        let mut results = Vec::new();
        for v in &summary.variants {
            for seed in &v.seeds {
                let job = format!("{}-seed-{seed}", v.name);
                results.push(read_json(&JobResult::file(dir, &job))?);
            }
        }
        let config_path = dir.join("config.toml");
        let config = std::fs::read_to_string(&config_path).map_err(|e| StoreError::Read {
            path: config_path,
            message: e.to_string(),
        })?;
        let stats = dir.join("activations.csv");
        let layer_stats = if stats.is_file() {
            read_rows(&stats, &super::ACTIVATIONS_COLUMNS)?
        } else {
            Vec::new()
        };
        Ok(Self {
            dir: dir.into(),
            config,
            layer_stats,
            metrics: read_rows(&dir.join("metrics.csv"), &LM_METRICS_COLUMNS)?,
            summary,
            results,
        })
    }
}

/// `lm-sweep.json`: a language-model sweep's grid and the part of it a folder runs. Each point
/// is a language-model run folder, `points/<id>/`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LmSweepMeta {
    pub kind: String,
    pub experiment: String,
    /// The grid keys, in point-id order (last fastest).
    pub keys: Vec<String>,
    pub points: usize,
    pub shard: super::Shard,
}

pub const LM_SWEEP_KIND: &str = "language-model-sweep";

impl LmSweepMeta {
    pub const FILE: &str = "lm-sweep.json";

    pub fn point_dir(dir: &Path, id: usize) -> PathBuf {
        dir.join("points").join(id.to_string())
    }
}

/// Whether `dir` holds a language-model sweep.
pub fn is_language_sweep(dir: &Path) -> bool {
    dir.join(LmSweepMeta::FILE).is_file()
}

/// `points/<id>/point.json`: which settings a sweep point ran with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LmPoint {
    pub id: usize,
    /// `(key, value as TOML)` for each swept key.
    pub settings: Vec<(String, String)>,
}

/// One row of a language-model sweep's `sweep.csv`: one job of one point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LmSweepRow {
    pub point: usize,
    /// `key=value; key=value`.
    pub settings: String,
    pub variant: String,
    pub activation: String,
    pub parameters: usize,
    pub seed: u32,
    /// Empty when the job diverged.
    pub final_val_loss: Option<f64>,
    pub final_train_loss: Option<f64>,
}

pub const LM_SWEEP_COLUMNS: [&str; 8] = [
    "point",
    "settings",
    "variant",
    "activation",
    "parameters",
    "seed",
    "final_val_loss",
    "final_train_loss",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// A diverged evaluation's losses are NaN, which JSON writes as `null`: they read back.
    #[test]
    fn a_diverged_evaluation_reads_back() {
        let diverged = Evaluation {
            iteration: 50,
            lr: 495.0,
            train_loss: f64::NAN,
            val_loss: f64::INFINITY,
            step_loss: None,
            tokens_per_second: 1.0,
        };
        let text = serde_json::to_string(&diverged).unwrap();
        assert!(text.contains("\"val_loss\":null"), "{text}");
        let back: Evaluation = serde_json::from_str(&text).unwrap();
        assert!(back.train_loss.is_nan() && back.val_loss.is_nan());
        assert_eq!(back.iteration, 50);
    }
}
