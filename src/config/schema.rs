//! The typed shape of an experiment file. Every struct rejects unknown keys.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ProbeConfig;
use crate::{
    data::DataConfig,
    learner::{Engine, OptimizerKind, OptimizerSpec},
    model::{Activation, ConvLayer, FamilyKind, InitScheme, NormKind},
};

/// One experiment: a question, the data, the model, the training, and the variants compared.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    pub name: String,
    /// The question this experiment answers, in one line.
    pub question: String,
    /// The result it expects, and why.
    #[serde(default)]
    pub expected: String,
    pub data: DataConfig,
    pub model: ModelSection,
    pub train: TrainConfig,
    pub variants: Vec<Variant>,
    #[serde(default)]
    pub analysis: AnalysisConfig,
    /// Per-layer statistics over training.
    #[serde(default)]
    pub probes: ProbeConfig,
    /// When model checkpoints are saved.
    #[serde(default)]
    pub checkpoint: CheckpointConfig,
    /// Published values to compare against, per variant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Reference>,
    /// A grid of settings to run the experiment at, every combination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweepConfig>,
    /// A 2x2 factorial among the variants, decomposed in the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factorial: Option<FactorialConfig>,
}

/// `[factorial]`: two changes to a baseline variant, each alone and both together, and the
/// reference whose gap to the baseline they are to explain. The report gives each change's
/// main effect and their interaction, with paired intervals over the seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactorialConfig {
    pub baseline: String,
    pub a: Factor,
    pub b: Factor,
    /// The variant with both changes.
    pub both: String,
    pub reference: String,
}

/// One change of a factorial: its name in the report and the variant that makes it alone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Factor {
    pub name: String,
    pub variant: String,
}

/// `[checkpoint]`: save each program's models every `every` epochs and at the end.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointConfig {
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// 0: only the final epoch.
    #[serde(default)]
    pub every: usize,
}

impl Default for CheckpointConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            every: 0,
        }
    }
}

fn default_true() -> bool {
    true
}

/// `[sweep]`: config keys and the values each takes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepConfig {
    /// Dotted config keys (as for `--set`, `variants.<name>.<key>` included) and their values.
    pub grid: BTreeMap<String, Vec<toml::Value>>,
    /// Two grid keys for the heatmap; default: the first two.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub heatmap: Vec<String>,
    /// The variant whose configurations are searched for one that reaches `reference` ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// ... the variant whose test accuracy at the experiment's own (unswept) settings is the bar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Published test accuracies, one per grid point in point order, set beside the measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<Published>,
    /// Short names for a key's grid values, one per value in order, shown in reports and the
    /// heatmap in place of the values (e.g. `model = ["logistic", "mlp", "cnn"]`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, Vec<String>>,
}

impl SweepConfig {
    /// The label of `key`'s grid value written `value` (as TOML), if the key has labels.
    pub fn label(&self, key: &str, value: &str) -> Option<&str> {
        let labels = self.labels.get(key)?;
        let values = self.grid.get(key)?;
        if labels.len() != values.len() {
            return None;
        }
        let i = values.iter().position(|v| v.to_string() == value)?;
        Some(&labels[i])
    }
}

/// `[sweep.published]`: what a source reports for each grid point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Published {
    pub source: String,
    /// One per grid point, in point order (the last grid key varies fastest).
    pub test_accuracy: Vec<f64>,
}

