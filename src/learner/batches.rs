//! Mini-batches for an epoch, gathered once from each member's data set and data order.

use burn::tensor::{
    Tensor, TensorData,
    backend::{AutodiffBackend, Backend},
};

use crate::data::Dataset;

/// One mini-batch for all `K` members.
pub struct Batch<B: AutodiffBackend> {
    /// `[K, n, 2]`
    pub x: Tensor<B, 3>,
    /// `[K, n, 1]`, 0 or 1.
    pub y: Tensor<B::InnerBackend, 3>,
}

/// A whole data set, the same for all `K` members, for evaluation.
pub struct EvalSet<B: Backend> {
    /// `[K, n, 2]`
    pub x: Tensor<B, 3>,
    /// `[K, n, 1]`
    pub y: Tensor<B, 3>,
}

/// Member `k`'s rows `orders[k]` of its data set `data[k]`, stacked as `[K, n, 2]` and `[K, n, 1]`.
fn gather(data: &[&Dataset], orders: &[&[usize]]) -> (TensorData, TensorData) {
    let (k, n) = (orders.len(), orders[0].len());
    let x: Vec<f64> = orders
        .iter()
        .zip(data)
        .flat_map(|(o, d)| o.iter().flat_map(|&i| d.x[i]))
        .collect();
    let y: Vec<f64> = orders
        .iter()
        .zip(data)
        .flat_map(|(o, d)| o.iter().map(|&i| f64::from(d.y[i])))
        .collect();
    (TensorData::new(x, [k, n, 2]), TensorData::new(y, [k, n, 1]))
}

/// Splits each member's permutation of its data set into consecutive batches of `batch_size`
/// (the last one shorter), member `k` reading `orders[k]` of `data[k]`. The sets must have the
/// same size.
pub fn batches_for_epoch<B: AutodiffBackend>(
    data: &[&Dataset],
    orders: &[Vec<usize>],
    batch_size: usize,
    device: &B::Device,
) -> Vec<Batch<B>> {
    let rows = data[0].len();
    (0..rows)
        .step_by(batch_size)
        .map(|start| {
            let end = (start + batch_size).min(rows);
            let slices: Vec<&[usize]> = orders.iter().map(|o| &o[start..end]).collect();
            let (x, y) = gather(data, &slices);
            Batch {
                x: Tensor::from_data(x, device),
                y: Tensor::from_data(y, device),
            }
        })
        .collect()
}

impl<B: Backend> EvalSet<B> {
    /// `data` repeated for `members` members.
    pub fn new(data: &Dataset, members: usize, device: &B::Device) -> Self {
        Self::per_member(&vec![data; members], device)
    }

    /// Member `k` evaluated on `data[k]`; the sets must have the same size.
    pub fn per_member(data: &[&Dataset], device: &B::Device) -> Self {
        let all: Vec<usize> = (0..data[0].len()).collect();
        let (x, y) = gather(data, &vec![all.as_slice(); data.len()]);
        Self {
            x: Tensor::from_data(x, device),
            y: Tensor::from_data(y, device),
        }
    }
}
