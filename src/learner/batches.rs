//! Mini-batches and evaluation chunks, gathered from each member's data set and data order.

use std::ops::Range;

use burn::tensor::{
    Element, Tensor, TensorData,
    backend::{AutodiffBackend, Backend},
};

use super::Objective;
use crate::data::Dataset;

/// One mini-batch for all `K` members.
pub struct Batch<B: AutodiffBackend> {
    /// `[K, n, features]`
    pub x: Tensor<B, 3>,
    /// `[K, n, outputs]`: the label, or one-hot classes.
    pub y: Tensor<B::InnerBackend, 3>,
}

/// Member `k`'s rows `rows[k]` of its data set `data[k]`, stacked as `[K, n, features]` and
/// `[K, n, outputs]` in the element type `E` (the backend's: converted here, as
/// `TensorData::convert` would, rather than in a second copy of the batch).
pub fn gather<E: Element>(
    data: &[&Dataset],
    rows: &[&[usize]],
    outputs: usize,
) -> (TensorData, TensorData) {
    let (k, n, features) = (rows.len(), rows[0].len(), data[0].features);
    // Sized once: a batch of images is hundreds of thousands of values, and growing the vector
    // as it fills would copy it again and again.
    let mut x: Vec<E> = Vec::with_capacity(k * n * features);
    let mut y: Vec<E> = Vec::with_capacity(k * n * outputs);
    for (r, d) in rows.iter().zip(data) {
        for &i in r.iter() {
            d.extend_row(i, &mut x, E::from_elem);
            y.extend(Objective::target(outputs, d.y[i]).map(E::from_elem));
        }
    }
    (
        TensorData::new(x, [k, n, features]),
        TensorData::new(y, [k, n, outputs]),
    )
}

/// The batches of one epoch: member `k` reads `orders[k]` of `data[k]` in consecutive slices
/// of `batch_size` (the last one shorter). The sets must have the same size.
pub fn batch_ranges(rows: usize, batch_size: usize) -> impl Iterator<Item = Range<usize>> {
    (0..rows)
        .step_by(batch_size)
        .map(move |start| start..(start + batch_size).min(rows))
}

/// Batch `range` of the epoch's orders as tensors on `device`.
pub fn batch<B: AutodiffBackend>(
    data: &[&Dataset],
    orders: &[Vec<usize>],
    range: Range<usize>,
    outputs: usize,
    device: &B::Device,
) -> Batch<B> {
    let slices: Vec<&[usize]> = orders.iter().map(|o| &o[range.clone()]).collect();
    let (x, y) = gather::<B::FloatElem>(data, &slices, outputs);
    Batch {
        x: Tensor::from_data(x, device),
        y: Tensor::from_data(y, device),
    }
}

/// Values a chunk of evaluation rows may hold across all members, so that evaluating a large
/// data set never needs the whole set (times `K`) on the device at once.
const CHUNK_VALUES: usize = 1 << 23;

/// Rows of evaluation per chunk for `members` members whose widest layer is `width` values.
pub fn chunk_rows(members: usize, width: usize) -> usize {
    (CHUNK_VALUES / (members * width).max(1)).max(1)
}

/// Evaluation inputs and targets, all members at once, in chunks of rows; kept on the device
/// when they are small, gathered anew at each evaluation when they are not.
pub struct EvalSet<B: Backend> {
    chunks: Vec<Range<usize>>,
    cached: Option<Vec<(Tensor<B, 3>, Tensor<B, 3>)>>,
    outputs: usize,
}

impl<B: Backend> EvalSet<B> {
    /// Member `k` is evaluated on `data[k]`; the sets must have the same size.
    pub fn new(data: &[&Dataset], outputs: usize, width: usize, device: &B::Device) -> Self {
        let rows = data[0].len();
        let per_chunk = chunk_rows(data.len(), width.max(data[0].features));
        let chunks: Vec<Range<usize>> = batch_ranges(rows, per_chunk).collect();
        let mut set = Self {
            chunks,
            cached: None,
            outputs,
        };
        if set.chunks.len() == 1 {
            set.cached = Some(set.tensors(data, device).collect());
        }
        set
    }

    /// Every chunk as `(x [K, rows, features], y [K, rows, outputs])`.
    pub fn tensors<'a>(
        &'a self,
        data: &'a [&'a Dataset],
        device: &'a B::Device,
    ) -> Box<dyn Iterator<Item = (Tensor<B, 3>, Tensor<B, 3>)> + 'a> {
        if let Some(cached) = &self.cached {
            return Box::new(cached.iter().cloned());
        }
        Box::new(self.chunks.iter().map(move |range| {
            let rows: Vec<usize> = range.clone().collect();
            let slices = vec![rows.as_slice(); data.len()];
            let (x, y) = gather::<B::FloatElem>(data, &slices, self.outputs);
            (Tensor::from_data(x, device), Tensor::from_data(y, device))
        }))
    }
}
