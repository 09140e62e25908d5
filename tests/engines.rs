//! The two engines and the ensemble: the same numbers whichever way a member is trained.

mod common;

use actlab::{
    backend::{self, BackendInfo, Train},
    fused::{FusedSteps, InstructionSet},
    learner::{Engine, Epochs, MemberData, OptimizerKind, OptimizerSpec, Steps},
    model::{Activation, Drawn, Init, InitScheme, Network, Nonlinearity},
    numpy_rng::NumpyRng,
    run::{Progress, Schedule, programs, train, train_plan, train_programs},
};
use common::seed_plan;

fn relative(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-12)
}

#[test]
fn fused_and_burn_engines_agree_on_the_seed_protocol() {
    let device = backend::device();
    let runs: Vec<_> = ["burn", "fused"]
        .iter()
        .map(|engine| {
            let plan = seed_plan(&[
                format!("train.engine=\"{engine}\""),
                "train.epochs=300".into(),
            ]);
            let split = plan.experiment.data.build().unwrap();
            let info = BackendInfo::current();
            train_plan::<Train>(&plan, &[42], &split, 1, &info, &device).unwrap()
        })
        .collect();
    assert_eq!(
        (runs[0].engine, runs[1].engine),
        (Engine::Burn, Engine::Fused)
    );
    for (burn, fused) in runs[0].histories.iter().zip(&runs[1].histories) {
        for (a, b) in burn.epochs.iter().zip(&fused.epochs) {
            assert!(
                relative(a.train_loss, b.train_loss) < 1e-12,
                "epoch {}: {} vs {}",
                a.epoch,
                a.train_loss,
                b.train_loss
            );
            assert!(relative(a.test_loss, b.test_loss) < 1e-12);
            assert_eq!(
                (a.train_accuracy, a.test_accuracy),
                (b.train_accuracy, b.test_accuracy)
            );
        }
    }
}

/// Trains `members` (activation, init seed) together for `epochs` with plain SGD, each with
/// its own data order.
fn train_together(engine: Engine, members: &[(Activation, u32)], epochs: usize) -> Vec<Vec<f64>> {
    train_with(engine, OptimizerSpec::sgd(), 0.1, members, epochs)
}

/// [`train_together`] with any optimizer and learning rate.
fn train_with(
    engine: Engine,
    optimizer: OptimizerSpec,
    lr: f64,
    members: &[(Activation, u32)],
    epochs: usize,
) -> Vec<Vec<f64>> {
    let device = backend::device();
    let plan = seed_plan(&[]);
    let split = plan.experiment.data.build().unwrap();
    let arch = &plan.architecture;
    let weights: Vec<Vec<Drawn>> = members
        .iter()
        .map(|&(_, seed)| {
            arch.family.draw(
                arch,
                &Init::named(InitScheme::XavierNormal),
                &mut NumpyRng::new(seed),
            )
        })
        .collect();
    let stacked: Vec<(Nonlinearity, &[Drawn])> = members
        .iter()
        .zip(&weights)
        .map(|(&(a, _), w)| (a.into(), w.as_slice()))
        .collect();
    let model = Network::<Train>::init(arch, &stacked, &device);
    let data = MemberData::shared(&split, members.len());
    let mut learner: Box<dyn Steps<Network<Train>>> = match engine {
        Engine::Fused => Box::new(
            FusedSteps::new(&model, optimizer, (lr, 32), data, 2, &device).expect("a plain MLP"),
        ),
        _ => Box::new(Epochs::new(model, optimizer, (lr, 32), data, 1, &device)),
    };
    let mut orders: Vec<NumpyRng> = members
        .iter()
        .map(|&(_, seed)| NumpyRng::new(seed + 1000))
        .collect();
    let mut losses = vec![Vec::new(); members.len()];
    for _ in 0..epochs {
        let epoch_orders: Vec<Vec<usize>> = orders
            .iter_mut()
            .map(|r| r.permutation(split.train.len()))
            .collect();
        for (k, l) in learner.train_epoch(&epoch_orders).into_iter().enumerate() {
            losses[k].push(l);
        }
    }
    losses
}

