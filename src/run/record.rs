//! The files of a run folder: their types, how they are written, and how they are read back.

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
};

use burn::tensor::backend::AutodiffBackend;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

pub use super::summary::{SeedResult, SeedRun, SeedStats, Summary, VariantSummary};
use super::{Program, RunError, Trained};
use crate::{
    analysis::{
        ArticleAnalysis,
        training::{HistogramRecord, StatRow, parse_activations_csv},
    },
    config::{Experiment, Plan, parse_experiment},
    learner::History,
};

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
    pub data_seed: u32,
    pub epoch: usize,
    pub train_loss: f64,
    pub train_accuracy: f64,
    pub test_loss: f64,
    pub test_accuracy: f64,
}

pub const METRICS_HEADER: &str =
    "variant,seed,epoch,train_loss,train_accuracy,test_loss,test_accuracy";

pub fn write_text(path: &Path, contents: &str) -> Result<(), RunError> {
    write_file(path, contents)
}

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

/// `metrics.csv`: one row per variant, seed and epoch (variant-major); values printed to
/// round-trip exactly.
pub fn write_metrics<B: AutodiffBackend>(
    dir: &Path,
    plan: &Plan,
    programs: &[Program],
    trained: &[Trained<B>],
) -> Result<(), RunError> {
    let mut csv = format!("{METRICS_HEADER}\n");
    for v in 0..plan.variants.len() {
        for (program, t) in programs.iter().zip(trained) {
            for k in t.members_of(v) {
                push_rows(
                    &mut csv,
                    &plan.variants[v].name,
                    t.members[k].seed,
                    program.data_seed,
                    &t.histories[k],
                );
            }
        }
    }
    write_file(&dir.join("metrics.csv"), &csv)
}

/// `metrics.csv` for one program's members and histories.
pub fn write_metrics_rows(
    dir: &Path,
    plan: &Plan,
    data_seed: u32,
    members: &[super::Member],
    histories: &[History],
) -> Result<(), RunError> {
    let mut csv = format!("{METRICS_HEADER}\n");
    for (member, history) in members.iter().zip(histories) {
        push_rows(
            &mut csv,
            &plan.variants[member.variant].name,
            member.seed,
            data_seed,
            history,
        );
    }
    write_file(&dir.join("metrics.csv"), &csv)
}

/// One `metrics.csv` row per epoch of `history`.
fn push_rows(csv: &mut String, variant: &str, seed: u32, data_seed: u32, history: &History) {
    for m in &history.epochs {
        writeln!(
            csv,
            "{variant},{seed},{data_seed},{},{:?},{:?},{:?},{:?}",
            m.epoch, m.train_loss, m.train_accuracy, m.test_loss, m.test_accuracy
        )
        .expect("writing to a String");
    }
}

/// Everything a run folder holds, read back from disk.
pub struct RunRecord {
    pub dir: PathBuf,
    pub experiment: Experiment,
    pub summary: Summary,
    pub analyses: Vec<AnalysisRecord>,
    pub metrics: Vec<MetricRow>,
    /// `activations.csv` and `histograms.json`, when the run was probed.
    pub layer_stats: Vec<StatRow>,
    pub histograms: Vec<HistogramRecord>,
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
            if f.len() != 8 {
                return Err(bad(i + 1, "expected 8 comma-separated fields"));
            }
            let num = |s: &str| {
                s.parse::<f64>()
                    .map_err(|_| bad(i + 1, &format!("`{s}` is not a number")))
            };
            Ok(MetricRow {
                variant: f[0].to_string(),
                seed: f[1].parse().map_err(|_| bad(i + 1, "bad seed"))?,
                data_seed: f[2].parse().map_err(|_| bad(i + 1, "bad data seed"))?,
                epoch: f[3].parse().map_err(|_| bad(i + 1, "bad epoch"))?,
                train_loss: num(f[4])?,
                train_accuracy: num(f[5])?,
                test_loss: num(f[6])?,
                test_accuracy: num(f[7])?,
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
            layer_stats: match dir.join("activations.csv") {
                p if p.is_file() => parse_activations_csv(&read_text(&p)?)
                    .map_err(|message| RunError::Read { path: p, message })?,
                _ => Vec::new(),
            },
            histograms: match dir.join("histograms.json") {
                p if p.is_file() => read_json(&p)?,
                _ => Vec::new(),
            },
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
