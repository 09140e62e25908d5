//! Mean-field signal propagation through deep random networks: how an activation and the
//! initialisation variances decide whether signals and gradients survive depth.
//!
//! Following Poole et al. 2016 ("Exponential expressivity in deep neural networks through
//! transient chaos") and Schoenholz et al. 2017 ("Deep Information Propagation"): a wide network
//! `h^l = W^l φ(h^{l-1}) + b^l`, `W ~ N(0, σ_w²/fan_in)`, `b ~ N(0, σ_b²)`, has pre-activations
//! that are Gaussian layer by layer, so their length `q^l` and the correlation `c^l` between two
//! inputs follow deterministic maps. Their fixed points and slopes predict the ordered phase
//! (correlations → 1, gradients vanish), the chaotic phase (correlations decay, gradients
//! explode), and the critical line between them where `χ_1 = 1`.
//!
//! This module knows no activation table of its own: training's activations implement [`Unit`]
//! where they are defined (the model layer builds on this one, never the reverse), so the
//! theory predicts for exactly the function that trains.
//!
//! ```
//! use actlab::theory::{
//!     CriticalSearch, FnUnit, MeanField, Quadrature, Variances, critical_sigma_w2,
//! };
//!
//! let tanh = Quadrature::new(FnUnit::new(f64::tanh, |z: f64| 1.0 / z.cosh().powi(2)))?;
//! let critical = critical_sigma_w2(&tanh, 0.05, CriticalSearch::default())?;
//! assert!((critical.sigma_w2 - 1.76095).abs() < 1e-5);
//!
//! let chaotic = MeanField::new(&tanh, Variances::new(2.5, 0.05)?).analyse(1.0)?;
//! assert!(chaotic.chi_1 > 1.0 && chaotic.c_star < 1.0);
//! # Ok::<(), actlab::theory::TheoryError>(())
//! ```

mod analysis;
mod critical;
mod error;
pub mod gauss;
mod maps;
mod moments;
pub mod nodes;
mod roots;
mod unit;

pub use analysis::{Analysis, DepthScale};
pub use critical::{Critical, CriticalSearch, critical_sigma_w2, phase_boundary};
pub use error::TheoryError;
pub use gauss::{Cov2, Gaussian, Method, QuadratureConfig};
pub use maps::{MeanField, Variances};
pub use moments::{ErfMoments, Moments, PiecewiseLinear, Quadrature};
pub use nodes::Rule;
pub use unit::{Affine, Erf, FnUnit, Unit};
