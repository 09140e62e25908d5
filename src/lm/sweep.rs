//! Language-model sweeps: every combination of `[sweep.grid]` is one language-model run folder,
//! `points/<id>/`, trained one point after another (each point's jobs side by side on the
//! cores). `--shard i/n` runs the points with `id % n == i`; `merge` puts shards together and
//! names the points still missing; `resume` finishes a stopped sweep, point by point from
//! their checkpoints. Every point is validated before the folder is claimed.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{LmError, parse, prepare};
use crate::{
    backend::BackendChoice,
    config::{Override, language::LmExperiment},
    run::RunOptions,
    store::{
        self, Manifest, Shard, StoreError,
        language::{LM_SWEEP_KIND, LmPoint, LmSweepMeta, is_language_run, is_language_sweep},
    },
    sweep::{describe, grid_points},
};

/// The point's experiment: the base with its sweep removed and the point's overrides applied.
fn point_experiment(base: &LmExperiment, overrides: &[Override]) -> Result<LmExperiment, LmError> {
    let mut experiment = base.clone();
    experiment.sweep = None;
    let text = toml::to_string(&experiment).map_err(|e| LmError::Backend(e.to_string()))?;
    parse(
        &text,
        &format!("sweep point {}", describe(overrides)),
        overrides,
    )
}

/// A grid point of this shard, checked against its corpus.
struct OwnedPoint {
    id: usize,
    overrides: Vec<Override>,
    /// The point's own `train.backend`, if it names one.
    backend: Option<String>,
    /// Whether any variant uses dropout (which draws from the backend's one generator).
    dropout: bool,
}

/// The points of `experiment`'s grid that `shard` owns, each checked against its corpus.
fn owned_points(experiment: &LmExperiment, shard: Shard) -> Result<Vec<OwnedPoint>, LmError> {
    let sweep = experiment
        .sweep
        .as_ref()
        .ok_or_else(|| LmError::Backend(format!("{} has no [sweep] section", experiment.name)))?;
    let all = grid_points(sweep);
    let owned: Vec<(usize, Vec<Override>)> = all
        .iter()
        .filter(|p| shard.owns(p.id))
        .map(|p| (p.id, p.overrides.clone()))
        .collect();
    if owned.is_empty() {
        return Err(LmError::Backend(format!(
            "--shard {}/{} holds no point: the grid has {} points; use at most {} shards",
            shard.index,
            shard.count,
            all.len(),
            all.len()
        )));
    }
    owned
        .into_iter()
        .map(|(id, overrides)| {
            let origin = format!("sweep point {}", describe(&overrides));
            let (plan, _) = prepare(point_experiment(experiment, &overrides)?, &origin)?;
            Ok(OwnedPoint {
                id,
                overrides,
                dropout: plan.variants.iter().any(|(_, m)| m.dropout > 0.0),
                backend: plan.experiment.train.backend.clone(),
            })
        })
        .collect()
}

/// The number of grid points, after checking every point against its corpus.
pub fn checked_points(experiment: &LmExperiment) -> Result<usize, LmError> {
    Ok(owned_points(experiment, Shard::WHOLE)?.len())
}

/// What a started sweep folder holds: its shard, its experiment, and the finished points.
pub fn read_shard(dir: &Path) -> Result<(Shard, LmExperiment, Vec<usize>), LmError> {
    let (meta, experiment, _) = read_sweep(dir)?;
    let finished = (0..meta.points)
        .filter(|&id| is_language_run(&LmSweepMeta::point_dir(dir, id)))
        .collect();
    Ok((meta.shard, experiment, finished))
}

