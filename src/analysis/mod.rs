//! Analysis of trained models: explicit probes on the forward pass and what they measure.

pub mod article;
pub mod layer_stats;
pub mod probe;
pub mod stats;
pub mod training;

pub use article::{ArticleAnalysis, DecisionGrid, HiddenScatter, TraceSample};
pub use probe::{ForwardTrace, HostTensor};
