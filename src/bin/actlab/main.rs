//! The `actlab` command line: run experiments, list them, rebuild a run's report. The
//! commands and their arguments are `cli`; this file dispatches them.

use std::process::ExitCode;

use actlab::{
    config::{Override, find_experiment, list_experiments},
    launch::{Launch, launch},
    lm::{self, sample::Sampling},
    report,
    run::{RunOptions, eval_checkpoint, resume_run},
    slurm::{SubmitRequest, SweepExperiment, is_submission_folder, merge_submission, submit},
    store::{is_sweep_folder, language::is_language_sweep},
    sweep::{merge_sweeps, resume_sweep},
    verify,
};
use anyhow::Context;
use clap::Parser;

mod cli;
mod theory;

use cli::{Cli, Command};

/// Training allocates and frees many small and mid-sized tensors per step; mimalloc keeps
/// them out of the system allocator's mmap/munmap path.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        Command::Theory(args) => theory::theory(args)?,
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
