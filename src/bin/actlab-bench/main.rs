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

mod fashion;
mod gpt;
mod pytorch;
mod seed;

use actlab::{
    backend::{self, BackendChoice, BackendInfo, BackendTask},
    fused::InstructionSet,
    learner::Engine,
};
use burn::tensor::backend::AutodiffBackend;

/// Training allocates and frees many small and mid-sized tensors per step; mimalloc keeps
/// them out of the system allocator's mmap/munmap path.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The median of `xs` (the upper middle value of an even count).
fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
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
            gpt::table::<B>(&device, &info, threads);
        } else if self.fashion {
            fashion::table::<B>(&device, &info, threads);
        } else {
            seed::tables::<B>(&self.engines, self.default_backend, &device, &info, threads);
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
