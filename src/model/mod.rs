//! Models: the [`Family`] trait every model family implements, the families themselves, and
//! the activations and initialisation schemes they are built from.

pub mod activation;
mod architecture;
pub mod cnn;
mod dense;
pub mod elementary;
mod ensemble;
mod family;
pub mod gpt;
pub mod init;
pub mod mlp;
mod network;
pub mod norm;
pub mod residual;

pub use activation::{Activation, Nonlinearity};
pub use architecture::{Architecture, ArchitectureError, ConvLayer};
pub use dense::Dense;
pub use ensemble::{concat, select};
pub use family::{Family, LayerInfo, LayerObserver, Mode};
pub use init::{Drawn, Init, InitScheme};
pub use mlp::Mlp;
pub use network::{Blueprint, FamilyKind, Network};
pub use norm::{Norm, NormKind};
