//! Checkpoints: exact resume after SIGKILL, eval reproducing the run, and bad input refused.

mod common;

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use common::{actlab, read, snapshot, temp_dir};

/// 200 epochs with momentum (optimizer state matters) on a data set large enough that the
/// run takes a couple of seconds, checkpointed every 100 epochs.
const EXPERIMENT: &str = r#"
name = "resume-test"
question = "Does a resumed run reproduce an uninterrupted one?"
[data]
n_samples = 12000
noise = 0.2
seed = 1
[model]
hidden = [8, 8]
seed = 3
[train]
optimizer = "OPTIMIZER"
lr = 0.05
epochs = 200
batch_size = 64
engine = "ENGINE"
[checkpoint]
every = 100
[probes]
every = 50
[[variants]]
name = "sigmoid"
activation = "sigmoid"
init = "lecun-normal"
[[variants]]
name = "relu"
activation = "relu"
init = "he-normal"
"#;

fn workspace(name: &str, optimizer: &str, engine: &str) -> common::TempDir {
    let dir = temp_dir(name);
    std::fs::write(
        dir.join("exp.toml"),
        EXPERIMENT
            .replace("OPTIMIZER", optimizer)
            .replace("ENGINE", engine),
    )
    .unwrap();
    dir
}

#[test]
fn a_run_killed_with_sigkill_resumes_bit_for_bit() {
    let dir = workspace("sigkill", "momentum", "fused");
    assert!(
        actlab(&dir, &["run", "exp.toml", "--out", "whole"])
            .status
            .success()
    );

    let mut child = Command::new(env!("CARGO_BIN_EXE_actlab"))
        .args(["run", "exp.toml", "--out", "killed"])
        .current_dir(&dir)
        .spawn()
        .unwrap();
    let checkpoint = dir.join("killed/checkpoints/epoch-000100/program-0/meta.json");
    let started = Instant::now();
    while !checkpoint.is_file() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the run reaches epoch 100"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL, mid-epoch 101 or so
    child.wait().unwrap();
    assert!(
        !dir.join("killed/checkpoints/epoch-000200")
            .join("program-0")
            .exists(),
        "killed before the end"
    );

    let resumed = actlab(&dir, &["resume", "killed"]);
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert!(
        String::from_utf8_lossy(&resumed.stderr)
            .contains("resumed from the checkpoint at epoch 100")
    );
    assert_eq!(
        read(dir.join("killed/metrics.csv")),
        read(dir.join("whole/metrics.csv")),
        "every epoch's metrics, bit for bit"
    );
    assert_eq!(
        read(dir.join("killed/activations.csv")),
        read(dir.join("whole/activations.csv"))
    );
}

/// Runs the experiment whole with `settings`, then again from a copy of its epoch-100
/// checkpoints only (the state a kill after epoch 100 leaves), and checks that the metrics
/// match the uninterrupted run's exactly.
fn resumes_exactly_from_epoch_100(name: &str, optimizer: &str, engine: &str, settings: &[&str]) {
    let dir = workspace(name, optimizer, engine);
    let dir_str = |p: &str| dir.join(p).to_str().unwrap().to_string();
    let mut args = vec!["run", "exp.toml", "--out", "whole"];
    for setting in settings {
        args.extend(["--set", setting]);
    }
    assert!(actlab(&dir, &args).status.success());
    let stopped = dir.join("stopped");
    std::fs::create_dir_all(stopped.join("checkpoints")).unwrap();
    for file in ["config.toml", "run.json"] {
        std::fs::copy(dir.join("whole").join(file), stopped.join(file)).unwrap();
    }
    let copy = Command::new("cp")
        .args([
            "-r",
            &dir_str("whole/checkpoints/epoch-000100"),
            &dir_str("stopped/checkpoints/"),
        ])
        .status()
        .unwrap();
    assert!(copy.success());
    let resumed = actlab(&dir, &["resume", "stopped"]);
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert_eq!(
        read(stopped.join("metrics.csv")),
        read(dir.join("whole/metrics.csv"))
    );
    // The record of the `--set` overrides survives the resume.
    let overrides = |run: &str| {
        let summary: serde_json::Value =
            serde_json::from_str(&read(dir.join(run).join("summary.json"))).unwrap();
        summary["overrides"].clone()
    };
    assert_eq!(overrides("stopped"), overrides("whole"));
    assert_eq!(
        overrides("stopped").as_array().unwrap().len(),
        settings.len()
    );
}

#[test]
fn the_burn_engine_resumes_adam_exactly_from_a_mid_run_checkpoint() {
    resumes_exactly_from_epoch_100("burn-adam", "adam", "burn", &["data.n_samples=400"]);
}

