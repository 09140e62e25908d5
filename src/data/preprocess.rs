//! scikit-learn's `StandardScaler` and `train_test_split`, with their exact arithmetic.

use super::{Dataset, Split};
use crate::numpy_rng::NumpyRng;

/// `StandardScaler().fit_transform(x)`: per column, subtract the mean and divide by the
/// population std, computed as sklearn's `_incremental_mean_and_var` does (with its
/// correction term); a zero std leaves the column unscaled.
pub fn standardize(x: &mut [[f64; 2]]) {
    let n = x.len() as f64;
    for column in 0..2 {
        let mean = x.iter().map(|p| p[column]).sum::<f64>() / n;
        let correction: f64 = x.iter().map(|p| p[column] - mean).sum();
        let squares: f64 = x.iter().map(|p| (p[column] - mean).powi(2)).sum();
        let variance = (squares - correction * correction / n) / n;
        let scale = variance.sqrt();
        let scale = if scale < 10.0 * f64::EPSILON {
            1.0
        } else {
            scale
        };
        for p in x.iter_mut() {
            p[column] = (p[column] - mean) / scale;
        }
    }
}

/// Number of test points sklearn takes for a float `test_size`: `ceil(test_size * n)`.
pub fn test_count(n: usize, test_fraction: f64) -> usize {
    (test_fraction * n as f64).ceil() as usize
}

/// `train_test_split(x, y, test_size, random_state=seed)`: one `RandomState(seed).permutation(n)`;
/// its first `ceil(test_size * n)` indices are the test set, the rest the train set.
pub fn train_test_split(data: &Dataset, test_fraction: f64, seed: u32) -> Split {
    let order = NumpyRng::new(seed).permutation(data.len());
    let (test, train) = order.split_at(test_count(data.len(), test_fraction));
    Split {
        train: data.select(train),
        test: data.select(test),
    }
}
