//! Where MNIST / Fashion-MNIST files are looked for: an explicit folder, `$ACTLAB_DATA/<set>`,
//! the user cache (`$XDG_CACHE_HOME/actlab/<set>` or `~/.cache/actlab/<set>`), then the folder
//! of Debian's `dataset-fashion-mnist` package (`/usr/share/datasets/fashion-mnist`).
//!
//! A folder counts when it holds all four files, each raw or gzip-compressed (`.gz`); the raw
//! one is preferred when both exist. An explicit folder is the only place looked: a wrong path
//! is an error, never a silent fall-back to other copies. actlab does not download the files;
//! the error lists every place looked and how to get them.

use std::path::{Path, PathBuf};

use super::idx_sets::{FILE_STEMS, IdxSet};

/// The environment the search reads (a value, so tests need not change the process's).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Env {
    /// `$ACTLAB_DATA`: a folder holding one subfolder per data set.
    pub actlab_data: Option<PathBuf>,
    /// `$XDG_CACHE_HOME`.
    pub xdg_cache_home: Option<PathBuf>,
    /// `$HOME`.
    pub home: Option<PathBuf>,
}

impl Env {
    /// The current process's variables; empty or relative values count as unset, as the XDG
    /// specification asks for `XDG_CACHE_HOME`.
    pub fn from_process() -> Self {
        let var = |name: &str| {
            std::env::var_os(name)
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
        };
        Self {
            actlab_data: var("ACTLAB_DATA"),
            xdg_cache_home: var("XDG_CACHE_HOME"),
            home: var("HOME"),
        }
    }
}

/// The four files of a set, in [`FILE_STEMS`] order (train images, train labels, test images,
/// test labels), and the folder they were found in.
#[derive(Clone, Debug, PartialEq)]
pub struct SetFiles {
    pub dir: PathBuf,
    pub files: [PathBuf; 4],
}

/// The set's files could not be found.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum LocateError {
    #[error("{set}: the folder given, {dir}, does not hold the four IDX files: {status}. {hint}")]
    Explicit {
        set: &'static str,
        dir: String,
        status: String,
        hint: String,
    },
    #[error("{set}: the four IDX files were not found. Looked in:\n{looked}{hint}")]
    NotFound {
        set: &'static str,
        looked: String,
        hint: String,
    },
}

/// The folders searched for `set`, in order, each with the reason it is searched (an unset
/// variable yields a line saying so instead of a folder).
pub fn search_path(set: IdxSet, env: &Env) -> Vec<(Option<PathBuf>, String)> {
    let name = set.name();
    let mut places = Vec::new();
    match &env.actlab_data {
        Some(root) => places.push((Some(root.join(name)), format!("$ACTLAB_DATA/{name}"))),
        None => places.push((None, "$ACTLAB_DATA is not set".into())),
    }
    match (&env.xdg_cache_home, &env.home) {
        (Some(cache), _) => places.push((
            Some(cache.join("actlab").join(name)),
            format!("$XDG_CACHE_HOME/actlab/{name}"),
        )),
        (None, Some(home)) => places.push((
            Some(home.join(".cache").join("actlab").join(name)),
            format!("~/.cache/actlab/{name}"),
        )),
        (None, None) => places.push((None, "neither $XDG_CACHE_HOME nor $HOME is set".into())),
    }
    if let Some(dir) = set.system_dir() {
        places.push((
            Some(PathBuf::from(dir)),
            "Debian's dataset-fashion-mnist".into(),
        ));
    }
    places
}

/// The four files in `dir`, or a description of what is missing there.
pub fn files_in(dir: &Path) -> Result<SetFiles, String> {
    if !dir.is_dir() {
        return Err(if dir.exists() {
            "not a folder".into()
        } else {
            "no such folder".into()
        });
    }
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for stem in FILE_STEMS {
        let raw = dir.join(stem);
        let gz = dir.join(format!("{stem}.gz"));
        if raw.is_file() {
            found.push(raw);
        } else if gz.is_file() {
            found.push(gz);
        } else {
            missing.push(format!("{stem}(.gz)"));
        }
    }
    match <[PathBuf; 4]>::try_from(found) {
        Ok(files) => Ok(SetFiles {
            dir: dir.to_path_buf(),
            files,
        }),
        Err(found) => Err(format!(
            "{} of 4 files; missing {}",
            found.len(),
            missing.join(", ")
        )),
    }
}

/// Finds `set`'s four files: in `explicit` alone when given, else along [`search_path`].
pub fn locate(set: IdxSet, explicit: Option<&Path>, env: &Env) -> Result<SetFiles, LocateError> {
    if let Some(dir) = explicit {
        return files_in(dir).map_err(|status| LocateError::Explicit {
            set: set.name(),
            dir: dir.display().to_string(),
            status,
            hint: how_to_get(set, env),
        });
    }
    let mut looked = Vec::new();
    for (i, (dir, why)) in search_path(set, env).into_iter().enumerate() {
        match dir {
            Some(dir) => match files_in(&dir) {
                Ok(files) => return Ok(files),
                Err(status) => {
                    looked.push(format!("  {}. {} ({why}): {status}", i + 1, dir.display()));
                }
            },
            None => looked.push(format!("  {}. {why}", i + 1)),
        }
    }
    Err(LocateError::NotFound {
        set: set.name(),
        looked: looked.iter().map(|l| format!("{l}\n")).collect(),
        hint: how_to_get(set, env),
    })
}

/// How to get the files, for error messages.
fn how_to_get(set: IdxSet, env: &Env) -> String {
    let name = set.name();
    let target = search_path(set, env)
        .into_iter()
        .filter_map(|(dir, _)| dir)
        .find(|d| !d.starts_with("/usr"))
        .map_or_else(
            || format!("$ACTLAB_DATA/{name}"),
            |d| d.display().to_string(),
        );
    let mut hint = format!(
        "Each folder must hold {}, each raw or gzip-compressed (.gz). To get them: ",
        FILE_STEMS.join(", ")
    );
    if set.system_dir().is_some() {
        hint.push_str("`apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or ");
    }
    hint += &format!(
        "download {} into {target}; actlab does not download them itself.",
        set.download_urls().join(" ")
    );
    hint
}
