//! The `actlab` command line: run experiments, list them, rebuild a run's report.

use std::{io::IsTerminal, path::PathBuf, process::ExitCode};

use actlab::{
    config::{Override, find_experiment, list_experiments, load_experiment},
    report,
    run::{RunOptions, run_plan},
    sweep::{Shard, is_sweep_folder, merge_sweeps, rebuild_sweep, resume_sweep, run_sweep},
};
use anyhow::Context;
use clap::{Parser, Subcommand};

/// Training allocates and frees many small and mid-sized tensors per step; mimalloc keeps
/// them out of the system allocator's mmap/munmap path.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "actlab",
    version,
    about = "A research harness for how activation functions shape what a network learns"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
        /// For a sweep: run only the points with `id % n == i` (e.g. `--shard 0/3`).
        #[arg(long, value_name = "I/N")]
        shard: Option<Shard>,
    },
    /// Finish a stopped sweep: run only its points not yet written.
    Resume {
        run_dir: PathBuf,
        /// Worker threads (default: all cores).
        #[arg(long, default_value_t = 0)]
        threads: usize,
    },
    /// Merge the folders of a sweep's shards into one result.
    Merge {
        /// The shard folders.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// The merged folder; must be absent or empty.
        #[arg(long)]
        out: PathBuf,
    },
    /// List the experiments with their questions.
    List,
    /// Rebuild a run folder's figures and report from its files, without training.
    Analyze { run_dir: PathBuf },
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run {
            experiment,
            mut overrides,
            out,
            artifacts,
            seeds,
            threads,
            shard,
        } => {
            let path = find_experiment(&experiment)?;
            if let Some(n) = seeds {
                overrides.push(format!("train.seeds={n}"));
            }
            let parsed: Vec<Override> = overrides
                .iter()
                .map(|o| o.parse())
                .collect::<Result<_, _>>()?;
            let plan = load_experiment(&path, &parsed)?.check()?;
            if shard.is_some() && plan.experiment.sweep.is_none() {
                anyhow::bail!(
                    "--shard applies to sweeps; {} has no [sweep] section",
                    path.display()
                );
            }
            let options = RunOptions {
                out,
                overrides,
                artifacts,
                show_progress: std::io::stderr().is_terminal(),
                threads,
            };
            let dir = if plan.experiment.sweep.is_some() {
                run_sweep(&plan, shard.unwrap_or(Shard::WHOLE), &options)?
            } else {
                run_plan(&plan, &options).with_context(|| format!("running {}", path.display()))?
            };
            println!("{}", dir.display());
            eprintln!("report: {}", dir.join("report.md").display());
        }
        Command::Resume { run_dir, threads } => {
            if !is_sweep_folder(&run_dir) {
                anyhow::bail!(
                    "{} is not a sweep folder (no sweep.json); only sweeps can be resumed",
                    run_dir.display()
                );
            }
            let options = RunOptions {
                show_progress: std::io::stderr().is_terminal(),
                threads,
                ..Default::default()
            };
            let pending = resume_sweep(&run_dir, &options)?;
            eprintln!("ran {pending} remaining point(s)");
            println!("{}", run_dir.join("report.md").display());
        }
        Command::Merge { shards, out } => {
            let dir = merge_sweeps(&shards, &out)?;
            println!("{}", dir.join("report.md").display());
        }
        Command::List => {
            for (name, question) in list_experiments() {
                println!("{name:<24} {question}");
            }
        }
        Command::Analyze { run_dir } => {
            if is_sweep_folder(&run_dir) {
                rebuild_sweep(&run_dir)?;
            } else {
                report::rebuild(&run_dir)?;
            }
            println!("{}", run_dir.join("report.md").display());
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
