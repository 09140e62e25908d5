//! `actlab compare`: runs and sweep points side by side. The page names exactly the settings
//! that differ, its differences equal those of the compared summaries, seeds pair where they
//! should (Welch's test where they do not), `actlab analyze` rebuilds it unchanged, and runs
//! that cannot be compared are refused with nothing written.

mod common;

use std::path::Path;

use common::{actlab, read, succeeds, temp_dir};
use serde_json::Value;

const SWEEP: &str = r#"
name = "compare-sweep"
question = "Do two points of a sweep compare?"
[data]
n_samples = 200
noise = 0.2
seed = 1
[model]
hidden = [4]
seed = 3
[train]
lr = 0.1
epochs = 30
batch_size = 32
seeds = 3
[[variants]]
name = "sigmoid"
activation = "sigmoid"
init = "lecun-normal"
[[variants]]
name = "relu"
activation = "relu"
init = "he-normal"
[sweep]
target = "sigmoid"
reference = "relu"
[sweep.grid]
"train.lr" = [0.1, 0.5]
"#;

/// The seed experiment, shortened, into `out` with `extra` overrides.
fn run(dir: &Path, out: &str, extra: &[&str]) {
    let mut args = vec![
        "run",
        "sigmoid-vs-relu",
        "--set",
        "train.epochs=60",
        "--set",
        "train.seeds=3",
        "--out",
        out,
    ];
    for e in extra {
        args.extend(["--set", e]);
    }
    succeeds(dir, &args);
}

fn summary(path: &Path) -> Value {
    serde_json::from_str(&read(path.to_path_buf())).unwrap()
}

/// The mean test accuracy of `variant` in a summary (run or sweep point).
fn accuracy(summary: &Value, variant: &str) -> f64 {
    summary["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == variant)
        .unwrap()["stats"]["test_accuracy"]["mean"]
        .as_f64()
        .unwrap()
}

/// The row of `report`'s table whose first cells are `start`.
fn row<'a>(report: &'a str, start: &str) -> &'a str {
    report
        .lines()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("a row starting `{start}` in\n{report}"))
}

#[test]
fn two_runs_pair_by_seed_and_show_what_differs() {
    let dir = temp_dir("compare-runs");
    run(&dir, "a", &[]);
    run(&dir, "b", &["train.lr=0.2"]);
    succeeds(&dir, &["compare", "a", "b", "--out", "ab"]);
    let report = read(dir.join("ab/report.md"));

    // Exactly one setting differs, as `--set` names it.
    assert!(report.contains("| `train.lr` | 0.05 | 0.2 |"), "{report}");
    assert_eq!(
        report.matches("| `").count(),
        1 + 2,
        "one setting, two sources:\n{report}"
    );

    // The difference is B's mean minus A's, from their summaries, paired over the 3 seeds.
    for variant in ["sigmoid", "relu"] {
        let difference = accuracy(&summary(&dir.join("b/summary.json")), variant)
            - accuracy(&summary(&dir.join("a/summary.json")), variant);
        let line = row(&report, &format!("| {variant} | B − A | test accuracy |"));
        assert!(
            line.contains(&format!("| {:+.2} pp |", 100.0 * difference)),
            "{line} should show {difference}"
        );
        assert!(line.contains("paired over 3 seeds"), "{line}");
    }
    for figure in ["loss.png", "accuracy.png", "layers.png"] {
        let bytes = std::fs::read(dir.join("ab").join(figure)).unwrap();
        assert!(
            bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000,
            "{figure}"
        );
    }

    // Rebuilt from disk, the page is the same.
    succeeds(&dir, &["analyze", "ab"]);
    assert_eq!(read(dir.join("ab/report.md")), report);
}

#[test]
fn different_seeds_are_tested_unpaired() {
    let dir = temp_dir("compare-welch");
    run(&dir, "a", &[]);
    run(&dir, "c", &["model.seed=7"]);
    succeeds(&dir, &["compare", "a", "c", "--out", "ac"]);
    let report = read(dir.join("ac/report.md"));
    assert!(report.contains("| `model.seed` | 42 | 7 |"), "{report}");
    let line = row(&report, "| relu | B − A | test accuracy |");
    assert!(line.contains("Welch, unpaired"), "{line}");
}

#[test]
fn two_points_of_a_sweep_compare() {
    let dir = temp_dir("compare-points");
    std::fs::write(dir.join("sweep.toml"), SWEEP).unwrap();
    succeeds(&dir, &["run", "sweep.toml", "--out", "sw"]);
    succeeds(
        &dir,
        &[
            "compare",
            "sw/points/000000.json",
            "sw/points/000001.json",
            "--out",
            "pts",
        ],
    );
    let report = read(dir.join("pts/report.md"));
    assert!(report.contains("sweep point (train.lr=0.1)"), "{report}");
    assert!(report.contains("| `train.lr` | 0.1 | 0.5 |"), "{report}");
    let point = |id: &str| summary(&dir.join(format!("sw/points/{id}.json")));
    let difference = accuracy(&point("000001"), "sigmoid") - accuracy(&point("000000"), "sigmoid");
    let line = row(&report, "| sigmoid | B − A | test accuracy |");
    assert!(
        line.contains(&format!("| {:+.2} pp |", 100.0 * difference)),
        "{line}"
    );
    assert!(line.contains("paired over 3 seeds"), "{line}");
}

#[test]
fn what_cannot_be_compared_is_refused_with_nothing_written() {
    let dir = temp_dir("compare-refused");
    run(&dir, "a", &[]);
    run(&dir, "circles", &["data.kind=\"circles\""]);
    std::fs::write(
        dir.join("sweep.toml"),
        SWEEP.replace("epochs = 30", "epochs = 2"),
    )
    .unwrap();
    succeeds(&dir, &["run", "sweep.toml", "--out", "sw"]);
    let refused = |args: &[&str], mention: &str| {
        let out = actlab(&dir, args);
        let message = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(
            message.contains(mention),
            "{args:?}: `{message}` should mention `{mention}`"
        );
        assert!(!dir.join("out").exists(), "{args:?} wrote its folder");
    };
    refused(
        &["compare", "a", "circles", "--out", "out"],
        "their data set differs (a: moons; circles: circles)",
    );
    refused(
        &["compare", "a", "sw", "--out", "out"],
        "name one of its points",
    );
    refused(&["compare", "a", "./a", "--out", "out"], "given twice");
    refused(
        &["compare", "a", "missing", "--out", "out"],
        "missing does not exist",
    );
    refused(
        &["compare", "a", "sweep.toml", "--out", "out"],
        "neither a finished run folder",
    );
    std::fs::write(dir.join("a/summary.json"), "{").unwrap();
    refused(&["compare", "a", "circles", "--out", "out"], "summary.json");
    // An earlier comparison is never overwritten.
    let points = ["sw/points/000000.json", "sw/points/000001.json"];
    succeeds(&dir, &["compare", points[0], points[1], "--out", "kept"]);
    let before = read(dir.join("kept/report.md"));
    let out = actlab(&dir, &["compare", points[0], points[1], "--out", "kept"]);
    assert!(!out.status.success());
    assert_eq!(read(dir.join("kept/report.md")), before);
}
