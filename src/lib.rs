//! actlab: a research harness for studying how activation functions shape what a network learns.
//!
//! The pieces, in the order a run uses them: an experiment file ([`config`]) is validated into a
//! plan, the data ([`data`]) is generated bit for bit as numpy/scikit-learn would, models
//! ([`model`]) are initialised from the plan, one [`learner`] trains them all, the
//! [`analysis`] probes observe their forward passes, and [`run`] writes a run folder from which
//! [`report`] and [`plot`] rebuild every figure and the report.

pub mod analysis;
pub mod backend;
pub mod checkpoint;
pub mod config;
pub mod data;
pub mod learner;
pub mod model;
pub mod numpy_rng;
pub mod plot;
pub mod report;
pub mod run;
pub mod slurm;
pub mod sweep;
