//! Sweeps: shards merge to the whole, a killed sweep resumes without redoing points, and a
//! diverging configuration is a row, not a crash.

mod common;

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use common::{actlab, read, temp_dir};

const SWEEP: &str = r#"
name = "test-sweep"
question = "Do sweeps shard, merge, resume and survive divergence?"
[data]
n_samples = 200
noise = 0.2
seed = 1
[model]
hidden = [4]
seed = 3
[train]
lr = 0.1
epochs = EPOCHS
batch_size = 32
seeds = 2
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
"train.lr" = [0.1, 1.0, 50.0]
"variants.sigmoid.init" = ["lecun-normal", "he-normal"]
"model.hidden" = [[4], [6, 6]]
"#;

fn workspace(name: &str, epochs: usize) -> common::TempDir {
    let dir = temp_dir(name);
    std::fs::write(
        dir.join("sweep.toml"),
        SWEEP.replace("EPOCHS", &epochs.to_string()),
    )
    .unwrap();
    dir
}

#[test]
fn three_shards_merged_equal_the_whole_sweep() {
    let dir = workspace("shards", 20);
    assert!(
        actlab(&dir, &["run", "sweep.toml", "--out", "whole"])
            .status
            .success()
    );
    for i in 0..3 {
        let out = actlab(
            &dir,
            &[
                "run",
                "sweep.toml",
                "--shard",
                &format!("{i}/3"),
                "--out",
                &format!("shard{i}"),
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let merged = actlab(
        &dir,
        &["merge", "shard0", "shard1", "shard2", "--out", "merged"],
    );
    assert!(
        merged.status.success(),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );

    let whole = read(dir.join("whole/sweep.csv"));
    assert_eq!(
        whole.lines().count(),
        1 + 2 * (12 + 1),
        "header, then 2 variants x (12 points + baseline)"
    );
    assert_eq!(read(dir.join("merged/sweep.csv")), whole);
    assert_eq!(
        read(dir.join("merged/report.md")),
        read(dir.join("whole/report.md"))
    );
    // Each shard holds only its third of the grid.
    let shard1 = std::fs::read_dir(dir.join("shard1/points"))
        .unwrap()
        .count();
    assert_eq!(shard1, 4);
}

#[test]
fn a_diverging_configuration_is_a_row_and_the_sweep_goes_on() {
    let dir = workspace("diverge", 20);
    assert!(
        actlab(&dir, &["run", "sweep.toml", "--out", "run"])
            .status
            .success()
    );
    let csv = read(dir.join("run/sweep.csv"));
    let diverged: Vec<&str> = csv
        .lines()
        .skip(1)
        .filter(|l| l.contains(",diverged,"))
        .collect();
    assert!(!diverged.is_empty(), "lr 50 diverges:\n{csv}");
    assert!(
        diverged.iter().all(|l| l.contains(",50.0,")),
        "only lr 50 rows diverge: {diverged:?}"
    );
    assert!(read(dir.join("run/report.md")).contains("Diverged:"));
}

#[test]
fn a_killed_sweep_resumes_without_redoing_finished_points() {
    let dir = workspace("resume", 1500);
    let mut child = Command::new(env!("CARGO_BIN_EXE_actlab"))
        .args(["run", "sweep.toml", "--out", "run", "--threads", "1"])
        .current_dir(&dir)
        .spawn()
        .unwrap();
    let points = dir.join("run/points");
    let started = Instant::now();
    let count = |p: &Path| {
        std::fs::read_dir(p).map_or(0, |d| {
            d.filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "json")
            })
            .count()
        })
    };
    while count(&points) < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the sweep makes progress"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before: Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> = std::fs::read_dir(&points)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            (
                p.clone(),
                std::fs::read(&p).unwrap(),
                std::fs::metadata(&p).unwrap().modified().unwrap(),
            )
        })
        .collect();
    assert!(before.len() < 13, "killed before the end");

    let resumed = actlab(&dir, &["resume", "run"]);
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let message = String::from_utf8_lossy(&resumed.stderr);
    assert!(
        message.contains(&format!("ran {} remaining point(s)", 13 - before.len())),
        "{message}"
    );
    for (path, bytes, modified) in before {
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "{} untouched",
            path.display()
        );
        assert_eq!(
            std::fs::metadata(&path).unwrap().modified().unwrap(),
            modified,
            "{} not rewritten",
            path.display()
        );
    }
    assert_eq!(count(&points), 13);

    // Same result as a sweep that was never interrupted.
    assert!(
        actlab(&dir, &["run", "sweep.toml", "--out", "whole"])
            .status
            .success()
    );
    assert_eq!(
        read(dir.join("run/sweep.csv")),
        read(dir.join("whole/sweep.csv"))
    );
}

