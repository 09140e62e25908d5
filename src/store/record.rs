//! The files of a run folder: their row types, how they are written, and how they are read back.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::{StoreError, Summary, atomic, table};
use crate::{
    analysis::{
        ArticleAnalysis,
        probe::{HistogramRecord, StatRow},
    },
    config::{Experiment, Plan, parse_experiment},
};

/// One variant's entry in `analysis.json`; `None` if it diverged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnalysisRecord {
    pub variant: String,
    pub analysis: Option<ArticleAnalysis>,
}

/// One row of `metrics.csv`: one variant, seed and epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricRow {
    pub variant: String,
    pub seed: u32,
    pub data_seed: u32,
    pub epoch: usize,
    pub train_loss: f64,
    pub train_accuracy: f64,
    pub test_loss: f64,
    pub test_accuracy: f64,
}

/// The columns of `metrics.csv`, in order.
pub const METRICS_COLUMNS: [&str; 8] = [
    "variant",
    "seed",
    "data_seed",
    "epoch",
    "train_loss",
    "train_accuracy",
    "test_loss",
    "test_accuracy",
];

/// The columns of `activations.csv`, in order.
pub const ACTIVATIONS_COLUMNS: [&str; 7] = [
    "variant",
    "epoch",
    "layer",
    "name",
    "tensor",
    "statistic",
    "value",
];

/// `config.toml`: the experiment exactly as run, overrides applied.
pub fn write_config(dir: &Path, experiment: &Experiment) -> Result<(), StoreError> {
    let path = dir.join("config.toml");
    let text = toml::to_string_pretty(experiment).map_err(|e| StoreError::Encode {
        path: path.clone(),
        message: e.to_string(),
    })?;
    atomic::write_text(
        &path,
        &format!("# The experiment as run, with every override applied.\n{text}"),
    )
}

/// `metrics.csv`, values printed to round-trip exactly.
pub fn write_metrics(dir: &Path, rows: &[MetricRow]) -> Result<(), StoreError> {
    table::write_rows(&dir.join("metrics.csv"), &METRICS_COLUMNS, rows)
}

/// `activations.csv` and `histograms.json`: what the probes captured.
pub fn write_activations(
    dir: &Path,
    rows: &[StatRow],
    histograms: &[HistogramRecord],
) -> Result<(), StoreError> {
    table::write_rows(&dir.join("activations.csv"), &ACTIVATIONS_COLUMNS, rows)?;
    atomic::write_json(&dir.join("histograms.json"), &histograms)
}

/// Everything a run folder holds, read back from disk.
pub struct RunRecord {
    pub dir: PathBuf,
    pub experiment: Experiment,
    /// The experiment validated, once, when the record is loaded: what pages and figures read
    /// the resolved layout and variants from. `None` where an older folder's experiment no
    /// longer validates (its pages then leave out what needs it).
    pub plan: Option<Plan>,
    pub summary: Summary,
    pub analyses: Vec<AnalysisRecord>,
    pub metrics: Vec<MetricRow>,
    /// `activations.csv` and `histograms.json`, when the run was probed.
    pub layer_stats: Vec<StatRow>,
    pub histograms: Vec<HistogramRecord>,
}

fn read_text(path: &Path) -> Result<String, StoreError> {
    std::fs::read_to_string(path).map_err(|e| StoreError::Read {
        path: path.into(),
        message: e.to_string(),
    })
}

/// A JSON file of a run folder.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, StoreError> {
    serde_json::from_str(&read_text(path)?).map_err(|e| StoreError::Read {
        path: path.into(),
        message: e.to_string(),
    })
}

/// Whether `dir` is a finished run folder: its config and a summary that parses.
pub fn is_run_folder(dir: &Path) -> bool {
    dir.join("config.toml").is_file() && read_json::<Summary>(&dir.join("summary.json")).is_ok()
}

impl RunRecord {
    pub fn load(dir: &Path) -> Result<Self, StoreError> {
        let summary_path = dir.join("summary.json");
        if !dir.join("config.toml").is_file() || !summary_path.is_file() {
            return Err(StoreError::Read {
                path: dir.into(),
                message:
                    "not a finished run folder (expected summary.json and config.toml inside; \
                          a stopped run continues with `actlab resume`)"
                        .into(),
            });
        }
        let config_path = dir.join("config.toml");
        let experiment = parse_experiment(
            &read_text(&config_path)?,
            &config_path.display().to_string(),
            &[],
        )
        .map_err(|e| StoreError::Read {
            path: config_path.clone(),
            message: e.to_string(),
        })?;
        let optional = |name: &str| Some(dir.join(name)).filter(|p| p.is_file());
        Ok(Self {
            dir: dir.into(),
            plan: experiment.clone().check().ok(),
            experiment,
            summary: read_json(&summary_path)?,
            analyses: read_json(&dir.join("analysis.json"))?,
            metrics: table::read_rows(&dir.join("metrics.csv"), &METRICS_COLUMNS)?,
            layer_stats: match optional("activations.csv") {
                Some(p) => table::read_rows(&p, &ACTIVATIONS_COLUMNS)?,
                None => Vec::new(),
            },
            histograms: match optional("histograms.json") {
                Some(p) => read_json(&p)?,
                None => Vec::new(),
            },
        })
    }

    /// The names of the model's observed layers, in forward order (`hidden1`, ... for records
    /// written before layers were named).
    pub fn layer_names(&self) -> Vec<String> {
        if self.summary.layers.is_empty() {
            return (1..=self.experiment.model.hidden.len())
                .map(|l| format!("hidden{l}"))
                .collect();
        }
        self.summary.layers.iter().map(|l| l.name.clone()).collect()
    }

    /// The metric rows of one variant, in epoch order.
    pub fn variant_metrics(&self, variant: &str) -> Vec<&MetricRow> {
        self.metrics
            .iter()
            .filter(|m| m.variant == variant)
            .collect()
    }
}
