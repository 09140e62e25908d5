//! The training schedule of an experiment: the article's initialisation and data-order semantics,
//! with every variant and seed trained together as one ensemble program.
//!
//! For each seed, numpy's global RNG is re-seeded before each variant draws its weights
//! (`np.random.seed(seed)` in every network's constructor); the data order then continues from
//! that global state, one `permutation(n_train)` per epoch shared by every variant of the seed.

use std::time::Instant;

use burn::tensor::backend::AutodiffBackend;
use indicatif::ProgressBar;


use crate::{
    analysis::{
        self,
        training::{ProbeLog, ProbeSet},
    },
    config::Plan,
    data::Split,
    learner::{Engine, EpochMetrics, History, Learner},
    model::{Mlp, MlpConfig},
    numpy_rng::NumpyRng,
};

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
    train_plan_probed(plan, seeds, split, threads, false, device, progress)
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
    device: &B::Device,
    progress: &ProgressBar,
) -> Trained<B> {
    let train_cfg = &plan.experiment.train;

    // Variant-major member order: k = variant * seeds + seed index.
    let mut draws: Vec<Vec<Vec<Vec<f64>>>> = vec![Vec::new(); plan.variants.len()];
    let mut order_rngs: Vec<NumpyRng> = seeds
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
    let seed_index: Vec<usize> = (0..members.len()).map(|k| k % seeds.len()).collect();

    let model = Mlp::from_members(&stacked, device);
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
    let probes = &plan.experiment.probes;
    let probe = probe && probes.enabled;
    let probe_set = ProbeSet::new(if probes.set == "train" { &split.train } else { &split.test });
    let probed: Vec<(usize, String)> = plan
        .variants
        .iter()
        .enumerate()
        .map(|(v, planned)| (members.iter().position(|m| m.variant == v).expect("every variant has members"), planned.name.clone()))
        .collect();
    let mut log = ProbeLog::default();
    let last = train_cfg.epochs;
    let observe = |learner: &Learner<B>, epoch: usize, log: &mut ProbeLog| {
        if probe && probes.is_probe_epoch(epoch, last) {
            let host = learner.host_snapshot();
            analysis::training::probe(&host, &probed, &probe_set, epoch, probes, epoch == 0 || epoch == last, log);
        }
    };
    observe(&learner, 0, &mut log);

    for epoch in 1..=train_cfg.epochs {
        let orders: Vec<Vec<usize>> = order_rngs
            .iter_mut()
            .map(|rng| rng.permutation(split.train.len()))
            .collect();
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
        progress.inc(1);
    }
    Trained {
        model: learner.model(),
        engine: learner.engine(),
        members,
        histories,
        seconds,
        probes: log,
    }
}
