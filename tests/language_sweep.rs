//! Language-model sweeps: every grid point a language-model run, shards merged equal to the
//! whole sweep, and a merge with points missing names them.

mod common;

use common::{actlab, read, succeeds, temp_dir};

const SWEEP: &str = r#"
name = "tiny-lm-sweep"
question = "Do rotary positions and a larger learning rate change a tiny GPT's loss?"
[data]
kind = "tiny-shakespeare"
[model]
family = "gpt"
n_layer = 1
n_head = 2
n_embd = 16
block_size = 16
activation = "relu"
seed = 3
[train]
iterations = 30
batch_size = 8
lr = 1e-3
eval_interval = 15
eval_iters = 4
[checkpoint]
every = 15
[sample]
tokens = 20
[[variants]]
name = "relu"
[[variants]]
name = "swiglu"
activation = "swiglu"
[sweep.grid]
"model.position" = ["learned", "rotary"]
"train.lr" = [1e-3, 3e-3]
"#;

#[test]
fn shards_merged_equal_the_whole_sweep() {
    let dir = temp_dir("lm-sweep");
    std::fs::write(dir.join("sweep.toml"), SWEEP).unwrap();
    succeeds(&dir, &["run", "sweep.toml", "--out", "whole"]);
    let whole = read(dir.join("whole/sweep.csv"));
    assert_eq!(
        whole.lines().count(),
        1 + 4 * 2,
        "4 points x 2 variants x 1 seed: {whole}"
    );
    assert!(
        read(dir.join("whole/report.md")).contains("model.position=\"rotary\"; train.lr=0.003")
    );
    for i in 0..2 {
        let shard = format!("{i}/2");
        let out = format!("shard{i}");
        succeeds(
            &dir,
            &["run", "sweep.toml", "--shard", &shard, "--out", &out],
        );
    }
    let incomplete = actlab(&dir, &["merge", "shard0", "--out", "partial"]);
    let stderr = String::from_utf8_lossy(&incomplete.stderr);
    assert!(!incomplete.status.success());
    assert!(
        stderr.contains("2 of 4 points are unfinished") && stderr.contains("point 1 ("),
        "{stderr}"
    );
    assert!(
        !dir.join("partial").exists(),
        "a refused merge writes nothing"
    );
    succeeds(&dir, &["merge", "shard0", "shard1", "--out", "merged"]);
    assert_eq!(
        read(dir.join("merged/sweep.csv")),
        whole,
        "merged shards equal the whole sweep"
    );
    let empty = actlab(
        &dir,
        &["run", "sweep.toml", "--shard", "5/9", "--out", "none"],
    );
    assert!(String::from_utf8_lossy(&empty.stderr).contains("holds no point"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `actlab submit --slurm` of a language-model sweep: the task scripts, run with bash as SLURM
/// would, and the merge job give the sweep a local run gives.
#[test]
fn a_language_model_sweep_submits_to_slurm_and_merges_equal_to_a_local_run() {
    use std::process::Command;
    let dir = temp_dir("lm-slurm");
    std::fs::write(dir.join("sweep.toml"), SWEEP).unwrap();
    succeeds(&dir, &["run", "sweep.toml", "--out", "whole"]);
    let submitted = actlab(
        &dir,
        &[
            "submit",
            "sweep.toml",
            "--slurm",
            "--tasks",
            "2",
            "--out",
            "sub",
            "--dry-run",
        ],
    );
    assert!(
        submitted.status.success(),
        "{}",
        String::from_utf8_lossy(&submitted.stderr)
    );
    let printed = String::from_utf8_lossy(&submitted.stdout);
    assert!(printed.contains("#SBATCH --array=0-1"), "{printed}");
    let sub = dir.join("sub");
    let bash = |script: &str, task: Option<usize>| {
        let mut command = Command::new("bash");
        command.arg(sub.join(script));
        if let Some(task) = task {
            command
                .env("SLURM_ARRAY_TASK_ID", task.to_string())
                .env("SLURM_JOB_ID", "100")
                .env("SLURM_CPUS_PER_TASK", "1");
        }
        command.output().unwrap()
    };
    bash("submit.sbatch", Some(0));
    let early = bash("merge.sbatch", None);
    assert!(
        !early.status.success(),
        "a merge before every shard is done fails"
    );
    assert!(
        String::from_utf8_lossy(&early.stderr).contains("shard 1/2"),
        "{}",
        String::from_utf8_lossy(&early.stderr)
    );
    // A task run again (a requeued job) resumes its shard, which has nothing left to do.
    assert!(bash("submit.sbatch", Some(1)).status.success());
    assert!(
        bash("submit.sbatch", Some(1)).status.success(),
        "a finished shard resumes to nothing"
    );
    let merged = bash("merge.sbatch", None);
    assert!(
        merged.status.success(),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    assert_eq!(
        read(sub.join("sweep.csv")),
        read(dir.join("whole/sweep.csv")),
        "the merged submission equals the local sweep"
    );
    assert!(read(sub.join("report.md")).contains("(points/3/report.md)"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The built-in `llm-activations` sweep, shortened: shards merged equal the whole, and its
/// report sets Shazeer's ordering and the published sparsity beside the measured ones.
#[test]
fn llm_activations_shards_merged_equal_the_whole_on_a_shortened_recipe() {
    let dir = temp_dir("lm-activations");
    let shorter = [
        "model.n_layer=1",
        "model.n_embd=16",
        "model.n_head=2",
        "model.block_size=16",
        "train.iterations=10",
        "train.batch_size=4",
        "train.eval_interval=5",
        "train.eval_iters=2",
        "train.warmup_iters=1",
        "train.lr_decay_iters=10",
        "train.seeds=2",
        "checkpoint.every=5",
        "sample.tokens=10",
    ];
    let args = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["run".to_string(), "llm-activations".to_string()];
        for s in shorter {
            args.extend(["--set".to_string(), s.to_string()]);
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let run = |extra: &[&str]| {
        let args = args(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        succeeds(&dir, &args);
    };
    run(&["--out", "whole"]);
    run(&["--shard", "0/2", "--out", "shard0"]);
    run(&["--shard", "1/2", "--out", "shard1"]);
    succeeds(&dir, &["merge", "shard0", "shard1", "--out", "merged"]);
    let whole = read(dir.join("whole/sweep.csv"));
    assert_eq!(whole.lines().count(), 1 + 11 * 2, "11 points x 2 seeds");
    assert_eq!(read(dir.join("merged/sweep.csv")), whole);
    let report = read(dir.join("merged/report.md"));
    for expected in [
        "## Paired differences against relu",
        "## Beside the published ordering",
        "| swiglu | 1.944 | -0.053 |",
        "**Gated against plain.**",
        "Kendall's tau",
        "## Sparsity of the feed-forward activation",
        "| Li et al. 2023, The Lazy Neuron Phenomenon (arXiv:2210.06313) | T5-Base | relu | 3.0% |",
    ] {
        assert!(
            report.contains(expected),
            "`{expected}` in the report:\n{report}"
        );
    }
    for figure in ["loss.png", "layer_sparsity.png", "layer_near_zero.png"] {
        assert!(dir.join("merged").join(figure).is_file(), "{figure}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
