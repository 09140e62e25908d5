//! Validation: every value checked, with its key and what is allowed, before any compute.
//! Here the experiment's identity, data, model, training, analysis and reference values;
//! the variants' resolution in `variants`, the factorial and sweep sections in `sweep`.

mod sweep;
mod variants;

use super::{ConfigError, Experiment, error::Num};
use crate::{
    data::{DataKind, Scaling, preprocess::test_count},
    learner::Objective,
    model::{Architecture, Init, Nonlinearity},
};

/// Largest hidden width accepted: far beyond what these problems need.
pub const MAX_WIDTH: usize = 4096;
/// Largest noise std accepted for the generated sets: far beyond their unit scale.
pub const MAX_NOISE: f64 = 1e6;
/// Most hidden layers accepted.
pub const MAX_DEPTH: usize = 1000;

/// A validated experiment: what the runner executes.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub experiment: Experiment,
    /// The layer layout every variant shares.
    pub architecture: Architecture,
    pub variants: Vec<PlannedVariant>,
}

/// One variant with its nonlinearity and init resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedVariant {
    pub name: String,
    pub nonlinearity: Nonlinearity,
    pub init: Init,
}

fn positive_finite(key: &str, value: f64) -> Result<(), ConfigError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(ConfigError::invalid(
            key,
            Num(value),
            "must be a positive, finite number",
        ))
    }
}

impl Experiment {
    /// Checks every value; on success the experiment can run without further checks.
    pub fn check(self) -> Result<Plan, ConfigError> {
        self.check_identity()?;
        self.check_data()?;
        self.check_model_and_training()?;
        self.check_analysis()?;
        let architecture = self.architecture()?;
        let variants = self.plan_variants()?;
        self.check_reference()?;
        self.check_sweep()?;
        self.check_factorial()?;
        Ok(Plan {
            experiment: self,
            architecture,
            variants,
        })
    }

    fn check_identity(&self) -> Result<(), ConfigError> {
        if !is_safe_name(&self.name) {
            return Err(ConfigError::invalid(
                "name",
                format!("{:?}", self.name),
                "must be non-empty and use only letters, digits, `-` and `_`",
            ));
        }
        Ok(())
    }

    fn check_data(&self) -> Result<(), ConfigError> {
        let d = &self.data;
        let kind = d.kind;
        if !(d.test_fraction > 0.0 && d.test_fraction < 1.0) {
            return Err(ConfigError::invalid(
                "data.test_fraction",
                Num(d.test_fraction),
                "must be strictly between 0 and 1",
            ));
        }
        if kind.is_generated() {
            if !(d.noise.is_finite() && (0.0..=MAX_NOISE).contains(&d.noise)) {
                return Err(ConfigError::invalid(
                    "data.noise",
                    Num(d.noise),
                    format!("must be a finite number from 0 to {MAX_NOISE:e}"),
                ));
            }
            let n_test = test_count(d.n_samples, d.test_fraction);
            if d.n_samples < 4 || n_test >= d.n_samples {
                return Err(ConfigError::invalid(
                    "data.n_samples",
                    d.n_samples,
                    format!(
                        "must be at least 4 and leave points for both the train and the test set (test_fraction {})",
                        d.test_fraction
                    ),
                ));
            }
        } else {
            if d.n_samples != 0 {
                return Err(ConfigError::invalid(
                    "data.n_samples",
                    d.n_samples,
                    format!(
                        "applies to the generated sets only; for {kind} choose subsets with data.n_train and data.n_test"
                    ),
                ));
            }
            if d.noise != 0.0 {
                return Err(ConfigError::invalid(
                    "data.noise",
                    Num(d.noise),
                    format!("applies to the generated sets only, not to {kind}"),
                ));
            }
        }
        for (key, count) in [("data.n_train", d.n_train), ("data.n_test", d.n_test)] {
            if count == Some(0) {
                return Err(ConfigError::invalid(
                    key,
                    0,
                    "must be at least 1 (or left out: all)",
                ));
            }
        }
        if d.mnist1d.is_some() && kind != DataKind::Mnist1d {
            return Err(ConfigError::invalid(
                "data.mnist1d",
                "(set)",
                format!("applies to kind = \"mnist1d\" only, not to {kind}"),
            ));
        }
        if let Some(args) = &d.mnist1d {
            args.validate()
                .map_err(|e| ConfigError::invalid("data.mnist1d", "(set)", e.to_string()))?;
        }
        let takes_path = matches!(
            kind,
            DataKind::Digits | DataKind::Mnist | DataKind::FashionMnist
        );
        if let Some(path) = d.path.as_ref().filter(|_| !takes_path) {
            return Err(ConfigError::invalid(
                "data.path",
                format!("\"{}\"", path.display()),
                format!("applies to digits, mnist and fashion-mnist, not to {kind}"),
            ));
        }
        if d.scaling == Scaling::UnitInterval && kind.pixel_range().is_none() {
            return Err(ConfigError::invalid(
                "data.scaling",
                "\"unit\"",
                format!(
                    "divides pixels by their range: digits, mnist and fashion-mnist only; for {kind} use \"standard\" or \"none\""
                ),
            ));
        }
        Ok(())
    }

