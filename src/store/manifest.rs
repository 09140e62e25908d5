//! `run.json`: how a run was started, written before training so that `resume` continues it
//! as it began (the same backend, the same recorded overrides).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{StoreError, atomic, record::read_json};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub experiment: String,
    pub actlab_version: String,
    /// The `--set key=value` overrides applied to the experiment file.
    pub overrides: Vec<String>,
    /// The backend the run trains on, as `--backend` names it.
    pub backend: String,
}

impl Manifest {
    pub const FILE: &str = "run.json";

    pub fn write(&self, dir: &Path) -> Result<(), StoreError> {
        atomic::write_json(&dir.join(Self::FILE), self)
    }

    pub fn read(dir: &Path) -> Result<Self, StoreError> {
        read_json(&dir.join(Self::FILE))
    }
}
