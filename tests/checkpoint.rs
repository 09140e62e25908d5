//! Checkpoints: exact resume after SIGKILL, eval reproducing the run, and bad input refused.

mod common;

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
    time::{Duration, Instant},
};

use common::{snapshot, temp_dir};

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

fn actlab(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_actlab"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn workspace(name: &str, optimizer: &str, engine: &str) -> PathBuf {
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

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{} exists", path.display()))
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
    std::fs::copy(dir.join("whole/config.toml"), stopped.join("config.toml")).unwrap();
    let copy = Command::new("cp")
        .args([
            "-r",
            &dir_str("whole/checkpoints/epoch-000100"),
            &dir_str("stopped/checkpoints/"),
        ])
        .status()
        .unwrap();
    assert!(copy.success());
    assert!(actlab(&dir, &["resume", "stopped"]).status.success());
    assert_eq!(
        read(stopped.join("metrics.csv")),
        read(dir.join("whole/metrics.csv"))
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

    let summary: serde_json::Value = serde_json::from_str(&read(run.join("summary.json"))).unwrap();
    let recomputed: serde_json::Value = serde_json::from_str(&read(out.join("eval.json"))).unwrap();
    assert_eq!(recomputed["epoch"], 800);
    for (v, m) in summary["variants"]
        .as_array()
        .unwrap()
        .iter()
        .zip(recomputed["members"].as_array().unwrap())
    {
        assert_eq!(v["name"], m["variant"]);
        assert_eq!(
            v["test_accuracy"], m["test_accuracy"],
            "recomputed test accuracy equals the run's"
        );
    }
    for figure in [
        "decision_boundary.png",
        "signal_trace.png",
        "hidden_space.png",
        "loss.png",
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

    let mismatched = copy("mismatched");
    std::fs::copy(
        dir.join("wide/checkpoints/epoch-000200/program-0/model.mpk"),
        mismatched.join("model.mpk"),
    )
    .unwrap();
    refused(&dir, &["eval", "mismatched"], "does not match its metadata");

    let future = copy("future");
    let meta =
        read(future.join("meta.json")).replacen("\"format_version\":1", "\"format_version\":99", 1);
    std::fs::write(future.join("meta.json"), meta).unwrap();
    refused(&dir, &["eval", "future"], "format version 99");

    std::fs::create_dir_all(dir.join("not-a-run")).unwrap();
    refused(&dir, &["resume", "not-a-run"], "not a run folder");
    refused(&dir, &["resume", "run"], "already complete");
}
