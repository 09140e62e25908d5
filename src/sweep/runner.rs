//! Executing a sweep: validate every point first, then run the pending points on all cores, one
//! point per worker, each written whole (write aside, then rename) as soon as it finishes.

use std::{
    io::Write as _,
    path::{Path, PathBuf},
    sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use indicatif::{ProgressBar, ProgressStyle};

use crate::run::Persistence;

use super::{
    Point, PointResult, Shard, SweepMeta, SweepRecord,
    csv::{csv_header, csv_rows, sweep_csv},
    grid::{grid_points, point_plan},
    missing::{MissingPoints, missing_points},
    report::rebuild_sweep,
};
use crate::{
    backend,
    config::{ConfigError, Experiment, Override, Plan},
    run::{
        RunFolderError, RunOptions, VariantSummary, available_threads, create_run_folder, programs,
        seed_runs, train_programs,
    },
};

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("sweep point {point}: {source}")]
    Point { point: String, source: ConfigError },
    #[error(transparent)]
    Folder(#[from] RunFolderError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("cannot merge: {0}")]
    Merge(String),
    #[error("cannot draw {path}: {message}")]
    Plot { path: PathBuf, message: String },
    #[error(
        "cannot merge: {0}\nfinish them (`actlab resume <shard folder>`, or for a shard without a folder `actlab run <experiment> --shard i/n --out <folder>`), then merge again"
    )]
    Incomplete(MissingPoints),
    #[error(
        "--shard {}/{} holds no point: the grid has {points} points (ids 0 to {}), and a shard holds the ids with id % {} == {}; use at most {points} shards",
        shard.index, shard.count, points - 1, shard.count, shard.index
    )]
    EmptyShard { shard: Shard, points: usize },
}

fn write_err(path: &Path) -> impl FnOnce(std::io::Error) -> SweepError + '_ {
    move |source| SweepError::Write {
        path: path.into(),
        source,
    }
}

/// Writes `contents` to `path` so that it appears whole or not at all.
pub(crate) fn write_atomic(path: &Path, contents: &str) -> Result<(), SweepError> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, contents).map_err(write_err(&tmp))?;
    std::fs::rename(&tmp, path).map_err(write_err(path))
}

/// The per-layer statistics a point keeps, at its last epoch and first seed.
const LAYER_SUMMARY: [(&str, &str); 5] = [
    ("a", "std"),
    ("a", "saturated_fraction"),
    ("a", "dead_units"),
    ("a", "mean_derivative"),
    ("dz", "norm"),
];

/// A validated point, ready to train.
struct Job {
    id: Option<usize>,
    overrides: Vec<Override>,
    plan: Plan,
}

fn jobs(
    experiment: &Experiment,
    meta: &SweepMeta,
    done: &[Option<usize>],
) -> Result<Vec<Job>, SweepError> {
    let sweep = experiment.sweep.as_ref().expect("a sweep experiment");
    let mut points: Vec<(Option<usize>, Vec<Override>)> = Vec::new();
    if meta.baseline && meta.shard.index == 0 {
        points.push((None, Vec::new()));
    }
    points.extend(
        grid_points(sweep)
            .into_iter()
            .filter(|p| meta.shard.owns(p.id))
            .map(|Point { id, overrides }| (Some(id), overrides)),
    );
    points
        .into_iter()
        .filter(|(id, _)| !done.contains(id))
        .map(|(id, overrides)| {
            let plan = point_plan(experiment, &overrides).map_err(|source| SweepError::Point {
                point: super::grid::describe(&overrides),
                source,
            })?;
            Ok(Job {
                id,
                overrides,
                plan,
            })
        })
        .collect()
}

