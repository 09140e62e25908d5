//! Welch's unequal-variance t test, for two samples that do not pair (different seeds or data
//! orders): scipy's `ttest_ind(x, y, equal_var=False)` with its confidence interval.

use super::{
    PairedError,
    special::{student_t_quantile, student_t_two_sided},
};

/// Welch's t test of `mean(x) - mean(y)`, two-sided.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Welch {
    pub mean_difference: f64,
    pub t: f64,
    /// The Welch-Satterthwaite degrees of freedom.
    pub df: f64,
    pub p_value: f64,
    /// The 95% confidence interval of the difference of means.
    pub ci95: [f64; 2],
}

/// Welch's test of `x` against `y`: each needs at least two finite values. Two samples of
/// constant, equal values give a zero difference with `p = 1`; constant, different values give
/// `t = ±∞`, `p = 0`.
pub fn welch(x: &[f64], y: &[f64]) -> Result<Welch, PairedError> {
    for sample in [x, y] {
        if sample.len() < 2 {
            return Err(PairedError::TooFewPairs(sample.len()));
        }
        if let Some(index) = sample.iter().position(|v| !v.is_finite()) {
            return Err(PairedError::NonFinite { index });
        }
    }
    let moments = |s: &[f64]| {
        let n = s.len() as f64;
        let mean = s.iter().sum::<f64>() / n;
        let var = s.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, var / n, n)
    };
    let ((mx, vx, nx), (my, vy, ny)) = (moments(x), moments(y));
    let difference = mx - my;
    let variance = vx + vy;
    if variance == 0.0 {
        let (t, p_value) = if difference == 0.0 {
            (0.0, 1.0)
        } else {
            (difference.signum() * f64::INFINITY, 0.0)
        };
        return Ok(Welch {
            mean_difference: difference,
            t,
            df: nx + ny - 2.0,
            p_value,
            ci95: [difference, difference],
        });
    }
    let error = variance.sqrt();
    let t = difference / error;
    let df = variance * variance / (vx * vx / (nx - 1.0) + vy * vy / (ny - 1.0));
    let half = student_t_quantile(0.975, df) * error;
    Ok(Welch {
        mean_difference: difference,
        t,
        df,
        p_value: student_t_two_sided(t, df),
        ci95: [difference - half, difference + half],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol * b.abs().max(1.0), "{a} vs {b}");
    }

    /// scipy 1.17 `ttest_ind(x, y, equal_var=False)` and its `confidence_interval(0.95)`.
    #[test]
    fn equals_scipy() {
        let w = welch(
            &[0.81, 0.84, 0.79, 0.86, 0.83],
            &[0.78, 0.80, 0.77, 0.82, 0.75, 0.79],
        )
        .unwrap();
        close(w.t, 2.6229650073420308, 1e-12);
        close(w.df, 8.219701373802895, 1e-12);
        close(w.p_value, 0.029820937181168277, 1e-10);
        close(w.ci95[0], 0.005121482255116022, 1e-10);
        close(w.ci95[1], 0.07687851774488383, 1e-10);

        let w = welch(&[1.0, 2.0, 3.0], &[10.0, 10.5]).unwrap();
        close(w.t, -13.112870334943935, 1e-12);
        close(w.df, 2.6350364963503647, 1e-12);
        close(w.p_value, 0.0017930717999468395, 1e-10);
        close(w.ci95[0], -10.41865104023665, 1e-10);
        close(w.ci95[1], -6.08134895976335, 1e-10);
    }

    #[test]
    fn refuses_what_it_cannot_test() {
        assert_eq!(welch(&[1.0], &[1.0, 2.0]), Err(PairedError::TooFewPairs(1)));
        assert_eq!(
            welch(&[1.0, f64::NAN], &[1.0, 2.0]),
            Err(PairedError::NonFinite { index: 1 })
        );
        let same = welch(&[2.0, 2.0], &[2.0, 2.0, 2.0]).unwrap();
        assert_eq!((same.t, same.p_value), (0.0, 1.0));
        let apart = welch(&[3.0, 3.0], &[2.0, 2.0]).unwrap();
        assert_eq!((apart.t, apart.p_value), (f64::INFINITY, 0.0));
    }
}
