//! Fresh run folders: a new one per run, claimed atomically, never an existing one that holds
//! anything.
//!
//! A folder is claimed by creating its `.actlab-claim` file exclusively (`O_CREAT | O_EXCL`):
//! of two runs started on the same empty `--out`, exactly one wins and the other is refused
//! before it writes anything.

use std::{
    io::ErrorKind,
    path::{Path, PathBuf},
    time::{SystemTime, UNIX_EPOCH},
};

/// The claim file every run folder holds from its first moment.
pub const CLAIM: &str = ".actlab-claim";

#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error(
        "output folder {0} already exists and is not empty; choose a new folder so earlier results are kept"
    )]
    NotEmpty(PathBuf),
    #[error("output folder {0} was claimed by another actlab run that started at the same time")]
    Claimed(PathBuf),
    #[error("output path {0} exists and is not a folder")]
    NotAFolder(PathBuf),
    #[error("cannot create output folder {path}: {error}")]
    Create {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// A UTC timestamp `YYYYMMDD-HHMMSS`, sortable.
pub fn run_id_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn create_err(path: &Path) -> impl FnOnce(std::io::Error) -> FolderError + '_ {
    move |error| FolderError::Create {
        path: path.into(),
        error,
    }
}

/// Claims `dir`, which must exist and hold nothing else.
fn claim(dir: &Path) -> Result<(), FolderError> {
    let mut entries = std::fs::read_dir(dir).map_err(create_err(dir))?;
    if entries.next().is_some() {
        return Err(FolderError::NotEmpty(dir.into()));
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dir.join(CLAIM))
    {
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            return Err(FolderError::Claimed(dir.into()));
        }
        Err(e) => return Err(create_err(dir)(e)),
    }
    Ok(())
}

/// Creates and claims the run folder: `out` if given (absent or empty), else a new
/// `artifacts/<experiment>/<run-id>` (with a `-2`, `-3`... suffix if that id is taken).
pub fn create_run_folder(
    out: Option<&Path>,
    artifacts: &Path,
    experiment: &str,
) -> Result<PathBuf, FolderError> {
    if let Some(out) = out {
        if out.exists() && !out.is_dir() {
            return Err(FolderError::NotAFolder(out.into()));
        }
        std::fs::create_dir_all(out).map_err(create_err(out))?;
        claim(out)?;
        return Ok(out.into());
    }
    let parent = artifacts.join(experiment);
    std::fs::create_dir_all(&parent).map_err(create_err(&parent))?;
    let id = run_id_now();
    for attempt in 1.. {
        let name = if attempt == 1 {
            id.clone()
        } else {
            format!("{id}-{attempt}")
        };
        let candidate = parent.join(name);
        // `create_dir` fails if the folder exists, so two runs never share one.
        match std::fs::create_dir(&candidate) {
            Ok(()) => {
                claim(&candidate)?;
                return Ok(candidate);
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(create_err(&candidate)(e)),
        }
    }
    unreachable!("the loop returns")
}
