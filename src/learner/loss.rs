//! The article's loss: binary cross-entropy on the sigmoid output, with its exact gradient.

use burn::tensor::{Tensor, backend::Backend};

/// The epsilon inside both logarithms, as in the article.
pub const EPS: f64 = 1e-9;

/// `-mean(y log(p + eps) + (1 - y) log(1 - p + eps))` per member: `[K, n, 1] -> [K]`.
pub fn bce_per_member<B: Backend>(prob: Tensor<B, 3>, y: Tensor<B, 3>) -> Tensor<B, 1> {
    let [k, n, _] = prob.dims();
    let positive = y.clone() * prob.clone().add_scalar(EPS).log(); // [K, n, 1]
    let negative = y.neg().add_scalar(1.0) * prob.neg().add_scalar(1.0).add_scalar(EPS).log(); // [K, n, 1]
    (positive + negative)
        .sum_dim(1)
        .reshape([k])
        .div_scalar(n as f64)
        .neg() // [K]
}

/// The gradient of the mean loss with respect to the output logit: `(p - y) / n`, `[K, n, 1]`.
pub fn logit_gradient<B: Backend>(prob: Tensor<B, 3>, y: Tensor<B, 3>) -> Tensor<B, 3> {
    let n = prob.dims()[1];
    (prob - y).div_scalar(n as f64)
}
