//! The points of a sweep that no folder has finished, grouped by the shard that should run them:
//! what a merge names when it refuses an incomplete set of shards.

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt,
    path::PathBuf,
};

use super::grid::{describe, grid_points};
use crate::config::Experiment;
use crate::store::Shard;

/// Points listed with their settings in a message; the rest only by id.
const POINTS_DESCRIBED: usize = 12;

/// One unfinished point: its id (`None` for the baseline) and its settings.
#[derive(Clone, Debug, PartialEq)]
pub struct MissingPoint {
    pub id: Option<usize>,
    pub settings: String,
}

/// The unfinished points of one shard, and the folder of that shard if one was given.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardGap {
    /// `None` when the folders do not share one shard count.
    pub shard: Option<Shard>,
    pub folder: Option<PathBuf>,
    pub points: Vec<MissingPoint>,
}

/// Every unfinished point of a sweep, by shard.
#[derive(Clone, Debug, PartialEq)]
pub struct MissingPoints {
    /// Points in the whole sweep, the baseline included.
    pub total: usize,
    pub gaps: Vec<ShardGap>,
}

impl MissingPoints {
    pub fn count(&self) -> usize {
        self.gaps.iter().map(|g| g.points.len()).sum()
    }

    /// Shard indices with unfinished points, ascending.
    pub fn shard_indices(&self) -> Vec<usize> {
        self.gaps
            .iter()
            .filter_map(|g| g.shard.map(|s| s.index))
            .collect()
    }
}

/// The points of `experiment`'s sweep (the baseline as `None` when the sweep has a target)
/// that are not in `finished`. `count` is the number of shards the sweep was split into, when
/// known; `folders` maps a shard index to its folder. `None` when nothing is missing.
pub fn missing_points(
    experiment: &Experiment,
    finished: &BTreeSet<Option<usize>>,
    count: Option<usize>,
    folders: &BTreeMap<usize, PathBuf>,
) -> Option<MissingPoints> {
    let sweep = experiment.sweep.as_ref()?;
    let mut all: Vec<MissingPoint> = Vec::new();
    if sweep.target.is_some() {
        all.push(MissingPoint {
            id: None,
            settings: "the experiment's own settings".into(),
        });
    }
    all.extend(grid_points(sweep).into_iter().map(|p| MissingPoint {
        id: Some(p.id),
        settings: describe(&p.overrides),
    }));
    let total = all.len();
    let missing: Vec<MissingPoint> = all
        .into_iter()
        .filter(|p| !finished.contains(&p.id))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let gaps = match count {
        Some(count) => {
            let mut by_shard: BTreeMap<usize, Vec<MissingPoint>> = BTreeMap::new();
            for point in missing {
                // The baseline runs in shard 0.
                let index = point.id.map_or(0, |id| id % count);
                by_shard.entry(index).or_default().push(point);
            }
            by_shard
                .into_iter()
                .map(|(index, points)| ShardGap {
                    shard: Some(Shard { index, count }),
                    folder: folders.get(&index).cloned(),
                    points,
                })
                .collect()
        }
        None => vec![ShardGap {
            shard: None,
            folder: None,
            points: missing,
        }],
    };
    Some(MissingPoints { total, gaps })
}

fn point_name(id: Option<usize>) -> String {
    id.map_or("baseline".into(), |id| id.to_string())
}

impl fmt::Display for MissingPoints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} points are not finished:",
            self.count(),
            self.total
        )?;
        for gap in &self.gaps {
            let ids: Vec<String> = gap.points.iter().map(|p| point_name(p.id)).collect();
            match (gap.shard, &gap.folder) {
                (Some(s), Some(folder)) => write!(
                    f,
                    "\n  shard {}/{} ({}): points {}",
                    s.index,
                    s.count,
                    folder.display(),
                    ids.join(", ")
                )?,
                (Some(s), None) => write!(
                    f,
                    "\n  shard {}/{} (not started: no sweep folder of it): points {}",
                    s.index,
                    s.count,
                    ids.join(", ")
                )?,
                (None, _) => write!(
                    f,
                    "\n  in none of the folders (they split the sweep differently): points {}",
                    ids.join(", ")
                )?,
            }
        }
        let points: Vec<&MissingPoint> = self.gaps.iter().flat_map(|g| &g.points).collect();
        for p in points.iter().take(POINTS_DESCRIBED) {
            match p.id {
                Some(id) => write!(f, "\n    point {id}: {}", p.settings)?,
                None => write!(f, "\n    baseline: {}", p.settings)?,
            }
        }
        if points.len() > POINTS_DESCRIBED {
            write!(f, "\n    ... and {} more", points.len() - POINTS_DESCRIBED)?;
        }
        Ok(())
    }
}
