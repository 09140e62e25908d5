//! Running a language-model experiment: the corpus read and every key checked before the run
//! folder is claimed, every job (variant x seed) trained on the chosen backend (jobs side by
//! side on the cores, each on one), each job's result written as it finishes, then the
//! summary, `metrics.csv`, the report and figures. `resume` continues the jobs that did not
//! finish, each from its last checkpoint.

use std::path::{Path, PathBuf};

use burn::tensor::backend::AutodiffBackend;
use rayon::prelude::*;

use super::{
    sample::{Sampling, generate},
    summary::{self, corpus_record, job_name, jobs},
    train::Job,
};
use crate::{
    backend::{self, BackendChoice, BackendInfo, BackendTask},
    checkpoint::CheckpointError,
    config::{
        ConfigError, Override,
        language::{LmConfigError, LmExperiment, LmPlan},
    },
    data::text::{Corpus, TextError},
    run::RunOptions,
    store::{self, Manifest, StoreError, language::JobResult},
};

#[derive(Debug, thiserror::Error)]
pub enum LmError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{origin}: {error}")]
    Invalid {
        origin: String,
        error: LmConfigError,
    },
    #[error(transparent)]
    Text(#[from] TextError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error("{0}")]
    Backend(String),
    #[error("cannot resume {path}: {message}")]
    Resume { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    NotFound { path: PathBuf, message: String },
}

/// Parses experiment `text` with `overrides` (unknown keys are errors).
pub fn parse(text: &str, origin: &str, overrides: &[Override]) -> Result<LmExperiment, LmError> {
    let mut table: toml::Table =
        text.parse()
            .map_err(|e: toml::de::Error| ConfigError::Syntax {
                origin: origin.into(),
                message: e.to_string(),
            })?;
    for o in overrides {
        o.apply(&mut table)?;
    }
    serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
        LmError::Config(ConfigError::Schema {
            origin: origin.into(),
            key: e.path().to_string(),
            message: e
                .into_inner()
                .to_string()
                .lines()
                .next()
                .unwrap_or("")
                .to_string(),
        })
    })
}

/// Reads the corpus and checks the experiment against it.
pub fn prepare(experiment: LmExperiment, origin: &str) -> Result<(LmPlan, Corpus), LmError> {
    let corpus = experiment.data.load()?;
    let (_, val) = corpus.split();
    let plan = experiment
        .check(corpus.vocabulary.size(), val.len())
        .map_err(|error| LmError::Invalid {
            origin: origin.into(),
            error,
        })?;
    Ok((plan, corpus))
}

/// `--backend` if given, else the experiment's `train.backend`, else ndarray in float32.
fn backend_of(plan: &LmPlan, choice: Option<BackendChoice>) -> Result<BackendChoice, LmError> {
    match (choice, &plan.experiment.train.backend) {
        (Some(c), _) => Ok(c),
        (None, Some(name)) => name.parse().map_err(|e: String| LmError::Invalid {
            origin: plan.experiment.name.clone(),
            error: LmConfigError {
                key: "train.backend".into(),
                value: format!("\"{name}\""),
                allowed: e,
            },
        }),
        (None, None) => Ok(BackendChoice::NdarrayF32),
    }
}

/// Runs a checked plan into a fresh run folder on `backend` (see [`backend_of`]); returns the
/// folder. `options.backend` is not read: a language model's default backend is its own.
pub fn run(
    plan: &LmPlan,
    corpus: &Corpus,
    options: &RunOptions,
    backend: Option<BackendChoice>,
) -> Result<PathBuf, LmError> {
    let choice = backend_of(plan, backend)?;
    backend::check(choice).map_err(|e| LmError::Backend(e.to_string()))?;
    let experiment = &plan.experiment;
    let dir =
        store::create_run_folder(options.out.as_deref(), &options.artifacts, &experiment.name)
            .map_err(StoreError::from)?;
    Manifest {
        experiment: experiment.name.clone(),
        actlab_version: env!("CARGO_PKG_VERSION").into(),
        overrides: options.overrides.clone(),
        backend: choice.name().into(),
    }
    .write(&dir)?;
    let text = toml::to_string(experiment).map_err(|e| StoreError::Encode {
        path: dir.join("config.toml"),
        message: e.to_string(),
    })?;
    store::write_text(&dir.join("config.toml"), &text)?;
    store::write_json(&dir.join("corpus.json"), &corpus_record(corpus))?;
    execute(plan, corpus, &dir, choice, options)?;
    Ok(dir)
}

