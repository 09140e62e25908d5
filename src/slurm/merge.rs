//! `actlab merge DIR` on a submission folder, the merge job's work: it refuses, naming the
//! unfinished points and their shards, until every shard is done, then writes the merged sweep
//! (sweep.csv, report.md, heatmap.png, points/) into DIR itself.

use std::path::{Path, PathBuf};

use super::{SlurmError, SubmissionDir, shard_progress};
use crate::sweep::merge_sweeps;

/// Merges the shards of the submission in `root` into `root`; returns `root`. A folder merged
/// already is left as it is (its shards cannot change once every point is finished), so a
/// merge by hand before the merge job runs does not make that job fail.
pub fn merge_submission(root: &Path) -> Result<PathBuf, SlurmError> {
    let dir = SubmissionDir::new(std::path::absolute(root).map_err(|e| SlurmError::read(root, e))?);
    let record = dir.load_record()?;
    let experiment = dir.load_experiment()?;
    if dir.is_merged() {
        return Ok(dir.root);
    }
    let (_, missing) = shard_progress(&dir, &experiment, record.tasks)?;
    if let Some(missing) = missing {
        return Err(SlurmError::Incomplete {
            dir: dir.root,
            missing,
        });
    }
    // Merged aside, then moved in, `sweep.json` last: the folder reads as merged only once
    // every file is there.
    let staging = dir.root.join(format!(".merging-{}", std::process::id()));
    let shards: Vec<PathBuf> = (0..record.tasks).map(|i| dir.shard(i)).collect();
    merge_sweeps(&shards, &staging)?;
    // The staging folder's claim stays with it; the submission folder has its own.
    let mut names: Vec<std::ffi::OsString> = std::fs::read_dir(&staging)
        .map_err(|e| SlurmError::read(&staging, e))?
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .filter(|n| n != crate::store::CLAIM)
        .collect();
    names.sort_by_key(|n| n == "sweep.json");
    for name in names {
        let target = dir.root.join(&name);
        if target.exists() {
            return Err(SlurmError::Write {
                path: target,
                error: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    format!(
                        "exists already, from an interrupted merge; the merged sweep is complete in {}: move it away and merge again",
                        staging.display()
                    ),
                ),
            });
        }
        std::fs::rename(staging.join(&name), &target).map_err(SlurmError::write(&target))?;
    }
    let _ = std::fs::remove_file(staging.join(crate::store::CLAIM));
    std::fs::remove_dir(&staging).map_err(SlurmError::write(&staging))?;
    Ok(dir.root)
}
