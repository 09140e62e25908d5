//! The training schedule of an experiment: the article's initialisation and data-order semantics.
//!
//! For each seed, numpy's global RNG is re-seeded before each variant draws its weights
//! (`np.random.seed(seed)` in every network's constructor); the data order then continues from
//! that global state, one `permutation(n_train)` per epoch shared by every variant.

use std::time::Instant;

use burn::tensor::backend::AutodiffBackend;
use indicatif::ProgressBar;

use crate::{
    config::Plan,
    data::Split,
    learner::{EpochMetrics, EvalSet, History, Learner, batches_for_epoch},
    model::Mlp,
    numpy_rng::NumpyRng,
};

/// A variant after training: its model (one member per seed) and each member's history.
pub struct TrainedVariant<B: AutodiffBackend> {
    pub model: Mlp<B>,
    pub histories: Vec<History>,
    /// Time spent in training steps (evaluation excluded).
    pub seconds: f64,
}

/// Trains every variant of `plan` on `split`, epoch by epoch on shared data orders.
pub fn train_plan<B: AutodiffBackend>(plan: &Plan, split: &Split, device: &B::Device, progress: &ProgressBar) -> Vec<TrainedVariant<B>> {
    let experiment = &plan.experiment;
    let seeds = [experiment.model.seed];
    let train_cfg = &experiment.train;

    let mut member_weights = vec![Vec::new(); plan.variants.len()];
    let mut order_rngs: Vec<NumpyRng> = seeds
        .iter()
        .map(|&seed| {
            let mut global = NumpyRng::new(seed);
            for (weights, variant) in member_weights.iter_mut().zip(&plan.variants) {
                global.seed(seed);
                weights.push(variant.mlp.draw_weights(&mut global));
            }
            global
        })
        .collect();

    let mut learners: Vec<Learner<B>> = plan
        .variants
        .iter()
        .zip(&member_weights)
        .map(|(variant, weights)| Learner::sgd(variant.mlp.init(weights, device), train_cfg.lr))
        .collect();
    let mut histories = vec![vec![History::default(); seeds.len()]; learners.len()];
    let mut seconds = vec![0.0; learners.len()];
    let train_set = EvalSet::new(&split.train, seeds.len(), device);
    let test_set = EvalSet::new(&split.test, seeds.len(), device);

    for epoch in 1..=train_cfg.epochs {
        let orders: Vec<Vec<usize>> = order_rngs.iter_mut().map(|rng| rng.permutation(split.train.len())).collect();
        let batches = batches_for_epoch::<B>(&split.train, &orders, train_cfg.batch_size, device);
        for ((learner, history), secs) in learners.iter_mut().zip(&mut histories).zip(&mut seconds) {
            if !history.iter().any(History::is_active) {
                continue;
            }
            let started = Instant::now();
            let losses = learner.train_epoch(&batches);
            *secs += started.elapsed().as_secs_f64();
            let (_, train_accuracy) = learner.evaluate(&train_set);
            let (test_loss, test_accuracy) = learner.evaluate(&test_set);
            for (member, h) in history.iter_mut().enumerate() {
                h.push(EpochMetrics {
                    epoch,
                    train_loss: losses[member],
                    train_accuracy: train_accuracy[member],
                    test_loss: test_loss[member],
                    test_accuracy: test_accuracy[member],
                }, train_cfg.diverge_above);
            }
        }
        progress.inc(1);
    }

    learners
        .into_iter()
        .zip(histories)
        .zip(seconds)
        .map(|((learner, histories), seconds)| TrainedVariant { model: learner.into_model(), histories, seconds })
        .collect()
}
