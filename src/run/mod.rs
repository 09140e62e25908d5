//! Running an experiment: a fresh run folder, training every variant, and what is written to
//! disk. Also `resume` (continue a stopped run from its checkpoints) and `eval` (re-evaluate a
//! saved checkpoint into a new folder).
//!
//! The folder holds `run.json` (how the run was started), the resolved `config.toml`,
//! `metrics.csv`, `summary.json` and `analysis.json`; the report and figures are then rebuilt
//! from those files alone.

mod budget;
mod eval;
mod export;
mod finish;
mod policies;
mod programs;
mod progress;
mod schedule;

pub use budget::{BudgetError, human, limit};
pub use eval::{EvalError, eval_checkpoint};
pub use export::export_data;
pub use finish::{Records, analyze_variants, metric_rows, seed_runs, variant_summaries, write};
pub use programs::{
    Member, Program, Trained, initial_ensemble, order_streams, program_seeds, programs,
};
pub use progress::Progress;
pub use schedule::{CheckpointPlan, Schedule, TrainError, train};

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use burn::tensor::backend::AutodiffBackend;

use crate::{
    backend::{self, BackendChoice, BackendInfo, BackendTask},
    checkpoint,
    config::{Plan, parse_experiment},
    fused,
    learner::Engine,
    model::{Family, Network},
    store::{self, Manifest, StoreError, Summary},
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
    Store(#[from] StoreError),
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error(transparent)]
    Budget(#[from] BudgetError),
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
    #[error("{0}")]
    Backend(String),
    #[error("cannot resume {path}: {message}")]
    Resume { path: PathBuf, message: String },
    #[error(
        "the {set} set holds a value that is not finite (sample {sample}, feature {feature}); check data.noise and the data's scale"
    )]
    NonFinite {
        set: &'static str,
        sample: usize,
        feature: usize,
    },
}

/// Validates what can be checked before training: memory, the data's values, the engine.
pub fn preflight(plan: &Plan, programs: &[Program], backend: &BackendInfo) -> Result<(), RunError> {
    for program in programs {
        if let Some((set, sample, feature)) = program.split.first_non_finite() {
            return Err(RunError::NonFinite {
                set,
                sample,
                feature,
            });
        }
        budget::check_data(plan, &program.split)?;
    }
    fused::resolve(plan, backend).map_err(TrainError::from)?;
    Ok(())
}

/// Runs a validated plan and writes its run folder; returns the folder. The data is built and
/// checked before the folder is claimed, so a bad data path, a corrupt file or a subset larger
/// than the data set writes nothing.
pub fn run_plan(plan: &Plan, options: &RunOptions) -> Result<PathBuf, RunError> {
    budget::check_plan(plan)?;
    let programs = programs(plan)?;
    preflight(plan, &programs, &options.backend.info())?;
    let experiment = &plan.experiment;
    let dir =
        store::create_run_folder(options.out.as_deref(), &options.artifacts, &experiment.name)
            .map_err(StoreError::from)?;
    Manifest {
        experiment: experiment.name.clone(),
        actlab_version: env!("CARGO_PKG_VERSION").into(),
        overrides: options.overrides.clone(),
        backend: options.backend.name().into(),
    }
    .write(&dir)?;
    store::write_config(&dir, experiment)?;
    execute(plan, &programs, &dir, options, None)?;
    Ok(dir)
}

/// Continues a stopped run from its last complete checkpoint to the configured number of
/// epochs, on the backend it started on; returns the epoch it resumed from.
pub fn resume_run(dir: &Path, options: &RunOptions) -> Result<usize, RunError> {
    let fail = |message: String| RunError::Resume {
        path: dir.into(),
        message,
    };
    let config = dir.join("config.toml");
    if !config.is_file() {
        return Err(fail("not a run folder (no config.toml)".into()));
    }
    let text = std::fs::read_to_string(&config).map_err(|e| fail(e.to_string()))?;
    let plan = parse_experiment(&text, &config.display().to_string(), &[])
        .and_then(|e| e.check())
        .map_err(|e| fail(e.to_string()))?;
    let manifest = Manifest::read(dir).ok();
    let backend = match &manifest {
        Some(m) => m.backend.parse::<BackendChoice>().map_err(fail)?,
        None => BackendChoice::available()[0],
    };
    let count = program_seeds(&plan).len();
    let epoch = checkpoint::latest_complete(&dir.join("checkpoints"), count)
        .ok_or_else(|| fail("it has no complete checkpoint to resume from".into()))?;
    if epoch >= plan.experiment.train.epochs && store::is_run_folder(dir) {
        return Err(fail(format!(
            "the run is already complete ({epoch} epochs)"
        )));
    }
    let options = RunOptions {
        overrides: manifest.map(|m| m.overrides).unwrap_or_default(),
        backend,
        ..options.clone()
    };
    let programs = programs(&plan)?;
    preflight(&plan, &programs, &backend.info())?;
    execute(&plan, &programs, dir, &options, Some(epoch))?;
    Ok(epoch)
}

