//! `actlab eval <checkpoint>`: rebuild the model from a checkpoint's metadata and weights, then
//! recompute its metrics, the article's analysis and the per-layer statistics in a new folder.

use std::path::{Path, PathBuf};

use burn::module::AutodiffModule;

use super::{CheckpointError, load_meta, load_model};
use crate::{
    analysis::{
        article,
        training::{self, ProbeSet},
    },
    backend::{self, Train},
    config::parse_experiment,
    learner::{EvalSet, FusedEnsemble, OptimizerSpec, evaluate},
    run::{
        AnalysisRecord, RunError, RunFolderError, SeedRun, Summary, VariantSummary,
        create_run_folder, initial_ensemble, programs, record,
    },
};

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(transparent)]
    Folder(#[from] RunFolderError),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error("{0}")]
    Invalid(String),
}

/// A checkpoint folder from what the user named: the folder itself, an `epoch-*` folder
/// (its program 0), or a run folder (its latest checkpoint).
fn resolve(path: &Path) -> Result<PathBuf, CheckpointError> {
    if path.join("meta.json").is_file() {
        return Ok(path.into());
    }
    if path.join("program-0/meta.json").is_file() {
        return Ok(path.join("program-0"));
    }
    let root = path.join("checkpoints");
    if let Some(epoch) = super::latest_complete(&root, 1) {
        return Ok(super::checkpoint_dir(&root, epoch, 0));
    }
    Err(CheckpointError::NotACheckpoint {
        path: path.into(),
        message: "expected a checkpoint folder (with meta.json and model.mpk), an epoch-* folder, or a run folder with checkpoints".into(),
    })
}

/// Evaluates the checkpoint at `path` into a fresh folder; returns the folder.
pub fn eval_checkpoint(
    path: &Path,
    out: Option<&Path>,
    artifacts: &Path,
) -> Result<PathBuf, EvalError> {
    let dir = resolve(path)?;
    let meta = load_meta(&dir)?;
    let plan = parse_experiment(
        &meta.config,
        &dir.join("meta.json").display().to_string(),
        &[],
    )
    .and_then(|e| e.check())
    .map_err(|e| EvalError::Invalid(format!("the checkpoint's config is not valid: {e}")))?;
    let program = programs(&plan)
        .into_iter()
        .nth(meta.program)
        .filter(|p| p.data_seed == meta.data_seed)
        .ok_or_else(|| {
            EvalError::Invalid(format!(
                "the config has no program {} with data seed {}",
                meta.program, meta.data_seed
            ))
        })?;
    let device = backend::device();
    let (skeleton, members, _) = initial_ensemble::<Train>(&plan, &program.seeds, &device);
    if members
        .iter()
        .map(|m| (m.variant, m.seed))
        .collect::<Vec<_>>()
        != meta.members
    {
        return Err(CheckpointError::Mismatch {
            path: dir.clone(),
            message: "its members differ from those its config implies".into(),
        }
        .into());
    }
    let model = load_model(&dir, skeleton, &device)?.valid();

    let experiment = &plan.experiment;
    let out_dir = create_run_folder(out, artifacts, &format!("{}-eval", experiment.name))?;
    record::write_config(&out_dir, experiment)?;

    // Recomputed now from the loaded weights, not copied from the metadata.
    let k = model.members();
    let (test_loss, test_accuracy) =
        evaluate(&model, &EvalSet::new(&program.split.test, k, &device));
    let (train_loss, train_accuracy) =
        evaluate(&model, &EvalSet::new(&program.split.train, k, &device));
    let analyses_all = article::analyze(&model, &program.split, &experiment.analysis, &device);
    let mut probes = meta.probes.clone();
    if experiment.probes.enabled && !probes.rows.iter().any(|r| r.epoch == meta.epoch) {
        let host = FusedEnsemble::from_mlp(&model, OptimizerSpec::sgd(), 1);
        let probed: Vec<(usize, String)> = plan
            .variants
            .iter()
            .enumerate()
            .filter_map(|(v, pv)| {
                Some((
                    members.iter().position(|m| m.variant == v)?,
                    pv.name.clone(),
                ))
            })
            .collect();
        let set = if experiment.probes.set == "train" {
            &program.split.train
        } else {
            &program.split.test
        };
        training::probe(
            &host,
            &probed,
            &ProbeSet::new(set, experiment.probes.max_points),
            meta.epoch,
            &experiment.probes,
            true,
            &mut probes,
        );
    }

    let mut variants = Vec::new();
    let mut analyses = Vec::new();
    let mut recomputed = Vec::new();
    for (v, planned) in plan.variants.iter().enumerate() {
        let ks: Vec<usize> = (0..members.len())
            .filter(|&k| members[k].variant == v)
            .collect();
        let first = ks.iter().copied().find(|&k| meta.histories[k].is_active());
        let analysis = first.map(|k| analyses_all[k].clone());
        let seeds: Vec<SeedRun> = ks
            .iter()
            .map(|&k| SeedRun {
                seed: members[k].seed,
                data_seed: meta.data_seed,
                history: &meta.histories[k],
            })
            .collect();
        variants.push(VariantSummary::new(
            planned,
            &seeds,
            analysis.as_ref(),
            meta.train_seconds,
        ));
        analyses.push(AnalysisRecord {
            variant: planned.name.clone(),
            analysis,
        });
        for &k in &ks {
            recomputed.push(serde_json::json!({
                "variant": planned.name, "seed": members[k].seed,
                "train_loss": train_loss[k], "train_accuracy": train_accuracy[k],
                "test_loss": test_loss[k], "test_accuracy": test_accuracy[k],
            }));
        }
    }
    let summary = Summary {
        experiment: experiment.name.clone(),
        run_id: out_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        actlab_version: env!("CARGO_PKG_VERSION").into(),
        backend: backend::BackendInfo::current(),
        engine: meta.engine,
        overrides: vec![format!("eval of {} (epoch {})", dir.display(), meta.epoch)],
        wall_seconds: 0.0,
        train_seconds: meta.train_seconds,
        variants,
    };
    record::write_metrics_rows(&out_dir, &plan, meta.data_seed, &members, &meta.histories)?;
    record::write_json(&out_dir.join("analysis.json"), &analyses)?;
    record::write_json(&out_dir.join("summary.json"), &summary)?;
    record::write_json(
        &out_dir.join("eval.json"),
        &serde_json::json!({ "checkpoint": dir, "epoch": meta.epoch, "format_version": meta.format_version, "members": recomputed }),
    )?;
    if experiment.probes.enabled {
        record::write_text(
            &out_dir.join("activations.csv"),
            &training::activations_csv(&probes.rows),
        )?;
        record::write_json(&out_dir.join("histograms.json"), &probes.histograms)?;
    }
    crate::report::rebuild(&out_dir)?;
    Ok(out_dir)
}
