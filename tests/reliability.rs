//! The defects found when actlab was attacked as a hostile user would, each reproduced: wrong
//! results, lost or mixed files, panics, the out-of-memory killer, and waste.

mod common;

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    process::{Command, Output},
};

use common::{actlab, read, succeeds, temp_dir};

const SMALL: &str = r#"
name = "reliability"
question = "Does actlab hold when attacked?"
[data]
n_samples = 200
noise = 0.2
seed = 1
[model]
hidden = [6]
seed = 3
[train]
lr = 0.1
epochs = 20
batch_size = 32
[checkpoint]
every = 10
[[variants]]
name = "sigmoid"
activation = "sigmoid"
init = "lecun-normal"
[[variants]]
name = "relu"
activation = "relu"
init = "he-normal"
"#;

const SWEEP: &str = r#"
[sweep]
target = "sigmoid"
reference = "relu"
[sweep.grid]
"train.epochs" = [10, 30]
"variants.sigmoid.init" = ["lecun-normal", "he-normal"]
"#;

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Fails, with a message that mentions every one of `mention`.
fn fails(dir: &Path, args: &[&str], mention: &[&str]) -> String {
    let out = actlab(dir, args);
    let message = stderr(&out);
    assert!(!out.status.success(), "{args:?} should fail");
    assert!(
        !message.contains("panicked"),
        "{args:?} panicked: {message}"
    );
    for m in mention {
        assert!(
            message.contains(m),
            "{args:?}: `{message}` should mention `{m}`"
        );
    }
    message
}

fn workspace(name: &str, text: &str) -> common::TempDir {
    let dir = temp_dir(name);
    std::fs::write(dir.join("exp.toml"), text).unwrap();
    dir
}

fn json(path: PathBuf) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Rows of a CSV file read by a standard reader, by column name.
fn rows(path: PathBuf) -> Vec<HashMap<String, String>> {
    csv::Reader::from_path(path)
        .unwrap()
        .deserialize()
        .map(|r| r.unwrap())
        .collect()
}

#[test]
fn set_on_a_grid_key_pins_that_axis_at_every_point() {
    let dir = workspace("pinned", &format!("{SMALL}{SWEEP}"));
    let log = succeeds(
        &dir,
        &["run", "exp.toml", "--out", "s", "--set", "train.epochs=4"],
    );
    assert!(log.contains("pins the grid axis train.epochs"), "{log}");
    assert_eq!(json(dir.join("s/sweep.json"))["points"], 2);
    for point in std::fs::read_dir(dir.join("s/points")).unwrap() {
        let point = json(point.unwrap().path());
        for v in point["variants"].as_array().unwrap() {
            assert_eq!(v["epochs_completed"], 4, "every point trains 4 epochs");
        }
    }
}

/// A `--set` inside a grid axis of tables (`data.n_samples` where the grid sweeps `data`) must
/// hold at every point, not be replaced by the grid's tables.
#[test]
fn set_inside_a_table_axis_reaches_every_point() {
    let text = SMALL.split("[[variants]]").next().unwrap().to_string()
        + "[[variants]]\nname = \"relu\"\nactivation = \"relu\"\ninit = \"he-normal\"\n\
           [sweep.grid]\ndata = [{ kind = \"moons\", n_samples = 100, noise = 0.1, seed = 1 }, \
           { kind = \"circles\", n_samples = 100, noise = 0.1, seed = 1 }]\n";
    let dir = workspace("table-axis", &text);
    succeeds(
        &dir,
        &[
            "run",
            "exp.toml",
            "--out",
            "s",
            "--set",
            "data.n_samples=240",
        ],
    );
    let config = read(dir.join("s/config.toml"));
    assert!(!config.contains("n_samples = 100"), "{config}");
    assert_eq!(config.matches("n_samples = 240").count(), 3, "{config}");
}

#[test]
fn metrics_csv_reads_with_a_standard_csv_reader() {
    let dir = workspace("csv", SMALL);
    succeeds(
        &dir,
        &[
            "run",
            "exp.toml",
            "--out",
            "r",
            "--seeds",
            "2",
            "--set",
            "train.vary_data_seed=true",
        ],
    );
    let metrics = rows(dir.join("r/metrics.csv"));
    assert_eq!(metrics.len(), 2 * 2 * 20);
    for row in &metrics {
        let seed: u32 = row["seed"].parse().unwrap();
        let data_seed: u32 = row["data_seed"].parse().unwrap();
        assert_eq!(data_seed - 1, seed - 3, "each seed's own data set");
        let epoch: usize = row["epoch"].parse().unwrap();
        assert!((1..=20).contains(&epoch));
        let accuracy: f64 = row["test_accuracy"].parse().unwrap();
        assert!((0.0..=1.0).contains(&accuracy));
    }
}

