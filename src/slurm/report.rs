//! What `actlab submit` prints: the job ids, what each runs, and the commands to watch them.

use std::{fmt, path::PathBuf};

use super::{Decision, ShardProgress, array_spec};

/// The outcome of one `actlab submit`.
#[derive(Clone, Debug)]
pub struct SubmitReport {
    pub dir: PathBuf,
    pub experiment: String,
    pub points: usize,
    pub tasks: usize,
    pub resubmission: bool,
    pub progress: Vec<ShardProgress>,
    pub decision: Decision,
    pub dry_run: bool,
    pub array_job: Option<String>,
    pub merge_job: Option<String>,
    /// The scripts written, with their text.
    pub scripts: Vec<(PathBuf, String)>,
}

impl SubmitReport {
    fn finished_points(&self) -> usize {
        self.progress.iter().map(|p| p.finished).sum()
    }
}

impl fmt::Display for SubmitReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dir = self.dir.display();
        let (shards, cancel) = match &self.decision {
            Decision::Run { shards, cancel } => (shards.as_slice(), cancel.as_slice()),
            Decision::MergeOnly { cancel } => (&[][..], cancel.as_slice()),
            Decision::MergeQueued { job } => {
                return writeln!(
                    f,
                    "every point of `{}` is finished; merge job {job} is queued to merge them into {dir}\nwatch: squeue --jobs={job}",
                    self.experiment
                );
            }
            Decision::Done => {
                return writeln!(
                    f,
                    "every point of `{}` is finished and merged in {dir}; nothing to submit",
                    self.experiment
                );
            }
        };
        writeln!(
            f,
            "sweep `{}`: {} grid points in {} shards, folder {dir}",
            self.experiment, self.points, self.tasks
        )?;
        if self.resubmission {
            writeln!(
                f,
                "resubmission: {} finished point(s) are kept; shards with unfinished points: {}",
                self.finished_points(),
                if shards.is_empty() {
                    "none".into()
                } else {
                    array_spec(shards)
                }
            )?;
        }
        let verb = if self.dry_run {
            "would cancel"
        } else {
            "cancelled"
        };
        for job in cancel {
            writeln!(
                f,
                "{verb} merge job {job} of the earlier submission: its array ended with points unfinished"
            )?;
        }
        if self.dry_run {
            writeln!(f, "dry run: nothing submitted. Scripts written:")?;
            for (path, text) in &self.scripts {
                writeln!(f, "\n--- {} ---\n{text}", path.display())?;
            }
            writeln!(f, "to submit by hand:")?;
            if !shards.is_empty() {
                writeln!(
                    f,
                    "  sbatch --parsable {dir}/submit.sbatch   # prints ARRAY_ID"
                )?;
                writeln!(
                    f,
                    "  sbatch --dependency=afterok:ARRAY_ID {dir}/merge.sbatch"
                )?;
            } else {
                writeln!(f, "  sbatch {dir}/merge.sbatch")?;
            }
            return Ok(());
        }
        let mut ids = Vec::new();
        if let Some(array) = &self.array_job {
            writeln!(
                f,
                "array job {array}: tasks {} (task i runs shard i/{} into {dir}/shards/i)",
                array_spec(shards),
                self.tasks
            )?;
            ids.push(array.clone());
        }
        if let Some(merge) = &self.merge_job {
            match &self.array_job {
                Some(array) => writeln!(
                    f,
                    "merge job {merge}: after array job {array} succeeds (afterok), writes sweep.csv, report.md and heatmap.png into {dir}"
                )?,
                None => writeln!(
                    f,
                    "merge job {merge}: writes sweep.csv, report.md and heatmap.png into {dir}"
                )?,
            }
            ids.push(merge.clone());
        }
        let ids = ids.join(",");
        writeln!(f, "watch:    squeue --jobs={ids}")?;
        writeln!(
            f,
            "          sacct --jobs={ids} --format=JobID,JobName%30,State,Elapsed,ExitCode"
        )?;
        writeln!(f, "logs:     {dir}/logs/")?;
        writeln!(
            f,
            "a task failed? `actlab merge {dir}` names the unfinished points; the same `actlab submit` command resubmits only their shards"
        )
    }
}
