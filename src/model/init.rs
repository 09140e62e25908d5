//! Weight initialisation schemes, drawn from numpy's legacy stream so the article's draws are exact.
//!
//! Every scheme draws a `(fan_in, fan_out)` matrix row-major, as `np.random.randn(fan_in,
//! fan_out) * sqrt(gain / fan_in)` does for the normal ones; biases start at zero.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use crate::numpy_rng::NumpyRng;

/// How a layer's weights are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum InitScheme {
    /// std = sqrt(1 / fan_in): the article's sigmoid init (it calls it Xavier).
    LecunNormal,
    /// std = sqrt(2 / fan_in): the article's ReLU init.
    HeNormal,
    /// std = sqrt(2 / (fan_in + fan_out)), Glorot & Bengio (2010).
    XavierNormal,
    LecunUniform,
    HeUniform,
    XavierUniform,
}

impl InitScheme {
    pub const ALL: [InitScheme; 6] = [
        Self::LecunNormal,
        Self::HeNormal,
        Self::XavierNormal,
        Self::LecunUniform,
        Self::HeUniform,
        Self::XavierUniform,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::LecunNormal => "lecun-normal",
            Self::HeNormal => "he-normal",
            Self::XavierNormal => "xavier-normal",
            Self::LecunUniform => "lecun-uniform",
            Self::HeUniform => "he-uniform",
            Self::XavierUniform => "xavier-uniform",
        }
    }

    pub fn names() -> String {
        Self::ALL.map(Self::name).join(", ")
    }

    /// The variance numerator and denominator: std = sqrt(gain / fan).
    fn gain_and_fan(self, fan_in: usize, fan_out: usize) -> (f64, f64) {
        match self {
            Self::LecunNormal | Self::LecunUniform => (1.0, fan_in as f64),
            Self::HeNormal | Self::HeUniform => (2.0, fan_in as f64),
            Self::XavierNormal | Self::XavierUniform => (2.0, (fan_in + fan_out) as f64),
        }
    }

    /// Draws one weight matrix, row-major `[fan_in][fan_out]`.
    pub fn draw(self, rng: &mut NumpyRng, fan_in: usize, fan_out: usize) -> Vec<f64> {
        self.draw_count(rng, fan_in * fan_out, fan_in, fan_out)
    }

    /// Draws `count` weights scaled for a layer of `fan_in` inputs and `fan_out` outputs per
    /// weight (a convolution's fans count its kernel too).
    pub fn draw_count(
        self,
        rng: &mut NumpyRng,
        count: usize,
        fan_in: usize,
        fan_out: usize,
    ) -> Vec<f64> {
        let (gain, fan) = self.gain_and_fan(fan_in, fan_out);
        let std = (gain / fan).sqrt();
        match self {
            Self::LecunNormal | Self::HeNormal | Self::XavierNormal => {
                rng.randn(count).into_iter().map(|g| g * std).collect()
            }
            Self::LecunUniform | Self::HeUniform | Self::XavierUniform => {
                // numpy's `uniform(-limit, limit)`: low + (high - low) * random_sample().
                let limit = 3f64.sqrt() * std;
                (0..count)
                    .map(|_| -limit + 2.0 * limit * rng.uniform())
                    .collect()
            }
        }
    }
}

impl fmt::Display for InitScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for InitScheme {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|i| i.name() == s)
            .ok_or_else(|| format!("unknown init `{s}`; allowed: {}", Self::names()))
    }
}

impl TryFrom<String> for InitScheme {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<InitScheme> for String {
    fn from(i: InitScheme) -> Self {
        i.name().to_string()
    }
}
