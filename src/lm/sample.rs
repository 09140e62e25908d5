//! Text generation from a trained GPT, as nanoGPT's `generate`: the last `block_size` tokens
//! as context, the last position's logits divided by the temperature, all but the `top_k`
//! largest masked, softmax, and one token drawn; the draw uses a seeded numpy stream, so the
//! same seed gives the same text.

use burn::tensor::{Int, Tensor, TensorData, backend::Backend};

use crate::{
    data::text::{TextError, Vocabulary},
    learner::to_host,
    model::gpt::Gpt,
    numpy_rng::NumpyRng,
};

/// How to sample.
#[derive(Clone, Debug, PartialEq)]
pub struct Sampling {
    pub prompt: String,
    pub tokens: usize,
    pub temperature: f64,
    pub top_k: usize,
    pub seed: u64,
}

/// The prompt followed by `tokens` generated tokens, as text.
pub fn generate<B: Backend>(
    model: &Gpt<B>,
    vocabulary: &Vocabulary,
    sampling: &Sampling,
    device: &B::Device,
) -> Result<String, TextError> {
    let mut ids = vocabulary.encode(&sampling.prompt)?;
    if ids.is_empty() {
        return Err(TextError::EmptyPrompt);
    }
    let mut rng = NumpyRng::new((sampling.seed ^ (sampling.seed >> 32)) as u32);
    let block = model.config.block_size;
    for _ in 0..sampling.tokens {
        let context = &ids[ids.len().saturating_sub(block)..];
        let time = context.len();
        let x: Vec<i64> = context.iter().map(|&t| i64::from(t)).collect();
        let x = Tensor::<B, 2, Int>::from_data(TensorData::new(x, [1, time]), device);
        let logits = model.forward(x); // [1, T, V]
        let vocab = logits.dims()[2];
        let last = to_host(logits.slice([0..1, time - 1..time, 0..vocab]));
        if last.iter().any(|l| !l.is_finite()) {
            return Err(TextError::NotFinite);
        }
        ids.push(draw(&last, sampling.temperature, sampling.top_k, &mut rng) as u32);
    }
    Ok(vocabulary.decode(&ids))
}

/// One token from `logits` at `temperature`, among the `top_k` most likely.
pub fn draw(logits: &[f64], temperature: f64, top_k: usize, rng: &mut NumpyRng) -> usize {
    let scaled: Vec<f64> = logits.iter().map(|l| l / temperature).collect();
    let mut sorted = scaled.clone();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let threshold = sorted[top_k.min(sorted.len()) - 1];
    let max = sorted[0];
    let weights: Vec<f64> = scaled
        .iter()
        .map(|&l| if l < threshold { 0.0 } else { (l - max).exp() })
        .collect();
    let total: f64 = weights.iter().sum();
    let mut u = rng.uniform() * total;
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    weights.iter().rposition(|&w| w > 0.0).unwrap_or(0)
}
