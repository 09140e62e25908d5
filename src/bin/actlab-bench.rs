//! Training-speed benchmarks, printed as a markdown table (`just bench`).
//!
//! Measures the seed experiment (2 networks x 4,000 SGD steps) on each engine, and model-steps
//! per second for ensembles of K members trained as one program, beside training the same K
//! models one after another.

use std::time::Instant;

use actlab::{
    backend::{self, Train},
    config::{Plan, find_experiment, load_experiment},
    data::Split,
    learner::{Engine, Learner},
    model::{Activation, InitScheme, MlpConfig},
    numpy_rng::NumpyRng,
    run::train_plan,
};
use indicatif::ProgressBar;

/// Training allocates and frees many small and mid-sized tensors per step; mimalloc keeps
/// them out of the system allocator's mmap/munmap path.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn seed_plan(engine: Engine) -> Plan {
    let path = find_experiment("sigmoid-vs-relu").expect("the seed experiment exists");
    let mut plan = load_experiment(&path, &[])
        .expect("it parses")
        .check()
        .expect("it is valid");
    plan.experiment.train.engine = engine;
    plan
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Seconds in training steps for the seed experiment, median of `reps`.
fn seed_experiment_seconds(engine: Engine, reps: usize) -> f64 {
    let plan = seed_plan(engine);
    let split = plan.experiment.data.build();
    let device = backend::device();
    median(
        (0..reps)
            .map(|_| {
                train_plan::<Train>(&plan, &[42], &split, 1, &device, &ProgressBar::hidden())
                    .seconds
            })
            .collect(),
    )
}

/// Model-steps per second training `k` ReLU members of the seed architecture for `epochs`.
fn steps_per_second(engine: Engine, k: usize, epochs: usize, threads: usize, split: &Split) -> f64 {
    let device = backend::device();
    let mlp = MlpConfig {
        input: 2,
        hidden: vec![8, 8],
        activation: Activation::Relu,
        init: InitScheme::HeNormal,
    };
    let weights: Vec<_> = (0..k as u32)
        .map(|s| mlp.draw_weights(&mut NumpyRng::new(s)))
        .collect();
    let mut learner = Learner::<Train>::sgd(
        mlp.init(&weights, &device),
        engine,
        0.05,
        64,
        split,
        threads,
        &device,
    );
    let mut rngs: Vec<NumpyRng> = (0..k as u32).map(NumpyRng::new).collect();
    let started = Instant::now();
    for _ in 0..epochs {
        let orders = NumpyRng::permutations(&mut rngs, split.train.len());
        learner.train_epoch(&orders);
    }
    let steps = epochs * split.train.len().div_ceil(64);
    (steps * k) as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let engines: Vec<Engine> = match std::env::args().nth(1).as_deref() {
        None => vec![Engine::Burn, Engine::Fused],
        Some("fused") => vec![Engine::Fused],
        Some("burn") => vec![Engine::Burn],
        Some(other) => {
            eprintln!("unknown engine `{other}`; allowed: fused, burn (or nothing for both)");
            std::process::exit(2);
        }
    };
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "actlab {} benchmarks, {threads} cores, backend {} {}\n",
        env!("CARGO_PKG_VERSION"),
        backend::BackendInfo::current().backend,
        backend::BackendInfo::current().precision
    );
    println!(
        "| seed experiment (2 x 4,000 SGD steps, training steps only, median of 5) | seconds |\n|---|---|"
    );
    for &engine in &engines {
        println!(
            "| {engine:?} engine | {:.3} |",
            seed_experiment_seconds(engine, 5)
        );
    }

    println!(
        "\n| 30 seeds x 2 activations of the seed protocol (240,000 member-steps) | seconds |\n|---|---|"
    );
    for &engine in engines.iter().rev() {
        let plan = seed_plan(engine);
        let split = plan.experiment.data.build();
        let device = backend::device();
        let seeds: Vec<u32> = (42..72).collect();
        let started = Instant::now();
        train_plan::<Train>(
            &plan,
            &seeds,
            &split,
            threads,
            &device,
            &ProgressBar::hidden(),
        );
        let together = started.elapsed().as_secs_f64();
        let started = Instant::now();
        train_plan::<Train>(&plan, &seeds, &split, 1, &device, &ProgressBar::hidden());
        let together_one = started.elapsed().as_secs_f64();
        let started = Instant::now();
        for &seed in &seeds {
            for v in 0..plan.variants.len() {
                let mut single = plan.clone();
                single.variants = vec![plan.variants[v].clone()];
                train_plan::<Train>(&single, &[seed], &split, 1, &device, &ProgressBar::hidden());
            }
        }
        let alone = started.elapsed().as_secs_f64();
        println!(
            "| {engine:?} engine: the 60 models in one program ({threads} threads) | {together:.2} |"
        );
        println!(
            "| {engine:?} engine: the 60 models in one program (1 thread) | {together_one:.2} |"
        );
        println!(
            "| {engine:?} engine: the 60 models one after another | {alone:.2} ({:.1}x slower) |",
            alone / together
        );
    }

    let split = seed_plan(Engine::Auto).experiment.data.build();
    println!(
        "\n| engine | K | model-steps/s, 1 thread | model-steps/s, {threads} threads | vs K = 1 (1 thread) |\n|---|---|---|---|---|"
    );
    for &engine in &engines {
        // About this many member-steps per measurement: long enough to time, short enough to wait.
        let budget = if engine == Engine::Burn {
            24_000
        } else {
            480_000
        };
        let epochs = |k: usize| (budget / (5 * k)).max(20);
        let single = steps_per_second(engine, 1, epochs(1), 1, &split);
        for k in [1, 8, 64, 256] {
            let one = if k == 1 {
                single
            } else {
                steps_per_second(engine, k, epochs(k), 1, &split)
            };
            let all = steps_per_second(engine, k, epochs(k), threads, &split);
            println!(
                "| {engine:?} | {k} | {one:.0} | {all:.0} | {:.1}x |",
                all / single
            );
        }
    }
}
