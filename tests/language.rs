//! Language models through the whole tool: a small GPT trained on the bundled corpus learns
//! (validation loss well below the unigram entropy), a run killed with SIGKILL resumes bit for
//! bit, `eval` and `sample` work from its checkpoints, and bad input is a clear error with
//! nothing written.

mod common;

use std::{path::Path, process::Command, time::Duration};

use actlab::{
    data::text::{Corpus, Tokens},
    lm::{sample::draw, schedule::LrSchedule},
    numpy_rng::NumpyRng,
};
use common::{actlab, read, succeeds, temp_dir};

/// A small GPT on Tiny Shakespeare: 2 layers, 64 channels, context 32.
const SMALL: &str = r#"
name = "small-gpt"
question = "Does a small GPT learn Tiny Shakespeare?"
[data]
kind = "tiny-shakespeare"
[model]
family = "gpt"
n_layer = 2
n_head = 2
n_embd = 64
block_size = 32
activation = "gelu"
seed = 7
[train]
iterations = 300
batch_size = 16
lr = 3e-3
min_lr = 3e-4
warmup_iters = 30
betas = [0.9, 0.99]
weight_decay = 0.1
grad_clip = 1.0
eval_interval = 100
eval_iters = 10
[checkpoint]
every = 100
[sample]
prompt = "ROMEO:"
tokens = 60
[[variants]]
name = "gelu"
"#;

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// Column `name` of a CSV file, as text per row.
fn column(csv: &str, name: &str) -> Vec<String> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let i = header.iter().position(|h| *h == name).unwrap();
    lines
        .map(|l| l.split(',').nth(i).unwrap().to_string())
        .collect()
}

