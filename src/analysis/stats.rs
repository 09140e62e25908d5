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

/// `t(0.975, df)`, the two-sided 95% quantile of Student's t (exact, not tabulated).
pub fn t_quantile_975(df: usize) -> f64 {
    if df == 0 {
        return f64::NAN;
    }
    super::paired::special::student_t_quantile(0.975, df as f64)
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
        // values 1, 2, 3, 4: mean 2.5, sample variance 5/3, std 1.2909944, t(0.975, 3) =
        // 3.182446305 (scipy.stats.t.ppf), half-width 3.182446305 * 1.2909944 / 2 = 2.0542603.
        let s = Stat::of(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(s.mean, 2.5);
        assert!((s.std - 1.290_994_4).abs() < 1e-6);
        assert!((s.ci95[0] - 0.445_739_7).abs() < 1e-6 && (s.ci95[1] - 4.554_260_3).abs() < 1e-6);
        assert_eq!(Stat::of(&[]), None);
        assert_eq!(Stat::of(&[7.0]).unwrap().ci95, [7.0, 7.0]);
    }
}
