//! The training schedule of an experiment: the article's initialisation and data-order semantics,
//! with every variant and seed trained together as one ensemble program.
//!
//! For each seed, numpy's global RNG is re-seeded before each variant draws its weights
//! (`np.random.seed(seed)` in every network's constructor); the data order then continues from
//! that global state, one `permutation(n_train)` per epoch shared by every variant of the seed.

use std::{path::PathBuf, time::Instant};

use burn::tensor::backend::{AutodiffBackend, Backend};
use indicatif::ProgressBar;

use crate::{
    analysis::{
        self,
        training::{ProbeLog, ProbeSet},
    },
    backend::BackendInfo,
    checkpoint::{self, CheckpointError, CheckpointMeta},
    config::Plan,
    data::Split,
    learner::{Engine, EpochMetrics, History, Learner},
    model::{Mlp, MlpConfig},
    numpy_rng::NumpyRng,
};

/// Where a program saves its checkpoints and where it resumes from.
#[derive(Clone, Debug, Default)]
pub struct Persistence {
    /// This program's index in the run, and its data set's seed.
    pub program: usize,
    pub data_seed: u32,
    /// `<run>/checkpoints`, when checkpoints are written.
    pub checkpoints: Option<PathBuf>,
    /// Checkpoint every this many epochs (0: only at the end).
    pub every: usize,
    /// A checkpoint folder of this program to continue from.
    pub resume_from: Option<PathBuf>,
    /// The experiment as run (TOML), recorded in every checkpoint.
    pub config: String,
}

/// Which variant and seed a member of the trained ensemble is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    pub variant: usize,
    pub seed: u32,
}

/// The trained ensemble: member `k` is `members[k]`, with its own history.
pub struct Trained<B: AutodiffBackend> {
    pub model: Mlp<B>,
    pub members: Vec<Member>,
    pub histories: Vec<History>,
    /// The engine that computed the steps.
    pub engine: Engine,
    /// Time spent in training steps for all members together (evaluation excluded).
    pub seconds: f64,
    /// Per-layer statistics over training, when probed.
    pub probes: ProbeLog,
}

impl<B: AutodiffBackend> Trained<B> {
    /// Member indices of `variant`, in seed order.
    pub fn members_of(&self, variant: usize) -> Vec<usize> {
        (0..self.members.len())
            .filter(|&k| self.members[k].variant == variant)
            .collect()
    }
}

/// The untrained ensemble of `plan` for `seeds` (variant-major: member `k` is variant
/// `k / seeds.len()`, seed `k % seeds.len()`), its members, and the data-order stream of each
/// seed as the article leaves it after drawing the weights.
pub fn initial_ensemble<B: Backend>(
    plan: &Plan,
    seeds: &[u32],
    device: &B::Device,
) -> (Mlp<B>, Vec<Member>, Vec<NumpyRng>) {
    let mut draws: Vec<Vec<Vec<Vec<f64>>>> = vec![Vec::new(); plan.variants.len()];
    let order_rngs: Vec<NumpyRng> = seeds
        .iter()
        .map(|&seed| {
            let mut global = NumpyRng::new(seed);
            for (variant_draws, variant) in draws.iter_mut().zip(&plan.variants) {
                global.seed(seed);
                variant_draws.push(variant.mlp.draw_weights(&mut global));
            }
            global
        })
        .collect();
    let mut members = Vec::new();
    let mut stacked: Vec<(&MlpConfig, &[Vec<f64>])> = Vec::new();
    for (v, variant) in plan.variants.iter().enumerate() {
        for (s, &seed) in seeds.iter().enumerate() {
            members.push(Member { variant: v, seed });
            stacked.push((&variant.mlp, &draws[v][s]));
        }
    }
    (Mlp::from_members(&stacked, device), members, order_rngs)
}

/// Trains every variant of `plan` for every seed in `seeds` on `split`, as one ensemble, on at
/// most `threads` threads.
pub fn train_plan<B: AutodiffBackend>(
    plan: &Plan,
    seeds: &[u32],
    split: &Split,
    threads: usize,
    device: &B::Device,
    progress: &ProgressBar,
) -> Trained<B> {
    train_plan_probed(
        plan,
        seeds,
        split,
        threads,
        false,
        &Persistence::default(),
        device,
        progress,
    )
    .expect("without checkpoints, training does no I/O")
}