/// Trains `plan` into `dir` (from the checkpoint at `resume` if given) and writes every output.
fn execute(
    plan: &Plan,
    programs: &[Program],
    dir: &Path,
    options: &RunOptions,
    resume: Option<usize>,
) -> Result<(), RunError> {
    struct Execute<'a> {
        plan: &'a Plan,
        programs: &'a [Program],
        dir: &'a Path,
        options: &'a RunOptions,
        resume: Option<usize>,
    }
    impl BackendTask for Execute<'_> {
        type Output = Result<(), RunError>;
        fn run<B: AutodiffBackend>(self, device: B::Device, info: BackendInfo) -> Self::Output {
            let s = self;
            execute_on::<B>(
                s.plan, s.programs, s.dir, s.options, s.resume, &device, &info,
            )
        }
    }
    let task = Execute {
        plan,
        programs,
        dir,
        options,
        resume,
    };
    backend::dispatch(options.backend, task).map_err(|e| RunError::Backend(e.to_string()))?
}

/// Trains every program of `plan` and returns them as trained; programs train together on
/// the fused engine, and one per thread on Burn (whose optimizer state is per ensemble).
pub fn train_programs<B: AutodiffBackend>(
    schedule: &Schedule,
    device: &B::Device,
    progress: &Progress,
) -> Result<Vec<Trained<Network<B>>>, TrainError> {
    let plan = schedule.plan;
    let engine = fused::resolve(plan, schedule.backend)?;
    let programs = schedule.programs;
    if engine == Engine::Fused || programs.len() == 1 {
        return train::<B>(schedule, device, progress);
    }
    let threads = available_threads(schedule.threads).min(programs.len());
    let alone = |i: usize| {
        let one = Schedule {
            programs: std::slice::from_ref(&programs[i]),
            threads: 1,
            probe: schedule.probe && i == 0,
            ..schedule.clone()
        };
        train::<B>(&one, device, progress).map(|mut t| t.remove(0))
    };
    if threads <= 1 {
        return (0..programs.len()).map(alone).collect();
    }
    let chunk = programs.len().div_ceil(threads);
    let results: Vec<Result<Trained<Network<B>>, TrainError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..programs.len())
            .collect::<Vec<_>>()
            .chunks(chunk)
            .map(|indices| {
                let indices = indices.to_vec();
                let alone = &alone;
                scope.spawn(move || indices.into_iter().map(alone).collect::<Vec<_>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a training thread panicked"))
            .collect()
    });
    results.into_iter().collect()
}

/// Trains every variant of `plan` for `seeds` on `split` as one program on `backend`, without
/// probes or checkpoints: for benchmarks and tests.
pub fn train_plan<B: AutodiffBackend>(
    plan: &Plan,
    seeds: &[u32],
    split: &crate::data::Split,
    threads: usize,
    backend: &BackendInfo,
    device: &B::Device,
) -> Result<Trained<Network<B>>, TrainError> {
    let program = Program {
        index: 0,
        data_seed: plan.experiment.data.seed,
        seeds: seeds.to_vec(),
        split: Arc::new(split.clone()),
    };
    let variants: Vec<usize> = (0..plan.variants.len()).collect();
    let schedule = Schedule {
        plan,
        programs: std::slice::from_ref(&program),
        variants: &variants,
        threads,
        probe: false,
        checkpoints: None,
        resume: None,
        backend,
    };
    train::<B>(&schedule, device, &Progress::hidden()).map(|mut t| t.remove(0))
}

fn execute_on<B: AutodiffBackend>(
    plan: &Plan,
    programs: &[Program],
    dir: &Path,
    options: &RunOptions,
    resume: Option<usize>,
    device: &B::Device,
    info: &BackendInfo,
) -> Result<(), RunError> {
    let experiment = &plan.experiment;
    let variants: Vec<usize> = (0..plan.variants.len()).collect();
    let schedule = Schedule {
        plan,
        programs,
        variants: &variants,
        threads: available_threads(options.threads),
        probe: true,
        checkpoints: experiment.checkpoint.enabled.then(|| CheckpointPlan {
            root: dir.join("checkpoints"),
            every: experiment.checkpoint.every,
            config: toml::to_string_pretty(experiment).expect("an experiment serialises to TOML"),
        }),
        resume,
        backend: info,
    };
    let progress = Progress::new(
        &experiment.name,
        "epochs",
        (experiment.train.epochs * programs.len()) as u64,
        options.show_progress,
    );
    let started = std::time::Instant::now();
    let trained = train_programs::<B>(&schedule, device, &progress)?;
    progress.finish();
    let wall_seconds = started.elapsed().as_secs_f64();

    let analyses = analyze_variants(plan, programs, &trained, device);
    let train_seconds = trained.iter().map(|t| t.seconds).sum();
    let summary = Summary {
        experiment: experiment.name.clone(),
        run_id: dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        actlab_version: env!("CARGO_PKG_VERSION").into(),
        backend: info.clone(),
        engine: trained[0].engine,
        layers: trained[0].model.layers(),
        overrides: options.overrides.clone(),
        evaluated: None,
        wall_seconds,
        train_seconds,
        variants: variant_summaries(plan, programs, &trained, &analyses, train_seconds),
    };
    let metrics = metric_rows(plan, programs, &trained);
    let records = Records {
        summary: &summary,
        metrics: &metrics,
        analyses: &analyses,
        probes: experiment.probes.enabled.then_some(&trained[0].probes),
    };
    write(dir, &records)?;
    Ok(())
}
