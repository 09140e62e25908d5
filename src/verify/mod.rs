//! `actlab verify`: runs the experiments behind every published claim in the registry
//! (`experiments/claims/`), measures each claim from the folder its experiment wrote, and
//! records the verdicts in `verify.json` and `verify.md`.
//!
//! Claims that share an experiment and overrides share one run. A claim fails the command
//! only when it held with the same recipe at the last release and differs now.

pub mod claim;
pub mod measure;
pub mod rule;

use std::{
    path::{Path, PathBuf},
    time::Instant,
};

pub use claim::{Claim, ClaimError, Recipe, registry, select};
pub use measure::Measure;
pub use rule::Rule;

use crate::{
    config::find_experiment,
    launch::{Launch, launch},
    run::RunOptions,
    store::{
        self, FolderError, StoreError,
        verify::{ClaimOutcome, Verdict, VerifyRecord},
    },
};

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Claim(#[from] ClaimError),
    #[error(transparent)]
    Folder(#[from] FolderError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How `actlab verify` runs.
pub struct VerifyOptions {
    /// Each claim's own recipe; otherwise the shortened `[quick]` ones.
    pub full: bool,
    /// Claim names; empty: every claim.
    pub only: Vec<String>,
    /// Write here (absent or empty) instead of `artifacts/verify/<run-id>`.
    pub out: Option<PathBuf>,
    pub artifacts: PathBuf,
    pub threads: usize,
}

/// One run that serves one or more claims.
struct Planned<'a> {
    experiment: &'a str,
    overrides: &'a [String],
    minutes: f64,
}

/// The distinct runs the claims need in this mode, in claim order.
fn plan_runs(claims: &[Claim], full: bool) -> Vec<Planned<'_>> {
    let mut runs: Vec<Planned> = Vec::new();
    for c in claims {
        let (Some(experiment), Some(recipe)) = (c.experiment.as_deref(), c.recipe(full)) else {
            continue;
        };
        match runs
            .iter_mut()
            .find(|r| r.experiment == experiment && r.overrides == recipe.overrides.as_slice())
        {
            Some(r) => r.minutes = r.minutes.max(recipe.minutes),
            None => runs.push(Planned {
                experiment,
                overrides: &recipe.overrides,
                minutes: recipe.minutes,
            }),
        }
    }
    runs
}

/// The expected wall clock of a verify run, in minutes on 2 cores.
pub fn expected_minutes(claims: &[Claim], full: bool) -> f64 {
    plan_runs(claims, full).iter().map(|r| r.minutes).sum()
}

/// A run's outcome: its folder (relative to the verify folder) and wall clock, or why it could
/// not run.
type RunOutcome = (Result<String, String>, f64);

/// Runs the selected claims into a fresh folder and writes `verify.json` and `verify.md`
/// there. Progress goes to standard error.
pub fn verify(options: &VerifyOptions) -> Result<(PathBuf, VerifyRecord), VerifyError> {
    let claims = select(registry()?, &options.only)?;
    let dir = store::create_run_folder(options.out.as_deref(), &options.artifacts, "verify")?;
    let mode = if options.full { "full" } else { "quick" };
    let started_at = Instant::now();
    let started = store::run_id_now();
    let runs = plan_runs(&claims, options.full);
    eprintln!(
        "verify --{mode}: {} claims, {} runs, about {:.0} min on 2 cores; writing {}",
        claims.len(),
        runs.len(),
        expected_minutes(&claims, options.full),
        dir.display()
    );
    let mut outcomes: Vec<RunOutcome> = Vec::new();
    for (i, r) in runs.iter().enumerate() {
        let folder = format!("runs/{:02}-{}", i + 1, r.experiment);
        eprintln!(
            "[{}/{}] {}{} (about {:.1} min)",
            i + 1,
            runs.len(),
            r.experiment,
            if r.overrides.is_empty() {
                String::new()
            } else {
                format!(" --set {}", r.overrides.join(" --set "))
            },
            r.minutes
        );
        let clock = Instant::now();
        let result = run_one(r, &dir.join(&folder), options).map(|_| folder);
        if let Err(e) = &result {
            eprintln!("  could not run: {e}");
        }
        outcomes.push((result, clock.elapsed().as_secs_f64()));
    }
    let claims = claims
        .iter()
        .map(|c| judge(c, options.full, &dir, &runs, &outcomes))
        .collect();
    let record = VerifyRecord {
        mode: mode.into(),
        actlab_version: env!("CARGO_PKG_VERSION").into(),
        started,
        wall_seconds: started_at.elapsed().as_secs_f64(),
        claims,
    };
    store::write_json(&dir.join(VerifyRecord::FILE), &record)?;
    store::write_text(&dir.join("verify.md"), &crate::report::verify_page(&record))?;
    Ok((dir, record))
}

