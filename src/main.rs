//! The `actlab` command line: run experiments, list them, rebuild a run's report.

use std::{path::PathBuf, process::ExitCode};

use actlab::{
    backend::BackendChoice,
    config::{Override, find_experiment, list_experiments},
    launch::{Launch, launch},
    lm::{self, sample::Sampling},
    report,
    run::{RunOptions, eval_checkpoint, resume_run},
    slurm::{SubmitRequest, SweepExperiment, is_submission_folder, merge_submission, submit},
    store::{Shard, is_sweep_folder, language::is_language_sweep},
    sweep::{merge_sweeps, resume_sweep},
    verify,
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
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("ACTLAB_COMMIT"), ")"),
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
            backend,
        } => {
            let file = find_experiment(&experiment)?;
            if let Some(n) = seeds {
                overrides.push(format!("train.seeds={n}"));
            }
            let dir = launch(Launch {
                file: &file,
                overrides: &overrides,
                shard,
                backend,
                options: RunOptions {
                    out,
                    artifacts,
                    show_progress: true,
                    threads,
                    ..Default::default()
                },
            })
            .map_err(|e| {
                // Errors about the experiment itself already name it.
                let origin = file.origin.display().to_string();
                let text = e.to_string();
                if text.starts_with(&format!("{origin}:"))
                    || text.starts_with(&format!("{origin} ("))
                {
                    anyhow::Error::new(e)
                } else {
                    anyhow::Error::new(e).context(format!("running {origin}"))
                }
            })?;
            println!("{}", dir.display());
            eprintln!("report: {}", dir.join("report.md").display());
        }
        Command::Resume { run_dir, threads } if is_language_sweep(&run_dir) => {
            let options = RunOptions {
                show_progress: true,
                threads,
                ..Default::default()
            };
            let pending = lm::sweep::resume_sweep(&run_dir, &options)?;
            eprintln!("ran {pending} remaining point(s)");
            println!("{}", run_dir.join("report.md").display());
        }
        Command::Resume { run_dir, threads } if lm::is_language_path(&run_dir) => {
            let options = RunOptions {
                show_progress: true,
                threads,
                ..Default::default()
            };
            let pending = lm::resume(&run_dir, &options)?;
            eprintln!("resumed {pending} unfinished job(s) from their last checkpoints");
            println!("{}", run_dir.join("report.md").display());
        }
        Command::Resume { run_dir, threads } => {
            let options = RunOptions {
                show_progress: true,
                threads,
                ..Default::default()
            };
            if is_sweep_folder(&run_dir) {
                let pending = resume_sweep(&run_dir, &options)?;
                eprintln!("ran {pending} remaining point(s)");
            } else {
                let epoch = resume_run(&run_dir, &options)?;
                eprintln!("resumed from the checkpoint at epoch {epoch}");
            }
            println!("{}", run_dir.join("report.md").display());
        }
        Command::Eval {
            checkpoint,
            out,
            artifacts,
        } if lm::is_language_path(&checkpoint) => {
            let dir = lm::eval(&checkpoint, out.as_deref(), &artifacts)?;
            println!("{}", dir.display());
            eprintln!("report: {}", dir.join("report.md").display());
        }
        Command::Eval {
            checkpoint,
            out,
            artifacts,
        } => {
            let dir = eval_checkpoint(&checkpoint, out.as_deref(), &artifacts)?;
            println!("{}", dir.display());
            eprintln!("report: {}", dir.join("report.md").display());
        }
        Command::Merge {
            shards,
            out: Some(out),
        } if shards.first().is_some_and(|s| is_language_sweep(s)) => {
            let dir = lm::sweep::merge(&shards, &out)?;
            println!("{}", dir.display());
        }
        Command::Merge { shards, out } => {
            let dir = match (out, shards.as_slice()) {
                (Some(out), _) => merge_sweeps(&shards, &out)?,
                (None, [folder]) if is_submission_folder(folder) => merge_submission(folder)?,
                (None, _) => anyhow::bail!(
                    "--out is required: the folder to merge into (absent or empty); only the folder of an `actlab submit` merges into itself"
                ),
            };
            println!("{}", dir.join("report.md").display());
        }
        Command::Submit {
            experiment,
            slurm,
            tasks,
            out,
            overrides,
            sbatch_args,
            dry_run,
        } => {
            if !slurm {
                anyhow::bail!(
                    "name the scheduler to submit to: --slurm (SLURM is the one supported); to run here, use `actlab run`"
                );
            }
            let file = find_experiment(&experiment)?;
            let parsed: Vec<Override> = overrides
                .iter()
                .map(|o| o.parse())
                .collect::<Result<_, _>>()?;
            let experiment = if lm::is_language_model(&file.text) {
                let origin = file.origin.display().to_string();
                let (plan, _) = lm::prepare(lm::parse(&file.text, &origin, &parsed)?, &origin)?;
                SweepExperiment::Language(plan.experiment)
            } else {
                SweepExperiment::Network(file.load(&parsed)?.check()?.experiment)
            };
            let actlab = std::env::current_exe().context("locating the actlab binary")?;
            let report = submit(&SubmitRequest {
                experiment,
                tasks,
                out,
                sbatch_args,
                dry_run,
                actlab,
            })?;
            print!("{report}");
        }
        Command::Theory(args) => theory(args)?,
        Command::Data {
            source,
            overrides,
            out,
        } => {
            let parsed: Vec<Override> = overrides
                .iter()
                .map(|o| o.parse())
                .collect::<Result<_, _>>()?;
            let plan = match find_experiment(&source) {
                Ok(file) => file.load(&parsed)?.check()?,
                Err(not_found) => {
                    let kind: actlab::data::DataKind =
                        source.clone().try_into().map_err(|e: String| {
                            anyhow::anyhow!("{not_found}; nor is it a data set: {e}")
                        })?;
                    actlab::config::data_only(kind, &parsed)?.check()?
                }
            };
            let dir = actlab::run::export_data(&plan, &out)?;
            println!("{}", dir.display());
        }
        Command::List => {
            for (name, question) in list_experiments() {
                println!("{name:<24} {question}");
            }
        }
        Command::Sample {
            checkpoint,
            prompt,
            tokens,
            temperature,
            top_k,
            seed,
            variant,
        } => {
            if !(temperature.is_finite() && temperature > 0.0) {
                anyhow::bail!("--temperature {temperature}: must be a positive number");
            }
            if top_k == 0 {
                anyhow::bail!("--top-k 0: must be at least 1");
            }
            let sampling = Sampling {
                prompt,
                tokens,
                temperature,
                top_k,
                seed,
            };
            println!(
                "{}",
                lm::sample(&checkpoint, variant.as_deref(), &sampling)?
            );
        }
        Command::Tensorboard { run_dir } => {
            let runs = report::write_tensorboard(&run_dir)?;
            println!("{}", run_dir.join("tensorboard").display());
            eprintln!(
                "{runs} TensorBoard runs; open them with `tensorboard --logdir {}`",
                run_dir.display()
            );
        }
        Command::Verify {
            quick: _,
            full,
            only,
            list,
            out,
            artifacts,
            threads,
        } => {
            if list {
                let claims = verify::select(verify::registry()?, &only)?;
                for c in &claims {
                    let recipe = |r: Option<&verify::Recipe>| {
                        r.map_or("none".to_string(), |r| format!("{:.1} min", r.minutes))
                    };
                    println!(
                        "{:<28} quick {:<9} full {:<9} {}",
                        c.name,
                        recipe(c.quick.as_ref()),
                        recipe(Some(&c.full)),
                        c.claim
                    );
                }
                println!(
                    "expected: --quick about {:.0} min, --full about {:.0} min on 2 cores",
                    verify::expected_minutes(&claims, false),
                    verify::expected_minutes(&claims, true)
                );
                return Ok(());
            }
            let (dir, record) = verify::verify(&verify::VerifyOptions {
                full,
                only,
                out,
                artifacts,
                threads,
            })?;
            println!("{}", report::verify_table(&record).join("\n"));
            eprintln!("report: {}", dir.join("verify.md").display());
            let regressions = record.regressions();
            anyhow::ensure!(
                regressions.is_empty(),
                "{} claim(s) held at the last release and differ now: {}",
                regressions.len(),
                regressions
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        Command::Compare {
            inputs,
            out,
            artifacts,
        } => {
            let dir = report::compare::compare(&inputs, out.as_deref(), &artifacts)?;
            println!("{}", dir.join("report.md").display());
        }
        Command::Analyze { run_dir } => {
            if report::compare::is_compare_folder(&run_dir) {
                report::compare::rebuild_compare(&run_dir)?;
            } else if is_language_sweep(&run_dir) {
                report::rebuild_language_sweep(&run_dir)?;
            } else if actlab::store::language::is_language_run(&run_dir) {
                report::language::rebuild(&run_dir)?;
            } else if is_sweep_folder(&run_dir) {
                report::rebuild_sweep(&run_dir)?;
            } else {
                report::rebuild(&run_dir)?;
            }
            println!("{}", run_dir.join("report.md").display());
        }
    }
    Ok(())
}

