//! The article's analysis of a trained network: hidden-space spread, signal trace, decision grid.
//! The signal trace and the decision grid need points in the plane; the rest applies to any data.

use burn::tensor::{Tensor, TensorData, backend::Backend};
use serde::{Deserialize, Serialize};

use super::{
    classes::{ClassReport, Projection, project},
    trace::{ForwardTrace, mean_abs, std},
};
use crate::{
    config::{AnalysisConfig, TracePoint},
    data::{Dataset, Split},
    learner::{Objective, to_host},
    model::{Family, Mode},
};

/// The most test points traced through every layer (hidden-space spread and scatter): the
/// analysis stays bounded whatever the data set's size.
pub const MAX_TRACED_POINTS: usize = 2000;

/// The most decision-grid points an analysis evaluates (a 1000 x 1000 grid).
pub const MAX_GRID_POINTS: usize = 1_000_000;

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
    /// `P(class 1)` over the plane (planar data with two classes only).
    #[serde(default)]
    pub grid: Option<DecisionGrid>,
    /// Confusion matrix, per-class accuracy, confident mistakes and sample predictions.
    #[serde(default)]
    pub classes: ClassReport,
    /// Each hidden layer's test activations on their first two principal components.
    #[serde(default)]
    pub projections: Vec<Projection>,
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
    let distance = |x: [f64; 2]| (x[0] - p.farthest_from[0]).hypot(x[1] - p.farthest_from[1]);
    let mut best: Option<(usize, f64)> = None;
    for (i, x) in train
        .points()
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
        point: train.point(index),
    })
}

/// numpy's `arange(start, stop, step)`.
pub fn arange(start: f64, stop: f64, step: f64) -> Vec<f64> {
    let count = ((stop - start) / step).ceil().max(0.0) as usize;
    (0..count).map(|i| start + i as f64 * step).collect()
}

/// The axis values of the decision grid over the test set's range plus the margin, per axis.
pub fn grid_axes(test: &Dataset, config: &AnalysisConfig) -> (Vec<f64>, Vec<f64>) {
    let span = |axis: usize| {
        let (lo, hi) = test
            .points()
            .map(|p| p[axis])
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        arange(
            lo - config.grid_margin,
            hi + config.grid_margin,
            config.grid_step,
        )
    };
    (span(0), span(1))
}

/// How many points the decision grid of `test` would hold, computed without building it.
pub fn grid_size(test: &Dataset, config: &AnalysisConfig) -> f64 {
    let count = |axis: usize| {
        let (lo, hi) = test
            .points()
            .map(|p| p[axis])
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        ((hi - lo + 2.0 * config.grid_margin) / config.grid_step)
            .ceil()
            .max(0.0)
    };
    count(0) * count(1)
}

fn tensor<B: Backend>(x: &[f64], features: usize, device: &B::Device) -> Tensor<B, 3> {
    Tensor::from_data(
        TensorData::new(x.to_vec(), [1, x.len() / features, features]),
        device,
    )
}

/// The article's analysis of one trained member (`K = 1`).
pub fn analyze<B: Backend, M: Family<B>>(
    member: &M,
    split: &Split,
    config: &AnalysisConfig,
    device: &B::Device,
) -> ArticleAnalysis {
    let features = split.features();
    let shown = split.test.len().min(MAX_TRACED_POINTS);
    let test = ForwardTrace::record(member, tensor(&split.test.rows(0..shown), features, device));
    let planar = split.is_planar();
    let samples: Vec<TraceSample> = if planar {
        config
            .trace_points
            .iter()
            .filter_map(|p| select_trace_sample(&split.train, p))
            .collect()
    } else {
        Vec::new()
    };
    let traced: Vec<f64> = samples
        .iter()
        .flat_map(|s| split.train.row(s.index).to_vec())
        .collect();
    let signal_trace = if samples.is_empty() {
        Vec::new()
    } else {
        let trace = ForwardTrace::record(member, tensor(&traced, features, device));
        (0..samples.len())
            .map(|i| {
                let mut values: Vec<f64> = trace
                    .z
                    .iter()
                    .zip(&trace.a)
                    .flat_map(|(z, a)| [mean_abs(z.row(0, i)), mean_abs(a.row(0, i))])
                    .collect();
                let logit = trace.logit.as_ref().expect("recorded");
                values.push(logit.row(0, i)[0].abs());
                values
            })
            .collect()
    };
    let hidden_scatter = test
        .a
        .iter()
        .enumerate()
        .map(|(layer, a)| {
            let units = [0, 1.min(a.dims[2] - 1)];
            HiddenScatter {
                layer,
                units,
                x: a.column(0, units[0]),
                y: a.column(0, units[1]),
            }
        })
        .collect();
    let outputs = test.logit.as_ref().map_or(1, |l| l.dims[2]);
    let grid = (config.decision_grid
        && planar
        && outputs == 1
        && grid_size(&split.test, config) <= MAX_GRID_POINTS as f64)
        .then(|| {
            let (xs, ys) = grid_axes(&split.test, config);
            let points: Vec<f64> = ys
                .iter()
                .flat_map(|&y| xs.iter().flat_map(move |&x| [x, y]))
                .collect();
            let prob = points
                .chunks(2 * super::probe::CHUNK_ROWS)
                .flat_map(|chunk| {
                    let logits = member.forward(tensor(chunk, 2, device), Mode::Eval);
                    to_host(Objective::Binary.probabilities(logits))
                })
                .collect();
            DecisionGrid { xs, ys, prob }
        });
    let objective = Objective::for_outputs(outputs);
    let test_rows = split.test.len();
    let probabilities: Vec<f64> = (0..test_rows)
        .step_by(super::probe::CHUNK_ROWS)
        .flat_map(|start| {
            let chunk = split
                .test
                .rows(start..(start + super::probe::CHUNK_ROWS).min(test_rows));
            let logits = member.forward(tensor(&chunk, features, device), Mode::Eval);
            to_host(objective.probabilities(logits))
        })
        .collect();
    let projections = if planar {
        Vec::new()
    } else {
        test.a
            .iter()
            .enumerate()
            .map(|(layer, a)| project(a.member(0), a.dims[2], layer))
            .collect()
    };
    ArticleAnalysis {
        hidden_std: test.a.iter().map(|a| std(a.member(0))).collect(),
        trace_samples: samples,
        signal_trace,
        hidden_scatter,
        grid,
        classes: ClassReport::new(&probabilities, &split.test.y, split.classes),
        projections,
    }
}
