//! `tensorboard/` in a run or sweep folder, rebuilt from the folder's files: one TensorBoard
//! run per variant and seed, with the losses, accuracies and learning rate per epoch (or per
//! evaluation of a language model), each probed layer's statistics as scalars, its `z`, `a`
//! and `dL/dz` histograms at every probe, and the experiment as run, as text.
//!
//! A sweep's runs are its points (`point-<id>/<variant>`, and `/seed-<s>` for language
//! models), each an HParams session whose hyper-parameters are the point's settings.
//!
//! `tensorboard --logdir <folder>` opens it. The probes cover each variant's first seed, so
//! the layer scalars and histograms sit in that seed's run.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use crate::{
    analysis::{layer_stats::Histogram, probe::StatRow},
    store::{
        RunRecord, StoreError, SweepRecord,
        events::{EventFile, EventHistogram, HValue, Payload, hparams},
        is_run_folder, is_sweep_folder,
        language::{LmPoint, LmRecord, LmSweepMeta, is_language_run, is_language_sweep},
    },
};

/// The layer statistics written as scalars: `(tensor, statistic, tag suffix)`.
const LAYER_SCALARS: [(&str, &str, &str); 5] = [
    ("a", "saturated_fraction", "saturated_fraction"),
    ("a", "dead_units", "dead_units"),
    ("a", "zero_fraction", "zero_fraction"),
    ("a", "mean_derivative", "mean_derivative"),
    ("dz", "norm", "dz_norm"),
];

/// TensorBoard runs by path under `tensorboard/`.
type Runs = BTreeMap<PathBuf, EventFile>;

fn run(runs: &mut Runs, path: PathBuf, wall_time: f64) -> &mut EventFile {
    runs.entry(path)
        .or_insert_with(|| EventFile::new(wall_time))
}

/// A histogram of equal bins over `[lo, hi]` in TensorBoard's form. Sums are taken at the
/// bin centres: the probes keep counts, not values.
fn event_histogram(h: &Histogram) -> EventHistogram {
    let bins = h.counts.len().max(1);
    let width = (h.hi - h.lo) / bins as f64;
    let centre = |i: usize| h.lo + (i as f64 + 0.5) * width;
    EventHistogram {
        min: h.lo,
        max: h.hi,
        num: h.counts.iter().sum::<usize>() as f64,
        sum: h
            .counts
            .iter()
            .enumerate()
            .map(|(i, &c)| c as f64 * centre(i))
            .sum(),
        sum_squares: h
            .counts
            .iter()
            .enumerate()
            .map(|(i, &c)| c as f64 * centre(i).powi(2))
            .sum(),
        bucket_limit: (1..=h.counts.len())
            .map(|i| h.lo + i as f64 * width)
            .collect(),
        bucket: h.counts.iter().map(|&c| c as f64).collect(),
    }
}

/// The layer scalars of `rows` (one variant's) into `file`.
fn layer_scalars(file: &mut EventFile, rows: &[&StatRow]) {
    for r in rows {
        if let Some((.., suffix)) = LAYER_SCALARS
            .iter()
            .find(|(t, s, _)| *t == r.tensor && *s == r.statistic)
            && r.value.is_finite()
        {
            file.add(
                &format!("layers/{}/{suffix}", r.name),
                r.epoch,
                Payload::Scalar(r.value as f32),
            );
        }
    }
}

fn network_run(record: &RunRecord, prefix: &Path, runs: &mut Runs, wall_time: f64) {
    let config = toml::to_string(&record.experiment).unwrap_or_default();
    let lr = record.experiment.train.lr;
    let names = record.layer_names();
    for m in &record.metrics {
        let file = run(
            runs,
            prefix.join(&m.variant).join(format!("seed-{}", m.seed)),
            wall_time,
        );
        for (tag, value) in [
            ("loss/train", m.train_loss),
            ("loss/test", m.test_loss),
            ("accuracy/train", m.train_accuracy),
            ("accuracy/test", m.test_accuracy),
            ("learning_rate", lr),
        ] {
            if value.is_finite() {
                file.add(tag, m.epoch, Payload::Scalar(value as f32));
            }
        }
    }
    for v in &record.summary.variants {
        let file = run(
            runs,
            prefix.join(&v.name).join(format!("seed-{}", v.seed)),
            wall_time,
        );
        file.add(
            "experiment",
            0,
            Payload::Text(&format!("```toml\n{config}\n```")),
        );
        let rows: Vec<&StatRow> = record
            .layer_stats
            .iter()
            .filter(|r| r.variant == v.name)
            .collect();
        layer_scalars(file, &rows);
        for h in record.histograms.iter().filter(|h| h.variant == v.name) {
            // Named as in activations.csv, which names every probed layer, the output too.
            let layer = rows
                .iter()
                .find(|r| r.layer == h.layer)
                .map(|r| r.name.clone())
                .or_else(|| names.get(h.layer.wrapping_sub(1)).cloned())
                .unwrap_or_else(|| format!("layer{}", h.layer));
            file.add(
                &format!("histograms/{layer}/{}", h.tensor),
                h.epoch,
                Payload::Histogram(&event_histogram(&h.histogram)),
            );
        }
    }
}

