//! The GPT row: seconds per training step of the `tiny-shakespeare` recipe (nanoGPT's CPU run),
//! beside PyTorch eager's (`benches/pytorch_gpt.py`) on the same machine in the same run.

use std::time::Instant;

use actlab::{backend::BackendInfo, config::find_experiment, numpy_rng::NumpyRng};
use burn::tensor::backend::AutodiffBackend;

use crate::{
    median,
    pytorch::{of_peak, peak_gflops, pytorch},
    usage,
};

/// Seconds per training step of the `tiny-shakespeare` recipe: `warmup` untimed steps, then
/// the median over `reps` blocks of `steps` timed ones (each block from a fresh model), as
/// `benches/pytorch_gpt.py` times PyTorch; the last loss as a check.
fn gpt_step_seconds<B: AutodiffBackend>(device: &B::Device) -> (f64, f64, usize) {
    use actlab::lm::{
        batches::{draw_starts, windows},
        learner::{self, LmLearner},
    };
    let (warmup, steps, reps) = (10, 200, 3);
    let file = find_experiment("tiny-shakespeare").unwrap_or_else(|e| usage(&e.to_string()));
    let (plan, corpus) = actlab::lm::parse(&file.text, "tiny-shakespeare", &[])
        .and_then(|e| actlab::lm::prepare(e, "tiny-shakespeare"))
        .unwrap_or_else(|e| usage(&e.to_string()));
    let (model, t) = (&plan.variants[0].1, &plan.experiment.train);
    let (train, _) = corpus.split();
    let mut loss = 0.0;
    let times = (0..reps).map(|_| {
        let gpt = actlab::model::gpt::Gpt::<B>::init(model, 1337, device);
        let mut learner = learner::learner(gpt, t);
        let mut rng = NumpyRng::new(1337);
        let mut step = |learner: &mut LmLearner<B>| {
            let starts = draw_starts(&mut rng, train.len(), model.block_size, t.batch_size);
            let batch = windows::<B>(train, &starts, model.block_size, device);
            learner::step(learner, &batch, t.lr)
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

/// The GPT table on this backend.
pub fn table<B: AutodiffBackend>(device: &B::Device, info: &BackendInfo, threads: usize) {
    let peak = peak_gflops::<B::InnerBackend>(device);
    let (seconds, loss, parameters) = gpt_step_seconds::<B>(device);
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
}
