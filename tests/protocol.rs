//! Training against the numpy reference: the seed protocol and other settings of it
//! (seeds, noise, widths, depths, learning rates, batch sizes), from `tests/golden/protocol.json`.

mod common;

use actlab::{
    analysis::article,
    backend::{self, BackendInfo, Train},
    model::select,
    run::train_plan,
};
use burn::module::AutodiffModule;
use common::{floats, golden, seed_plan};
use serde_json::Value;

/// The `--set` overrides that turn the seed experiment into a golden case's configuration.
fn overrides(c: &Value) -> Vec<String> {
    let hidden: Vec<String> = c["hidden"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.to_string())
        .collect();
    vec![
        format!("data.n_samples={}", c["n"]),
        format!("data.noise={}", c["noise"]),
        format!("data.seed={}", c["data_seed"]),
        format!("data.test_fraction={}", c["test_size"]),
        format!("model.seed={}", c["init_seed"]),
        format!("model.hidden=[{}]", hidden.join(",")),
        format!("train.lr={}", c["lr"]),
        format!("train.batch_size={}", c["batch"]),
        format!("train.epochs={}", c["epochs"]),
    ]
}

fn relative(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-12)
}

#[test]
fn the_fused_engine_trains_every_golden_configuration_as_numpy_does() {
    check_against_numpy("fused");
}

#[test]
fn the_burn_engine_trains_every_golden_configuration_as_numpy_does() {
    check_against_numpy("burn");
}

fn check_against_numpy(engine: &str) {
    let device = backend::device();
    for case in golden("protocol.json")["cases"].as_array().unwrap() {
        let config = &case["config"];
        let name = config["name"].as_str().unwrap();
        let mut settings = overrides(config);
        settings.push(format!("train.engine=\"{engine}\""));
        let plan = seed_plan(&settings);
        let split = plan.experiment.data.build().unwrap();
        let trained = train_plan::<Train>(
            &plan,
            &[plan.experiment.model.seed],
            &split,
            1,
            &BackendInfo::current(),
            &device,
        )
        .unwrap();
        let model = trained.model.valid();

        let samples: Vec<usize> = case["result"]["trace_samples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        for (k, member) in trained.members.iter().enumerate() {
            let variant = &plan.variants[member.variant];
            let want = &case["result"][variant.name.as_str()];
            let history = &trained.histories[k];
            let losses = history.train_loss();
            let expected = floats(&want["train_loss"]);
            assert_eq!(
                losses.len(),
                expected.len(),
                "{name}/{}: epochs",
                variant.name
            );
            let worst = losses
                .iter()
                .zip(&expected)
                .map(|(a, b)| relative(*a, *b))
                .fold(0.0, f64::max);
            // Summation order inside matmul differs from numpy's BLAS, so agreement is to
            // rounding, not to the bit (measured: within 6e-16 over 4,000 steps).
            assert!(
                worst < 1e-12,
                "{name}/{}: worst relative loss difference {worst:e}",
                variant.name
            );

            let last = history.last().unwrap();
            assert_eq!(
                last.test_accuracy,
                want["test_accuracy"].as_f64().unwrap(),
                "{name}/{}: test accuracy",
                variant.name
            );
            assert_eq!(
                last.train_accuracy,
                want["train_accuracy"].as_f64().unwrap(),
                "{name}/{}: train accuracy",
                variant.name
            );

            let member = select(&model, k..k + 1);
            let analysis = article::analyze(&member, &split, &plan.experiment.analysis, &device);
            let chosen: Vec<usize> = analysis.trace_samples.iter().map(|s| s.index).collect();
            assert_eq!(chosen, samples, "{name}: trace samples");
            for (a, b) in analysis.hidden_std.iter().zip(floats(&want["hidden_std"])) {
                assert!(
                    relative(*a, b) < 1e-8,
                    "{name}/{}: hidden std {a} vs {b}",
                    variant.name
                );
            }
            for (mine, theirs) in analysis
                .signal_trace
                .iter()
                .zip(want["signal_trace"].as_array().unwrap())
            {
                for (a, b) in mine.iter().zip(floats(theirs)) {
                    assert!(
                        relative(*a, b) < 1e-8,
                        "{name}/{}: signal trace {a} vs {b}",
                        variant.name
                    );
                }
            }
        }
    }
}
