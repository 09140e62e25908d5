//! Running an experiment: a fresh run folder, training every variant, and what is written to disk.
//!
//! The folder holds the resolved `config.toml`, `metrics.csv`, `summary.json` and
//! `analysis.json`; the report and figures are then rebuilt from those files alone.

mod folder;
mod programs;
pub mod record;
mod summary;
mod train;

pub use folder::{RunFolderError, create_run_folder, run_id_now};
pub use programs::{Program, programs, train_programs};
pub use record::{
    AnalysisRecord, MetricRow, RunRecord, SeedResult, SeedRun, SeedStats, Summary, VariantSummary,
};
pub use train::{
    Cohort, Member, Persistence, Trained, initial_ensemble, train_plan, train_plan_probed,
    train_together,
};

use std::{
    path::{Path, PathBuf},
    time::Instant,
};

use burn::{module::AutodiffModule, tensor::backend::AutodiffBackend};
use indicatif::{ProgressBar, ProgressStyle};

use crate::{
    analysis::{self, article},
    backend::{self, BackendChoice, BackendInfo, BackendTask},
    checkpoint,
    config::Plan,
};

/// Where a run writes and how it reports progress.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Write here instead of `artifacts/<experiment>/<run-id>`; must be absent or empty.
    pub out: Option<PathBuf>,
    /// The `--set` overrides given, recorded in the summary.
    pub overrides: Vec<String>,
    /// Root of the default run folders.
    pub artifacts: PathBuf,
    pub show_progress: bool,
    /// Worker threads a run may use (0: all cores).
    pub threads: usize,
    /// The backend a single run trains on (sweeps and `eval` use the default).
    pub backend: BackendChoice,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            out: None,
            overrides: Vec::new(),
            artifacts: PathBuf::from("artifacts"),
            show_progress: false,
            threads: 0,
            backend: BackendChoice::available()[0],
        }
    }
}

/// The number of cores, for `threads = 0`.
pub fn available_threads(threads: usize) -> usize {
    if threads > 0 {
        threads
    } else {
        std::thread::available_parallelism().map_or(1, usize::from)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Folder(#[from] RunFolderError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read run folder {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("{0}")]
    Backend(String),
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    #[error("cannot draw figure {path}: {message}")]
    Plot { path: PathBuf, message: String },
}

fn progress_bar(epochs: usize, visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(epochs as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix} [{bar:30}] epoch {pos}/{len} {elapsed_precise} {msg}",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar
}

/// Runs a validated plan on the default backend and writes its run folder; returns the folder.
pub fn run_plan(plan: &Plan, options: &RunOptions) -> Result<PathBuf, RunError> {
    let experiment = &plan.experiment;
    let dir = create_run_folder(options.out.as_deref(), &options.artifacts, &experiment.name)?;
    record::write_config(&dir, experiment)?;
    execute(plan, &dir, options, None)?;
    Ok(dir)
}

/// Continues a stopped run from its last complete checkpoint to the configured number of
/// epochs; returns the epoch it resumed from.
pub fn resume_run(dir: &Path, options: &RunOptions) -> Result<usize, RunError> {
    let config = dir.join("config.toml");
    let read_err = |message: String| RunError::Read {
        path: dir.into(),
        message,
    };
    if !config.is_file() {
        return Err(read_err("not a run folder (no config.toml)".into()));
    }
    let text = std::fs::read_to_string(&config).map_err(|e| read_err(e.to_string()))?;
    let plan = crate::config::parse_experiment(&text, &config.display().to_string(), &[])
        .and_then(|e| e.check())
        .map_err(|e| read_err(e.to_string()))?;
    let count = programs(&plan).len();
    let epoch = checkpoint::latest_complete(&dir.join("checkpoints"), count)
        .ok_or_else(|| read_err("it has no complete checkpoint to resume from".into()))?;
    if epoch >= plan.experiment.train.epochs && is_run_folder(dir) {
        return Err(read_err(format!(
            "the run is already complete ({epoch} epochs)"
        )));
    }
    execute(&plan, dir, options, Some(epoch))?;
    Ok(epoch)
}

/// Trains `plan` into `dir` (from the checkpoint at `resume` if given) and writes every output.
fn execute(
    plan: &Plan,
    dir: &Path,
    options: &RunOptions,
    resume: Option<usize>,
) -> Result<(), RunError> {
    struct Execute<'a> {
        plan: &'a Plan,
        dir: &'a Path,
        options: &'a RunOptions,
        resume: Option<usize>,
    }
    impl BackendTask for Execute<'_> {
        type Output = Result<(), RunError>;
        fn run<B: AutodiffBackend>(self, device: B::Device, info: BackendInfo) -> Self::Output {
            execute_on::<B>(self.plan, self.dir, self.options, self.resume, device, info)
        }
    }
    backend::dispatch(
        options.backend,
        Execute {
            plan,
            dir,
            options,
            resume,
        },
    )
    .map_err(|e| RunError::Backend(e.to_string()))?
}

