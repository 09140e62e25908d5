//! Checkpoints: a program's models, optimizer and schedule state, saved whole or not at all,
//! and verified when loaded.
//!
//! Layout: `checkpoints/epoch-000100/program-0/` holds `model.mpk` (the ensemble, any model
//! family, written by Burn's `NamedMpkFileRecorder` with `DoublePrecisionSettings`: Burn's
//! "full" precision is float32, which would lose float64 weights and break exact resume), the
//! optimizer state (`optimizer.json` for the fused engine, `optimizer.mpk` for Burn's) and
//! `meta.json`: the format version, the experiment as run, the epoch, the backend and precision
//! it trained on, the optimizer and architecture, the metrics so far, the data-order RNG state,
//! and the SHA-256 of every file beside it. A checkpoint is written into a hidden `.tmp-*`
//! folder and renamed into place, so a run killed at any moment leaves its last checkpoint
//! readable; a file changed or truncated since is refused on load.
//!
//! Format choice: Burn 0.21 offers its recorders and the newer `burn-store`; the recorders are
//! the stable, documented path in 0.21 and keep float64 exactly with `DoublePrecisionSettings`.

mod meta;

pub use meta::{CheckpointMeta, FORMAT_VERSION};

use std::{
    collections::BTreeMap,
    io::Read as _,
    panic::AssertUnwindSafe,
    path::{Path, PathBuf},
};

use burn::{
    module::{Module, ModuleVisitor, Param},
    record::{DoublePrecisionSettings, NamedMpkFileRecorder},
    tensor::{Tensor, backend::Backend},
};
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error("{path} is not a checkpoint: {message}")]
    NotACheckpoint { path: PathBuf, message: String },
    #[error(
        "{path}: checkpoint format version {found}; this actlab reads version {expected}. Use the actlab version that wrote it ({writer}) or re-run the experiment"
    )]
    Version {
        path: PathBuf,
        found: u32,
        expected: u32,
        writer: String,
    },
    #[error("{path} is corrupted: {message}")]
    Corrupted { path: PathBuf, message: String },
    #[error("{path} does not belong to this run: {message}")]
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

/// The SHA-256 of a file, as lowercase hex.
pub fn sha256(path: &Path) -> Result<String, std::io::Error> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 16];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// The folder of program `program`'s checkpoint at `epoch` under `root` (`.../checkpoints`).
pub fn checkpoint_dir(root: &Path, epoch: usize, program: usize) -> PathBuf {
    root.join(format!("epoch-{epoch:06}"))
        .join(format!("program-{program}"))
}

/// Writes a checkpoint atomically: everything goes into a temporary folder that is renamed
/// into place last. `write_optimizer` adds the optimizer's files to the folder it is given and
/// names them; the SHA-256 of every file is recorded in `meta.json`.
pub fn save<B: Backend, M: Module<B>>(
    root: &Path,
    meta: &CheckpointMeta,
    model: &M,
    write_optimizer: impl FnOnce(&Path) -> Result<Vec<String>, String>,
) -> Result<PathBuf, CheckpointError> {
    let target = checkpoint_dir(root, meta.epoch, meta.program);
    save_folder(&target, model, write_optimizer, |checksums| {
        CheckpointMeta {
            checksums,
            ..meta.clone()
        }
    })
}

