//! `actlab compare`: runs and sweep points side by side on one page: what differs in their
//! configurations, loss and accuracy curves overlaid, each layer's statistics overlaid, and a
//! results table with each later side's difference from the first (paired where seeds and data
//! orders pair, Welch's test where they do not). Language-model runs compare with each other
//! (`language.rs`): their loss per evaluation and final validation loss.
//!
//! The folder keeps `compare.json` (the inputs), so `actlab analyze` rebuilds the page from
//! the compared folders as they are on disk.

mod config_diff;
mod figures;
mod language;
mod results;
mod sections;
mod side;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use side::{Side, Source};

use crate::{
    config::ConfigError,
    store::{
        StoreError, create_run_folder, language::is_language_run, read_json, write_json, write_text,
    },
};

/// The file that makes a folder a comparison and lists what it compares.
pub const COMPARE_FILE: &str = "compare.json";

/// At most this many sides: one letter each, and colours that stay apart.
const MAX_SIDES: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("actlab compare needs 2 to {MAX_SIDES} runs or sweep points, got {0}")]
    Count(usize),
    #[error("{0} does not exist")]
    Missing(PathBuf),
    #[error("{0} is given twice; compare different runs or points")]
    Repeated(PathBuf),
    #[error("{sweep} is a sweep folder: name one of its points ({})", point_list(.points))]
    WholeSweep {
        sweep: PathBuf,
        points: Vec<PathBuf>,
    },
    #[error(
        "{language} is a language-model run and {other} is not: language-model runs compare with each other only"
    )]
    Mixed { language: PathBuf, other: PathBuf },
    #[error(
        "{0} is neither a finished run folder (config.toml and summary.json) nor a sweep point (<sweep>/points/<id>.json)"
    )]
    NotComparable(PathBuf),
    #[error("cannot compare {a} and {b}: their {what} differs ({a}: {a_value}; {b}: {b_value})")]
    Incompatible {
        what: &'static str,
        a: PathBuf,
        a_value: String,
        b: PathBuf,
        b_value: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

fn point_list(points: &[PathBuf]) -> String {
    match points {
        [] => "it has no finished points yet".into(),
        [only] => only.display().to_string(),
        [first, .., last] => format!(
            "{} points, {} to {}",
            points.len(),
            first.display(),
            last.display()
        ),
    }
}

/// `compare.json`: the compared folders and points, as given on the command line (shown on
/// the page) and as absolute paths (read when the page is rebuilt from elsewhere).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Inputs {
    given: Vec<PathBuf>,
    absolute: Vec<PathBuf>,
}

/// Compares `inputs` (run folders or sweep points) into `out`, or a new
/// `artifacts/compare/<run-id>`; returns the folder. Everything is read and checked before the
/// folder is made, so a refused comparison writes nothing.
pub fn compare(
    inputs: &[PathBuf],
    out: Option<&Path>,
    artifacts: &Path,
) -> Result<PathBuf, CompareError> {
    let sides = load(inputs, inputs)?;
    let dir = create_run_folder(out, artifacts, "compare").map_err(StoreError::from)?;
    let absolute: Vec<PathBuf> = inputs
        .iter()
        .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()))
        .collect();
    let inputs = Inputs {
        given: inputs.to_vec(),
        absolute,
    };
    write_json(&dir.join(COMPARE_FILE), &inputs)?;
    write(&dir, &sides)?;
    Ok(dir)
}

/// Whether `dir` is a comparison folder.
pub fn is_compare_folder(dir: &Path) -> bool {
    dir.join(COMPARE_FILE).is_file()
}

/// Rebuilds a comparison's page and figures from the folders it names.
pub fn rebuild_compare(dir: &Path) -> Result<(), CompareError> {
    let inputs: Inputs = read_json(&dir.join(COMPARE_FILE))?;
    write(dir, &load(&inputs.absolute, &inputs.given)?)
}

