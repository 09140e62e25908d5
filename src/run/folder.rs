//! Fresh run folders: a new one per run, never an existing one that holds anything.

use std::{
    io::ErrorKind,
    path::{Path, PathBuf},
    time::{SystemTime, UNIX_EPOCH},
};

#[derive(Debug, thiserror::Error)]
pub enum RunFolderError {
    #[error(
        "output folder {0} already exists and is not empty; choose a new folder so earlier results are kept"
    )]
    NotEmpty(PathBuf),
    #[error("output path {0} exists and is not a folder")]
    NotAFolder(PathBuf),
    #[error("cannot create output folder {path}: {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
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

fn create(path: &Path) -> Result<(), RunFolderError> {
    std::fs::create_dir_all(path).map_err(|source| RunFolderError::Create {
        path: path.into(),
        source,
    })
}

/// Creates the run folder: `out` if given (absent or empty), else a new
/// `artifacts/<experiment>/<run-id>` (with a `-2`, `-3`... suffix if that id is taken).
pub fn create_run_folder(
    out: Option<&Path>,
    artifacts: &Path,
    experiment: &str,
) -> Result<PathBuf, RunFolderError> {
    if let Some(out) = out {
        if out.exists() {
            if !out.is_dir() {
                return Err(RunFolderError::NotAFolder(out.into()));
            }
            let mut entries = std::fs::read_dir(out).map_err(|source| RunFolderError::Create {
                path: out.into(),
                source,
            })?;
            if entries.next().is_some() {
                return Err(RunFolderError::NotEmpty(out.into()));
            }
            return Ok(out.into());
        }
        create(out)?;
        return Ok(out.into());
    }
    let parent = artifacts.join(experiment);
    create(&parent)?;
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
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(source) => {
                return Err(RunFolderError::Create {
                    path: candidate,
                    source,
                });
            }
        }
    }
    unreachable!("the loop returns")
}
