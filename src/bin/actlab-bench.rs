//! Training-speed benchmarks, printed as a table (`just bench`).

use std::time::Instant;

use actlab::{
    backend::{self, Train},
    config::{Plan, load_experiment},
    learner::{EvalSet, Learner, batches_for_epoch},
    model::{Activation, InitScheme, MlpConfig},
    numpy_rng::NumpyRng,
    run::train_plan,
};
use indicatif::ProgressBar;

/// Training allocates and frees many small and mid-sized tensors per step; mimalloc keeps
/// them out of the system allocator's mmap/munmap path.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn seed_plan() -> Plan {
    let path = actlab::config::find_experiment("sigmoid-vs-relu").expect("the seed experiment exists");
    load_experiment(&path, &[]).expect("it parses").check().expect("it is valid")
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Model-steps per second for `k` members trained together on the seed protocol's data.
fn ensemble_steps_per_second(k: usize, epochs: usize) -> f64 {
    let plan = seed_plan();
    let split = plan.experiment.data.build();
    let device = backend::device();
    let mlp = MlpConfig { input: 2, hidden: vec![8, 8], activation: Activation::Relu, init: InitScheme::HeNormal };
    let weights: Vec<_> = (0..k as u32).map(|s| mlp.draw_weights(&mut NumpyRng::new(s))).collect();
    let mut learner = Learner::<Train>::sgd(mlp.init(&weights, &device), 0.05);
    let mut rngs: Vec<NumpyRng> = (0..k as u32).map(NumpyRng::new).collect();
    let _ = EvalSet::<backend::Eval>::new(&split.test, k, &device);
    let started = Instant::now();
    let mut steps = 0;
    for _ in 0..epochs {
        let orders: Vec<Vec<usize>> = rngs.iter_mut().map(|r| r.permutation(split.train.len())).collect();
        let batches = batches_for_epoch::<Train>(&split.train, &orders, 64, &device);
        steps += batches.len();
        learner.train_epoch(&batches);
    }
    (steps * k) as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let plan = seed_plan();
    let split = plan.experiment.data.build();
    let device = backend::device();
    let runs: Vec<(f64, f64)> = (0..5)
        .map(|_| {
            let started = Instant::now();
            let trained = train_plan::<Train>(&plan, &[plan.experiment.model.seed], &split, &device, &ProgressBar::hidden());
            (trained.seconds, started.elapsed().as_secs_f64())
        })
        .collect();
    println!("| benchmark | value |\n|---|---|");
    println!("| seed experiment, training steps (2 x 4,000 SGD steps), median of 5 | {:.3} s |", median(runs.iter().map(|r| r.0).collect()));
    println!("| seed experiment, with per-epoch evaluation, median of 5 | {:.3} s |", median(runs.iter().map(|r| r.1).collect()));
    let base = ensemble_steps_per_second(1, 200);
    for k in [1, 8, 64, 256] {
        let rate = if k == 1 { base } else { ensemble_steps_per_second(k, 200) };
        println!("| K = {k} members in one program | {rate:.0} model-steps/s ({:.1}x K = 1) |", rate / base);
    }
}
