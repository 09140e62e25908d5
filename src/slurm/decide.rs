//! What a (re)submission does, decided from the shards on disk and the jobs still queued:
//! only shards with unfinished points run again, and a merge job that can no longer succeed is
//! cancelled instead of left waiting.

use super::{QueuedJob, ShardProgress, SubmissionRecord};

/// SLURM's reason for a job whose dependency failed (it waits forever unless cancelled).
const NEVER_SATISFIED: &str = "DependencyNeverSatisfied";

#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Cancel `cancel`, run `shards` as a job array, and the merge job after it.
    Run {
        shards: Vec<usize>,
        cancel: Vec<String>,
    },
    /// Every point is finished but not merged: cancel `cancel`, submit only the merge job.
    MergeOnly { cancel: Vec<String> },
    /// Every point is finished and an earlier merge job is queued to merge them.
    MergeQueued { job: String },
    /// Every point is finished and merged.
    Done,
}

/// Decides from each shard's `progress`, whether the folder is `merged`, the earlier jobs in
/// `record` and those of them still `queued`. Refuses (returning the queued tasks) while a
/// task of an earlier array is queued or running: two tasks must never write one shard.
pub fn decide(
    progress: &[ShardProgress],
    merged: bool,
    record: &SubmissionRecord,
    queued: &[QueuedJob],
) -> Result<Decision, Vec<QueuedJob>> {
    let arrays: Vec<&String> = record
        .attempts
        .iter()
        .filter_map(|a| a.array_job.as_ref())
        .collect();
    let merges: Vec<&String> = record
        .attempts
        .iter()
        .filter_map(|a| a.merge_job.as_ref())
        .collect();
    let tasks: Vec<QueuedJob> = queued
        .iter()
        .filter(|q| arrays.iter().any(|a| *a == q.job()))
        .cloned()
        .collect();
    if !tasks.is_empty() {
        return Err(tasks);
    }
    if merged {
        return Ok(Decision::Done);
    }
    let live_merges: Vec<&QueuedJob> = queued
        .iter()
        .filter(|q| merges.iter().any(|m| *m == q.job()))
        .collect();
    let unfinished: Vec<usize> = progress
        .iter()
        .filter(|p| !p.is_done())
        .map(|p| p.index)
        .collect();
    if unfinished.is_empty() {
        if let Some(waiting) = live_merges.iter().find(|q| q.reason != NEVER_SATISFIED) {
            return Ok(Decision::MergeQueued {
                job: waiting.id.clone(),
            });
        }
        return Ok(Decision::MergeOnly {
            cancel: live_merges.iter().map(|q| q.id.clone()).collect(),
        });
    }
    // The arrays have ended with points unfinished: their merge jobs can never succeed.
    Ok(Decision::Run {
        shards: unfinished,
        cancel: live_merges.iter().map(|q| q.id.clone()).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slurm::Attempt;

    fn progress(finished: &[(usize, usize)]) -> Vec<ShardProgress> {
        finished
            .iter()
            .enumerate()
            .map(|(index, &(finished, expected))| ShardProgress {
                index,
                expected,
                finished,
                started: finished > 0,
            })
            .collect()
    }

    fn record(attempts: &[(&str, &str)]) -> SubmissionRecord {
        SubmissionRecord {
            experiment: "e".into(),
            tasks: 3,
            points: 12,
            actlab: "/bin/actlab".into(),
            attempts: attempts
                .iter()
                .map(|(array, merge)| Attempt {
                    submitted: "20260101-000000".into(),
                    shards: vec![0, 1, 2],
                    array_job: Some(array.to_string()),
                    merge_job: Some(merge.to_string()),
                    cancelled: vec![],
                })
                .collect(),
        }
    }

    fn job(id: &str, state: &str, reason: &str) -> QueuedJob {
        QueuedJob {
            id: id.into(),
            state: state.into(),
            reason: reason.into(),
        }
    }

    #[test]
    fn a_fresh_folder_runs_every_shard() {
        let decision = decide(
            &progress(&[(0, 5), (0, 4), (0, 4)]),
            false,
            &record(&[]),
            &[],
        );
        assert_eq!(
            decision,
            Ok(Decision::Run {
                shards: vec![0, 1, 2],
                cancel: vec![]
            })
        );
    }

    #[test]
    fn only_unfinished_shards_rerun_and_the_stale_merge_job_is_cancelled() {
        let queued = [job("11", "PENDING", "DependencyNeverSatisfied")];
        let decision = decide(
            &progress(&[(5, 5), (2, 4), (4, 4)]),
            false,
            &record(&[("10", "11")]),
            &queued,
        );
        assert_eq!(
            decision,
            Ok(Decision::Run {
                shards: vec![1],
                cancel: vec!["11".into()]
            })
        );
    }

    #[test]
    fn a_queued_task_of_an_earlier_array_refuses_the_resubmission() {
        let queued = [
            job("10_2", "RUNNING", "None"),
            job("11", "PENDING", "Dependency"),
            job("99", "RUNNING", "None"),
        ];
        let refused = decide(
            &progress(&[(5, 5), (0, 4), (1, 4)]),
            false,
            &record(&[("10", "11")]),
            &queued,
        );
        assert_eq!(refused, Err(vec![job("10_2", "RUNNING", "None")]));
    }

    #[test]
    fn finished_points_need_only_a_merge() {
        let all_done = progress(&[(5, 5), (4, 4), (4, 4)]);
        let earlier = record(&[("10", "11"), ("20", "21")]);
        assert_eq!(decide(&all_done, true, &earlier, &[]), Ok(Decision::Done));
        assert_eq!(
            decide(&all_done, false, &earlier, &[]),
            Ok(Decision::MergeOnly { cancel: vec![] })
        );
        assert_eq!(
            decide(
                &all_done,
                false,
                &earlier,
                &[job("21", "PENDING", "Dependency")]
            ),
            Ok(Decision::MergeQueued { job: "21".into() })
        );
        assert_eq!(
            decide(
                &all_done,
                false,
                &earlier,
                &[job("11", "PENDING", "DependencyNeverSatisfied")]
            ),
            Ok(Decision::MergeOnly {
                cancel: vec!["11".into()]
            })
        );
    }
}
