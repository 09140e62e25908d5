//! Data sets and their preprocessing: the two-class sets in the plane (generated bit for bit as
//! numpy and scikit-learn do), MNIST-1D (generated bit for bit as its reference package does),
//! scikit-learn's digits, and MNIST / Fashion-MNIST from IDX files.

mod config;
pub mod digits;
pub mod idx;
pub mod idx_sets;
pub mod locate;
pub mod mnist1d;
pub mod moons;
pub mod ndimage;
pub mod numpy_ops;
pub mod preprocess;
pub mod samples;
pub mod shapes;
mod subset;
pub mod text;
pub mod values;

pub use config::{DataConfig, DataError, DataKind, Scaling};
pub use subset::stratified;
pub use values::{Bytes, Values};

use std::{borrow::Cow, ops::Range};

/// Labelled samples of `features` values each.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dataset {
    /// Row-major `[n, features]`: sample `i` is values `i * features..(i + 1) * features`.
    pub x: Values,
    /// Class index of each sample.
    pub y: Vec<u8>,
    pub features: usize,
}

/// A train/test split of one data set, with the shape of one sample and the number of classes.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    pub train: Dataset,
    pub test: Dataset,
    /// One sample's shape: `[features]`, `[channels, length]` or `[channels, height, width]`.
    pub shape: Vec<usize>,
    pub classes: usize,
}

impl Split {
    /// Values per sample.
    pub fn features(&self) -> usize {
        self.train.features
    }

    /// Whether samples are points in the plane (the article's figures apply).
    pub fn is_planar(&self) -> bool {
        self.features() == 2
    }

    /// The first value that is not finite, as `(set, sample, feature)`.
    pub fn first_non_finite(&self) -> Option<(&'static str, usize, usize)> {
        [("train", &self.train), ("test", &self.test)]
            .into_iter()
            .find_map(|(name, set)| {
                let i = set.x.first_non_finite(set.features)?;
                Some((name, i / set.features, i % set.features))
            })
    }
}

impl Dataset {
    /// Points in the plane.
    pub fn planar(points: Vec<[f64; 2]>, y: Vec<u8>) -> Self {
        Self {
            x: Values::Floats(points.into_iter().flatten().collect()),
            y,
            features: 2,
        }
    }

    /// A loader's samples, `features` values each.
    pub fn from_samples(samples: samples::Samples, features: usize) -> Self {
        Self {
            x: Values::Floats(samples.x),
            y: samples.y,
            features,
        }
    }

    /// Images of `features` pixels each, one byte per pixel.
    pub fn from_bytes(bytes: Vec<u8>, y: Vec<u8>, features: usize) -> Self {
        Self {
            x: Values::Bytes(Bytes::new(bytes, features)),
            y,
            features,
        }
    }

    pub fn len(&self) -> usize {
        self.y.len()
    }

    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Sample `i`'s values: borrowed from floats, made (allocated) from bytes; a hot loop
    /// takes [`Self::extend_row`] or [`Self::for_each_in_row`] instead.
    pub fn row(&self, i: usize) -> Cow<'_, [f64]> {
        self.rows(i..i + 1)
    }

    /// Samples `rows`' values, row-major: borrowed from floats, made from bytes.
    pub fn rows(&self, rows: Range<usize>) -> Cow<'_, [f64]> {
        self.x.rows(rows, self.features)
    }

    /// Sample `i`'s values, each converted by `convert`, appended to `out`.
    #[inline]
    pub fn extend_row<E>(&self, i: usize, out: &mut Vec<E>, convert: impl Fn(f64) -> E) {
        self.x.extend_row(i, self.features, out, convert);
    }

    /// Calls `f(j, value)` for each value `j` of sample `i`, in order.
    #[inline]
    pub fn for_each_in_row(&self, i: usize, f: impl FnMut(usize, f64)) {
        self.x.for_each_in_row(i, self.features, f);
    }

    /// Every value, row-major.
    pub fn dense(&self) -> Cow<'_, [f64]> {
        self.x.dense(self.features)
    }

    /// Sample `i` of a planar set as a point.
    pub fn point(&self, i: usize) -> [f64; 2] {
        let row = self.row(i);
        [row[0], row.get(1).copied().unwrap_or(0.0)]
    }

    /// Every sample of a planar set as a point.
    pub fn points(&self) -> impl Iterator<Item = [f64; 2]> + '_ {
        (0..self.len()).map(|i| self.point(i))
    }

    /// The samples at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Dataset {
        Dataset {
            x: self.x.select(indices, self.features),
            y: indices.iter().map(|&i| self.y[i]).collect(),
            features: self.features,
        }
    }
}