/// Writes the folder `target` atomically: the model, the files `write_extra` adds (it names
/// them), and `meta.json` as `meta` makes it from every file's SHA-256. Any checkpoint kind
/// (classification programs, language models) is written through here.
pub fn save_folder<B: Backend, M: Module<B>, T: serde::Serialize>(
    target: &Path,
    model: &M,
    write_extra: impl FnOnce(&Path) -> Result<Vec<String>, String>,
    meta: impl FnOnce(BTreeMap<String, String>) -> T,
) -> Result<PathBuf, CheckpointError> {
    let parent = target.parent().expect("a checkpoint folder has a parent");
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let name = target
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let tmp = parent.join(format!(".tmp-{name}"));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(io(&tmp))?;
    let written = (|| {
        model
            .clone()
            .save_file(tmp.join("model"), &recorder())
            .map_err(|e| CheckpointError::Io {
                path: tmp.join("model.mpk"),
                message: e.to_string(),
            })?;
        let mut files = vec!["model.mpk".to_string()];
        files.extend(write_extra(&tmp).map_err(|message| CheckpointError::Io {
            path: tmp.clone(),
            message,
        })?);
        let mut checksums = BTreeMap::new();
        for file in files {
            let path = tmp.join(&file);
            checksums.insert(file, sha256(&path).map_err(io(&path))?);
        }
        let path = tmp.join("meta.json");
        crate::store::write_json(&path, &meta(checksums)).map_err(|e| CheckpointError::Io {
            path,
            message: e.to_string(),
        })
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let _ = std::fs::remove_dir_all(target);
    std::fs::rename(&tmp, target).map_err(io(target))?;
    Ok(target.into())
}

/// Reads `meta.json` of a checkpoint folder, checking its format version.
pub fn load_meta(dir: &Path) -> Result<CheckpointMeta, CheckpointError> {
    read_meta(dir, FORMAT_VERSION)
}

/// Reads any checkpoint kind's `meta.json` from `dir`, refusing a format version other than
/// `version` with a message naming the version that wrote it.
pub fn read_meta<T: serde::de::DeserializeOwned>(
    dir: &Path,
    version: u32,
) -> Result<T, CheckpointError> {
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
        serde_json::from_str(&text).map_err(|e| CheckpointError::Corrupted {
            path: path.clone(),
            message: format!("meta.json is not valid JSON: {e}"),
        })?;
    let found = value
        .get("format_version")
        .and_then(|v| v.as_u64())
        .unwrap_or(0) as u32;
    if found != version {
        let writer = value
            .get("actlab_version")
            .and_then(|v| v.as_str())
            .unwrap_or("unknown")
            .to_string();
        return Err(CheckpointError::Version {
            path: path.clone(),
            found,
            expected: version,
            writer,
        });
    }
    serde_json::from_value(value).map_err(|e| CheckpointError::Corrupted {
        path,
        message: format!("meta.json: {e}"),
    })
}

/// Checks that the checkpoint file `name` in `dir` is present and has the SHA-256 its
/// `meta.json` records.
pub fn verify(dir: &Path, meta: &CheckpointMeta, name: &str) -> Result<(), CheckpointError> {
    verify_file(dir, &meta.checksums, name)
}

/// Checks that file `name` in `dir` is present and has the SHA-256 `checksums` records.
pub fn verify_file(
    dir: &Path,
    checksums: &BTreeMap<String, String>,
    name: &str,
) -> Result<(), CheckpointError> {
    let path = dir.join(name);
    let Some(expected) = checksums.get(name) else {
        return Err(CheckpointError::NotACheckpoint {
            path: dir.into(),
            message: format!("meta.json records no {name}"),
        });
    };
    if !path.is_file() {
        return Err(CheckpointError::NotACheckpoint {
            path: dir.into(),
            message: format!("{name} is missing: the checkpoint is incomplete"),
        });
    }
    let found = sha256(&path).map_err(io(&path))?;
    if &found != expected {
        return Err(CheckpointError::Corrupted {
            path,
            message: format!(
                "its SHA-256 is {found}, but meta.json records {expected}: the file was changed or truncated after it was saved"
            ),
        });
    }
    Ok(())
}

/// Verifies every optimizer file the checkpoint records (all but the model).
pub fn verify_optimizer(dir: &Path, meta: &CheckpointMeta) -> Result<(), CheckpointError> {
    let files: Vec<&String> = meta
        .checksums
        .keys()
        .filter(|f| *f != "model.mpk")
        .collect();
    if files.is_empty() {
        return Err(CheckpointError::NotACheckpoint {
            path: dir.into(),
            message: "meta.json records no optimizer state".into(),
        });
    }
    files.into_iter().try_for_each(|f| verify(dir, meta, f))
}

/// Every parameter's shape, in visiting order.
struct Shapes(Vec<Vec<usize>>);

impl<B: Backend> ModuleVisitor<B> for Shapes {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        self.0.push(param.val().dims().to_vec());
    }
}

fn shapes<B: Backend, M: Module<B>>(model: &M) -> Vec<Vec<usize>> {
    let mut shapes = Shapes(Vec::new());
    model.visit(&mut shapes);
    shapes.0
}

/// Loads the saved parameters into `model` (built from the metadata's config), after checking
/// the file's checksum, and checks that every parameter has the shape the metadata implies.
pub fn load_model<B: Backend, M: Module<B>>(
    dir: &Path,
    meta: &CheckpointMeta,
    model: M,
    device: &B::Device,
) -> Result<M, CheckpointError> {
    load_weights(dir, &meta.checksums, model, device)
}

/// Loads `model.mpk` from `dir` into `model` after checking its SHA-256 against `checksums`
/// and every parameter's shape against the model's.
pub fn load_weights<B: Backend, M: Module<B>>(
    dir: &Path,
    checksums: &BTreeMap<String, String>,
    model: M,
    device: &B::Device,
) -> Result<M, CheckpointError> {
    verify_file(dir, checksums, "model.mpk")?;
    let path = dir.join("model.mpk");
    let expected = shapes(&model);
    let loaded = std::panic::catch_unwind(AssertUnwindSafe(|| {
        model.load_file(dir.join("model"), &recorder(), device)
    }))
    .map_err(|_| CheckpointError::Mismatch {
        path: path.clone(),
        message: "its parameters do not fit the model its config describes".into(),
    })?
    .map_err(|e| CheckpointError::Corrupted {
        path: path.clone(),
        message: format!("model.mpk cannot be decoded: {e}"),
    })?;
    let found = shapes(&loaded);
    if found != expected {
        return Err(CheckpointError::Mismatch {
            path,
            message: format!("parameter shapes {found:?}, expected {expected:?}"),
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
