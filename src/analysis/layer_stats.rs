//! Statistics of one layer's values on a probe set: distribution, saturation, dead units,
//! gradient size and how well the layer preserves the geometry of its input.

use serde::{Deserialize, Serialize};

use super::trace::{mean_abs, std};
use crate::model::Nonlinearity;

/// Distribution of a tensor's values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Distribution {
    pub mean: f64,
    /// Population std (as numpy's `std()`).
    pub std: f64,
    pub mean_abs: f64,
    pub min: f64,
    pub max: f64,
    pub p2: f64,
    pub p50: f64,
    pub p98: f64,
}

impl Distribution {
    /// Each statistic with its name in `activations.csv`.
    pub fn named(&self) -> [(&'static str, f64); 8] {
        [
            ("mean", self.mean),
            ("std", self.std),
            ("mean_abs", self.mean_abs),
            ("min", self.min),
            ("max", self.max),
            ("p2", self.p2),
            ("p50", self.p50),
            ("p98", self.p98),
        ]
    }
}

/// numpy's default (linear) percentile of sorted values, `q` in [0, 100].
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    let position = q / 100.0 * (sorted.len() - 1) as f64;
    let (lo, hi) = (position.floor() as usize, position.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (position - lo as f64)
}

pub fn distribution(values: &[f64]) -> Distribution {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Distribution {
        mean,
        std: std(values),
        mean_abs: mean_abs(values),
        min: sorted[0],
        max: sorted[sorted.len() - 1],
        p2: percentile(&sorted, 2.0),
        p50: percentile(&sorted, 50.0),
        p98: percentile(&sorted, 98.0),
    }
}

/// A histogram with fixed bins over `[lo, hi]`; values outside fall into the end bins.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    pub lo: f64,
    pub hi: f64,
    pub counts: Vec<usize>,
}

pub fn histogram(values: &[f64], lo: f64, hi: f64, bins: usize) -> Histogram {
    let mut counts = vec![0; bins];
    for v in values {
        let t = ((v - lo) / (hi - lo) * bins as f64).floor();
        counts[(t.max(0.0) as usize).min(bins - 1)] += 1;
    }
    Histogram { lo, hi, counts }
}

/// Fraction of values within `eps` of either bound of a bounded activation.
pub fn saturation(a: &[f64], (lower, upper): (f64, f64), eps: f64) -> f64 {
    a.iter()
        .filter(|&&v| v - lower <= eps || upper - v <= eps)
        .count() as f64
        / a.len() as f64
}

/// Fraction of values that are exactly zero.
pub fn zero_fraction(a: &[f64]) -> f64 {
    a.iter().filter(|&&v| v == 0.0).count() as f64 / a.len() as f64
}

/// Fraction of the `width` units (columns of row-major `a`) never positive on any row.
pub fn dead_fraction(a: &[f64], width: usize) -> f64 {
    let dead = (0..width)
        .filter(|&u| a.iter().skip(u).step_by(width).all(|&v| v <= 0.0))
        .count();
    dead as f64 / width as f64
}

/// Mean of the activation's derivative at each `z`: the share of gradient the layer passes.
pub fn mean_derivative(activation: Nonlinearity, z: &[f64], a: &[f64]) -> f64 {
    z.iter()
        .zip(a)
        .map(|(&z, &a)| activation.derivative(z, a))
        .sum::<f64>()
        / z.len() as f64
}

/// Euclidean norm.
pub fn norm(values: &[f64]) -> f64 {
    values.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// Pearson correlation of two equally long series.
pub fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let (vx, vy) = (
        x.iter().map(|a| (a - mx).powi(2)).sum::<f64>(),
        y.iter().map(|b| (b - my).powi(2)).sum::<f64>(),
    );
    cov / (vx * vy).sqrt()
}

/// Euclidean distances between every pair of rows (`i < j`) of row-major `rows` of `width`.
pub fn pairwise_distances(rows: &[f64], width: usize) -> Vec<f64> {
    let n = rows.len() / width;
    let row = |i: usize| &rows[i * width..(i + 1) * width];
    (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| norm_diff(row(i), row(j))))
        .collect()
}

fn norm_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// How well a representation keeps the input's geometry: the correlation between the pairwise
/// distances of the probe points in input space and in the representation.
pub fn distance_preservation(input_distances: &[f64], representation: &[f64], width: usize) -> f64 {
    correlation(input_distances, &pairwise_distances(representation, width))
}

/// Distance from `p` to the nearest of `segments`.
pub fn distance_to_segments(p: [f64; 2], segments: &[[(f64, f64); 2]]) -> f64 {
    segments
        .iter()
        .map(|[a, b]| {
            let (dx, dy) = (b.0 - a.0, b.1 - a.1);
            let len2 = dx * dx + dy * dy;
            let t = if len2 > 0.0 {
                (((p[0] - a.0) * dx + (p[1] - a.1) * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            ((p[0] - a.0 - t * dx).powi(2) + (p[1] - a.1 - t * dy).powi(2)).sqrt()
        })
        .fold(f64::INFINITY, f64::min)
}