/// Runs the part `shard` of a language-model sweep into a fresh folder; returns the folder.
pub fn run_sweep(
    experiment: &LmExperiment,
    shard: Shard,
    options: &RunOptions,
    backend: Option<BackendChoice>,
) -> Result<PathBuf, LmError> {
    let owned = owned_points(experiment, shard)?;
    // Every backend the points run on starts before the folder is made.
    for point in &owned {
        let choice = match (backend, &point.backend) {
            (Some(choice), _) => Some(choice),
            (None, Some(name)) => name.parse::<BackendChoice>().ok(),
            (None, None) => Some(BackendChoice::NdarrayF32),
        };
        if let Some(choice) = choice {
            crate::backend::check(choice).map_err(|e| LmError::Backend(e.to_string()))?;
        }
    }
    let sweep = experiment.sweep.as_ref().expect("checked by owned_points");
    let dir =
        store::create_run_folder(options.out.as_deref(), &options.artifacts, &experiment.name)
            .map_err(StoreError::from)?;
    let text = toml::to_string(experiment).map_err(|e| StoreError::Encode {
        path: dir.join("experiment.toml"),
        message: e.to_string(),
    })?;
    store::write_text(&dir.join("experiment.toml"), &text)?;
    Manifest {
        experiment: experiment.name.clone(),
        actlab_version: env!("CARGO_PKG_VERSION").into(),
        overrides: options.overrides.clone(),
        backend: backend.map_or_else(String::new, |b| b.name().into()),
    }
    .write(&dir)?;
    let meta = LmSweepMeta {
        kind: LM_SWEEP_KIND.into(),
        experiment: experiment.name.clone(),
        keys: sweep.grid.keys().cloned().collect(),
        points: grid_points(sweep).len(),
        shard,
    };
    store::write_json(&dir.join(LmSweepMeta::FILE), &meta)?;
    run_points(&dir, experiment, &owned, options, backend)?;
    Ok(dir)
}

/// Trains every owned point that has not finished, then rebuilds the sweep's report.
///
/// Points run side by side, one per core (more cores than points: each point's jobs share the
/// rest), so that eleven points of three seeds keep two cores busy to the end rather than
/// leaving one idle for every point's third seed. A point with dropout draws from the
/// backend's one generator, so such sweeps run one point at a time.
fn run_points(
    dir: &Path,
    experiment: &LmExperiment,
    owned: &[OwnedPoint],
    options: &RunOptions,
    backend: Option<BackendChoice>,
) -> Result<(), LmError> {
    let pending: Vec<&OwnedPoint> = owned
        .iter()
        .filter(|p| !is_language_run(&LmSweepMeta::point_dir(dir, p.id)))
        .collect();
    let cores = crate::run::available_threads(options.threads);
    let side_by_side = if pending.iter().any(|p| p.dropout) {
        1
    } else {
        cores.min(pending.len()).max(1)
    };
    let per_point = (cores / side_by_side).max(1);
    let progress = crate::run::Progress::new(
        &experiment.name,
        "points",
        pending.len() as u64,
        options.show_progress && side_by_side > 1,
    );
    let point_options = RunOptions {
        threads: per_point,
        show_progress: options.show_progress && side_by_side == 1,
        ..options.clone()
    };
    let run_one = |p: &OwnedPoint| -> Result<(), LmError> {
        let point = LmSweepMeta::point_dir(dir, p.id);
        if point_options.show_progress {
            eprintln!("point {}: {}", p.id, describe(&p.overrides));
        }
        let options = RunOptions {
            out: Some(point.clone()),
            overrides: p.overrides.iter().map(Override::to_arg).collect(),
            ..point_options.clone()
        };
        if point.join("config.toml").is_file() {
            super::resume(&point, &options)?;
        } else {
            let _ = std::fs::remove_dir_all(&point);
            let origin = format!("sweep point {}", describe(&p.overrides));
            let (plan, corpus) = prepare(point_experiment(experiment, &p.overrides)?, &origin)?;
            super::run(&plan, &corpus, &options, backend)?;
        }
        let settings = p
            .overrides
            .iter()
            .map(|o| (o.key.clone(), o.value.to_string()))
            .collect();
        store::write_json(&point.join("point.json"), &LmPoint { id: p.id, settings })?;
        progress.inc(1);
        Ok(())
    };
    let outcome = if side_by_side > 1 {
        rayon::ThreadPoolBuilder::new()
            .num_threads(side_by_side)
            .build()
            .map_err(|e| LmError::Backend(e.to_string()))?
            .install(|| pending.par_iter().map(|p| run_one(p)).collect::<Vec<_>>())
            .into_iter()
            .collect::<Result<(), _>>()
    } else {
        pending.iter().try_for_each(|p| run_one(p))
    };
    progress.finish();
    outcome?;
    crate::report::rebuild_language_sweep(dir)?;
    Ok(())
}

