//! nanoGPT's learning-rate schedule: a linear warm-up to `lr` over `warmup_iters` steps, a
//! cosine decay to `min_lr` at `lr_decay_iters`, and `min_lr` after it (`get_lr` in nanoGPT's
//! `train.py`, with `it` the 0-based step).

use std::f64::consts::PI;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LrSchedule {
    pub lr: f64,
    pub min_lr: f64,
    pub warmup_iters: usize,
    pub decay_iters: usize,
}

impl LrSchedule {
    /// The learning rate of step `it` (0-based).
    pub fn at(&self, it: usize) -> f64 {
        if it < self.warmup_iters {
            return self.lr * (it + 1) as f64 / (self.warmup_iters + 1) as f64;
        }
        if it > self.decay_iters {
            return self.min_lr;
        }
        let span = (self.decay_iters - self.warmup_iters).max(1) as f64;
        let ratio = (it - self.warmup_iters) as f64 / span;
        let coefficient = 0.5 * (1.0 + (PI * ratio).cos());
        self.min_lr + coefficient * (self.lr - self.min_lr)
    }
}
