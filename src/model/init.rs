//! Weight initialisation schemes, drawn from numpy's legacy stream so the article's draws are exact.
//!
//! Every scheme draws a `(fan_in, fan_out)` matrix row-major, as `np.random.randn(fan_in,
//! fan_out) * sqrt(gain / fan_in)` does for the normal ones. Biases start at zero, except under
//! `mean-field`, which draws `W ~ N(0, weight_var / fan_in)` and `b ~ N(0, bias_var)`: the
//! parametrisation of mean-field theory (Poole et al. 2016, Schoenholz et al. 2017). A layer's
//! biases are drawn right after its weights, and not at all when `bias_var` is 0, so that
//! `mean-field` with `weight_var = 1, bias_var = 0` draws exactly what `lecun-normal` draws.

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
    /// U[-1/sqrt(fan_in), 1/sqrt(fan_in)]: the "standard" init of Glorot & Bengio (2010), eq. 1.
    StandardUniform,
    /// `W ~ N(0, weight_var / fan_in)`, `b ~ N(0, bias_var)`, with `model.weight_var` and
    /// `model.bias_var`.
    MeanField,
}

impl InitScheme {
    pub const ALL: [InitScheme; 8] = [
        Self::LecunNormal,
        Self::HeNormal,
        Self::XavierNormal,
        Self::LecunUniform,
        Self::HeUniform,
        Self::XavierUniform,
        Self::StandardUniform,
        Self::MeanField,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::LecunNormal => "lecun-normal",
            Self::HeNormal => "he-normal",
            Self::XavierNormal => "xavier-normal",
            Self::LecunUniform => "lecun-uniform",
            Self::HeUniform => "he-uniform",
            Self::XavierUniform => "xavier-uniform",
            Self::StandardUniform => "standard-uniform",
            Self::MeanField => "mean-field",
        }
    }

    pub fn names() -> String {
        Self::ALL.map(Self::name).join(", ")
    }
}

/// A variant's initialisation: its scheme and, for `mean-field`, the variances.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Init {
    pub scheme: InitScheme,
    /// `sigma_w^2` of `mean-field` (0 otherwise).
    pub weight_var: f64,
    /// `sigma_b^2` of `mean-field` (0 otherwise).
    pub bias_var: f64,
}

impl Init {
    /// A named scheme, zero biases.
    pub fn named(scheme: InitScheme) -> Self {
        Self {
            scheme,
            weight_var: 0.0,
            bias_var: 0.0,
        }
    }

    /// `W ~ N(0, weight_var / fan_in)`, `b ~ N(0, bias_var)`.
    pub fn mean_field(weight_var: f64, bias_var: f64) -> Self {
        Self {
            scheme: InitScheme::MeanField,
            weight_var,
            bias_var,
        }
    }

    /// The variances a layer of `fan_in` inputs and `fan_out` outputs is drawn with, in
    /// mean-field terms: `(sigma_w^2, sigma_b^2)` with `Var[W] = sigma_w^2 / fan_in`.
    pub fn variances(&self, fan_in: usize, fan_out: usize) -> (f64, f64) {
        let (n_in, n_out) = (fan_in as f64, fan_out as f64);
        match self.scheme {
            InitScheme::LecunNormal | InitScheme::LecunUniform => (1.0, 0.0),
            InitScheme::HeNormal | InitScheme::HeUniform => (2.0, 0.0),
            InitScheme::XavierNormal | InitScheme::XavierUniform => {
                (2.0 * n_in / (n_in + n_out), 0.0)
            }
            InitScheme::StandardUniform => (1.0 / 3.0, 0.0),
            InitScheme::MeanField => (self.weight_var, self.bias_var),
        }
    }

