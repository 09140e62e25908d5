//! `actlab submit`: validate, decide what to (re)submit, write the scripts, then call `sbatch`
//! for the job array and the merge job after it.

use std::path::{Path, PathBuf};

use super::{
    Attempt, Decision, ScriptInputs, ShardProgress, SlurmError, SubmissionDir, SubmissionRecord,
    SubmitReport, SweepExperiment, decide, is_submission_folder, merge_script, scheduler,
    shard_progress, task_script,
    validate::{check_sbatch_arg, check_script_path, check_tasks, differing_keys},
};
use crate::{
    store::write_text as write_atomic,
    store::{create_run_folder, run_id_now},
};

/// One `actlab submit --slurm`.
#[derive(Clone, Debug)]
pub struct SubmitRequest {
    /// The experiment with every `--set` applied and checked.
    pub experiment: SweepExperiment,
    pub tasks: usize,
    pub out: PathBuf,
    pub sbatch_args: Vec<String>,
    /// Write the scripts, submit nothing.
    pub dry_run: bool,
    /// The binary the jobs call: the one running now, for a new submission.
    pub actlab: PathBuf,
}

/// The text of `experiment.toml`, and the experiment as the jobs will read it back.
fn as_written(experiment: &SweepExperiment) -> Result<(String, SweepExperiment), SlurmError> {
    let text = format!(
        "# The experiment as submitted, every --set applied. The jobs read this file, never\n\
         # the original, so that editing that cannot change this sweep.\n{}",
        toml::to_string_pretty(&experiment.table()).expect("an experiment serialises to TOML")
    );
    let parsed = SweepExperiment::parse(&text, "the experiment as resolved")?;
    Ok((text, parsed))
}

