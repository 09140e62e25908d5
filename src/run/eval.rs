//! `actlab eval <checkpoint>`: rebuild the models from a checkpoint's metadata and weights,
//! then recompute their metrics, the article's analysis and the per-layer statistics in a new
//! folder. Every number in the folder describes the evaluated weights: the summary's final
//! metrics are recomputed, not copied from training, and `eval.json` sets what training
//! recorded at that epoch beside them.

use std::path::{Path, PathBuf};

use burn::module::AutodiffModule;

use super::{
    Records, analyze_variants, initial_ensemble, metric_rows, programs::Trained, variant_summaries,
    write,
};
use crate::{
    analysis::probe::{Probe, ProbeSet},
    backend::{self, Train},
    checkpoint::{self, CheckpointError, CheckpointMeta},
    config::{Plan, parse_experiment},
    learner::{EpochMetrics, EvalSet, History, Objective, evaluate},
    model::Family,
    store::{self, EvaluatedCheckpoint, Manifest, StoreError, Summary},
};

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
}

/// The checkpoint folders named by `path`: the folder itself (one program), every program of an
/// `epoch-*` folder, or every program of a run folder's latest complete checkpoint.
fn resolve(path: &Path) -> Result<Vec<PathBuf>, CheckpointError> {
    if path.join("meta.json").is_file() {
        return Ok(vec![path.into()]);
    }
    let programs_in = |epoch_dir: &Path| -> Vec<PathBuf> {
        (0..)
            .map(|p| epoch_dir.join(format!("program-{p}")))
            .take_while(|d| d.join("meta.json").is_file())
            .collect()
    };
    let found = programs_in(path);
    if !found.is_empty() {
        return Ok(found);
    }
    let root = path.join("checkpoints");
    if let Some(epoch) = checkpoint::latest_complete(&root, 1) {
        let epoch_dir = checkpoint::checkpoint_dir(&root, epoch, 0)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        return Ok(programs_in(&epoch_dir));
    }
    Err(CheckpointError::NotACheckpoint {
        path: path.into(),
        message: "expected a checkpoint folder (with meta.json and model.mpk), an epoch-* folder, or a run folder with checkpoints".into(),
    })
}

/// One program's checkpoint, loaded and checked against the config it records.
struct Loaded {
    dir: PathBuf,
    meta: CheckpointMeta,
    program: super::Program,
    trained: Trained<crate::model::Network<Train>>,
}

fn load(dir: &Path, plan: &Plan) -> Result<Loaded, EvalError> {
    let meta = checkpoint::load_meta(dir)?;
    let program = super::programs(plan)
        .map_err(|e| EvalError::Invalid(e.to_string()))?
        .into_iter()
        .nth(meta.program)
        .filter(|p| p.data_seed == meta.data_seed)
        .ok_or_else(|| {
            EvalError::Invalid(format!(
                "{}: the config has no program {} with data seed {}",
                dir.display(),
                meta.program,
                meta.data_seed
            ))
        })?;
    let device = backend::device();
    let variants: Vec<usize> = (0..plan.variants.len()).collect();
    let (skeleton, members, _) =
        initial_ensemble::<Train>(plan, &program.seeds, &variants, &device);
    let expected: Vec<(usize, u32)> = members.iter().map(|m| (m.variant, m.seed)).collect();
    if expected != meta.members {
        return Err(CheckpointError::Mismatch {
            path: dir.into(),
            message: "its members differ from those its config implies".into(),
        }
        .into());
    }
    let model = checkpoint::load_model(dir, &meta, skeleton, &device)?;
    Ok(Loaded {
        dir: dir.into(),
        trained: Trained {
            model,
            members,
            histories: meta.histories.clone(),
            engine: meta.engine,
            seconds: meta.train_seconds,
            probes: meta.probes.clone(),
        },
        meta,
        program,
    })
}

