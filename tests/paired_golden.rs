//! Paired statistics against scipy 1.17.1 (`special.betainc`, `stats.t`, `ttest_rel`,
//! `wilcoxon`) and statsmodels 0.15 (`multipletests(method="holm")`).

mod math_common;

use actlab::analysis::paired::special::{
    incomplete_beta, student_t_cdf, student_t_quantile, student_t_sf,
};
use actlab::analysis::paired::{PairedError, WilcoxonMethod, holm, paired_t, wilcoxon};
use math_common::{assert_close, golden};
use serde::Deserialize;

#[derive(Deserialize)]
struct Golden {
    cases: Vec<Case>,
    holm: Vec<HolmCase>,
    special: Special,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    x: Vec<f64>,
    y: Vec<f64>,
    mean_difference: f64,
    std_difference: f64,
    t: f64,
    df: f64,
    t_p_value: f64,
    ci95: [f64; 2],
    wilcoxon_statistic: f64,
    wilcoxon_p_value: f64,
    wilcoxon_method: String,
}

#[derive(Deserialize)]
struct HolmCase {
    p: Vec<f64>,
    adjusted: Vec<f64>,
}

#[derive(Deserialize)]
struct Special {
    betainc: Vec<Beta>,
    t_cdf: Vec<TCdf>,
    t_ppf: Vec<TPpf>,
}

#[derive(Deserialize)]
struct Beta {
    a: f64,
    b: f64,
    x: f64,
    value: f64,
}

#[derive(Deserialize)]
struct TCdf {
    t: f64,
    df: f64,
    cdf: f64,
    sf: f64,
}

#[derive(Deserialize)]
struct TPpf {
    p: f64,
    df: f64,
    ppf: f64,
}

fn load() -> Golden {
    golden("paired.json")
}

#[test]
fn incomplete_beta_matches_scipy_betainc() {
    for g in load().special.betainc {
        let at = format!("I_{}({}, {})", g.x, g.a, g.b);
        assert_close(incomplete_beta(g.a, g.b, g.x), g.value, 1e-13, 1e-300, &at);
    }
}

#[test]
fn student_t_cdf_and_tails_match_scipy() {
    for g in load().special.t_cdf {
        let at = format!("t = {}, df = {}", g.t, g.df);
        // Relative, so the far tails (down to ~1e-30 here) are held to the same digits.
        assert_close(student_t_cdf(g.t, g.df), g.cdf, 1e-13, 1e-300, &at);
        assert_close(student_t_sf(g.t, g.df), g.sf, 1e-13, 1e-300, &at);
    }
}

#[test]
fn student_t_quantile_matches_scipy_ppf() {
    for g in load().special.t_ppf {
        let at = format!("ppf({}, df = {})", g.p, g.df);
        assert_close(student_t_quantile(g.p, g.df), g.ppf, 1e-12, 1e-15, &at);
    }
    assert!(student_t_quantile(0.0, 3.0).is_nan() && student_t_quantile(1.0, 3.0).is_nan());
    assert!(student_t_quantile(0.5, -1.0).is_nan());
}

#[test]
fn paired_t_matches_scipy_ttest_rel() {
    for g in load().cases {
        let r = paired_t(&g.x, &g.y).unwrap();
        let at = |what: &str| format!("{} {what}", g.name);
        assert_eq!(r.n, g.x.len());
        assert_eq!(r.df, g.df);
        assert_close(
            r.mean_difference,
            g.mean_difference,
            1e-12,
            1e-16,
            &at("mean"),
        );
        assert_close(r.std_difference, g.std_difference, 1e-12, 0.0, &at("std"));
        assert_close(r.t, g.t, 1e-11, 0.0, &at("t"));
        // p-values relative to 1e-10: the statistic's own ~1e-13 rounding, amplified by the
        // tail's slope, is the limit (p down to 8e-27 here).
        assert_close(r.p_value, g.t_p_value, 1e-10, 0.0, &at("p"));
        assert_close(r.ci95[0], g.ci95[0], 1e-11, 1e-15, &at("ci low"));
        assert_close(r.ci95[1], g.ci95[1], 1e-11, 1e-15, &at("ci high"));
    }
}

