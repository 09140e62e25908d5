//! How far each shard of a submission has got, read from its folder on disk: the points it
//! must run and those it has finished.

use std::collections::{BTreeMap, BTreeSet};

use super::{SlurmError, SubmissionDir};
use crate::{
    config::Experiment,
    store::{Shard, SweepRecord, is_sweep_folder},
    sweep::{MissingPoints, missing_points},
};

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
    experiment: &Experiment,
    tasks: usize,
) -> Result<(Vec<ShardProgress>, Option<MissingPoints>), SlurmError> {
    let mut finished: BTreeSet<Option<usize>> = BTreeSet::new();
    let mut started = BTreeMap::new();
    for index in 0..tasks {
        let folder = dir.shard(index);
        if !is_sweep_folder(&folder) {
            continue;
        }
        let record = SweepRecord::load(&folder)?;
        let expected_shard = Shard {
            index,
            count: tasks,
        };
        if record.meta.shard != expected_shard || record.experiment != *experiment {
            return Err(SlurmError::ForeignShard {
                path: folder,
                message: format!(
                    "expected shard {index}/{tasks} of {}; move it away, or submit into a new --out",
                    dir.experiment().display()
                ),
            });
        }
        finished.extend(record.points.iter().chain(&record.baseline).map(|p| p.id));
        started.insert(index, folder);
    }
    let missing = missing_points(experiment, &finished, Some(tasks), &started);
    let progress = (0..tasks)
        .map(|index| {
            let unfinished = missing.as_ref().map_or(0, |m| {
                m.gaps
                    .iter()
                    .filter(|g| g.shard.is_some_and(|s| s.index == index))
                    .map(|g| g.points.len())
                    .sum()
            });
            let expected = expected_points(experiment, index, tasks);
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

/// Points of shard `index` of `tasks`: grid ids with id % tasks == index, and the baseline in
/// shard 0 when the sweep has one.
fn expected_points(experiment: &Experiment, index: usize, tasks: usize) -> usize {
    let Some(sweep) = &experiment.sweep else {
        return 0;
    };
    let points: usize = sweep.grid.values().map(Vec::len).product();
    let grid = (index..points).step_by(tasks).count();
    grid + usize::from(index == 0 && sweep.target.is_some())
}
