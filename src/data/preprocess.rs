//! scikit-learn's `StandardScaler` and `train_test_split`, with their exact arithmetic.

use super::Dataset;
use crate::numpy_rng::NumpyRng;

/// `StandardScaler().fit_transform(x)`: per column, subtract the mean and divide by the
/// population std, computed as sklearn's `_incremental_mean_and_var` does (with its
/// correction term); a zero std leaves the column unscaled.
pub fn standardize(data: &mut Dataset) {
    let (n, features) = (data.len() as f64, data.features);
    for column in 0..features {
        let values = || data.x.iter().skip(column).step_by(features);
        let mean = values().sum::<f64>() / n;
        let correction: f64 = values().map(|v| v - mean).sum();
        let squares: f64 = values().map(|v| (v - mean).powi(2)).sum();
        let variance = (squares - correction * correction / n) / n;
        let scale = variance.sqrt();
        let scale = if scale < 10.0 * f64::EPSILON {
            1.0
        } else {
            scale
        };
        for v in data.x.iter_mut().skip(column).step_by(features) {
            *v = (*v - mean) / scale;
        }
    }
}

/// `StandardScaler().fit(train)` applied to both sets: the training set's per-feature mean and
/// population std (as [`standardize`] computes them) scale the test set too.
pub fn standardize_with_train(train: &mut Dataset, test: &mut Dataset) {
    let (n, features) = (train.len() as f64, train.features);
    for column in 0..features {
        let values = || train.x.iter().skip(column).step_by(features);
        let mean = values().sum::<f64>() / n;
        let correction: f64 = values().map(|v| v - mean).sum();
        let squares: f64 = values().map(|v| (v - mean).powi(2)).sum();
        let variance = (squares - correction * correction / n) / n;
        let scale = variance.sqrt();
        let scale = if scale < 10.0 * f64::EPSILON {
            1.0
        } else {
            scale
        };
        for set in [&mut *train, &mut *test] {
            for v in set.x.iter_mut().skip(column).step_by(features) {
                *v = (*v - mean) / scale;
            }
        }
    }
}

/// Number of test points sklearn takes for a float `test_size`: `ceil(test_size * n)`.
pub fn test_count(n: usize, test_fraction: f64) -> usize {
    (test_fraction * n as f64).ceil() as usize
}

/// `train_test_split(x, y, test_size, random_state=seed)`: one `RandomState(seed).permutation(n)`;
/// its first `ceil(test_size * n)` indices are the test set, the rest the train set.
/// Returns `(train, test)`.
pub fn train_test_split(data: &Dataset, test_fraction: f64, seed: u32) -> (Dataset, Dataset) {
    let order = NumpyRng::new(seed).permutation(data.len());
    let (test, train) = order.split_at(test_count(data.len(), test_fraction));
    (data.select(train), data.select(test))
}
