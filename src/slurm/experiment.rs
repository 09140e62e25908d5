//! The sweep a submission runs: one of the MLP families' or a language model's. Each kind has
//! its own experiment schema, shard folder and merge; everything else about a submission (the
//! folder, the scripts, the scheduler, what to resubmit) is the same for both.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

use super::SlurmError;
use crate::{
    config::{Experiment, language::LmExperiment, parse_experiment},
    lm,
    store::{self, Shard, language::is_language_sweep},
    sweep::{MissingPoint, MissingPoints, ShardGap, describe, grid_points, point_plan},
};

/// A sweep experiment, as submitted.
#[derive(Clone, Debug, PartialEq)]
pub enum SweepExperiment {
    /// `[model] family` of the MLP families (mlp, residual-mlp, cnn).
    Network(Experiment),
    /// `[model] family = "gpt"`.
    Language(LmExperiment),
}

/// What one shard folder holds: the points finished there.
pub struct ShardFolder {
    pub shard: Shard,
    /// Finished point ids (`None`: the baseline of a sweep with a target).
    pub finished: Vec<Option<usize>>,
    /// Whether the folder holds this same experiment.
    pub same_experiment: bool,
}

impl SweepExperiment {
    /// Parses experiment `text` (the kind chosen by its `[model] family`).
    pub fn parse(text: &str, origin: &str) -> Result<Self, SlurmError> {
        if lm::is_language_model(text) {
            Ok(Self::Language(lm::parse(text, origin, &[])?))
        } else {
            Ok(Self::Network(parse_experiment(text, origin, &[])?))
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Self::Network(e) => &e.name,
            Self::Language(e) => &e.name,
        }
    }

    /// The experiment as a TOML table.
    pub fn table(&self) -> toml::Table {
        match self {
            Self::Network(e) => toml::Table::try_from(e),
            Self::Language(e) => toml::Table::try_from(e),
        }
        .expect("an experiment serialises to TOML")
    }

    /// The number of grid points, after checking that every point makes a valid experiment.
    pub fn checked_points(&self) -> Result<usize, SlurmError> {
        match self {
            Self::Network(experiment) => {
                let sweep = experiment
                    .sweep
                    .as_ref()
                    .ok_or_else(|| SlurmError::NotASweep(experiment.name.clone()))?;
                let points = grid_points(sweep);
                for point in &points {
                    point_plan(experiment, &point.overrides).map_err(|error| {
                        SlurmError::Point {
                            point: describe(&point.overrides),
                            error,
                        }
                    })?;
                }
                Ok(points.len())
            }
            Self::Language(experiment) => {
                if experiment.sweep.is_none() {
                    return Err(SlurmError::NotASweep(experiment.name.clone()));
                }
                Ok(lm::sweep::checked_points(experiment)?)
            }
        }
    }

    /// Points of shard `index` of `tasks`: grid ids with id % tasks == index, and the baseline
    /// in shard 0 when the sweep has one.
    pub fn points_of_shard(&self, index: usize, tasks: usize) -> usize {
        let (sweep, baseline) = match self {
            Self::Network(e) => match &e.sweep {
                Some(s) => (s, s.target.is_some()),
                None => return 0,
            },
            Self::Language(e) => match &e.sweep {
                Some(s) => (s, false),
                None => return 0,
            },
        };
        let points: usize = sweep.grid.values().map(Vec::len).product();
        (index..points).step_by(tasks).count() + usize::from(index == 0 && baseline)
    }

    /// Whether `dir` holds a started shard (or merged sweep) of this kind.
    pub fn is_sweep_folder(&self, dir: &Path) -> bool {
        match self {
            Self::Network(_) => store::is_sweep_folder(dir),
            Self::Language(_) => is_language_sweep(dir),
        }
    }

    /// What the started shard folder `dir` holds.
    pub fn read_shard(&self, dir: &Path) -> Result<ShardFolder, SlurmError> {
        match self {
            Self::Network(experiment) => {
                let record = store::SweepRecord::load(dir)?;
                Ok(ShardFolder {
                    shard: record.meta.shard,
                    finished: record
                        .points
                        .iter()
                        .chain(&record.baseline)
                        .map(|p| p.id)
                        .collect(),
                    same_experiment: record.experiment == *experiment,
                })
            }
            Self::Language(experiment) => {
                let (shard, recorded, finished) = lm::sweep::read_shard(dir)?;
                Ok(ShardFolder {
                    shard,
                    finished: finished.into_iter().map(Some).collect(),
                    same_experiment: recorded == *experiment,
                })
            }
        }
    }

    /// The points not in `finished`, by the shard of `count` that runs them; `None` when
    /// nothing is missing.
    pub fn missing(
        &self,
        finished: &BTreeSet<Option<usize>>,
        count: usize,
        folders: &BTreeMap<usize, PathBuf>,
    ) -> Option<MissingPoints> {
        match self {
            Self::Network(e) => crate::sweep::missing_points(e, finished, Some(count), folders),
            Self::Language(e) => {
                let sweep = e.sweep.as_ref()?;
                let all = grid_points(sweep);
                let total = all.len();
                let mut gaps: BTreeMap<usize, Vec<MissingPoint>> = BTreeMap::new();
                for p in all.into_iter().filter(|p| !finished.contains(&Some(p.id))) {
                    gaps.entry(p.id % count).or_default().push(MissingPoint {
                        id: Some(p.id),
                        settings: describe(&p.overrides),
                    });
                }
                (!gaps.is_empty()).then(|| MissingPoints {
                    total,
                    gaps: gaps
                        .into_iter()
                        .map(|(index, points)| ShardGap {
                            shard: Some(Shard { index, count }),
                            folder: folders.get(&index).cloned(),
                            points,
                        })
                        .collect(),
                })
            }
        }
    }

    /// Merges the finished shard folders into the fresh folder `out`.
    pub fn merge(&self, shards: &[PathBuf], out: &Path) -> Result<(), SlurmError> {
        match self {
            Self::Network(_) => {
                crate::sweep::merge_sweeps(shards, out)?;
            }
            Self::Language(_) => {
                lm::sweep::merge(shards, out)?;
            }
        }
        Ok(())
    }

    /// The file whose presence makes a folder a merged sweep: moved in last.
    pub fn marker(&self) -> &'static str {
        match self {
            Self::Network(_) => "sweep.json",
            Self::Language(_) => store::language::LmSweepMeta::FILE,
        }
    }
}