#[test]
fn programs_trained_together_resume_exactly_each_from_its_own_checkpoint() {
    // Three data sets, so three programs (three checkpoint folders), trained as one ensemble.
    let settings = [
        "data.n_samples=400",
        "train.seeds=3",
        "train.vary_data_seed=true",
    ];
    resumes_exactly_from_epoch_100("programs-adam", "adam", "fused", &settings);
}

#[test]
fn eval_of_the_final_checkpoint_reproduces_the_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = temp_dir("eval");
    let run = dir.join("run");
    assert!(
        actlab(
            root,
            &["run", "sigmoid-vs-relu", "--out", run.to_str().unwrap()]
        )
        .status
        .success()
    );
    let out = dir.join("eval");
    let eval = actlab(
        root,
        &[
            "eval",
            run.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(
        eval.status.success(),
        "{}",
        String::from_utf8_lossy(&eval.stderr)
    );

    let json = |path: PathBuf| -> serde_json::Value { serde_json::from_str(&read(path)).unwrap() };
    let summary = json(run.join("summary.json"));
    let evaluated = json(out.join("summary.json"));
    let recomputed = json(out.join("eval.json"));
    assert_eq!(recomputed["epoch"], 800);
    assert_eq!(evaluated["evaluated"]["epoch"], 800);
    for ((v, e), m) in summary["variants"]
        .as_array()
        .unwrap()
        .iter()
        .zip(evaluated["variants"].as_array().unwrap())
        .zip(recomputed["members"].as_array().unwrap())
    {
        assert_eq!(v["name"], m["variant"]);
        assert_eq!(
            v["test_accuracy"], m["evaluated"]["test_accuracy"],
            "recomputed test accuracy equals the run's"
        );
        assert_eq!(e["test_accuracy"], m["evaluated"]["test_accuracy"]);
    }
    for figure in [
        "decision_boundary.png",
        "signal_trace.png",
        "hidden_space.png",
        "layer_activity.png",
    ] {
        assert_eq!(
            std::fs::read(run.join(figure)).unwrap(),
            std::fs::read(out.join(figure)).unwrap(),
            "{figure} matches the run's"
        );
    }
}

fn refused(dir: &Path, args: &[&str], mention: &str) {
    let before = snapshot(dir);
    let out = actlab(dir, args);
    let message = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "{args:?} should fail");
    assert!(
        message.contains(mention),
        "{args:?}: `{message}` should mention `{mention}`"
    );
    assert_eq!(snapshot(dir), before, "{args:?} changed files");
}

#[test]
fn bad_checkpoints_are_refused_and_change_nothing() {
    let dir = workspace("bad", "sgd", "fused");
    assert!(
        actlab(
            &dir,
            &[
                "run",
                "exp.toml",
                "--out",
                "run",
                "--set",
                "data.n_samples=200",
                "--set",
                "checkpoint.every=0"
            ]
        )
        .status
        .success()
    );
    assert!(
        actlab(
            &dir,
            &[
                "run",
                "exp.toml",
                "--out",
                "wide",
                "--set",
                "data.n_samples=200",
                "--set",
                "model.hidden=[5]"
            ]
        )
        .status
        .success()
    );
    let good = "run/checkpoints/epoch-000200/program-0";
    let copy = |name: &str| {
        let target = dir.join(name);
        std::fs::create_dir_all(&target).unwrap();
        for f in ["meta.json", "model.mpk", "optimizer.json"] {
            std::fs::copy(dir.join(good).join(f), target.join(f)).unwrap();
        }
        target
    };

    refused(&dir, &["eval", "no/such/checkpoint"], "not a checkpoint");

    let truncated = copy("truncated");
    let bytes = std::fs::read(truncated.join("model.mpk")).unwrap();
    std::fs::write(truncated.join("model.mpk"), &bytes[..bytes.len() / 2]).unwrap();
    refused(&dir, &["eval", "truncated"], "model.mpk");

    let corrupted = copy("corrupted");
    std::fs::write(corrupted.join("meta.json"), "{ not json").unwrap();
    refused(&dir, &["eval", "corrupted"], "meta.json is not valid JSON");

    // A bit flipped in the middle of the weights: the file still decodes, the checksum does not.
    let flipped = copy("flipped");
    let mut bytes = std::fs::read(flipped.join("model.mpk")).unwrap();
    let middle = bytes.len() - 20;
    bytes[middle] ^= 0x10;
    std::fs::write(flipped.join("model.mpk"), &bytes).unwrap();
    refused(&dir, &["eval", "flipped"], "SHA-256");

    // Another architecture's weights, with a checksum that matches them.
    let wide = dir.join("wide/checkpoints/epoch-000200/program-0");
    let mismatched = copy("mismatched");
    std::fs::copy(wide.join("model.mpk"), mismatched.join("model.mpk")).unwrap();
    let wide_meta: serde_json::Value = serde_json::from_str(&read(wide.join("meta.json"))).unwrap();
    let edit_meta = |dir: &Path, f: &dyn Fn(&mut serde_json::Value)| {
        let mut meta: serde_json::Value =
            serde_json::from_str(&read(dir.join("meta.json"))).unwrap();
        f(&mut meta);
        std::fs::write(dir.join("meta.json"), meta.to_string()).unwrap();
    };
    edit_meta(&mismatched, &|m| {
        m["checksums"]["model.mpk"] = wide_meta["checksums"]["model.mpk"].clone()
    });
    refused(&dir, &["eval", "mismatched"], "do not fit the model");

    let future = copy("future");
    edit_meta(&future, &|m| m["format_version"] = 99.into());
    refused(&dir, &["eval", "future"], "format version 99");

    std::fs::create_dir_all(dir.join("not-a-run")).unwrap();
    refused(&dir, &["resume", "not-a-run"], "not a run folder");
    refused(&dir, &["resume", "run"], "already complete");
}

