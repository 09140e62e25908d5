//! A language-model job's checkpoint: `checkpoints/iter-NNNNNN/<variant>-seed-<s>/` holds the
//! model (`model.mpk`), both AdamW optimizers' state and `meta.json` (format version, the
//! experiment as run, the model's config, the corpus' SHA-256 and vocabulary, the backend,
//! the batch stream, the history, and the SHA-256 of every file beside it). Written through
//! the `checkpoint` layer's atomic folder writer; refused on load when any of it does not
//! belong to the job resuming from it.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use burn::tensor::backend::AutodiffBackend;
use serde::{Deserialize, Serialize};

use super::{learner::LmLearner, train::Job};
use crate::{
    backend::BackendInfo,
    checkpoint::{self as store, CheckpointError},
    data::text::Vocabulary,
    model::gpt::GptConfig,
    numpy_rng::NumpyRng,
    store::language::JobHistory,
};

/// Bumped whenever `meta.json` or the files beside it change meaning.
pub const LM_FORMAT_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LmCheckpointMeta {
    pub format_version: u32,
    pub kind: String,
    pub actlab_version: String,
    /// The experiment as run (TOML).
    pub config: String,
    pub variant: String,
    pub seed: u32,
    pub model: GptConfig,
    pub iteration: usize,
    pub backend: BackendInfo,
    pub corpus_source: String,
    pub corpus_sha256: String,
    pub vocabulary: Vocabulary,
    /// The training-batch stream after this iteration's batch.
    pub batch_rng: NumpyRng,
    pub history: JobHistory,
    pub checksums: BTreeMap<String, String>,
}

/// The kind recorded in `meta.json`, which tells a language-model checkpoint from others.
pub const KIND: &str = "language-model";

pub fn dir(root: &Path, iteration: usize, job: &str) -> PathBuf {
    root.join(format!("iter-{iteration:06}")).join(job)
}

/// Saves `learner` as `job`'s checkpoint at `iteration`.
pub fn save<B: AutodiffBackend>(
    job: &Job,
    iteration: usize,
    learner: &LmLearner<B>,
    batch_rng: &NumpyRng,
    history: &JobHistory,
) -> Result<PathBuf, CheckpointError> {
    let target = dir(&job.checkpoints, iteration, &job.name());
    store::save_folder(
        &target,
        learner.model(),
        |tmp| learner.save_optimizer(tmp),
        |checksums| LmCheckpointMeta {
            format_version: LM_FORMAT_VERSION,
            kind: KIND.into(),
            actlab_version: env!("CARGO_PKG_VERSION").into(),
            config: job.config_text.into(),
            variant: job.variant.into(),
            seed: job.seed,
            model: job.model.clone(),
            iteration,
            backend: job.backend.clone(),
            corpus_source: job.corpus.source.clone(),
            corpus_sha256: job.corpus.sha256.clone(),
            vocabulary: job.corpus.vocabulary.clone(),
            batch_rng: batch_rng.clone(),
            history: history.clone(),
            checksums,
        },
    )
}

/// Reads a checkpoint's metadata and verifies its files.
pub fn read(dir: &Path) -> Result<LmCheckpointMeta, CheckpointError> {
    let meta: LmCheckpointMeta = store::read_meta(dir, LM_FORMAT_VERSION)?;
    if meta.kind != KIND {
        return Err(CheckpointError::NotACheckpoint {
            path: dir.into(),
            message: format!("it is a `{}` checkpoint, not a language model's", meta.kind),
        });
    }
    for file in meta.checksums.keys() {
        store::verify_file(dir, &meta.checksums, file)?;
    }
    Ok(meta)
}

/// The checkpoint's metadata, refused unless it belongs to `job`: the same experiment, model,
/// corpus and backend.
pub fn load(dir: &Path, job: &Job) -> Result<LmCheckpointMeta, CheckpointError> {
    let meta = read(dir)?;
    let mismatch = |message: String| {
        Err(CheckpointError::Mismatch {
            path: dir.into(),
            message,
        })
    };
    if meta.corpus_sha256 != job.corpus.sha256 {
        return mismatch(format!(
            "it was trained on a corpus with SHA-256 {}, but {} now has SHA-256 {}: the text changed",
            meta.corpus_sha256, job.corpus.source, job.corpus.sha256
        ));
    }
    if meta.config != job.config_text {
        return mismatch("it was saved by another experiment (config.toml differs)".into());
    }
    if &meta.model != job.model || meta.variant != job.variant || meta.seed != job.seed {
        return mismatch(format!(
            "it holds variant {} seed {}, expected {} seed {}",
            meta.variant, meta.seed, job.variant, job.seed
        ));
    }
    if meta.backend.precision != job.backend.precision
        || meta.backend.backend != job.backend.backend
    {
        return mismatch(format!(
            "it trained on {} {}, this run is {} {}",
            meta.backend.backend,
            meta.backend.precision,
            job.backend.backend,
            job.backend.precision
        ));
    }
    Ok(meta)
}

/// The latest checkpoint of `job` under `root`, if any.
pub fn latest(root: &Path, job: &str) -> Option<PathBuf> {
    let mut iterations: Vec<usize> = std::fs::read_dir(root)
        .ok()?
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .strip_prefix("iter-")?
                .parse()
                .ok()
        })
        .collect();
    iterations.sort_unstable();
    iterations
        .into_iter()
        .rev()
        .map(|i| dir(root, i, job))
        .find(|d| d.join("meta.json").is_file())
}
