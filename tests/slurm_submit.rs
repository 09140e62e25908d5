//! `actlab submit --slurm` without a cluster: the scripts it writes, run here with bash as SLURM
//! would run them; resubmission of only the unfinished shards; the merge naming missing points;
//! bad input refused; and the sbatch / squeue / scancel calls, through stand-ins on PATH.
//! tests/slurm/run.sh runs the same on a real SLURM.

mod common;

use std::{
    ffi::OsString,
    path::{Path, PathBuf},
    process::{Command, Output},
    time::SystemTime,
};

use common::{read, root, snapshot, temp_dir};

fn workspace(name: &str) -> common::TempDir {
    let dir = temp_dir(&format!("slurm-{name}"));
    std::fs::copy(
        root().join("tests/slurm/sweep.toml"),
        dir.join("sweep.toml"),
    )
    .unwrap();
    dir
}

fn actlab_env(dir: &Path, args: &[&str], env: &[(&str, OsString)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_actlab"));
    command.args(args).current_dir(dir);
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

fn actlab(dir: &Path, args: &[&str]) -> Output {
    actlab_env(dir, args, &[])
}

/// A command line's arguments, split on spaces.
fn words(line: &str) -> Vec<&str> {
    line.split(' ').collect()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn succeeded(out: Output) -> String {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Runs task `task` of `sub`'s job array with bash, in the environment SLURM gives a task.
fn run_task(sub: &Path, task: usize) {
    let out = Command::new("bash")
        .arg(sub.join("submit.sbatch"))
        .env("SLURM_ARRAY_TASK_ID", task.to_string())
        .env("SLURM_JOB_ID", "100")
        .env("SLURM_CPUS_PER_TASK", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "task {task}: {}", text(&out.stderr));
}

fn run_merge(sub: &Path) -> Output {
    Command::new("bash")
        .arg(sub.join("merge.sbatch"))
        .output()
        .unwrap()
}

/// Every point file under `dir` with its bytes and modification time.
fn point_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>, SystemTime)> {
    snapshot(dir)
        .into_iter()
        .filter(|(p, _)| p.parent().is_some_and(|d| d.ends_with("points")))
        .map(|(p, bytes)| {
            let modified = std::fs::metadata(&p).unwrap().modified().unwrap();
            (p, bytes, modified)
        })
        .collect()
}

#[test]
fn the_scripts_run_the_resolved_sweep_and_merge_it_equal_to_a_local_run() {
    let dir = workspace("scripts");
    std::fs::copy(dir.join("sweep.toml"), dir.join("original.toml")).unwrap();
    let submit = words(
        "submit sweep.toml --slurm --tasks 3 --out sub --set train.batch_size=16 --sbatch-arg=--partition=short --sbatch-arg --time=00:10:00 --dry-run",
    );
    let printed = succeeded(actlab(&dir, &submit));
    let sub = dir.join("sub");
    for expected in [
        "dry run: nothing submitted",
        "#SBATCH --array=0-2",
        "#SBATCH --partition=short",
        "#SBATCH --time=00:10:00",
        "#SBATCH --kill-on-invalid-dep=yes",
        "sbatch --parsable",
        "--dependency=afterok:ARRAY_ID",
    ] {
        assert!(printed.contains(expected), "`{expected}` in\n{printed}");
    }
    assert!(read(sub.join("submission.json")).contains("\"attempts\": []"));
    assert!(read(sub.join("experiment.toml")).contains("batch_size = 16"));

    // Editing the experiment file now cannot change this sweep: the tasks read experiment.toml.
    let edited = read(dir.join("sweep.toml")).replace("epochs = 20", "epochs = 30");
    std::fs::write(dir.join("sweep.toml"), edited).unwrap();
    for task in 0..3 {
        run_task(&sub, task);
    }
    succeeded(run_merge(&sub));
    succeeded(actlab(
        &dir,
        &words("run original.toml --set train.batch_size=16 --out local"),
    ));
    assert_eq!(
        read(sub.join("sweep.csv")),
        read(dir.join("local/sweep.csv"))
    );
    assert_eq!(
        read(sub.join("report.md")),
        read(dir.join("local/report.md"))
    );
    assert!(sub.join("heatmap.png").is_file());

    // The edited file is another experiment: refused, naming what differs.
    let before = snapshot(&dir);
    let refused = actlab(&dir, &submit);
    assert!(!refused.status.success());
    let message = text(&refused.stderr);
    assert!(
        message.contains("other settings") && message.contains("train.epochs"),
        "{message}"
    );
    assert_eq!(snapshot(&dir), before);

    // The same experiment again: everything is finished and merged.
    let mut again = submit.to_vec();
    again[1] = "original.toml";
    let printed = succeeded(actlab(&dir, &again));
    assert!(printed.contains("nothing to submit"), "{printed}");
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn a_resubmission_reruns_only_unfinished_shards_and_never_recomputes_a_point() {
    let dir = workspace("resubmit");
    let submit = words("submit sweep.toml --slurm --tasks 3 --out sub --dry-run");
    succeeded(actlab(&dir, &submit));
    let sub = dir.join("sub");
    run_task(&sub, 0);
    run_task(&sub, 1);
    // Task 1 was killed after points 1 and 4; task 2 stopped before its sweep.json existed.
    for lost in ["000007.json", "000010.json"] {
        std::fs::remove_file(sub.join("shards/1/points").join(lost)).unwrap();
    }
    std::fs::create_dir_all(sub.join("shards/2")).unwrap();
    std::fs::write(sub.join("shards/2/config.toml"), "# cut short\n").unwrap();

    let merge = actlab(&dir, &["merge", "sub"]);
    assert!(!merge.status.success(), "an incomplete merge fails");
    let message = text(&merge.stderr);
    for expected in [
        "6 of 13 points are not finished",
        "shard 1/3",
        "shards/1): points 7, 10",
        "shard 2/3 (not started",
        "points 2, 5, 8, 11",
        "point 7: model.hidden=[6, 6], train.lr=0.1, variants.sigmoid.init=\"he-normal\"",
        "same `actlab submit` command",
    ] {
        assert!(message.contains(expected), "`{expected}` in\n{message}");
    }
    assert!(!sub.join("sweep.json").exists(), "nothing merged");
    assert_eq!(
        run_merge(&sub).status.code(),
        Some(1),
        "the merge job fails too"
    );

    let before = point_files(&sub);
    let printed = succeeded(actlab(&dir, &submit));
    assert!(
        printed.contains("7 finished point(s) are kept; shards with unfinished points: 1-2"),
        "{printed}"
    );
    assert!(read(sub.join("submit.sbatch")).contains("#SBATCH --array=1-2\n"));
    run_task(&sub, 1); // resumes shard 1
    run_task(&sub, 2); // sets the cut-short folder aside and runs shard 2
    assert!(sub.join("shards/2.unstarted-100/config.toml").is_file());
    for (path, bytes, modified) in before {
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{}", path.display());
        assert_eq!(
            std::fs::metadata(&path).unwrap().modified().unwrap(),
            modified,
            "{} not recomputed",
            path.display()
        );
    }
    succeeded(actlab(&dir, &["merge", "sub"]));
    succeeded(actlab(&dir, &words("run sweep.toml --out local")));
    assert_eq!(
        read(sub.join("sweep.csv")),
        read(dir.join("local/sweep.csv"))
    );
    assert!(succeeded(actlab(&dir, &submit)).contains("nothing to submit"));
    // Merged by hand before the merge job ran: the job then succeeds and changes nothing.
    let merged = snapshot(&sub);
    succeeded(run_merge(&sub));
    assert_eq!(snapshot(&sub), merged);
}

#[test]
fn bad_input_is_refused_before_anything_is_written() {
    let dir = workspace("refused");
    std::fs::create_dir_all(dir.join("busy")).unwrap();
    std::fs::write(dir.join("busy/notes.txt"), "keep me").unwrap();
    let no_programs = dir.join("empty-bin");
    std::fs::create_dir_all(&no_programs).unwrap();
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (
            words("submit sweep.toml --tasks 3 --out s"),
            vec!["--slurm"],
        ),
        (
            words("submit sweep.toml --slurm --tasks 0 --out s --dry-run"),
            vec!["--tasks 0", "use 1 to 12 tasks"],
        ),
        (
            words("submit sweep.toml --slurm --tasks 13 --out s --dry-run"),
            vec!["--tasks 13", "12 grid points"],
        ),
        (
            words("submit sigmoid-vs-relu --slurm --tasks 2 --out s --dry-run"),
            vec!["no [sweep] section", "actlab run"],
        ),
        (
            words("submit sweep.toml --slurm --tasks 3 --out s --dry-run --set train.lr=-1"),
            vec!["train.lr", "positive"],
        ),
        (
            words("submit sweep.toml --slurm --tasks 3 --out s --dry-run --sbatch-arg=--array=0-9"),
            vec!["--array", "actlab sets"],
        ),
        (
            words(
                "submit sweep.toml --slurm --tasks 3 --out s --dry-run --sbatch-arg partition=short",
            ),
            vec!["partition=short", "--partition=short"],
        ),
        (
            words("submit sweep.toml --slurm --tasks 3 --out busy --dry-run"),
            vec!["busy", "not an `actlab submit` folder"],
        ),
        (
            vec![
                "submit",
                "sweep.toml",
                "--slurm",
                "--tasks",
                "3",
                "--out",
                "a b",
                "--dry-run",
            ],
            vec!["a b", "whitespace"],
        ),
        (vec!["merge", "busy"], vec!["--out is required"]),
    ];
    for (args, mentions) in cases {
        let before = snapshot(&dir);
        let out = actlab(&dir, &args);
        let message = text(&out.stderr);
        assert!(!out.status.success(), "{args:?} should fail");
        for m in mentions {
            assert!(
                message.contains(m),
                "{args:?}: `{message}` should mention `{m}`"
            );
        }
        assert_eq!(snapshot(&dir), before, "{args:?} changed files");
    }

    let before = snapshot(&dir);
    let out = actlab_env(
        &dir,
        &words("submit sweep.toml --slurm --tasks 3 --out s"),
        &[("PATH", no_programs.into_os_string())],
    );
    let message = text(&out.stderr);
    assert!(!out.status.success());
    for m in [
        "`sbatch` is not installed",
        "apt-get install slurm-client",
        "--dry-run",
    ] {
        assert!(message.contains(m), "`{message}` should mention `{m}`");
    }
    assert_eq!(snapshot(&dir), before);

    // A submission refuses another task count, and a merge names every point when none ran.
    succeeded(actlab(
        &dir,
        &words("submit sweep.toml --slurm --tasks 3 --out s --dry-run"),
    ));
    let before = snapshot(&dir);
    let out = actlab(
        &dir,
        &words("submit sweep.toml --slurm --tasks 4 --out s --dry-run"),
    );
    assert!(!out.status.success() && text(&out.stderr).contains("resubmit with --tasks 3"));
    let out = actlab(&dir, &["merge", "s"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("13 of 13 points are not finished"));
    assert_eq!(snapshot(&dir), before);
}

/// Stand-ins for sbatch, squeue and scancel that log their arguments; sbatch answers job ids
/// 40, 41, ...; squeue prints the file `queue`.
fn fake_slurm(dir: &Path) -> Vec<(&'static str, OsString)> {
    let bin = dir.join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let scripts = [
        (
            "sbatch",
            "echo \"sbatch $*\" >> \"$FAKE/log\"\nn=$(cat \"$FAKE/next\" 2>/dev/null || echo 40)\necho $((n + 1)) > \"$FAKE/next\"\necho \"$n\"\n",
        ),
        (
            "squeue",
            "echo \"squeue $*\" >> \"$FAKE/log\"\ncat \"$FAKE/queue\" 2>/dev/null || true\n",
        ),
        ("scancel", "echo \"scancel $*\" >> \"$FAKE/log\"\n"),
    ];
    for (name, body) in scripts {
        let path = bin.join(name);
        std::fs::write(&path, format!("#!/bin/bash\n{body}")).unwrap();
        Command::new("chmod").arg("+x").arg(&path).status().unwrap();
    }
    let path = std::env::join_paths(
        std::iter::once(bin).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    vec![("PATH", path), ("FAKE", dir.as_os_str().to_owned())]
}

#[test]
fn submit_calls_sbatch_for_the_array_and_the_merge_and_resubmits_safely() {
    let dir = workspace("sbatch");
    let env = fake_slurm(&dir);
    let submit = words("submit sweep.toml --slurm --tasks 3 --out sub");
    let printed = succeeded(actlab_env(&dir, &submit, &env));
    let sub = dir.join("sub");
    let sub_text = sub.display().to_string();
    for expected in [
        "array job 40: tasks 0-2".to_string(),
        "merge job 41: after array job 40 succeeds".to_string(),
        "squeue --jobs=40,41".to_string(),
        "sacct --jobs=40,41".to_string(),
        format!("actlab merge {sub_text}"),
    ] {
        assert!(printed.contains(&expected), "`{expected}` in\n{printed}");
    }
    assert_eq!(
        read(dir.join("log")),
        format!(
            "sbatch --parsable {sub_text}/submit.sbatch\nsbatch --parsable --dependency=afterok:40 {sub_text}/merge.sbatch\n"
        )
    );

    // Task 1 still running: refused, nothing submitted.
    std::fs::write(
        dir.join("queue"),
        "40_1|RUNNING|None\n41|PENDING|Dependency\n",
    )
    .unwrap();
    let log_before = read(dir.join("log"));
    let refused = actlab_env(&dir, &submit, &env);
    let message = text(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        message.contains("still in the queue (40_1 RUNNING)"),
        "{message}"
    );
    assert_eq!(
        read(dir.join("log")),
        log_before + "squeue --noheader --array --format=%i|%T|%r --jobs=40,41\n"
    );

    // Tasks 0 and 2 finished, task 1 was cancelled before any point: its merge job is stale.
    run_task(&sub, 0);
    run_task(&sub, 2);
    std::fs::write(dir.join("queue"), "41|PENDING|DependencyNeverSatisfied\n").unwrap();
    std::fs::write(dir.join("log"), "").unwrap();
    let printed = succeeded(actlab_env(&dir, &submit, &env));
    assert!(printed.contains("cancelled merge job 41"), "{printed}");
    assert!(printed.contains("array job 42: tasks 1 "), "{printed}");
    assert_eq!(
        read(dir.join("log")),
        format!(
            "squeue --noheader --array --format=%i|%T|%r --jobs=40,41\nscancel 41\nsbatch --parsable {sub_text}/submit.sbatch\nsbatch --parsable --dependency=afterok:42 {sub_text}/merge.sbatch\n"
        )
    );
    assert!(read(sub.join("submit.sbatch")).contains("#SBATCH --array=1\n"));
    let record: serde_json::Value =
        serde_json::from_str(&read(sub.join("submission.json"))).unwrap();
    let attempts = record["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[1]["shards"], serde_json::json!([1]));
    assert_eq!(attempts[1]["cancelled"], serde_json::json!(["41"]));
    assert_eq!(attempts[1]["array_job"], "42");
    assert_eq!(attempts[1]["merge_job"], "43");
}
