//! Data sets and their preprocessing, generated bit for bit as numpy and scikit-learn do.

pub mod moons;
pub mod preprocess;
pub mod shapes;

use serde::{Deserialize, Serialize};

use crate::numpy_rng::NumpyRng;

/// Labelled points in the plane.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dataset {
    pub x: Vec<[f64; 2]>,
    pub y: Vec<u8>,
}

/// A train/test split of one data set.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    pub train: Dataset,
    pub test: Dataset,
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
    pub fn len(&self) -> usize {
        self.y.len()
    }

    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// The points at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Dataset {
        Dataset {
            x: indices.iter().map(|&i| self.x[i]).collect(),
            y: indices.iter().map(|&i| self.y[i]).collect(),
        }
    }
}

impl DataConfig {
    /// Generates, standardises and splits the data set.
    pub fn build(&self) -> Split {
        let mut rng = NumpyRng::new(self.seed);
        let mut data = self.kind.generate(self.n_samples, self.noise, &mut rng);
        if self.standardize {
            preprocess::standardize(&mut data.x);
        }
        preprocess::train_test_split(&data, self.test_fraction, self.seed)
    }
}
