//! Per-layer statistics against hand-worked tensors and finite differences, and probes that
//! leave training untouched.

mod common;

use std::process::Command;

use actlab::{
    analysis::layer_stats::{
        correlation, dead_fraction, distance_preservation, distribution, histogram,
        mean_derivative, pairwise_distances, saturation, zero_fraction,
    },
    backend::{self, Eval},
    data::Dataset,
    learner::{FusedEnsemble, OptimizerSpec},
    model::{Activation, InitScheme, MlpConfig},
    numpy_rng::NumpyRng,
};
use common::temp_dir;

/// A 3x4 sigmoid activation matrix (3 samples, 4 units), worked out by hand below.
const A: [f64; 12] = [
    0.0, 0.5, 1.0, 0.02, 0.97, 0.5, 0.3, 0.0, 0.1, 0.5, 0.99, 0.0,
];
/// A 3x4 ReLU activation matrix: unit 1 is never positive.
const R: [f64; 12] = [0.0, 2.0, 0.0, 1.0, 0.0, 0.0, 3.0, 1.0, 0.0, 1.0, 0.0, 0.0];

#[test]
fn distribution_of_a_hand_worked_matrix() {
    // Sum 4.88 over 12 values: mean 0.406667. Sum of squares 3.7714, so the population
    // variance is 3.7714 / 12 - 0.406667^2 = 0.148906 and the std 0.385883.
    // Sorted: 0 0 0 .02 .1 .3 .5 .5 .5 .97 .99 1. Linear percentiles at (n - 1) q:
    // p2 -> 0.22 between 0 and 0 = 0; p50 -> 5.5 between .3 and .5 = .4;
    // p98 -> 10.78 between .99 and 1 = .9978.
    let d = distribution(&A);
    assert!((d.mean - 0.406_666_7).abs() < 1e-6);
    assert!((d.std - 0.385_882_8).abs() < 1e-6);
    assert!(
        (d.mean_abs - d.mean).abs() < 1e-15,
        "all values are non-negative"
    );
    assert_eq!((d.min, d.max), (0.0, 1.0));
    assert_eq!(d.p2, 0.0);
    assert!((d.p50 - 0.4).abs() < 1e-12);
    assert!((d.p98 - 0.9978).abs() < 1e-12);
}

#[test]
fn saturation_zeros_dead_units_and_derivatives_by_hand() {
    // Within 0.05 of 0 or 1: 0, 1, .02, .97, 0, .99, 0 -> 7 of 12.
    assert!((saturation(&A, (0.0, 1.0), 0.05) - 7.0 / 12.0).abs() < 1e-15);
    // Sigmoid derivative a(1 - a): 0 .25 0 .0196 .0291 .25 .21 0 .09 .25 .0099 0 -> 1.1086 / 12.
    assert!((mean_derivative(Activation::Sigmoid, &[0.0; 12], &A) - 1.1086 / 12.0).abs() < 1e-12);
    // ReLU: seven exact zeros; unit 1 (first column) never positive -> 1 of 4 dead.
    assert!((zero_fraction(&R) - 7.0 / 12.0).abs() < 1e-15);
    assert_eq!(dead_fraction(&R, 4), 0.25);
    assert_eq!(dead_fraction(&A, 4), 0.0);
    // ReLU derivative at z: 1 where z > 0.
    assert!((mean_derivative(Activation::Relu, &R, &R) - 5.0 / 12.0).abs() < 1e-15);
}

#[test]
fn histogram_and_geometry_by_hand() {
    let h = histogram(&A, 0.0, 1.0, 4);
    // [0, .25): 0 .02 .1 0 0 -> 5; [.25, .5): .3 -> 1; [.5, .75): .5 .5 .5 -> 3; [.75, 1]: .97 .99 1 -> 3.
    assert_eq!(h.counts, vec![5, 1, 3, 3]);
    // Three points on a line at 0, 1, 3: distances 1, 3, 2. Doubling them keeps the
    // geometry (correlation 1); a representation that swaps near and far does not.
    let input = pairwise_distances(&[0.0, 0.0, 1.0, 0.0, 3.0, 0.0], 2);
    assert_eq!(input, vec![1.0, 3.0, 2.0]);
    assert!((distance_preservation(&input, &[0.0, 2.0, 6.0], 1) - 1.0).abs() < 1e-12);
    assert!(distance_preservation(&input, &[0.0, 3.0, 1.0], 1) < 0.0);
    assert!((correlation(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]) - 1.0).abs() < 1e-12);
}

