//! Finding, parsing and overriding experiment files.

use std::path::{Path, PathBuf};

use toml::{Table, Value};

use super::{ConfigError, Experiment};
use crate::data::DataKind;

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/experiments.rs"));
}

/// An experiment file's text and where it came from: a path, or `experiments/<name>.toml
/// (built in)` for one embedded in the binary.
#[derive(Clone, Debug, PartialEq)]
pub struct ExperimentFile {
    pub origin: PathBuf,
    pub text: String,
}

impl ExperimentFile {
    /// Parses the file with `overrides` applied.
    pub fn load(&self, overrides: &[Override]) -> Result<Experiment, ConfigError> {
        parse_experiment(&self.text, &self.origin.display().to_string(), overrides)
    }
}

/// The folder searched for experiment files before the built-in ones: `./experiments`.
pub fn local_experiments() -> PathBuf {
    PathBuf::from("experiments")
}

fn read(path: &Path) -> Result<ExperimentFile, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
        path: path.into(),
        error,
    })?;
    Ok(ExperimentFile {
        origin: path.into(),
        text,
    })
}

/// Resolves `name_or_path`: an existing file, else `./experiments/<name>.toml`, else the
/// built-in experiment of that name (embedded in the binary, so that an installed or copied
/// actlab needs no source tree).
pub fn find_experiment(name_or_path: &str) -> Result<ExperimentFile, ConfigError> {
    let as_path = PathBuf::from(name_or_path);
    if as_path.is_file() {
        return read(&as_path);
    }
    let local = local_experiments().join(format!("{name_or_path}.toml"));
    if local.is_file() {
        return read(&local);
    }
    if let Some((name, text)) = builtin::BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
        return Ok(ExperimentFile {
            origin: PathBuf::from(format!("experiments/{name}.toml (built in)")),
            text: (*text).to_string(),
        });
    }
    let available = list_experiments()
        .into_iter()
        .map(|(name, _)| name)
        .collect::<Vec<_>>()
        .join(", ");
    Err(ConfigError::UnknownExperiment {
        name: name_or_path.to_string(),
        available,
    })
}

fn question(text: &str) -> String {
    text.parse::<Table>()
        .ok()
        .and_then(|t| {
            t.get("question")
                .and_then(|q| q.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "(unreadable: run it to see the error)".into())
}

/// Every experiment in `./experiments` and built in, with its question, sorted by name; a
/// local file hides a built-in one of the same name.
pub fn list_experiments() -> Vec<(String, String)> {
    let local = std::fs::read_dir(local_experiments())
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "toml").then_some(())?;
            let name = path.file_stem()?.to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            Some((name, question(&text)))
        });
    let mut found: Vec<(String, String)> = local.collect();
    for (name, text) in builtin::BUILTIN {
        if !found.iter().any(|(n, _)| n == name) {
            found.push((name.to_string(), question(text)));
        }
    }
    found.sort();
    found
}

/// A `--set key=value` override: `value` is read as TOML, or as a plain string if it is not.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    pub key: String,
    pub value: Value,
}

impl std::str::FromStr for Override {
    type Err = ConfigError;

    fn from_str(given: &str) -> Result<Self, Self::Err> {
        let (key, raw) = given
            .split_once('=')
            .ok_or_else(|| ConfigError::OverrideSyntax {
                given: given.into(),
            })?;
        let (key, raw) = (key.trim(), raw.trim());
        if key.is_empty() || key.split('.').any(str::is_empty) {
            return Err(ConfigError::OverrideSyntax {
                given: given.into(),
            });
        }
        let value = format!("v = {raw}")
            .parse::<Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| Value::String(raw.to_string()));
        Ok(Self {
            key: key.to_string(),
            value,
        })
    }
}

impl Override {
    /// Sets the value in `root`. A path through an array of tables picks the element by its
    /// `name`, so `variants.relu.init` reaches the variant named `relu`.
    pub fn apply(&self, root: &mut Table) -> Result<(), ConfigError> {
        let mut parts: Vec<&str> = self.key.split('.').collect();
        let leaf = parts.pop().expect("a key has at least one part");
        let fail = |message: String| ConfigError::Override {
            key: self.key.clone(),
            message,
        };
        let mut table = root;
        let mut parts = parts.into_iter();
        while let Some(part) = parts.next() {
            let entry = table
                .entry(part)
                .or_insert_with(|| Value::Table(Table::new()));
            table = match entry {
                Value::Table(t) => t,
                Value::Array(items) => {
                    let name = parts.next().ok_or_else(|| {
                        fail(format!(
                            "`{part}` is a list: name an element, e.g. `{part}.<name>.<key>`"
                        ))
                    })?;
                    let names: Vec<String> = items
                        .iter()
                        .filter_map(|i| i.get("name").and_then(Value::as_str).map(String::from))
                        .collect();
                    items
                        .iter_mut()
                        .filter_map(Value::as_table_mut)
                        .find(|t| t.get("name").and_then(Value::as_str) == Some(name))
                        .ok_or_else(|| {
                            fail(format!(
                                "no `{part}` entry named `{name}`; there are: {}",
                                names.join(", ")
                            ))
                        })?
                }
                _ => {
                    return Err(fail(format!(
                        "`{part}` is not a section, so it has no keys to set"
                    )));
                }
            };
        }
        table.insert(leaf.to_string(), self.value.clone());
        Ok(())
    }