fn execute_on<B: AutodiffBackend>(
    plan: &Plan,
    dir: &Path,
    options: &RunOptions,
    resume: Option<usize>,
    device: B::Device,
    info: BackendInfo,
) -> Result<(), RunError> {
    let experiment = &plan.experiment;
    let programs = programs(plan);
    let config_text = toml::to_string_pretty(experiment).expect("an experiment serialises to TOML");
    let root = dir.join("checkpoints");
    let persist: Vec<Persistence> = programs
        .iter()
        .enumerate()
        .map(|(i, p)| Persistence {
            program: i,
            data_seed: p.data_seed,
            checkpoints: experiment.checkpoint.enabled.then(|| root.clone()),
            every: experiment.checkpoint.every,
            resume_from: resume.map(|epoch| checkpoint::checkpoint_dir(&root, epoch, i)),
            config: config_text.clone(),
        })
        .collect();
    let bar = progress_bar(
        experiment.train.epochs * programs.len(),
        options.show_progress,
    );
    bar.set_prefix(experiment.name.clone());
    let started = Instant::now();
    let trained = train_programs::<B>(
        plan,
        &programs,
        available_threads(options.threads),
        true,
        &persist,
        &device,
        &bar,
    )
    .map_err(|e| RunError::Checkpoint(e.to_string()))?;
    bar.finish_and_clear();
    let wall_seconds = started.elapsed().as_secs_f64();

    // The article's analysis of each variant's first seed that did not diverge.
    let analyses: Vec<AnalysisRecord> = plan
        .variants
        .iter()
        .enumerate()
        .map(|(v, planned)| {
            let found = programs.iter().zip(&trained).find_map(|(program, t)| {
                let k = t
                    .members_of(v)
                    .into_iter()
                    .find(|&k| t.histories[k].is_active())?;
                Some((program, t, k))
            });
            let analysis = found.map(|(program, t, k)| {
                article::analyze(
                    &t.model.valid(),
                    &program.split,
                    &experiment.analysis,
                    &device,
                )
                .swap_remove(k)
            });
            AnalysisRecord {
                variant: planned.name.clone(),
                analysis,
            }
        })
        .collect();
    let train_seconds = trained.iter().map(|t| t.seconds).sum();
    let variants = plan
        .variants
        .iter()
        .enumerate()
        .map(|(v, planned)| {
            let seeds = seed_runs(&programs, &trained, v);
            VariantSummary::new(
                planned,
                &seeds,
                analyses[v].analysis.as_ref(),
                train_seconds,
            )
        })
        .collect();
    let summary = Summary {
        experiment: experiment.name.clone(),
        run_id: dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        actlab_version: env!("CARGO_PKG_VERSION").into(),
        backend: info,
        engine: trained[0].engine,
        overrides: options.overrides.clone(),
        wall_seconds,
        train_seconds,
        variants,
    };
    record::write_metrics(dir, plan, &programs, &trained)?;
    if experiment.probes.enabled {
        let log = &trained[0].probes;
        record::write_text(
            &dir.join("activations.csv"),
            &analysis::training::activations_csv(&log.rows),
        )?;
        record::write_json(&dir.join("histograms.json"), &log.histograms)?;
    }
    record::write_json(&dir.join("analysis.json"), &analyses)?;
    record::write_json(&dir.join("summary.json"), &summary)?;
    crate::report::rebuild(dir)?;
    Ok(())
}

/// Every seed of variant `v` across the programs, as trained.
pub fn seed_runs<'a, B: burn::tensor::backend::AutodiffBackend>(
    programs: &[Program],
    trained: &'a [Trained<B>],
    v: usize,
) -> Vec<SeedRun<'a>> {
    programs
        .iter()
        .zip(trained)
        .flat_map(|(program, t)| {
            t.members_of(v).into_iter().map(move |k| SeedRun {
                seed: t.members[k].seed,
                data_seed: program.data_seed,
                history: &t.histories[k],
            })
        })
        .collect()
}

/// Whether `dir` looks like a run folder.
pub fn is_run_folder(dir: &Path) -> bool {
    dir.join("summary.json").is_file() && dir.join("config.toml").is_file()
}
