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

/// `(variant, epoch, layer name, tensor, statistic) -> value` of `activations.csv` of a short
/// run of `family` (`mlp` with batch normalization, `residual-mlp`, or `cnn` on MNIST-1D).
fn probes(dir: &Path, backend: &str, family: &str) -> std::collections::BTreeMap<String, f64> {
    let out = dir.join(format!("{backend}-{family}"));
    let mut args: Vec<String> = vec![
        "run".into(),
        "sigmoid-vs-relu".into(),
        "--backend".into(),
        backend.into(),
        "--out".into(),
        out.to_str().unwrap().into(),
    ];
    let mut set = |s: &str| args.extend(["--set".into(), s.into()]);
    set("train.epochs=4");
    set("probes.every=2");
    set("train.engine=\"burn\"");
    match family {
        "mlp" => set("model.norm=\"batch\""),
        "residual-mlp" => {
            set("model.family=\"residual-mlp\"");
            set("model.hidden=[8,8,8]");
        }
        _ => {
            for s in [
                "data.kind=\"mnist1d\"",
                "data.n_samples=0",
                "data.noise=0",
                "data.scaling=\"none\"",
                "data.n_train=200",
                "data.n_test=100",
                "model.family=\"cnn\"",
                "model.conv=[{channels=4,kernel=5,stride=2}]",
                "model.hidden=[8]",
                "probes.max_points=50",
            ] {
                set(s);
            }
        }
    }
    let status = Command::new(env!("CARGO_BIN_EXE_actlab"))
        .args(&args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(status.success(), "{backend} {family} runs");
    assert!(out.join("layer_activity.png").is_file());
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        summary["backend"]["backend"],
        backend.split('-').next().unwrap()
    );
    csv::Reader::from_path(out.join("activations.csv"))
        .unwrap()
        .deserialize::<std::collections::HashMap<String, String>>()
        .map(|r| {
            let r = r.unwrap();
            let key = ["variant", "epoch", "name", "tensor", "statistic"]
                .map(|c| r[c].as_str())
                .join("/");
            (key, r["value"].parse().unwrap())
        })
        .collect()
}

/// Probes on a float32 backend are that backend's own: every statistic of the float64 run is
/// there, close to it at epoch 0 (before training), and not equal to it bit for bit.
fn assert_probed_in_f32(dir: &Path, backend: &str) {
    for family in ["mlp", "residual-mlp", "cnn"] {
        let exact = probes(dir, "ndarray", family);
        let other = probes(dir, backend, family);
        assert_eq!(
            exact.keys().collect::<Vec<_>>(),
            other.keys().collect::<Vec<_>>(),
            "{backend} {family}: the same statistics"
        );
        let mut differ = 0;
        for (key, a) in &exact {
            let b = other[key];
            if a != &b {
                differ += 1;
            }
            if key.contains("/0/") && (key.ends_with("/z/std") || key.ends_with("/a/std")) {
                assert!(
                    (a - b).abs() <= 1e-4 * a.abs().max(1.0),
                    "{backend} {family} {key}: {a} (f64) vs {b}"
                );
            }
        }
        assert!(
            differ > exact.len() / 2,
            "{backend} {family}: probes computed in float32 differ from float64 ({differ} of {})",
            exact.len()
        );
    }
}

#[test]
fn probes_run_on_the_training_backend_in_its_precision() {
    assert_probed_in_f32(&temp_dir("probes-f32"), "ndarray-f32");
}

/// The per-layer statistics of a wgpu run are computed on wgpu, in float32 (lavapipe in CI).
#[cfg(feature = "wgpu")]
#[test]
fn wgpu_probes_are_computed_on_wgpu_in_float32() {
    assert_probed_in_f32(&temp_dir("probes-wgpu"), "wgpu");
}
