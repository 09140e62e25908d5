//! The rule that decides whether a measurement agrees with a published value.

use serde::{Deserialize, Serialize};

use crate::store::verify::Measured;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Rule {
    /// |measured - published| <= within.
    Tolerance { within: f64 },
    /// The measured 95% interval contains the published value.
    IntervalContains,
    /// The measured 95% interval overlaps published ± `half_width`: the range a value
    /// printed to that precision stands for (32% printed in whole percents: 31.5% to 32.5%).
    IntervalOverlaps { half_width: f64 },
    /// measured >= published.
    AtLeast,
    /// measured <= published.
    AtMost,
    /// The whole measured 95% interval lies above the published value (above it with
    /// confidence, e.g. a difference above 0); without an interval, the value does.
    Above,
    /// measured / published within [1 / factor, factor].
    WithinFactor { factor: f64 },
}

impl Rule {
    /// A rule that could never decide is an error, in words.
    pub fn check(&self, published: f64) -> Result<(), String> {
        match *self {
            Rule::Tolerance { within } if !(within.is_finite() && within >= 0.0) => Err(format!(
                "rule.within = {within}: allowed: a finite tolerance, 0 or more"
            )),
            Rule::IntervalOverlaps { half_width }
                if !(half_width.is_finite() && half_width >= 0.0) =>
            {
                Err(format!(
                    "rule.half_width = {half_width}: allowed: a finite half-width, 0 or more"
                ))
            }
            Rule::WithinFactor { factor } if !(factor.is_finite() && factor >= 1.0) => Err(
                format!("rule.factor = {factor}: allowed: a finite factor, 1 or more"),
            ),
            Rule::WithinFactor { .. } if published <= 0.0 => Err(format!(
                "rule `within-factor` compares ratios, so published = {published} must be positive"
            )),
            _ => Ok(()),
        }
    }

    /// Whether `measured` agrees with `published`; `Err` when the measurement lacks what the
    /// rule needs (an interval).
    pub fn holds(&self, published: f64, measured: &Measured) -> Result<bool, String> {
        let v = measured.value;
        Ok(match *self {
            Rule::Tolerance { within } => (v - published).abs() <= within,
            Rule::IntervalContains => {
                let [lo, hi] = measured.interval.ok_or(
                    "the rule needs a 95% interval, and the measurement has none (one seed?)",
                )?;
                lo <= published && published <= hi
            }
            Rule::IntervalOverlaps { half_width } => {
                let [lo, hi] = measured.interval.ok_or(
                    "the rule needs a 95% interval, and the measurement has none (one seed?)",
                )?;
                lo <= published + half_width && published - half_width <= hi
            }
            Rule::AtLeast => v >= published,
            Rule::AtMost => v <= published,
            Rule::Above => measured.interval.map_or(v, |[lo, _]| lo) > published,
            Rule::WithinFactor { factor } => {
                let ratio = v / published;
                ratio >= 1.0 / factor && ratio <= factor
            }
        })
    }

    /// The rule in words, for the table.
    pub fn describe(&self) -> String {
        match self {
            Rule::Tolerance { within } => format!("within {within} of it"),
            Rule::IntervalContains => "its 95% interval contains it".into(),
            Rule::IntervalOverlaps { half_width } => {
                format!("its 95% interval overlaps it ± {half_width} (its printed precision)")
            }
            Rule::AtLeast => "at least it".into(),
            Rule::AtMost => "at most it".into(),
            Rule::Above => "above it (the whole 95% interval)".into(),
            Rule::WithinFactor { factor } => format!("within a factor {factor} of it"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(value: f64, interval: Option<[f64; 2]>) -> Measured {
        Measured {
            value,
            interval,
            shown: String::new(),
        }
    }

    #[test]
    #[allow(clippy::approx_constant)] // 0.318 is a measured 31.8%, not 1/pi
    fn rules_by_hand() {
        let t = Rule::Tolerance { within: 0.07 };
        assert_eq!(t.holds(1.88, &m(1.94, None)), Ok(true));
        assert_eq!(t.holds(1.88, &m(1.96, None)), Ok(false));
        let c = Rule::IntervalContains;
        assert_eq!(c.holds(0.68, &m(0.662, Some([0.639, 0.685]))), Ok(true));
        assert_eq!(c.holds(0.68, &m(0.638, Some([0.631, 0.644]))), Ok(false));
        assert!(c.holds(0.68, &m(0.66, None)).is_err());
        // 32% in whole percents stands for 31.5% to 32.5%.
        let o = Rule::IntervalOverlaps { half_width: 0.005 };
        assert_eq!(o.holds(0.32, &m(0.318, Some([0.3170, 0.3199]))), Ok(true));
        assert_eq!(o.holds(0.32, &m(0.31, Some([0.305, 0.3149]))), Ok(false));
        assert_eq!(o.holds(0.32, &m(0.33, Some([0.3251, 0.335]))), Ok(false));
        assert!(o.holds(0.32, &m(0.32, None)).is_err());
        assert_eq!(Rule::AtLeast.holds(18.0, &m(18.0, None)), Ok(true));
        assert_eq!(Rule::AtLeast.holds(18.0, &m(17.0, None)), Ok(false));
        assert_eq!(Rule::AtMost.holds(0.03, &m(0.21, None)), Ok(false));
        // Above: the interval's lower end decides, not the mean.
        assert_eq!(
            Rule::Above.holds(0.0, &m(0.06, Some([0.03, 0.10]))),
            Ok(true)
        );
        assert_eq!(
            Rule::Above.holds(0.0, &m(0.06, Some([-0.01, 0.13]))),
            Ok(false)
        );
        let f = Rule::WithinFactor { factor: 2.0 };
        assert_eq!(f.holds(1.0, &m(1.31, None)), Ok(true));
        assert_eq!(f.holds(1.0, &m(0.49, None)), Ok(false));
        assert_eq!(f.holds(1.0, &m(2.0f64.powi(-49), None)), Ok(false));
    }

    #[test]
    fn rules_that_cannot_decide_are_errors() {
        assert!(Rule::Tolerance { within: -1.0 }.check(1.0).is_err());
        assert!(Rule::Tolerance { within: f64::NAN }.check(1.0).is_err());
        assert!(Rule::WithinFactor { factor: 0.5 }.check(1.0).is_err());
        assert!(Rule::WithinFactor { factor: 2.0 }.check(0.0).is_err());
        assert!(
            Rule::IntervalOverlaps { half_width: -0.1 }
                .check(1.0)
                .is_err()
        );
        assert!(Rule::AtLeast.check(1.0).is_ok());
    }
}