#[test]
fn a_small_gpt_learns_the_bundled_corpus() {
    let dir = temp_dir("lm-learns");
    write(&dir, "small.toml", SMALL);
    succeeds(&dir, &["run", "small.toml", "--out", "run"]);
    let metrics = read(dir.join("run/metrics.csv"));
    let val: Vec<f64> = column(&metrics, "val_loss")
        .iter()
        .map(|v| v.parse().unwrap())
        .collect();
    let corpus = Corpus::tiny_shakespeare(Tokens::Chars).unwrap();
    let entropy = corpus.unigram_entropy();
    assert!((entropy - 3.3).abs() < 0.1, "unigram entropy {entropy}");
    let last = *val.last().unwrap();
    assert!(
        val[0] > 4.0,
        "an untrained model is near ln 65 = 4.17, got {}",
        val[0]
    );
    assert!(
        last < entropy - 0.4,
        "validation loss {last} must fall clearly below the unigram entropy {entropy}"
    );
    let report = read(dir.join("run/report.md"));
    assert!(
        report.contains("ROMEO:") && report.contains("| gelu | gelu |"),
        "{report}"
    );
    assert!(dir.join("run/loss.png").is_file());
    // The report is rebuilt from disk alone.
    std::fs::remove_file(dir.join("run/report.md")).unwrap();
    succeeds(&dir, &["analyze", "run"]);
    assert_eq!(read(dir.join("run/report.md")), report);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_run_killed_with_sigkill_resumes_bit_for_bit_and_serves_eval_and_sample() {
    let dir = temp_dir("lm-sigkill");
    let slow = SMALL.replace("iterations = 300", "iterations = 1200");
    write(&dir, "small.toml", &slow);
    succeeds(&dir, &["run", "small.toml", "--out", "whole"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_actlab"))
        .args(["run", "small.toml", "--out", "killed"])
        .current_dir(&dir)
        .spawn()
        .unwrap();
    let first = dir.join("killed/checkpoints/iter-000100/gelu-seed-7/meta.json");
    let started = std::time::Instant::now();
    while !first.is_file() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before its first checkpoint"
        );
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "no checkpoint within 5 minutes"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        !dir.join("killed/results/gelu-seed-7.json").is_file(),
        "killed before the end"
    );
    succeeds(&dir, &["resume", "killed"]);
    let (whole, killed) = (
        read(dir.join("whole/metrics.csv")),
        read(dir.join("killed/metrics.csv")),
    );
    for name in ["iteration", "lr", "train_loss", "val_loss", "step_loss"] {
        assert_eq!(column(&whole, name), column(&killed, name), "column {name}");
    }

    let sample = |seed: &str| {
        let out = actlab(
            &dir,
            &[
                "sample", "killed", "--prompt", "KING:", "--tokens", "80", "--seed", seed,
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let sample_whole = {
        let out = actlab(
            &dir,
            &[
                "sample", "whole", "--prompt", "KING:", "--tokens", "80", "--seed", "3",
            ],
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let (a, b, c) = (sample("3"), sample("3"), sample("4"));
    assert_eq!(
        a, sample_whole,
        "the resumed model writes what the unbroken one writes"
    );
    assert!(a.starts_with("KING:") && a.chars().count() > 80, "{a}");
    assert_eq!(a, b, "the same seed gives the same text");
    assert_ne!(a, c, "another seed gives other text");
    let bad = actlab(&dir, &["sample", "killed", "--prompt", "K€"]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("'€'"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );

    succeeds(
        &dir,
        &[
            "eval",
            "killed/checkpoints/iter-001200/gelu-seed-7",
            "--out",
            "evaluated",
        ],
    );
    succeeds(&dir, &["eval", "whole", "--out", "evaluated-whole"]);
    let eval: serde_json::Value =
        serde_json::from_str(&read(dir.join("evaluated/eval.json"))).unwrap();
    let whole: serde_json::Value =
        serde_json::from_str(&read(dir.join("evaluated-whole/eval.json"))).unwrap();
    assert_eq!(
        eval["val_loss_all"], whole["val_loss_all"],
        "equal weights give equal losses to the last bit"
    );
    let all = eval["val_loss_all"].as_f64().unwrap();
    assert!(all > 1.0 && all < 3.0, "whole-split validation loss {all}");
    assert_eq!(eval["iteration"].as_u64(), Some(1200));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `args` fail with an error containing every one of `words`, and `out` is not created.
fn refused(dir: &Path, args: &[&str], words: &[&str]) {
    let out = actlab(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} must fail");
    for w in words {
        assert!(stderr.contains(w), "{args:?}: `{w}` not in: {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!dir.join("out").exists(), "{args:?} wrote its folder");
}

#[test]
fn bad_input_is_a_clear_error_with_nothing_written() {
    let dir = temp_dir("lm-bad-input");
    write(&dir, "small.toml", SMALL);
    let run = |sets: &[&str]| {
        let mut args = vec!["run", "small.toml", "--out", "out"];
        for s in sets {
            args.extend(["--set", s]);
        }
        args.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let check = |sets: &[&str], words: &[&str]| {
        let args = run(sets);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        refused(&dir, &args, words);
    };
    check(
        &["model.n_embd=31"],
        &["model.n_embd = 31", "divisible by model.n_head = 2"],
    );
    check(
        &["train.iterations=0"],
        &["train.iterations = 0", "at least 1"],
    );
    check(
        &["model.n_embd=65536", "model.n_layer=64"],
        &["needs about", "GB", "limit"],
    );
    check(
        &["model.activation=\"swish\""],
        &["swish", "swiglu", "squared-relu"],
    );
    check(&["model.unknown=1"], &["unknown"]);
    write(
        &dir,
        "short.txt",
        "To be, or not to be: that is the question.\n",
    );
    check(
        &["data.kind=\"text\"", "data.path=\"short.txt\""],
        &["model.block_size = 32", "validation split (5 tokens"],
    );
    write(&dir, "empty.txt", "");
    check(
        &["data.kind=\"text\"", "data.path=\"empty.txt\""],
        &["data.path = \"empty.txt\" is empty"],
    );
    std::fs::write(dir.join("latin1.txt"), b"caf\xe9 au lait\n").unwrap();
    check(
        &["data.kind=\"text\"", "data.path=\"latin1.txt\""],
        &["not UTF-8", "offset 3", "data.tokens = \"bytes\""],
    );
    check(
        &["data.kind=\"text\"", "data.path=\"missing.txt\""],
        &["data.path = \"missing.txt\"", "cannot read"],
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn resume_and_sample_refuse_a_changed_corpus() {
    let dir = temp_dir("lm-changed-corpus");
    let text: String = Corpus::tiny_shakespeare(Tokens::Chars)
        .map(|c| c.vocabulary.decode(&c.ids[..40_000]))
        .unwrap();
    write(&dir, "corpus.txt", &text);
    let exp = SMALL
        .replace(
            "kind = \"tiny-shakespeare\"",
            "kind = \"text\"\npath = \"corpus.txt\"",
        )
        .replace("iterations = 300", "iterations = 20")
        .replace("eval_interval = 100", "eval_interval = 10")
        .replace("every = 100", "every = 10");
    write(&dir, "small.toml", &exp);
    succeeds(&dir, &["run", "small.toml", "--out", "run"]);
    std::fs::remove_file(dir.join("run/results/gelu-seed-7.json")).unwrap();
    assert!(text.contains("Citizen"));
    write(&dir, "corpus.txt", &text.replace("Citizen", "Senator"));
    for args in [vec!["resume", "run"], vec!["sample", "run"]] {
        let out = actlab(&dir, &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "{args:?} must refuse a changed corpus"
        );
        assert!(
            stderr.contains("SHA-256") && stderr.contains("the text changed"),
            "{args:?}: {stderr}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_schedule_warms_up_then_decays_to_min_lr() {
    let s = LrSchedule {
        lr: 1e-3,
        min_lr: 1e-4,
        warmup_iters: 100,
        decay_iters: 2000,
    };
    // nanoGPT's get_lr: lr * (it + 1) / (warmup + 1), then min + 0.5 (1 + cos(pi r)) (lr - min).
    assert_eq!(s.at(0), 1e-3 / 101.0);
    assert_eq!(s.at(99), 1e-3 * 100.0 / 101.0);
    assert_eq!(s.at(100), 1e-3);
    assert!(
        (s.at(1050) - 5.5e-4).abs() < 1e-15,
        "half way: the mean of lr and min_lr"
    );
    assert!((s.at(2000) - 1e-4).abs() < 1e-18);
    assert_eq!(s.at(2001), 1e-4);
}

#[test]
fn sampling_keeps_the_top_k_and_follows_the_seed() {
    let logits = [0.0, 3.0, 1.0, 2.0];
    let mut rng = NumpyRng::new(1);
    for _ in 0..50 {
        assert_eq!(draw(&logits, 1.0, 1, &mut rng), 1, "top-1 is the argmax");
        assert!(
            [1, 3].contains(&draw(&logits, 1.0, 2, &mut rng)),
            "top-2 never draws the rest"
        );
    }
    let seq = |seed| {
        let mut rng = NumpyRng::new(seed);
        (0..20)
            .map(|_| draw(&logits, 5.0, 4, &mut rng))
            .collect::<Vec<_>>()
    };
    assert_eq!(seq(9), seq(9));
}

#[test]
fn reports_pair_variants_by_seed() {
    let dir = temp_dir("lm-paired");
    let exp = SMALL
        .replace("n_embd = 64", "n_embd = 16")
        .replace("iterations = 300", "iterations = 40")
        .replace("eval_interval = 100", "eval_interval = 20")
        .replace("every = 100", "every = 0")
        .replace("[[variants]]\nname = \"gelu\"", "[[variants]]\nname = \"gelu\"\n[[variants]]\nname = \"sigmoid\"\nactivation = \"sigmoid\"")
        + "";
    let exp = exp.replace("[train]\n", "[train]\nseeds = 3\n");
    write(&dir, "small.toml", &exp);
    succeeds(&dir, &["run", "small.toml", "--out", "run"]);
    let summary: serde_json::Value =
        serde_json::from_str(&read(dir.join("run/summary.json"))).unwrap();
    let finals = |i: usize| -> Vec<f64> {
        summary["variants"][i]["final_val_loss"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect()
    };
    let (gelu, sigmoid) = (finals(0), finals(1));
    let mean: f64 = sigmoid.iter().zip(&gelu).map(|(s, g)| s - g).sum::<f64>() / 3.0;
    let report = read(dir.join("run/report.md"));
    assert!(
        report.contains("## Paired differences against gelu"),
        "{report}"
    );
    let row = report
        .lines()
        .find(|l| l.starts_with("| sigmoid | 3 |"))
        .expect("a sigmoid row over 3 pairs");
    assert!(
        row.contains(&format!("{mean:+.4}")),
        "{row} holds the mean difference {mean:+.4}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A tiny GPT with dropout, so that a probe drawing from the generator would show.
const TINY_WITH_DROPOUT: &str = r#"
name = "tiny-probed"
question = "Do probes change training?"
[data]
kind = "tiny-shakespeare"
[model]
family = "gpt"
n_layer = 2
n_head = 2
n_embd = 16
block_size = 16
dropout = 0.1
activation = "relu"
seed = 5
[train]
iterations = 40
batch_size = 8
lr = 3e-3
eval_interval = 10
eval_iters = 4
seeds = 2
[checkpoint]
every = 20
[sample]
tokens = 30
[[variants]]
name = "relu"
[[variants]]
name = "swiglu"
activation = "swiglu"
"#;

#[test]
fn training_is_bit_identical_with_probes_on_or_off() {
    let dir = temp_dir("lm-probes-identity");
    write(&dir, "tiny.toml", TINY_WITH_DROPOUT);
    succeeds(&dir, &["run", "tiny.toml", "--out", "probed"]);
    succeeds(
        &dir,
        &[
            "run",
            "tiny.toml",
            "--set",
            "probes.every=0",
            "--out",
            "plain",
        ],
    );
    let (probed, plain) = (
        read(dir.join("probed/metrics.csv")),
        read(dir.join("plain/metrics.csv")),
    );
    for name in [
        "variant",
        "seed",
        "iteration",
        "train_loss",
        "val_loss",
        "step_loss",
    ] {
        assert_eq!(column(&probed, name), column(&plain, name), "{name}");
    }
    assert!(
        column(&probed, "val_loss").len() == 2 * 2 * 5,
        "2 variants x 2 seeds x 5 evaluations"
    );
    let stats = read(dir.join("probed/activations.csv"));
    for (variant, tensors) in [
        ("relu", &["z", "a", "dz", "dw", "residual", "attention"][..]),
        ("swiglu", &["gate", "value"][..]),
    ] {
        for tensor in tensors {
            for block in ["block1", "block2"] {
                assert!(
                    stats.lines().any(|l| l.starts_with(&format!("{variant},"))
                        && l.contains(&format!(",{block},{tensor},"))),
                    "{variant} {block} {tensor}"
                );
            }
        }
    }
    assert!(!dir.join("plain/activations.csv").exists());
    let histograms: serde_json::Value =
        serde_json::from_str(&read(dir.join("probed/histograms.json"))).unwrap();
    let histograms = histograms.as_array().unwrap();
    // Per variant's first seed: 5 probe steps x 2 blocks, z and a (swiglu: gate and value too).
    assert_eq!(histograms.len(), 5 * 2 * 2 + 5 * 2 * 4);
    let counts: u64 = histograms[0]["histogram"]["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!(
        counts,
        8 * 16 * 64,
        "every z of 8 windows x 16 positions x 64 units"
    );
    for job in ["relu-seed-5", "swiglu-seed-6"] {
        let sample = |run: &str| {
            let text = read(dir.join(format!("{run}/results/{job}.json")));
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            v["sample"].as_str().unwrap().to_string()
        };
        assert_eq!(
            sample("probed"),
            sample("plain"),
            "{job}: the same model samples the same text"
        );
    }
    assert!(read(dir.join("probed/report.md")).contains("Probing took"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A run whose weights blow up is recorded as diverged, with its report, and is not a crash:
/// training, the end-of-run sample and the report all go through, and `sample` refuses it.
#[test]
fn a_diverging_run_is_recorded_not_a_crash() {
    let dir = temp_dir("lm-diverged");
    let tiny = TINY_WITH_DROPOUT
        .replace("lr = 3e-3", "lr = 1e30")
        .replace("dropout = 0.1\n", "")
        .replace("seeds = 2", "seeds = 1")
        .replace(
            "[[variants]]\nname = \"swiglu\"\nactivation = \"swiglu\"\n",
            "",
        );
    assert!(!tiny.contains("swiglu"));
    write(&dir, "tiny.toml", &tiny);
    succeeds(&dir, &["run", "tiny.toml", "--out", "blown"]);
    let summary = read(dir.join("blown/summary.json"));
    let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
    for v in summary["variants"].as_array().unwrap() {
        assert_eq!(v["diverged"], 1, "{v}");
        assert!(v["mean_val_loss"].is_null(), "{v}");
    }
    let report = read(dir.join("blown/report.md"));
    assert!(report.contains("No sample: this job diverged."), "{report}");
    let out = actlab(&dir, &["sample", "blown", "--tokens", "5"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("diverged"));
}
