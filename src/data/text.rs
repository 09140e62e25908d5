//! Text for language models: a corpus (Tiny Shakespeare built in, or any file), its tokens
//! (the sorted distinct characters, as nanoGPT's `shakespeare_char`, or the 256 byte values),
//! its SHA-256, and the split into the first 90% for training and the last 10% for validation.

use std::{io::Read as _, path::PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Tiny Shakespeare (1,115,394 bytes; `data/README.md` says where it comes from), gzipped.
pub const TINY_SHAKESPEARE_GZ: &[u8] = include_bytes!("../../data/tinyshakespeare.txt.gz");

/// The fraction of tokens, from the start, that the training split takes.
pub const TRAIN_FRACTION: f64 = 0.9;

/// How text becomes tokens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tokens {
    /// One token per distinct character of the corpus, in sorted order; the file must be UTF-8.
    #[default]
    Chars,
    /// One token per byte: a vocabulary of 256, any file.
    Bytes,
}

/// The tokens' meaning: the character (or byte) each token id stands for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vocabulary {
    pub tokens: Tokens,
    /// `chars`: the characters in token order; empty for `bytes`.
    pub chars: Vec<char>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TextError {
    #[error("data.path = \"{path}\": cannot read the file: {message}")]
    Read { path: String, message: String },
    #[error("data.path = \"{path}\" is empty; a language model needs text to train on")]
    Empty { path: String },
    #[error(
        "data.path = \"{path}\" is not UTF-8 (invalid byte at offset {offset}); use data.tokens = \"bytes\" for files that are not text"
    )]
    NotUtf8 { path: String, offset: usize },
    #[error("prompt character {0:?} is not in the vocabulary of this corpus")]
    UnknownChar(char),
    #[error("the prompt is empty; give at least one character (nanoGPT starts from \"\\n\")")]
    EmptyPrompt,
    #[error("the built-in Tiny Shakespeare copy could not be unpacked: {0}")]
    Builtin(String),
    #[error(
        "the model's next-token scores are not finite: this job diverged in training, so there is nothing to sample"
    )]
    NotFinite,
}

/// A tokenized corpus and where it came from.
#[derive(Clone, Debug)]
pub struct Corpus {
    /// `tiny-shakespeare` or the file's path.
    pub source: String,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub sha256: String,
    pub bytes: usize,
    pub vocabulary: Vocabulary,
    /// Every token, in order.
    pub ids: Vec<u32>,
}

impl Corpus {
    /// Tiny Shakespeare, from the copy built into the binary.
    pub fn tiny_shakespeare(tokens: Tokens) -> Result<Self, TextError> {
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(TINY_SHAKESPEARE_GZ)
            .read_to_end(&mut text)
            .map_err(|e| TextError::Builtin(e.to_string()))?;
        Self::from_bytes("tiny-shakespeare", &text, tokens)
    }

    /// A file's text.
    pub fn read(path: &PathBuf, tokens: Tokens) -> Result<Self, TextError> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| TextError::Read {
            path: name.clone(),
            message: e.to_string(),
        })?;
        Self::from_bytes(&name, &bytes, tokens)
    }

    /// Tokenizes `bytes` (from `source`).
    pub fn from_bytes(source: &str, bytes: &[u8], tokens: Tokens) -> Result<Self, TextError> {
        if bytes.is_empty() {
            return Err(TextError::Empty {
                path: source.into(),
            });
        }
        let sha256 = Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let (vocabulary, ids) = match tokens {
            Tokens::Bytes => (
                Vocabulary {
                    tokens,
                    chars: Vec::new(),
                },
                bytes.iter().map(|&b| u32::from(b)).collect(),
            ),
            Tokens::Chars => {
                let text = std::str::from_utf8(bytes).map_err(|e| TextError::NotUtf8 {
                    path: source.into(),
                    offset: e.valid_up_to(),
                })?;
                let mut chars: Vec<char> = text.chars().collect();
                chars.sort_unstable();
                chars.dedup();
                let vocabulary = Vocabulary { tokens, chars };
                let ids = text
                    .chars()
                    .map(|c| {
                        vocabulary
                            .id(c)
                            .expect("every character is in the vocabulary")
                    })
                    .collect();
                (vocabulary, ids)
            }
        };
        Ok(Self {
            source: source.into(),
            sha256,
            bytes: bytes.len(),
            vocabulary,
            ids,
        })
    }

    /// The training tokens (the first 90%) and the validation tokens (the rest).
    pub fn split(&self) -> (&[u32], &[u32]) {
        let n = (self.ids.len() as f64 * TRAIN_FRACTION) as usize;
        self.ids.split_at(n)
    }

    /// The entropy of the corpus' unigram token distribution, in nats: the loss of a model
    /// that knows each token's frequency and nothing else.
    pub fn unigram_entropy(&self) -> f64 {
        let mut counts = vec![0usize; self.vocabulary.size()];
        for &id in &self.ids {
            counts[id as usize] += 1;
        }
        let n = self.ids.len() as f64;
        counts
            .iter()
            .filter(|&&c| c > 0)
            .map(|&c| {
                let p = c as f64 / n;
                -p * p.ln()
            })
            .sum()
    }
}

impl Vocabulary {
    pub fn size(&self) -> usize {
        match self.tokens {
            Tokens::Bytes => 256,
            Tokens::Chars => self.chars.len(),
        }
    }

    fn id(&self, c: char) -> Option<u32> {
        self.chars.binary_search(&c).ok().map(|i| i as u32)
    }

    /// The token ids of `text`; a character outside the vocabulary is an error naming it.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, TextError> {
        match self.tokens {
            Tokens::Bytes => Ok(text.bytes().map(u32::from).collect()),
            Tokens::Chars => text
                .chars()
                .map(|c| self.id(c).ok_or(TextError::UnknownChar(c)))
                .collect(),
        }
    }

    /// The text of `ids` (bytes that are not UTF-8 shown as U+FFFD).
    pub fn decode(&self, ids: &[u32]) -> String {
        match self.tokens {
            Tokens::Bytes => {
                let bytes: Vec<u8> = ids.iter().map(|&i| i as u8).collect();
                String::from_utf8_lossy(&bytes).into_owned()
            }
            Tokens::Chars => ids.iter().map(|&i| self.chars[i as usize]).collect(),
        }
    }
}
