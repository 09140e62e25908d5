//! The numbers of a comparison: each side's results per variant, and each later side's
//! difference from the first, tested paired where seeds and data orders pair and with
//! Welch's test where they do not.

use super::side::Side;
use crate::{
    analysis::{
        paired::{self, Welch, welch},
        stats::Stat,
    },
    store::{SeedResult, VariantSummary},
};

/// The two final metrics compared per seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    TestAccuracy,
    FinalTrainLoss,
}

impl Metric {
    pub const ALL: [Metric; 2] = [Metric::TestAccuracy, Metric::FinalTrainLoss];

    pub fn name(self) -> &'static str {
        match self {
            Self::TestAccuracy => "test accuracy",
            Self::FinalTrainLoss => "final train loss",
        }
    }

    fn of(self, seed: &SeedResult) -> Option<f64> {
        match self {
            Self::TestAccuracy => seed.test_accuracy,
            Self::FinalTrainLoss => seed.final_train_loss,
        }
        .filter(|v| v.is_finite())
    }

    /// The variant's statistic over its seeds that did not diverge.
    pub fn stat(self, variant: &VariantSummary) -> Option<Stat> {
        match self {
            Self::TestAccuracy => variant.stats.test_accuracy,
            Self::FinalTrainLoss => variant.stats.final_train_loss,
        }
    }
}

/// How a difference was tested.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Test {
    /// Same seeds and data orders on both sides: paired t and Wilcoxon signed-rank.
    Paired(paired::Comparison),
    /// Different seeds or data orders: Welch's unequal-variance t test.
    Unpaired(Welch),
    /// Fewer than two values on a side: the difference of the values, untested.
    Untested { reason: &'static str },
}

/// One later side's variant against the first side's.
#[derive(Clone, Debug, PartialEq)]
pub struct Contrast {
    /// The variant's name, or `first vs other` when the sides' single variants differ in name.
    pub variant: String,
    pub base: String,
    pub other: String,
    pub metric: Metric,
    /// `other - base`, of the means over seeds.
    pub difference: Option<f64>,
    pub test: Test,
}

/// The variants of `base` and `other` that are compared: those of the same name, or the single
/// variant of each when each has one.
pub fn matched<'a>(
    base: &'a Side,
    other: &'a Side,
) -> Vec<(&'a VariantSummary, &'a VariantSummary)> {
    let same: Vec<_> = base
        .variants
        .iter()
        .filter_map(|b| Some((b, other.variants.iter().find(|o| o.name == b.name)?)))
        .collect();
    match (same.is_empty(), &base.variants[..], &other.variants[..]) {
        (true, [b], [o]) => vec![(b, o)],
        _ => same,
    }
}

/// Every later side against the first, per matched variant and metric.
pub fn contrasts(sides: &[Side]) -> Vec<Contrast> {
    let Some((base, others)) = sides.split_first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for other in others {
        for (b, o) in matched(base, other) {
            let variant = if b.name == o.name {
                b.name.clone()
            } else {
                format!("{} vs {}", b.name, o.name)
            };
            for metric in Metric::ALL {
                let (difference, test) = contrast(b, o, metric);
                out.push(Contrast {
                    variant: variant.clone(),
                    base: base.label.clone(),
                    other: other.label.clone(),
                    metric,
                    difference,
                    test,
                });
            }
        }
    }
    out
}

/// `o - b` on `metric` and its test.
fn contrast(b: &VariantSummary, o: &VariantSummary, metric: Metric) -> (Option<f64>, Test) {
    let mean = |v: &VariantSummary| metric.stat(v).map(|s| s.mean);
    let difference = mean(b).zip(mean(o)).map(|(b, o)| o - b);
    let key = |s: &SeedResult| (s.seed, s.data_seed);
    let paired =
        b.seeds.len() == o.seeds.len() && b.seeds.iter().map(key).eq(o.seeds.iter().map(key));
    let pairs: (Vec<f64>, Vec<f64>) = o
        .seeds
        .iter()
        .zip(&b.seeds)
        .filter_map(|(os, bs)| Some((metric.of(os)?, metric.of(bs)?)))
        .unzip();
    let values =
        |v: &VariantSummary| -> Vec<f64> { v.seeds.iter().filter_map(|s| metric.of(s)).collect() };
    tested(
        difference,
        paired.then_some((&pairs.0, &pairs.1)),
        (&values(o), &values(b)),
    )
}

/// A difference `other - base` and its test: paired over `pairs` (`other`'s values, `base`'s,
/// seed by seed) where the sides pair, else Welch's test over `unpaired` (`other`'s values,
/// `base`'s). A paired test gives the mean of the seeds' differences in place of `difference`.
pub fn tested(
    difference: Option<f64>,
    pairs: Option<(&[f64], &[f64])>,
    (other, base): (&[f64], &[f64]),
) -> (Option<f64>, Test) {
    if let Some((x, y)) = pairs {
        return match paired::compare(x, y) {
            Some(c) => (Some(c.mean_difference), Test::Paired(c)),
            None => (
                difference,
                Test::Untested {
                    reason: "fewer than two seeds that did not diverge",
                },
            ),
        };
    }
    match welch(other, base) {
        Ok(w) => (difference, Test::Unpaired(w)),
        Err(_) => (
            difference,
            Test::Untested {
                reason: "fewer than two seeds on a side",
            },
        ),
    }
}
