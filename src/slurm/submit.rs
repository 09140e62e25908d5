//! `actlab submit`: validate, decide what to (re)submit, write the scripts, then call `sbatch`
//! for the job array and the merge job after it.

use std::path::{Path, PathBuf};

use super::{
    Attempt, Decision, ScriptInputs, SlurmError, SubmissionDir, SubmissionRecord, SubmitReport,
    decide, is_submission_folder, merge_script, scheduler, shard_progress, task_script,
    validate::{check_sbatch_arg, check_script_path, check_tasks, checked_points, differing_keys},
};
use crate::{
    config::{Experiment, parse_experiment},
    run::{create_run_folder, run_id_now},
    sweep::write_atomic,
};

/// One `actlab submit --slurm`.
#[derive(Clone, Debug)]
pub struct SubmitRequest {
    /// The experiment with every `--set` applied and checked.
    pub experiment: Experiment,
    pub tasks: usize,
    pub out: PathBuf,
    pub sbatch_args: Vec<String>,
    /// Write the scripts, submit nothing.
    pub dry_run: bool,
    /// The binary the jobs call: the one running now, for a new submission.
    pub actlab: PathBuf,
}

/// The experiment as the jobs will read it back from `experiment.toml`.
fn as_written(experiment: &Experiment) -> (String, Experiment) {
    let text = format!(
        "# The experiment as submitted, every --set applied. The jobs read this file, never\n\
         # the original, so that editing that cannot change this sweep.\n{}",
        toml::to_string_pretty(experiment).expect("an experiment serialises to TOML")
    );
    let parsed = parse_experiment(&text, "experiment.toml", &[])
        .expect("an experiment's own TOML parses back");
    (text, parsed)
}

/// The record of the submission already in `dir`, if there is one of this same experiment.
fn earlier_submission(
    dir: &SubmissionDir,
    experiment: &Experiment,
    tasks: usize,
) -> Result<Option<SubmissionRecord>, SlurmError> {
    let root = &dir.root;
    if !root.exists() {
        return Ok(None);
    }
    if !is_submission_folder(root) {
        let empty = std::fs::read_dir(root).is_ok_and(|mut d| d.next().is_none());
        return if root.is_dir() && empty {
            Ok(None)
        } else {
            Err(SlurmError::NotASubmission(root.clone()))
        };
    }
    let record = dir.load_record()?;
    let recorded = dir.load_experiment()?;
    if recorded != *experiment {
        return Err(SlurmError::OtherExperiment {
            dir: root.clone(),
            recorded: recorded.name.clone(),
            differing: differing_keys(&recorded, experiment).join(", "),
        });
    }
    if record.tasks != tasks {
        return Err(SlurmError::TasksChanged {
            dir: root.clone(),
            recorded: record.tasks,
            given: tasks,
        });
    }
    if !record.actlab.is_file() {
        return Err(SlurmError::BinaryGone(record.actlab.clone()));
    }
    Ok(Some(record))
}

fn absolute(path: &Path) -> Result<PathBuf, SlurmError> {
    std::path::absolute(path).map_err(|e| SlurmError::read(path, e))
}

fn create_dir(path: &Path) -> Result<(), SlurmError> {
    std::fs::create_dir_all(path).map_err(SlurmError::write(path))
}

