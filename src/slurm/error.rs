//! What can go wrong submitting a sweep to SLURM, said so that a user can fix it.

use std::path::PathBuf;

use crate::{
    config::ConfigError,
    store::{FolderError, StoreError},
    sweep::{MissingPoints, SweepError},
};

#[derive(Debug, thiserror::Error)]
pub enum SlurmError {
    #[error(
        "experiment `{0}` has no [sweep] section: `actlab submit` runs sweeps on a cluster; run a single experiment with `actlab run`"
    )]
    NotASweep(String),

    #[error(
        "--tasks {tasks}: the sweep has {points} grid points; use 1 to {points} tasks (task i runs the points with id % tasks == i)"
    )]
    TaskCount { tasks: usize, points: usize },

    #[error("sweep point {point}: {error}")]
    Point { point: String, error: ConfigError },

    #[error("--sbatch-arg `{arg}`: {reason}")]
    SbatchArg { arg: String, reason: String },

    #[error(
        "{what} {path} contains `{bad}`; SLURM scripts need a path without whitespace, quotes, `%`, `$`, `\\` or backquotes"
    )]
    UnsafePath {
        what: &'static str,
        path: PathBuf,
        bad: char,
    },

    #[error(
        "{0} exists and is not an `actlab submit` folder (no submission.json); choose a new --out (absent or empty) so its contents are kept"
    )]
    NotASubmission(PathBuf),

    #[error(
        "{dir} holds a submission of experiment `{recorded}` with other settings (differing: {differing}); resubmit the same experiment with the same --set values, or choose a new --out"
    )]
    OtherExperiment {
        dir: PathBuf,
        recorded: String,
        differing: String,
    },

    #[error(
        "{dir} was submitted with --tasks {recorded}; resubmit with --tasks {recorded} (its shard folders split the sweep that way), or choose a new --out"
    )]
    TasksChanged {
        dir: PathBuf,
        recorded: usize,
        given: usize,
    },

    #[error(
        "the actlab binary this sweep was submitted with, {0}, is gone; its shards must finish with the same binary: restore it there, or submit into a new --out"
    )]
    BinaryGone(PathBuf),

    #[error(
        "`{0}` is not installed or not on PATH: run `actlab submit` on the cluster's login node, install SLURM's client (Debian/Ubuntu: `apt-get install slurm-client`), or add --dry-run to write the scripts without submitting"
    )]
    ProgramMissing(&'static str),

    #[error("`{command}` failed: {message}")]
    Scheduler { command: String, message: String },

    #[error(
        "{dir}: jobs of the earlier submission are still in the queue ({jobs}); wait for them to end or cancel them with `scancel`, then submit again"
    )]
    StillQueued { dir: PathBuf, jobs: String },

    #[error(
        "array job {array_job} is submitted but its merge job is not: {message}\nonce the array has finished, run `actlab merge {dir}` (or the same `actlab submit` command again)"
    )]
    MergeNotSubmitted {
        dir: PathBuf,
        array_job: String,
        message: String,
    },

    #[error(
        "cannot merge {dir}: {missing}\nrun the same `actlab submit` command again: it resubmits only the shards with unfinished points"
    )]
    Incomplete {
        dir: PathBuf,
        missing: MissingPoints,
    },

    #[error("shard folder {path}: {message}")]
    ForeignShard { path: PathBuf, message: String },

    #[error("cannot read {path}: {message}")]
    Read { path: PathBuf, message: String },

    #[error("cannot write {path}: {error}")]
    Write {
        path: PathBuf,
        error: std::io::Error,
    },

    #[error(transparent)]
    Config(#[from] ConfigError),

    #[error(transparent)]
    Folder(#[from] FolderError),

    #[error(transparent)]
    Store(#[from] StoreError),

    #[error(transparent)]
    Sweep(#[from] SweepError),

    #[error(transparent)]
    Language(#[from] crate::lm::LmError),
}

impl SlurmError {
    pub(crate) fn write(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |error| Self::Write {
            path: path.into(),
            error,
        }
    }

    pub(crate) fn read(path: &std::path::Path, message: impl ToString) -> Self {
        Self::Read {
            path: path.into(),
            message: message.to_string(),
        }
    }
}
