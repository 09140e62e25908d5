//! Checkpoints: a program's models, optimizer and schedule state, saved whole or not at all.
//!
//! Layout: `checkpoints/epoch-000100/program-0/` holds `model.mpk` (the ensemble, written by
//! Burn's `NamedMpkFileRecorder` with `DoublePrecisionSettings`: Burn's "full" precision is
//! float32, which would lose float64 weights and break exact resume), the optimizer state (`optimizer.json` for
//! the fused engine, `optimizer.mpk` for Burn's) and `meta.json`: the format version, the
//! experiment as run, the epoch, backend and precision, the metrics so far and the data-order
//! RNG state, everything an exact resume needs. A checkpoint is written into a hidden
//! `.tmp-*` folder and renamed into place, so a run killed at any moment leaves its last
//! checkpoint readable.
//!
//! Format choice: Burn 0.21 offers its recorders and the newer `burn-store`; the recorders are
//! the stable, documented path in 0.21 and keep float64 exactly with `DoublePrecisionSettings`.

mod eval;

pub use eval::{EvalError, eval_checkpoint};

use std::{
    panic::AssertUnwindSafe,
    path::{Path, PathBuf},
};

use burn::{
    module::Module,
    record::{DoublePrecisionSettings, NamedMpkFileRecorder},
    tensor::backend::Backend,
};
use serde::{Deserialize, Serialize};

use crate::{
    analysis::training::ProbeLog,
    backend::BackendInfo,
    learner::{Engine, History},
    model::Mlp,
    numpy_rng::NumpyRng,
};

/// Bumped whenever `meta.json` or the files beside it change meaning.
pub const FORMAT_VERSION: u32 = 1;

/// `meta.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    pub format_version: u32,
    pub actlab_version: String,
    /// The experiment as run (TOML), from which the model is rebuilt.
    pub config: String,
    pub epoch: usize,
    pub backend: BackendInfo,
    pub engine: Engine,
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
}

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error("{path} is not a checkpoint: {message}")]
    NotACheckpoint { path: PathBuf, message: String },
    #[error(
        "{path}: checkpoint format version {found}; this actlab reads version {FORMAT_VERSION}. Use the actlab version that wrote it ({writer}) or re-run the experiment"
    )]
    Version {
        path: PathBuf,
        found: u32,
        writer: String,
    },
    #[error("{path}: the saved model does not match its metadata: {message}")]
    Mismatch { path: PathBuf, message: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CheckpointError + '_ {
    move |e| CheckpointError::Io {
        path: path.into(),
        message: e.to_string(),
    }
}

fn recorder() -> NamedMpkFileRecorder<DoublePrecisionSettings> {
    NamedMpkFileRecorder::new()
}

/// The folder of program `program`'s checkpoint at `epoch` under `root` (`.../checkpoints`).
pub fn checkpoint_dir(root: &Path, epoch: usize, program: usize) -> PathBuf {
    root.join(format!("epoch-{epoch:06}"))
        .join(format!("program-{program}"))
}

/// Writes a checkpoint atomically: everything goes into a temporary folder that is renamed
/// into place last. `write_optimizer` adds the optimizer's files to the folder it is given.
pub fn save<B: Backend>(
    root: &Path,
    meta: &CheckpointMeta,
    model: &Mlp<B>,
    write_optimizer: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<PathBuf, CheckpointError> {
    let target = checkpoint_dir(root, meta.epoch, meta.program);
    let parent = target.parent().expect("a checkpoint folder has a parent");
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let tmp = parent.join(format!(".tmp-program-{}", meta.program));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(io(&tmp))?;
    model
        .clone()
        .save_file(tmp.join("model"), &recorder())
        .map_err(|e| CheckpointError::Io {
            path: tmp.join("model.mpk"),
            message: e.to_string(),
        })?;
    write_optimizer(&tmp).map_err(|message| CheckpointError::Io {
        path: tmp.clone(),
        message,
    })?;
    let text = serde_json::to_string(meta).expect("checkpoint metadata serialises");
    std::fs::write(tmp.join("meta.json"), text).map_err(io(&tmp))?;
    let _ = std::fs::remove_dir_all(&target);
    std::fs::rename(&tmp, &target).map_err(io(&target))?;
    Ok(target)
}

/// Reads `meta.json` of a checkpoint folder, checking its format version.
pub fn load_meta(dir: &Path) -> Result<CheckpointMeta, CheckpointError> {
    let path = dir.join("meta.json");
    if !dir.is_dir() {
        return Err(CheckpointError::NotACheckpoint {
            path: dir.into(),
            message: "no such folder".into(),
        });
    }
    let text = std::fs::read_to_string(&path).map_err(|e| CheckpointError::NotACheckpoint {
        path: dir.into(),
        message: format!("cannot read meta.json: {e}"),
    })?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| CheckpointError::NotACheckpoint {
            path: path.clone(),
            message: format!("meta.json is not valid JSON: {e}"),
        })?;
    let found = value
        .get("format_version")
        .and_then(|v| v.as_u64())
        .unwrap_or(0) as u32;
    if found != FORMAT_VERSION {
        let writer = value
            .get("actlab_version")
            .and_then(|v| v.as_str())
            .unwrap_or("unknown")
            .to_string();
        return Err(CheckpointError::Version {
            path: path.clone(),
            found,
            writer,
        });
    }
    serde_json::from_value(value).map_err(|e| CheckpointError::NotACheckpoint {
        path,
        message: format!("meta.json: {e}"),
    })
}

/// Loads the saved parameters into `model` (built from the metadata's config), checking that
/// every parameter has the shape the metadata implies.
pub fn load_model<B: Backend>(
    dir: &Path,
    model: Mlp<B>,
    device: &B::Device,
) -> Result<Mlp<B>, CheckpointError> {
    let path = dir.join("model.mpk");
    if !path.is_file() {
        return Err(CheckpointError::NotACheckpoint {
            path: dir.into(),
            message: "model.mpk is missing".into(),
        });
    }
    let expected: Vec<[usize; 3]> = model.layers.iter().map(|l| l.weight.dims()).collect();
    let loaded = std::panic::catch_unwind(AssertUnwindSafe(|| {
        model.load_file(dir.join("model"), &recorder(), device)
    }))
    .map_err(|_| CheckpointError::Mismatch {
        path: path.clone(),
        message: "the parameters could not be loaded into the model".into(),
    })?
    .map_err(|e| CheckpointError::NotACheckpoint {
        path: path.clone(),
        message: format!("model.mpk is unreadable or corrupted: {e}"),
    })?;
    let found: Vec<[usize; 3]> = loaded.layers.iter().map(|l| l.weight.dims()).collect();
    let biases_fit = loaded
        .layers
        .iter()
        .zip(&found)
        .all(|(l, w)| l.bias.dims() == [w[0], 1, w[2]]);
    if found != expected || !biases_fit {
        return Err(CheckpointError::Mismatch {
            path,
            message: format!("weights {found:?}, expected {expected:?}"),
        });
    }
    Ok(loaded)
}

/// The latest epoch at which every one of `programs` has a complete checkpoint under `root`.
pub fn latest_complete(root: &Path, programs: usize) -> Option<usize> {
    let mut epochs: Vec<usize> = std::fs::read_dir(root)
        .ok()?
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .strip_prefix("epoch-")?
                .parse()
                .ok()
        })
        .collect();
    epochs.sort_unstable();
    epochs
        .into_iter()
        .rev()
        .find(|&e| (0..programs).all(|p| checkpoint_dir(root, e, p).join("meta.json").is_file()))
}
