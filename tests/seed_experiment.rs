//! `actlab run sigmoid-vs-relu` end to end: the article's published numbers ("Sigmoid vs ReLU Activation Functions: The Inference Cost of Losing Geometric Context", April 2026, and its companion notebook), to the printed digit.

mod common;

use std::process::Command;

use common::temp_dir;
use serde_json::Value;

/// The article's published results (its companion notebook, float64): (variant, losses at epochs 200/400/600/800, test accuracy,
/// hidden std per layer, signal trace of the class-0 and the class-1 sample).
const PUBLISHED: [(&str, [&str; 4], &str, [&str; 2], [[&str; 5]; 2]); 2] = [
    (
        "sigmoid",
        ["0.3589", "0.2875", "0.2871", "0.2822"],
        "79.0",
        ["0.2593", "0.1950"],
        [
            ["2.256", "0.307", "0.904", "0.519", "3.917"],
            ["2.079", "0.687", "1.498", "0.405", "3.446"],
        ],
    ),
    (
        "relu",
        ["0.1549", "0.0566", "0.0450", "0.0353"],
        "96.0",
        ["1.1453", "1.6729"],
        [
            ["1.699", "0.275", "0.862", "0.604", "9.092"],
            ["2.054", "1.523", "2.154", "1.570", "20.199"],
        ],
    ),
];

#[test]
fn the_cli_reproduces_every_published_number_and_writes_every_file() {
    let tmp = temp_dir("seed");
    let out = tmp.join("run");
    let status = Command::new(env!("CARGO_BIN_EXE_actlab"))
        .args(["run", "sigmoid-vs-relu", "--out"])
        .arg(&out)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(status.success());

    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let variants = summary["variants"].as_array().unwrap();
    for ((name, losses, accuracy, stds, traces), v) in PUBLISHED.iter().zip(variants) {
        assert_eq!(v["name"], *name);
        let loss = v["train_loss"].as_array().unwrap();
        assert_eq!(loss.len(), 800);
        for (epoch, want) in [200, 400, 600, 800].into_iter().zip(losses) {
            assert_eq!(
                format!("{:.4}", loss[epoch - 1].as_f64().unwrap()),
                *want,
                "{name} loss at epoch {epoch}"
            );
        }
        assert_eq!(
            format!("{:.1}", 100.0 * v["test_accuracy"].as_f64().unwrap()),
            *accuracy,
            "{name} test accuracy"
        );
        for (layer, want) in stds.iter().enumerate() {
            assert_eq!(
                format!("{:.4}", v["hidden_std"][layer].as_f64().unwrap()),
                *want,
                "{name} hidden std {layer}"
            );
        }
        for (sample, trace) in traces.iter().enumerate() {
            for (stage, want) in trace.iter().enumerate() {
                let got = v["signal_trace"][sample][stage].as_f64().unwrap();
                assert_eq!(
                    format!("{got:.3}"),
                    *want,
                    "{name} trace sample {sample} stage {stage}"
                );
            }
        }
        assert!(v["train_seconds"].as_f64().unwrap() > 0.0);
        assert!(v["train_accuracy"].as_f64().is_some());
    }

    for file in [
        "config.toml",
        "metrics.csv",
        "summary.json",
        "analysis.json",
        "report.md",
        "dataset.png",
        "loss.png",
        "decision_boundary.png",
        "signal_trace.png",
        "hidden_space.png",
    ] {
        let bytes = std::fs::read(out.join(file)).unwrap_or_else(|_| panic!("{file} written"));
        if file.ends_with(".png") {
            assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{file} is a PNG");
        }
    }
    let metrics = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert_eq!(
        metrics.lines().count(),
        1 + 2 * 800,
        "one row per variant and epoch"
    );
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("18 of 18 values match to the printed digit"),
        "report states the comparison"
    );

    // The report is rebuilt from disk alone, identically.
    std::fs::remove_file(out.join("report.md")).unwrap();
    std::fs::remove_file(out.join("loss.png")).unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_actlab"))
        .arg("analyze")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        std::fs::read_to_string(out.join("report.md")).unwrap(),
        report
    );
    assert!(out.join("loss.png").is_file());
}

#[test]
fn a_diverging_variant_is_recorded_and_the_run_completes() {
    // lr 1e200: ReLU's weights overflow to inf and its loss becomes NaN in the first epoch.
    let tmp = temp_dir("diverge");
    let out = tmp.join("run");
    let status = Command::new(env!("CARGO_BIN_EXE_actlab"))
        .args([
            "run",
            "sigmoid-vs-relu",
            "--set",
            "train.lr=1e200",
            "--set",
            "train.epochs=20",
            "--out",
        ])
        .arg(&out)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(status.success(), "the run completes");
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let relu = &summary["variants"][1];
    assert_eq!(relu["name"], "relu");
    assert_eq!(relu["diverged"], true);
    assert_eq!(relu["diverged_at_epoch"], 1);
    assert!(relu["test_accuracy"].is_null());
    let metrics = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let relu_rows: Vec<&str> = metrics.lines().filter(|l| l.starts_with("relu,")).collect();
    assert_eq!(
        relu_rows.len(),
        1,
        "training of the variant stopped at its diverging epoch"
    );
    assert!(
        relu_rows[0].contains(",NaN,"),
        "the NaN loss is recorded: {}",
        relu_rows[0]
    );
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("diverged at epoch 1"));
    assert!(out.join("loss.png").is_file());
}
