//! How the fused kernel lays out `L` members' numbers: every quantity is a lane vector
//! `[f64; L]`, member `q` in lane `q`; per-member parameters pack into lanes and unpack again.

use super::update::HostState;

/// One member's parameters on the host: per layer, `[fan_in * fan_out]` row-major weights and
/// `[fan_out]` biases, with the optimizer's state.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MemberParams {
    pub(crate) weights: Vec<Vec<f64>>,
    pub(crate) biases: Vec<Vec<f64>>,
    /// Optimizer state per layer: (weights, biases).
    pub(crate) states: Vec<(HostState, HostState)>,
}

/// `L` members' parameters, lane-interleaved: per layer `[fan_in * fan_out]` row-major weights
/// and `[fan_out]` biases, each entry a lane vector.
#[derive(Clone, Debug)]
pub(crate) struct LaneParams<const L: usize> {
    pub(crate) weights: Vec<Vec<[f64; L]>>,
    pub(crate) biases: Vec<Vec<[f64; L]>>,
    /// Optimizer state per layer (weights, biases), over the flattened lane buffers.
    pub(crate) states: Vec<(HostState, HostState)>,
}

fn interleave<const L: usize>(values: &[&[f64]]) -> Vec<[f64; L]> {
    (0..values[0].len())
        .map(|i| std::array::from_fn(|q| values[q][i]))
        .collect()
}

impl<const L: usize> LaneParams<L> {
    /// Packs `L` members into lanes; all must share their layer sizes and optimizer progress.
    pub(crate) fn pack(members: [&MemberParams; L]) -> Result<Self, String> {
        let layers = members[0].weights.len();
        let per_layer = |f: fn(&MemberParams, usize) -> &[f64]| -> Vec<Vec<[f64; L]>> {
            (0..layers)
                .map(|l| interleave(&members.map(|m| f(m, l))))
                .collect()
        };
        let states = (0..layers)
            .map(|l| {
                Ok((
                    HostState::interleave(&members.map(|m| &m.states[l].0))?,
                    HostState::interleave(&members.map(|m| &m.states[l].1))?,
                ))
            })
            .collect::<Result<_, String>>()?;
        Ok(Self {
            weights: per_layer(|m, l| &m.weights[l]),
            biases: per_layer(|m, l| &m.biases[l]),
            states,
        })
    }

    /// The member in lane `q`.
    pub(crate) fn unpack(&self, q: usize) -> MemberParams {
        let lane = |layers: &[Vec<[f64; L]>]| -> Vec<Vec<f64>> {
            layers
                .iter()
                .map(|v| v.iter().map(|x| x[q]).collect())
                .collect()
        };
        MemberParams {
            weights: lane(&self.weights),
            biases: lane(&self.biases),
            states: self
                .states
                .iter()
                .map(|(w, b)| (w.lane(q, L), b.lane(q, L)))
                .collect(),
        }
    }
}

/// Per-layer buffers of `L` members' forward and backward passes on up to `rows` rows.
#[derive(Clone, Debug)]
pub(crate) struct LaneScratch<const L: usize> {
    /// `a[0]` is the input; `a[l]` the activation of layer `l` (`[rows * width]`).
    pub(super) a: Vec<Vec<[f64; L]>>,
    /// `z[l]`: the pre-activation of layer `l + 1`.
    pub(super) z: Vec<Vec<[f64; L]>>,
    /// `dz[l]`: the gradient of the mean loss with respect to `z[l]`.
    pub(super) dz: Vec<Vec<[f64; L]>>,
    pub(super) grad_w: Vec<Vec<[f64; L]>>,
    pub(super) grad_b: Vec<Vec<[f64; L]>>,
    /// The labels, 0 or 1.
    pub(super) y: Vec<[f64; L]>,
    /// Two per-row temporaries for the output layer.
    pub(super) t: [Vec<[f64; L]>; 2],
    rows: usize,
}

impl<const L: usize> LaneScratch<L> {
    pub(crate) fn new(dims: &[usize], rows: usize) -> Self {
        let rows_of = |widths: &[usize]| -> Vec<Vec<[f64; L]>> {
            widths.iter().map(|&w| vec![[0.0; L]; rows * w]).collect()
        };
        let layers = dims.windows(2);
        Self {
            a: rows_of(dims),
            z: rows_of(&dims[1..]),
            dz: rows_of(&dims[1..]),
            grad_w: layers
                .clone()
                .map(|d| vec![[0.0; L]; d[0] * d[1]])
                .collect(),
            grad_b: layers.map(|d| vec![[0.0; L]; d[1]]).collect(),
            y: vec![[0.0; L]; rows],
            t: [vec![[0.0; L]; rows], vec![[0.0; L]; rows]],
            rows,
        }
    }

    /// Room for at least `rows` rows.
    pub(super) fn reserve(&mut self, dims: &[usize], rows: usize) {
        if self.rows < rows {
            *self = Self::new(dims, rows);
        }
    }
}

/// One member's forward and backward pass on a batch, every layer, in plain float64.
pub struct Scratch {
    /// `a[0]` is the input; `a[l]` the activation of layer `l` (`[rows * width]`).
    pub a: Vec<Vec<f64>>,
    /// `z[l]` the pre-activation of layer `l + 1`.
    pub z: Vec<Vec<f64>>,
    /// `dz[l]`: the gradient of the mean loss with respect to `z[l]`.
    pub dz: Vec<Vec<f64>>,
    /// Gradients of each layer's weights and biases.
    pub grad_w: Vec<Vec<f64>>,
    pub grad_b: Vec<Vec<f64>>,
}

impl From<LaneScratch<1>> for Scratch {
    fn from(s: LaneScratch<1>) -> Self {
        let flat = |v: Vec<Vec<[f64; 1]>>| v.into_iter().map(Vec::into_flattened).collect();
        Self {
            a: flat(s.a),
            z: flat(s.z),
            dz: flat(s.dz),
            grad_w: flat(s.grad_w),
            grad_b: flat(s.grad_b),
        }
    }
}
