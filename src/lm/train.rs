//! One language-model job (a variant and a seed) trained by steps: nanoGPT's loop with its
//! evaluations, divergence recorded as such, checkpoints as a policy beside the loop, and
//! resume from a checkpoint bit for bit (weights, both optimizers' state, the batch stream,
//! the history).
//!
//! Streams: the weights come from `np.random.seed(seed)`; the training batches from a second
//! numpy stream seeded `seed ^ BATCH_STREAM`, so that variants of one seed see the same
//! batches whatever their shapes; the evaluation batches from a stream seeded
//! `seed ^ EVAL_STREAM`, drawn afresh at every evaluation, so that every evaluation of every
//! variant of a seed scores the same windows.

use std::{
    path::{Path, PathBuf},
    time::Instant,
};

use super::{
    batches::{TokenBatch, draw_starts, windows},
    checkpoint,
    learner::{self as lm_learner, cross_entropy, frozen},
    probe::probe,
    schedule::LrSchedule,
};
use crate::{
    backend::BackendInfo,
    checkpoint::CheckpointError,
    config::language::LmExperiment,
    data::text::Corpus,
    learner::to_host,
    model::gpt::{Gpt, GptConfig},
    numpy_rng::NumpyRng,
    store::language::{Evaluation, JobHistory},
};
use burn::tensor::backend::{AutodiffBackend, Backend};

pub const BATCH_STREAM: u32 = 0x9e37_79b9;
pub const EVAL_STREAM: u32 = 0x5bd1_e995;
/// The probe windows' stream (validation split), drawn once per job.
pub const PROBE_STREAM: u32 = 0x2545_f491;

/// What one job trains.
pub struct Job<'a> {
    pub experiment: &'a LmExperiment,
    /// The experiment as run, TOML: recorded in every checkpoint.
    pub config_text: &'a str,
    pub variant: &'a str,
    pub model: &'a GptConfig,
    pub seed: u32,
    pub corpus: &'a Corpus,
    pub backend: &'a BackendInfo,
    /// `<run>/checkpoints`.
    pub checkpoints: PathBuf,
}

/// A trained job: the model (without autodiff) and its history.
pub struct Trained<B: Backend> {
    pub model: Gpt<B>,
    pub history: JobHistory,
}