/// Mean BCE (with the article's eps) of a one-member network with the given weights.
fn loss(config: &MlpConfig, weights: &[Vec<f64>], data: &Dataset) -> f64 {
    let model = config.init::<Eval>(&[weights.to_vec()], &backend::device());
    FusedEnsemble::from_mlp(&model, OptimizerSpec::sgd(), 1)
        .evaluate(&[data])
        .0[0]
}

#[test]
fn probe_gradients_match_finite_differences_on_a_tiny_network() {
    let data = Dataset {
        x: vec![[0.3, -1.2], [1.5, 0.4], [-0.7, 0.9], [0.1, 0.2]],
        y: vec![0, 1, 1, 0],
    };
    for activation in [Activation::Sigmoid, Activation::Tanh, Activation::Gelu] {
        let config = MlpConfig {
            input: 2,
            hidden: vec![3],
            activation,
            init: InitScheme::XavierNormal,
        };
        let weights = config.draw_weights(&mut NumpyRng::new(9));
        let model = config.init::<Eval>(&[weights.clone()], &backend::device());
        let probe = FusedEnsemble::from_mlp(&model, OptimizerSpec::sgd(), 1).probe(0, &data);
        for (layer, w) in weights.iter().enumerate() {
            for i in 0..w.len() {
                let h = 1e-6;
                let mut plus = weights.clone();
                plus[layer][i] += h;
                let mut minus = weights.clone();
                minus[layer][i] -= h;
                let numeric =
                    (loss(&config, &plus, &data) - loss(&config, &minus, &data)) / (2.0 * h);
                let analytic = probe.grad_w[layer][i];
                // The analytic gradient ignores the 1e-9 inside the logs; both agree far below 1e-6.
                assert!(
                    (numeric - analytic).abs() < 1e-6,
                    "{activation} layer {layer} weight {i}: {numeric} vs {analytic}"
                );
            }
            // The bias gradient is dL/dz summed over the samples.
            for (j, gb) in probe.grad_b[layer].iter().enumerate() {
                let width = probe.grad_b[layer].len();
                let sum: f64 = probe.dz[layer].iter().skip(j).step_by(width).sum();
                assert!((gb - sum).abs() < 1e-15);
            }
        }
    }
}

#[test]
fn probes_leave_training_bit_identical_and_see_the_published_stds() {
    let dir = temp_dir("probes");
    let run = |name: &str, extra: &[&str]| {
        let mut args = vec!["run", "sigmoid-vs-relu", "--out"];
        let out = dir.join(name);
        let out = out.to_str().unwrap().to_string();
        args.push(&out);
        args.extend_from_slice(extra);
        let status = Command::new(env!("CARGO_BIN_EXE_actlab"))
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(status.success());
        std::fs::read_to_string(dir.join(name).join("metrics.csv")).unwrap()
    };
    let with = run("with", &[]);
    let without = run("without", &["--set", "probes.enabled=false"]);
    assert_eq!(
        with, without,
        "metrics are bit-identical with probes on and off"
    );
    assert!(!dir.join("without/activations.csv").exists());

    let csv = std::fs::read_to_string(dir.join("with/activations.csv")).unwrap();
    let find = |prefix: &str| {
        let line = csv
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix} probed"));
        line.rsplit(',').next().unwrap().parse::<f64>().unwrap()
    };
    // SEED.md's hidden-space stds, at the last probe.
    for (prefix, published) in [
        ("sigmoid,800,1,a,std,", "0.2593"),
        ("sigmoid,800,2,a,std,", "0.1950"),
        ("relu,800,1,a,std,", "1.1453"),
        ("relu,800,2,a,std,", "1.6729"),
    ] {
        assert_eq!(format!("{:.4}", find(prefix)), published, "{prefix}");
    }
    // Epoch 0 (before any update), then every 10 epochs to the last (800): 81 probes.
    let epochs: std::collections::BTreeSet<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(epochs.len(), 81);
    for figure in [
        "layer_activity.png",
        "layer_histograms.png",
        "layer_gradients.png",
        "layer_saturation.png",
        "layer_geometry.png",
    ] {
        assert!(dir.join("with").join(figure).is_file(), "{figure}");
    }
}
