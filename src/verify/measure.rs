//! What a claim measures, read from the folder its experiment wrote through the same
//! functions the reports use (no report text is parsed), or computed without training.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{
    analysis::{paired, prediction},
    model::{Activation, Nonlinearity},
    report,
    store::{RunRecord, SweepRecord, VariantSummary, language::LmRecord, verify::Measured},
};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Measure {
    /// Run: how many of the experiment's `[reference]` values the run matches to the printed
    /// digit.
    PublishedMatches,
    /// Sweep: test accuracy of the first variant at grid point `point` (0-based, in grid
    /// order), mean and 95% interval over seeds.
    PointTestAccuracy { point: usize },
    /// Sweep: test accuracy of `variant` minus `baseline` at grid point `point`, paired by
    /// seed, mean and 95% interval.
    PairedGap {
        point: usize,
        variant: String,
        baseline: String,
    },
    /// No training: mean-field theory's critical weight variance of `activation` at
    /// `bias_var`.
    CriticalWeightVar { activation: String, bias_var: f64 },
    /// Run: `q^L / q^1`, the last hidden layer's mean z² over the first's, for `variant` before
    /// training (epoch 0).
    LengthRatio { variant: String },
    /// Sweep over weight variance and depth: the share of points on the side of `6 xi_c`
    /// that mean-field theory predicts (trainable within, not beyond).
    DepthScaleAgreement,
    /// Run: 1 when `variant`'s top hidden layer saturates toward its lower bound early in
    /// training, else 0.
    EarlySaturation { variant: String },
    /// Run: 1 when `variant`'s top hidden layer, once saturated, recovers within the budget,
    /// else 0.
    SaturationRecovery { variant: String },
    /// Language-model run: `variant`'s final validation loss, mean and 95% interval over seeds.
    ValidationLoss { variant: String },
    /// Language-model sweep: the share of (gated, plain) feed-forward pairs whose gated unit
    /// has the lower mean validation loss.
    GatedAhead,
    /// Language-model sweep: Kendall's tau between the published and the measured ordering.
    RankAgreement,
    /// Language-model sweep: the share of `activation`'s feed-forward activations that are not
    /// exactly zero, mean over blocks, at the last probed step.
    Nonzero { activation: String },
}

/// A value without an interval.
fn plain(value: f64, shown: String) -> Measured {
    Measured {
        value,
        interval: None,
        shown,
    }
}

fn percent(v: f64) -> String {
    format!("{:.1}%", 100.0 * v)
}

fn yes_no(flag: bool, yes: &str, no: &str) -> Measured {
    plain(
        f64::from(u8::from(flag)),
        (if flag { yes } else { no }).into(),
    )
}

fn read<T>(r: Result<T, crate::store::StoreError>) -> Result<T, String> {
    r.map_err(|e| e.to_string())
}