/// The record of the submission already in `dir`, if there is one of this same experiment.
fn earlier_submission(
    dir: &SubmissionDir,
    experiment: &SweepExperiment,
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
            recorded: recorded.name().to_string(),
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

/// Everything checked and decided, before anything is written.
struct Prepared {
    dir: SubmissionDir,
    experiment: SweepExperiment,
    /// `experiment.toml`'s text, written for a new submission.
    experiment_text: String,
    points: usize,
    resubmission: bool,
    record: SubmissionRecord,
    progress: Vec<ShardProgress>,
    decision: Decision,
}

impl Prepared {
    fn shards(&self) -> Vec<usize> {
        match &self.decision {
            Decision::Run { shards, .. } => shards.clone(),
            _ => Vec::new(),
        }
    }

    fn cancel(&self) -> Vec<String> {
        match &self.decision {
            Decision::Run { cancel, .. } | Decision::MergeOnly { cancel } => cancel.clone(),
            _ => Vec::new(),
        }
    }
}

/// Validates `request` and decides what to submit; writes nothing.
fn prepare(request: &SubmitRequest) -> Result<Prepared, SlurmError> {
    let points = request.experiment.checked_points()?;
    check_tasks(request.tasks, points)?;
    for arg in &request.sbatch_args {
        check_sbatch_arg(arg)?;
    }
    if !request.dry_run {
        scheduler::require("sbatch")?;
    }
    let dir = SubmissionDir::new(absolute(&request.out)?);
    check_script_path("submission folder", &dir.root)?;
    let (experiment_text, experiment) = as_written(&request.experiment)?;
    let earlier = earlier_submission(&dir, &experiment, request.tasks)?;
    let resubmission = earlier.is_some();
    let record = earlier.unwrap_or_else(|| SubmissionRecord {
        experiment: experiment.name().to_string(),
        tasks: request.tasks,
        points,
        actlab: request.actlab.clone(),
        attempts: Vec::new(),
    });
    check_script_path("actlab binary", &record.actlab)?;

    // A new folder has no shard folders yet, so every shard reads as not started.
    let (progress, _) = shard_progress(&dir, &experiment, request.tasks)?;
    let jobs = record.job_ids();
    if !request.dry_run && !jobs.is_empty() {
        scheduler::require("squeue")?;
    }
    // A dry run away from the cluster cannot see the queue: it assumes nothing is queued.
    let queued = if !jobs.is_empty() && scheduler::find_program("squeue").is_some() {
        scheduler::queued(&jobs)?
    } else {
        Vec::new()
    };
    let decision =
        decide(&progress, dir.is_merged(&experiment), &record, &queued).map_err(|tasks| {
            SlurmError::StillQueued {
                dir: dir.root.clone(),
                jobs: tasks
                    .iter()
                    .map(|q| format!("{} {}", q.id, q.state))
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        })?;
    let prepared = Prepared {
        dir,
        experiment,
        experiment_text,
        points,
        resubmission,
        record,
        progress,
        decision,
    };
    if !request.dry_run && !prepared.cancel().is_empty() {
        scheduler::require("scancel")?;
    }
    Ok(prepared)
}

/// Writes the folder, the scripts this submission needs and the record.
fn write_files(p: &Prepared, request: &SubmitRequest) -> Result<SubmitReport, SlurmError> {
    let dir = &p.dir;
    if !p.resubmission {
        create_run_folder(Some(&dir.root), Path::new(""), "")?;
        write_atomic(&dir.experiment(), &p.experiment_text)?;
    }
    create_dir(&dir.logs())?;
    create_dir(&dir.shards())?;
    let shards = p.shards();
    let inputs = ScriptInputs {
        actlab: &p.record.actlab,
        dir,
        experiment: p.experiment.name(),
        tasks: request.tasks,
        points: p.points,
        shards: &shards,
        sbatch_args: &request.sbatch_args,
    };
    let mut scripts = Vec::new();
    if !shards.is_empty() {
        scripts.push((dir.task_script(), task_script(&inputs)));
    }
    if matches!(
        p.decision,
        Decision::Run { .. } | Decision::MergeOnly { .. }
    ) {
        scripts.push((dir.merge_script(), merge_script(&inputs)));
    }
    for (path, text) in &scripts {
        write_atomic(path, text)?;
    }
    dir.save_record(&p.record)?;
    Ok(SubmitReport {
        dir: dir.root.clone(),
        experiment: p.experiment.name().to_string(),
        points: p.points,
        tasks: request.tasks,
        resubmission: p.resubmission,
        progress: p.progress.clone(),
        decision: p.decision.clone(),
        dry_run: request.dry_run,
        array_job: None,
        merge_job: None,
        scripts,
    })
}

/// Cancels the stale merge jobs, submits the array (if any shard runs) and the merge job
/// after it, and records their ids as soon as each is known.
fn send(p: &mut Prepared, report: &mut SubmitReport) -> Result<(), SlurmError> {
    let cancel = p.cancel();
    scheduler::scancel(&cancel)?;
    let mut attempt = Attempt {
        submitted: run_id_now(),
        shards: p.shards(),
        array_job: None,
        merge_job: None,
        cancelled: cancel,
    };
    if !attempt.shards.is_empty() {
        attempt.array_job = Some(scheduler::sbatch(&p.dir.task_script(), None)?);
        let mut record = p.record.clone();
        record.attempts.push(attempt.clone());
        p.dir.save_record(&record)?;
    }
    let merge = scheduler::sbatch(&p.dir.merge_script(), attempt.array_job.as_deref());
    attempt.merge_job = Some(match (merge, &attempt.array_job) {
        (Ok(id), _) => id,
        (Err(e), Some(array_job)) => {
            return Err(SlurmError::MergeNotSubmitted {
                dir: p.dir.root.clone(),
                array_job: array_job.clone(),
                message: e.to_string(),
            });
        }
        (Err(e), None) => return Err(e),
    });
    report.array_job = attempt.array_job.clone();
    report.merge_job = attempt.merge_job.clone();
    p.record.attempts.push(attempt);
    p.dir.save_record(&p.record)
}

/// Submits `request`'s sweep, or resubmits the unfinished shards of an earlier submission into
/// the same folder. Everything is checked before anything is written or submitted.
pub fn submit(request: &SubmitRequest) -> Result<SubmitReport, SlurmError> {
    let mut prepared = prepare(request)?;
    let mut report = write_files(&prepared, request)?;
    if !request.dry_run && !report.scripts.is_empty() {
        send(&mut prepared, &mut report)?;
    }
    Ok(report)
}
