//! Executing a sweep: validate every point first, then train its distinct units (one variant
//! of one point, each trained once) on all cores, and write each point whole (write aside,
//! then rename) as soon as its last unit finishes.

use std::{
    collections::BTreeSet,
    io::Write as _,
    path::{Path, PathBuf},
    sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use super::{
    Point,
    grid::{Job, grid_points, point_plan},
    missing::{MissingPoints, missing_points},
    units::{LAYER_SUMMARY, Trained, Training, units},
};
use crate::{
    backend,
    config::{ConfigError, Experiment, Override, Plan},
    report::rebuild_sweep,
    run::{
        Progress, RunError, RunOptions, Schedule, available_threads, preflight, programs,
        train_programs, variant_summaries,
    },
    store::{
        self, FolderError, PointResult, Shard, StoreError, SweepMeta, SweepRecord, csv_header,
        csv_rows, sweep_csv, write_text,
    },
};

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("sweep point {point}: {error}")]
    Point { point: String, error: ConfigError },
    #[error("sweep point {point}: {error}")]
    Train { point: String, error: RunError },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot merge: {0}")]
    Merge(String),
    #[error("{0}")]
    Invalid(String),
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

impl From<FolderError> for SweepError {
    fn from(e: FolderError) -> Self {
        Self::Store(e.into())
    }
}

fn jobs(
    experiment: &Experiment,
    meta: &SweepMeta,
    done: &[Option<usize>],
) -> Result<Vec<Job>, SweepError> {
    let Some(sweep) = experiment.sweep.as_ref() else {
        return Err(SweepError::Invalid(format!(
            "{} has no [sweep] section",
            experiment.name
        )));
    };
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
            let plan = point_plan(experiment, &overrides).map_err(|error| SweepError::Point {
                point: super::grid::describe(&overrides),
                error,
            })?;
            Ok(Job {
                id,
                overrides,
                plan,
            })
        })
        .collect()
}

/// Trains one unit: one variant of a point, all its seeds, probed before training and at
/// the end (enough for the per-layer summary).
fn train_unit(unit: &Training) -> Result<Trained, RunError> {
    let device = backend::device();
    let info = backend::BackendInfo::current();
    let mut plan = unit.plan.clone();
    plan.experiment.probes.every = 0;
    let programs = programs(&plan)?;
    preflight(&plan, &programs, &info)?;
    let variants = [unit.variant];
    let schedule = Schedule {
        plan: &plan,
        programs: &programs,
        variants: &variants,
        threads: 1,
        probe: true,
        checkpoints: None,
        resume: None,
        backend: &info,
    };
    let trained = train_programs::<backend::Train>(&schedule, &device, &Progress::hidden())?;
    let seconds: f64 = trained.iter().map(|t| t.seconds).sum();
    let summary = variant_summaries(&plan, &programs, &trained, &[], seconds)
        .pop()
        .expect("the unit's variant trained");
    let last = plan.experiment.train.epochs;
    let layers = trained[0]
        .probes
        .rows
        .iter()
        .filter(|r| {
            r.epoch == last && LAYER_SUMMARY.contains(&(r.tensor.as_str(), r.statistic.as_str()))
        })
        .cloned()
        .collect();
    Ok(Trained {
        summary,
        seconds,
        layers,
    })
}

/// A point's result from its units' results.
fn point_result(job: &Job, results: &[&Trained]) -> PointResult {
    PointResult {
        id: job.id,
        settings: job
            .overrides
            .iter()
            .map(|o| (o.key.clone(), o.value.to_string()))
            .collect(),
        variants: results.iter().map(|r| r.summary.clone()).collect(),
        train_seconds: results.iter().map(|r| r.seconds).sum(),
        layers: results.iter().flat_map(|r| r.layers.clone()).collect(),
        plan: Some(job.plan.clone()),
    }
}

