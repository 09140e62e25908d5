//! The files of a run folder: their types, how they are written, and how they are read back.

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
};

use burn::tensor::backend::AutodiffBackend;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::{RunError, Trained};
use crate::{
    analysis::ArticleAnalysis,
    backend::BackendInfo,
    config::{Experiment, Plan, PlannedVariant, parse_experiment},
    learner::{Engine, History},
};

/// `summary.json`: the stable, machine-readable result of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub experiment: String,
    pub run_id: String,
    pub actlab_version: String,
    pub backend: BackendInfo,
    /// How training steps were computed.
    pub engine: Engine,
    /// The `--set key=value` overrides applied to the experiment file.
    pub overrides: Vec<String>,
    /// Whole training loop including per-epoch evaluation.
    pub wall_seconds: f64,
    /// Time in training steps; all variants train together as one ensemble program.
    pub train_seconds: f64,
    pub variants: Vec<VariantSummary>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariantSummary {
    pub name: String,
    pub activation: String,
    pub init: String,
    pub hidden: Vec<usize>,
    pub seed: u32,
    pub epochs_completed: usize,
    pub diverged: bool,
    /// The epoch whose loss was not finite, if any; `train_loss` stops before it.
    pub diverged_at_epoch: Option<usize>,
    /// Per epoch, finite values only.
    pub train_loss: Vec<f64>,
    pub test_loss: Vec<f64>,
    /// After the last completed epoch; `null` if the variant diverged.
    pub train_accuracy: Option<f64>,
    pub test_accuracy: Option<f64>,
    /// Std of each hidden layer's test-set activations; empty if diverged.
    pub hidden_std: Vec<f64>,
    /// Per trace sample, `[mean|z1|, mean|a1|, ..., |z_out|]`; empty if diverged.
    pub signal_trace: Vec<Vec<f64>>,
    /// Training-step time of the ensemble program this variant trained in.
    pub train_seconds: f64,
}

impl VariantSummary {
    pub fn new(
        variant: &PlannedVariant,
        seed: u32,
        history: &History,
        analysis: Option<&ArticleAnalysis>,
        train_seconds: f64,
    ) -> Self {
        let finite: Vec<_> = history
            .epochs
            .iter()
            .filter(|m| m.train_loss.is_finite())
            .collect();
        let last = finite.last().filter(|_| history.is_active());
        Self {
            name: variant.name.clone(),
            activation: variant.mlp.activation.to_string(),
            init: variant.mlp.init.to_string(),
            hidden: variant.mlp.hidden.clone(),
            seed,
            epochs_completed: finite.len(),
            diverged: !history.is_active(),
            diverged_at_epoch: history.diverged_at,
            train_loss: finite.iter().map(|m| m.train_loss).collect(),
            test_loss: finite.iter().map(|m| m.test_loss).collect(),
            train_accuracy: last.map(|m| m.train_accuracy),
            test_accuracy: last.map(|m| m.test_accuracy),
            hidden_std: analysis.map(|a| a.hidden_std.clone()).unwrap_or_default(),
            signal_trace: analysis.map(|a| a.signal_trace.clone()).unwrap_or_default(),
            train_seconds,
        }
    }
}

/// One variant's entry in `analysis.json`; `None` if it diverged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnalysisRecord {
    pub variant: String,
    pub analysis: Option<ArticleAnalysis>,
}

/// One row of `metrics.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricRow {
    pub variant: String,
    pub seed: u32,
    pub epoch: usize,
    pub train_loss: f64,
    pub train_accuracy: f64,
    pub test_loss: f64,
    pub test_accuracy: f64,
}

pub const METRICS_HEADER: &str =
    "variant,seed,epoch,train_loss,train_accuracy,test_loss,test_accuracy";

fn write_file(path: &Path, contents: &str) -> Result<(), RunError> {
    std::fs::write(path, contents).map_err(|source| RunError::Write {
        path: path.into(),
        source,
    })
}

pub fn write_json(path: &Path, value: &impl Serialize) -> Result<(), RunError> {
    let text = serde_json::to_string_pretty(value).expect("run records serialise");
    write_file(path, &(text + "\n"))
}

