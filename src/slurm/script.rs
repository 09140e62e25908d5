//! The text of the two job scripts: `submit.sbatch`, one job array whose task i runs (or
//! resumes) shard i, and `merge.sbatch`, the merge job submitted after it with
//! `--dependency=afterok:<array>`.
//!
//! Two scripts, because the merge job's dependency names the array's job id, which exists only
//! once the array is submitted: it goes on `sbatch`'s command line, and each script stays a
//! plain file that can be read, and submitted by hand, as is.

use std::path::Path;

use super::SubmissionDir;

/// What both scripts are made from.
#[derive(Clone, Debug)]
pub struct ScriptInputs<'a> {
    /// The actlab binary every job calls, by absolute path.
    pub actlab: &'a Path,
    pub dir: &'a SubmissionDir,
    pub experiment: &'a str,
    /// Shards the sweep is split into: task i runs shard i/tasks.
    pub tasks: usize,
    /// Grid points of the sweep.
    pub points: usize,
    /// The shards this submission runs (all of them at first, the unfinished ones after).
    pub shards: &'a [usize],
    /// `--sbatch-arg` options, one `#SBATCH` line each.
    pub sbatch_args: &'a [String],
}

/// `0-2,5,7-8`: SLURM's `--array` list for `shards` (ascending).
pub fn array_spec(shards: &[usize]) -> String {
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for &s in shards {
        match ranges.last_mut() {
            Some((_, end)) if *end + 1 == s => *end = s,
            _ => ranges.push((s, s)),
        }
    }
    ranges
        .iter()
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// A job name SLURM shows in `squeue`: the experiment's name in safe characters.
pub fn job_name(experiment: &str) -> String {
    let safe: String = experiment
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("actlab-{safe}")
}

/// The user's `--sbatch` arguments, one `#SBATCH` line each.
fn sbatch_lines<'a>(inputs: &ScriptInputs<'a>) -> impl Iterator<Item = String> + 'a {
    inputs
        .sbatch_args
        .iter()
        .map(|arg| format!("#SBATCH {arg}"))
}

/// `submit.sbatch`.
pub fn task_script(inputs: &ScriptInputs) -> String {
    let (dir, tasks) = (inputs.dir.root.display(), inputs.tasks);
    let mut lines = vec![
        "#!/bin/bash".to_string(),
        format!(
            "# actlab sweep `{}` ({} grid points) as a SLURM job array, written by `actlab submit`.",
            inputs.experiment, inputs.points
        ),
        format!(
            "# Task i runs shard i/{tasks} of {} into shards/i, or resumes that shard where an",
            inputs.dir.experiment().display()
        ),
        "# earlier task stopped; finished points are never run again. merge.sbatch then merges."
            .into(),
        format!("#SBATCH --job-name={}", job_name(inputs.experiment)),
        format!("#SBATCH --array={}", array_spec(inputs.shards)),
        format!(
            "#SBATCH --output={}/shard-%a-job-%A.out",
            inputs.dir.logs().display()
        ),
    ];
    lines.extend(sbatch_lines(inputs));
    lines.push(format!(
        r#"set -euo pipefail
actlab='{actlab}'
dir='{dir}'
task="$SLURM_ARRAY_TASK_ID"
shard="$dir/shards/$task"
# Train on the CPUs SLURM gave this task (--cpus-per-task), else those of its allocation.
threads="${{SLURM_CPUS_PER_TASK:-${{SLURM_CPUS_ON_NODE:-1}}}}"
if [ -f "$shard/sweep.json" ] || [ -f "$shard/lm-sweep.json" ]; then
    exec "$actlab" resume "$shard" --threads "$threads"
fi
if [ -e "$shard" ] && [ -n "$(ls -A "$shard")" ]; then
    # Stopped before its sweep.json (lm-sweep.json) was written, so before any point
    # finished: set aside.
    mv "$shard" "$shard.unstarted-$SLURM_JOB_ID"
fi
exec "$actlab" run "$dir/experiment.toml" --shard "$task/{tasks}" --out "$shard" --threads "$threads"
"#,
        actlab = inputs.actlab.display(),
    ));
    lines.join("\n")
}