fn train_point(job: &Job) -> PointResult {
    let device = backend::device();
    let programs = programs(&job.plan);
    // Probe only before training and at the end: enough for the per-layer summary.
    let mut plan = job.plan.clone();
    plan.experiment.probes.every = 0;
    let trained = train_programs::<backend::Train>(
        &plan,
        &programs,
        1,
        true,
        &vec![Persistence::default(); programs.len()],
        &device,
        &ProgressBar::hidden(),
    )
    .expect("sweep points write no checkpoints");
    let train_seconds = trained.iter().map(|t| t.seconds).sum();
    let variants = job
        .plan
        .variants
        .iter()
        .enumerate()
        .map(|(v, planned)| {
            let seeds = seed_runs(&programs, &trained, v);
            VariantSummary::new(planned, &seeds, None, train_seconds)
        })
        .collect();
    let settings = job
        .overrides
        .iter()
        .map(|o| (o.key.clone(), o.value.to_string()))
        .collect();
    let last = job.plan.experiment.train.epochs;
    let layers = trained[0]
        .probes
        .rows
        .iter()
        .filter(|r| {
            r.epoch == last && LAYER_SUMMARY.contains(&(r.tensor.as_str(), r.statistic.as_str()))
        })
        .cloned()
        .collect();
    PointResult {
        id: job.id,
        settings,
        variants,
        train_seconds,
        layers,
    }
}

