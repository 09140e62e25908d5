//! The files of a sweep folder (`sweep.json`, `points/<id>.json`) and reading them back.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{StoreError, VariantSummary};
use crate::{
    analysis::probe::StatRow,
    config::{Experiment, Override, Plan, parse_experiment, point_experiment},
};

/// `--shard i/n`: this host runs the points whose `id % n == i`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("shard `{s}` must be i/n with 0 <= i < n, e.g. 0/3");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    pub fn owns(&self, point: usize) -> bool {
        point % self.count == self.index
    }
}

/// A swept value for display: strings without their TOML quotes, the rest as TOML.
pub fn plain(toml_text: &str) -> String {
    match format!("v = {toml_text}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
    {
        Some(toml::Value::String(s)) => s,
        _ => toml_text.to_string(),
    }
}

/// Whether `dir` holds a sweep.
pub fn is_sweep_folder(dir: &Path) -> bool {
    dir.join("sweep.json").is_file()
}

/// `sweep.json`: what was swept and which part of it this folder runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepMeta {
    pub experiment: String,
    /// The grid keys, in point-id order (last fastest).
    pub keys: Vec<String>,
    pub points: usize,
    pub shard: Shard,
    /// Whether a baseline point (no overrides) is part of the sweep.
    pub baseline: bool,
}

/// `points/<id>.json`: one finished point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointResult {
    /// `None` for the baseline.
    pub id: Option<usize>,
    /// `(key, value as TOML)` for each swept key.
    pub settings: Vec<(String, String)>,
    pub variants: Vec<VariantSummary>,
    pub train_seconds: f64,
    /// Per-layer statistics at the last epoch, for each variant's first seed.
    #[serde(default)]
    pub layers: Vec<StatRow>,
    /// The point's validated plan, set once when the sweep is loaded (not stored: the sweep's
    /// `config.toml` and the settings define it); `None` where they no longer validate.
    #[serde(skip)]
    pub plan: Option<Plan>,
}

impl PointResult {
    /// The sweep's experiment with this point's settings, validated.
    fn plan_in(&self, base: &Experiment) -> Option<Plan> {
        let overrides: Vec<Override> = self
            .settings
            .iter()
            .map(|(k, v)| format!("{k}={v}").parse())
            .collect::<Result<_, _>>()
            .ok()?;
        point_experiment(base, &overrides, "a sweep point")
            .and_then(|e| e.check())
            .ok()
    }

    pub fn file_name(id: Option<usize>) -> String {
        id.map_or("baseline.json".into(), |id| format!("{id:06}.json"))
    }
}

/// Everything a sweep folder holds.
pub struct SweepRecord {
    pub dir: PathBuf,
    pub experiment: Experiment,
    pub meta: SweepMeta,
    /// Finished grid points, in id order.
    pub points: Vec<PointResult>,
    pub baseline: Option<PointResult>,
}

fn read(path: &Path) -> Result<String, StoreError> {
    std::fs::read_to_string(path).map_err(|e| StoreError::Read {
        path: path.into(),
        message: e.to_string(),
    })
}

impl SweepRecord {
    pub fn load(dir: &Path) -> Result<Self, StoreError> {
        if !is_sweep_folder(dir) {
            return Err(StoreError::Read {
                path: dir.into(),
                message: "not a sweep folder (no sweep.json)".into(),
            });
        }
        let config = dir.join("config.toml");
        let experiment = parse_experiment(&read(&config)?, &config.display().to_string(), &[])
            .map_err(|e| StoreError::Read {
                path: config.clone(),
                message: e.to_string(),
            })?;
        let meta_path = dir.join("sweep.json");
        let meta: SweepMeta =
            serde_json::from_str(&read(&meta_path)?).map_err(|e| StoreError::Read {
                path: meta_path.clone(),
                message: e.to_string(),
            })?;
        let mut points = Vec::new();
        let mut baseline = None;
        let points_dir = dir.join("points");
        if points_dir.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&points_dir)
                .map_err(|e| StoreError::Read {
                    path: points_dir.clone(),
                    message: e.to_string(),
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            files.sort();
            for file in files {
                let mut point: PointResult =
                    serde_json::from_str(&read(&file)?).map_err(|e| StoreError::Read {
                        path: file.clone(),
                        message: e.to_string(),
                    })?;
                point.plan = point.plan_in(&experiment);
                match point.id {
                    Some(_) => points.push(point),
                    None => baseline = Some(point),
                }
            }
        }
        points.sort_by_key(|p| p.id);
        Ok(Self {
            dir: dir.into(),
            experiment,
            meta,
            points,
            baseline,
        })
    }
}
