//! The Fashion-MNIST rows: one epoch of a 784-256-256-10 MLP, and 10 seeds of it trained in
//! one program, each beside PyTorch's (`benches/pytorch_fashion.py`, same dtype and threads).

use actlab::{
    backend::BackendInfo,
    config::{Plan, parse_experiment},
    data::Split,
    learner::{Epochs, MemberData, Objective, OptimizerSpec, Steps},
    model::InitScheme,
    numpy_rng::NumpyRng,
};
use burn::tensor::backend::AutodiffBackend;
use std::time::Instant;

use crate::{
    median,
    pytorch::{ROUNDS, in_rounds, peak_gflops, pytorch},
    seed::relu_members,
    usage,
};

/// The Fashion-MNIST row: the same network, optimizer and batches as `benches/pytorch_fashion.py`.
const FASHION: &str = r#"
name = "fashion-benchmark"
question = "How long does one epoch of a 784-256-256-10 MLP take?"
[data]
kind = "fashion-mnist"
seed = 0
scaling = "unit"
[model]
hidden = [256, 256]
seed = 0
[train]
optimizer = "sgd"
lr = 0.05
epochs = 1
batch_size = 128
engine = "burn"
[[variants]]
name = "relu"
activation = "relu"
init = "standard-uniform"
"#;

/// The Fashion-MNIST benchmark's plan and data, loaded and scaled (outside any timing).
fn fashion_plan() -> (Plan, Split) {
    let plan = parse_experiment(FASHION, "the Fashion-MNIST benchmark", &[])
        .and_then(|e| e.check())
        .unwrap_or_else(|e| usage(&e.to_string()));
    let split = plan
        .experiment
        .data
        .build()
        .unwrap_or_else(|e| usage(&e.to_string()));
    (plan, split)
}

/// Trains `k` members of the Fashion-MNIST MLP for one epoch in one program on the Burn
/// engine, member `s` drawn from seed `s` and visiting the data in seed `s`'s order; returns
/// the seconds in training steps and the members' mean test accuracy.
fn fashion_members<B: AutodiffBackend>(
    (plan, split): &(Plan, Split),
    k: usize,
    device: &B::Device,
) -> (f64, f64) {
    let model = relu_members::<B>(&plan.architecture, k, InitScheme::StandardUniform, device);
    let data = MemberData::shared(split, k);
    let mut steps = Epochs::new(
        model,
        OptimizerSpec::sgd(),
        (0.05, 128),
        data,
        Objective::outputs(split.classes),
        device,
    );
    let mut rngs: Vec<NumpyRng> = (0..k as u32).map(NumpyRng::new).collect();
    let orders = NumpyRng::permutations(&mut rngs, split.train.len());
    let started = Instant::now();
    steps.train_epoch(&orders);
    let seconds = started.elapsed().as_secs_f64();
    let accuracy = steps.evaluate().test_accuracy;
    (seconds, accuracy.iter().sum::<f64>() / k as f64)
}

/// Seconds for one epoch of the Fashion-MNIST MLP (training steps only: the data are loaded
/// and scaled before the clock starts), median of `reps`; the final test accuracy as a check.
fn fashion_epoch_seconds<B: AutodiffBackend>(
    fashion: &(Plan, Split),
    reps: usize,
    device: &B::Device,
) -> (f64, f64) {
    let runs: Vec<(f64, f64)> = (0..reps)
        .map(|_| fashion_members::<B>(fashion, 1, device))
        .collect();
    let seconds = median(runs.iter().map(|r| r.0).collect());
    (seconds, runs[0].1)
}

/// The Fashion-MNIST tables on this backend.
pub fn table<B: AutodiffBackend>(device: &B::Device, info: &BackendInfo, threads: usize) {
    let reps = 3;
    let peak = peak_gflops::<B::InnerBackend>(device);
    let fashion = fashion_plan();
    // Multiply-adds x 2 of an epoch: the forward products, every weight gradient, and
    // the gradients of the two hidden layers' inputs.
    let forward = 784.0 * 256.0 + 256.0 * 256.0 + 256.0 * 10.0;
    let flops = 2.0 * 60_000.0 * (2.0 * forward + 256.0 * 256.0 + 256.0 * 10.0);
    println!(
        "| Fashion-MNIST MLP 784-256-256-10, SGD, batch 128, one epoch of 60,000 (training steps, median of {reps}; medians of {ROUNDS} rounds, each actlab then PyTorch) | seconds | test accuracy after | ratio to PyTorch (median, range) | of peak ({peak:.0} GFLOP/s) |\n|---|---|---|---|---|"
    );
    let dtype = if info.precision == "f64" {
        "float64"
    } else {
        "float32"
    };
    let threads_arg = threads.to_string();
    in_rounds(
        &format!(
            "actlab, Burn {} {} ({threads} threads)",
            info.backend, info.precision
        ),
        || fashion_epoch_seconds::<B>(&fashion, reps, device),
        || {
            pytorch(
                "pytorch_fashion.py",
                &["--threads", &threads_arg, "--dtype", dtype],
            )
        },
        ["seconds_per_epoch_median", "test_accuracy"],
        |t| {
            format!(
                "PyTorch {} {dtype}, {} threads",
                t["version"].as_str().unwrap_or("?"),
                t["threads"]
            )
        },
        (flops, peak),
    );
    seeds_table::<B>(&fashion, (flops, peak), dtype, info, device);
}

/// The many-seeds row: 10 members trained together in one program on the Burn engine
/// (the fused one trains one sigmoid output only), beside PyTorch training the 10 one
/// after another (how a PyTorch user runs seeds).
fn seeds_table<B: AutodiffBackend>(
    fashion: &(Plan, Split),
    (flops, peak): (f64, f64),
    dtype: &str,
    info: &BackendInfo,
    device: &B::Device,
) {
    const SEEDS: usize = 10;
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "\n| {SEEDS} seeds of the same MLP, one epoch each (training steps; medians of {ROUNDS} rounds, each actlab then PyTorch) | seconds | mean test accuracy | ratio to PyTorch (median, range) | of peak ({peak:.0} GFLOP/s) |\n|---|---|---|---|---|"
    );
    let args = [
        "--threads".to_string(),
        threads.to_string(),
        "--dtype".into(),
        dtype.into(),
        "--seeds".into(),
        SEEDS.to_string(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    in_rounds(
        &format!(
            "actlab, Burn {} {}, the {SEEDS} in one program ({threads} threads)",
            info.backend, info.precision
        ),
        || fashion_members::<B>(fashion, SEEDS, device),
        || pytorch("pytorch_fashion.py", &args),
        ["seconds_all_seeds", "mean_test_accuracy"],
        |t| {
            format!(
                "PyTorch {} {dtype}, {} threads, the {SEEDS} one after another",
                t["version"].as_str().unwrap_or("?"),
                t["threads"]
            )
        },
        (flops * SEEDS as f64, peak),
    );
}