#[test]
fn eval_reports_the_evaluated_weights_for_every_program() {
    let dir = workspace("eval", SMALL);
    succeeds(
        &dir,
        &[
            "run",
            "exp.toml",
            "--out",
            "r",
            "--seeds",
            "3",
            "--set",
            "train.vary_data_seed=true",
        ],
    );
    // A mid-run checkpoint: its numbers are epoch 10's, not the run's final ones.
    succeeds(&dir, &["eval", "r/checkpoints/epoch-000010", "--out", "e"]);
    let evaluated = json(dir.join("e/eval.json"));
    let members = evaluated["members"].as_array().unwrap();
    assert_eq!(members.len(), 3 * 2, "every program's members evaluated");
    let data_seeds: std::collections::BTreeSet<u64> = members
        .iter()
        .map(|m| m["data_seed"].as_u64().unwrap())
        .collect();
    assert_eq!(data_seeds.len(), 3);
    let metrics = rows(dir.join("r/metrics.csv"));
    for m in members {
        let recorded = metrics
            .iter()
            .find(|r| {
                r["variant"] == m["variant"].as_str().unwrap()
                    && r["seed"] == m["seed"].to_string()
                    && r["epoch"] == "10"
            })
            .unwrap();
        let training: f64 = recorded["test_accuracy"].parse().unwrap();
        assert_eq!(m["evaluated"]["test_accuracy"].as_f64().unwrap(), training);
    }
    let summary = json(dir.join("e/summary.json"));
    for v in summary["variants"].as_array().unwrap() {
        let name = v["name"].as_str().unwrap();
        let ours: Vec<f64> = members
            .iter()
            .filter(|m| m["variant"] == name)
            .map(|m| m["evaluated"]["test_accuracy"].as_f64().unwrap())
            .collect();
        let mean = ours.iter().sum::<f64>() / ours.len() as f64;
        assert!((v["test_accuracy"].as_f64().unwrap() - mean).abs() < 1e-12);
    }
    let report = std::fs::read_to_string(dir.join("e/report.md")).unwrap();
    assert!(report.contains("Evaluation of checkpoint"));
}

#[test]
fn two_runs_into_one_folder_never_mix() {
    let dir = workspace("race", SMALL);
    for attempt in 0..4 {
        let out = format!("same-{attempt}");
        let spawn = |lr: &str| {
            Command::new(env!("CARGO_BIN_EXE_actlab"))
                .args(["run", "exp.toml", "--out", &out, "--set", lr])
                .current_dir(&dir)
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn("train.lr=0.1"), spawn("train.lr=0.2"));
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        let winners = [&a, &b].iter().filter(|o| o.status.success()).count();
        assert_eq!(winners, 1, "exactly one run claims the folder");
        let loser = if a.status.success() { &b } else { &a };
        let message = stderr(loser);
        assert!(
            message.contains("claimed by another") || message.contains("not empty"),
            "{message}"
        );
        let config = std::fs::read_to_string(dir.join(&out).join("config.toml")).unwrap();
        let summary = json(dir.join(&out).join("summary.json"));
        let lr = if config.contains("lr = 0.1") {
            "0.1"
        } else {
            "0.2"
        };
        assert_eq!(summary["overrides"][0], format!("train.lr={lr}"));
    }
}

#[test]
fn a_full_disk_leaves_no_truncated_file() {
    // A 256 KiB tmpfs: enough for the run's first files, not for its figures.
    let dir = workspace("full-disk", SMALL);
    let disk = dir.join("disk");
    std::fs::create_dir_all(&disk).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
        .arg(&disk)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    }
    let out = actlab(&dir, &["run", "exp.toml", "--out", "disk/run"]);
    let message = stderr(&out);
    let _ = Command::new("umount").arg(&disk).status();
    assert!(!out.status.success(), "the run fails on a full disk");
    assert_eq!(
        message.matches("No space left on device").count(),
        1,
        "the OS error once: {message}"
    );
    // Nothing half-written: every file there is whole (the folder is gone with the tmpfs, so
    // the check runs on a second run into a folder we inspect before unmounting).
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
        .arg(&disk)
        .status()
        .is_ok_and(|s| s.success());
    assert!(mounted);
    let _ = actlab(&dir, &["run", "exp.toml", "--out", "disk/run"]);
    let run = disk.join("run");
    let summary = run.join("summary.json");
    let summary_ok = !summary.exists()
        || serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(&summary).unwrap())
            .is_ok();
    let leftovers: Vec<String> = std::fs::read_dir(&run)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains(".tmp"))
                .collect()
        })
        .unwrap_or_default();
    let _ = Command::new("umount").arg(&disk).status();
    assert!(summary_ok, "summary.json is absent or whole");
    assert!(
        leftovers.is_empty(),
        "no temporary files left: {leftovers:?}"
    );
}