/// The sides of a comparison: classification runs and sweep points, or language-model runs.
enum Sides {
    Network(Vec<Side>),
    Language(Vec<language::LmSide>),
}

/// Every side, loaded from `inputs` and shown as `shown`, checked against the first.
fn load(inputs: &[PathBuf], shown: &[PathBuf]) -> Result<Sides, CompareError> {
    if !(2..=MAX_SIDES).contains(&inputs.len()) || shown.len() != inputs.len() {
        return Err(CompareError::Count(inputs.len()));
    }
    // A language-model run, finished or not (an unfinished one is refused by its record).
    let is_language = |p: &PathBuf| {
        p.is_dir()
            && (is_language_run(p)
                || std::fs::read_to_string(p.join("config.toml"))
                    .is_ok_and(|text| crate::config::language::is_language_model(&text)))
    };
    if let Some(language) = inputs.iter().find(|p| is_language(p)) {
        if let Some(other) = inputs.iter().find(|p| !is_language(p)) {
            if !other.exists() {
                return Err(CompareError::Missing(other.clone()));
            }
            return Err(CompareError::Mixed {
                language: language.clone(),
                other: other.clone(),
            });
        }
        repeated(inputs)?;
        let sides = inputs
            .iter()
            .zip(shown)
            .zip('A'..)
            .map(|((path, shown), label)| language::LmSide::load(path, shown, label.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        for side in &sides[1..] {
            language::comparable(&sides[0], side)?;
        }
        return Ok(Sides::Language(sides));
    }
    load_networks(inputs, shown).map(Sides::Network)
}

/// An error naming the first input given twice.
fn repeated(inputs: &[PathBuf]) -> Result<(), CompareError> {
    let canonical: Vec<Option<PathBuf>> = inputs
        .iter()
        .map(|p| std::fs::canonicalize(p).ok())
        .collect();
    for (i, path) in canonical.iter().enumerate() {
        if path.is_some() && canonical[..i].contains(path) {
            return Err(CompareError::Repeated(inputs[i].clone()));
        }
    }
    Ok(())
}

/// Classification runs and sweep points, checked against the first.
fn load_networks(inputs: &[PathBuf], shown: &[PathBuf]) -> Result<Vec<Side>, CompareError> {
    repeated(inputs)?;
    let sides = inputs
        .iter()
        .zip(shown)
        .zip('A'..)
        .map(|((path, shown), label)| Side::load(path, shown, label.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    for (side, path) in sides.iter().zip(inputs).skip(1) {
        comparable(&sides[0], &inputs[0], side, path)?;
    }
    Ok(sides)
}

/// Sides compare when they learn the same task on the same data set.
fn comparable(a: &Side, a_path: &Path, b: &Side, b_path: &Path) -> Result<(), CompareError> {
    let (da, db) = (&a.experiment.data, &b.experiment.data);
    let checks: [(&'static str, String, String); 3] = [
        ("data set", da.kind.name().into(), db.kind.name().into()),
        (
            "class count",
            da.classes().to_string(),
            db.classes().to_string(),
        ),
        (
            "sample shape",
            format!("{:?}", da.shape()),
            format!("{:?}", db.shape()),
        ),
    ];
    for (what, a_value, b_value) in checks {
        if a_value != b_value {
            return Err(CompareError::Incompatible {
                what,
                a: a_path.into(),
                a_value,
                b: b_path.into(),
                b_value,
            });
        }
    }
    Ok(())
}

/// `report.md` and the figures of `sides` in `dir`.
fn write(dir: &Path, sides: &Sides) -> Result<(), CompareError> {
    match sides {
        Sides::Network(sides) => {
            let drawn = figures::draw_all(dir, sides)?;
            write_text(&dir.join("report.md"), &sections::render(sides, &drawn))?;
        }
        Sides::Language(sides) => language::write(dir, sides)?,
    }
    Ok(())
}
