//! Runs any experiment file into a fresh folder: a network run or sweep, a language-model run
//! or sweep. The one entry that `actlab run` and `actlab verify` share.

use std::path::PathBuf;

use crate::{
    backend::{self, BackendChoice, BackendError},
    config::{ConfigError, ExperimentFile, Override, pinned_axes},
    lm::{self, LmError},
    run::{RunError, RunOptions, run_plan},
    store::Shard,
    sweep::{SweepError, run_sweep},
};

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Language(#[from] LmError),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Sweep(#[from] SweepError),
    #[error(transparent)]
    Backend(#[from] BackendError),
    #[error("--shard applies to sweeps; {origin} has no [sweep] section")]
    ShardWithoutSweep { origin: String },
}

/// What to run and how.
pub struct Launch<'a> {
    pub file: &'a ExperimentFile,
    /// The `--set` overrides as written.
    pub overrides: &'a [String],
    /// For a sweep: the part of its points to run.
    pub shard: Option<Shard>,
    /// `None`: the experiment's own (or the default) backend.
    pub backend: Option<BackendChoice>,
    /// Folder, artifacts root, progress and threads; `overrides` and `backend` are taken from
    /// the fields above.
    pub options: RunOptions,
}

/// Runs `launch` and returns the folder it wrote. Notes for the user (a `--set` that pins a
/// grid axis) go to standard error.
pub fn launch(launch: Launch) -> Result<PathBuf, LaunchError> {
    let Launch {
        file,
        overrides,
        shard,
        backend,
        mut options,
    } = launch;
    let parsed: Vec<Override> = overrides
        .iter()
        .map(|o| o.parse())
        .collect::<Result<_, _>>()?;
    options.overrides = overrides.to_vec();
    let origin = file.origin.display().to_string();
    if lm::is_language_model(&file.text) {
        let experiment = lm::parse(&file.text, &origin, &parsed)?;
        if experiment.sweep.is_none() && shard.is_some() {
            return Err(LaunchError::ShardWithoutSweep { origin });
        }
        let (plan, corpus) = lm::prepare(experiment, &origin)?;
        return Ok(if plan.experiment.sweep.is_some() {
            lm::sweep::run_sweep(
                &plan.experiment,
                shard.unwrap_or(Shard::WHOLE),
                &options,
                backend,
            )?
        } else {
            lm::run(&plan, &corpus, &options, backend)?
        });
    }
    let plan = file.load(&parsed)?.check()?;
    if let Ok(unpinned) = file.load(&[]) {
        for axis in pinned_axes(&unpinned, &parsed) {
            eprintln!("note: --set pins the grid axis {axis} at every point");
        }
    }
    if shard.is_some() && plan.experiment.sweep.is_none() {
        return Err(LaunchError::ShardWithoutSweep { origin });
    }
    options.backend = backend.unwrap_or(BackendChoice::available()[0]);
    backend::check(options.backend)?;
    Ok(if plan.experiment.sweep.is_some() {
        run_sweep(&plan, shard.unwrap_or(Shard::WHOLE), &options)?
    } else {
        run_plan(&plan, &options)?
    })
}
