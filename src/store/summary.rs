//! `summary.json`: the stable, machine-readable result of a run, per variant and per seed.

use serde::{Deserialize, Serialize};

use crate::{
    analysis::{ArticleAnalysis, stats::Stat},
    backend::BackendInfo,
    config::PlannedVariant,
    learner::{Engine, EpochMetrics, History},
    model::{Architecture, LayerInfo},
};

/// `summary.json`: the stable, machine-readable result of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub experiment: String,
    pub run_id: String,
    pub actlab_version: String,
    pub backend: BackendInfo,
    /// How training steps were computed.
    pub engine: Engine,
    /// The model's observed layers, in forward order.
    #[serde(default)]
    pub layers: Vec<LayerInfo>,
    /// The `--set key=value` overrides applied to the experiment file.
    pub overrides: Vec<String>,
    /// For `actlab eval`: the checkpoint evaluated. Its metrics are recomputed from the loaded
    /// weights, not copied from training.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluated: Option<EvaluatedCheckpoint>,
    /// Whole training loop including per-epoch evaluation.
    pub wall_seconds: f64,
    /// Time in training steps; all variants train together as one ensemble program.
    pub train_seconds: f64,
    pub variants: Vec<VariantSummary>,
}

/// The checkpoint an eval folder evaluated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvaluatedCheckpoint {
    pub checkpoint: String,
    pub epoch: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariantSummary {
    pub name: String,
    pub activation: String,
    pub init: String,
    /// The model family and its layer layout.
    #[serde(default)]
    pub architecture: String,
    pub hidden: Vec<usize>,
    /// The first seed; every seed is listed in `seeds`.
    pub seed: u32,
    pub epochs_completed: usize,
    /// True when every seed diverged.
    pub diverged: bool,
    /// With one seed: the epoch whose loss was not finite or too large, if any.
    pub diverged_at_epoch: Option<usize>,
    /// Per epoch: the seed's loss, or with several seeds the mean over those that did not
    /// diverge (finite values only).
    pub train_loss: Vec<f64>,
    pub test_loss: Vec<f64>,
    /// After the last epoch (mean over non-diverged seeds); `null` if every seed diverged.
    pub train_accuracy: Option<f64>,
    pub test_accuracy: Option<f64>,
    /// Std of each hidden layer's test-set activations (first non-diverged seed).
    pub hidden_std: Vec<f64>,
    /// Per trace sample, `[mean|z1|, mean|a1|, ..., |z_out|]` (first non-diverged seed).
    pub signal_trace: Vec<Vec<f64>>,
    /// Training-step time of the run's programs together.
    pub train_seconds: f64,
    /// Every seed's outcome.
    pub seeds: Vec<SeedResult>,
    /// Statistics over the seeds that did not diverge.
    pub stats: SeedStats,
}

/// One seed of a variant, as trained.
#[derive(Clone, Copy)]
pub struct SeedRun<'a> {
    pub seed: u32,
    pub data_seed: u32,
    pub history: &'a History,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedResult {
    pub seed: u32,
    pub data_seed: u32,
    pub diverged_at_epoch: Option<usize>,
    pub final_train_loss: Option<f64>,
    pub train_accuracy: Option<f64>,
    pub test_accuracy: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedStats {
    pub runs: usize,
    pub diverged: usize,
    pub final_train_loss: Option<Stat>,
    pub train_accuracy: Option<Stat>,
    pub test_accuracy: Option<Stat>,
}

/// Per-epoch mean of `metric` over the histories (epochs where all have a finite value).
fn mean_curve(histories: &[&History], metric: impl Fn(&EpochMetrics) -> f64) -> Vec<f64> {
    let epochs = histories.iter().map(|h| h.epochs.len()).min().unwrap_or(0);
    (0..epochs)
        .map(|e| {
            histories.iter().map(|h| metric(&h.epochs[e])).sum::<f64>() / histories.len() as f64
        })
        .take_while(|v| v.is_finite())
        .collect()
}

impl VariantSummary {
    /// `metric` of this variant and of `other` on the seeds both finished, paired by seed and
    /// data set.
    pub fn paired_with(
        &self,
        other: &VariantSummary,
        metric: fn(&SeedResult) -> Option<f64>,
    ) -> (Vec<f64>, Vec<f64>) {
        self.seeds
            .iter()
            .filter_map(|x| {
                let y = other
                    .seeds
                    .iter()
                    .find(|y| y.seed == x.seed && y.data_seed == x.data_seed)?;
                Some((metric(x)?, metric(y)?))
            })
            .unzip()
    }

    pub fn new(
        variant: &PlannedVariant,
        architecture: &Architecture,
        seeds: &[SeedRun],
        analysis: Option<&ArticleAnalysis>,
        train_seconds: f64,
    ) -> Self {
        let results: Vec<SeedResult> = seeds
            .iter()
            .map(|s| {
                let last = s.history.last().filter(|_| s.history.is_active());
                SeedResult {
                    seed: s.seed,
                    data_seed: s.data_seed,
                    diverged_at_epoch: s.history.diverged_at,
                    final_train_loss: last.map(|m| m.train_loss),
                    train_accuracy: last.map(|m| m.train_accuracy),
                    test_accuracy: last.map(|m| m.test_accuracy),
                }
            })
            .collect();
        let of = |f: fn(&SeedResult) -> Option<f64>| {
            Stat::of(&results.iter().filter_map(f).collect::<Vec<_>>())
        };
        let stats = SeedStats {
            runs: results.len(),
            diverged: results
                .iter()
                .filter(|r| r.diverged_at_epoch.is_some())
                .count(),
            final_train_loss: of(|r| r.final_train_loss),
            train_accuracy: of(|r| r.train_accuracy),
            test_accuracy: of(|r| r.test_accuracy),
        };
        let active: Vec<&History> = seeds
            .iter()
            .map(|s| s.history)
            .filter(|h| h.is_active())
            .collect();
        let (train_loss, test_loss, epochs_completed) = match seeds {
            [only] => {
                let finite: Vec<_> = only
                    .history
                    .epochs
                    .iter()
                    .filter(|m| m.train_loss.is_finite())
                    .collect();
                (
                    finite.iter().map(|m| m.train_loss).collect(),
                    finite.iter().map(|m| m.test_loss).collect(),
                    finite.len(),
                )
            }
            _ => {
                let curve = mean_curve(&active, |m| m.train_loss);
                let n = curve.len();
                (curve, mean_curve(&active, |m| m.test_loss), n)
            }
        };
        Self {
            name: variant.name.clone(),
            activation: variant.nonlinearity.to_string(),
            init: variant.init.describe(),
            architecture: architecture.describe(),
            hidden: architecture.hidden.clone(),
            seed: seeds.first().map_or(0, |s| s.seed),
            epochs_completed,
            diverged: active.is_empty(),
            diverged_at_epoch: if seeds.len() == 1 {
                seeds[0].history.diverged_at
            } else {
                None
            },
            train_loss,
            test_loss,
            train_accuracy: stats.train_accuracy.map(|s| s.mean),
            test_accuracy: stats.test_accuracy.map(|s| s.mean),
            hidden_std: analysis.map(|a| a.hidden_std.clone()).unwrap_or_default(),
            signal_trace: analysis.map(|a| a.signal_trace.clone()).unwrap_or_default(),
            train_seconds,
            seeds: results,
            stats,
        }
    }
}