/// The architecture shared by all variants, and defaults they may override.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSection {
    /// `mlp` (default), `residual-mlp` or `cnn`.
    #[serde(default)]
    pub family: FamilyKind,
    /// `none` (default), `layer` or `batch`: normalization before each activation.
    #[serde(default)]
    pub norm: NormKind,
    /// Convolution layers of the `cnn` family, input to output.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conv: Vec<ConvLayer>,
    /// Fully connected hidden layer widths, input to output (or `width` and `depth`).
    #[serde(default)]
    pub hidden: Vec<usize>,
    /// With `depth`: `depth` hidden layers of `width` units, in place of `hidden`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth: Option<usize>,
    /// Seeds the initial weights (`np.random.seed`) and then the data order.
    pub seed: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation: Option<Activation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<InitScheme>,
    /// `g` of `a(x) = g * (phi(x) + s)`; default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_gain: Option<f64>,
    /// `s` of `a(x) = g * (phi(x) + s)`; default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_shift: Option<f64>,
    /// `sigma_w^2` of `init = "mean-field"`: `W ~ N(0, weight_var / fan_in)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_var: Option<f64>,
    /// `sigma_b^2` of `init = "mean-field"`: `b ~ N(0, bias_var)`; default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bias_var: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// sgd, momentum, nesterov, adam or adamw.
    #[serde(default = "default_optimizer")]
    pub optimizer: OptimizerKind,
    /// Momentum of `momentum` / `nesterov` (no dampening).
    #[serde(default = "default_momentum")]
    pub momentum: f64,
    /// L2 penalty (SGD family, Adam) or decoupled decay (AdamW).
    #[serde(default)]
    pub weight_decay: f64,
    /// Adam's (beta1, beta2).
    #[serde(default = "default_betas")]
    pub betas: [f64; 2],
    #[serde(default = "default_epsilon")]
    pub epsilon: f64,
    pub lr: f64,
    pub epochs: usize,
    pub batch_size: usize,
    /// A member whose epoch loss is NaN, infinite or above this is stopped and marked diverged.
    /// The default, 5, is seven times the loss of a chance-level guess (ln 2).
    #[serde(default = "default_diverge_above")]
    pub diverge_above: f64,
    /// Train every variant from this many seeds: `model.seed`, `model.seed + 1`, ... each
    /// seeding the initial weights and the data order.
    #[serde(default = "default_seeds")]
    pub seeds: usize,
    /// Also vary the data set with the seed (`data.seed + i`), not only init and order.
    #[serde(default)]
    pub vary_data_seed: bool,
    /// `auto` (default), `burn` or `fused`: how steps are computed; results agree to rounding.
    #[serde(default)]
    pub engine: Engine,
}

fn default_diverge_above() -> f64 {
    5.0
}

fn default_optimizer() -> OptimizerKind {
    OptimizerKind::Sgd
}
fn default_seeds() -> usize {
    1
}
fn default_momentum() -> f64 {
    0.9
}
fn default_betas() -> [f64; 2] {
    [0.9, 0.999]
}
fn default_epsilon() -> f64 {
    1e-8
}

impl TrainConfig {
    pub fn optimizer_spec(&self) -> OptimizerSpec {
        OptimizerSpec {
            kind: self.optimizer,
            momentum: self.momentum,
            weight_decay: self.weight_decay,
            betas: self.betas,
            epsilon: self.epsilon,
            decay_matrices_only: false,
            grad_clip: None,
        }
    }
}

/// One arm of the comparison: a name plus what differs from the model section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation: Option<Activation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<InitScheme>,
    /// `g` of `a(x) = g * (phi(x) + s)`; default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_gain: Option<f64>,
    /// `s` of `a(x) = g * (phi(x) + s)`; default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_shift: Option<f64>,
    /// `sigma_w^2` of `init = "mean-field"`: `W ~ N(0, weight_var / fan_in)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_var: Option<f64>,
    /// `sigma_b^2` of `init = "mean-field"`: `b ~ N(0, bias_var)`; default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bias_var: Option<f64>,
}

/// The article's analysis: which points to trace, and the decision-boundary grid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisConfig {
    #[serde(default = "default_trace_points")]
    pub trace_points: Vec<TracePoint>,
    #[serde(default = "default_grid_step")]
    pub grid_step: f64,
    #[serde(default = "default_grid_margin")]
    pub grid_margin: f64,
    /// Evaluate the model over the plane for the decision-boundary figure and the probes'
    /// boundary geometry (planar data with two classes); `false` skips both, which for deep,
    /// wide networks saves most of the analysis time.
    #[serde(default = "default_true")]
    pub decision_grid: bool,
}

/// The training point of `class` farthest from `from` is traced through the network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TracePoint {
    pub class: u8,
    pub farthest_from: [f64; 2],
}

fn default_trace_points() -> Vec<TracePoint> {
    vec![
        TracePoint {
            class: 0,
            farthest_from: [-1.2, -0.3],
        },
        TracePoint {
            class: 1,
            farthest_from: [1.2, 0.3],
        },
    ]
}
fn default_grid_step() -> f64 {
    0.025
}
fn default_grid_margin() -> f64 {
    0.5
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        Self {
            trace_points: default_trace_points(),
            grid_step: default_grid_step(),
            grid_margin: default_grid_margin(),
            decision_grid: true,
        }
    }
}

/// Published results, keyed by variant name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// Where the values come from.
    pub source: String,
    pub variants: BTreeMap<String, VariantReference>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantReference {
    /// Train loss at given epochs (keys are epoch numbers).
    #[serde(default)]
    pub train_loss: BTreeMap<String, f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_accuracy: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden_std: Option<Vec<f64>>,
    /// Per trace point: `[mean|z1|, mean|a1|, ..., |z_out|]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal_trace: Option<Vec<Vec<f64>>>,
}
