//! Language models: GPT training by steps on text, with evaluation, checkpoints, resume and
//! sampling. The run folder follows the classification runs' conventions (a fresh folder,
//! `run.json`, the resolved `config.toml`, `metrics.csv`, `summary.json`, checkpoints with a
//! versioned `meta.json` and SHA-256 of every file), written through the `store` and
//! `checkpoint` layers.

pub mod batches;
pub mod checkpoint;
pub mod learner;
pub mod probe;
mod run;
pub mod sample;
pub mod saved;
pub mod schedule;
mod summary;
pub mod sweep;
pub mod train;

pub use crate::config::language::{LmConfigError, LmExperiment, LmPlan, is_language_model};
pub use run::{LmError, parse, prepare, resume, run};
pub use saved::{eval, is_language_path, sample};
