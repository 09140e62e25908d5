//! The factorial and sweep sections checked: their axes, levels and targets.

use crate::config::{ConfigError, Experiment, error::Num};

impl Experiment {
    pub(super) fn check_factorial(&self) -> Result<(), ConfigError> {
        let Some(f) = &self.factorial else {
            return Ok(());
        };
        let names: Vec<&str> = self.variants.iter().map(|v| v.name.as_str()).collect();
        for (key, name) in [
            ("factorial.baseline", &f.baseline),
            ("factorial.a.variant", &f.a.variant),
            ("factorial.b.variant", &f.b.variant),
            ("factorial.both", &f.both),
            ("factorial.reference", &f.reference),
        ] {
            if !names.contains(&name.as_str()) {
                return Err(ConfigError::invalid(
                    key,
                    name,
                    format!("must name a variant: {}", names.join(", ")),
                ));
            }
        }
        Ok(())
    }

    pub(super) fn check_sweep(&self) -> Result<(), ConfigError> {
        let Some(sweep) = &self.sweep else {
            return Ok(());
        };
        if sweep.grid.is_empty() {
            return Err(ConfigError::invalid(
                "sweep.grid",
                "{}",
                "list at least one key with its values",
            ));
        }
        if let Some((key, _)) = sweep.grid.iter().find(|(_, values)| values.is_empty()) {
            return Err(ConfigError::invalid(
                format!("sweep.grid.\"{key}\""),
                "[]",
                "give at least one value",
            ));
        }
        for (key, values) in &sweep.grid {
            if let Some((i, repeated)) = values
                .iter()
                .enumerate()
                .find(|(i, v)| values[..*i].contains(v))
            {
                return Err(ConfigError::invalid(
                    format!("sweep.grid.\"{key}\""),
                    repeated,
                    format!(
                        "value {} repeats an earlier one: list each value once",
                        i + 1
                    ),
                ));
            }
        }
        for (key, labels) in &sweep.labels {
            let Some(values) = sweep.grid.get(key) else {
                return Err(ConfigError::invalid(
                    format!("sweep.labels.\"{key}\""),
                    format!("{labels:?}"),
                    "label only keys of [sweep.grid]",
                ));
            };
            let unique = labels
                .iter()
                .enumerate()
                .all(|(i, l)| !labels[..i].contains(l));
            if labels.len() != values.len() || !unique || labels.iter().any(|l| l.trim().is_empty())
            {
                return Err(ConfigError::invalid(
                    format!("sweep.labels.\"{key}\""),
                    format!("{labels:?}"),
                    format!(
                        "give {} distinct, non-empty labels, one per grid value in order",
                        values.len()
                    ),
                ));
            }
        }
        let points: usize = sweep.grid.values().map(Vec::len).product();
        if points > 100_000 {
            return Err(ConfigError::invalid(
                "sweep.grid",
                points,
                "at most 100000 combinations",
            ));
        }
        if let Some(bad) = sweep.heatmap.iter().find(|k| !sweep.grid.contains_key(*k)) {
            return Err(ConfigError::invalid(
                "sweep.heatmap",
                bad,
                "must name keys of sweep.grid",
            ));
        }
        if sweep.heatmap.len() > 2 {
            return Err(ConfigError::invalid(
                "sweep.heatmap",
                format!("{:?}", sweep.heatmap),
                "name one or two grid keys",
            ));
        }
        for (key, name) in [
            ("sweep.target", &sweep.target),
            ("sweep.reference", &sweep.reference),
        ] {
            if let Some(name) = name
                .as_ref()
                .filter(|n| !self.variants.iter().any(|v| &v.name == *n))
            {
                return Err(ConfigError::invalid(key, name, "must name a variant"));
            }
        }
        if let Some(published) = &sweep.published {
            if published.test_accuracy.len() != points {
                return Err(ConfigError::invalid(
                    "sweep.published.test_accuracy",
                    format!("{} values", published.test_accuracy.len()),
                    format!("give one per grid point: {points}"),
                ));
            }
            if let Some(bad) = published
                .test_accuracy
                .iter()
                .find(|a| !(0.0..=1.0).contains(*a))
            {
                return Err(ConfigError::invalid(
                    "sweep.published.test_accuracy",
                    Num(*bad),
                    "accuracies are fractions from 0 to 1",
                ));
            }
        }
        if sweep.target.is_some() != sweep.reference.is_some() {
            return Err(ConfigError::invalid(
                "sweep.target",
                sweep
                    .target
                    .as_ref()
                    .map_or_else(|| "(unset)".to_string(), |t| format!("{t:?}")),
                "set sweep.target and sweep.reference together",
            ));
        }
        Ok(())
    }
}
