//! Training-speed benchmarks, printed as a markdown table (`just bench`).
//!
//! Measures the seed experiment (2 networks x 4,000 SGD steps) on each engine, 30 seeds x 2
//! activations as one program beside one model after another, and model-steps per second for
//! ensembles of K members. `actlab-bench [fused|burn] [--backend NAME]`: one engine only, or the
//! Burn engine on another backend (e.g. `wgpu`, when built with its feature).
//! `actlab-bench fashion [--backend NAME]`: one epoch of a Fashion-MNIST MLP 784-256-256-10
//! (batch 128, 60,000 images) on the Burn engine, beside PyTorch's in the same run
//! (`benches/pytorch_fashion.py`, same dtype and threads). Every such row gives its time as a
//! share of the machine's measured peak (a 1024^3 product through the layers' own product).
//! `actlab-bench gpt [--backend NAME]`: seconds per training step of the `tiny-shakespeare`
//! recipe (nanoGPT's CPU run), beside PyTorch eager's on the same machine in the same run
//! (`benches/pytorch_gpt.py`, when python3 with torch is there); default backend ndarray-f32.
//! `actlab-bench pytorch`: every row measured beside PyTorch, one after another (the
//! Fashion-MNIST tables in float32 and float64, then the GPT step).

use std::time::Instant;

use actlab::{
    backend::{self, BackendChoice, BackendInfo, BackendTask},
    config::{Plan, find_experiment, parse_experiment},
    data::Split,
    fused::{FusedSteps, InstructionSet},
    learner::{Engine, Learner, MemberData, Objective, OptimizerSpec, Steps},
    model::{Activation, Architecture, Drawn, Init, InitScheme, Network, Nonlinearity},
    numpy_rng::NumpyRng,
    run::train_plan,
};
use burn::tensor::backend::AutodiffBackend;