#[test]
fn hostile_values_are_errors_not_panics() {
    let dir = workspace("hostile", SMALL);
    // No traced points: no signal trace, and nothing panics (run, analyze, eval).
    succeeds(
        &dir,
        &[
            "run",
            "exp.toml",
            "--out",
            "untraced",
            "--set",
            "analysis.trace_points=[]",
        ],
    );
    assert!(!dir.join("untraced/signal_trace.png").exists());
    succeeds(&dir, &["analyze", "untraced"]);
    succeeds(&dir, &["eval", "untraced", "--out", "untraced-eval"]);

    fails(
        &dir,
        &["run", "exp.toml", "--out", "x", "--set", "data.noise=1e300"],
        &["data.noise", "1e300", "1e6"],
    );
    // A sweep folder whose config lost its [sweep] section.
    std::fs::create_dir_all(dir.join("not-a-sweep")).unwrap();
    std::fs::write(dir.join("not-a-sweep/sweep.json"), "{}").unwrap();
    std::fs::copy(dir.join("exp.toml"), dir.join("not-a-sweep/config.toml")).unwrap();
    fails(&dir, &["analyze", "not-a-sweep"], &["sweep.json"]);
    // Duplicate grid values.
    std::fs::write(
        dir.join("dup.toml"),
        format!("{SMALL}{}", SWEEP.replace("[10, 30]", "[10, 10]")),
    )
    .unwrap();
    fails(&dir, &["run", "dup.toml"], &["train.epochs", "repeats"]);
    // A shard beyond the grid.
    std::fs::write(dir.join("sweep.toml"), format!("{SMALL}{SWEEP}")).unwrap();
    fails(
        &dir,
        &["run", "sweep.toml", "--shard", "200/300"],
        &["200/300"],
    );
    assert!(!dir.join("x").exists());
}

#[test]
fn memory_is_estimated_and_refused_before_computing() {
    let dir = workspace("memory", SMALL);
    for (setting, mention) in [
        ("data.n_samples=1000000000000", "memory"),
        ("train.epochs=1000000000000000", "memory"),
        ("analysis.grid_step=0.0005", "decision grid"),
        ("analysis.grid_margin=1e6", "decision grid"),
    ] {
        fails(
            &dir,
            &["run", "exp.toml", "--out", "x", "--set", setting],
            &[mention],
        );
        assert!(!dir.join("x").exists(), "{setting}: nothing written");
    }
    // Unstandardized data with huge noise: the grid would follow the data's range.
    fails(
        &dir,
        &[
            "run",
            "exp.toml",
            "--out",
            "x",
            "--set",
            "data.noise=1e6",
            "--set",
            "data.scaling=\"none\"",
        ],
        &["decision grid", "standardize"],
    );
    assert!(!dir.join("x").exists());
}

#[test]
fn a_sweep_trains_each_distinct_variant_configuration_once() {
    use actlab::{config::find_experiment, sweep::count_units};
    let plan = find_experiment("sigmoid-rescue")
        .unwrap()
        .load(&[])
        .unwrap();
    let (trainings, units) = count_units(&plan).unwrap();
    // 108 grid points and the baseline, two variants each. ReLU ignores the 3 values of
    // `variants.sigmoid.init`: 36 distinct ReLU configurations plus its baseline, which equals
    // one of them; sigmoid's baseline equals the grid point at its own settings.
    assert_eq!(trainings, 109 * 2);
    assert_eq!(units, 108 + 36);

    // The reused results are the same numbers: ReLU's rows agree across sigmoid's inits.
    let dir = workspace("units", &format!("{SMALL}{SWEEP}"));
    succeeds(&dir, &["run", "exp.toml", "--out", "s"]);
    let csv = rows(dir.join("s/sweep.csv"));
    let relu = |epochs: &str, init: &str| {
        csv.iter()
            .find(|r| {
                r["variant"] == "relu"
                    && r["train.epochs"] == epochs
                    && r["variants.sigmoid.init"] == init
            })
            .unwrap()["test_accuracy_mean"]
            .clone()
    };
    assert_eq!(relu("30", "lecun-normal"), relu("30", "he-normal"));
}