/// Continues a stopped language-model run: every unfinished job from its last checkpoint.
pub fn resume(dir: &Path, options: &RunOptions) -> Result<usize, LmError> {
    let fail = |message: String| LmError::Resume {
        path: dir.into(),
        message,
    };
    let text = std::fs::read_to_string(dir.join("config.toml"))
        .map_err(|e| fail(format!("not a run folder (config.toml: {e})")))?;
    let manifest = Manifest::read(dir).map_err(|e| fail(e.to_string()))?;
    let (plan, corpus) = prepare(parse(&text, "config.toml", &[])?, "config.toml")?;
    let choice: BackendChoice = manifest.backend.parse().map_err(fail)?;
    let pending = jobs(&plan)
        .iter()
        .filter(|(v, s)| !JobResult::file(dir, &job_name(v, *s)).is_file())
        .count();
    if pending == 0 && store::language::is_language_run(dir) {
        return Err(fail("the run is already complete".into()));
    }
    let options = RunOptions {
        overrides: manifest.overrides,
        ..options.clone()
    };
    execute(&plan, &corpus, dir, choice, &options)?;
    Ok(pending)
}

struct Execute<'a> {
    plan: &'a LmPlan,
    corpus: &'a Corpus,
    dir: &'a Path,
    options: &'a RunOptions,
}

impl BackendTask for Execute<'_> {
    type Output = Result<BackendInfo, LmError>;

    fn run<B: AutodiffBackend>(self, device: B::Device, info: BackendInfo) -> Self::Output {
        let (plan, dir) = (self.plan, self.dir);
        let config_text =
            std::fs::read_to_string(dir.join("config.toml")).map_err(|e| StoreError::Read {
                path: dir.join("config.toml"),
                message: e.to_string(),
            })?;
        let pending: Vec<(String, u32)> = jobs(plan)
            .into_iter()
            .filter(|(v, s)| !JobResult::file(dir, &job_name(v, *s)).is_file())
            .collect();
        let t = &plan.experiment.train;
        let progress = crate::run::Progress::new(
            &plan.experiment.name,
            "steps",
            (pending.len() * t.iterations) as u64,
            self.options.show_progress,
        );
        // Dropout draws from the backend's one generator, so jobs with dropout run one at a time.
        let threads = if plan.variants.iter().any(|(_, m)| m.dropout > 0.0) {
            1
        } else {
            crate::run::available_threads(self.options.threads)
        };
        let train_job = |(variant, seed): &(String, u32)| -> Result<(), LmError> {
            let model = &plan
                .variants
                .iter()
                .find(|(n, _)| n == variant)
                .expect("a plan variant")
                .1;
            let job = Job {
                experiment: &plan.experiment,
                config_text: &config_text,
                variant,
                model,
                seed: *seed,
                corpus: self.corpus,
                backend: &info,
                checkpoints: dir.join("checkpoints"),
            };
            let resume = super::checkpoint::latest(&job.checkpoints, &job.name());
            let trained = job.train::<B>(resume.as_deref(), &device, |n| progress.inc(n as u64))?;
            let s = &plan.experiment.sample;
            let sampling = Sampling {
                prompt: s.prompt.clone(),
                tokens: s.tokens,
                temperature: s.temperature,
                top_k: s.top_k,
                seed: s.seed,
            };
            let sample = match generate(&trained.model, &self.corpus.vocabulary, &sampling, &device)
            {
                Ok(text) => text,
                // A diverged job's weights give no scores to sample from: it is recorded as
                // diverged, without a sample, and the run goes on.
                Err(TextError::NotFinite) if trained.history.diverged => String::new(),
                Err(e) => return Err(e.into()),
            };
            let result = JobResult {
                variant: variant.clone(),
                activation: model.unit.name(),
                seed: *seed,
                parameters: model.parameters(),
                hidden: model.hidden,
                history: trained.history,
                sample,
            };
            store::write_json(&JobResult::file(dir, &job.name()), &result)?;
            Ok(())
        };
        // One thread: the jobs run here, one after another, so that a sweep's points side by
        // side never nest thread pools (a waiting pool worker would start further points).
        let results: Vec<Result<(), LmError>> = if threads.min(pending.len()) <= 1 {
            pending.iter().map(&train_job).collect()
        } else {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads.min(pending.len()))
                .build()
                .map_err(|e| LmError::Backend(e.to_string()))?
                .install(|| pending.par_iter().map(&train_job).collect())
        };
        progress.finish();
        results.into_iter().collect::<Result<(), _>>()?;
        Ok(info)
    }
}

fn execute(
    plan: &LmPlan,
    corpus: &Corpus,
    dir: &Path,
    choice: BackendChoice,
    options: &RunOptions,
) -> Result<(), LmError> {
    std::fs::create_dir_all(dir.join("results")).map_err(|e| StoreError::Write {
        path: dir.join("results"),
        error: e,
    })?;
    let task = Execute {
        plan,
        corpus,
        dir,
        options,
    };
    let info = backend::dispatch(choice, task).map_err(|e| LmError::Backend(e.to_string()))??;
    summary::write(plan, corpus, dir, info, &options.overrides)?;
    crate::report::language::rebuild(dir)?;
    Ok(())
}
