//! Every model family through the whole tool: training, probes on the Burn forward pass,
//! checkpoints, exact resume, eval and reports; batch normalization's running statistics; and
//! the fused engine refusing what it cannot train.

mod common;

use std::{
    collections::{BTreeSet, HashMap},
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use common::{actlab, read, succeeds, temp_dir};

const PLANAR: &str = r#"
name = "family-test"
question = "Does every family train, probe, checkpoint, resume and evaluate?"
[data]
n_samples = 300
noise = 0.2
seed = 1
[model]
hidden = [6, 6, 6]
seed = 3
[train]
optimizer = "adam"
lr = 0.01
epochs = 6
batch_size = 32
engine = "burn"
[checkpoint]
every = 3
[probes]
every = 3
[[variants]]
name = "sigmoid"
activation = "sigmoid"
init = "lecun-normal"
[[variants]]
name = "relu"
activation = "relu"
init = "he-normal"
"#;

/// MNIST-1D, a few hundred samples: sequences of 40 points, ten classes.
const SEQUENCES: &str = r#"
name = "family-test"
question = "Does the cnn train, probe, checkpoint, resume and evaluate?"
[data]
kind = "mnist1d"
seed = 1
scaling = "none"
n_train = 300
n_test = 100
[model]
family = "cnn"
conv = [{ channels = 4, kernel = 5, stride = 2, padding = 1 }, { channels = 4, kernel = 3, stride = 2 }]
hidden = [8]
seed = 3
[train]
optimizer = "adam"
lr = 0.01
epochs = 6
batch_size = 50
[checkpoint]
every = 3
[probes]
every = 3
max_points = 60
[[variants]]
name = "sigmoid"
activation = "sigmoid"
init = "lecun-normal"
[[variants]]
name = "relu"
activation = "relu"
init = "he-normal"
"#;

fn json(path: PathBuf) -> serde_json::Value {
    serde_json::from_str(&read(path)).unwrap()
}

/// `activations.csv` rows, read by column name with a standard CSV reader.
fn activations(dir: &Path) -> Vec<HashMap<String, String>> {
    csv::Reader::from_path(dir.join("activations.csv"))
        .unwrap()
        .deserialize()
        .map(|r| r.unwrap())
        .collect()
}

/// Runs the experiment whole, then resumed from a copy of its epoch-3 checkpoint, then
/// evaluates it; checks the layers probed, the files written and that resume and eval
/// reproduce the run.
fn whole_tool(name: &str, experiment: &str, settings: &[&str], layers: &[&str]) {
    let dir = temp_dir(name);
    std::fs::write(dir.join("exp.toml"), experiment).unwrap();
    let mut args = vec!["run", "exp.toml", "--out", "whole"];
    for s in settings {
        args.extend(["--set", s]);
    }
    succeeds(&dir, &args);
    let whole = dir.join("whole");

    let rows = activations(&whole);
    let names: BTreeSet<&str> = rows.iter().map(|r| r["name"].as_str()).collect();
    for layer in layers.iter().chain(&["output"]) {
        assert!(
            names.contains(layer),
            "{name}: {layer} probed; found {names:?}"
        );
    }
    for layer in layers {
        for (tensor, statistic) in [("z", "std"), ("a", "std"), ("dz", "norm"), ("dw", "norm")] {
            assert!(
                rows.iter().any(|r| r["name"] == *layer
                    && r["tensor"] == tensor
                    && r["statistic"] == statistic
                    && r["epoch"] == "6"
                    && r["value"].parse::<f64>().unwrap().is_finite()),
                "{name}: {layer} {tensor} {statistic} at epoch 6"
            );
        }
    }
    for figure in ["loss.png", "layer_activity.png", "layer_gradients.png"] {
        assert!(whole.join(figure).is_file(), "{name}: {figure}");
    }
    let summary = json(whole.join("summary.json"));
    let recorded: Vec<&str> = summary["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(recorded, layers, "{name}: layers in summary.json");

    // Resume from the epoch-3 checkpoint: the same metrics and probes, bit for bit.
    let stopped = dir.join("stopped");
    std::fs::create_dir_all(stopped.join("checkpoints")).unwrap();
    for file in ["config.toml", "run.json"] {
        std::fs::copy(whole.join(file), stopped.join(file)).unwrap();
    }
    let copied = Command::new("cp")
        .arg("-r")
        .arg(whole.join("checkpoints/epoch-000003"))
        .arg(stopped.join("checkpoints"))
        .status()
        .unwrap();
    assert!(copied.success());
    succeeds(&dir, &["resume", "stopped"]);
    assert_eq!(
        read(stopped.join("metrics.csv")),
        read(whole.join("metrics.csv")),
        "{name}: resumed metrics"
    );
    assert_eq!(
        read(stopped.join("activations.csv")),
        read(whole.join("activations.csv")),
        "{name}: resumed probes"
    );

    // Eval of the final checkpoint recomputes the run's final test accuracy: the loaded
    // weights (and running statistics) are the trained ones.
    succeeds(&dir, &["eval", "whole", "--out", "eval"]);
    let evaluated = json(dir.join("eval/summary.json"));
    for (v, e) in summary["variants"]
        .as_array()
        .unwrap()
        .iter()
        .zip(evaluated["variants"].as_array().unwrap())
    {
        assert_eq!(v["test_accuracy"], e["test_accuracy"], "{name}: eval");
    }
    assert!(dir.join("eval/report.md").is_file());
}

#[test]
fn mlp_with_layer_and_batch_normalization() {
    let layers = ["hidden1", "hidden2", "hidden3"];
    whole_tool("mlp-layer", PLANAR, &["model.norm=\"layer\""], &layers);
    whole_tool("mlp-batch", PLANAR, &["model.norm=\"batch\""], &layers);
}

#[test]
fn residual_mlp_plain_and_batch_normalized() {
    let layers = ["block1", "block2", "block3"];
    whole_tool(
        "residual",
        PLANAR,
        &["model.family=\"residual-mlp\""],
        &layers,
    );
    whole_tool(
        "residual-batch",
        PLANAR,
        &["model.family=\"residual-mlp\"", "model.norm=\"batch\""],
        &layers,
    );
}

#[test]
fn cnn_on_sequences() {
    whole_tool("cnn", SEQUENCES, &[], &["conv1", "conv2", "hidden1"]);
}

#[test]
fn residual_batch_adam_resumes_bit_for_bit_after_sigkill() {
    let dir = temp_dir("residual-sigkill");
    let experiment = PLANAR
        .replace("n_samples = 300", "n_samples = 6000")
        .replace("epochs = 6", "epochs = 40")
        .replace("every = 3\n[probes]", "every = 20\n[probes]");
    std::fs::write(dir.join("exp.toml"), experiment).unwrap();
    let settings = [
        "--set",
        "model.family=\"residual-mlp\"",
        "--set",
        "model.norm=\"batch\"",
    ];
    let mut whole = vec!["run", "exp.toml", "--out", "whole"];
    whole.extend(settings);
    succeeds(&dir, &whole);

    let mut child = Command::new(env!("CARGO_BIN_EXE_actlab"))
        .args(["run", "exp.toml", "--out", "killed"])
        .args(settings)
        .current_dir(&dir)
        .spawn()
        .unwrap();
    let checkpoint = dir.join("killed/checkpoints/epoch-000020/program-0/meta.json");
    let started = Instant::now();
    while !checkpoint.is_file() {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "epoch 20 reached"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        !dir.join("killed/summary.json").exists(),
        "killed before the end"
    );
    let log = succeeds(&dir, &["resume", "killed"]);
    assert!(
        log.contains("resumed from the checkpoint at epoch 20"),
        "{log}"
    );
    assert_eq!(
        read(dir.join("killed/metrics.csv")),
        read(dir.join("whole/metrics.csv")),
        "every epoch's metrics, bit for bit"
    );
}

#[test]
fn batch_normalization_keeps_running_statistics_in_checkpoints() {
    use actlab::{
        backend::{self, Eval},
        checkpoint,
        config::load_experiment,
        model::{Network, norm::Norm},
        run::initial_ensemble,
    };

    let dir = temp_dir("running-statistics");
    std::fs::write(dir.join("exp.toml"), PLANAR).unwrap();
    succeeds(
        &dir,
        &[
            "run",
            "exp.toml",
            "--out",
            "run",
            "--set",
            "model.norm=\"batch\"",
        ],
    );
    let plan = load_experiment(&dir.join("run/config.toml"), &[])
        .unwrap()
        .check()
        .unwrap();
    let device = backend::device();
    let ckpt = dir.join("run/checkpoints/epoch-000006/program-0");
    let meta = checkpoint::load_meta(&ckpt).unwrap();
    let (skeleton, _, _) = initial_ensemble::<Eval>(&plan, &[3], &[0, 1], &device);
    let Network::Mlp(untrained) = &skeleton else {
        panic!("an mlp")
    };
    let loaded = checkpoint::load_model(&ckpt, &meta, skeleton.clone(), &device).unwrap();
    let Network::Mlp(trained) = &loaded else {
        panic!("an mlp")
    };
    let running = |norm: &Norm<Eval>| match norm {
        Norm::Batch(b) => actlab::learner::to_host(b.running_mean.val()),
        Norm::Layer(_) => panic!("batch normalization"),
    };
    assert_eq!(trained.norms.len(), 3);
    for (before, after) in untrained.norms.iter().zip(&trained.norms) {
        assert!(running(before).iter().all(|&m| m == 0.0));
        assert!(
            running(after).iter().any(|&m| m != 0.0),
            "the running means moved in training and were saved"
        );
    }
}

#[test]
fn the_fused_engine_names_what_it_lacks() {
    let dir = temp_dir("fused-lacks");
    std::fs::write(dir.join("exp.toml"), PLANAR).unwrap();
    for (setting, lack) in [
        ("model.norm=\"batch\"", "batch normalization"),
        ("model.family=\"residual-mlp\"", "the `residual-mlp` family"),
    ] {
        let out = actlab(
            &dir,
            &[
                "run",
                "exp.toml",
                "--out",
                "x",
                "--set",
                "train.engine=\"fused\"",
                "--set",
                setting,
            ],
        );
        let message = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(
            message.contains("the fused engine does not support") && message.contains(lack),
            "{message}"
        );
        assert!(!dir.join("x").exists(), "nothing written");
    }
    // `auto` takes the Burn engine for what the fused engine lacks.
    succeeds(
        &dir,
        &[
            "run",
            "exp.toml",
            "--out",
            "auto",
            "--set",
            "model.norm=\"layer\"",
            "--set",
            "train.engine=\"auto\"",
        ],
    );
    assert_eq!(json(dir.join("auto/summary.json"))["engine"], "burn");
}
