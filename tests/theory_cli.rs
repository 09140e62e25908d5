//! `actlab theory` from the command line: the closed forms and the tanh critical point through
//! the CLI's JSON, and its refusals.

use std::process::Command;

fn theory(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_actlab"))
        .arg("theory")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(args: &[&str]) -> serde_json::Value {
    let (ok, out, err) = theory(args);
    assert!(ok, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn json_has_the_documented_keys_and_closed_forms() {
    // ReLU at sigma_w^2 = 2: q^(l+1) = sigma_w^2 q^l / 2, so every length stays at q^1 = 2.
    let relu = json(&[
        "--activation",
        "relu",
        "--weight-var",
        "2",
        "--depth",
        "5",
        "--json",
    ]);
    for key in ["q_star", "c_star", "chi1", "xi_q", "xi_c", "q"] {
        assert!(relu.get(key).is_some(), "key {key}");
    }
    assert!((relu["chi1"].as_f64().unwrap() - 1.0).abs() < 1e-12);
    for q in relu["q"].as_array().unwrap() {
        assert!((q.as_f64().unwrap() - 2.0).abs() < 1e-12);
    }
    // ReLU at sigma_w^2 = 1, sigma_b^2 = 0.5: q^(l+1) = q^l / 2 + 0.5, q* = 1.
    let halving = json(&[
        "--activation",
        "relu",
        "--weight-var",
        "1",
        "--bias-var",
        "0.5",
        "--depth",
        "3",
        "--json",
    ]);
    let q: Vec<f64> = halving["q"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(
        (q[0] - 1.5).abs() < 1e-12 && (q[1] - 1.25).abs() < 1e-12 && (q[2] - 1.125).abs() < 1e-12
    );
    assert!((halving["q_star"].as_f64().unwrap() - 1.0).abs() < 1e-9);
    // Identity: chi_1 = sigma_w^2.
    let identity = json(&["--activation", "identity", "--weight-var", "0.8", "--json"]);
    assert!((identity["chi1"].as_f64().unwrap() - 0.8).abs() < 1e-12);
}

#[test]
fn the_tanh_critical_point_with_bias() {
    // chi_1 = 1 at sigma_b^2 = 0.05; the value an independent scipy computation gives
    // (tests/golden/make_math_golden.py) is 1.7609546396067.
    let at = json(&[
        "--activation",
        "tanh",
        "--weight-var",
        "1.5",
        "--bias-var",
        "0.05",
        "--critical",
        "--json",
    ]);
    let critical = at["critical_weight_var"].as_f64().unwrap();
    assert!((critical - 1.760_954_6).abs() < 1e-3, "{critical}");
    let on = json(&[
        "--activation",
        "tanh",
        "--weight-var",
        &critical.to_string(),
        "--bias-var",
        "0.05",
        "--json",
    ]);
    assert!((on["chi1"].as_f64().unwrap() - 1.0).abs() < 1e-3);
    // And tanh without bias is critical at sigma_w^2 = 1.
    let unbiased = json(&["--activation", "tanh", "--critical", "--json"]);
    assert!((unbiased["critical_weight_var"].as_f64().unwrap() - 1.0).abs() < 1e-3);
}

#[test]
fn bad_arguments_are_refused() {
    for args in [
        vec!["--activation", "swish"],
        vec!["--activation", "tanh", "--weight-var", "-1"],
        vec!["--activation", "tanh", "--depth", "0"],
        vec!["--activation", "tanh", "--gain", "0"],
    ] {
        let (ok, _, err) = theory(&args);
        assert!(!ok && err.contains("error"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}
