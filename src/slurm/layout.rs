//! The files of a submission folder (`actlab submit --out DIR`) and its record,
//! `submission.json`: what was submitted, with which binary, as which jobs.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{SlurmError, SweepExperiment};
use crate::store::write_text as write_atomic;

/// Where everything of one submission lives. All paths are absolute, as the jobs read them.
#[derive(Clone, Debug, PartialEq)]
pub struct SubmissionDir {
    pub root: PathBuf,
}

impl SubmissionDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The experiment as resolved at the first submission (every `--set` applied): the
    /// tasks read this file, never the original, so editing that cannot change this sweep.
    pub fn experiment(&self) -> PathBuf {
        self.root.join("experiment.toml")
    }

    pub fn record(&self) -> PathBuf {
        self.root.join("submission.json")
    }

    /// The job array script: task i runs shard i.
    pub fn task_script(&self) -> PathBuf {
        self.root.join("submit.sbatch")
    }

    /// The merge job script, submitted with `--dependency=afterok:<array>`.
    pub fn merge_script(&self) -> PathBuf {
        self.root.join("merge.sbatch")
    }

    pub fn shards(&self) -> PathBuf {
        self.root.join("shards")
    }

    pub fn shard(&self, index: usize) -> PathBuf {
        self.shards().join(index.to_string())
    }

    pub fn logs(&self) -> PathBuf {
        self.root.join("logs")
    }

    /// Whether the merged sweep is already written here.
    pub fn is_merged(&self, experiment: &SweepExperiment) -> bool {
        experiment.is_sweep_folder(&self.root)
    }

    pub fn load_experiment(&self) -> Result<SweepExperiment, SlurmError> {
        let path = self.experiment();
        let text = std::fs::read_to_string(&path).map_err(|e| SlurmError::read(&path, e))?;
        SweepExperiment::parse(&text, &path.display().to_string())
    }

    pub fn load_record(&self) -> Result<SubmissionRecord, SlurmError> {
        let path = self.record();
        let text = std::fs::read_to_string(&path).map_err(|e| SlurmError::read(&path, e))?;
        serde_json::from_str(&text).map_err(|e| SlurmError::read(&path, e))
    }

    pub fn save_record(&self, record: &SubmissionRecord) -> Result<(), SlurmError> {
        let text = serde_json::to_string_pretty(record).expect("a record serialises") + "\n";
        Ok(write_atomic(&self.record(), &text)?)
    }
}

/// Whether `dir` is the folder of an `actlab submit`.
pub fn is_submission_folder(dir: &Path) -> bool {
    dir.join("submission.json").is_file()
}

/// `submission.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubmissionRecord {
    pub experiment: String,
    /// Array tasks, so shards: task i runs shard i/tasks.
    pub tasks: usize,
    /// Grid points of the sweep (the baseline not counted).
    pub points: usize,
    /// The binary every job calls.
    pub actlab: PathBuf,
    /// Each `actlab submit` that reached the scheduler, oldest first.
    pub attempts: Vec<Attempt>,
}

/// One submission to the scheduler.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    /// UTC, `YYYYMMDD-HHMMSS`.
    pub submitted: String,
    /// The shards this attempt's array ran.
    pub shards: Vec<usize>,
    pub array_job: Option<String>,
    pub merge_job: Option<String>,
    /// Jobs of earlier attempts this one cancelled (merge jobs that could no longer run).
    #[serde(default)]
    pub cancelled: Vec<String>,
}

impl SubmissionRecord {
    /// Every job id submitted so far.
    pub fn job_ids(&self) -> Vec<String> {
        self.attempts
            .iter()
            .flat_map(|a| a.array_job.iter().chain(&a.merge_job))
            .cloned()
            .collect()
    }
}
