//! Measuring beside PyTorch: running its scripts under `benches/`, the machine's measured peak,
//! and rows measured in rounds.

use std::time::Instant;

use crate::median;

/// PyTorch's result from `benches/<script>` with `args`, if python3 has torch.
pub fn pytorch(script: &str, args: &[&str]) -> Option<serde_json::Value> {
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
pub fn peak_gflops<B: burn::tensor::backend::Backend>(device: &B::Device) -> f64 {
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
pub fn of_peak(flops: f64, seconds: f64, peak: f64) -> String {
    format!("{:.0}%", 100.0 * flops / seconds / 1e9 / peak)
}

/// Rounds of a side-by-side measurement: each round measures actlab, then PyTorch, so that a
/// drift in the machine's speed (this shared machine's drifts up to 2x within minutes) falls
/// on both sides of a round's ratio.
pub const ROUNDS: usize = 3;

/// What one side of a row measured per round: seconds and test accuracy.
type Measured = Vec<(f64, f64)>;

/// Measures [`ROUNDS`] rounds of `actlab` then `torch` (PyTorch's JSON, read at `keys`:
/// seconds, accuracy), and prints actlab's row (`label`) and PyTorch's (named by
/// `torch_label`): each side's median seconds, the median of the rounds' ratios with their
/// range, and each side's share of `peak` GFLOP/s for `flops`.
pub fn in_rounds(
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
