//! scikit-learn's `make_moons`, reproduced exactly: two interleaving half circles with noise.

use std::f64::consts::PI;

use super::Dataset;
use crate::numpy_rng::NumpyRng;

/// `numpy.linspace(start, stop, num)` with its endpoint: `i * step + start`, last set to `stop`.
pub fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    if num == 1 {
        return vec![start];
    }
    let step = (stop - start) / (num - 1) as f64;
    let mut values: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
    if let Some(last) = values.last_mut() {
        *last = stop;
    }
    values
}

/// `sklearn.datasets.make_moons(n_samples, shuffle=True, noise, random_state=rng)`.
///
/// Outer moon `(cos t, sin t)` labelled 0 then inner moon `(1 - cos t, 1 - sin t - 0.5)`
/// labelled 1; shuffled with one `shuffle(arange(n))`; then row-major Gaussian noise.
pub fn make_moons(n_samples: usize, noise: f64, rng: &mut NumpyRng) -> Dataset {
    let n_out = n_samples / 2;
    let n_in = n_samples - n_out;
    let outer = linspace(0.0, PI, n_out)
        .into_iter()
        .map(|t| ([t.cos(), t.sin()], 0));
    let inner = linspace(0.0, PI, n_in)
        .into_iter()
        .map(|t| ([1.0 - t.cos(), 1.0 - t.sin() - 0.5], 1));
    let (x, y): (Vec<[f64; 2]>, Vec<u8>) = outer.chain(inner).unzip();
    let ordered = Dataset::planar(x, y);

    let order = rng.permutation(n_samples);
    let mut data = ordered.select(&order);
    for coordinate in data.x.floats_mut() {
        *coordinate += rng.normal(0.0, noise);
    }
    data
}
