//! Summary statistics over seeds: mean, sample standard deviation, 95% confidence interval.

use serde::{Deserialize, Serialize};

/// Mean, sample std and the t-based 95% confidence interval of the mean.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation (n - 1 in the denominator); 0 for one value.
    pub std: f64,
    /// 95% confidence interval of the mean: `mean -+ t(0.975, n - 1) * std / sqrt(n)`.
    pub ci95: [f64; 2],
}

/// Two-sided 95% quantiles of Student's t for 1 to 30 degrees of freedom.
const T975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

/// `t(0.975, df)`: tabulated to 30, then the normal quantile with a first-order correction.
pub fn t_quantile_975(df: usize) -> f64 {
    match df {
        0 => f64::NAN,
        1..=30 => T975[df - 1],
        _ => 1.959_964 + 2.37 / df as f64,
    }
}

impl Stat {
    /// `None` for no values.
    pub fn of(values: &[f64]) -> Option<Self> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        if n == 1 {
            return Some(Self {
                n,
                mean,
                std: 0.0,
                ci95: [mean, mean],
            });
        }
        let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
        let half = t_quantile_975(n - 1) * std / (n as f64).sqrt();
        Some(Self {
            n,
            mean,
            std,
            ci95: [mean - half, mean + half],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked_interval() {
        // values 1, 2, 3, 4: mean 2.5, sample variance 5/3, std 1.29099, t(3) = 3.182,
        // half-width 3.182 * 1.29099 / 2 = 2.05397.
        let s = Stat::of(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(s.mean, 2.5);
        assert!((s.std - 1.290_994_4).abs() < 1e-6);
        assert!((s.ci95[0] - 0.446_03).abs() < 1e-4 && (s.ci95[1] - 4.553_97).abs() < 1e-4);
        assert_eq!(Stat::of(&[]), None);
        assert_eq!(Stat::of(&[7.0]).unwrap().ci95, [7.0, 7.0]);
    }
}