/// Training allocates and frees many small and mid-sized tensors per step; mimalloc keeps
/// them out of the system allocator's mmap/munmap path.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
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
fn relu_members<B: AutodiffBackend>(
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
        _ => Box::new(Learner::new(
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
    let mut steps = Learner::new(
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

/// Seconds per training step of the `tiny-shakespeare` recipe: `warmup` untimed steps, then
/// the median over `reps` blocks of `steps` timed ones (each block from a fresh model), as
/// `benches/pytorch_gpt.py` times PyTorch; the last loss as a check.
fn gpt_step_seconds<B: AutodiffBackend>(device: &B::Device) -> (f64, f64, usize) {
    use actlab::lm::{
        batches::{draw_starts, windows},
        learner::{AdamWSpec, LmLearner},
    };
    let (warmup, steps, reps) = (10, 200, 3);
    let file = find_experiment("tiny-shakespeare").unwrap_or_else(|e| usage(&e.to_string()));
    let (plan, corpus) = actlab::lm::parse(&file.text, "tiny-shakespeare", &[])
        .and_then(|e| actlab::lm::prepare(e, "tiny-shakespeare"))
        .unwrap_or_else(|e| usage(&e.to_string()));
    let (model, t) = (&plan.variants[0].1, &plan.experiment.train);
    let spec = AdamWSpec {
        betas: t.betas,
        weight_decay: t.weight_decay,
        grad_clip: t.grad_clip,
    };
    let (train, _) = corpus.split();
    let mut loss = 0.0;
    let times = (0..reps).map(|_| {
        let gpt = actlab::model::gpt::Gpt::<B>::init(model, 1337, device);
        let mut learner = LmLearner::new(gpt, &spec);
        let mut rng = NumpyRng::new(1337);
        let mut step = |learner: &mut LmLearner<B>| {
            let starts = draw_starts(&mut rng, train.len(), model.block_size, t.batch_size);
            let batch = windows::<B>(train, &starts, model.block_size, device);
            learner.step(&batch, t.lr)
        };
        for _ in 0..warmup {
            step(&mut learner);
        }
        let started = Instant::now();
        let mut last = None;
        for _ in 0..steps {
            last = Some(step(&mut learner));
        }
        loss = actlab::learner::to_host(last.expect("steps > 0"))[0];
        started.elapsed().as_secs_f64() / steps as f64
    });
    (median(times.collect()), loss, model.parameters())
}

/// PyTorch's result from `benches/<script>` with `args`, if python3 has torch.
fn pytorch(script: &str, args: &[&str]) -> Option<serde_json::Value> {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches")
        .join(script);
    let out = std::process::Command::new("python3")
        .arg(script)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!(
            "PyTorch row skipped: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
        return None;
    }
    serde_json::from_slice(&out.stdout).ok()
}

/// The machine's measured peak for this backend, in GFLOP/s: the median of 5 products of two
/// 1024 x 1024 matrices through the layers' own product (every thread it uses).
fn peak_gflops<B: burn::tensor::backend::Backend>(device: &B::Device) -> f64 {
    use burn::tensor::{Distribution, Tensor};
    let n = 1024;
    let a = Tensor::<B, 2>::random([n, n], Distribution::Default, device);
    let b = Tensor::<B, 2>::random([n, n], Distribution::Default, device);
    let product = || {
        let started = Instant::now();
        let c = actlab::product::matmul(a.clone(), b.clone());
        let _ = c.into_data();
        started.elapsed().as_secs_f64()
    };
    product();
    let seconds = median((0..5).map(|_| product()).collect());
    2.0 * (n * n * n) as f64 / seconds / 1e9
}

/// `flops` in `seconds` as a percentage of `peak` GFLOP/s.
fn of_peak(flops: f64, seconds: f64, peak: f64) -> String {
    format!("{:.0}%", 100.0 * flops / seconds / 1e9 / peak)
}

/// The benchmark tables for `engines` on one backend.
struct Bench {
    engines: Vec<Engine>,
    /// Whether the backend is the default float64 ndarray one (the slow rows run only there
    /// and on fast devices are left to the user).
    default_backend: bool,
    /// Only the Fashion-MNIST row.
    fashion: bool,
    /// Only the GPT row.
    gpt: bool,
}

impl Bench {
    /// The many-seeds row: 10 members trained together in one program on the Burn engine
    /// (the fused one trains one sigmoid output only), beside PyTorch training the 10 one
    /// after another (how a PyTorch user runs seeds).
    fn fashion_seeds<B: AutodiffBackend>(
        &self,
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
}

/// Rounds of a side-by-side measurement: each round measures actlab, then PyTorch, so that a
/// drift in the machine's speed (this shared machine's drifts up to 2x within minutes) falls
/// on both sides of a round's ratio.
const ROUNDS: usize = 3;

/// What one side of a row measured per round: seconds and test accuracy.
type Measured = Vec<(f64, f64)>;

/// Measures [`ROUNDS`] rounds of `actlab` then `torch` (PyTorch's JSON, read at `keys`:
/// seconds, accuracy), and prints actlab's row (`label`) and PyTorch's (named by
/// `torch_label`): each side's median seconds, the median of the rounds' ratios with their
/// range, and each side's share of `peak` GFLOP/s for `flops`.
fn in_rounds(
    label: &str,
    mut actlab: impl FnMut() -> (f64, f64),
    mut torch: impl FnMut() -> Option<serde_json::Value>,
    keys: [&str; 2],
    torch_label: impl Fn(&serde_json::Value) -> String,
    (flops, peak): (f64, f64),
) {
    let (mut ours, mut theirs): (Measured, Measured) = (Vec::new(), Vec::new());
    let mut described = None;
    for _ in 0..ROUNDS {
        ours.push(actlab());
        let Some(t) = torch() else { break };
        let (Some(seconds), accuracy) = (t[keys[0]].as_f64(), t[keys[1]].as_f64()) else {
            break;
        };
        theirs.push((seconds, accuracy.unwrap_or(f64::NAN)));
        described = Some(torch_label(&t));
    }
    let seconds = |m: &Measured| median(m.iter().map(|r| r.0).collect());
    let ours_seconds = seconds(&ours);
    let ratio = if theirs.len() == ROUNDS {
        let ratios: Vec<f64> = ours.iter().zip(&theirs).map(|(o, t)| o.0 / t.0).collect();
        let (lo, hi) = ratios.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &r| {
            (lo.min(r), hi.max(r))
        });
        format!("{:.2}x ({lo:.2} to {hi:.2})", median(ratios))
    } else {
        "n/a".into()
    };
    println!(
        "| {label} | {ours_seconds:.2} | {:.1}% | {ratio} | {} |",
        100.0 * ours[0].1,
        of_peak(flops, ours_seconds, peak)
    );
    match described.filter(|_| theirs.len() == ROUNDS) {
        Some(name) => {
            let p = seconds(&theirs);
            println!(
                "| {name} | {p:.2} | {:.1}% | 1.00x | {} |",
                100.0 * theirs[0].1,
                of_peak(flops, p, peak)
            );
        }
        None => println!("| PyTorch | not run (python3 with torch not found) | | | |"),
    }
}

impl BackendTask for Bench {
    type Output = ();

    fn run<B: AutodiffBackend>(self, device: B::Device, info: BackendInfo) {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let simd = InstructionSet::in_use().unwrap_or_else(|e: String| usage(&e));
        println!(
            "actlab {} benchmarks, {threads} cores, backend {} {} ({}), fused kernel: {}\n",
            env!("CARGO_PKG_VERSION"),
            info.backend,
            info.precision,
            info.device,
            simd.name()
        );
        if self.gpt {
            let peak = peak_gflops::<B::InnerBackend>(&device);
            let (seconds, loss, parameters) = gpt_step_seconds::<B>(&device);
            // nanoGPT's estimate of a step's work: 6 N + 12 L C T per token, 12 x 64 tokens.
            let flops = 768.0 * (6.0 * parameters as f64 + 12.0 * 4.0 * 128.0 * 64.0);
            println!(
                "| tiny-shakespeare recipe (GPT 4x4x128, context 64, batch 12, AdamW; {parameters} parameters), seconds per step, median of 3 x 200 | seconds | tokens/s | loss after 210 steps | ratio to PyTorch | of peak ({peak:.0} GFLOP/s) |\n|---|---|---|---|---|---|"
            );
            let torch = pytorch("pytorch_gpt.py", &["--threads", &threads.to_string()]);
            let torch_seconds = torch
                .as_ref()
                .and_then(|t| t["seconds_per_iter_median"].as_f64());
            let ratio = torch_seconds.map_or("n/a".into(), |p| format!("{:.2}x", seconds / p));
            println!(
                "| actlab, Burn {} {} ({threads} threads) | {seconds:.4} | {:.0} | {loss:.3} | {ratio} | {} |",
                info.backend,
                info.precision,
                768.0 / seconds,
                of_peak(flops, seconds, peak)
            );
            match (torch, torch_seconds) {
                (Some(t), Some(p)) => println!(
                    "| PyTorch {} eager, {} threads | {p:.4} | {:.0} | {:.3} | 1.00x | {} |",
                    t["version"].as_str().unwrap_or("?"),
                    t["threads"],
                    768.0 / p,
                    t["final_loss"].as_f64().unwrap_or(f64::NAN),
                    of_peak(flops, p, peak)
                ),
                _ => println!("| PyTorch | not run (python3 with torch not found) | | | | |"),
            }
            return;
        }
        if self.fashion {
            let reps = 3;
            let peak = peak_gflops::<B::InnerBackend>(&device);
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
                || fashion_epoch_seconds::<B>(&fashion, reps, &device),
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
            self.fashion_seeds::<B>(&fashion, (flops, peak), dtype, &info, &device);
            return;
        }
        // Other backends may be slow software devices (lavapipe): fewer repetitions there.
        let reps = if self.default_backend { 5 } else { 1 };
        println!(
            "| seed experiment (2 x 4,000 SGD steps, training steps only, median of {reps}) | seconds |\n|---|---|"
        );
        for &engine in &self.engines {
            let seconds = seed_experiment_seconds::<B>(engine, reps, &info, &device);
            println!("| {engine:?} engine | {seconds:.3} |");
        }

        println!(
            "\n| 30 seeds x 2 activations of the seed protocol (240,000 member-steps) | seconds |\n|---|---|"
        );
        for &engine in self.engines.iter().rev() {
            let together = thirty_seeds_seconds::<B>(engine, threads, false, &info, &device);
            println!(
                "| {engine:?} engine: the 60 models in one program ({threads} threads) | {together:.2} |"
            );
            if self.default_backend {
                let one = thirty_seeds_seconds::<B>(engine, 1, false, &info, &device);
                println!(
                    "| {engine:?} engine: the 60 models in one program (1 thread) | {one:.2} |"
                );
                let alone = thirty_seeds_seconds::<B>(engine, 1, true, &info, &device);
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
        for &engine in &self.engines {
            // About this many member-steps per measurement: long enough to time, short
            // enough to wait for.
            let budget = match engine {
                Engine::Burn if self.default_backend => 24_000,
                Engine::Burn => 4_800,
                _ => 480_000,
            };
            let epochs = |k: usize| (budget / (5 * k)).max(20);
            let rate =
                |k, threads| steps_per_second::<B>(engine, k, epochs(k), threads, &split, &device);
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
}

fn usage(message: &str) -> ! {
    eprintln!("{message}\nusage: actlab-bench [fused|burn|fashion|gpt|pytorch] [--backend NAME]");
    std::process::exit(2);
}

/// Every row measured beside PyTorch, one after another: the Fashion-MNIST tables in float32
/// and float64 (one epoch, and 10 seeds), then the GPT step.
fn every_row_beside_pytorch() {
    let runs = [
        (BackendChoice::NdarrayF32, true, false),
        (BackendChoice::Ndarray, true, false),
        (BackendChoice::NdarrayF32, false, true),
    ];
    for (choice, fashion, gpt) in runs {
        let bench = Bench {
            engines: vec![Engine::Burn],
            default_backend: false,
            fashion,
            gpt,
        };
        if let Err(e) = backend::dispatch(choice, bench) {
            eprintln!("{e}");
            std::process::exit(1);
        }
        println!();
    }
}

fn main() {
    let mut engines = vec![Engine::Burn, Engine::Fused];
    let mut choice = BackendChoice::Ndarray;
    let mut fashion = false;
    let mut gpt = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "pytorch" => return every_row_beside_pytorch(),
            "fused" => engines = vec![Engine::Fused],
            "burn" => engines = vec![Engine::Burn],
            "fashion" => {
                fashion = true;
                engines = vec![Engine::Burn];
            }
            "gpt" => {
                gpt = true;
                engines = vec![Engine::Burn];
                choice = BackendChoice::NdarrayF32;
            }
            "--backend" => {
                let name = args
                    .next()
                    .unwrap_or_else(|| usage("--backend needs a name"));
                choice = name.parse().unwrap_or_else(|e: String| usage(&e));
            }
            other => usage(&format!(
                "unknown argument `{other}`; allowed: fused, burn, fashion, gpt, pytorch, --backend NAME"
            )),
        }
    }
    let default_backend = choice == BackendChoice::Ndarray;
    if !default_backend && !fashion && !gpt {
        // The fused engine computes in float64 on the CPU whatever the backend.
        engines.retain(|&e| e == Engine::Burn);
        if engines.is_empty() {
            usage("the fused engine runs on the CPU in float64 only; bench it without --backend");
        }
    }
    let bench = Bench {
        engines,
        default_backend,
        fashion,
        gpt,
    };
    if let Err(e) = backend::dispatch(choice, bench) {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
