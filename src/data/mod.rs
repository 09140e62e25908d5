//! Data sets and their preprocessing, generated bit for bit as numpy and scikit-learn do.

pub mod moons;
pub mod preprocess;

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
    /// Which generator: only `moons` for now.
    #[serde(default = "default_kind")]
    pub kind: String,
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

pub const DATA_KINDS: [&str; 1] = ["moons"];

fn default_kind() -> String {
    "moons".into()
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
        let mut data = moons::make_moons(self.n_samples, self.noise, &mut rng);
        if self.standardize {
            preprocess::standardize(&mut data.x);
        }
        preprocess::train_test_split(&data, self.test_fraction, self.seed)
    }
}
