//! The `actlab` commands and their arguments, as clap parses them.

use std::path::PathBuf;

use actlab::{backend::BackendChoice, store::Shard};
use clap::{Parser, Subcommand};

use crate::theory::TheoryArgs;

#[derive(Parser)]
#[command(
    name = "actlab",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("ACTLAB_COMMIT"), ")"),
    about = "A research harness for how activation functions shape what a network learns"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run an experiment into a fresh run folder.
    Run {
        /// An experiment name from `experiments/` or a path to a TOML file.
        experiment: String,
        /// Override any value of the file, e.g. `--set train.lr=0.1 --set 'model.hidden=[16,16]'`.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        overrides: Vec<String>,
        /// Write here instead of `artifacts/<experiment>/<run-id>`; must be absent or empty.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Root folder of the default run folders.
        #[arg(long, default_value = "artifacts")]
        artifacts: PathBuf,
        /// Train every variant from N seeds (shorthand for `--set train.seeds=N`).
        #[arg(long)]
        seeds: Option<usize>,
        /// Worker threads (default: all cores).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Backend of a single run: ndarray (float64, the default), ndarray-f32, flex or wgpu,
        /// as built in with cargo features. Sweeps run on the default.
        #[arg(long)]
        backend: Option<BackendChoice>,
        /// For a sweep: run only the points with `id % n == i` (e.g. `--shard 0/3`).
        #[arg(long, value_name = "I/N")]
        shard: Option<Shard>,
    },
    /// Evaluate a saved checkpoint: metrics, decision boundary, signal trace and per-layer
    /// statistics, written with their figures to a new folder.
    Eval {
        /// A checkpoint folder (one program), an `epoch-*` folder or a run folder (every
        /// program of its latest checkpoint).
        checkpoint: PathBuf,
        /// Write here instead of `artifacts/<experiment>-eval/<run-id>`; must be absent or empty.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Root folder of the default output folders.
        #[arg(long, default_value = "artifacts")]
        artifacts: PathBuf,
    },
    /// Continue a stopped run from its last checkpoint, or finish a stopped sweep.
    Resume {
        /// The run or sweep folder to continue (as `run` printed it).
        run_dir: PathBuf,
        /// Worker threads (default: all cores).
        #[arg(long, default_value_t = 0)]
        threads: usize,
    },
    /// Merge the folders of a sweep's shards into one result, or the shards of an
    /// `actlab submit` folder into that folder. Names the unfinished points if any.
    Merge {
        /// The shard folders, or one `actlab submit` folder.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// The merged folder; must be absent or empty. Not given for a submit folder.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Run a sweep on a SLURM cluster: one job array (task i runs shard i/N into
    /// DIR/shards/i), then a merge job into DIR. On an existing DIR of the same experiment,
    /// resubmit only the shards with unfinished points.
    Submit {
        /// A sweep experiment: a name from `experiments/` or a path to a TOML file.
        experiment: String,
        /// Submit to SLURM (`sbatch`), the scheduler supported.
        #[arg(long)]
        slurm: bool,
        /// Array tasks: the sweep is split into this many shards.
        #[arg(long, value_name = "N")]
        tasks: usize,
        /// The submission folder: absent or empty, or an earlier submission to resume.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Override any value of the file, e.g. `--set train.lr=0.1`.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        overrides: Vec<String>,
        /// An sbatch option for every job, e.g. `--sbatch-arg=--partition=short` (repeatable).
        #[arg(long = "sbatch-arg", value_name = "ARG", allow_hyphen_values = true)]
        sbatch_args: Vec<String>,
        /// Write the scripts and print them; submit nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Mean-field theory of a deep, infinitely wide random network: fixed points, chi_1, depth
    /// scales and the predicted per-layer lengths and gradient growth.
    Theory(TheoryArgs),
    /// Write the exact train/test split a run would use as CSV, with a data.json describing it.
    Data {
        /// An experiment (name or path), or a data set kind (moons, mnist1d, digits,
        /// fashion-mnist, ...).
        source: String,
        /// Override any value, e.g. `--set data.n_train=1000`.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        overrides: Vec<String>,
        /// The folder to write; must be absent or empty.
        #[arg(long)]
        out: PathBuf,
    },
    /// Generate text from a trained language model (a run folder or a checkpoint folder).
    Sample {
        /// A language-model run folder or one of its checkpoint folders.
        checkpoint: PathBuf,
        /// The text to continue.
        #[arg(long, default_value = "\n")]
        prompt: String,
        /// Tokens to generate.
        #[arg(long, default_value_t = 500)]
        tokens: usize,
        /// Logits are divided by this before sampling.
        #[arg(long, default_value_t = 0.8)]
        temperature: f64,
        /// Sample among the k most likely tokens only.
        #[arg(long, default_value_t = 200)]
        top_k: usize,
        /// The sampling seed: the same seed gives the same text.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// In a run folder, the variant to sample from (default: the first).
        #[arg(long)]
        variant: Option<String>,
    },
    /// List the experiments with their questions.
    List,
    /// Put runs or sweep points side by side: what differs in their configurations, curves and
    /// layer statistics overlaid, and each later one's difference from the first (paired where
    /// seeds and data orders pair). Language-model runs compare with each other. Writes
    /// report.md and figures to a new folder.
    Compare {
        /// Two or more run folders or sweep points (`<sweep>/points/<id>.json`, or a
        /// language-model sweep's `points/<id>/`); the first is the one the others are set
        /// against.
        #[arg(required = true, num_args = 2..)]
        inputs: Vec<PathBuf>,
        /// Write here instead of `artifacts/compare/<run-id>`; must be absent or empty.
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, default_value = "artifacts")]
        artifacts: PathBuf,
    },
    /// Rebuild a run folder's figures and report from its files, without training.
    Analyze {
        /// The run or sweep folder whose report and figures to rebuild.
        run_dir: PathBuf,
    },
    /// Write TensorBoard event files (`tensorboard/`, one run per variant and seed) for a run or
    /// sweep folder, from its files; `tensorboard --logdir <folder>` then opens it. Runs write
    /// them themselves; this serves folders made before, and replaces what is there.
    Tensorboard {
        /// The run or sweep folder.
        run_dir: PathBuf,
    },
    /// Check the published claims actlab reproduces (`experiments/claims/`): run their
    /// experiments, print a table and write verify.md and verify.json. Exits non-zero only
    /// when a claim that held at the last release no longer holds.
    Verify {
        /// Shortened recipes that still decide each claim, at most 10 minutes on 2 cores (the
        /// default).
        #[arg(long, conflicts_with = "full")]
        quick: bool,
        /// Each claim's own recipe; the expected time is printed first.
        #[arg(long)]
        full: bool,
        /// Only these claims (`actlab verify --list` names them).
        #[arg(long, num_args = 1.., value_name = "NAME")]
        only: Vec<String>,
        /// List the claims, their recipes and expected times, and run nothing.
        #[arg(long)]
        list: bool,
        /// Write here instead of `artifacts/verify/<run-id>`; must be absent or empty.
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, default_value = "artifacts")]
        artifacts: PathBuf,
        /// Worker threads (default: all cores).
        #[arg(long, default_value_t = 0)]
        threads: usize,
    },
}
