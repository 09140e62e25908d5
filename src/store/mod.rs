//! The run-folder format: claiming a fresh folder, writing files atomically, and the typed
//! records a run or a sweep leaves on disk (`summary.json`, `metrics.csv`, `activations.csv`,
//! `analysis.json`, `run.json`, a sweep's `sweep.json`, `points/` and `sweep.csv`, and
//! `verify.json`).
//!
//! It sits in the middle, not at the bottom: its records hold the validated experiment
//! (`config`), the data set's description (`data`), the model's layout (`model`), the
//! learner's metrics (`learner`), the probes' rows and analyses (`analysis`) and the backend
//! that ran (`backend`), so it builds on those; `run`, `sweep`, `lm`, `checkpoint`, `fused`,
//! `slurm`, `verify`, `launch` and every page and figure (`report`, `plot`) build on it.

mod atomic;
pub mod events;
mod folder;
pub mod language;
mod manifest;
mod record;
mod summary;
mod sweep;
mod sweep_csv;
mod table;
pub mod verify;

pub use atomic::{write_bytes, write_figure, write_json, write_text};
pub use folder::{CLAIM, FolderError, create_run_folder, run_id_now};
pub use manifest::Manifest;
pub use record::{
    ACTIVATIONS_COLUMNS, AnalysisRecord, METRICS_COLUMNS, MetricRow, RunRecord, is_run_folder,
    read_json, write_activations, write_config, write_metrics,
};
pub use summary::{EvaluatedCheckpoint, SeedResult, SeedRun, SeedStats, Summary, VariantSummary};
pub use sweep::{PointResult, Shard, SweepMeta, SweepRecord, is_sweep_folder, plain};
pub use sweep_csv::{VALUE_COLUMNS, csv_header, csv_rows, sweep_csv};
pub use table::{read_rows, to_text, write_rows, write_rows_with};

use std::path::PathBuf;

/// What can go wrong reading or writing a run folder.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Folder(#[from] FolderError),
    #[error("cannot write {path}: {error}")]
    Write {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("cannot encode {path}: {message}")]
    Encode { path: PathBuf, message: String },
    #[error("cannot read {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("cannot draw figure {path}: {message}")]
    Figure { path: PathBuf, message: String },
    #[error("cannot rebuild the run's data set: {0}")]
    Data(#[from] crate::data::DataError),
}
