//! The `gpt` family: a decoder-only transformer after nanoGPT's `model.py` (Karpathy), pre-norm
//! blocks of causal self-attention then a feed-forward unit, a final norm and a language-model
//! head (tied to the token embedding or not).
//!
//! Config -> init -> forward: [`GptConfig`] is the resolved shape (saved beside every
//! checkpoint), [`Gpt::init`] draws GPT-2's initialisation from numpy's legacy stream (normal
//! 0.02, residual projections 0.02 / sqrt(2 n_layer), zero biases) so that a Python reference
//! can draw the same weights, and [`Gpt::forward_observed`] is the pure forward pass with the
//! feed-forward's `z` and `a` shown to an explicit observer.
//!
//! Burn's `Embedding`, `LayerNorm`, `Linear`, `Dropout`, `RotaryEncoding` and fused `attention`
//! are used as they are; the block is written here because Burn 0.21's
//! `PositionWiseFeedForward` has no observable pre-activation and its SwiGLU parameters are
//! skipped by its record (neither saved nor trained).

mod family;
mod layers;
mod unit;

pub use layers::{Attention, BlockNorm, FeedForward, NORM_EPS, NormChoice, RmsNorm};
pub use unit::FeedForwardUnit;

use burn::{
    module::{Module, Param},
    nn::{Dropout, DropoutConfig, Embedding, RotaryEncoding, RotaryEncodingConfig},
    tensor::{Int, Tensor, TensorData, backend::Backend},
};
use serde::{Deserialize, Serialize};

use super::LayerObserver;
use crate::{numpy_rng::NumpyRng, product};

/// How positions are encoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Position {
    /// A learned `[block_size, C]` table added to the token embedding (GPT-2).
    #[default]
    Learned,
    /// Rotary encoding of queries and keys in every head (Su et al. 2021), theta 10000.
    Rotary,
}

/// The resolved shape of one GPT: everything needed to rebuild it from its weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GptConfig {
    pub vocab: usize,
    pub block_size: usize,
    pub n_layer: usize,
    pub n_head: usize,
    pub n_embd: usize,
    /// The feed-forward hidden width.
    pub hidden: usize,
    pub unit: FeedForwardUnit,
    pub dropout: f64,
    pub bias: bool,
    pub tie_embeddings: bool,
    pub norm: NormChoice,
    pub position: Position,
}

impl GptConfig {
    /// The number of trainable parameters (a tied head counted once).
    pub fn parameters(&self) -> usize {
        let (c, h, l) = (self.n_embd, self.hidden, self.n_layer);
        let b = usize::from(self.bias);
        let norm = c * (1 + usize::from(self.bias && self.norm == NormChoice::Layer));
        let matrices = if self.unit.is_gated() { 3 } else { 2 };
        let ffn = matrices * c * h + b * (h * (matrices - 1) + c);
        let attention = 3 * c * c + 3 * c * b + c * c + c * b;
        let position = if self.position == Position::Learned {
            self.block_size * c
        } else {
            0
        };
        let head = if self.tie_embeddings {
            0
        } else {
            c * self.vocab
        };
        self.vocab * c + position + l * (2 * norm + attention + ffn) + norm + head
    }

    /// Floats held by one training step's activations for a batch, a rough upper bound used
    /// to refuse models too large for memory before anything is allocated.
    pub fn activation_floats(&self, batch: usize) -> usize {
        let (t, c, h) = (self.block_size, self.n_embd, self.hidden);
        let per_block = t * (12 * c + 3 * h) + 3 * self.n_head * t * t;
        batch * (self.n_layer * per_block + 2 * t * self.vocab + t * c)
    }
}

/// One pre-norm block: `h + attn(norm1(h))`, then `h + ffn(norm2(h))`.
#[derive(Module, Debug)]
pub struct Block<B: Backend> {
    pub norm1: BlockNorm<B>,
    pub attn: Attention<B>,
    pub norm2: BlockNorm<B>,
    pub ffn: FeedForward<B>,
}

#[derive(Module, Debug)]
pub struct Gpt<B: Backend> {
    /// `[vocab, C]`
    pub wte: Embedding<B>,
    /// `[block_size, C]`, learned positions only.
    pub wpe: Option<Embedding<B>>,
    pub blocks: Vec<Block<B>>,
    pub norm_f: BlockNorm<B>,
    /// `[C, vocab]`, an untied head only.
    pub head: Option<Param<Tensor<B, 2>>>,
    pub dropout: Dropout,
    #[module(skip)]
    pub config: GptConfig,
}

/// `count` draws of `normal(0, std)` from numpy's legacy stream.
fn normal(rng: &mut NumpyRng, count: usize, std: f64) -> Vec<f64> {
    (0..count).map(|_| rng.normal(0.0, std)).collect()
}