    /// The `key=value` form, as given on a command line.
    pub fn to_arg(&self) -> String {
        format!("{}={}", self.key, self.value)
    }
}

/// Reads and parses an experiment file, then applies `overrides` in order.
pub fn load_experiment(path: &Path, overrides: &[Override]) -> Result<Experiment, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
        path: path.into(),
        error,
    })?;
    parse_experiment(&text, &path.display().to_string(), overrides)
}

/// Parses experiment `text` (read from `origin`) with `overrides` applied, rejecting unknown keys.
pub fn parse_experiment(
    text: &str,
    origin: &str,
    overrides: &[Override],
) -> Result<Experiment, ConfigError> {
    let table: Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigError::Syntax {
            origin: origin.into(),
            message: e.to_string(),
        })?;
    experiment_from_table(table, origin, overrides)
}

/// A sweep point's experiment: `base` without its sweep, with the point's `overrides` applied
/// (not yet validated). `origin` names the point in errors.
pub fn point_experiment(
    base: &Experiment,
    overrides: &[Override],
    origin: &str,
) -> Result<Experiment, ConfigError> {
    let mut experiment = base.clone();
    experiment.sweep = None;
    let table = Table::try_from(&experiment).expect("an experiment serialises to TOML");
    experiment_from_table(table, origin, overrides)
}

/// An experiment from a parsed TOML table with `overrides` applied, rejecting unknown keys.
pub fn experiment_from_table(
    mut table: Table,
    origin: &str,
    overrides: &[Override],
) -> Result<Experiment, ConfigError> {
    for o in overrides {
        o.apply(&mut table)?;
    }
    let origin = if overrides.is_empty() {
        origin.to_string()
    } else {
        format!("{origin} (with --set overrides)")
    };
    let mut experiment: Experiment = serde_path_to_error::deserialize(Value::Table(table))
        .map_err(|e| ConfigError::Schema {
            origin,
            key: e.path().to_string(),
            // The TOML deserialiser appends "in `key`" lines; the key is already named.
            message: e
                .into_inner()
                .to_string()
                .lines()
                .filter(|l| !l.starts_with("in `"))
                .collect::<Vec<_>>()
                .join(" ")
                .trim()
                .to_string(),
        })?;
    pin_grid_axes(&mut experiment, overrides);
    Ok(experiment)
}

/// An experiment that only describes a data set of `kind` (the article's 400 points with noise
/// 0.18 for the generated sets), with `overrides` applied: for `actlab data <kind>`.
pub fn data_only(kind: DataKind, overrides: &[Override]) -> Result<Experiment, ConfigError> {
    let generated = if kind.is_generated() {
        "n_samples = 400\nnoise = 0.18\n"
    } else {
        ""
    };
    let text = format!(
        "name = \"{kind}\"\nquestion = \"the data set {kind}\"\n[data]\nkind = \"{kind}\"\nseed = 42\n{generated}\
         [model]\nhidden = [2]\nseed = 42\nactivation = \"relu\"\ninit = \"he-normal\"\n\
         [train]\nlr = 0.1\nepochs = 1\nbatch_size = 32\n[[variants]]\nname = \"model\"\n"
    );
    parse_experiment(&text, &format!("data set {kind}"), overrides)
}

/// A `--set` on a key the sweep's grid varies replaces that axis with the one value given, so
/// that the override holds at every grid point (the grid would otherwise set its own values
/// there, and the override would reach the baseline only).
///
/// A `--set` on a key inside a grid axis whose values are tables (`data.n_train` where the grid
/// sweeps `data = [{ kind = ... }, ...]`) is set in every one of those tables, for the same
/// reason: the grid's table would otherwise replace it at every point.
fn pin_grid_axes(experiment: &mut Experiment, overrides: &[Override]) {
    if let Some(sweep) = &mut experiment.sweep {
        for o in overrides {
            if let Some(axis) = sweep.grid.get_mut(&o.key) {
                *axis = vec![o.value.clone()];
                sweep.labels.remove(&o.key);
                continue;
            }
            for (key, axis) in sweep.grid.iter_mut() {
                let Some(inner) = o
                    .key
                    .strip_prefix(key.as_str())
                    .and_then(|r| r.strip_prefix('.'))
                else {
                    continue;
                };
                for value in axis.iter_mut() {
                    if let Value::Table(table) = value {
                        set_path(table, inner, o.value.clone());
                    }
                }
            }
        }
    }
}

/// Sets the dotted `path` in `table`, making the tables on the way.
fn set_path(table: &mut toml::Table, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            table.insert(path.to_string(), value);
        }
        Some((head, rest)) => {
            let entry = table
                .entry(head.to_string())
                .or_insert_with(|| Value::Table(toml::Table::new()));
            if let Value::Table(inner) = entry {
                set_path(inner, rest, value);
            }
        }
    }
}

/// The grid axes that `overrides` pin to one value, as `key: [old values] -> value`.
pub fn pinned_axes(experiment: &Experiment, overrides: &[Override]) -> Vec<String> {
    let Some(sweep) = &experiment.sweep else {
        return Vec::new();
    };
    overrides
        .iter()
        .filter_map(|o| {
            let values = sweep.grid.get(&o.key)?;
            let shown: Vec<String> = values.iter().map(ToString::to_string).collect();
            Some(format!("{} = [{}] -> {}", o.key, shown.join(", "), o.value))
        })
        .collect()
}
