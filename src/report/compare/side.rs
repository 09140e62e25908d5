//! One side of a comparison, read from disk: a run folder, or one point of a sweep folder
//! (`<sweep>/points/<id>.json`), as its experiment, variant summaries, curves and last layer
//! statistics.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
};

use super::CompareError;
use crate::{
    analysis::probe::StatRow,
    config::{Experiment, Override, point_experiment},
    store::{
        MetricRow, PointResult, RunRecord, SweepRecord, VariantSummary, is_run_folder,
        is_sweep_folder, read_json,
    },
};

/// What a side is read from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    Run(PathBuf),
    /// A sweep folder and the point's file in it.
    Point {
        sweep: PathBuf,
        file: PathBuf,
    },
}

/// A variant's curves per epoch (index 0 is epoch 1), means over the seeds that did not
/// diverge; `NaN` where an epoch has no value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Curves {
    pub train_loss: Vec<f64>,
    pub test_loss: Vec<f64>,
    pub test_accuracy: Vec<f64>,
}

/// One run or sweep point, ready to compare.
#[derive(Clone, Debug)]
pub struct Side {
    /// `A`, `B`, ... in the order given.
    pub label: String,
    /// The path as the user gave it.
    pub shown: PathBuf,
    pub source: Source,
    pub experiment: Experiment,
    /// A sweep point's settings, `key=value`; empty for a run.
    pub settings: Vec<String>,
    pub variants: Vec<VariantSummary>,
    /// Per variant, in the order of `variants`.
    pub curves: Vec<Curves>,
    /// Each variant's layer statistics at its last probed epoch.
    pub layers: Vec<StatRow>,
}

impl Side {
    /// Reads `path`, a run folder or a sweep point's file, as side `label`, shown as `shown`.
    pub fn load(path: &Path, shown: &Path, label: String) -> Result<Self, CompareError> {
        let mut side = Self::read(path, label)?;
        side.shown = shown.into();
        Ok(side)
    }

    fn read(path: &Path, label: String) -> Result<Self, CompareError> {
        if !path.exists() {
            return Err(CompareError::Missing(path.into()));
        }
        if path.is_dir() {
            if is_sweep_folder(path) {
                return Err(CompareError::WholeSweep {
                    sweep: path.into(),
                    points: point_files(path),
                });
            }
            // A folder with a config is read as a run, so that a damaged summary is named.
            if is_run_folder(path) || path.join("config.toml").is_file() {
                return Self::run(path, label);
            }
        } else if let Some(sweep) = sweep_of(path) {
            return Self::point(&sweep, path, label);
        }
        Err(CompareError::NotComparable(path.into()))
    }

    fn run(dir: &Path, label: String) -> Result<Self, CompareError> {
        let record = RunRecord::load(dir)?;
        let curves = record
            .summary
            .variants
            .iter()
            .map(|v| Curves {
                train_loss: v.train_loss.clone(),
                test_loss: v.test_loss.clone(),
                test_accuracy: accuracy_per_epoch(&record.variant_metrics(&v.name)),
            })
            .collect();
        Ok(Self {
            label,
            shown: dir.into(),
            source: Source::Run(dir.into()),
            settings: Vec::new(),
            layers: last_epoch(record.layer_stats),
            experiment: record.experiment,
            variants: record.summary.variants,
            curves,
        })
    }

    fn point(sweep: &Path, file: &Path, label: String) -> Result<Self, CompareError> {
        let record = SweepRecord::load(sweep)?;
        let point: PointResult = read_json(file)?;
        let settings: Vec<String> = point
            .settings
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        let overrides = settings
            .iter()
            .map(|s| s.parse::<Override>())
            .collect::<Result<Vec<_>, _>>()?;
        let origin = format!("{} ({})", file.display(), settings.join(", "));
        let experiment = point_experiment(&record.experiment, &overrides, &origin)?;
        let curves = point
            .variants
            .iter()
            .map(|v| {
                // A point keeps the final accuracy only.
                let mut test_accuracy = vec![f64::NAN; v.test_loss.len()];
                if let (Some(last), Some(a)) = (test_accuracy.last_mut(), v.test_accuracy) {
                    *last = a;
                }
                Curves {
                    train_loss: v.train_loss.clone(),
                    test_loss: v.test_loss.clone(),
                    test_accuracy,
                }
            })
            .collect();
        Ok(Self {
            label,
            shown: file.into(),
            source: Source::Point {
                sweep: sweep.into(),
                file: file.into(),
            },
            experiment,
            settings,
            variants: point.variants,
            curves,
            layers: last_epoch(point.layers),
        })
    }
}

/// The sweep folder a point's file sits in: `<sweep>/points/<file>.json`.
fn sweep_of(file: &Path) -> Option<PathBuf> {
    let points = file.parent()?;
    let sweep = points.parent()?;
    (file.extension()? == "json" && points.file_name()? == "points" && is_sweep_folder(sweep))
        .then(|| sweep.to_path_buf())
}

/// A sweep's point files, in name order.
fn point_files(sweep: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(sweep.join("points"))
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// The mean test accuracy per epoch over the seeds whose value is finite.
fn accuracy_per_epoch(rows: &[&MetricRow]) -> Vec<f64> {
    let epochs = rows.iter().map(|r| r.epoch).max().unwrap_or(0);
    (1..=epochs)
        .map(|epoch| {
            let values: Vec<f64> = rows
                .iter()
                .filter(|r| r.epoch == epoch && r.test_accuracy.is_finite())
                .map(|r| r.test_accuracy)
                .collect();
            if values.is_empty() {
                f64::NAN
            } else {
                values.iter().sum::<f64>() / values.len() as f64
            }
        })
        .collect()
}

/// Each variant's rows at the last epoch it was probed.
fn last_epoch(rows: Vec<StatRow>) -> Vec<StatRow> {
    let mut last: HashMap<String, usize> = HashMap::new();
    for r in &rows {
        let epoch = last.entry(r.variant.clone()).or_insert(r.epoch);
        *epoch = (*epoch).max(r.epoch);
    }
    rows.into_iter()
        .filter(|r| last.get(&r.variant) == Some(&r.epoch))
        .collect()
}