#[test]
fn merging_an_incomplete_set_of_shards_names_the_missing_points_and_fails() {
    let dir = workspace("incomplete", 20);
    for i in [0, 2] {
        let shard = format!("{i}/3");
        let out = format!("shard{i}");
        assert!(
            actlab(
                &dir,
                &["run", "sweep.toml", "--shard", &shard, "--out", &out]
            )
            .status
            .success()
        );
    }
    // Shard 0 lost point 3 (as if its file had never been written).
    std::fs::remove_file(dir.join("shard0/points/000003.json")).unwrap();
    let merged = actlab(&dir, &["merge", "shard0", "shard2", "--out", "merged"]);
    let message = String::from_utf8_lossy(&merged.stderr);
    assert!(!merged.status.success(), "an incomplete merge fails");
    for expected in [
        "5 of 13 points are not finished",
        "shard 0/3 (shard0): points 3",
        "shard 1/3 (not started: no sweep folder of it): points 1, 4, 7, 10",
        "point 3: model.hidden=[4], train.lr=1.0, variants.sigmoid.init=\"he-normal\"",
        "actlab resume",
    ] {
        assert!(message.contains(expected), "`{expected}` in\n{message}");
    }
    assert!(!dir.join("merged").exists(), "nothing written");
}

#[test]
fn a_shard_that_holds_no_point_is_refused() {
    let dir = workspace("empty-shard", 20);
    let out = actlab(
        &dir,
        &["run", "sweep.toml", "--shard", "200/300", "--out", "s"],
    );
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        message.contains("--shard 200/300 holds no point") && message.contains("12 points"),
        "{message}"
    );
    assert!(!dir.join("s").exists());
}

/// `[sweep.labels]` names grid values in the report; a label list of the wrong length is
/// refused before anything runs; a `--set` that pins the labelled axis drops its labels. A
/// sweep without a target/reference question compares its variants at each point, paired and
/// Holm-corrected.
#[test]
fn labels_name_grid_values_and_variants_are_compared_at_each_point() {
    let dir = temp_dir("labels");
    let plain = SWEEP
        .replace("EPOCHS", "30")
        .replace("target = \"sigmoid\"\nreference = \"relu\"\n", "")
        .replace(
            "\"train.lr\" = [0.1, 1.0, 50.0]\n\"variants.sigmoid.init\" = [\"lecun-normal\", \"he-normal\"]\n",
            "",
        );
    let labelled = plain.replace(
        "[sweep.grid]",
        "[sweep.labels]\n\"model.hidden\" = [\"narrow\", \"two layers\"]\n[sweep.grid]",
    );
    std::fs::write(dir.join("labelled.toml"), &labelled).unwrap();
    std::fs::write(
        dir.join("short.toml"),
        labelled.replace("[\"narrow\", \"two layers\"]", "[\"narrow\"]"),
    )
    .unwrap();

    let refused = actlab(&dir, &["run", "short.toml", "--out", "short"]);
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        message.contains("sweep.labels") && message.contains("2 distinct, non-empty labels"),
        "{message}"
    );
    assert!(!dir.join("short").exists());

    let out = actlab(&dir, &["run", "labelled.toml", "--out", "run"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = read(dir.join("run/report.md"));
    assert!(
        report.contains("| 1 | **"),
        "labels rank the configurations:\n{report}"
    );
    assert!(report.contains("**two layers** = `[6, 6]`"), "{report}");
    assert!(
        report.contains("## Variants compared at each point"),
        "{report}"
    );
    assert!(report.contains("Holm"), "{report}");
    // Two points, one comparison each (relu against sigmoid).
    let rows = report
        .lines()
        .filter(|l| l.starts_with("| **") && l.contains("| relu |") && l.contains(" points |"))
        .count();
    assert_eq!(rows, 2, "{report}");

    let pinned = actlab(
        &dir,
        &[
            "run",
            "labelled.toml",
            "--set",
            "model.hidden=[5]",
            "--out",
            "pinned",
        ],
    );
    assert!(
        pinned.status.success(),
        "{}",
        String::from_utf8_lossy(&pinned.stderr)
    );
    let report = read(dir.join("pinned/report.md"));
    assert!(report.contains("`model.hidden=[5]`"), "{report}");
}
