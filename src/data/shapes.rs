//! The other two-class toy sets: circles (scikit-learn's `make_circles`), XOR, blobs, spirals.
//!
//! Every generator draws from numpy's legacy stream: `circles` reproduces scikit-learn exactly;
//! the others are actlab's own, defined here.

use std::f64::consts::PI;

use super::Dataset;
use crate::numpy_rng::NumpyRng;

/// `numpy.linspace(start, stop, num, endpoint=False)`.
fn linspace_open(start: f64, stop: f64, num: usize) -> Vec<f64> {
    let step = (stop - start) / num as f64;
    (0..num).map(|i| i as f64 * step + start).collect()
}

/// Shuffles the points with one `permutation(n)`, then adds Gaussian noise row-major, as
/// scikit-learn's generators do.
fn shuffle_and_noise(ordered: Dataset, noise: f64, rng: &mut NumpyRng) -> Dataset {
    let order = rng.permutation(ordered.len());
    let mut data = ordered.select(&order);
    for c in data.x.floats_mut() {
        *c += rng.normal(0.0, noise);
    }
    data
}

/// `sklearn.datasets.make_circles(n_samples, shuffle=True, noise, random_state, factor=0.5)`:
/// an outer circle (class 0) around an inner one of half the radius (class 1).
pub fn make_circles(n_samples: usize, noise: f64, rng: &mut NumpyRng) -> Dataset {
    const FACTOR: f64 = 0.5;
    let n_out = n_samples / 2;
    let n_in = n_samples - n_out;
    let outer = linspace_open(0.0, 2.0 * PI, n_out)
        .into_iter()
        .map(|t| ([t.cos(), t.sin()], 0));
    let inner = linspace_open(0.0, 2.0 * PI, n_in)
        .into_iter()
        .map(|t| ([t.cos() * FACTOR, t.sin() * FACTOR], 1));
    let (x, y) = outer.chain(inner).unzip();
    shuffle_and_noise(Dataset::planar(x, y), noise, rng)
}

/// XOR: points uniform in `[-1, 1]^2`, class 1 where the coordinates' signs differ; then noise.
pub fn make_xor(n_samples: usize, noise: f64, rng: &mut NumpyRng) -> Dataset {
    let (points, y): (Vec<[f64; 2]>, Vec<u8>) = (0..n_samples)
        .map(|_| {
            let p = [rng.uniform() * 2.0 - 1.0, rng.uniform() * 2.0 - 1.0];
            (p, u8::from((p[0] > 0.0) != (p[1] > 0.0)))
        })
        .unzip();
    let mut data = Dataset::planar(points, y);
    for c in data.x.floats_mut() {
        *c += rng.normal(0.0, noise);
    }
    data
}

/// Two Gaussian blobs of std `noise` centred at (-1, -1) (class 0) and (1, 1) (class 1): a
/// linearly separable control when `noise` is small.
pub fn make_blobs(n_samples: usize, noise: f64, rng: &mut NumpyRng) -> Dataset {
    let n0 = n_samples / 2;
    let centres = (0..n_samples).map(|i| {
        if i < n0 {
            ([-1.0, -1.0], 0)
        } else {
            ([1.0, 1.0], 1)
        }
    });
    let (x, y) = centres.unzip();
    shuffle_and_noise(Dataset::planar(x, y), noise, rng)
}

/// Two interleaved spirals of 1.5 turns, class 1 the point reflection of class 0; then noise.
pub fn make_spirals(n_samples: usize, noise: f64, rng: &mut NumpyRng) -> Dataset {
    let n0 = n_samples / 2;
    let arm = |count: usize, class: u8| {
        let sign = if class == 0 { 1.0 } else { -1.0 };
        (0..count).map(move |i| {
            let s = if count > 1 {
                i as f64 / (count - 1) as f64
            } else {
                0.0
            };
            let t = (0.15 + 0.85 * s) * 3.0 * PI;
            let r = t / (3.0 * PI);
            ([sign * r * t.cos(), sign * r * t.sin()], class)
        })
    };
    let (x, y) = arm(n0, 0).chain(arm(n_samples - n0, 1)).unzip();
    shuffle_and_noise(Dataset::planar(x, y), noise, rng)
}