/// Evaluates the checkpoint(s) at `path` into a fresh folder; returns the folder.
pub fn eval_checkpoint(
    path: &Path,
    out: Option<&Path>,
    artifacts: &Path,
) -> Result<PathBuf, EvalError> {
    let dirs = resolve(path)?;
    let first = checkpoint::load_meta(&dirs[0])?;
    let plan = parse_experiment(
        &first.config,
        &dirs[0].join("meta.json").display().to_string(),
        &[],
    )
    .and_then(|e| e.check())
    .map_err(|e| EvalError::Invalid(format!("the checkpoint's config is not valid: {e}")))?;
    let mut loaded: Vec<Loaded> = dirs
        .iter()
        .map(|d| load(d, &plan))
        .collect::<Result<_, _>>()?;
    if let Some(other) = loaded
        .iter()
        .find(|l| l.meta.epoch != first.epoch || l.meta.config != first.config)
    {
        return Err(EvalError::Invalid(format!(
            "{} and {} are not checkpoints of one run at one epoch",
            dirs[0].display(),
            other.dir.display()
        )));
    }
    let device = backend::device();
    let objective = Objective::for_outputs(plan.architecture.outputs);
    let mut recorded = Vec::new();
    for l in &mut loaded {
        let model = l.trained.model.valid();
        let width = model.layers().iter().map(|l| l.width).max().unwrap_or(1);
        let on = |test: bool| {
            let set = if test {
                &l.program.split.test
            } else {
                &l.program.split.train
            };
            let data = vec![set; l.trained.members.len()];
            let eval_set = EvalSet::new(&data, plan.architecture.outputs, width, &device);
            evaluate(&model, &eval_set, &data, objective, &device)
        };
        let ((train_loss, train_accuracy), (test_loss, test_accuracy)) = (on(false), on(true));
        for (k, history) in l.trained.histories.iter_mut().enumerate() {
            recorded.push(serde_json::json!({
                "variant": plan.variants[l.trained.members[k].variant].name,
                "seed": l.trained.members[k].seed,
                "data_seed": l.program.data_seed,
                "evaluated": { "train_loss": train_loss[k], "train_accuracy": train_accuracy[k],
                               "test_loss": test_loss[k], "test_accuracy": test_accuracy[k] },
                "recorded_in_training": history.epochs.iter().find(|m| m.epoch == l.meta.epoch),
            }));
            // The evaluated weights' own numbers; training's are in `eval.json` and the source run.
            *history = History::default();
            history.push(
                EpochMetrics {
                    epoch: l.meta.epoch,
                    train_loss: train_loss[k],
                    train_accuracy: train_accuracy[k],
                    test_loss: test_loss[k],
                    test_accuracy: test_accuracy[k],
                },
                f64::INFINITY,
            );
        }
    }
    let experiment = &plan.experiment;
    let out_dir = store::create_run_folder(out, artifacts, &format!("{}-eval", experiment.name))
        .map_err(StoreError::from)?;
    Manifest {
        experiment: experiment.name.clone(),
        actlab_version: env!("CARGO_PKG_VERSION").into(),
        overrides: Vec::new(),
        backend: backend::BackendChoice::Ndarray.name().into(),
    }
    .write(&out_dir)?;
    store::write_config(&out_dir, experiment)?;

    let programs: Vec<super::Program> = loaded.iter().map(|l| l.program.clone()).collect();
    let trained: Vec<_> = loaded.into_iter().map(|l| l.trained).collect();
    let analyses = analyze_variants(&plan, &programs, &trained, &device);
    let mut probes = trained[0].probes.clone();
    if experiment.probes.enabled && !probes.rows.iter().any(|r| r.epoch == first.epoch) {
        let split = &programs[0].split;
        let set = if experiment.probes.set == "train" {
            &split.train
        } else {
            &split.test
        };
        let set = ProbeSet::new(set, experiment.probes.max_points, plan.architecture.outputs);
        let probe = Probe {
            set: &set,
            config: &experiment.probes,
            outputs: plan.architecture.outputs,
        };
        let members: Vec<(usize, String)> = plan
            .variants
            .iter()
            .enumerate()
            .filter_map(|(v, pv)| {
                Some((trained[0].members_of(v).first().copied()?, pv.name.clone()))
            })
            .collect();
        probe.observe(
            &trained[0].model,
            &members,
            first.epoch,
            true,
            &mut probes,
            &device,
        );
    }
    let summary = Summary {
        experiment: experiment.name.clone(),
        run_id: out_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        actlab_version: env!("CARGO_PKG_VERSION").into(),
        backend: backend::BackendInfo::current(),
        engine: first.engine,
        layers: trained[0].model.layers(),
        overrides: Vec::new(),
        evaluated: Some(EvaluatedCheckpoint {
            checkpoint: path.display().to_string(),
            epoch: first.epoch,
        }),
        wall_seconds: 0.0,
        train_seconds: first.train_seconds,
        variants: variant_summaries(&plan, &programs, &trained, &analyses, first.train_seconds),
    };
    store::write_json(
        &out_dir.join("eval.json"),
        &serde_json::json!({
            "checkpoints": dirs, "epoch": first.epoch, "format_version": first.format_version,
            "trained_on": first.backend, "members": recorded,
        }),
    )?;
    let metrics = metric_rows(&plan, &programs, &trained);
    write(
        &out_dir,
        &Records {
            summary: &summary,
            metrics: &metrics,
            analyses: &analyses,
            probes: experiment.probes.enabled.then_some(&probes),
        },
    )?;
    Ok(out_dir)
}