impl<B: Backend> Gpt<B> {
    /// GPT-2's initialisation drawn from `np.random.seed(seed)`'s stream: the token embedding,
    /// the position table, then each block's attention and feed-forward matrices, then an
    /// untied head, each `normal(0, std, size=shape)` row-major.
    pub fn init(config: &GptConfig, seed: u32, device: &B::Device) -> Self {
        let c = &config;
        let (e, h) = (c.n_embd, c.hidden);
        let mut rng = NumpyRng::new(seed);
        let std = 0.02;
        let residual = std / (2.0 * c.n_layer as f64).sqrt();
        let table = |values: Vec<f64>, rows: usize| Embedding {
            weight: Param::from_tensor(Tensor::from_data(
                TensorData::new(values, [rows, e]),
                device,
            )),
        };
        let wte = table(normal(&mut rng, c.vocab * e, std), c.vocab);
        let wpe = (c.position == Position::Learned)
            .then(|| table(normal(&mut rng, c.block_size * e, std), c.block_size));
        let blocks = (0..c.n_layer)
            .map(|_| {
                let qkv =
                    layers::linear(normal(&mut rng, e * 3 * e, std), [e, 3 * e], c.bias, device);
                let proj =
                    layers::linear(normal(&mut rng, e * e, residual), [e, e], c.bias, device);
                let fc = layers::linear(normal(&mut rng, e * h, std), [e, h], c.bias, device);
                let value = c
                    .unit
                    .is_gated()
                    .then(|| layers::linear(normal(&mut rng, e * h, std), [e, h], c.bias, device));
                let out = layers::linear(normal(&mut rng, h * e, residual), [h, e], c.bias, device);
                Block {
                    norm1: BlockNorm::new(c.norm, e, c.bias, device),
                    attn: Attention {
                        qkv,
                        proj,
                        heads: c.n_head,
                    },
                    norm2: BlockNorm::new(c.norm, e, c.bias, device),
                    ffn: FeedForward {
                        fc,
                        value,
                        proj: out,
                        unit: c.unit,
                    },
                }
            })
            .collect();
        let head = (!c.tie_embeddings).then(|| {
            Param::from_tensor(Tensor::from_data(
                TensorData::new(normal(&mut rng, e * c.vocab, std), [e, c.vocab]),
                device,
            ))
        });
        Self {
            wte,
            wpe,
            blocks,
            norm_f: BlockNorm::new(c.norm, e, c.bias, device),
            head,
            dropout: DropoutConfig::new(c.dropout).init(),
            config: config.clone(),
        }
    }

    /// The rotary tables for `time` positions (built per pass: they are not parameters, and
    /// a skipped module field could not follow the model between backends).
    fn rotary(&self, time: usize, device: &B::Device) -> Option<RotaryEncoding<B>> {
        let c = &self.config;
        (c.position == Position::Rotary)
            .then(|| RotaryEncodingConfig::new(time, c.n_embd / c.n_head).init(device))
    }

    /// Logits `[B, T, vocab]` for tokens `[B, T]` (T at most `block_size`), block `l`'s
    /// feed-forward shown to `observer` as layer `l`.
    pub fn forward_observed(
        &self,
        tokens: Tensor<B, 2, Int>,
        observer: &mut impl LayerObserver<B>,
    ) -> Tensor<B, 3> {
        let [batch, time] = tokens.dims();
        let device = tokens.device();
        let mut h = self.wte.forward(tokens); // [B, T, C]
        if let Some(wpe) = &self.wpe {
            let positions = Tensor::<B, 1, Int>::arange(0..time as i64, &device).reshape([1, time]); // [1, T]
            h = h + wpe.forward(positions); // [B, T, C]
        }
        h = self.dropout.forward(h);
        let rotary = self.rotary(time, &device);
        let rotary = rotary.as_ref();
        let width = self.config.n_embd;
        for (l, block) in self.blocks.iter().enumerate() {
            if observer.observes() {
                observer.residual(l, &h.clone().reshape([1, batch * time, width]));
            }
            let attended = block.attn.forward(block.norm1.forward(h.clone()), rotary);
            h = h + self.dropout.forward(attended); // [B, T, C]
            let fed = block
                .ffn
                .forward(block.norm2.forward(h.clone()), l, observer);
            h = h + self.dropout.forward(fed); // [B, T, C]
        }
        if observer.observes() {
            observer.residual(
                self.blocks.len(),
                &h.clone().reshape([1, batch * time, width]),
            );
        }
        let h = self.norm_f.forward(h); // [B, T, C]
        let head = match &self.head {
            Some(head) => head.val(),
            None => self.wte.weight.val().transpose(), // [C, vocab]
        };
        product::rows(h, head) // [B, T, vocab]
    }

    /// A plain forward pass.
    pub fn forward(&self, tokens: Tensor<B, 2, Int>) -> Tensor<B, 3> {
        self.forward_observed(tokens, &mut ())
    }

    /// Block `layer`'s attention probabilities for its input stream `h` (`[B, T, C]`), one
    /// `[B, H, T, T]` map per head, for probes.
    pub fn attention_probabilities(&self, layer: usize, h: Tensor<B, 3>) -> Tensor<B, 4> {
        let block = &self.blocks[layer];
        let rotary = self.rotary(h.dims()[1], &h.device());
        block
            .attn
            .probabilities(block.norm1.forward(h), rotary.as_ref())
    }

    /// The model after loading weights: its config, which is not a parameter, set again.
    pub fn with_config(mut self, config: &GptConfig) -> Self {
        self.config = config.clone();
        self
    }
}
