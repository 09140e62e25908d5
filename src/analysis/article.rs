//! The article's analysis of a trained network: hidden-space spread, signal trace, decision grid.

use burn::tensor::{Tensor, TensorData, backend::Backend};
use serde::{Deserialize, Serialize};

use super::probe::{ForwardTrace, mean_abs, std};
use crate::{
    config::{AnalysisConfig, TracePoint},
    data::{Dataset, Split},
    model::Mlp,
};

/// Everything the article's figures show about one trained network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArticleAnalysis {
    /// Std over the whole test-set activation matrix of each hidden layer.
    pub hidden_std: Vec<f64>,
    pub trace_samples: Vec<TraceSample>,
    /// Per trace sample: `[mean|z1|, mean|a1|, ..., mean|zL|, mean|aL|, |z_out|]`.
    pub signal_trace: Vec<Vec<f64>>,
    /// The first two units of each hidden layer on the test set.
    pub hidden_scatter: Vec<HiddenScatter>,
    pub grid: DecisionGrid,
}

/// A training point traced through the network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceSample {
    /// Index in the training set.
    pub index: usize,
    pub class: u8,
    pub point: [f64; 2],
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HiddenScatter {
    pub layer: usize,
    pub units: [usize; 2],
    pub x: Vec<f64>,
    pub y: Vec<f64>,
}

/// `P(class 1)` on a regular grid; `prob[j * xs.len() + i]` is at `(xs[i], ys[j])`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecisionGrid {
    pub xs: Vec<f64>,
    pub ys: Vec<f64>,
    pub prob: Vec<f64>,
}

impl DecisionGrid {
    /// Segments of the `level` iso-line of `grid`, by marching squares.
    pub fn contour(&self, level: f64) -> Vec<[(f64, f64); 2]> {
        let grid = self;
        let (nx, ny) = (grid.xs.len(), grid.ys.len());
        let at = |i: usize, j: usize| ((grid.xs[i], grid.ys[j]), grid.prob[j * nx + i]);
        let crossing = |(p, a): ((f64, f64), f64), (q, b): ((f64, f64), f64)| {
            ((a < level) != (b < level)).then(|| {
                let t = (level - a) / (b - a);
                (p.0 + t * (q.0 - p.0), p.1 + t * (q.1 - p.1))
            })
        };
        let mut segments = Vec::new();
        for j in 0..ny.saturating_sub(1) {
            for i in 0..nx.saturating_sub(1) {
                let (c00, c10, c11, c01) = (at(i, j), at(i + 1, j), at(i + 1, j + 1), at(i, j + 1));
                let points: Vec<(f64, f64)> = [
                    crossing(c00, c10),
                    crossing(c10, c11),
                    crossing(c11, c01),
                    crossing(c01, c00),
                ]
                .into_iter()
                .flatten()
                .collect();
                for pair in points.chunks_exact(2) {
                    segments.push([pair[0], pair[1]]);
                }
            }
        }
        segments
    }
}

/// The training point of `p.class` farthest from `p.farthest_from` (first on ties, as `argmax`).
pub fn select_trace_sample(train: &Dataset, p: &TracePoint) -> Option<TraceSample> {
    let distance = |x: &[f64; 2]| (x[0] - p.farthest_from[0]).hypot(x[1] - p.farthest_from[1]);
    let mut best: Option<(usize, f64)> = None;
    for (i, x) in train
        .x
        .iter()
        .enumerate()
        .filter(|(i, _)| train.y[*i] == p.class)
    {
        let d = distance(x);
        if best.is_none_or(|(_, b)| d > b) {
            best = Some((i, d));
        }
    }
    best.map(|(index, _)| TraceSample {
        index,
        class: p.class,
        point: train.x[index],
    })
}

/// numpy's `arange(start, stop, step)`.
pub fn arange(start: f64, stop: f64, step: f64) -> Vec<f64> {
    let count = ((stop - start) / step).ceil().max(0.0) as usize;
    (0..count).map(|i| start + i as f64 * step).collect()
}

fn stacked<B: Backend>(points: &[[f64; 2]], members: usize, device: &B::Device) -> Tensor<B, 3> {
    let values: Vec<f64> = (0..members)
        .flat_map(|_| points.iter().flat_map(|p| *p))
        .collect();
    Tensor::from_data(TensorData::new(values, [members, points.len(), 2]), device)
}

/// The article's analysis of every member of `model`, in member order.
pub fn analyze<B: Backend>(
    model: &Mlp<B>,
    split: &Split,
    config: &AnalysisConfig,
    device: &B::Device,
) -> Vec<ArticleAnalysis> {
    let k = model.members();
    let test = ForwardTrace::record(model, stacked(&split.test.x, k, device));
    let train = ForwardTrace::record(model, stacked(&split.train.x, k, device));
    let samples: Vec<TraceSample> = config
        .trace_points
        .iter()
        .filter_map(|p| select_trace_sample(&split.train, p))
        .collect();

    let span = |axis: usize| {
        let values = split.test.x.iter().map(|p| p[axis]);
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        arange(
            lo - config.grid_margin,
            hi + config.grid_margin,
            config.grid_step,
        )
    };
    let (xs, ys) = (span(0), span(1));
    let grid_points: Vec<[f64; 2]> = ys
        .iter()
        .flat_map(|&y| xs.iter().map(move |&x| [x, y]))
        .collect();
    let grid_prob = model.predict(stacked(&grid_points, k, device));
    let grid_prob = crate::learner::to_host(grid_prob);

    (0..k)
        .map(|member| {
            let signal_trace = samples
                .iter()
                .map(|s| {
                    let mut trace: Vec<f64> = train
                        .z
                        .iter()
                        .zip(&train.a)
                        .flat_map(|(z, a)| {
                            [
                                mean_abs(z.row(member, s.index)),
                                mean_abs(a.row(member, s.index)),
                            ]
                        })
                        .collect();
                    let logit = train.logit.as_ref().expect("recorded");
                    trace.push(logit.row(member, s.index)[0].abs());
                    trace
                })
                .collect();
            let hidden_scatter = test
                .a
                .iter()
                .enumerate()
                .map(|(layer, a)| {
                    let units = [0, 1.min(a.dims[2] - 1)];
                    HiddenScatter {
                        layer,
                        units,
                        x: a.column(member, units[0]),
                        y: a.column(member, units[1]),
                    }
                })
                .collect();
            let per_member = grid_points.len();
            ArticleAnalysis {
                hidden_std: test.a.iter().map(|a| std(a.member(member))).collect(),
                trace_samples: samples.clone(),
                signal_trace,
                hidden_scatter,
                grid: DecisionGrid {
                    xs: xs.clone(),
                    ys: ys.clone(),
                    prob: grid_prob[member * per_member..(member + 1) * per_member].to_vec(),
                },
            }
        })
        .collect()
}
