//! Talking to SLURM: `sbatch` to submit, `squeue` to see which earlier jobs are still queued,
//! `scancel` to drop a merge job that can no longer run.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use super::SlurmError;

/// A job of an earlier submission still known to the queue.
#[derive(Clone, Debug, PartialEq)]
pub struct QueuedJob {
    /// `123` for a job, `123_4` for task 4 of array 123.
    pub id: String,
    /// `PENDING`, `RUNNING`, `COMPLETING`...
    pub state: String,
    /// Why a pending job waits, e.g. `Dependency` or `DependencyNeverSatisfied`.
    pub reason: String,
}

impl QueuedJob {
    /// The job this entry belongs to: the array's id for an array task.
    pub fn job(&self) -> &str {
        self.id.split('_').next().unwrap_or(&self.id)
    }
}

/// The program's path if it is on `PATH`.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Fails with how to install SLURM's client unless `program` is on `PATH`.
pub fn require(program: &'static str) -> Result<(), SlurmError> {
    find_program(program)
        .map(|_| ())
        .ok_or(SlurmError::ProgramMissing(program))
}

fn run(program: &str, args: &[String]) -> Result<String, SlurmError> {
    let command = format!("{program} {}", args.join(" "));
    let output = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| SlurmError::Scheduler {
            command: command.clone(),
            message: e.to_string(),
        })?;
    if !output.status.success() {
        return Err(SlurmError::Scheduler {
            command,
            message: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Submits `script`, after `dependency` if given; returns the job id.
pub fn sbatch(script: &Path, dependency: Option<&str>) -> Result<String, SlurmError> {
    let mut args = vec!["--parsable".to_string()];
    if let Some(job) = dependency {
        args.push(format!("--dependency=afterok:{job}"));
    }
    args.push(script.display().to_string());
    let out = run("sbatch", &args)?;
    // `--parsable` prints `id` or `id;cluster`.
    let id = out.trim().split(';').next().unwrap_or("").to_string();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(SlurmError::Scheduler {
            command: format!("sbatch {}", args.join(" ")),
            message: format!("expected a job id, got `{}`", out.trim()),
        });
    }
    Ok(id)
}

/// The entries of the queue that belong to `jobs` (ids of jobs or of job arrays).
pub fn queued(jobs: &[String]) -> Result<Vec<QueuedJob>, SlurmError> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let args = vec![
        "--noheader".to_string(),
        "--array".to_string(),
        "--format=%i|%T|%r".to_string(),
        format!("--jobs={}", jobs.join(",")),
    ];
    match run("squeue", &args) {
        Ok(text) => Ok(parse_squeue(&text)),
        // squeue refuses a list in which no job is known any more: none is queued.
        Err(SlurmError::Scheduler { message, .. }) if message.contains("Invalid job id") => {
            Ok(Vec::new())
        }
        Err(e) => Err(e),
    }
}

/// `squeue --format=%i|%T|%r` lines.
pub fn parse_squeue(text: &str) -> Vec<QueuedJob> {
    text.lines()
        .filter_map(|line| {
            let mut parts = line.trim().splitn(3, '|');
            let (id, state) = (parts.next()?, parts.next()?);
            (!id.is_empty()).then(|| QueuedJob {
                id: id.to_string(),
                state: state.to_string(),
                reason: parts.next().unwrap_or("").to_string(),
            })
        })
        .collect()
}

pub fn scancel(jobs: &[String]) -> Result<(), SlurmError> {
    if jobs.is_empty() {
        return Ok(());
    }
    run("scancel", jobs).map(|_| ())
}
