//! Bad input: each mistake exits non-zero, names the problem, and leaves earlier results untouched.

mod common;

use std::{
    path::Path,
    process::{Command, Output},
};

use common::{actlab, snapshot, temp_dir};

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A working folder holding an earlier run's artifacts and an experiment file to break.
fn workspace(name: &str) -> common::TempDir {
    let dir = temp_dir(name);
    let earlier = dir.join("artifacts/sigmoid-vs-relu/20260101-000000");
    std::fs::create_dir_all(&earlier).unwrap();
    std::fs::write(earlier.join("summary.json"), "{\"earlier\": true}").unwrap();
    let seed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/sigmoid-vs-relu.toml"),
    )
    .unwrap();
    std::fs::write(dir.join("exp.toml"), seed).unwrap();
    dir
}

fn assert_refused(dir: &Path, args: &[&str], must_mention: &[&str]) {
    let before = snapshot(dir);
    let out = actlab(dir, args);
    let message = stderr(&out);
    assert!(!out.status.success(), "{args:?} should fail");
    for m in must_mention {
        assert!(
            message.contains(m),
            "{args:?}: `{message}` should mention `{m}`"
        );
    }
    assert_eq!(snapshot(dir), before, "{args:?} changed files on disk");
}

fn edit(dir: &Path, from: &str, to: &str) {
    let path = dir.join("exp.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from));
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn malformed_toml_is_refused_with_its_location() {
    let dir = workspace("malformed");
    edit(&dir, "lr = 0.05", "lr = = 0.05");
    assert_refused(&dir, &["run", "exp.toml"], &["not valid TOML", "line"]);
}

#[test]
fn unknown_keys_are_refused_by_name() {
    let dir = workspace("unknown-key");
    edit(&dir, "lr = 0.05", "lr = 0.05\nlearning_rate = 0.1");
    assert_refused(
        &dir,
        &["run", "exp.toml"],
        &["train", "unknown field `learning_rate`", "lr"],
    );
    assert_refused(
        &dir,
        &["run", "sigmoid-vs-relu", "--set", "train.momentun=0.9"],
        &["unknown field `momentun`"],
    );
}

#[test]
fn unknown_activation_lists_the_allowed_names() {
    let dir = workspace("activation");
    edit(&dir, "activation = \"relu\"", "activation = \"relu6\"");
    assert_refused(
        &dir,
        &["run", "exp.toml"],
        &["variants[1].activation", "relu6", "sigmoid, tanh, relu"],
    );
}

#[test]
fn bad_values_name_key_value_and_what_is_allowed() {
    let dir = workspace("values");
    assert_refused(
        &dir,
        &["run", "sigmoid-vs-relu", "--set", "train.lr=-0.1"],
        &["train.lr", "-0.1", "positive"],
    );
    assert_refused(
        &dir,
        &["run", "sigmoid-vs-relu", "--set", "model.hidden=[8,0]"],
        &["model.hidden", "[8, 0]", "width"],
    );
    assert_refused(
        &dir,
        &["run", "sigmoid-vs-relu", "--set", "train.batch_size=0"],
        &["train.batch_size", "at least 1"],
    );
    assert_refused(
        &dir,
        &["run", "sigmoid-vs-relu", "--set", "data.noise=-1"],
        &["data.noise"],
    );
    assert_refused(
        &dir,
        &["run", "sigmoid-vs-relu", "--set", "oops"],
        &["key=value"],
    );
    assert_refused(
        &dir,
        &["run", "no-such-experiment"],
        &[
            "no experiment named `no-such-experiment`",
            "sigmoid-vs-relu",
        ],
    );
}

#[test]
fn a_non_empty_out_folder_is_refused_and_kept() {
    let dir = workspace("out");
    let out = dir.join("artifacts/sigmoid-vs-relu/20260101-000000");
    assert_refused(
        &dir,
        &["run", "sigmoid-vs-relu", "--out", out.to_str().unwrap()],
        &["not empty", "20260101-000000"],
    );
}

#[test]
fn analyze_refuses_a_folder_that_is_not_a_run() {
    let dir = workspace("analyze");
    assert_refused(&dir, &["analyze", "."], &["not a finished run folder"]);
}

#[test]
fn list_shows_each_experiment_with_its_question() {
    let out = actlab(Path::new(env!("CARGO_MANIFEST_DIR")), &["list"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("sigmoid-vs-relu") && text.contains("does a sigmoid MLP learn two-moons")
    );
}

#[test]
fn an_unknown_instruction_set_is_refused() {
    let dir = workspace("simd");
    let before = snapshot(&dir);
    let out = Command::new(env!("CARGO_BIN_EXE_actlab"))
        .args(["run", "exp.toml"])
        .env("ACTLAB_SIMD", "sse9")
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let message = stderr(&out);
    assert!(message.contains("sse9") && message.contains("portable, avx2, avx512"));
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn errors_show_values_as_written_not_as_rust_options() {
    let dir = workspace("values-as-written");
    assert_refused(
        &dir,
        &["run", "exp.toml", "--set", "data.path=\"/x\""],
        &["`data.path` = \"/x\"", "applies to digits"],
    );
    let out = actlab(&dir, &["run", "exp.toml", "--set", "data.path=\"/x\""]);
    assert!(!stderr(&out).contains("Some("), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(&dir);
}
