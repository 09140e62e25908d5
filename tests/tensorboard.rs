//! TensorBoard event files: every run folder gets `tensorboard/<variant>/seed-<s>/`, whose
//! records pass both CRCs and hold one event per metric row and value, per layer statistic
//! and per histogram on disk; `actlab tensorboard` rebuilds them from the folder, and refuses a
//! folder that holds no run. (CI also reads them with TensorBoard's own EventAccumulator:
//! tests/tensorboard/check_events.py.)

mod common;

use std::path::Path;

use actlab::store::{RunRecord, events::read_records};
use common::{actlab, succeeds, temp_dir};

/// The records of the one event file in `dir`.
fn records(dir: &Path) -> Vec<Vec<u8>> {
    let files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .contains("tfevents")
        })
        .collect();
    assert_eq!(files.len(), 1, "{}: one event file", dir.display());
    let bytes = std::fs::read(&files[0]).unwrap();
    read_records(&bytes)
        .expect("every record passes its CRCs")
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect()
}

#[test]
fn every_run_writes_events_that_match_its_files() {
    let tmp = temp_dir("tensorboard");
    let run = tmp.join("run");
    succeeds(
        &tmp,
        &[
            "run",
            "sigmoid-vs-relu",
            "--seeds",
            "2",
            "--set",
            "train.epochs=20",
            "--out",
            run.to_str().unwrap(),
        ],
    );
    let record = RunRecord::load(&run).unwrap();
    for v in &record.summary.variants {
        for seed in [42, 43] {
            let events = records(
                &run.join("tensorboard")
                    .join(&v.name)
                    .join(format!("seed-{seed}")),
            );
            let epochs = record
                .metrics
                .iter()
                .filter(|m| m.variant == v.name && m.seed == seed)
                .count();
            assert_eq!(epochs, 20);
            // The version event, then five scalars per epoch (losses, accuracies, learning
            // rate); the probed seed adds the experiment's text, its layer statistics and its
            // histograms.
            let mut expected = 1 + 5 * epochs;
            if seed == v.seed {
                let layer_scalars = record
                    .layer_stats
                    .iter()
                    .filter(|r| {
                        r.variant == v.name
                            && r.value.is_finite()
                            && matches!(
                                (r.tensor.as_str(), r.statistic.as_str()),
                                (
                                    "a",
                                    "saturated_fraction"
                                        | "dead_units"
                                        | "zero_fraction"
                                        | "mean_derivative"
                                ) | ("dz", "norm")
                            )
                    })
                    .count();
                let histograms = record
                    .histograms
                    .iter()
                    .filter(|h| h.variant == v.name)
                    .count();
                assert!(layer_scalars > 0 && histograms > 0);
                expected += 1 + layer_scalars + histograms;
            }
            assert_eq!(events.len(), expected, "{} seed {seed}", v.name);
            assert!(events[0].ends_with(b"brain.Event:2"));
        }
    }

    // Rebuilt from disk: the same events, the old folder replaced.
    let before = records(&run.join("tensorboard/relu/seed-42")).len();
    std::fs::write(run.join("tensorboard/stale"), "x").unwrap();
    succeeds(&tmp, &["tensorboard", run.to_str().unwrap()]);
    assert!(!run.join("tensorboard/stale").exists());
    assert_eq!(records(&run.join("tensorboard/relu/seed-42")).len(), before);

    // A folder with no run in it: an error, and nothing written there.
    let empty = tmp.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = actlab(&tmp, &["tensorboard", empty.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a finished run or sweep folder"));
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);
}
