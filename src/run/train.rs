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
    let cohort = Cohort { seeds, split };
    let persist = std::slice::from_ref(persist);
    let mut trained = train_together(plan, &[cohort], threads, probe, persist, device, progress)?;
    Ok(trained.remove(0))
}

/// Seeds trained on one data split: one program of a run.
#[derive(Clone, Copy)]
pub struct Cohort<'a> {
    pub seeds: &'a [u32],
    pub split: &'a Split,
}

/// One cohort's part of the joint ensemble.
struct Part {
    members: Vec<Member>,
    /// This cohort's members in the joint ensemble.
    range: std::ops::Range<usize>,
    /// This cohort's data-order streams in the joint list.
    rngs: std::ops::Range<usize>,
    histories: Vec<History>,
    log: ProbeLog,
}

/// Trains several cohorts (splits of one size) as one ensemble, on at most `threads` threads,
/// and returns each cohort's result as if trained alone: member for member the same numbers.
/// Cohort `i` checkpoints as program `persist[i].program`; only the first is probed. The Burn
/// engine saves its optimizer for a whole ensemble only, so it takes one cohort at a time.
#[allow(clippy::too_many_arguments)]
pub fn train_together<B: AutodiffBackend>(
    plan: &Plan,
    cohorts: &[Cohort<'_>],
    threads: usize,
    probe: bool,
    persist: &[Persistence],
    device: &B::Device,
    progress: &ProgressBar,
) -> Result<Vec<Trained<B>>, CheckpointError> {
    let train_cfg = &plan.experiment.train;
    let mut models = Vec::new();
    let mut parts: Vec<Part> = Vec::new();
    let mut order_rngs: Vec<NumpyRng> = Vec::new();
    let mut resumed: Vec<CheckpointMeta> = Vec::new();
    for (cohort, persist) in cohorts.iter().zip(persist) {
        let (mut model, members, rngs) = initial_ensemble::<B>(plan, cohort.seeds, device);
        if let Some(dir) = &persist.resume_from {
            let meta = checkpoint::load_meta(dir)?;
            let expected: Vec<(usize, u32)> = members.iter().map(|m| (m.variant, m.seed)).collect();
            if meta.members != expected {
                return Err(CheckpointError::Mismatch {
                    path: dir.clone(),
                    message: format!("members {:?}, expected {expected:?}", meta.members),
                });
            }
            if let Some(first) = resumed.first().filter(|first| first.epoch != meta.epoch) {
                return Err(CheckpointError::Mismatch {
                    path: dir.clone(),
                    message: format!("epoch {}, the other programs' {}", meta.epoch, first.epoch),
                });
            }
            model = checkpoint::load_model(dir, model, device)?;
            resumed.push(meta);
        }
        let first = parts.last().map_or(0, |p| p.range.end);
        let first_rng = order_rngs.len();
        order_rngs.extend(rngs);
        parts.push(Part {
            range: first..first + members.len(),
            rngs: first_rng..order_rngs.len(),
            histories: vec![History::default(); members.len()],
            log: ProbeLog::default(),
            members,
        });
        models.push(model);
    }
    let model = Mlp::concat(models);
    // Member `k`'s split and data-order stream in the joint ensemble.
    let split_of: Vec<usize> = parts
        .iter()
        .enumerate()
        .flat_map(|(c, p)| std::iter::repeat_n(c, p.members.len()))
        .collect();
    let rng_of: Vec<usize> = parts
        .iter()
        .flat_map(|p| {
            let seeds = p.rngs.len();
            (0..p.members.len()).map(move |k| p.rngs.start + k % seeds)
        })
        .collect();
    let mut learner = Learner::per_member(
        model,
        train_cfg.engine,
        train_cfg.optimizer_spec(),
        (train_cfg.lr, train_cfg.batch_size),
        (cohorts.iter().map(|c| c.split.clone()).collect(), split_of),
        threads,
        device,
    );
    let mut seconds = 0.0;
    let mut first_epoch = 1;
    if !resumed.is_empty() {
        let dirs: Vec<&std::path::Path> = persist
            .iter()
            .filter_map(|p| p.resume_from.as_deref())
            .collect();
        let fail = |message| CheckpointError::Mismatch {
            path: dirs[0].into(),
            message,
        };
        if resumed.len() != cohorts.len() {
            return Err(fail("every program resumes together or none does".into()));
        }
        learner.load_optimizer(&dirs).map_err(fail)?;
        for (part, meta) in parts.iter_mut().zip(&resumed) {
            part.histories = meta.histories.clone();
            part.log = meta.probes.clone();
            order_rngs.splice(part.rngs.clone(), meta.order_rngs.clone());
        }
        seconds = resumed[0].train_seconds;
        first_epoch = resumed[0].epoch + 1;
        progress.inc((resumed[0].epoch * cohorts.len()) as u64);
    }
    let probes = &plan.experiment.probes;
    let probe = probe && probes.enabled;
    let probed_split = cohorts[0].split;
    let probe_set = ProbeSet::new(
        if probes.set == "train" {
            &probed_split.train
        } else {
            &probed_split.test
        },
        probes.max_points,
    );
    // Each variant's first member of the first cohort.
    let probed: Vec<(usize, String)> = plan
        .variants
        .iter()
        .enumerate()
        .map(|(v, planned)| {
            (
                parts[0]
                    .members
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
        observe(&learner, 0, &mut parts[0].log);
    }
    let save = |learner: &Learner<B>,
                epoch: usize,
                parts: &[Part],
                rngs: &[NumpyRng],
                seconds: f64|
     -> Result<(), CheckpointError> {
        // The whole model once, whichever programs save now.
        let mut model: Option<Mlp<B>> = None;
        for (part, persist) in parts.iter().zip(persist) {
            let Some(root) = &persist.checkpoints else {
                continue;
            };
            if epoch != last && (persist.every == 0 || !epoch.is_multiple_of(persist.every)) {
                continue;
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
                members: part.members.iter().map(|m| (m.variant, m.seed)).collect(),
                histories: part.histories.clone(),
                order_rngs: rngs[part.rngs.clone()].to_vec(),
                train_seconds: seconds,
                probes: part.log.clone(),
            };
            let model = model.get_or_insert_with(|| learner.model());
            checkpoint::save(root, &meta, &model.select(part.range.clone()), |dir| {
                learner.save_optimizer(dir, part.range.clone())
            })?;
        }
        Ok(())
    };

    for epoch in first_epoch..=train_cfg.epochs {
        let orders = NumpyRng::permutations(&mut order_rngs, probed_split.train.len());
        let active = parts
            .iter()
            .any(|p| p.histories.iter().any(History::is_active));
        if !active {
            progress.inc(cohorts.len() as u64);
            continue;
        }
        let member_orders: Vec<Vec<usize>> = rng_of.iter().map(|&r| orders[r].clone()).collect();
        let started = Instant::now();
        let losses = learner.train_epoch(&member_orders);
        seconds += started.elapsed().as_secs_f64();
        let eval = learner.evaluate();
        for part in &mut parts {
            for (k, history) in part.range.clone().zip(&mut part.histories) {
                let metrics = EpochMetrics {
                    epoch,
                    train_loss: losses[k],
                    train_accuracy: eval.train_accuracy[k],
                    test_loss: eval.test_loss[k],
                    test_accuracy: eval.test_accuracy[k],
                };
                history.push(metrics, train_cfg.diverge_above);
            }
        }
        observe(&learner, epoch, &mut parts[0].log);
        save(&learner, epoch, &parts, &order_rngs, seconds)?;
        progress.inc(cohorts.len() as u64);
    }
    let model = learner.model();
    let total: usize = parts.iter().map(|p| p.members.len()).sum();
    Ok(parts
        .into_iter()
        .map(|part| Trained {
            model: model.select(part.range.clone()),
            engine: learner.engine(),
            // The joint time, shared out by members, so that the cohorts' times add up to it.
            seconds: seconds * part.members.len() as f64 / total as f64,
            members: part.members,
            histories: part.histories,
            probes: part.log,
        })
        .collect())
}