#[test]
fn each_ensemble_member_trains_exactly_as_it_would_alone() {
    use Activation::{Gelu, Relu, Sigmoid, Tanh};
    // On the fused engine, 9 sigmoid members fill 8 lanes of one kernel and 1 lane of
    // another; 3 ReLU members share 4 lanes (one lane of padding); tanh and GELU train alone.
    // Members are listed out of group order, so results must come back to the right member.
    let mut members = vec![(Relu, 20), (Tanh, 30), (Sigmoid, 1)];
    members.extend((2..10).map(|s| (Sigmoid, s)));
    members.extend([(Gelu, 40), (Relu, 21), (Relu, 22)]);
    let adam = OptimizerSpec {
        kind: OptimizerKind::Adam,
        ..OptimizerSpec::sgd()
    };
    let momentum = OptimizerSpec {
        kind: OptimizerKind::Momentum,
        momentum: 0.9,
        ..OptimizerSpec::sgd()
    };
    let cases = [
        (Engine::Burn, OptimizerSpec::sgd(), 0.1),
        (Engine::Fused, OptimizerSpec::sgd(), 0.1),
        (Engine::Fused, adam, 0.01),
        (Engine::Fused, momentum, 0.05),
    ];
    for (engine, optimizer, lr) in cases {
        let together = train_with(engine, optimizer, lr, &members, 30);
        for (k, member) in members.iter().enumerate() {
            let alone = train_with(engine, optimizer, lr, &[*member], 30).remove(0);
            for (a, b) in together[k].iter().zip(&alone) {
                // The fused engine's lanes do each member's arithmetic exactly as alone.
                let same = match engine {
                    Engine::Fused => a.to_bits() == b.to_bits(),
                    _ => relative(*a, *b) < 1e-9,
                };
                assert!(
                    same,
                    "{engine:?} {:?} member {k} ({}): {a} together vs {b} alone",
                    optimizer.kind, member.0
                );
            }
        }
    }
}

#[test]
fn every_activation_agrees_across_engines() {
    let members: Vec<(Activation, u32)> = Activation::ALL
        .iter()
        .enumerate()
        .map(|(i, &a)| (a, i as u32))
        .collect();
    let burn = train_together(Engine::Burn, &members, 5);
    let fused = train_together(Engine::Fused, &members, 5);
    for (k, (a, b)) in burn.iter().zip(&fused).enumerate() {
        for (x, y) in a.iter().zip(b) {
            // Burn differentiates erf and the other compositions by its own formulas; the
            // engines agree to rounding amplified over 50 steps (GELU: ~1e-10).
            assert!(
                relative(*x, *y) < 1e-8,
                "{}: burn {x} vs fused {y}",
                members[k].0
            );
        }
    }
}

#[test]
fn every_optimizer_takes_the_same_steps_on_both_engines() {
    let device = backend::device();
    let settings: [&[&str]; 6] = [
        &["train.optimizer=\"momentum\"", "train.momentum=0.9"],
        &[
            "train.optimizer=\"nesterov\"",
            "train.momentum=0.8",
            "train.weight_decay=0.01",
        ],
        &["train.optimizer=\"sgd\"", "train.weight_decay=0.001"],
        &["train.optimizer=\"adam\"", "train.lr=0.01"],
        &[
            "train.optimizer=\"adam\"",
            "train.lr=0.01",
            "train.weight_decay=0.001",
        ],
        &[
            "train.optimizer=\"adamw\"",
            "train.lr=0.01",
            "train.weight_decay=0.05",
        ],
    ];
    for setting in settings {
        let losses: Vec<Vec<f64>> = ["burn", "fused"]
            .iter()
            .map(|engine| {
                let mut overrides: Vec<String> = setting.iter().map(|s| s.to_string()).collect();
                overrides.push(format!("train.engine=\"{engine}\""));
                overrides.push("train.epochs=40".into());
                let plan = seed_plan(&overrides);
                let split = plan.experiment.data.build().unwrap();
                let info = BackendInfo::current();
                let trained = train_plan::<Train>(&plan, &[42], &split, 1, &info, &device).unwrap();
                trained
                    .histories
                    .iter()
                    .flat_map(|h| h.train_loss())
                    .collect()
            })
            .collect();
        assert_eq!(losses[0].len(), losses[1].len());
        for (a, b) in losses[0].iter().zip(&losses[1]) {
            assert!(
                relative(*a, *b) < 1e-10,
                "{setting:?}: burn {a} vs fused {b}"
            );
        }
        // The optimizer did something different from plain SGD.
        assert_ne!(losses[0][39], 0.0);
    }
}