/// Submits `request`'s sweep, or resubmits the unfinished shards of an earlier submission into
/// the same folder. Everything is checked before anything is written or submitted.
pub fn submit(request: &SubmitRequest) -> Result<SubmitReport, SlurmError> {
    let points = checked_points(&request.experiment)?;
    check_tasks(request.tasks, points)?;
    for arg in &request.sbatch_args {
        check_sbatch_arg(arg)?;
    }
    if !request.dry_run {
        scheduler::require("sbatch")?;
    }
    let dir = SubmissionDir::new(absolute(&request.out)?);
    check_script_path("submission folder", &dir.root)?;
    let (experiment_text, experiment) = as_written(&request.experiment);
    let earlier = earlier_submission(&dir, &experiment, request.tasks)?;
    let resubmission = earlier.is_some();
    let mut record = earlier.unwrap_or_else(|| SubmissionRecord {
        experiment: experiment.name.clone(),
        tasks: request.tasks,
        points,
        actlab: request.actlab.clone(),
        attempts: Vec::new(),
    });
    check_script_path("actlab binary", &record.actlab)?;

    // A new folder has no shard folders yet, so every shard reads as not started.
    let (progress, _) = shard_progress(&dir, &experiment, request.tasks)?;
    let jobs = record.job_ids();
    let can_query = !jobs.is_empty() && scheduler::find_program("squeue").is_some();
    if !request.dry_run && !jobs.is_empty() {
        scheduler::require("squeue")?;
    }
    let queued = if can_query {
        scheduler::queued(&jobs)?
    } else {
        Vec::new()
    };
    let decision = decide(&progress, dir.is_merged(), &record, &queued).map_err(|tasks| {
        SlurmError::StillQueued {
            dir: dir.root.clone(),
            jobs: tasks
                .iter()
                .map(|q| format!("{} {}", q.id, q.state))
                .collect::<Vec<_>>()
                .join(", "),
        }
    })?;
    let cancel = match &decision {
        Decision::Run { cancel, .. } | Decision::MergeOnly { cancel } => cancel.clone(),
        _ => Vec::new(),
    };
    if !request.dry_run && !cancel.is_empty() {
        scheduler::require("scancel")?;
    }

    // Checked: now write.
    if !resubmission {
        create_run_folder(Some(&dir.root), Path::new(""), "")
            .map_err(crate::sweep::SweepError::from)?;
        write_atomic(&dir.experiment(), &experiment_text)?;
    }
    create_dir(&dir.logs())?;
    create_dir(&dir.shards())?;
    let shards: Vec<usize> = match &decision {
        Decision::Run { shards, .. } => shards.clone(),
        _ => Vec::new(),
    };
    let inputs = ScriptInputs {
        actlab: &record.actlab,
        dir: &dir,
        experiment: &experiment.name,
        tasks: request.tasks,
        points,
        shards: &shards,
        sbatch_args: &request.sbatch_args,
    };
    let mut report = SubmitReport {
        dir: dir.root.clone(),
        experiment: experiment.name.clone(),
        points,
        tasks: request.tasks,
        resubmission,
        progress,
        decision: decision.clone(),
        dry_run: request.dry_run,
        array_job: None,
        merge_job: None,
        scripts: Vec::new(),
    };
    if !shards.is_empty() {
        let text = task_script(&inputs);
        write_atomic(&dir.task_script(), &text)?;
        report.scripts.push((dir.task_script(), text));
    }
    if matches!(decision, Decision::Run { .. } | Decision::MergeOnly { .. }) {
        let text = merge_script(&inputs);
        write_atomic(&dir.merge_script(), &text)?;
        report.scripts.push((dir.merge_script(), text));
    }
    dir.save_record(&record)?;
    if request.dry_run || report.scripts.is_empty() {
        return Ok(report);
    }

    scheduler::scancel(&cancel)?;
    let mut attempt = Attempt {
        submitted: run_id_now(),
        shards: shards.clone(),
        array_job: None,
        merge_job: None,
        cancelled: cancel,
    };
    if !shards.is_empty() {
        let array = scheduler::sbatch(&dir.task_script(), None)?;
        attempt.array_job = Some(array.clone());
        record.attempts.push(attempt.clone());
        dir.save_record(&record)?;
        record.attempts.pop();
    }
    let merge = scheduler::sbatch(&dir.merge_script(), attempt.array_job.as_deref());
    match merge {
        Ok(id) => attempt.merge_job = Some(id),
        Err(e) => {
            if let Some(array_job) = attempt.array_job {
                return Err(SlurmError::MergeNotSubmitted {
                    dir: dir.root.clone(),
                    array_job,
                    message: e.to_string(),
                });
            }
            return Err(e);
        }
    }
    report.array_job = attempt.array_job.clone();
    report.merge_job = attempt.merge_job.clone();
    record.attempts.push(attempt);
    dir.save_record(&record)?;
    Ok(report)
}