/// A run stopped after its epoch-100 checkpoint: the folder as a kill after epoch 100 leaves it.
fn stopped_run(dir: &Path, name: &str, source: &str) -> PathBuf {
    let stopped = dir.join(name);
    std::fs::create_dir_all(stopped.join("checkpoints")).unwrap();
    for file in ["config.toml", "run.json"] {
        std::fs::copy(dir.join(source).join(file), stopped.join(file)).unwrap();
    }
    let status = Command::new("cp")
        .arg("-r")
        .arg(dir.join(source).join("checkpoints/epoch-000100"))
        .arg(stopped.join("checkpoints"))
        .status()
        .unwrap();
    assert!(status.success());
    stopped
}

#[test]
fn resume_refuses_state_that_is_not_the_runs_own() {
    let dir = workspace("foreign", "momentum", "fused");
    let settings = ["--set", "data.n_samples=400"];
    for (out, extra) in [
        ("run", vec![]),
        ("adam", vec!["--set", "train.optimizer=\"adam\""]),
        ("wide", vec!["--set", "model.hidden=[5]"]),
    ] {
        let mut args = vec!["run", "exp.toml", "--out", out];
        args.extend(settings);
        args.extend(extra);
        assert!(actlab(&dir, &args).status.success(), "{out}");
    }
    let program = "checkpoints/epoch-000100/program-0";

    // An optimizer state of another kind, checksummed as its own run recorded it.
    let other_kind = stopped_run(&dir, "other-kind", "run");
    let adam = dir.join("adam").join(program);
    std::fs::copy(
        adam.join("optimizer.json"),
        other_kind.join(program).join("optimizer.json"),
    )
    .unwrap();
    std::fs::copy(
        adam.join("meta.json"),
        other_kind.join(program).join("meta.json"),
    )
    .unwrap();
    std::fs::copy(
        adam.join("model.mpk"),
        other_kind.join(program).join("model.mpk"),
    )
    .unwrap();
    refused(&dir, &["resume", "other-kind"], "optimizer state is adam's");

    // Another architecture's checkpoint.
    let other_shape = stopped_run(&dir, "other-shape", "run");
    let wide = dir.join("wide").join(program);
    for file in ["optimizer.json", "meta.json", "model.mpk"] {
        std::fs::copy(wide.join(file), other_shape.join(program).join(file)).unwrap();
    }
    refused(&dir, &["resume", "other-shape"], "mlp 2 -> 5 -> 1");

    // config.toml edited after the run started.
    let edited = stopped_run(&dir, "edited", "run");
    let config = read(edited.join("config.toml")).replace("epochs = 200", "epochs = 300");
    std::fs::write(edited.join("config.toml"), config).unwrap();
    refused(&dir, &["resume", "edited"], "config.toml differs");

    // The optimizer state missing: an incomplete checkpoint, named as such.
    let incomplete = stopped_run(&dir, "incomplete", "run");
    std::fs::remove_file(incomplete.join(program).join("optimizer.json")).unwrap();
    refused(&dir, &["resume", "incomplete"], "optimizer.json is missing");

    // A truncated summary does not count as a finished run: resume finishes it.
    let finished = dir.join("run");
    let summary = read(finished.join("summary.json"));
    std::fs::write(finished.join("summary.json"), &summary[..summary.len() / 2]).unwrap();
    let resumed = actlab(&dir, &["resume", "run"]);
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let repaired: serde_json::Value =
        serde_json::from_str(&read(finished.join("summary.json"))).unwrap();
    assert_eq!(repaired["variants"].as_array().unwrap().len(), 2);
}