/// [`train_plan`], probing each variant's first seed per the plan's `[probes]` when `probe`
/// is set. Probes observe a copy of the model, so training is the same with or without them.
#[allow(clippy::too_many_arguments)]
pub fn train_plan_probed<B: AutodiffBackend>(
    plan: &Plan,
    seeds: &[u32],
    split: &Split,
    threads: usize,
    probe: bool,
    persist: &Persistence,
    device: &B::Device,
    progress: &ProgressBar,
) -> Result<Trained<B>, CheckpointError> {
    let train_cfg = &plan.experiment.train;

    let (mut model, members, mut order_rngs) = initial_ensemble::<B>(plan, seeds, device);
    let seed_index: Vec<usize> = (0..members.len()).map(|k| k % seeds.len()).collect();

    let mut resumed: Option<CheckpointMeta> = None;
    if let Some(dir) = &persist.resume_from {
        let meta = checkpoint::load_meta(dir)?;
        let expected: Vec<(usize, u32)> = members.iter().map(|m| (m.variant, m.seed)).collect();
        if meta.members != expected {
            return Err(CheckpointError::Mismatch {
                path: dir.clone(),
                message: format!("members {:?}, expected {expected:?}", meta.members),
            });
        }
        model = checkpoint::load_model(dir, model, device)?;
        resumed = Some(meta);
    }
    let mut learner = Learner::new(
        model,
        train_cfg.engine,
        train_cfg.optimizer_spec(),
        train_cfg.lr,
        train_cfg.batch_size,
        split,
        threads,
        device,
    );
    let mut histories = vec![History::default(); members.len()];
    let mut seconds = 0.0;
    let mut log = ProbeLog::default();
    let mut first_epoch = 1;
    if let (Some(meta), Some(dir)) = (resumed, &persist.resume_from) {
        learner
            .load_optimizer(dir)
            .map_err(|message| CheckpointError::Mismatch {
                path: dir.clone(),
                message,
            })?;
        histories = meta.histories;
        order_rngs = meta.order_rngs;
        seconds = meta.train_seconds;
        log = meta.probes;
        first_epoch = meta.epoch + 1;
        progress.inc(meta.epoch as u64);
    }
    let probes = &plan.experiment.probes;
    let probe = probe && probes.enabled;
    let probe_set = ProbeSet::new(
        if probes.set == "train" {
            &split.train
        } else {
            &split.test
        },
        probes.max_points,
    );
    let probed: Vec<(usize, String)> = plan
        .variants
        .iter()
        .enumerate()
        .map(|(v, planned)| {
            (
                members
                    .iter()
                    .position(|m| m.variant == v)
                    .expect("every variant has members"),
                planned.name.clone(),
            )
        })
        .collect();
    let last = train_cfg.epochs;
    let observe = |learner: &Learner<B>, epoch: usize, log: &mut ProbeLog| {
        if probe && probes.is_probe_epoch(epoch, last) {
            let host = learner.host_snapshot();
            analysis::training::probe(
                &host,
                &probed,
                &probe_set,
                epoch,
                probes,
                epoch == 0 || epoch == last,
                log,
            );
        }
    };
    if first_epoch == 1 {
        observe(&learner, 0, &mut log);
    }
    let save = |learner: &Learner<B>,
                epoch: usize,
                histories: &[History],
                rngs: &[NumpyRng],
                seconds: f64,
                log: &ProbeLog| {
        let Some(root) = &persist.checkpoints else {
            return Ok(());
        };
        if epoch != last && (persist.every == 0 || !epoch.is_multiple_of(persist.every)) {
            return Ok(());
        }
        let meta = CheckpointMeta {
            format_version: checkpoint::FORMAT_VERSION,
            actlab_version: env!("CARGO_PKG_VERSION").into(),
            config: persist.config.clone(),
            epoch,
            backend: BackendInfo::current(),
            engine: learner.engine(),
            program: persist.program,
            data_seed: persist.data_seed,
            members: members.iter().map(|m| (m.variant, m.seed)).collect(),
            histories: histories.to_vec(),
            order_rngs: rngs.to_vec(),
            train_seconds: seconds,
            probes: log.clone(),
        };
        checkpoint::save(root, &meta, &learner.model(), |dir| {
            learner.save_optimizer(dir)
        })
        .map(|_| ())
    };

    for epoch in first_epoch..=train_cfg.epochs {
        let orders = NumpyRng::permutations(&mut order_rngs, split.train.len());
        if !histories.iter().any(History::is_active) {
            progress.inc(1);
            continue;
        }
        let member_orders: Vec<Vec<usize>> =
            seed_index.iter().map(|&s| orders[s].clone()).collect();
        let started = Instant::now();
        let losses = learner.train_epoch(&member_orders);
        seconds += started.elapsed().as_secs_f64();
        let eval = learner.evaluate();
        for (k, history) in histories.iter_mut().enumerate() {
            let metrics = EpochMetrics {
                epoch,
                train_loss: losses[k],
                train_accuracy: eval.train_accuracy[k],
                test_loss: eval.test_loss[k],
                test_accuracy: eval.test_accuracy[k],
            };
            history.push(metrics, train_cfg.diverge_above);
        }
        observe(&learner, epoch, &mut log);
        save(&learner, epoch, &histories, &order_rngs, seconds, &log)?;
        progress.inc(1);
    }
    Ok(Trained {
        model: learner.model(),
        engine: learner.engine(),
        members,
        histories,
        seconds,
        probes: log,
    })
}
