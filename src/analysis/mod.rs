//! Analysis of models: forward traces, per-layer probes over training, the article's analysis,
//! and statistics over seeds.

pub mod article;
pub mod classes;
pub mod layer_stats;
pub mod paired;
pub mod prediction;
pub mod probe;
pub mod stats;
pub mod trace;

pub use article::{ArticleAnalysis, DecisionGrid, HiddenScatter, TraceSample};
pub use trace::{ForwardTrace, HostTensor};