fn run_one(r: &Planned, out: &Path, options: &VerifyOptions) -> Result<PathBuf, String> {
    let file = find_experiment(r.experiment).map_err(|e| e.to_string())?;
    launch(Launch {
        file: &file,
        overrides: r.overrides,
        shard: None,
        backend: None,
        options: RunOptions {
            out: Some(out.to_path_buf()),
            artifacts: options.artifacts.clone(),
            show_progress: false,
            threads: options.threads,
            ..Default::default()
        },
    })
    .map_err(|e| e.to_string())
}

/// Measures one claim and decides it.
fn judge(
    c: &Claim,
    full: bool,
    dir: &Path,
    runs: &[Planned],
    outcomes: &[RunOutcome],
) -> ClaimOutcome {
    let recipe = c.recipe(full);
    let mut outcome = ClaimOutcome {
        name: c.name.clone(),
        claim: c.claim.clone(),
        source: c.source.clone(),
        address: c.address.clone(),
        published: c.published,
        published_text: c.published_text.clone(),
        rule: c.rule.describe(),
        experiment: c.experiment.clone(),
        overrides: recipe.map(|r| r.overrides.clone()).unwrap_or_default(),
        folder: None,
        measured: None,
        verdict: Verdict::NotRun {
            reason: String::new(),
        },
        held_at_release: recipe.map(|r| r.held),
        note: recipe.and_then(|r| r.note.clone()),
        seconds: 0.0,
    };
    let Some(recipe) = recipe else {
        outcome.verdict = Verdict::NotRun {
            reason: format!(
                "no quick recipe: `--full` runs it (about {:.0} min)",
                c.full.minutes
            ),
        };
        return outcome;
    };
    let folder = match c.experiment.as_deref() {
        None => None,
        Some(experiment) => {
            let index = runs
                .iter()
                .position(|r| r.experiment == experiment && r.overrides == recipe.overrides)
                .expect("every claim with a recipe has a planned run");
            let (result, seconds) = &outcomes[index];
            outcome.seconds = *seconds;
            match result {
                Ok(folder) => Some(folder.clone()),
                Err(e) => {
                    outcome.verdict = Verdict::NotRun {
                        reason: format!("the run failed: {e}"),
                    };
                    return outcome;
                }
            }
        }
    };
    let clock = Instant::now();
    let measured = c
        .measure
        .measure(folder.as_ref().map(|f| dir.join(f)).as_deref());
    if folder.is_none() {
        outcome.seconds = clock.elapsed().as_secs_f64();
    }
    outcome.folder = folder;
    match measured.and_then(|m| Ok((c.rule.holds(c.published, &m)?, m))) {
        Ok((holds, m)) => {
            outcome.verdict = if holds {
                Verdict::Holds
            } else {
                Verdict::Differs
            };
            outcome.measured = Some(m);
        }
        Err(reason) => {
            outcome.verdict = Verdict::NotRun {
                reason: format!("could not measure: {reason}"),
            }
        }
    }
    outcome
}