    /// The layer layout from `[model]` and the data's shape, checked by its family.
    fn architecture(&self) -> Result<Architecture, ConfigError> {
        let m = &self.model;
        let arch = Architecture {
            family: m.family,
            input: self.data.shape(),
            hidden: self.hidden(),
            norm: m.norm,
            conv: m.conv.clone(),
            outputs: Objective::outputs(self.data.classes()),
        };
        arch.family
            .check(&arch)
            .map_err(|e| ConfigError::invalid(e.key, e.value, e.allowed))?;
        Ok(arch)
    }

    /// The hidden widths: `hidden`, or `depth` layers of `width`.
    fn hidden(&self) -> Vec<usize> {
        match (self.model.width, self.model.depth) {
            (Some(width), Some(depth)) => vec![width; depth],
            _ => self.model.hidden.clone(),
        }
    }

    fn check_model_and_training(&self) -> Result<(), ConfigError> {
        let m = &self.model;
        match (m.width, m.depth) {
            (Some(_), Some(_)) if !m.hidden.is_empty() => {
                return Err(ConfigError::invalid(
                    "model.hidden",
                    format!("{:?}", m.hidden),
                    "give either hidden or width and depth, not both",
                ));
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err(ConfigError::invalid(
                    if m.width.is_some() {
                        "model.depth"
                    } else {
                        "model.width"
                    },
                    "(missing)",
                    "width and depth go together: depth hidden layers of width units",
                ));
            }
            (Some(w), Some(d)) if w > MAX_WIDTH || d > MAX_DEPTH => {
                return Err(ConfigError::invalid(
                    "model.width",
                    format!("{w} (depth {d})"),
                    format!("width at most {MAX_WIDTH}, depth at most {MAX_DEPTH}"),
                ));
            }
            _ => {}
        }
        let hidden = &self.hidden();
        // An `mlp` without hidden layers is a linear classifier (logistic regression); a `cnn`
        // may go from its convolutions to the output directly.
        let needs_hidden = self.model.family == crate::model::FamilyKind::ResidualMlp;
        if (needs_hidden && hidden.is_empty()) || hidden.iter().any(|&w| w == 0 || w > MAX_WIDTH) {
            return Err(ConfigError::invalid(
                "model.hidden",
                format!("{hidden:?}"),
                format!(
                    "must list {}hidden layers, each of width 1 to {MAX_WIDTH}",
                    if needs_hidden {
                        "at least one of the "
                    } else {
                        "the "
                    }
                ),
            ));
        }
        if hidden.len() > MAX_DEPTH {
            return Err(ConfigError::invalid(
                "model.hidden",
                format!("{} layers", hidden.len()),
                format!("at most {MAX_DEPTH} hidden layers"),
            ));
        }
        let t = &self.train;
        positive_finite("train.lr", t.lr)?;
        positive_finite("train.diverge_above", t.diverge_above)?;
        // `epochs = 0`: no training; the networks are initialised, probed at epoch 0 and
        // reported (signal propagation through untrained networks).
        if t.epochs == 0 && self.sweep.is_some() {
            return Err(ConfigError::invalid(
                "train.epochs",
                t.epochs,
                "must be at least 1 in a sweep",
            ));
        }
        if t.batch_size == 0 {
            return Err(ConfigError::invalid(
                "train.batch_size",
                t.batch_size,
                "must be at least 1",
            ));
        }
        if !(0.0..1.0).contains(&t.momentum) {
            return Err(ConfigError::invalid(
                "train.momentum",
                Num(t.momentum),
                "must be in [0, 1)",
            ));
        }
        if !(t.weight_decay.is_finite() && t.weight_decay >= 0.0) {
            return Err(ConfigError::invalid(
                "train.weight_decay",
                Num(t.weight_decay),
                "must be a finite number >= 0",
            ));
        }
        if !t.betas.iter().all(|b| (0.0..1.0).contains(b)) {
            return Err(ConfigError::invalid(
                "train.betas",
                format!("{:?}", t.betas),
                "both must be in [0, 1)",
            ));
        }
        positive_finite("train.epsilon", t.epsilon)?;
        if !(1..=10_000).contains(&t.seeds) {
            return Err(ConfigError::invalid(
                "train.seeds",
                t.seeds,
                "must be between 1 and 10000",
            ));
        }
        Ok(())
    }

