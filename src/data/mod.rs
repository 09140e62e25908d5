//! Data sets and their preprocessing, generated bit for bit as numpy and scikit-learn do.

pub mod moons;
pub mod preprocess;
pub mod shapes;

use serde::{Deserialize, Serialize};

use crate::numpy_rng::NumpyRng;

/// Labelled samples of `features` values each.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dataset {
    /// Row-major `[n, features]`: sample `i` is `x[i * features..(i + 1) * features]`.
    pub x: Vec<f64>,
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
                let i = set.x.iter().position(|v| !v.is_finite())?;
                Some((name, i / set.features, i % set.features))
            })
    }
}

/// The data section of an experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// Which generator: moons, circles, xor, blobs or spirals.
    #[serde(default = "default_kind")]
    pub kind: DataKind,
    pub n_samples: usize,
    pub noise: f64,
    /// Seeds both the generator and the split, like the article's `random_state=42`.
    pub seed: u32,
    #[serde(default = "default_test_fraction")]
    pub test_fraction: f64,
    /// Fit a `StandardScaler` on all points before splitting, as the article does.
    #[serde(default = "default_true")]
    pub standardize: bool,
}

/// The two-class data sets in the plane.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum DataKind {
    Moons,
    Circles,
    Xor,
    Blobs,
    Spirals,
}

impl DataKind {
    pub const ALL: [DataKind; 5] = [
        Self::Moons,
        Self::Circles,
        Self::Xor,
        Self::Blobs,
        Self::Spirals,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Moons => "moons",
            Self::Circles => "circles",
            Self::Xor => "xor",
            Self::Blobs => "blobs",
            Self::Spirals => "spirals",
        }
    }

    /// Generates `n` points with Gaussian noise of std `noise` from `rng`.
    pub fn generate(self, n: usize, noise: f64, rng: &mut NumpyRng) -> Dataset {
        match self {
            Self::Moons => moons::make_moons(n, noise, rng),
            Self::Circles => shapes::make_circles(n, noise, rng),
            Self::Xor => shapes::make_xor(n, noise, rng),
            Self::Blobs => shapes::make_blobs(n, noise, rng),
            Self::Spirals => shapes::make_spirals(n, noise, rng),
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

fn default_kind() -> DataKind {
    DataKind::Moons
}
fn default_test_fraction() -> f64 {
    0.25
}
fn default_true() -> bool {
    true
}

impl Dataset {
    /// Points in the plane.
    pub fn planar(points: Vec<[f64; 2]>, y: Vec<u8>) -> Self {
        Self {
            x: points.into_iter().flatten().collect(),
            y,
            features: 2,
        }
    }

    pub fn len(&self) -> usize {
        self.y.len()
    }

    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Sample `i`'s values.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.features..(i + 1) * self.features]
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
            x: indices
                .iter()
                .flat_map(|&i| self.row(i).iter().copied())
                .collect(),
            y: indices.iter().map(|&i| self.y[i]).collect(),
            features: self.features,
        }
    }
}

impl DataConfig {
    /// One sample's shape.
    pub fn shape(&self) -> Vec<usize> {
        vec![2]
    }

    /// The number of classes.
    pub fn classes(&self) -> usize {
        2
    }

    /// Generates, standardises and splits the data set.
    pub fn build(&self) -> Split {
        let mut rng = NumpyRng::new(self.seed);
        let mut data = self.kind.generate(self.n_samples, self.noise, &mut rng);
        if self.standardize {
            preprocess::standardize(&mut data);
        }
        let (train, test) = preprocess::train_test_split(&data, self.test_fraction, self.seed);
        Split {
            train,
            test,
            shape: vec![2],
            classes: 2,
        }
    }
}
