//! What can be wrong with an experiment, said so that a user can fix it.

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read experiment file {path}: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },

    #[error("no experiment named `{name}`: expected a file path or one of: {available}")]
    UnknownExperiment { name: String, available: String },

    #[error("{origin} is not valid TOML: {message}")]
    Syntax { origin: String, message: String },

    #[error("override `{given}` is malformed: expected key=value, e.g. train.lr=0.1")]
    OverrideSyntax { given: String },

    #[error("override `{key}`: {message}")]
    Override { key: String, message: String },

    #[error("{origin}: `{key}`: {message}")]
    Schema {
        origin: String,
        key: String,
        message: String,
    },

    #[error("`{key}` = {value}: {allowed}")]
    Invalid {
        key: String,
        value: String,
        allowed: String,
    },
}

/// A float as it is best read in a message: `1e300`, `0.05`, `NaN` (Rust's shortest form).
pub(crate) struct Num(pub f64);

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl ConfigError {
    pub(crate) fn invalid(
        key: impl Into<String>,
        value: impl std::fmt::Display,
        allowed: impl Into<String>,
    ) -> Self {
        Self::Invalid {
            key: key.into(),
            value: value.to_string(),
            allowed: allowed.into(),
        }
    }
}