/// Trains the distinct units of `jobs` on `threads` workers; each point is written to
/// `points/` and appended to `sweep.csv` as soon as its last unit is done.
fn execute(
    dir: &Path,
    meta: &SweepMeta,
    jobs: Vec<Job>,
    threads: usize,
    show_progress: bool,
) -> Result<(), SweepError> {
    let points_dir = dir.join("points");
    std::fs::create_dir_all(&points_dir).map_err(|error| StoreError::Write {
        path: points_dir.clone(),
        error,
    })?;
    let csv_path = dir.join("sweep.csv");
    let csv = Mutex::new(
        std::fs::OpenOptions::new()
            .append(true)
            .open(&csv_path)
            .map_err(|error| StoreError::Write {
                path: csv_path.clone(),
                error,
            })?,
    );
    let (units, per_job) = units(&jobs);
    let progress = Progress::new(&meta.experiment, "units", units.len() as u64, show_progress);
    let results: Mutex<Vec<Option<Trained>>> = Mutex::new(vec![None; units.len()]);
    let written: Mutex<BTreeSet<usize>> = Mutex::new(BTreeSet::new());
    let next = AtomicUsize::new(0);
    let failure: Mutex<Option<SweepError>> = Mutex::new(None);
    let write_finished = || -> Result<(), SweepError> {
        let results = results.lock().expect("no worker panicked holding the lock");
        let mut written = written.lock().expect("not poisoned");
        for (j, job) in jobs.iter().enumerate() {
            if written.contains(&j) {
                continue;
            }
            let Some(done): Option<Vec<&Trained>> =
                per_job[j].iter().map(|&u| results[u].as_ref()).collect()
            else {
                continue;
            };
            let result = point_result(job, &done);
            let text = serde_json::to_string_pretty(&result).expect("a point serialises") + "\n";
            write_text(&points_dir.join(PointResult::file_name(job.id)), &text)?;
            let mut file = csv.lock().expect("not poisoned");
            file.write_all(csv_rows(meta, &result).as_bytes())
                .map_err(|error| StoreError::Write {
                    path: csv_path.clone(),
                    error,
                })?;
            written.insert(j);
        }
        Ok(())
    };
    std::thread::scope(|scope| {
        for _ in 0..threads.min(units.len()).max(1) {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    let Some(unit) = units.get(index) else {
                        return;
                    };
                    if failure.lock().map(|f| f.is_some()).unwrap_or(true) {
                        return;
                    }
                    let outcome = train_unit(unit)
                        .map_err(|error| SweepError::Train {
                            point: unit.plan.experiment.name.clone(),
                            error,
                        })
                        .and_then(|result| {
                            results.lock().expect("not poisoned")[index] = Some(result);
                            write_finished()
                        });
                    if let Err(e) = outcome {
                        failure.lock().expect("not poisoned").get_or_insert(e);
                        return;
                    }
                    progress.inc(1);
                }
            });
        }
    });
    progress.finish();
    match failure.into_inner().expect("not poisoned") {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// For the whole sweep of `experiment`: how many variant trainings its points hold, and how
/// many distinct units are trained for them (each identical variant training once).
pub fn count_units(experiment: &Experiment) -> Result<(usize, usize), SweepError> {
    let meta = meta_of(experiment, Shard::WHOLE)?;
    let jobs = jobs(experiment, &meta, &[])?;
    let trainings = jobs.iter().map(|j| j.plan.variants.len()).sum();
    Ok((trainings, units(&jobs).0.len()))
}

fn meta_of(experiment: &Experiment, shard: Shard) -> Result<SweepMeta, SweepError> {
    let sweep = experiment.sweep.as_ref().ok_or_else(|| {
        SweepError::Invalid(format!("{} has no [sweep] section", experiment.name))
    })?;
    let points: usize = sweep.grid.values().map(Vec::len).product();
    if shard.index >= points {
        return Err(SweepError::EmptyShard { shard, points });
    }
    Ok(SweepMeta {
        experiment: experiment.name.clone(),
        keys: sweep.grid.keys().cloned().collect(),
        points,
        shard,
        baseline: sweep.target.is_some(),
    })
}

/// Starts a sweep (or the `shard` of it) into a fresh folder; returns the folder.
pub fn run_sweep(plan: &Plan, shard: Shard, options: &RunOptions) -> Result<PathBuf, SweepError> {
    let experiment = &plan.experiment;
    let meta = meta_of(experiment, shard)?;
    let jobs = jobs(experiment, &meta, &[])?;
    let dir =
        store::create_run_folder(options.out.as_deref(), &options.artifacts, &experiment.name)?;
    store::write_config(&dir, experiment)?;
    store::write_json(&dir.join("sweep.json"), &meta)?;
    write_text(&dir.join("sweep.csv"), &csv_header(&meta))?;
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
    write_text(&dir.join("sweep.csv"), &sweep_csv(&record))?;
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
    let dir = store::create_run_folder(Some(out), Path::new(""), "")?;
    store::write_config(&dir, &first.experiment)?;
    let meta = SweepMeta {
        shard: Shard::WHOLE,
        ..first.meta.clone()
    };
    store::write_json(&dir.join("sweep.json"), &meta)?;
    let points_dir = dir.join("points");
    std::fs::create_dir_all(&points_dir).map_err(|error| StoreError::Write {
        path: points_dir.clone(),
        error,
    })?;
    for r in &records {
        for point in r.points.iter().chain(&r.baseline) {
            let text = serde_json::to_string_pretty(point).expect("a point serialises") + "\n";
            let target = points_dir.join(PointResult::file_name(point.id));
            if !target.exists() {
                write_text(&target, &text)?;
            }
        }
    }
    rebuild_sweep(&dir)?;
    Ok(dir)
}