/// `config.toml`: the experiment exactly as run, overrides applied.
pub fn write_config(dir: &Path, experiment: &Experiment) -> Result<(), RunError> {
    let text = toml::to_string_pretty(experiment).expect("an experiment serialises to TOML");
    write_file(
        &dir.join("config.toml"),
        &format!("# The experiment as run, with every override applied.\n{text}"),
    )
}

/// `metrics.csv`: one row per variant, seed and epoch; values printed to round-trip exactly.
pub fn write_metrics<B: AutodiffBackend>(
    dir: &Path,
    plan: &Plan,
    trained: &Trained<B>,
) -> Result<(), RunError> {
    let mut csv = format!("{METRICS_HEADER}\n");
    for (member, history) in trained.members.iter().zip(&trained.histories) {
        let (variant, seed) = (&plan.variants[member.variant], member.seed);
        for m in &history.epochs {
            writeln!(
                csv,
                "{},{seed},{},{:?},{:?},{:?},{:?}",
                variant.name, m.epoch, m.train_loss, m.train_accuracy, m.test_loss, m.test_accuracy
            )
            .expect("writing to a String");
        }
    }
    write_file(&dir.join("metrics.csv"), &csv)
}

/// Everything a run folder holds, read back from disk.
pub struct RunRecord {
    pub dir: PathBuf,
    pub experiment: Experiment,
    pub summary: Summary,
    pub analyses: Vec<AnalysisRecord>,
    pub metrics: Vec<MetricRow>,
}

fn read_text(path: &Path) -> Result<String, RunError> {
    std::fs::read_to_string(path).map_err(|e| RunError::Read {
        path: path.into(),
        message: e.to_string(),
    })
}

fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, RunError> {
    serde_json::from_str(&read_text(path)?).map_err(|e| RunError::Read {
        path: path.into(),
        message: e.to_string(),
    })
}

fn parse_metrics(path: &Path, text: &str) -> Result<Vec<MetricRow>, RunError> {
    let bad = |line: usize, what: &str| RunError::Read {
        path: path.into(),
        message: format!("line {line}: {what}"),
    };
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, header)) if header == METRICS_HEADER => {}
        _ => return Err(bad(1, &format!("expected the header `{METRICS_HEADER}`"))),
    }
    lines
        .map(|(i, line)| {
            let f: Vec<&str> = line.split(',').collect();
            if f.len() != 7 {
                return Err(bad(i + 1, "expected 7 comma-separated fields"));
            }
            let num = |s: &str| {
                s.parse::<f64>()
                    .map_err(|_| bad(i + 1, &format!("`{s}` is not a number")))
            };
            Ok(MetricRow {
                variant: f[0].to_string(),
                seed: f[1].parse().map_err(|_| bad(i + 1, "bad seed"))?,
                epoch: f[2].parse().map_err(|_| bad(i + 1, "bad epoch"))?,
                train_loss: num(f[3])?,
                train_accuracy: num(f[4])?,
                test_loss: num(f[5])?,
                test_accuracy: num(f[6])?,
            })
        })
        .collect()
}

impl RunRecord {
    pub fn load(dir: &Path) -> Result<Self, RunError> {
        if !super::is_run_folder(dir) {
            return Err(RunError::Read {
                path: dir.into(),
                message: "not a run folder (expected summary.json and config.toml inside)".into(),
            });
        }
        let config_path = dir.join("config.toml");
        let experiment = parse_experiment(
            &read_text(&config_path)?,
            &config_path.display().to_string(),
            &[],
        )
        .map_err(|e| RunError::Read {
            path: config_path.clone(),
            message: e.to_string(),
        })?;
        let metrics_path = dir.join("metrics.csv");
        Ok(Self {
            dir: dir.into(),
            experiment,
            summary: read_json(&dir.join("summary.json"))?,
            analyses: read_json(&dir.join("analysis.json"))?,
            metrics: parse_metrics(&metrics_path, &read_text(&metrics_path)?)?,
        })
    }

    /// The metric rows of one variant, in epoch order.
    pub fn variant_metrics(&self, variant: &str) -> Vec<&MetricRow> {
        self.metrics
            .iter()
            .filter(|m| m.variant == variant)
            .collect()
    }
}