    fn check_analysis(&self) -> Result<(), ConfigError> {
        let a = &self.analysis;
        positive_finite("analysis.grid_step", a.grid_step)?;
        if !(a.grid_margin.is_finite() && a.grid_margin >= 0.0) {
            return Err(ConfigError::invalid(
                "analysis.grid_margin",
                Num(a.grid_margin),
                "must be a finite number >= 0",
            ));
        }
        let p = &self.probes;
        if !["test", "train"].contains(&p.set.as_str()) {
            return Err(ConfigError::invalid(
                "probes.set",
                format!("{:?}", p.set),
                "allowed: test, train",
            ));
        }
        if !(p.saturation_eps.is_finite() && p.saturation_eps >= 0.0 && p.saturation_eps < 0.5) {
            return Err(ConfigError::invalid(
                "probes.saturation_eps",
                Num(p.saturation_eps),
                "must be in [0, 0.5)",
            ));
        }
        if !(1..=1000).contains(&p.bins) {
            return Err(ConfigError::invalid(
                "probes.bins",
                p.bins,
                "must be between 1 and 1000",
            ));
        }
        positive_finite("probes.hist_range", p.hist_range)?;
        if !(2..=20_000).contains(&p.max_points) {
            return Err(ConfigError::invalid(
                "probes.max_points",
                p.max_points,
                "must be between 2 and 20000",
            ));
        }
        if let Some(p) = a.trace_points.iter().find(|p| p.class > 1) {
            return Err(ConfigError::invalid(
                "analysis.trace_points.class",
                p.class,
                "must be 0 or 1",
            ));
        }
        Ok(())
    }

    fn check_reference(&self) -> Result<(), ConfigError> {
        let Some(reference) = &self.reference else {
            return Ok(());
        };
        for (name, values) in &reference.variants {
            if !self.variants.iter().any(|v| &v.name == name) {
                let names: Vec<&str> = self.variants.iter().map(|v| v.name.as_str()).collect();
                return Err(ConfigError::invalid(
                    format!("reference.variants.{name}"),
                    name,
                    format!("must name a variant: {}", names.join(", ")),
                ));
            }
            if let Some(bad) = values
                .train_loss
                .keys()
                .find(|k| k.parse::<usize>().map_or(true, |e| e == 0))
            {
                return Err(ConfigError::invalid(
                    format!("reference.variants.{name}.train_loss"),
                    bad,
                    "keys must be epoch numbers >= 1",
                ));
            }
        }
        Ok(())
    }
}

/// A name that can be a folder name and a CSV cell as written.
fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
