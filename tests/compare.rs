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

/// A tiny GPT on the bundled corpus, two seeds: quick enough to train three times here.
const TINY_GPT: &str = r#"
name = "tiny-gpt"
question = "Do two language-model runs compare?"
[data]
kind = "tiny-shakespeare"
[model]
family = "gpt"
n_layer = 1
n_head = 2
n_embd = 16
block_size = 16
activation = "relu"
seed = 5
[train]
iterations = 30
batch_size = 8
lr = 1e-2
eval_interval = 15
eval_iters = 2
seeds = 2
[probes]
every = 0
[[variants]]
name = "relu"
"#;

/// Each seed's final validation loss of variant `relu`, from a language-model run's summary.
fn final_val_losses(path: &Path) -> Vec<f64> {
    summary(path)["variants"][0]["final_val_loss"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

#[test]
fn language_model_runs_compare_paired_by_seed() {
    let dir = temp_dir("compare-lm");
    std::fs::write(dir.join("tiny.toml"), TINY_GPT).unwrap();
    succeeds(&dir, &["run", "tiny.toml", "--out", "a"]);
    succeeds(
        &dir,
        &["run", "tiny.toml", "--set", "train.lr=3e-3", "--out", "b"],
    );
    succeeds(&dir, &["compare", "a", "b", "--out", "ab"]);
    let report = read(dir.join("ab/report.md"));
    assert!(report.contains("| `train.lr` | 0.01 | 0.003 |"), "{report}");
    assert_eq!(report.matches("| `").count(), 1 + 2, "{report}");

    // B's final validation loss minus A's, seed by seed, paired over the two seeds.
    let (a, b) = (
        final_val_losses(&dir.join("a/summary.json")),
        final_val_losses(&dir.join("b/summary.json")),
    );
    let difference = (b[0] - a[0] + b[1] - a[1]) / 2.0;
    let line = row(&report, "| relu | B − A |");
    assert!(
        line.contains(&format!("| {difference:+.4} |")),
        "{line}: {difference}"
    );
    assert!(line.contains("paired over 2 seeds"), "{line}");
    let bytes = std::fs::read(dir.join("ab/loss.png")).unwrap();
    assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000);
    succeeds(&dir, &["analyze", "ab"]);
    assert_eq!(read(dir.join("ab/report.md")), report);

    // Other seeds: unpaired.
    succeeds(
        &dir,
        &["run", "tiny.toml", "--set", "model.seed=9", "--out", "c"],
    );
    succeeds(&dir, &["compare", "a", "c", "--out", "ac"]);
    let unpaired = read(dir.join("ac/report.md"));
    let line = row(&unpaired, "| relu | B − A |");
    assert!(line.contains("Welch, unpaired"), "{line}");

    // A language-model run against a classification run, or against another text: refused,
    // nothing written.
    run(&dir, "moons", &[]);
    std::fs::write(
        dir.join("other.txt"),
        "to be, or not to be:\nthat is the question.\n".repeat(100),
    )
    .unwrap();
    let other_text = TINY_GPT.replace(
        "kind = \"tiny-shakespeare\"",
        "kind = \"text\"\npath = \"other.txt\"",
    );
    std::fs::write(dir.join("other.toml"), other_text).unwrap();
    succeeds(&dir, &["run", "other.toml", "--out", "other"]);
    // A language-model run that has not finished: named by what it lacks.
    std::fs::create_dir(dir.join("unfinished")).unwrap();
    std::fs::copy(
        dir.join("a/config.toml"),
        dir.join("unfinished/config.toml"),
    )
    .unwrap();
    for (args, mention) in [
        (
            ["compare", "a", "moons"],
            "a is a language-model run and moons is not",
        ),
        (["compare", "a", "other"], "their corpus (SHA-256) differs"),
        (["compare", "a", "unfinished"], "unfinished/summary.json"),
    ] {
        let mut args = args.to_vec();
        args.extend(["--out", "refused"]);
        let out = actlab(&dir, &args);
        let message = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && message.contains(mention),
            "{message}"
        );
        assert!(!dir.join("refused").exists());
    }
}
