//! A tool that installs: a copy of the binary, run where no source tree is, lists and runs the
//! built-in experiments (they are embedded in it) and names its version and commit.

mod common;

use std::process::Command;

use common::{read, temp_dir};

#[test]
fn a_copied_binary_lists_and_runs_the_built_in_experiments() {
    let dir = temp_dir("installed");
    let binary = dir.join("bin/actlab");
    std::fs::create_dir_all(binary.parent().unwrap()).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_actlab"), &binary).unwrap();
    let work = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(&binary)
            .args(args)
            .current_dir(&work)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{args:?}: {text}");
        text
    };
    let listed = run(&["list"]);
    for name in [
        "sigmoid-vs-relu",
        "tiny-shakespeare",
        "llm-activations",
        "llm-sigmoid",
    ] {
        assert!(listed.contains(name), "{name} in\n{listed}");
    }
    run(&["run", "sigmoid-vs-relu", "--out", "seed"]);
    let report = read(work.join("seed/report.md"));
    assert!(
        report.contains("**18 of 18 values match to the printed digit.**"),
        "{report}"
    );
    assert!(work.join("seed/decision_boundary.png").is_file());
    assert!(
        !work.join("experiments").exists(),
        "nothing is unpacked beside the run"
    );
    let version = run(&["--version"]);
    assert!(
        version.contains(env!("CARGO_PKG_VERSION")) && version.contains("commit "),
        "{version}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
