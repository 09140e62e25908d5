//! actlab: a research harness for studying how activation functions shape what a network learns.
//!
//! The layers, bottom up: [`numpy_rng`], [`data`] and [`model`] (the Burn model families);
//! [`learner`] (one learner for every model) and [`fused`] (an accelerator for plain MLPs);
//! [`config`] (experiment files, validated into a plan); [`analysis`] (probes on the forward
//! pass); [`store`] (the run-folder format every record is written to and read from);
//! [`checkpoint`], [`plot`] and [`report`] on top of it; and the commands: [`run`],
//! [`sweep`], [`lm`], [`slurm`], [`launch`] (any experiment file) and [`verify`]. A lower layer
//! never imports a higher one.

// Errors carry the paths, keys and values they name; they are built on cold paths only, so
// their size is not worth boxing them for.
#![allow(clippy::result_large_err)]

pub mod analysis;
pub mod backend;
pub mod checkpoint;
pub mod config;
pub mod data;
pub mod fused;
pub mod launch;
pub mod learner;
pub mod lm;
pub mod model;
pub mod numpy_rng;
pub mod plot;
pub mod product;
pub mod report;
pub mod run;
pub mod slurm;
pub mod store;
pub mod sweep;
pub mod theory;
pub mod verify;