#[test]
fn wilcoxon_matches_scipy_defaults() {
    for g in load().cases {
        let r = wilcoxon(&g.x, &g.y).unwrap();
        let at = |what: &str| format!("{} {what}", g.name);
        let method = match r.method {
            WilcoxonMethod::Exact => "exact",
            WilcoxonMethod::Permutation => "permutation",
            WilcoxonMethod::Normal => "normal",
        };
        assert_eq!(method, g.wilcoxon_method, "{}", at("method"));
        assert_eq!(r.statistic, g.wilcoxon_statistic, "{}", at("statistic"));
        assert_eq!(r.z.is_some(), r.method == WilcoxonMethod::Normal);
        // Exact and permutation p-values are ratios of integer counts: equal to rounding.
        // Normal ones go through erfc: ~1e-15 relative.
        assert_close(r.p_value, g.wilcoxon_p_value, 1e-12, 0.0, &at("p"));
    }
}

#[test]
fn holm_matches_statsmodels_multipletests() {
    for g in load().holm {
        let adjusted = holm(&g.p).unwrap();
        assert_eq!(adjusted.len(), g.adjusted.len());
        for (a, e) in adjusted.iter().zip(&g.adjusted) {
            assert_close(*a, *e, 1e-15, 0.0, &format!("holm({:?})", g.p));
        }
    }
}

#[test]
fn holm_is_monotone_in_the_raw_order_and_capped() {
    let p = [0.04, 0.001, 0.3, 0.02, 0.02, 0.9];
    let adjusted = holm(&p).unwrap();
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&i, &j| p[i].total_cmp(&p[j]));
    assert!(
        order.windows(2).all(|w| adjusted[w[0]] <= adjusted[w[1]]),
        "{adjusted:?}"
    );
    assert!(
        adjusted
            .iter()
            .zip(&p)
            .all(|(a, raw)| a >= raw && *a <= 1.0)
    );
    assert_eq!(holm(&[]).unwrap(), Vec::<f64>::new());
}

#[test]
fn edge_cases_are_errors_not_panics() {
    let one = [0.5];
    assert_eq!(paired_t(&one, &one), Err(PairedError::TooFewPairs(1)));
    assert_eq!(wilcoxon(&[], &[]), Err(PairedError::TooFewPairs(0)));
    assert_eq!(
        paired_t(&[1.0, 2.0], &[1.0]),
        Err(PairedError::LengthMismatch { x: 2, y: 1 })
    );
    let x = [0.8, 0.7, 0.9];
    assert_eq!(paired_t(&x, &x), Err(PairedError::AllDifferencesZero));
    assert_eq!(wilcoxon(&x, &x), Err(PairedError::AllDifferencesZero));
    let nan = [0.8, f64::NAN, 0.9];
    assert_eq!(paired_t(&x, &nan), Err(PairedError::NonFinite { index: 1 }));
    assert_eq!(wilcoxon(&nan, &x), Err(PairedError::NonFinite { index: 1 }));
    assert_eq!(
        paired_t(&[f64::INFINITY, 1.0], &[0.0, 0.0]),
        Err(PairedError::NonFinite { index: 0 })
    );
    assert!(matches!(
        holm(&[0.1, f64::NAN]),
        Err(PairedError::InvalidPValue { index: 1, .. })
    ));
    assert!(matches!(
        holm(&[0.1, 1.5]),
        Err(PairedError::InvalidPValue { index: 1, .. })
    ));
    let r = paired_t(&[0.9, 0.8, 0.7], &[0.8, 0.75, 0.6]).unwrap();
    assert_eq!(
        r.confidence_interval(1.0),
        Err(PairedError::InvalidLevel(1.0))
    );
}

#[test]
fn constant_nonzero_differences_give_an_infinite_t_like_scipy() {
    let r = paired_t(&[1.5, 2.5, 3.5], &[1.0, 2.0, 3.0]).unwrap();
    assert_eq!(r.std_difference, 0.0);
    assert_eq!(r.t, f64::INFINITY);
    assert_eq!(r.p_value, 0.0);
    assert_eq!(r.ci95, [0.5, 0.5]);
}

#[test]
fn confidence_interval_widens_with_the_level() {
    let r = paired_t(
        &[0.91, 0.85, 0.88, 0.9, 0.86],
        &[0.9, 0.8, 0.86, 0.84, 0.85],
    )
    .unwrap();
    let ci90 = r.confidence_interval(0.90).unwrap();
    let ci99 = r.confidence_interval(0.99).unwrap();
    assert!(
        ci99[0] < r.ci95[0] && r.ci95[0] < ci90[0] && ci90[1] < r.ci95[1] && r.ci95[1] < ci99[1]
    );
}