fn variant_of<'a>(
    variants: &'a [VariantSummary],
    name: &str,
) -> Result<&'a VariantSummary, String> {
    variants.iter().find(|v| v.name == name).ok_or_else(|| {
        format!(
            "no variant `{name}` here; there are: {}",
            variants
                .iter()
                .map(|v| v.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

impl Measure {
    /// The measure's `kind`, as written in a claim file.
    pub fn kind(&self) -> &'static str {
        match self {
            Measure::PublishedMatches => "published-matches",
            Measure::PointTestAccuracy { .. } => "point-test-accuracy",
            Measure::PairedGap { .. } => "paired-gap",
            Measure::CriticalWeightVar { .. } => "critical-weight-var",
            Measure::LengthRatio { .. } => "length-ratio",
            Measure::DepthScaleAgreement => "depth-scale-agreement",
            Measure::EarlySaturation { .. } => "early-saturation",
            Measure::SaturationRecovery { .. } => "saturation-recovery",
            Measure::ValidationLoss { .. } => "validation-loss",
            Measure::GatedAhead => "gated-ahead",
            Measure::RankAgreement => "rank-agreement",
            Measure::Nonzero { .. } => "nonzero",
        }
    }

    /// Whether the measure reads a folder an experiment wrote.
    pub fn needs_run(&self) -> bool {
        !matches!(self, Measure::CriticalWeightVar { .. })
    }

    /// Computes the measure, from `dir` where it needs a run; an error says in words what was
    /// missing.
    pub fn measure(&self, dir: Option<&Path>) -> Result<Measured, String> {
        if let Measure::CriticalWeightVar {
            activation,
            bias_var,
        } = self
        {
            let unit: Nonlinearity = activation.parse::<Activation>()?.into();
            let w = prediction::critical_weight_var(unit, *bias_var).map_err(|e| e.to_string())?;
            return Ok(plain(w, format!("{w:.4}")));
        }
        let dir = dir.ok_or("no run folder to read")?;
        match self {
            Measure::CriticalWeightVar { .. } => unreachable!("handled above"),
            Measure::PublishedMatches => {
                let record = read(RunRecord::load(dir))?;
                let rows = report::comparisons(&record);
                if rows.is_empty() {
                    return Err("the experiment has no [reference] values to compare".into());
                }
                let matched = rows.iter().filter(|r| r.matches()).count();
                Ok(plain(
                    matched as f64,
                    format!("{matched} of {}", rows.len()),
                ))
            }
            Measure::PointTestAccuracy { point } => {
                let record = read(SweepRecord::load(dir))?;
                let p = record.points.get(*point).ok_or_else(|| {
                    format!(
                        "point {point}: the sweep has {} finished points",
                        record.points.len()
                    )
                })?;
                let v = p.variants.first().ok_or("the point has no variants")?;
                let s = v
                    .stats
                    .test_accuracy
                    .ok_or("every seed diverged, so there is no test accuracy")?;
                Ok(Measured {
                    value: s.mean,
                    interval: (s.n > 1).then_some(s.ci95),
                    shown: if s.n > 1 {
                        format!(
                            "{} [{:.1}, {:.1}]",
                            percent(s.mean),
                            100.0 * s.ci95[0],
                            100.0 * s.ci95[1]
                        )
                    } else {
                        percent(s.mean)
                    },
                })
            }
            Measure::PairedGap {
                point,
                variant,
                baseline,
            } => {
                let record = read(SweepRecord::load(dir))?;
                let p = record.points.get(*point).ok_or_else(|| {
                    format!(
                        "point {point}: the sweep has {} finished points",
                        record.points.len()
                    )
                })?;
                let (x, y) = variant_of(&p.variants, variant)?
                    .paired_with(variant_of(&p.variants, baseline)?, |s| s.test_accuracy);
                let c = paired::compare(&x, &y)
                    .ok_or("fewer than two seeds pair, so there is no paired difference")?;
                Ok(Measured {
                    value: c.mean_difference,
                    interval: Some(c.ci95),
                    shown: format!(
                        "{:+.1} [{:+.1}, {:+.1}] points",
                        100.0 * c.mean_difference,
                        100.0 * c.ci95[0],
                        100.0 * c.ci95[1]
                    ),
                })
            }
            Measure::LengthRatio { variant } => {
                let record = read(RunRecord::load(dir))?;
                let layers = record.layer_names().len();
                let q = |layer| -> Option<f64> {
                    let s = report::layer_stat(&record, variant, 0, layer, "z", "std")?;
                    let m = report::layer_stat(&record, variant, 0, layer, "z", "mean")?;
                    Some(s * s + m * m)
                };
                let (Some(first), Some(last)) = (q(1), q(layers)) else {
                    return Err(format!(
                        "no probe of `{variant}`'s layers 1 and {layers} at epoch 0"
                    ));
                };
                let ratio = last / first;
                Ok(plain(
                    ratio,
                    format!("q^{layers} / q^1 = {last:.4} / {first:.4} = {ratio:.3}"),
                ))
            }
            Measure::DepthScaleAgreement => {
                let record = read(SweepRecord::load(dir))?;
                let map = crate::plot::trainability::map(&record)
                    .ok_or("the sweep does not vary model.weight_var and model.depth")?;
                let judged = map.judged();
                let agree = judged.iter().filter(|j| j.predicted == j.observed).count();
                let share = agree as f64 / judged.len().max(1) as f64;
                Ok(plain(
                    share,
                    format!("{agree} of {} points ({})", judged.len(), percent(share)),
                ))
            }
            Measure::EarlySaturation { variant } | Measure::SaturationRecovery { variant } => {
                let record = read(RunRecord::load(dir))?;
                let s = report::top_layer_saturation(&record, variant).ok_or_else(|| {
                    format!("`{variant}` has no bounded activation probed three times or more here")
                })?;
                Ok(match (self, s.saturated_at) {
                    (Measure::EarlySaturation { .. }, Some(e)) if s.early => {
                        yes_no(true, &format!("saturates early, by epoch {e}"), "")
                    }
                    (Measure::EarlySaturation { .. }, Some(e)) => {
                        yes_no(false, "", &format!("saturates late, by epoch {e}"))
                    }
                    (Measure::EarlySaturation { .. }, None) => {
                        yes_no(false, "", "does not saturate")
                    }
                    (_, None) => yes_no(false, "", "never saturates, so cannot recover"),
                    (_, Some(_)) => match s.recovered_at {
                        Some(e) => yes_no(true, &format!("recovers by epoch {e}"), ""),
                        None => yes_no(false, "", "does not recover within the budget"),
                    },
                })
            }
            Measure::ValidationLoss { variant } => {
                let record = read(LmRecord::load(dir))?;
                let v = record
                    .summary
                    .variants
                    .iter()
                    .find(|v| &v.name == variant)
                    .ok_or_else(|| format!("no variant `{variant}` here"))?;
                let mean = v
                    .mean_val_loss
                    .ok_or("every seed diverged, so there is no validation loss")?;
                Ok(Measured {
                    value: mean,
                    interval: v.val_loss_interval,
                    shown: match v.val_loss_interval {
                        Some([lo, hi]) => format!("{mean:.3} [{lo:.3}, {hi:.3}]"),
                        None => format!("{mean:.3}"),
                    },
                })
            }
            Measure::GatedAhead | Measure::RankAgreement | Measure::Nonzero { .. } => {
                let found = read(report::language_sweep_findings(dir))?;
                if found.finished < found.points {
                    return Err(format!(
                        "{} of the sweep's {} points are finished",
                        found.finished, found.points
                    ));
                }
                match self {
                    Measure::Nonzero { activation } => {
                        let (_, share) = found
                            .nonzero
                            .iter()
                            .find(|(a, _)| a == activation)
                            .ok_or_else(|| format!("no probed `{activation}` unit in the sweep"))?;
                        Ok(plain(*share, percent(*share)))
                    }
                    _ => {
                        let o = found
                            .ordering
                            .ok_or("the experiment has no [published] ordering")?;
                        if let Measure::GatedAhead = self {
                            let share = o.gated_ahead as f64 / o.pairs.max(1) as f64;
                            Ok(plain(
                                share,
                                format!("{} of {} pairs", o.gated_ahead, o.pairs),
                            ))
                        } else {
                            let tau = o.tau.ok_or("fewer than two units to rank")?;
                            Ok(plain(tau, format!("tau {tau:+.2} over {} units", o.units)))
                        }
                    }
                }
            }
        }
    }
}
