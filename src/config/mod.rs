//! Experiment files: their typed schema, loading with `--set` overrides, and validation.
//!
//! An experiment file is TOML. Loading parses it, applies command-line overrides to the parsed
//! tree, and deserialises it strictly (unknown keys are errors); [`Experiment::check`] then
//! validates every value before anything touches a device, yielding a [`Plan`].

mod error;
pub mod language;
mod load;
mod probes;
mod schema;
mod validate;

pub use error::ConfigError;
pub use load::{
    ExperimentFile, Override, data_only, experiment_from_table, find_experiment, list_experiments,
    load_experiment, parse_experiment, pinned_axes, point_experiment,
};
pub use probes::ProbeConfig;
pub use schema::{
    AnalysisConfig, CheckpointConfig, Experiment, Factor, FactorialConfig, ModelSection, Published,
    Reference, SweepConfig, TracePoint, TrainConfig, Variant, VariantReference,
};
pub use validate::{Plan, PlannedVariant};
