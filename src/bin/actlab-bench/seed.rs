//! The seed protocol's rows: the seed experiment on each engine, 30 seeds x 2 activations as
//! one program beside one model after another, and model-steps per second for ensembles of K
//! members.

use std::time::Instant;

use actlab::{
    backend::BackendInfo,
    config::{Plan, find_experiment},
    data::Split,
    fused::FusedSteps,
    learner::{Engine, Epochs, MemberData, OptimizerSpec, Steps},
    model::{Activation, Architecture, Drawn, Init, InitScheme, Network, Nonlinearity},
    numpy_rng::NumpyRng,
    run::train_plan,
};
use burn::tensor::backend::AutodiffBackend;

use crate::{median, usage};

fn seed_plan(engine: Engine) -> Plan {
    let file = find_experiment("sigmoid-vs-relu").expect("the seed experiment exists");
    let mut plan = file
        .load(&[])
        .expect("it parses")
        .check()
        .expect("it is valid");
    plan.experiment.train.engine = engine;
    plan
}

/// Trains `plan` for `seeds` on `split`; panics with the reason if the engine cannot.
fn train<B: AutodiffBackend>(
    plan: &Plan,
    seeds: &[u32],
    split: &Split,
    threads: usize,
    info: &BackendInfo,
    device: &B::Device,
) -> f64 {
    train_plan::<B>(plan, seeds, split, threads, info, device)
        .unwrap_or_else(|e| usage(&e.to_string()))
        .seconds
}

/// Seconds in training steps for the seed experiment, median of `reps`.
fn seed_experiment_seconds<B: AutodiffBackend>(
    engine: Engine,
    reps: usize,
    info: &BackendInfo,
    device: &B::Device,
) -> f64 {
    let plan = seed_plan(engine);
    let split = plan.experiment.data.build().expect("the seed data builds");
    let times = (0..reps).map(|_| train::<B>(&plan, &[42], &split, 1, info, device));
    median(times.collect())
}

/// Seconds to train 30 seeds x 2 variants of the seed protocol as one program on `threads`
/// threads, or (with `alone`) each of the 60 models as its own program, one after another.
fn thirty_seeds_seconds<B: AutodiffBackend>(
    engine: Engine,
    threads: usize,
    alone: bool,
    info: &BackendInfo,
    device: &B::Device,
) -> f64 {
    let plan = seed_plan(engine);
    let split = plan.experiment.data.build().expect("the seed data builds");
    let seeds: Vec<u32> = (42..72).collect();
    let started = Instant::now();
    if !alone {
        train::<B>(&plan, &seeds, &split, threads, info, device);
        return started.elapsed().as_secs_f64();
    }
    for &seed in &seeds {
        for variant in &plan.variants {
            let mut single = plan.clone();
            single.variants = vec![variant.clone()];
            train::<B>(&single, &[seed], &split, 1, info, device);
        }
    }
    started.elapsed().as_secs_f64()
}

/// `k` ReLU members of `arch`, member `s` drawn with `init` from seed `s`.
pub fn relu_members<B: AutodiffBackend>(
    arch: &Architecture,
    k: usize,
    init: InitScheme,
    device: &B::Device,
) -> Network<B> {
    let drawn: Vec<_> = (0..k as u32)
        .map(|s| {
            arch.family
                .draw(arch, &Init::named(init), &mut NumpyRng::new(s))
        })
        .collect();
    let members: Vec<(Nonlinearity, &[Drawn])> = drawn
        .iter()
        .map(|d| (Activation::Relu.into(), d.as_slice()))
        .collect();
    Network::<B>::init(arch, &members, device)
}

/// Model-steps per second training `k` ReLU members of the seed architecture for `epochs`,
/// each with its own data order drawn every epoch.
fn steps_per_second<B: AutodiffBackend>(
    engine: Engine,
    k: usize,
    epochs: usize,
    threads: usize,
    split: &Split,
    device: &B::Device,
) -> f64 {
    let arch = seed_plan(engine).architecture;
    let model = relu_members::<B>(&arch, k, InitScheme::HeNormal, device);
    let data = MemberData::shared(split, k);
    let rates = (0.05, 64);
    let mut steps: Box<dyn Steps<Network<B>>> = match engine {
        Engine::Fused => Box::new(
            FusedSteps::new(&model, OptimizerSpec::sgd(), rates, data, threads, device)
                .expect("a plain MLP"),
        ),
        _ => Box::new(Epochs::new(
            model,
            OptimizerSpec::sgd(),
            rates,
            data,
            1,
            device,
        )),
    };
    let mut rngs: Vec<NumpyRng> = (0..k as u32).map(NumpyRng::new).collect();
    let started = Instant::now();
    for _ in 0..epochs {
        let orders = NumpyRng::permutations(&mut rngs, split.train.len());
        steps.train_epoch(&orders);
    }
    let steps = epochs * split.train.len().div_ceil(64);
    (steps * k) as f64 / started.elapsed().as_secs_f64()
}

/// The seed-protocol tables for `engines` on this backend; `default_backend` (float64 ndarray)
/// adds the slow rows.
pub fn tables<B: AutodiffBackend>(
    engines: &[Engine],
    default_backend: bool,
    device: &B::Device,
    info: &BackendInfo,
    threads: usize,
) {
    // Other backends may be slow software devices (lavapipe): fewer repetitions there.
    let reps = if default_backend { 5 } else { 1 };
    println!(
        "| seed experiment (2 x 4,000 SGD steps, training steps only, median of {reps}) | seconds |\n|---|---|"
    );
    for &engine in engines {
        let seconds = seed_experiment_seconds::<B>(engine, reps, info, device);
        println!("| {engine:?} engine | {seconds:.3} |");
    }

    println!(
        "\n| 30 seeds x 2 activations of the seed protocol (240,000 member-steps) | seconds |\n|---|---|"
    );
    for &engine in engines.iter().rev() {
        let together = thirty_seeds_seconds::<B>(engine, threads, false, info, device);
        println!(
            "| {engine:?} engine: the 60 models in one program ({threads} threads) | {together:.2} |"
        );
        if default_backend {
            let one = thirty_seeds_seconds::<B>(engine, 1, false, info, device);
            println!("| {engine:?} engine: the 60 models in one program (1 thread) | {one:.2} |");
            let alone = thirty_seeds_seconds::<B>(engine, 1, true, info, device);
            println!(
                "| {engine:?} engine: the 60 models one after another | {alone:.2} ({:.1}x slower) |",
                alone / together
            );
        }
    }

    let split = seed_plan(Engine::Auto)
        .experiment
        .data
        .build()
        .expect("the seed data builds");
    println!(
        "\n| engine | K | model-steps/s, 1 thread | model-steps/s, {threads} threads | vs K = 1 (1 thread) |\n|---|---|---|---|---|"
    );
    for &engine in engines {
        // About this many member-steps per measurement: long enough to time, short
        // enough to wait for.
        let budget = match engine {
            Engine::Burn if default_backend => 24_000,
            Engine::Burn => 4_800,
            _ => 480_000,
        };
        let epochs = |k: usize| (budget / (5 * k)).max(20);
        let rate =
            |k, threads| steps_per_second::<B>(engine, k, epochs(k), threads, &split, device);
        let single = rate(1, 1);
        for k in [1, 8, 64, 256] {
            let one = if k == 1 { single } else { rate(k, 1) };
            let all = rate(k, threads);
            println!(
                "| {engine:?} | {k} | {one:.0} | {all:.0} | {:.1}x |",
                all / single
            );
        }
    }
}
