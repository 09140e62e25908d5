//! `[probes]`: when and on what per-layer statistics are captured during training.

use serde::{Deserialize, Serialize};

/// `[probes]`: when and how per-layer statistics are captured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeConfig {
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Probe at epoch 0 (before any update), every `every` epochs, and at the last epoch.
    #[serde(default = "ten")]
    pub every: usize,
    /// `test` or `train`: the fixed probe set.
    #[serde(default = "test_set")]
    pub set: String,
    /// A bounded unit within this distance of a bound counts as saturated.
    #[serde(default = "eps")]
    pub saturation_eps: f64,
    #[serde(default = "thirty")]
    pub bins: usize,
    /// Histograms of unbounded values span `[-hist_range, hist_range]`.
    #[serde(default = "six")]
    pub hist_range: f64,
    /// At most this many points of the set are probed (the first ones): distance preservation
    /// compares every pair, so its cost grows with the square of this number.
    #[serde(default = "five_hundred")]
    pub max_points: usize,
}

fn five_hundred() -> usize {
    500
}

fn yes() -> bool {
    true
}
fn ten() -> usize {
    10
}
fn test_set() -> String {
    "test".into()
}
fn eps() -> f64 {
    0.05
}
fn thirty() -> usize {
    30
}
fn six() -> f64 {
    6.0
}

impl Default for ProbeConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            every: 10,
            set: test_set(),
            saturation_eps: 0.05,
            bins: 30,
            hist_range: 6.0,
            max_points: 500,
        }
    }
}

impl ProbeConfig {
    pub fn is_probe_epoch(&self, epoch: usize, last: usize) -> bool {
        self.enabled
            && (epoch == 0 || epoch == last || (self.every > 0 && epoch.is_multiple_of(self.every)))
    }
}
