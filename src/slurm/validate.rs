//! Checks on a submission before anything is written or submitted: the task count, every grid
//! point, the pass-through sbatch options, paths a script can hold, and whether an existing
//! folder is a submission of the same experiment.

use std::path::Path;

use super::{SlurmError, SweepExperiment};

/// Options `actlab submit` writes itself; passing them through would break the job layout.
const RESERVED_OPTIONS: [(&str, &str); 10] = [
    ("--array", "the array is one task per shard, set by --tasks"),
    ("-a", "the array is one task per shard, set by --tasks"),
    (
        "--dependency",
        "the merge job's dependency is set by actlab",
    ),
    ("-d", "the merge job's dependency is set by actlab"),
    ("--output", "logs go to the submission folder's logs/"),
    ("-o", "logs go to the submission folder's logs/"),
    ("--error", "logs go to the submission folder's logs/"),
    ("-e", "logs go to the submission folder's logs/"),
    ("--wrap", "the job scripts are written by actlab"),
    ("--parsable", "actlab reads the job ids itself"),
];

/// `tasks` must give every task at least one point.
pub fn check_tasks(tasks: usize, points: usize) -> Result<(), SlurmError> {
    if tasks == 0 || tasks > points {
        return Err(SlurmError::TaskCount { tasks, points });
    }
    Ok(())
}

/// An `--sbatch-arg` must be one sbatch option on one line, and not one actlab sets.
pub fn check_sbatch_arg(arg: &str) -> Result<(), SlurmError> {
    let refuse = |reason: &str| SlurmError::SbatchArg {
        arg: arg.into(),
        reason: reason.into(),
    };
    if !arg.starts_with('-') {
        return Err(refuse(
            "expected one sbatch option such as --partition=short, --time=02:00:00, --cpus-per-task=4, --mem=8G or --account=myproject",
        ));
    }
    if arg.contains(['\n', '\r']) {
        return Err(refuse("must be on one line"));
    }
    // `--name=value`, `--name value`, or a short option `-x` with its value attached or not.
    let name = if arg.starts_with("--") {
        arg.split(['=', ' ', '\t']).next().unwrap_or(arg)
    } else {
        arg.get(..2).unwrap_or(arg)
    };
    if let Some((_, why)) = RESERVED_OPTIONS.iter().find(|(o, _)| *o == name) {
        return Err(refuse(&format!("actlab sets `{name}` itself: {why}")));
    }
    Ok(())
}

/// A path written into a job script must survive `#SBATCH` parsing and `%` patterns as is.
pub fn check_script_path(what: &'static str, path: &Path) -> Result<(), SlurmError> {
    let text = path.to_string_lossy();
    match text
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || "%\"'$`\\".contains(*c))
    {
        Some(bad) => Err(SlurmError::UnsafePath {
            what,
            path: path.into(),
            bad,
        }),
        None => Ok(()),
    }
}

/// The dotted keys whose values differ between two experiments, e.g. `train.lr, sweep`.
pub fn differing_keys(a: &SweepExperiment, b: &SweepExperiment) -> Vec<String> {
    let mut out = Vec::new();
    differing(&a.table(), &b.table(), "", &mut out);
    out
}

fn differing(a: &toml::Table, b: &toml::Table, prefix: &str, out: &mut Vec<String>) {
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let path = format!("{prefix}{key}");
        match (a.get(key), b.get(key)) {
            (Some(toml::Value::Table(x)), Some(toml::Value::Table(y))) => {
                differing(x, y, &format!("{path}."), out)
            }
            (x, y) if x != y => out.push(path),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sbatch_args_pass_through_unless_actlab_sets_them() {
        for ok in [
            "--partition=short",
            "--time=02:00:00",
            "--cpus-per-task=4",
            "--mem=8G",
            "--account=proj",
            "-p short",
            "--qos normal",
        ] {
            assert!(check_sbatch_arg(ok).is_ok(), "{ok}");
        }
        for bad in [
            "partition=short",
            "--array=0-3",
            "-a 1",
            "--dependency=afterok:1",
            "--output=x",
            "-o x",
            "--parsable",
            "--time=1\n#SBATCH --x",
        ] {
            assert!(check_sbatch_arg(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn script_paths_refuse_what_a_script_would_misread() {
        assert!(check_script_path("folder", Path::new("/scratch/u/run-1_a.b")).is_ok());
        for bad in ["/a b", "/a%j", "/a'b", "/a$b", "/a\\b"] {
            assert!(
                check_script_path("folder", Path::new(bad)).is_err(),
                "{bad}"
            );
        }
    }
}
