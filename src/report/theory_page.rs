//! `actlab theory`'s page: a mean-field request validated, its prediction rendered as text or
//! one JSON object, and the order-to-chaos phase diagram of the common activations.

use std::path::Path;

use crate::{
    analysis::prediction,
    model::{Activation, Nonlinearity},
    plot::phase::{CriticalLine, draw},
    store::{StoreError, write_figure},
    theory::TheoryError,
};

/// What `actlab theory` was asked, before validation.
#[derive(Clone, Debug)]
pub struct TheoryRequest {
    pub activation: String,
    pub weight_var: f64,
    pub bias_var: f64,
    pub depth: usize,
    pub gain: f64,
    pub shift: f64,
    pub input_second_moment: f64,
    pub critical: bool,
}

/// Why a theory page could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TheoryPageError {
    #[error("{0}")]
    Invalid(String),
    #[error("mean-field theory of {unit} at weight_var {weight_var}, bias_var {bias_var}: {error}")]
    Theory {
        unit: Nonlinearity,
        weight_var: f64,
        bias_var: f64,
        error: TheoryError,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl TheoryRequest {
    /// The nonlinearity asked for, once every value is in its allowed range.
    fn unit(&self) -> Result<Nonlinearity, TheoryPageError> {
        let activation: Activation = self
            .activation
            .parse()
            .map_err(|e: String| TheoryPageError::Invalid(e))?;
        for (name, value, ok) in [
            (
                "--weight-var",
                self.weight_var,
                self.weight_var > 0.0 && self.weight_var <= 1e6,
            ),
            (
                "--bias-var",
                self.bias_var,
                (0.0..=1e6).contains(&self.bias_var),
            ),
            (
                "--gain",
                self.gain,
                self.gain != 0.0 && self.gain.abs() <= 1e6,
            ),
            ("--shift", self.shift, self.shift.abs() <= 1e6),
            (
                "--input-second-moment",
                self.input_second_moment,
                (0.0..=1e12).contains(&self.input_second_moment),
            ),
        ] {
            if !(value.is_finite() && ok) {
                return Err(TheoryPageError::Invalid(format!(
                    "{name} {value:?}: allowed: weight-var in (0, 1e6], bias-var in [0, 1e6], gain non-zero and |gain|, |shift| at most 1e6, input-second-moment in [0, 1e12]"
                )));
            }
        }
        if !(1..=10_000).contains(&self.depth) {
            return Err(TheoryPageError::Invalid(format!(
                "--depth {}: allowed: 1 to 10000",
                self.depth
            )));
        }
        Ok(Nonlinearity {
            activation,
            gain: self.gain,
            shift: self.shift,
        })
    }

    /// The page as text, or as one JSON object (keys q_star, c_star, chi1, xi_q, xi_c, q, ...,
    /// and critical_weight_var when asked).
    pub fn render(&self, json: bool) -> Result<String, TheoryPageError> {
        let unit = self.unit()?;
        let summary = prediction::summarize(
            unit,
            self.weight_var,
            self.bias_var,
            self.depth,
            self.input_second_moment,
        )
        .map_err(|error| TheoryPageError::Theory {
            unit,
            weight_var: self.weight_var,
            bias_var: self.bias_var,
            error,
        })?;
        let critical = self
            .critical
            .then(|| prediction::critical_weight_var(unit, self.bias_var));
        if json {
            let mut value = serde_json::to_value(&summary)
                .map_err(|e| TheoryPageError::Invalid(format!("the prediction as JSON: {e}")))?;
            if let Some(found) = critical {
                value["critical_weight_var"] = found.map_or(serde_json::Value::Null, |w| w.into());
            }
            return Ok(format!("{value}\n"));
        }
        let mut text = summary.render();
        match critical {
            Some(Ok(w)) => text.push_str(&format!(
                "\ncritical weight_var at bias_var {}: {w:.6}\n",
                self.bias_var
            )),
            Some(Err(e)) => text.push_str(&format!(
                "\nno critical weight_var at bias_var {}: {e}\n",
                self.bias_var
            )),
            None => {}
        }
        Ok(text)
    }
}

/// The activations the phase diagram draws.
const PHASE_ACTIVATIONS: [Activation; 7] = [
    Activation::Tanh,
    Activation::Sigmoid,
    Activation::Relu,
    Activation::Selu,
    Activation::Gelu,
    Activation::Softsign,
    Activation::Elu,
];

/// Draws the order-to-chaos phase diagram (critical `sigma_w^2` against `sigma_b^2` in
/// [0, 2]) of the common activations into `path`.
pub fn write_phase_diagram(path: &Path) -> Result<(), StoreError> {
    let lines: Vec<CriticalLine> = PHASE_ACTIVATIONS
        .into_iter()
        .map(|act| CriticalLine {
            name: act.name().into(),
            points: (0..=40)
                .map(|i| 0.05 * f64::from(i))
                .filter_map(|b| Some((b, prediction::critical_weight_var(act.into(), b).ok()?)))
                .collect(),
        })
        .collect();
    write_figure(path, |p| draw(p, &lines))
}