    /// The std of one weight of a layer with these fans, computed as the schemes' usual
    /// formulas write it (so the article's draws stay exact to the last bit).
    fn weight_std(&self, fan_in: usize, fan_out: usize) -> f64 {
        let (n_in, n_out) = (fan_in as f64, fan_out as f64);
        match self.scheme {
            InitScheme::LecunNormal | InitScheme::LecunUniform => (1.0 / n_in).sqrt(),
            InitScheme::HeNormal | InitScheme::HeUniform => (2.0 / n_in).sqrt(),
            InitScheme::XavierNormal | InitScheme::XavierUniform => (2.0 / (n_in + n_out)).sqrt(),
            InitScheme::StandardUniform => (1.0 / (3.0 * n_in)).sqrt(),
            InitScheme::MeanField => (self.weight_var / n_in).sqrt(),
        }
    }

    /// Draws one weight matrix, row-major `[fan_in][fan_out]`.
    pub fn draw(&self, rng: &mut NumpyRng, fan_in: usize, fan_out: usize) -> Vec<f64> {
        self.draw_count(rng, fan_in * fan_out, fan_in, fan_out)
    }

    /// Draws `count` weights scaled for a layer of `fan_in` inputs and `fan_out` outputs per
    /// weight (a convolution's fans count its kernel too).
    pub fn draw_count(
        &self,
        rng: &mut NumpyRng,
        count: usize,
        fan_in: usize,
        fan_out: usize,
    ) -> Vec<f64> {
        let std = self.weight_std(fan_in, fan_out);
        match self.scheme {
            InitScheme::LecunNormal
            | InitScheme::HeNormal
            | InitScheme::XavierNormal
            | InitScheme::MeanField => rng.randn(count).into_iter().map(|g| g * std).collect(),
            InitScheme::LecunUniform
            | InitScheme::HeUniform
            | InitScheme::XavierUniform
            | InitScheme::StandardUniform => {
                // numpy's `uniform(-limit, limit)`: low + (high - low) * random_sample().
                let limit = if self.scheme == InitScheme::StandardUniform {
                    1.0 / (fan_in as f64).sqrt()
                } else {
                    3f64.sqrt() * std
                };
                (0..count)
                    .map(|_| -limit + 2.0 * limit * rng.uniform())
                    .collect()
            }
        }
    }

    /// A layer's biases: `np.random.randn(width) * sqrt(bias_var)` under `mean-field` with
    /// `bias_var > 0`, drawn after the layer's weights; `None` (zeros, nothing drawn) otherwise.
    pub fn draw_bias(&self, rng: &mut NumpyRng, width: usize) -> Option<Vec<f64>> {
        (self.scheme == InitScheme::MeanField && self.bias_var > 0.0).then(|| {
            let std = self.bias_var.sqrt();
            rng.randn(width).into_iter().map(|g| g * std).collect()
        })
    }

    pub fn describe(&self) -> String {
        match self.scheme {
            InitScheme::MeanField => format!(
                "mean-field (weight_var {}, bias_var {})",
                self.weight_var, self.bias_var
            ),
            scheme => scheme.name().to_string(),
        }
    }
}

/// One layer's drawn parameters: its weights in the family's layout, and its biases when the
/// init draws them (zeros otherwise).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Drawn {
    pub weight: Vec<f64>,
    pub bias: Option<Vec<f64>>,
}

impl Drawn {
    /// Every member's biases of this layer, `width` each, zeros where none were drawn.
    pub fn stacked_biases(layers: &[&Drawn], width: usize) -> Vec<f64> {
        layers
            .iter()
            .flat_map(|d| d.bias.clone().unwrap_or_else(|| vec![0.0; width]))
            .collect()
    }
}

impl Init {
    /// One fully connected layer: its `[fan_in][fan_out]` weights, then its biases if drawn.
    pub fn draw_layer(&self, rng: &mut NumpyRng, fan_in: usize, fan_out: usize) -> Drawn {
        let weight = self.draw(rng, fan_in, fan_out);
        Drawn {
            weight,
            bias: self.draw_bias(rng, fan_out),
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
