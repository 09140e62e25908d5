//! The grid's points: every combination of the swept values, each a list of overrides.

use crate::config::{ConfigError, Experiment, Override, Plan, SweepConfig, point_experiment};

/// One combination of swept values. `id` is its index in the full grid (last key fastest).
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub id: usize,
    pub overrides: Vec<Override>,
}

/// A validated point, ready to train (`id` absent for the baseline, the experiment unswept).
pub struct Job {
    pub id: Option<usize>,
    pub overrides: Vec<Override>,
    pub plan: Plan,
}

/// Every point of the grid, in id order.
pub fn grid_points(sweep: &SweepConfig) -> Vec<Point> {
    let axes: Vec<(&String, &Vec<toml::Value>)> = sweep.grid.iter().collect();
    let total: usize = axes.iter().map(|(_, v)| v.len()).product();
    (0..total)
        .map(|id| {
            let mut rest = id;
            let mut overrides: Vec<Override> = axes
                .iter()
                .rev()
                .map(|(key, values)| {
                    let value = values[rest % values.len()].clone();
                    rest /= values.len();
                    Override {
                        key: (*key).clone(),
                        value,
                    }
                })
                .collect();
            overrides.reverse();
            Point { id, overrides }
        })
        .collect()
}

/// The validated plan of one point: the base experiment (its sweep removed) with the
/// point's overrides applied. `None` overrides give the baseline.
pub fn point_plan(base: &Experiment, overrides: &[Override]) -> Result<Plan, ConfigError> {
    point_experiment(
        base,
        overrides,
        &format!("sweep point {}", describe(overrides)),
    )?
    .check()
}

/// `key=value, key=value`.
pub fn describe(overrides: &[Override]) -> String {
    if overrides.is_empty() {
        return "baseline".into();
    }
    overrides
        .iter()
        .map(Override::to_arg)
        .collect::<Vec<_>>()
        .join(", ")
}