/// `actlab theory`'s arguments.
#[derive(clap::Args)]
struct TheoryArgs {
    /// The activation (sigmoid, tanh, relu, ...).
    #[arg(long)]
    activation: String,
    /// sigma_w^2: weights drawn with variance weight_var / fan_in.
    #[arg(long, default_value_t = 1.0)]
    weight_var: f64,
    /// sigma_b^2: biases drawn with this variance.
    #[arg(long, default_value_t = 0.0)]
    bias_var: f64,
    /// Layers to predict q^l and gradient growth for.
    #[arg(long, default_value_t = 10)]
    depth: usize,
    /// Gain g of a(x) = g * (phi(x) + s).
    #[arg(long, default_value_t = 1.0)]
    gain: f64,
    /// Shift s of a(x) = g * (phi(x) + s).
    #[arg(long, default_value_t = 0.0)]
    shift: f64,
    /// Mean square of the input values (1 for standardized data).
    #[arg(long, default_value_t = 1.0)]
    input_second_moment: f64,
    /// Print one JSON object (keys q_star, c_star, chi1, xi_q, xi_c, q, ...).
    #[arg(long)]
    json: bool,
    /// Also print the critical weight_var (chi_1 = 1) at this bias_var.
    #[arg(long)]
    critical: bool,
    /// Draw the order-to-chaos phase diagram of the common activations into this PNG file.
    #[arg(long, value_name = "FILE")]
    phase_diagram: Option<PathBuf>,
}

fn theory(a: TheoryArgs) -> anyhow::Result<()> {
    let request = actlab::report::TheoryRequest {
        activation: a.activation,
        weight_var: a.weight_var,
        bias_var: a.bias_var,
        depth: a.depth,
        gain: a.gain,
        shift: a.shift,
        input_second_moment: a.input_second_moment,
        critical: a.critical,
    };
    print!("{}", request.render(a.json)?);
    if let Some(path) = a.phase_diagram {
        actlab::report::write_phase_diagram(&path)?;
        eprintln!("phase diagram: {}", path.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let checked = actlab::fused::InstructionSet::in_use()
        .map_err(anyhow::Error::msg)
        .and_then(|_| run(cli));
    match checked {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
