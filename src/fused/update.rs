//! The optimizers' update rules over host float64 buffers, operation for operation as Burn's
//! optimizers apply them (including Burn's float32 Adam coefficients), so that the fused engine
//! takes exactly the steps the Burn engine takes.

use serde::{Deserialize, Serialize};

use crate::learner::{OptimizerKind, OptimizerSpec};

/// One parameter tensor's optimizer state on the host.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HostState {
    velocity: Option<Vec<f64>>,
    moments: Option<(Vec<f64>, Vec<f64>)>,
    time: i32,
}

impl HostState {
    /// The states of `L = states.len()` members as one state over their lane-interleaved
    /// parameters (entry `i` of member `q` at `i * L + q`). All must be at the same step.
    pub(crate) fn interleave(states: &[&HostState]) -> Result<Self, String> {
        let first = states[0];
        let same_progress = |s: &&HostState| {
            s.time == first.time
                && s.velocity.is_some() == first.velocity.is_some()
                && s.moments.is_some() == first.moments.is_some()
        };
        if !states.iter().all(same_progress) {
            return Err("members trained together must share their optimizer's progress".into());
        }
        let weave = |lane: &dyn Fn(&HostState) -> &[f64]| -> Vec<f64> {
            let len = lane(first).len();
            (0..len * states.len())
                .map(|i| lane(states[i % states.len()])[i / states.len()])
                .collect()
        };
        Ok(Self {
            velocity: first
                .velocity
                .as_ref()
                .map(|_| weave(&|s| s.velocity.as_deref().unwrap_or_default())),
            moments: first.moments.as_ref().map(|_| {
                (
                    weave(&|s| s.moments.as_ref().map_or(&[][..], |m| &m.0)),
                    weave(&|s| s.moments.as_ref().map_or(&[][..], |m| &m.1)),
                )
            }),
            time: first.time,
        })
    }

    /// Lane `q` of a state interleaved over `lanes` members.
    pub(crate) fn lane(&self, q: usize, lanes: usize) -> Self {
        let pick = |v: &Vec<f64>| v.iter().skip(q).step_by(lanes).copied().collect();
        Self {
            velocity: self.velocity.as_ref().map(pick),
            moments: self.moments.as_ref().map(|(a, b)| (pick(a), pick(b))),
            time: self.time,
        }
    }
}

impl OptimizerSpec {
    /// Burn's `WeightDecay::transform`: `param * penalty + grad`.
    fn add_penalty(&self, param: &[f64], grad: &mut [f64]) {
        if self.weight_decay > 0.0 {
            let penalty = f64::from(self.weight_decay as f32);
            for (g, p) in grad.iter_mut().zip(param) {
                *g += p * penalty;
            }
        }
    }

    /// Updates `param` in place from `grad` exactly as Burn's optimizer would.
    pub fn update(&self, lr: f64, param: &mut [f64], grad: &mut [f64], state: &mut HostState) {
        match self.kind {
            OptimizerKind::Sgd | OptimizerKind::Momentum | OptimizerKind::Nesterov => {
                self.add_penalty(param, grad);
                if self.kind != OptimizerKind::Sgd {
                    let momentum = self.momentum;
                    match &mut state.velocity {
                        None => state.velocity = Some(grad.to_vec()),
                        Some(v) => {
                            for (vi, g) in v.iter_mut().zip(grad.iter()) {
                                *vi = g * 1.0 + *vi * momentum;
                            }
                        }
                    }
                    let v = state.velocity.as_ref().expect("set above");
                    for (g, vi) in grad.iter_mut().zip(v) {
                        *g = if self.kind == OptimizerKind::Nesterov {
                            vi * momentum + *g
                        } else {
                            *vi
                        };
                    }
                }
                for (p, g) in param.iter_mut().zip(grad.iter()) {
                    *p -= g * lr;
                }
            }
            OptimizerKind::Adam | OptimizerKind::AdamW => self.adam(lr, param, grad, state),
        }
    }

    fn adam(&self, lr: f64, param: &mut [f64], grad: &mut [f64], state: &mut HostState) {
        // Burn keeps the coefficients in float32; so do we, to take the same steps.
        let [beta_1, beta_2] = self.betas.map(|b| b as f32);
        let epsilon = self.epsilon as f32;
        let decoupled = self.kind == OptimizerKind::AdamW;
        if !decoupled {
            self.add_penalty(param, grad);
        }
        let (f1, f2) = (f64::from(1.0 - beta_1), f64::from(1.0 - beta_2));
        match &mut state.moments {
            None => {
                state.moments = Some((
                    grad.iter().map(|g| g * f1).collect(),
                    grad.iter().map(|g| g * g * f2).collect(),
                ));
                state.time = 1;
            }
            Some((m1, m2)) => {
                for ((a, b), g) in m1.iter_mut().zip(m2.iter_mut()).zip(grad.iter()) {
                    *a = *a * f64::from(beta_1) + g * f1;
                    *b = *b * f64::from(beta_2) + g * g * f2;
                }
                state.time += 1;
            }
        }
        let (m1, m2) = state.moments.as_ref().expect("set above");
        let t = state.time;
        if decoupled {
            let c1 = f64::from(1f32 - beta_1.powi(t));
            let c2 = f64::from(1f32 - beta_2.powi(t));
            let decay = lr * f64::from(self.weight_decay as f32);
            for ((p, a), b) in param.iter_mut().zip(m1).zip(m2) {
                let delta = (a / c1) / ((b / c2).sqrt() + f64::from(epsilon));
                let decayed = if decay == 0.0 { *p } else { *p * (1.0 - decay) };
                *p = decayed - delta * lr;
            }
        } else {
            let bc2 = (1.0 - beta_2.powi(t)).sqrt();
            let combined = f64::from(bc2 / (1.0 - beta_1.powi(t)));
            let eps = f64::from(epsilon * bc2);
            for ((p, a), b) in param.iter_mut().zip(m1).zip(m2) {
                let delta = (a * combined) / (b.sqrt() + eps);
                *p -= delta * lr;
            }
        }
    }
}
