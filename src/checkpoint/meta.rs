//! `meta.json`: everything about a checkpoint but its tensors, and the checks that a resumed
//! run is the run that saved it.

use std::{collections::BTreeMap, path::Path};

use serde::{Deserialize, Serialize};

use super::CheckpointError;
use crate::{
    analysis::probe::ProbeLog,
    backend::BackendInfo,
    learner::{Engine, History, OptimizerKind},
    numpy_rng::NumpyRng,
};

/// Bumped whenever `meta.json` or the files beside it change meaning.
pub const FORMAT_VERSION: u32 = 2;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    pub format_version: u32,
    pub actlab_version: String,
    /// The experiment as run (TOML), from which the model is rebuilt.
    pub config: String,
    pub epoch: usize,
    /// The backend and precision the run trains on.
    pub backend: BackendInfo,
    pub engine: Engine,
    pub optimizer: OptimizerKind,
    /// The model's layer layout (`Architecture::describe`).
    pub architecture: String,
    /// Which program of the run this is, and its data set's seed.
    pub program: usize,
    pub data_seed: u32,
    /// `(variant index, seed)` of each ensemble member.
    pub members: Vec<(usize, u32)>,
    /// Each member's metrics so far.
    pub histories: Vec<History>,
    /// The data-order streams, one per seed, after this epoch's permutation.
    pub order_rngs: Vec<NumpyRng>,
    pub train_seconds: f64,
    pub probes: ProbeLog,
    /// SHA-256 of each file beside `meta.json`.
    pub checksums: BTreeMap<String, String>,
}

impl CheckpointMeta {
    /// Refuses this checkpoint for a run whose own record differs: another optimizer, another
    /// architecture, another backend or precision, or another experiment.
    pub fn check_belongs(
        &self,
        dir: &Path,
        optimizer: OptimizerKind,
        architecture: &str,
        backend: &BackendInfo,
        config: &str,
    ) -> Result<(), CheckpointError> {
        let mismatch = |message: String| {
            Err(CheckpointError::Mismatch {
                path: dir.into(),
                message,
            })
        };
        if self.optimizer != optimizer {
            return mismatch(format!(
                "its optimizer state is {}'s, the run trains with {optimizer}",
                self.optimizer
            ));
        }
        if self.architecture != architecture {
            return mismatch(format!(
                "it holds a {}, the run trains a {architecture}",
                self.architecture
            ));
        }
        if self.backend.backend != backend.backend || self.backend.precision != backend.precision {
            return mismatch(format!(
                "it was trained on {} ({}), this resume runs on {} ({}): resume with `--backend` as the run began",
                self.backend.backend, self.backend.precision, backend.backend, backend.precision
            ));
        }
        if self.config.trim() != config.trim() {
            return mismatch(
                "the run's config.toml differs from the experiment the checkpoint was trained on (edited after the run started?); restore it or start a new run".into(),
            );
        }
        Ok(())
    }
}