fn language_run(record: &LmRecord, prefix: &Path, runs: &mut Runs, wall_time: f64) {
    for m in &record.metrics {
        let file = run(
            runs,
            prefix.join(&m.variant).join(format!("seed-{}", m.seed)),
            wall_time,
        );
        for (tag, value) in [
            ("loss/train", m.train_loss),
            ("loss/validation", m.val_loss),
            ("bits_per_token/train", m.train_bpc),
            ("bits_per_token/validation", m.val_bpc),
            ("learning_rate", m.lr),
            ("tokens_per_second", m.tokens_per_second),
        ] {
            if value.is_finite() {
                file.add(tag, m.iteration, Payload::Scalar(value as f32));
            }
        }
    }
    for v in &record.summary.variants {
        let Some(&seed) = v.seeds.first() else {
            continue;
        };
        let file = run(
            runs,
            prefix.join(&v.name).join(format!("seed-{seed}")),
            wall_time,
        );
        file.add(
            "experiment",
            0,
            Payload::Text(&format!("```toml\n{}\n```", record.config)),
        );
        let rows: Vec<&StatRow> = record
            .layer_stats
            .iter()
            .filter(|r| r.variant == v.name)
            .collect();
        layer_scalars(file, &rows);
        let probed = record
            .results
            .iter()
            .find(|r| r.variant == v.name && r.seed == seed);
        for h in probed
            .map(|r| r.history.histograms.as_slice())
            .unwrap_or_default()
        {
            file.add(
                &format!("histograms/block{}/{}", h.layer, h.tensor),
                h.epoch,
                Payload::Histogram(&event_histogram(&h.histogram)),
            );
        }
    }
}

/// One HParams session: the hyper-parameters of one TensorBoard run.
struct Session {
    run: PathBuf,
    hparams: Vec<(String, HValue)>,
    success: bool,
}

/// The HParams plugin's records: the experiment (every hyper-parameter and metric) in the
/// root run, and a session start and end in each session's run, so that TensorBoard's HParams
/// tab lists every grid point with its metrics.
fn hparams_records(runs: &mut Runs, sessions: &[Session], metrics: &[&str], wall_time: f64) {
    let Some(first) = sessions.first() else {
        return;
    };
    let infos: Vec<(String, bool)> = first
        .hparams
        .iter()
        .map(|(name, _)| {
            let numeric = sessions.iter().all(|s| {
                s.hparams
                    .iter()
                    .any(|(n, v)| n == name && matches!(v, HValue::Number(_)))
            });
            (name.clone(), numeric)
        })
        .collect();
    run(runs, PathBuf::new(), wall_time).add(
        hparams::EXPERIMENT_TAG,
        0,
        Payload::Plugin {
            name: hparams::PLUGIN,
            content: &hparams::experiment(&infos, metrics),
        },
    );
    for s in sessions {
        let file = run(runs, s.run.clone(), wall_time);
        let group = s.run.display().to_string();
        let start = hparams::session_start(&s.hparams, &group, wall_time);
        let end = hparams::session_end(s.success, wall_time);
        for (tag, content) in [
            (hparams::SESSION_START_TAG, &start),
            (hparams::SESSION_END_TAG, &end),
        ] {
            file.add(
                tag,
                0,
                Payload::Plugin {
                    name: hparams::PLUGIN,
                    content,
                },
            );
        }
    }
}

