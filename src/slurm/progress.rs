//! How far each shard of a submission has got, read from its folder on disk: the points it
//! must run and those it has finished.

use std::collections::{BTreeMap, BTreeSet};

use super::{SlurmError, SubmissionDir, SweepExperiment};
use crate::{store::Shard, sweep::MissingPoints};

/// One shard's state.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardProgress {
    pub index: usize,
    /// Points this shard runs (the baseline counts in shard 0).
    pub expected: usize,
    pub finished: usize,
    /// Whether its folder holds a started sweep (`sweep.json`).
    pub started: bool,
}

impl ShardProgress {
    pub fn is_done(&self) -> bool {
        self.finished >= self.expected
    }
}

/// Every shard of the submission in `dir`, and the points not finished yet (`None`: all done).
pub fn shard_progress(
    dir: &SubmissionDir,
    experiment: &SweepExperiment,
    tasks: usize,
) -> Result<(Vec<ShardProgress>, Option<MissingPoints>), SlurmError> {
    let mut finished: BTreeSet<Option<usize>> = BTreeSet::new();
    let mut started = BTreeMap::new();
    for index in 0..tasks {
        let folder = dir.shard(index);
        if !experiment.is_sweep_folder(&folder) {
            continue;
        }
        let found = experiment.read_shard(&folder)?;
        let expected_shard = Shard {
            index,
            count: tasks,
        };
        if found.shard != expected_shard || !found.same_experiment {
            return Err(SlurmError::ForeignShard {
                path: folder,
                message: format!(
                    "expected shard {index}/{tasks} of {}; move it away, or submit into a new --out",
                    dir.experiment().display()
                ),
            });
        }
        finished.extend(found.finished);
        started.insert(index, folder);
    }
    let missing = experiment.missing(&finished, tasks, &started);
    let progress = (0..tasks)
        .map(|index| {
            let unfinished = missing.as_ref().map_or(0, |m| {
                m.gaps
                    .iter()
                    .filter(|g| g.shard.is_some_and(|s| s.index == index))
                    .map(|g| g.points.len())
                    .sum()
            });
            let expected = experiment.points_of_shard(index, tasks);
            ShardProgress {
                index,
                expected,
                finished: expected - unfinished,
                started: started.contains_key(&index),
            }
        })
        .collect();
    Ok((progress, missing))
}
