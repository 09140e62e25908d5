//! Gauss–Hermite and Gauss–Legendre rules against numpy's `hermgauss` and `leggauss`.

mod math_common;

use actlab::theory::Rule;
use math_common::{assert_close, golden};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct Golden {
    hermite: BTreeMap<String, Nodes>,
    legendre: BTreeMap<String, Nodes>,
}

#[derive(Deserialize)]
struct Nodes {
    nodes: Vec<f64>,
    weights: Vec<f64>,
}

fn check(name: &str, rule: &Rule, expected: &Nodes) {
    assert_eq!(rule.len(), expected.nodes.len(), "{name}");
    for (i, ((x, w), (ex, ew))) in rule
        .iter()
        .zip(expected.nodes.iter().zip(&expected.weights))
        .enumerate()
    {
        // Nodes to 1e-13 of their size; weights (down to 1e-170 at n = 200) relatively.
        assert_close(x, *ex, 1e-13, 1e-14, &format!("{name} node {i}"));
        assert_close(w, *ew, 1e-11, 0.0, &format!("{name} weight {i}"));
    }
}

#[test]
fn hermite_matches_numpy_hermgauss_up_to_200_nodes() {
    let golden: Golden = golden("quadrature.json");
    for (n, expected) in &golden.hermite {
        let rule = Rule::hermite(n.parse().unwrap()).unwrap();
        check(&format!("hermite({n})"), &rule, expected);
    }
}

#[test]
fn legendre_matches_numpy_leggauss() {
    let golden: Golden = golden("quadrature.json");
    for (n, expected) in &golden.legendre {
        let rule = Rule::legendre(n.parse().unwrap()).unwrap();
        check(&format!("legendre({n})"), &rule, expected);
    }
}

#[test]
fn hermite_integrates_gaussian_moments_exactly() {
    // ∫ x^{2k} e^{-x²} dx = Γ(k + ½); exact for 2k <= 2n - 1.
    let rule = Rule::hermite(20).unwrap();
    for k in 0..20 {
        let moment: f64 = rule.iter().map(|(x, w)| w * x.powi(2 * k)).sum();
        let exact = libm::tgamma(k as f64 + 0.5);
        assert_close(moment, exact, 1e-13, 0.0, &format!("moment {}", 2 * k));
    }
}

#[test]
fn empty_rules_are_refused() {
    assert!(Rule::hermite(0).is_err());
    assert!(Rule::legendre(0).is_err());
}

#[test]
fn large_rules_still_converge() {
    for n in [300, 500, 1000] {
        let rule = Rule::hermite(n).unwrap();
        let total: f64 = rule.weights.iter().sum();
        assert_close(
            total,
            std::f64::consts::PI.sqrt(),
            1e-12,
            0.0,
            &format!("hermite({n}) total weight"),
        );
        assert!(
            rule.nodes.windows(2).all(|w| w[0] < w[1]),
            "hermite({n}) nodes ascending"
        );
    }
}