/// `merge.sbatch`.
pub fn merge_script(inputs: &ScriptInputs) -> String {
    let dir = inputs.dir.root.display();
    let mut lines = vec![
        "#!/bin/bash".to_string(),
        format!(
            "# Merges the {} shards of actlab sweep `{}` into {dir}: sweep.csv, report.md, heatmap.png.",
            inputs.tasks, inputs.experiment
        ),
        "# Submitted with --dependency=afterok:<array job>; SLURM cancels it if a task fails."
            .into(),
        "# Exits non-zero, naming the unfinished points and their shards, if any is missing."
            .into(),
        format!("#SBATCH --job-name={}-merge", job_name(inputs.experiment)),
        format!(
            "#SBATCH --output={}/merge-job-%j.out",
            inputs.dir.logs().display()
        ),
        "#SBATCH --kill-on-invalid-dep=yes".into(),
    ];
    lines.extend(sbatch_lines(inputs));
    lines.push(format!(
        "set -euo pipefail\nexec '{}' merge '{dir}'\n",
        inputs.actlab.display()
    ));
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs<'a>(
        dir: &'a SubmissionDir,
        shards: &'a [usize],
        args: &'a [String],
    ) -> ScriptInputs<'a> {
        ScriptInputs {
            actlab: Path::new("/opt/actlab/bin/actlab"),
            dir,
            experiment: "test sweep",
            tasks: 3,
            points: 12,
            shards,
            sbatch_args: args,
        }
    }

    #[test]
    fn array_lists_are_compact_ranges() {
        assert_eq!(array_spec(&[0, 1, 2]), "0-2");
        assert_eq!(array_spec(&[1]), "1");
        assert_eq!(array_spec(&[0, 2, 3, 4, 7, 9, 10]), "0,2-4,7,9-10");
    }

    #[test]
    fn the_task_script_runs_or_resumes_its_shard_with_the_resolved_experiment() {
        let dir = SubmissionDir::new("/scratch/me/sweep");
        let args = vec![
            "--partition=short".to_string(),
            "--time=01:00:00".to_string(),
        ];
        let text = task_script(&inputs(&dir, &[1, 2], &args));
        assert!(text.starts_with("#!/bin/bash\n"));
        for line in [
            "#SBATCH --job-name=actlab-test-sweep",
            "#SBATCH --array=1-2",
            "#SBATCH --output=/scratch/me/sweep/logs/shard-%a-job-%A.out",
            "#SBATCH --partition=short",
            "#SBATCH --time=01:00:00",
            "actlab='/opt/actlab/bin/actlab'",
            "dir='/scratch/me/sweep'",
            r#"threads="${SLURM_CPUS_PER_TASK:-${SLURM_CPUS_ON_NODE:-1}}""#,
            r#"    exec "$actlab" resume "$shard" --threads "$threads""#,
            r#"exec "$actlab" run "$dir/experiment.toml" --shard "$task/3" --out "$shard" --threads "$threads""#,
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing `{line}` in\n{text}"
            );
        }
        // Every #SBATCH line comes before the first command, or sbatch ignores it.
        let lines: Vec<&str> = text.lines().collect();
        let last_directive = lines
            .iter()
            .rposition(|l| l.starts_with("#SBATCH"))
            .unwrap();
        let first_command = lines
            .iter()
            .position(|l| !l.starts_with('#') && !l.is_empty())
            .unwrap();
        assert!(last_directive < first_command);
    }

    #[test]
    fn the_merge_script_merges_the_folder_and_dies_with_a_failed_array() {
        let dir = SubmissionDir::new("/scratch/me/sweep");
        let text = merge_script(&inputs(&dir, &[0, 1, 2], &[]));
        for line in [
            "#SBATCH --job-name=actlab-test-sweep-merge",
            "#SBATCH --output=/scratch/me/sweep/logs/merge-job-%j.out",
            "#SBATCH --kill-on-invalid-dep=yes",
            "exec '/opt/actlab/bin/actlab' merge '/scratch/me/sweep'",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing `{line}` in\n{text}"
            );
        }
        assert!(!text.contains("--array"));
    }
}
