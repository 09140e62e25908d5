//! Backends agree: the seed protocol on ndarray f32 (and flex and wgpu when built in) matches
//! ndarray f64 to within 1e-3 in every epoch's loss, with equal test accuracy.

mod common;

use std::{path::Path, process::Command};

use common::temp_dir;

/// `(epoch loss, test accuracy)` rows of a short seed-protocol run on `backend`.
fn run(dir: &Path, backend: &str, epochs: usize) -> Vec<(f64, f64)> {
    let out = dir.join(backend);
    let status = Command::new(env!("CARGO_BIN_EXE_actlab"))
        .args([
            "run",
            "sigmoid-vs-relu",
            "--backend",
            backend,
            "--set",
            &format!("train.epochs={epochs}"),
            "--set",
            "probes.enabled=false",
        ])
        .arg("--out")
        .arg(&out)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(status.success(), "{backend} runs");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let precision = summary["backend"]["precision"].as_str().unwrap();
    assert_eq!(
        precision,
        if backend == "ndarray" { "f64" } else { "f32" },
        "{backend} records its precision"
    );
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert_eq!(
        report.contains("values are approximate"),
        precision == "f32",
        "{backend}: the report says whether values are exact"
    );
    std::fs::read_to_string(out.join("metrics.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[4].parse().unwrap(), f[7].parse().unwrap())
        })
        .collect()
}

fn assert_agree(reference: &[(f64, f64)], other: &[(f64, f64)], name: &str) {
    assert_eq!(reference.len(), other.len());
    for (i, ((l1, a1), (l2, a2))) in reference.iter().zip(other).enumerate() {
        assert!((l1 - l2).abs() < 1e-3, "{name}, row {i}: loss {l1} vs {l2}");
        if i + 1 == reference.len() / 2 || i + 1 == reference.len() {
            // float32 holds 0.8 as 0.800000011920929: equal to within its precision.
            assert!(
                (a1 - a2).abs() < 1e-6,
                "{name}: final test accuracy {a1} vs {a2}"
            );
        }
    }
}

#[test]
fn ndarray_f32_agrees_with_f64() {
    let dir = temp_dir("backends-f32");
    let exact = run(&dir, "ndarray", 100);
    assert_agree(&exact, &run(&dir, "ndarray-f32", 100), "ndarray-f32");
}

#[cfg(feature = "flex")]
#[test]
fn flex_agrees_with_ndarray() {
    let dir = temp_dir("backends-flex");
    assert_agree(
        &run(&dir, "ndarray-f32", 100),
        &run(&dir, "flex", 100),
        "flex",
    );
}

/// wgpu on whatever adapter is present (set ACTLAB_WGPU_DEVICE=cpu for lavapipe). Short: a
/// software adapter compiles its kernels slowly.
#[cfg(feature = "wgpu")]
#[test]
fn wgpu_agrees_with_ndarray() {
    let dir = temp_dir("backends-wgpu");
    assert_agree(
        &run(&dir, "ndarray-f32", 20),
        &run(&dir, "wgpu", 20),
        "wgpu",
    );
}
