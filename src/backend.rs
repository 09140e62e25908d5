//! The compute backend, chosen by cargo feature: ndarray in float64 by default.

use burn::backend::Autodiff;
use serde::{Deserialize, Serialize};

/// The backend models are evaluated on (no gradient tracking).
#[cfg(feature = "ndarray")]
pub type Eval = burn::backend::NdArray<f64>;

/// The backend models train on: [`Eval`] with reverse-mode autodiff.
pub type Train = Autodiff<Eval>;

/// The device the default backend runs on.
pub fn device() -> burn::tensor::Device<Eval> {
    Default::default()
}

/// What a run actually computed on, recorded in its summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackendInfo {
    pub backend: String,
    pub device: String,
    pub precision: String,
}

impl BackendInfo {
    pub fn current() -> Self {
        Self {
            backend: "ndarray".into(),
            device: format!("{:?}", device()),
            precision: "f64".into(),
        }
    }

    /// Whether results are expected to match numpy's float64 reference to the printed digit.
    pub fn is_exact(&self) -> bool {
        self.precision == "f64"
    }
}