#[test]
fn smaller_defects() {
    let dir = workspace("smaller", SMALL);
    // An OS error is printed once.
    std::fs::write(dir.join("file"), "").unwrap();
    let message = fails(
        &dir,
        &["run", "exp.toml", "--out", "file/sub"],
        &["Not a directory"],
    );
    assert_eq!(message.matches("Not a directory").count(), 1, "{message}");

    // A local experiments/ folder adds to the built-in experiments, it does not hide them.
    std::fs::create_dir_all(dir.join("experiments")).unwrap();
    std::fs::write(dir.join("experiments/mine.toml"), SMALL).unwrap();
    let list = actlab(&dir, &["list"]);
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.contains("mine") && list.contains("sigmoid-vs-relu"),
        "{list}"
    );

    // Help for every argument.
    for (args, mention) in [
        (vec!["resume", "--help"], "run or sweep folder"),
        (vec!["analyze", "--help"], "report and figures"),
        (vec!["eval", "--help"], "default output folders"),
    ] {
        let out = actlab(&dir, &args);
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(help.contains(mention), "{args:?}: {help}");
    }

    // Progress lines when stderr is not a terminal (from the start, for this short run).
    let out = Command::new(env!("CARGO_BIN_EXE_actlab"))
        .args(["run", "exp.toml", "--out", "progress"])
        .env("ACTLAB_PROGRESS", "lines")
        .current_dir(&dir)
        .output()
        .unwrap();
    let log = stderr(&out);
    assert!(log.contains("10%") && log.contains("100%"), "{log}");

    // A truncated model file is named as such, not as a format change.
    succeeds(&dir, &["run", "exp.toml", "--out", "r"]);
    let model = dir.join("r/checkpoints/epoch-000020/program-0/model.mpk");
    let bytes = std::fs::read(&model).unwrap();
    std::fs::write(&model, &bytes[..bytes.len() / 3]).unwrap();
    let message = fails(&dir, &["eval", "r"], &["model.mpk", "truncated"]);
    assert!(!message.contains("0.14"), "{message}");
}

#[test]
fn bad_real_data_is_refused_and_nothing_is_written() {
    let dir = workspace("bad-data", SMALL);
    let real = |kind: &str| {
        vec![
            format!("data.kind=\"{kind}\""),
            "data.n_samples=0".into(),
            "data.noise=0".into(),
        ]
    };
    let run = |settings: Vec<String>, mention: &[&str]| {
        let mut args: Vec<&str> = vec!["run", "exp.toml", "--out", "x"];
        for s in &settings {
            args.extend(["--set", s.as_str()]);
        }
        fails(&dir, &args, mention);
        assert!(!dir.join("x").exists(), "{settings:?}: nothing written");
    };
    // A data path that does not hold the files: the error names it and says how to get them.
    let mut missing = real("fashion-mnist");
    missing.push("data.path=\"no/such/folder\"".into());
    run(missing, &["no/such/folder", "dataset-fashion-mnist"]);

    // Corrupt and truncated IDX files.
    let idx = dir.join("idx");
    std::fs::create_dir_all(&idx).unwrap();
    let header = |magic: u32, dims: &[u32]| {
        let mut b = magic.to_be_bytes().to_vec();
        for d in dims {
            b.extend(d.to_be_bytes());
        }
        b
    };
    let mut images = header(0x0000_0803, &[2, 28, 28]);
    images.extend(vec![0u8; 28 * 28]); // one image of the two declared
    std::fs::write(idx.join("train-images-idx3-ubyte"), &images).unwrap();
    let mut labels = header(0x0000_0801, &[2]);
    labels.extend([1, 2]);
    std::fs::write(idx.join("train-labels-idx1-ubyte"), &labels).unwrap();
    std::fs::write(idx.join("t10k-images-idx3-ubyte"), b"not an idx file").unwrap();
    std::fs::write(idx.join("t10k-labels-idx1-ubyte"), &labels).unwrap();
    let mut corrupt = real("mnist");
    corrupt.push("data.path=\"idx\"".into());
    run(corrupt, &["train-images-idx3-ubyte", "truncated"]);

    // A subset larger than the data set.
    let mut larger = real("digits");
    larger.push("data.n_train=100000".into());
    run(larger, &["data.n_train", "100000", "only"]);
}
