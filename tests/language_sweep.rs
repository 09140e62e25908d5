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