fn read_sweep(dir: &Path) -> Result<(LmSweepMeta, LmExperiment, String), LmError> {
    let meta: LmSweepMeta = store::read_json(&dir.join(LmSweepMeta::FILE))?;
    let text =
        std::fs::read_to_string(dir.join("experiment.toml")).map_err(|e| StoreError::Read {
            path: dir.join("experiment.toml"),
            message: e.to_string(),
        })?;
    let experiment = parse(&text, "experiment.toml", &[])?;
    Ok((meta, experiment, text))
}

fn recorded_backend(dir: &Path) -> Option<BackendChoice> {
    Manifest::read(dir).ok()?.backend.parse().ok()
}

/// Finishes a stopped language-model sweep; returns the number of points that were unfinished.
pub fn resume_sweep(dir: &Path, options: &RunOptions) -> Result<usize, LmError> {
    let (meta, experiment, _) = read_sweep(dir)?;
    let owned = owned_points(&experiment, meta.shard)?;
    let pending = owned
        .iter()
        .filter(|p| !is_language_run(&LmSweepMeta::point_dir(dir, p.id)))
        .count();
    run_points(dir, &experiment, &owned, options, recorded_backend(dir))?;
    Ok(pending)
}

/// Merges the shard folders of one language-model sweep into `out`; the points still
/// missing are an error naming them.
pub fn merge(shards: &[PathBuf], out: &Path) -> Result<PathBuf, LmError> {
    let fail = |message: String| LmError::Backend(format!("cannot merge: {message}"));
    let mut first: Option<(LmSweepMeta, LmExperiment, String)> = None;
    let mut found: Vec<(usize, PathBuf)> = Vec::new();
    for shard in shards {
        if !is_language_sweep(shard) {
            return Err(fail(format!(
                "{} is not a language-model sweep folder",
                shard.display()
            )));
        }
        let (meta, experiment, text) = read_sweep(shard)?;
        if let Some((_, _, first_text)) = &first
            && first_text != &text
        {
            return Err(fail(format!(
                "{} holds another experiment than {} (experiment.toml differs)",
                shard.display(),
                shards[0].display()
            )));
        }
        for id in 0..meta.points {
            let point = LmSweepMeta::point_dir(shard, id);
            if is_language_run(&point) && !found.iter().any(|(i, _)| *i == id) {
                found.push((id, point));
            }
        }
        first.get_or_insert((meta, experiment, text));
    }
    let (meta, experiment, text) = first.ok_or_else(|| fail("no shard folder given".into()))?;
    let sweep = experiment
        .sweep
        .as_ref()
        .expect("a sweep folder's experiment has a sweep");
    let missing: Vec<String> = grid_points(sweep)
        .into_iter()
        .filter(|p| !found.iter().any(|(i, _)| *i == p.id))
        .map(|p| {
            format!(
                "point {} ({}, shard {}/{})",
                p.id,
                describe(&p.overrides),
                p.id % meta.shard.count,
                meta.shard.count
            )
        })
        .collect();
    if !missing.is_empty() {
        return Err(fail(format!(
            "{} of {} points are unfinished: {}; finish them (`actlab resume <shard folder>`), then merge again",
            missing.len(),
            meta.points,
            missing.join("; ")
        )));
    }
    let dir = store::create_run_folder(Some(out), Path::new("artifacts"), &meta.experiment)
        .map_err(StoreError::from)?;
    store::write_text(&dir.join("experiment.toml"), &text)?;
    if let Ok(manifest) = Manifest::read(&shards[0]) {
        manifest.write(&dir)?;
    }
    store::write_json(
        &dir.join(LmSweepMeta::FILE),
        &LmSweepMeta {
            shard: Shard::WHOLE,
            ..meta
        },
    )?;
    for (id, point) in found {
        copy_dir(&point, &LmSweepMeta::point_dir(&dir, id))?;
    }
    crate::report::rebuild_language_sweep(&dir)?;
    Ok(dir)
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), StoreError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |error| StoreError::Write { path, error }
    };
    std::fs::create_dir_all(to).map_err(io(to))?;
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(io(&target))?;
        }
    }
    Ok(())
}