/// Runs `jobs` on `threads` workers; each result is written to `points/` and appended to `sweep.csv`.
fn execute(
    dir: &Path,
    meta: &SweepMeta,
    jobs: Vec<Job>,
    threads: usize,
    show_progress: bool,
) -> Result<(), SweepError> {
    let points_dir = dir.join("points");
    std::fs::create_dir_all(&points_dir).map_err(write_err(&points_dir))?;
    let csv_path = dir.join("sweep.csv");
    let csv = Mutex::new(
        std::fs::OpenOptions::new()
            .append(true)
            .open(&csv_path)
            .map_err(write_err(&csv_path))?,
    );
    let bar = if show_progress {
        ProgressBar::new(jobs.len() as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix} [{bar:30}] point {pos}/{len} {elapsed_precise} eta {eta}",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar.set_prefix(meta.experiment.clone());
    let next = AtomicUsize::new(0);
    let failure: Mutex<Option<SweepError>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..threads.min(jobs.len()).max(1) {
            scope.spawn(|| {
                while let Some(job) = jobs.get(next.fetch_add(1, Ordering::SeqCst)) {
                    let result = train_point(job);
                    let path = points_dir.join(PointResult::file_name(job.id));
                    let text =
                        serde_json::to_string_pretty(&result).expect("a point serialises") + "\n";
                    let written = write_atomic(&path, &text).and_then(|()| {
                        let mut file = csv.lock().expect("no worker panicked holding the lock");
                        file.write_all(csv_rows(meta, &result).as_bytes())
                            .map_err(write_err(&csv_path))
                    });
                    if let Err(e) = written {
                        failure.lock().expect("not poisoned").get_or_insert(e);
                        return;
                    }
                    bar.inc(1);
                }
            });
        }
    });
    bar.finish_and_clear();
    match failure.into_inner().expect("not poisoned") {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Starts a sweep (or the `shard` of it) into a fresh folder; returns the folder.
pub fn run_sweep(plan: &Plan, shard: Shard, options: &RunOptions) -> Result<PathBuf, SweepError> {
    let experiment = &plan.experiment;
    let sweep = experiment
        .sweep
        .as_ref()
        .expect("run_sweep needs a [sweep]");
    let meta = SweepMeta {
        experiment: experiment.name.clone(),
        keys: sweep.grid.keys().cloned().collect(),
        points: sweep.grid.values().map(Vec::len).product(),
        shard,
        baseline: sweep.target.is_some(),
    };
    if shard.index >= meta.points {
        return Err(SweepError::EmptyShard {
            shard,
            points: meta.points,
        });
    }
    let jobs = jobs(experiment, &meta, &[])?;
    let dir = create_run_folder(options.out.as_deref(), &options.artifacts, &experiment.name)?;
    let config = toml::to_string_pretty(experiment).expect("an experiment serialises to TOML");
    write_atomic(
        &dir.join("config.toml"),
        &format!("# The experiment as run, with every override applied.\n{config}"),
    )?;
    write_atomic(
        &dir.join("sweep.json"),
        &(serde_json::to_string_pretty(&meta).expect("serialises") + "\n"),
    )?;
    write_atomic(&dir.join("sweep.csv"), &csv_header(&meta))?;
    execute(
        &dir,
        &meta,
        jobs,
        available_threads(options.threads),
        options.show_progress,
    )?;
    rebuild_sweep(&dir)?;
    Ok(dir)
}

/// Finishes a stopped sweep: runs only the points not yet in `points/`.
pub fn resume_sweep(dir: &Path, options: &RunOptions) -> Result<usize, SweepError> {
    let record = SweepRecord::load(dir)?;
    let mut done: Vec<Option<usize>> = record.points.iter().map(|p| p.id).collect();
    if record.baseline.is_some() {
        done.push(None);
    }
    let jobs = jobs(&record.experiment, &record.meta, &done)?;
    let pending = jobs.len();
    // Drop rows of points that were cut short, then carry on appending.
    write_atomic(&dir.join("sweep.csv"), &sweep_csv(&record))?;
    execute(
        dir,
        &record.meta,
        jobs,
        available_threads(options.threads),
        options.show_progress,
    )?;
    rebuild_sweep(dir)?;
    Ok(pending)
}

/// Combines the folders of a sweep's shards into `out`, as if it had run on one host.
pub fn merge_sweeps(dirs: &[PathBuf], out: &Path) -> Result<PathBuf, SweepError> {
    let records: Vec<SweepRecord> = dirs
        .iter()
        .map(|d| SweepRecord::load(d))
        .collect::<Result<_, _>>()?;
    let first = records
        .first()
        .ok_or_else(|| SweepError::Merge("name at least one sweep folder".into()))?;
    for r in &records[1..] {
        if r.experiment != first.experiment
            || r.meta.keys != first.meta.keys
            || r.meta.points != first.meta.points
        {
            return Err(SweepError::Merge(format!(
                "{} and {} are not shards of the same sweep",
                first.dir.display(),
                r.dir.display()
            )));
        }
    }
    let finished: std::collections::BTreeSet<Option<usize>> = records
        .iter()
        .flat_map(|r| r.points.iter().chain(&r.baseline).map(|p| p.id))
        .collect();
    let count = records
        .iter()
        .all(|r| r.meta.shard.count == first.meta.shard.count)
        .then_some(first.meta.shard.count);
    let folders = records
        .iter()
        .map(|r| (r.meta.shard.index, r.dir.clone()))
        .collect();
    if let Some(missing) = missing_points(&first.experiment, &finished, count, &folders) {
        return Err(SweepError::Incomplete(missing));
    }
    let dir = create_run_folder(Some(out), Path::new(""), "")?;
    std::fs::copy(first.dir.join("config.toml"), dir.join("config.toml"))
        .map_err(write_err(&dir))?;
    let meta = SweepMeta {
        shard: Shard::WHOLE,
        ..first.meta.clone()
    };
    write_atomic(
        &dir.join("sweep.json"),
        &(serde_json::to_string_pretty(&meta).expect("serialises") + "\n"),
    )?;
    let points_dir = dir.join("points");
    std::fs::create_dir_all(&points_dir).map_err(write_err(&points_dir))?;
    for r in &records {
        for point in r.points.iter().chain(&r.baseline) {
            let name = PointResult::file_name(point.id);
            let target = points_dir.join(&name);
            if !target.exists() {
                std::fs::copy(r.dir.join("points").join(&name), &target)
                    .map_err(write_err(&target))?;
            }
        }
    }
    rebuild_sweep(&dir)?;
    Ok(dir)
}
