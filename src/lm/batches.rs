//! Batches of a token stream: windows of `block_size + 1` tokens at positions drawn from a
//! seeded numpy stream (nanoGPT's `get_batch`, `randint(len(data) - block_size)`), inputs the
//! first `block_size` tokens and targets the same shifted by one.

use burn::tensor::{
    Int, Tensor, TensorData,
    backend::{AutodiffBackend, Backend},
};

use crate::numpy_rng::NumpyRng;

/// One batch: `x` and `y`, `[B, T]` token ids.
pub struct TokenBatch<B: Backend> {
    pub x: Tensor<B, 2, Int>,
    pub y: Tensor<B, 2, Int>,
}

impl<B: AutodiffBackend> TokenBatch<B> {
    /// The batch as the learner takes it: the windows as samples of token ids, `[1, B, T]`
    /// floats (exact: ids stay below 2^24), and the next tokens one-hot over `vocab`,
    /// `[1, B*T, vocab]`, one row per predicted position. Built on the device.
    pub fn samples(&self, vocab: usize) -> (Tensor<B, 3>, Tensor<B::InnerBackend, 3>) {
        let [batch, time] = self.x.dims();
        let rows = batch * time;
        let x = self.x.clone().float().reshape([1, batch, time]); // [1, B, T]
        let y = self
            .y
            .clone()
            .inner()
            .reshape([rows, 1])
            .expand([rows, vocab]); // [B*T, V]
        let classes = Tensor::<B::InnerBackend, 1, Int>::arange(0..vocab as i64, &y.device())
            .reshape([1, vocab])
            .expand([rows, vocab]); // [B*T, V]
        let targets = y.equal(classes).float().reshape([1, rows, vocab]); // [1, B*T, V]
        (x, targets)
    }
}

/// `batch` window starts in `tokens`, each leaving room for `block + 1` tokens.
pub fn draw_starts(rng: &mut NumpyRng, tokens: usize, block: usize, batch: usize) -> Vec<usize> {
    (0..batch)
        .map(|_| rng.randint(0, (tokens - block) as i64) as usize)
        .collect()
}

/// The batch of windows starting at `starts`.
pub fn windows<B: Backend>(
    tokens: &[u32],
    starts: &[usize],
    block: usize,
    device: &B::Device,
) -> TokenBatch<B> {
    let gather = |offset: usize| {
        let ids: Vec<i64> = starts
            .iter()
            .flat_map(|&s| {
                tokens[s + offset..s + offset + block]
                    .iter()
                    .map(|&t| i64::from(t))
            })
            .collect();
        Tensor::from_data(TensorData::new(ids, [starts.len(), block]), device)
    };
    TokenBatch {
        x: gather(0),
        y: gather(1),
    }
}