/// A network sweep keeps each point's curves (mean over seeds) and last-epoch layer
/// statistics, not per-seed folders: one TensorBoard run per point and variant.
fn network_sweep(record: &SweepRecord, runs: &mut Runs, wall_time: f64) {
    let mut sessions: Vec<Session> = Vec::new();
    for p in &record.points {
        let label =
            p.id.map_or("baseline".to_string(), |id| format!("point-{id:03}"));
        for v in &p.variants {
            let file = run(runs, PathBuf::from(&label).join(&v.name), wall_time);
            let settings: Vec<String> = p
                .settings
                .iter()
                .map(|(k, x)| format!("{k} = {x}"))
                .collect();
            file.add("settings", 0, Payload::Text(&settings.join("\n\n")));
            for (tag, curve) in [("loss/train", &v.train_loss), ("loss/test", &v.test_loss)] {
                for (epoch, value) in curve.iter().enumerate() {
                    file.add(tag, epoch + 1, Payload::Scalar(*value as f32));
                }
            }
            if let Some(a) = v.stats.test_accuracy {
                file.add(
                    "accuracy/test",
                    v.epochs_completed,
                    Payload::Scalar(a.mean as f32),
                );
            }
            let mut hp: Vec<(String, HValue)> = p
                .settings
                .iter()
                .map(|(k, x)| (k.clone(), HValue::parse(x)))
                .collect();
            hp.push(("variant".into(), HValue::Text(v.name.clone())));
            sessions.push(Session {
                run: PathBuf::from(&label).join(&v.name),
                hparams: hp,
                success: !v.diverged,
            });
        }
    }
    hparams_records(runs, &sessions, &["loss/test", "accuracy/test"], wall_time);
}

/// Writes `dir/tensorboard/` afresh from `dir`'s files (a run, sweep, language-model run or
/// language-model sweep folder) and returns how many TensorBoard runs it holds. The old
/// `tensorboard/` is replaced only once the new one is complete.
pub fn write_tensorboard(dir: &Path) -> Result<usize, StoreError> {
    let wall_time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let mut runs = Runs::new();
    if is_language_sweep(dir) {
        let meta: LmSweepMeta = crate::store::read_json(&dir.join(LmSweepMeta::FILE))?;
        let mut sessions: Vec<Session> = Vec::new();
        for id in 0..meta.points {
            let folder = LmSweepMeta::point_dir(dir, id);
            if is_language_run(&folder) {
                let prefix = PathBuf::from(format!("point-{id:03}"));
                let record = LmRecord::load(&folder)?;
                language_run(&record, &prefix, &mut runs, wall_time);
                let point: LmPoint = crate::store::read_json(&folder.join("point.json"))?;
                for r in &record.results {
                    let mut hp: Vec<(String, HValue)> = point
                        .settings
                        .iter()
                        .map(|(k, x)| (k.clone(), HValue::parse(x)))
                        .collect();
                    hp.push(("variant".into(), HValue::Text(r.variant.clone())));
                    hp.push(("seed".into(), HValue::Number(f64::from(r.seed))));
                    sessions.push(Session {
                        run: prefix.join(&r.variant).join(format!("seed-{}", r.seed)),
                        hparams: hp,
                        success: !r.history.diverged,
                    });
                }
            }
        }
        hparams_records(
            &mut runs,
            &sessions,
            &["loss/validation", "loss/train"],
            wall_time,
        );
    } else if is_language_run(dir) {
        language_run(&LmRecord::load(dir)?, Path::new(""), &mut runs, wall_time);
    } else if is_sweep_folder(dir) {
        network_sweep(&SweepRecord::load(dir)?, &mut runs, wall_time);
    } else if is_run_folder(dir) {
        network_run(&RunRecord::load(dir)?, Path::new(""), &mut runs, wall_time);
    } else {
        return Err(StoreError::Read {
            path: dir.into(),
            message: "not a finished run or sweep folder (expected summary.json, sweep.json or lm-sweep.json inside)".into(),
        });
    }
    let fresh = dir.join(".tensorboard.partial");
    let _ = std::fs::remove_dir_all(&fresh);
    for (path, file) in &runs {
        let run_dir = fresh.join(path);
        std::fs::create_dir_all(&run_dir).map_err(|error| StoreError::Write {
            path: run_dir.clone(),
            error,
        })?;
        file.write(&run_dir)?;
    }
    let target = dir.join("tensorboard");
    let swap = |error: std::io::Error| StoreError::Write {
        path: target.clone(),
        error,
    };
    if target.exists() {
        std::fs::remove_dir_all(&target).map_err(swap)?;
    }
    if runs.is_empty() {
        std::fs::create_dir_all(&fresh).map_err(swap)?;
    }
    std::fs::rename(&fresh, &target).map_err(swap)?;
    Ok(runs.len())
}
