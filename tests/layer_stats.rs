//! Per-layer statistics against hand-worked tensors and finite differences, and probes that
//! leave training untouched.

mod common;

use std::process::Command;

use actlab::{
    analysis::{
        layer_stats::{
            correlation, dead_fraction, distance_preservation, distribution, histogram,
            mean_derivative, pairwise_distances, saturation, zero_fraction,
        },
        probe,
    },
    backend::{self, BackendInfo, Eval, Train},
    data::Dataset,
    fused::FusedEnsemble,
    learner::{Objective, OptimizerSpec, to_host},
    model::{
        Activation, Architecture, Drawn, Family, FamilyKind, Init, InitScheme, Mode, Network,
        Nonlinearity, NormKind,
    },
    numpy_rng::NumpyRng,
    run::train_plan,
};
use burn::tensor::{Tensor, TensorData};
use common::{seed_plan, temp_dir};

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
    assert!(
        (mean_derivative(Activation::Sigmoid.into(), &[0.0; 12], &A) - 1.1086 / 12.0).abs() < 1e-12
    );
    // ReLU: seven exact zeros; unit 1 (first column) never positive -> 1 of 4 dead.
    assert!((zero_fraction(&R) - 7.0 / 12.0).abs() < 1e-15);
    assert_eq!(dead_fraction(&R, 4), 0.25);
    assert_eq!(dead_fraction(&A, 4), 0.0);
    // ReLU derivative at z: 1 where z > 0.
    assert!((mean_derivative(Activation::Relu.into(), &R, &R) - 5.0 / 12.0).abs() < 1e-15);
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

/// A 2 -> 3 -> 1 MLP.
fn tiny(activation: Activation) -> Architecture {
    let _ = activation;
    Architecture {
        family: FamilyKind::Mlp,
        input: vec![2],
        hidden: vec![3],
        norm: NormKind::None,
        conv: Vec::new(),
        outputs: 1,
    }
}

/// Mean BCE (with the article's eps) of a one-member network with the given weights, by Burn.
fn loss(arch: &Architecture, activation: Activation, weights: &[Drawn], data: &Dataset) -> f64 {
    let device = backend::device();
    let model = Network::<Eval>::init(arch, &[(activation.into(), weights)], &device);
    let x = Tensor::from_data(
        TensorData::new(data.dense().into_owned(), [1, data.len(), 2]),
        &device,
    );
    let y: Vec<f64> = data.y.iter().map(|&y| f64::from(y)).collect();
    let y = Tensor::from_data(TensorData::new(y, [1, data.len(), 1]), &device);
    to_host(Objective::Binary.loss(model.forward(x, Mode::Eval), y))[0]
}

#[test]
fn probe_gradients_match_finite_differences_on_a_tiny_network() {
    let data = Dataset::planar(
        vec![[0.3, -1.2], [1.5, 0.4], [-0.7, 0.9], [0.1, 0.2]],
        vec![0, 1, 1, 0],
    );
    let device = backend::device();
    for activation in [Activation::Sigmoid, Activation::Tanh, Activation::Gelu] {
        let arch = tiny(activation);
        let weights = arch.family.draw(
            &arch,
            &Init::named(InitScheme::XavierNormal),
            &mut NumpyRng::new(9),
        );
        let model =
            Network::<Train>::init(&arch, &[(activation.into(), weights.as_slice())], &device);
        let pass = probe::pass::<Train, _>(&model, &data, 1, &device);
        for (layer, w) in weights.iter().enumerate() {
            for i in 0..w.weight.len() {
                let h = 1e-6;
                let mut plus = weights.clone();
                plus[layer].weight[i] += h;
                let mut minus = weights.clone();
                minus[layer].weight[i] -= h;
                let numeric = (loss(&arch, activation, &plus, &data)
                    - loss(&arch, activation, &minus, &data))
                    / (2.0 * h);
                let analytic = pass.dw[layer][i];
                // The analytic gradient ignores the 1e-9 inside the logs; both agree far below 1e-6.
                assert!(
                    (numeric - analytic).abs() < 1e-6,
                    "{activation} layer {layer} weight {i}: {numeric} vs {analytic}"
                );
            }
        }
    }
}