#[test]
fn programs_on_their_own_data_train_together_exactly_as_alone() {
    // Five data sets (one per seed), so five programs; the fused engine trains them as one
    // ensemble, sigmoid members in lanes beside each other whatever their data.
    let plan = seed_plan(&[
        "train.seeds=5".into(),
        "train.vary_data_seed=true".into(),
        "train.epochs=60".into(),
        "train.engine=\"fused\"".into(),
    ]);
    let device = backend::device();
    let programs = programs(&plan).unwrap();
    assert_eq!(programs.len(), 5);
    let info = BackendInfo::current();
    let variants: Vec<usize> = (0..plan.variants.len()).collect();
    let schedule = Schedule {
        plan: &plan,
        programs: &programs,
        variants: &variants,
        threads: 2,
        probe: false,
        checkpoints: None,
        resume: None,
        backend: &info,
    };
    let together = train_programs::<Train>(&schedule, &device, &Progress::hidden()).unwrap();
    for (p, program) in programs.iter().enumerate() {
        let one = Schedule {
            programs: std::slice::from_ref(program),
            threads: 1,
            ..schedule.clone()
        };
        let alone = train::<Train>(&one, &device, &Progress::hidden())
            .unwrap()
            .remove(0);
        assert_eq!(together[p].members, alone.members);
        for (a, b) in together[p].histories.iter().zip(&alone.histories) {
            assert_eq!(a.epochs, b.epochs, "program {p}");
        }
    }
}

#[test]
fn every_instruction_set_computes_the_same_bits() {
    // 9 seeds x 2 variants: per activation, 8 members in one lane group and 1 alone.
    let dir = common::temp_dir("simd-sets");
    let available = InstructionSet::ALL
        .into_iter()
        .filter(|&set| set <= InstructionSet::detected());
    let metrics: Vec<(InstructionSet, String)> = available
        .map(|set| {
            let out = dir.join(set.name());
            let run = std::process::Command::new(env!("CARGO_BIN_EXE_actlab"))
                .args(["run", "sigmoid-vs-relu", "--set", "train.seeds=9"])
                .args(["--set", "train.epochs=30", "--out", out.to_str().unwrap()])
                .env("ACTLAB_SIMD", set.name())
                .current_dir(common::root())
                .output()
                .unwrap();
            assert!(run.status.success(), "{}", set.name());
            (
                set,
                std::fs::read_to_string(out.join("metrics.csv")).unwrap(),
            )
        })
        .collect();
    assert!(metrics[0].1.lines().count() > 500);
    for (set, text) in &metrics[1..] {
        assert!(
            *text == metrics[0].1,
            "{} differs from portable",
            set.name()
        );
    }
}

/// The fused kernel's loss is one sigmoid unit's: a model with several outputs is refused
/// rather than trained as if it had one.
#[test]
fn the_fused_engine_refuses_several_outputs() {
    let device = backend::device();
    let mut plan = seed_plan(&[]);
    plan.architecture.outputs = 3;
    let arch = &plan.architecture;
    let split = plan.experiment.data.build().unwrap();
    let drawn = arch.family.draw(
        arch,
        &Init::named(InitScheme::XavierNormal),
        &mut NumpyRng::new(0),
    );
    let model = Network::<Train>::init(arch, &[(Activation::Relu.into(), &drawn)], &device);
    let data = MemberData::shared(&split, 1);
    let fused = FusedSteps::new(&model, OptimizerSpec::sgd(), (0.1, 32), data, 1, &device);
    assert!(fused.is_none());
}

/// Decay on matrices only groups parameters by rank, which a stacked family's biases (rank 3)
/// would defeat: the learner refuses it rather than decay them silently.
#[test]
#[should_panic(
    expected = "decay on matrices only applies to a model whose parameters are not stacked"
)]
fn decay_groups_are_refused_for_a_stacked_family() {
    use actlab::learner::{Learner, Objective};
    let spec = OptimizerSpec {
        kind: OptimizerKind::AdamW,
        decay_matrices_only: true,
        ..OptimizerSpec::sgd()
    };
    let plan = seed_plan(&[]);
    let arch = &plan.architecture;
    let drawn = arch.family.draw(
        arch,
        &Init::named(InitScheme::XavierNormal),
        &mut NumpyRng::new(1),
    );
    let model = Network::<Train>::init(
        arch,
        &[(Activation::Relu.into(), &drawn)],
        &backend::device(),
    );
    let _ = Learner::new(model, &spec, Objective::Binary);
}