impl Job<'_> {
    /// This job's folder name in `checkpoints/iter-NNNNNN/`.
    pub fn name(&self) -> String {
        format!("{}-seed-{}", self.variant, self.seed)
    }

    /// Trains from scratch, or from `resume` (a checkpoint folder of this job).
    pub fn train<B: AutodiffBackend>(
        &self,
        resume: Option<&Path>,
        device: &B::Device,
        mut tick: impl FnMut(usize),
    ) -> Result<Trained<B::InnerBackend>, CheckpointError> {
        let t = &self.experiment.train;
        let mut learner = lm_learner::learner(Gpt::<B>::init(self.model, self.seed, device), t);
        let mut batches = NumpyRng::new(self.seed ^ BATCH_STREAM);
        let mut history = JobHistory::default();
        let mut first = 0;
        if let Some(dir) = resume {
            let meta = checkpoint::load(dir, self)?;
            let model = learner.model().clone();
            learner.set_model(
                crate::checkpoint::load_weights(dir, &meta.checksums, model, device)?
                    .with_config(self.model),
            );
            learner
                .load_optimizer(dir, device)
                .map_err(|message| CheckpointError::Corrupted {
                    path: dir.into(),
                    message,
                })?;
            batches = meta.batch_rng.clone();
            history = meta.history.clone();
            first = meta.iteration;
        }
        let (train, val) = self.corpus.split();
        let schedule = LrSchedule {
            lr: t.lr,
            min_lr: t.min_lr,
            warmup_iters: t.warmup_iters,
            decay_iters: t.decay_iters(),
        };
        if first == 0 {
            let e = self.evaluate::<B>(learner.model(), (train, val), device);
            history.evaluations.push(Evaluation {
                iteration: 0,
                lr: 0.0,
                train_loss: e.0,
                val_loss: e.1,
                step_loss: None,
                tokens_per_second: 0.0,
            });
        }
        let block = self.model.block_size;
        let probes = self.probe_windows::<B>(val, device);
        let record_probe = |history: &mut JobHistory, model: &_, batch, step| {
            let clock = Instant::now();
            let found = probe(model, batch, self.variant, step);
            history.probes.extend(found.rows);
            history.histograms.extend(found.histograms);
            clock.elapsed()
        };
        if let (Some(batch), 0) = (&probes, first) {
            history.probe_seconds +=
                record_probe(&mut history, learner.model(), batch, 0).as_secs_f64();
        }
        let (mut losses, mut started, mut since) = (Vec::new(), Instant::now(), 0usize);
        for it in first..t.iterations {
            if history.diverged {
                break;
            }
            if self.model.dropout > 0.0 {
                B::seed(device, (u64::from(self.seed) << 32) | it as u64);
            }
            let lr = schedule.at(it);
            let starts = draw_starts(&mut batches, train.len(), block, t.batch_size);
            let batch = windows::<B>(train, &starts, block, device);
            losses.push(lm_learner::step(&mut learner, &batch, lr));
            since += 1;
            tick(1);
            let done = it + 1;
            let evaluated = done % t.eval_interval == 0 || done == t.iterations;
            if evaluated {
                let seconds = started.elapsed().as_secs_f64();
                history.train_seconds += seconds;
                let steps = to_host(burn::tensor::Tensor::cat(std::mem::take(&mut losses), 0));
                let step_loss = steps.iter().sum::<f64>() / steps.len() as f64;
                let e = self.evaluate::<B>(learner.model(), (train, val), device);
                let evaluation = Evaluation {
                    iteration: done,
                    lr,
                    train_loss: e.0,
                    val_loss: e.1,
                    step_loss: Some(step_loss),
                    tokens_per_second: (since * t.batch_size * block) as f64 / seconds,
                };
                let worst = [e.0, e.1, step_loss].into_iter().fold(0.0f64, |m, v| {
                    if v.is_finite() {
                        m.max(v)
                    } else {
                        f64::INFINITY
                    }
                });
                if worst > t.diverge_above {
                    history.diverged = true;
                    history.diverged_at = Some(done);
                }
                history.evaluations.push(evaluation);
            }
            if let Some(batch) = probes.as_ref().filter(|_| self.probe_due(done)) {
                let spent = record_probe(&mut history, learner.model(), batch, done);
                history.probe_seconds += spent.as_secs_f64();
                // A probe between evaluations stays out of the interval's speed too.
                started += spent;
            }
            if evaluated {
                let every = self.experiment.checkpoint.every;
                if every > 0 && done % every == 0 && done < t.iterations && !history.diverged {
                    checkpoint::save(self, done, &learner, &batches, &history)?;
                }
                // Evaluation, probes and checkpoints stay out of the next interval's speed.
                (started, since) = (Instant::now(), 0);
            }
        }
        let last = history.evaluations.last().map_or(0, |e| e.iteration);
        checkpoint::save(self, last, &learner, &batches, &history)?;
        Ok(Trained {
            model: frozen(learner.model()),
            history,
        })
    }

    /// The fixed probe windows of the validation split: for each variant's first seed only,
    /// and none when `[probes] every = 0`.
    fn probe_windows<B: AutodiffBackend>(
        &self,
        val: &[u32],
        device: &B::Device,
    ) -> Option<TokenBatch<B>> {
        let p = &self.experiment.probes;
        if p.every == Some(0) || self.seed != self.experiment.model.seed {
            return None;
        }
        let mut rng = NumpyRng::new(self.seed ^ PROBE_STREAM);
        let starts = draw_starts(&mut rng, val.len(), self.model.block_size, p.windows);
        Some(windows::<B>(val, &starts, self.model.block_size, device))
    }

    /// Whether the probes run after `done` steps: at every evaluation by default, every
    /// `[probes] every` steps if set, and at the end.
    fn probe_due(&self, done: usize) -> bool {
        let t = &self.experiment.train;
        let every = self.experiment.probes.every.unwrap_or(t.eval_interval);
        every > 0 && (done.is_multiple_of(every) || done == t.iterations)
    }

    /// Mean loss over `eval_iters` batches of the training and the validation tokens.
    fn evaluate<B: AutodiffBackend>(
        &self,
        model: &Gpt<B>,
        (train, val): (&[u32], &[u32]),
        device: &B::Device,
    ) -> (f64, f64) {
        let model = frozen(model);
        let t = &self.experiment.train;
        let block = self.model.block_size;
        let mut rng = NumpyRng::new(self.seed ^ EVAL_STREAM);
        let mut mean = |tokens: &[u32]| {
            let losses: Vec<_> = (0..t.eval_iters)
                .map(|_| {
                    let starts = draw_starts(&mut rng, tokens.len(), block, t.batch_size);
                    let batch = windows::<B::InnerBackend>(tokens, &starts, block, device);
                    cross_entropy(model.forward(batch.x), batch.y)
                })
                .collect();
            let values = to_host(burn::tensor::Tensor::cat(losses, 0));
            values.iter().sum::<f64>() / values.len() as f64
        };
        (mean(train), mean(val))
    }
}
