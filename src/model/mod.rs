//! Models: the MLP ensemble, its activations and its initialisation schemes, kept separable.

pub mod activation;
pub mod elementary;
pub mod init;
pub mod mlp;

pub use activation::Activation;
pub use init::InitScheme;
pub use mlp::{Dense, LayerObserver, Mlp, MlpConfig};
