//! Sweeps on a SLURM cluster (of the MLP families or of language models): `actlab submit --slurm` writes one job array (task i runs shard
//! i/N of the sweep into `DIR/shards/i`) and a merge job that runs after it
//! (`--dependency=afterok`) and writes the merged sweep into `DIR`.
//!
//! A submission folder holds `experiment.toml` (the experiment as resolved at the first
//! submission: the jobs read only this), `submission.json` (the binary, the task count and every
//! attempt's job ids), `submit.sbatch` and `merge.sbatch`, `shards/<i>/` (each a sweep folder),
//! `logs/`, and once merged the sweep's own files. Submitting again into the same folder runs
//! only the shards with unfinished points; finished points are never recomputed.

mod decide;
mod error;
mod experiment;
mod layout;
mod merge;
mod progress;
mod report;
mod scheduler;
mod script;
mod submit;
mod validate;

pub use decide::{Decision, decide};
pub use error::SlurmError;
pub use experiment::{ShardFolder, SweepExperiment};
pub use layout::{Attempt, SubmissionDir, SubmissionRecord, is_submission_folder};
pub use merge::merge_submission;
pub use progress::{ShardProgress, shard_progress};
pub use report::SubmitReport;
pub use scheduler::{QueuedJob, parse_squeue};
pub use script::{ScriptInputs, array_spec, job_name, merge_script, task_script};
pub use submit::{SubmitRequest, submit};
