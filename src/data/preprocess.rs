//! scikit-learn's `StandardScaler` and `train_test_split`, with their exact arithmetic.

use super::Dataset;
use crate::numpy_rng::NumpyRng;

/// The mean and scale `StandardScaler` fits to one column of `data`: the population std
/// computed as sklearn's `_incremental_mean_and_var` does (with its correction term); a zero
/// std gives a scale of 1, leaving the column unscaled.
fn fit_column(data: &Dataset, column: usize) -> (f64, f64) {
    let (n, features) = (data.len() as f64, data.features);
    let values = || data.x.column(column, features);
    let mean = values().sum::<f64>() / n;
    let correction: f64 = values().map(|v| v - mean).sum();
    let squares: f64 = values().map(|v| (v - mean).powi(2)).sum();
    let variance = (squares - correction * correction / n) / n;
    let scale = variance.sqrt();
    (
        mean,
        if scale < 10.0 * f64::EPSILON {
            1.0
        } else {
            scale
        },
    )
}

fn transform_column(data: &mut Dataset, column: usize, (mean, scale): (f64, f64)) {
    let features = data.features;
    data.x.map_column(column, features, |v| (v - mean) / scale);
}

/// `StandardScaler().fit_transform(x)`: per column, subtract the mean and divide by the
/// population std.
pub fn standardize(data: &mut Dataset) {
    for column in 0..data.features {
        let fitted = fit_column(data, column);
        transform_column(data, column, fitted);
    }
}

/// `StandardScaler().fit(train)` applied to both sets: the training set's per-feature mean and
/// population std scale the test set too.
pub fn standardize_with_train(train: &mut Dataset, test: &mut Dataset) {
    for column in 0..train.features {
        let fitted = fit_column(train, column);
        transform_column(train, column, fitted);
        transform_column(test, column, fitted);
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
