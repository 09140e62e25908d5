//! Using a saved language model: finding its checkpoint from a run folder or a checkpoint
//! folder, loading it (refused when the corpus it was trained on has changed), sampling text
//! from it (`actlab sample`) and evaluating it into a new folder (`actlab eval`).

use std::path::{Path, PathBuf};

use burn::tensor::backend::Backend;
use serde::Serialize;

use super::{
    LmError,
    batches::windows,
    checkpoint::{self, LmCheckpointMeta},
    learner::cross_entropy,
    run::parse,
    sample::{Sampling, generate},
};
use crate::{
    backend::{Eval, device},
    checkpoint::CheckpointError,
    data::text::Corpus,
    learner::to_host,
    model::gpt::Gpt,
    store::{self, language::is_language_run},
};

/// Whether `path` is a language-model run folder or checkpoint.
pub fn is_language_path(path: &Path) -> bool {
    is_language_run(path)
        || path.join("results").is_dir()
        || std::fs::read_to_string(path.join("meta.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .is_some_and(|v| v.get("kind").and_then(|k| k.as_str()) == Some(checkpoint::KIND))
}

/// The checkpoint `path` names: a checkpoint folder itself, or in a run folder the last
/// checkpoint of `variant` (default: the first variant's first seed).
pub fn locate(path: &Path, variant: Option<&str>) -> Result<PathBuf, LmError> {
    if path.join("meta.json").is_file() {
        return Ok(path.into());
    }
    let root = path.join("checkpoints");
    let text =
        std::fs::read_to_string(path.join("config.toml")).map_err(|e| LmError::NotFound {
            path: path.into(),
            message: format!("neither a checkpoint (no meta.json) nor a run folder ({e})"),
        })?;
    if !super::is_language_model(&text) {
        return Err(LmError::NotFound {
            path: path.into(),
            message: "it is not a language-model run (its model.family is not \"gpt\"); `actlab sample` needs one".into(),
        });
    }
    let experiment = parse(&text, "config.toml", &[])?;
    let name = variant.unwrap_or(&experiment.variants[0].name);
    if !experiment.variants.iter().any(|v| v.name == name) {
        let names: Vec<&str> = experiment
            .variants
            .iter()
            .map(|v| v.name.as_str())
            .collect();
        return Err(LmError::NotFound {
            path: path.into(),
            message: format!("no variant `{name}`; the run has: {}", names.join(", ")),
        });
    }
    let job = format!("{name}-seed-{}", experiment.model.seed);
    checkpoint::latest(&root, &job).ok_or_else(|| LmError::NotFound {
        path: path.into(),
        message: format!("no checkpoint of {job} under {}", root.display()),
    })
}

/// The model saved in checkpoint `dir`, on backend `B`, with its metadata and its corpus
/// (read again and refused if its SHA-256 differs from the one it was trained on).
pub fn load<B: Backend>(
    dir: &Path,
    device: &B::Device,
) -> Result<(Gpt<B>, LmCheckpointMeta, Corpus), LmError> {
    let meta = checkpoint::read(dir)?;
    let experiment = parse(
        &meta.config,
        &dir.join("meta.json").display().to_string(),
        &[],
    )?;
    let corpus = experiment.data.load()?;
    if corpus.sha256 != meta.corpus_sha256 {
        return Err(CheckpointError::Mismatch {
            path: dir.into(),
            message: format!(
                "it was trained on a corpus with SHA-256 {}, but {} now has SHA-256 {}: the text changed",
                meta.corpus_sha256, corpus.source, corpus.sha256
            ),
        }
        .into());
    }
    let model = Gpt::<B>::init(&meta.model, meta.seed, device);
    let model = crate::checkpoint::load_weights(dir, &meta.checksums, model, device)?
        .with_config(&meta.model);
    Ok((model, meta, corpus))
}

/// `actlab sample`: the prompt and the generated text (float64 on the CPU).
pub fn sample(path: &Path, variant: Option<&str>, sampling: &Sampling) -> Result<String, LmError> {
    let dir = locate(path, variant)?;
    let device = device();
    let (model, meta, _) = load::<Eval>(&dir, &device)?;
    Ok(generate(&model, &meta.vocabulary, sampling, &device)?)
}

/// What `actlab eval` writes for a language model.
#[derive(Debug, Serialize)]
pub struct LmEvaluation {
    pub kind: &'static str,
    pub checkpoint: PathBuf,
    pub variant: String,
    pub seed: u32,
    pub iteration: usize,
    pub parameters: usize,
    /// The mean loss over the whole validation split, in consecutive windows of `block_size`.
    pub val_loss_all: f64,
    pub val_windows: usize,
    /// The last evaluation recorded in training (estimates over `eval_iters` batches).
    pub recorded_val_loss: Option<f64>,
    pub recorded_train_loss: Option<f64>,
}

/// `actlab eval` of a language-model checkpoint: the whole validation split's loss, written
/// with the checkpoint's recorded losses to `eval.json` and `report.md` in a fresh folder.
pub fn eval(path: &Path, out: Option<&Path>, artifacts: &Path) -> Result<PathBuf, LmError> {
    let dir = locate(path, None)?;
    let device = device();
    let (model, meta, corpus) = load::<Eval>(&dir, &device)?;
    let (_, val) = corpus.split();
    let block = meta.model.block_size;
    let starts: Vec<usize> = (0..(val.len() - 1) / block).map(|w| w * block).collect();
    let mut total = 0.0;
    for chunk in starts.chunks(64) {
        let batch = windows::<Eval>(val, chunk, block, &device);
        total += to_host(cross_entropy(model.forward(batch.x), batch.y))[0] * chunk.len() as f64;
    }
    let last = meta.history.evaluations.last();
    let result = LmEvaluation {
        kind: "language-model-eval",
        checkpoint: dir.clone(),
        variant: meta.variant.clone(),
        seed: meta.seed,
        iteration: meta.iteration,
        parameters: meta.model.parameters(),
        val_loss_all: total / starts.len() as f64,
        val_windows: starts.len(),
        recorded_val_loss: last.map(|e| e.val_loss),
        recorded_train_loss: last.map(|e| e.train_loss),
    };
    let experiment = parse(&meta.config, "meta.json", &[])?;
    let folder = store::create_run_folder(out, artifacts, &format!("{}-eval", experiment.name))
        .map_err(store::StoreError::from)?;
    store::write_json(&folder.join("eval.json"), &result)?;
    let report = format!(
        "# Evaluation of {}\n\nCheckpoint `{}`: variant {}, seed {}, after {} steps, {} parameters.\n\n| | loss (nats per token) | bits per token |\n|---|---|---|\n| whole validation split ({} windows of {}) | {:.4} | {:.4} |\n| validation, recorded in training ({} batches) | {} | |\n| training, recorded in training | {} | |\n",
        experiment.name,
        dir.display(),
        result.variant,
        result.seed,
        result.iteration,
        result.parameters,
        result.val_windows,
        block,
        result.val_loss_all,
        result.val_loss_all / std::f64::consts::LN_2,
        experiment.train.eval_iters,
        result
            .recorded_val_loss
            .map_or("n/a".into(), |v| format!("{v:.4}")),
        result
            .recorded_train_loss
            .map_or("n/a".into(), |v| format!("{v:.4}")),
    );
    store::write_text(&folder.join("report.md"), &report)?;
    Ok(folder)
}
