//! `[data]`: which data set, how it is split, subset and scaled, and building it.
//!
//! Scaling is fitted where the data's protocol puts it: for sets without a split of their own
//! (the generated sets in the plane, digits) on all samples before the split, as the article
//! does; for sets that come split (MNIST-1D, MNIST, Fashion-MNIST) on the training set.

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{Arc, Mutex, OnceLock},
};

use serde::{Deserialize, Serialize};

use super::{
    Dataset, Split, digits,
    idx_sets::{self, IdxSet},
    mnist1d::Mnist1dArgs,
    moons, preprocess,
    samples::Loaded,
    shapes,
    subset::stratified,
};
use crate::numpy_rng::NumpyRng;

/// The data sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum DataKind {
    Moons,
    Circles,
    Xor,
    Blobs,
    Spirals,
    Mnist1d,
    Digits,
    FashionMnist,
    Mnist,
}

impl DataKind {
    pub const ALL: [DataKind; 9] = [
        Self::Moons,
        Self::Circles,
        Self::Xor,
        Self::Blobs,
        Self::Spirals,
        Self::Mnist1d,
        Self::Digits,
        Self::FashionMnist,
        Self::Mnist,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Moons => "moons",
            Self::Circles => "circles",
            Self::Xor => "xor",
            Self::Blobs => "blobs",
            Self::Spirals => "spirals",
            Self::Mnist1d => "mnist1d",
            Self::Digits => "digits",
            Self::FashionMnist => "fashion-mnist",
            Self::Mnist => "mnist",
        }
    }

    /// The two-class sets in the plane, drawn from `data.n_samples` and `data.noise`.
    pub fn is_generated(self) -> bool {
        matches!(
            self,
            Self::Moons | Self::Circles | Self::Xor | Self::Blobs | Self::Spirals
        )
    }

    /// Whether the set comes split into train and test samples by its source.
    pub fn comes_split(self) -> bool {
        matches!(self, Self::Mnist1d | Self::FashionMnist | Self::Mnist)
    }

    /// The largest value a sample can hold, for sets of pixels ([`Scaling::UnitInterval`]).
    pub fn pixel_range(self) -> Option<f64> {
        match self {
            Self::Digits => Some(16.0),
            Self::FashionMnist | Self::Mnist => Some(255.0),
            _ => None,
        }
    }

    /// Generates `n` points with Gaussian noise of std `noise` from `rng` (generated sets only).
    pub fn generate(self, n: usize, noise: f64, rng: &mut NumpyRng) -> Dataset {
        match self {
            Self::Circles => shapes::make_circles(n, noise, rng),
            Self::Xor => shapes::make_xor(n, noise, rng),
            Self::Blobs => shapes::make_blobs(n, noise, rng),
            Self::Spirals => shapes::make_spirals(n, noise, rng),
            _ => moons::make_moons(n, noise, rng),
        }
    }
}

impl std::fmt::Display for DataKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl TryFrom<String> for DataKind {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown data set `{s}`; allowed: {}",
                    Self::ALL.map(Self::name).join(", ")
                )
            })
    }
}

impl From<DataKind> for String {
    fn from(k: DataKind) -> Self {
        k.name().into()
    }
}

/// How values are scaled before training.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scaling {
    /// scikit-learn's `StandardScaler`, per feature.
    #[default]
    Standard,
    /// Pixels divided by their largest possible value, to [0, 1] (digits: 16, IDX: 255);
    /// named `"unit"` in experiment files.
    #[serde(rename = "unit")]
    UnitInterval,
    /// As the source gives them.
    None,
}

impl<'de> Deserialize<'de> for Scaling {
    /// `"standard"`, `"unit"` or `"none"`; also `true` / `false`, as the older `standardize`
    /// key wrote it.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Given {
            Flag(bool),
            Name(String),
        }
        match Given::deserialize(d)? {
            Given::Flag(true) => Ok(Self::Standard),
            Given::Flag(false) => Ok(Self::None),
            Given::Name(n) => match n.as_str() {
                "standard" => Ok(Self::Standard),
                "unit" => Ok(Self::UnitInterval),
                "none" => Ok(Self::None),
                other => Err(serde::de::Error::custom(format!(
                    "unknown scaling `{other}`; allowed: standard, unit, none"
                ))),
            },
        }
    }
}

/// The data section of an experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// moons, circles, xor, blobs, spirals, mnist1d, digits, fashion-mnist or mnist.
    #[serde(default = "default_kind")]
    pub kind: DataKind,
    /// Points to generate (the sets in the plane only).
    #[serde(default)]
    pub n_samples: usize,
    /// Std of the Gaussian noise added to each coordinate (the sets in the plane only).
    #[serde(default)]
    pub noise: f64,
    /// Seeds the generator, the split and the subsets, like the article's `random_state=42`.
    pub seed: u32,
    /// Share of the samples held out for testing (sets without a split of their own).
    #[serde(default = "default_test_fraction")]
    pub test_fraction: f64,
    /// `standard` (default), `unit` or `none`; the older `standardize = true/false` also works.
    #[serde(default, alias = "standardize")]
    pub scaling: Scaling,
    /// A stratified, seeded subset of this many training samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_train: Option<usize>,
    /// A stratified, seeded subset of this many test samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n_test: Option<usize>,
    /// A folder holding the IDX files (mnist, fashion-mnist) or the digits file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// MNIST-1D's generator arguments; the reference package's defaults otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mnist1d: Option<Mnist1dArgs>,
}

fn default_kind() -> DataKind {
    DataKind::Moons
}

fn default_test_fraction() -> f64 {
    0.25
}

