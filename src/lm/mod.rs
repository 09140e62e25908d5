//! Language models: GPT training by steps on text, with evaluation, checkpoints, resume and
//! sampling. The run folder follows the classification runs' conventions (a fresh folder,
//! `run.json`, the resolved `config.toml`, `metrics.csv`, `summary.json`, checkpoints with a
//! versioned `meta.json` and SHA-256 of every file), written through the `store` and
//! `checkpoint` layers.

pub mod batches;
pub mod config;
pub mod learner;
pub mod schedule;

pub use config::{LmConfigError, LmExperiment, LmPlan};
