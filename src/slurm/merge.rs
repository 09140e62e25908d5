//! `actlab merge DIR` on a submission folder, the merge job's work: it refuses, naming the
//! unfinished points and their shards, until every shard is done, then writes the merged sweep
//! (sweep.csv, report.md, figures, points/) into DIR itself.

use std::path::{Path, PathBuf};

use super::{SlurmError, SubmissionDir, shard_progress};

/// Merges the shards of the submission in `root` into `root`; returns `root`. A folder merged
/// already is left as it is (its shards cannot change once every point is finished), so a
/// merge by hand before the merge job runs does not make that job fail.
pub fn merge_submission(root: &Path) -> Result<PathBuf, SlurmError> {
    let dir = SubmissionDir::new(std::path::absolute(root).map_err(|e| SlurmError::read(root, e))?);
    let record = dir.load_record()?;
    let experiment = dir.load_experiment()?;
    if dir.is_merged(&experiment) {
        return Ok(dir.root);
    }
    let (_, missing) = shard_progress(&dir, &experiment, record.tasks)?;
    if let Some(missing) = missing {
        return Err(SlurmError::Incomplete {
            dir: dir.root,
            missing,
        });
    }
    // Merged aside, then moved in, the sweep's marker file last: the folder reads as merged only once
    // every file is there.
    let staging = dir.root.join(format!(".merging-{}", std::process::id()));
    let shards: Vec<PathBuf> = (0..record.tasks).map(|i| dir.shard(i)).collect();
    experiment.merge(&shards, &staging)?;
    // The staging folder's claim stays with it; the submission folder has its own.
    let mut names: Vec<std::ffi::OsString> = std::fs::read_dir(&staging)
        .map_err(|e| SlurmError::read(&staging, e))?
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .filter(|n| n != crate::store::CLAIM)
        .collect();
    names.sort_by_key(|n| n == experiment.marker());
    for name in names {
        let target = dir.root.join(&name);
        // A language-model merge writes the experiment too: the submission's own copy (the
        // same experiment, checked shard by shard) stays.
        if name == "experiment.toml" && target.is_file() {
            let _ = std::fs::remove_file(staging.join(&name));
            continue;
        }
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