/// Relative agreement, measured against the larger value or 1e-3 (gradients of saturated
/// units are tiny and carry no relative precision below that).
fn close(a: &[f64], b: &[f64], tolerance: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let worst = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / x.abs().max(y.abs()).max(1e-3))
        .fold(0.0, f64::max);
    assert!(worst < tolerance, "{what}: relative difference {worst:e}");
}

#[test]
fn burn_probes_equal_the_host_reference_pass_to_1e_12() {
    // The statistics probes used to come from the fused engine's host re-implementation; they
    // now come from the Burn model's own forward and backward pass. On the article's MLP in
    // float64 the two must agree, layer by layer, for every activation.
    let device = backend::device();
    let plan = seed_plan(&["train.epochs=25".into(), "train.engine=\"burn\"".into()]);
    let split = plan.experiment.data.build().unwrap();
    let trained = train_plan::<Train>(
        &plan,
        &[42, 43],
        &split,
        1,
        &BackendInfo::current(),
        &device,
    )
    .unwrap();
    let mut members: Vec<(Activation, u32)> = Vec::new();
    members.extend(Activation::ALL.iter().map(|&a| (a, 7)));
    let arch = &plan.architecture;
    let draws: Vec<Vec<Drawn>> = members
        .iter()
        .map(|&(_, s)| {
            arch.family.draw(
                arch,
                &Init::named(InitScheme::XavierNormal),
                &mut NumpyRng::new(s),
            )
        })
        .collect();
    let stacked: Vec<(Nonlinearity, &[Drawn])> = members
        .iter()
        .zip(&draws)
        .map(|(&(a, _), w)| (a.into(), w.as_slice()))
        .collect();
    let untrained = Network::<Train>::init(arch, &stacked, &device);
    for model in [&trained.model, &untrained] {
        let mlp = model.as_mlp().unwrap();
        let host = FusedEnsemble::from_mlp(mlp, OptimizerSpec::sgd(), 1);
        for k in 0..model.members() {
            let member = actlab::model::select(model, k..k + 1);
            let burn = probe::pass::<Train, _>(&member, &split.test, 1, &device);
            let reference = host.reference_pass(k, &split.test);
            let what =
                |t: &str, l: usize| format!("{} member {k} {t}[{l}]", model.activations()[k]);
            // Values agree to rounding (matmul summation order differs; measured < 1e-13).
            // Burn differentiates GELU's erf by its own formula, so GELU's gradients agree
            // to 1e-7 only (measured 4e-8); every other activation's to 1e-12.
            let gradients = if model.activations()[k].activation == Activation::Gelu {
                1e-7
            } else {
                1e-12
            };
            for l in 0..reference.z.len() {
                close(&burn.z[l], &reference.z[l], 1e-12, &what("z", l));
                close(&burn.dz[l], &reference.dz[l], gradients, &what("dz", l));
                close(&burn.dw[l], &reference.grad_w[l], gradients, &what("dw", l));
                if l + 1 < reference.z.len() {
                    close(&burn.a[l], &reference.a[l + 1], 1e-12, &what("a", l));
                }
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

    // Read with a standard CSV reader, by column name.
    let mut reader = csv::Reader::from_path(dir.join("with/activations.csv")).unwrap();
    let rows: Vec<std::collections::HashMap<String, String>> =
        reader.deserialize().map(|r| r.unwrap()).collect();
    let find = |variant: &str, epoch: &str, name: &str, tensor: &str, statistic: &str| {
        let row = rows
            .iter()
            .find(|r| {
                r["variant"] == variant
                    && r["epoch"] == epoch
                    && r["name"] == name
                    && r["tensor"] == tensor
                    && r["statistic"] == statistic
            })
            .unwrap_or_else(|| panic!("{variant} {name} probed"));
        row["value"].parse::<f64>().unwrap()
    };
    // The article's hidden-space stds (its companion notebook, April 2026), at the last probe.
    for (variant, layer, published) in [
        ("sigmoid", "hidden1", "0.2593"),
        ("sigmoid", "hidden2", "0.1950"),
        ("relu", "hidden1", "1.1453"),
        ("relu", "hidden2", "1.6729"),
    ] {
        let measured = find(variant, "800", layer, "a", "std");
        assert_eq!(format!("{measured:.4}"), published, "{variant} {layer}");
    }
    // Epoch 0 (before any update), then every 10 epochs to the last (800): 81 probes.
    let epochs: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r["epoch"].as_str()).collect();
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
