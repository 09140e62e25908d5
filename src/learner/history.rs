//! The metrics a learner records, one row per epoch.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    pub epoch: usize,
    /// Mean of the epoch's batch losses, each computed before its update.
    pub train_loss: f64,
    pub train_accuracy: f64,
    pub test_loss: f64,
    pub test_accuracy: f64,
}

/// One member's training record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    pub epochs: Vec<EpochMetrics>,
    /// The first epoch whose loss was NaN, infinite or above the divergence threshold;
    /// training of the member stopped there.
    pub diverged_at: Option<usize>,
}

impl History {
    /// Records an epoch; a loss that is not finite or exceeds `diverge_above` marks divergence,
    /// after which nothing more is recorded.
    pub fn push(&mut self, metrics: EpochMetrics, diverge_above: f64) {
        if self.diverged_at.is_some() {
            return;
        }
        if !metrics.train_loss.is_finite() || metrics.train_loss > diverge_above {
            self.diverged_at = Some(metrics.epoch);
        }
        self.epochs.push(metrics);
    }

    pub fn is_active(&self) -> bool {
        self.diverged_at.is_none()
    }

    pub fn last(&self) -> Option<&EpochMetrics> {
        self.epochs.last()
    }

    pub fn train_loss(&self) -> Vec<f64> {
        self.epochs.iter().map(|m| m.train_loss).collect()
    }
}