/// Why a data set could not be built.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("mnist1d: {0}")]
    Mnist1d(#[from] super::mnist1d::Mnist1dError),
    #[error(transparent)]
    Digits(#[from] super::digits::DigitsError),
    #[error(transparent)]
    Idx(#[from] super::idx_sets::LoadError),
    #[error("`data.{key}` = {asked}: the {set} set has only {available} samples")]
    Subset {
        key: &'static str,
        asked: usize,
        set: &'static str,
        available: usize,
    },
    #[error("{kind}: samples of shape {found:?}, expected {expected:?}")]
    Shape {
        kind: DataKind,
        found: Vec<usize>,
        expected: Vec<usize>,
    },
}

/// Loaded sets kept for the life of the process: one read of the IDX files serves every
/// program and sweep point.
fn loaded(
    key: String,
    load: impl FnOnce() -> Result<Loaded, DataError>,
) -> Result<Arc<Loaded>, DataError> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Loaded>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(hit) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(hit);
    }
    let value = Arc::new(load()?);
    if let Ok(mut c) = cache.lock() {
        c.insert(key, value.clone());
    }
    Ok(value)
}

impl DataConfig {
    /// A set in the plane with the defaults of an experiment file: a quarter held out for
    /// testing, standardized, no subsets.
    pub fn generated(kind: DataKind, n_samples: usize, noise: f64, seed: u32) -> Self {
        Self {
            kind,
            n_samples,
            noise,
            seed,
            ..Self::real(kind, seed)
        }
    }

    /// A real data set with the defaults of an experiment file.
    pub fn real(kind: DataKind, seed: u32) -> Self {
        Self {
            kind,
            n_samples: 0,
            noise: 0.0,
            seed,
            test_fraction: default_test_fraction(),
            scaling: Scaling::Standard,
            n_train: None,
            n_test: None,
            path: None,
            mnist1d: None,
        }
    }

    fn idx_set(&self) -> Option<IdxSet> {
        match self.kind {
            DataKind::FashionMnist => Some(IdxSet::FashionMnist),
            DataKind::Mnist => Some(IdxSet::Mnist),
            _ => None,
        }
    }

    fn mnist1d_args(&self) -> Mnist1dArgs {
        self.mnist1d.clone().unwrap_or_default()
    }

    /// One sample's shape: `[2]` for the sets in the plane, `[1, length]` for MNIST-1D,
    /// `[1, 8, 8]` for digits, `[1, 28, 28]` for MNIST and Fashion-MNIST.
    pub fn shape(&self) -> Vec<usize> {
        match self.kind {
            DataKind::Mnist1d => vec![1, self.mnist1d_args().final_seq_length],
            DataKind::Digits => vec![1, 8, 8],
            DataKind::FashionMnist | DataKind::Mnist => vec![1, 28, 28],
            _ => vec![2],
        }
    }

    /// The number of classes.
    pub fn classes(&self) -> usize {
        if self.kind.is_generated() { 2 } else { 10 }
    }

    /// Builds the train and test sets: generated or loaded, split, subset, scaled.
    pub fn build(&self) -> Result<Split, DataError> {
        let (mut train, mut test) = match self.kind {
            kind if kind.is_generated() => {
                let mut rng = NumpyRng::new(self.seed);
                let mut data = kind.generate(self.n_samples, self.noise, &mut rng);
                if self.scaling == Scaling::Standard {
                    preprocess::standardize(&mut data);
                }
                preprocess::train_test_split(&data, self.test_fraction, self.seed)
            }
            DataKind::Digits => {
                let set = match &self.path {
                    Some(path) => digits::load(path)?,
                    None => digits::bundled(),
                };
                let mut data = Dataset::from_samples(set.samples, 64);
                self.scale_pixels(&mut data);
                if self.scaling == Scaling::Standard {
                    preprocess::standardize(&mut data);
                }
                preprocess::train_test_split(&data, self.test_fraction, self.seed)
            }
            _ => {
                let set = self.load_split()?;
                (set.train.clone(), set.test.clone())
            }
        };
        for (key, count, data, name) in [
            ("n_train", self.n_train, &mut train, "training"),
            ("n_test", self.n_test, &mut test, "test"),
        ] {
            if let Some(count) = count {
                *data = stratified(data, count, self.seed).ok_or(DataError::Subset {
                    key,
                    asked: count,
                    set: name,
                    available: data.len(),
                })?;
            }
        }
        if self.kind.comes_split() {
            self.scale_pixels(&mut train);
            self.scale_pixels(&mut test);
            if self.scaling == Scaling::Standard {
                preprocess::standardize_with_train(&mut train, &mut test);
            }
        }
        Ok(Split {
            train,
            test,
            shape: self.shape(),
            classes: self.classes(),
        })
    }

    /// The set as its source splits it (MNIST-1D, MNIST, Fashion-MNIST), cached.
    fn load_split(&self) -> Result<Arc<Loaded>, DataError> {
        let loaded = match self.idx_set() {
            Some(set) => {
                let key = format!("{}:{:?}", set.name(), self.path);
                loaded(key, || Ok(idx_sets::load(set, self.path.as_deref())?))?
            }
            None => {
                let args = self.mnist1d_args();
                let key = serde_json::to_string(&args).unwrap_or_default();
                loaded(key, || Ok(args.generate()?.data))?
            }
        };
        let expected = self.shape();
        let found: Vec<usize> = std::iter::once(1)
            .chain(loaded.shape.iter().copied())
            .collect();
        if found != expected {
            return Err(DataError::Shape {
                kind: self.kind,
                found,
                expected,
            });
        }
        Ok(loaded)
    }

    /// Pixels to [0, 1] under [`Scaling::UnitInterval`].
    fn scale_pixels(&self, data: &mut Dataset) {
        if let (Scaling::UnitInterval, Some(range)) = (self.scaling, self.kind.pixel_range()) {
            data.x.map(|v| v / range);
        }
    }
}
