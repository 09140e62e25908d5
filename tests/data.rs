//! make_moons, StandardScaler and train_test_split against scikit-learn's own output.

mod common;

use actlab::{
    data::{
        DataConfig, DataKind, moons::make_moons, preprocess::standardize, shapes::make_circles,
    },
    numpy_rng::NumpyRng,
};
use common::{golden, labels, points};

/// Largest difference in units in the last place between row-major values and golden points.
fn max_ulps(a: &[f64], b: &[[f64; 2]]) -> u64 {
    assert_eq!(a.len(), 2 * b.len());
    a.iter()
        .zip(b.iter().flatten())
        .map(|(x, y)| (x.to_bits() as i64 - y.to_bits() as i64).unsigned_abs())
        .max()
        .unwrap_or(0)
}

#[test]
fn moons_scaler_and_split_match_scikit_learn() {
    for case in golden("moons.json")["cases"].as_array().unwrap() {
        let n = case["n"].as_u64().unwrap() as usize;
        let noise = case["noise"].as_f64().unwrap();
        let seed = case["seed"].as_u64().unwrap() as u32;
        let test_fraction = case["test_size"].as_f64().unwrap();

        let raw = make_moons(n, noise, &mut NumpyRng::new(seed));
        assert_eq!(raw.y, labels(&case["y"]), "labels, n={n}");
        assert_eq!(
            max_ulps(&raw.dense(), &points(&case["X"])),
            0,
            "make_moons points, n={n}"
        );

        let mut scaled = raw.clone();
        standardize(&mut scaled);
        assert!(
            max_ulps(&scaled.dense(), &points(&case["X_scaled"])) == 0,
            "StandardScaler, n={n}"
        );

        let config = DataConfig {
            test_fraction,
            ..DataConfig::generated(DataKind::Moons, n, noise, seed)
        };
        let split = config.build().unwrap();
        assert_eq!(
            split.train.y,
            labels(&case["y_train"]),
            "train labels, n={n}"
        );
        assert_eq!(split.test.y, labels(&case["y_test"]), "test labels, n={n}");
        assert!(
            max_ulps(&split.train.dense(), &points(&case["X_train"])) == 0,
            "train points, n={n}"
        );
        assert!(
            max_ulps(&split.test.dense(), &points(&case["X_test"])) == 0,
            "test points, n={n}"
        );
    }
}

#[test]
fn the_seed_split_has_the_published_sizes() {
    let split = DataConfig::generated(DataKind::Moons, 400, 0.18, 42)
        .build()
        .unwrap();
    assert_eq!((split.train.len(), split.test.len()), (300, 100));
    assert_eq!(split.train.y.iter().filter(|&&y| y == 1).count(), 150);
    assert_eq!(split.test.y.iter().filter(|&&y| y == 1).count(), 50);
}

#[test]
fn circles_match_scikit_learn() {
    for case in golden("moons.json")["circles"].as_array().unwrap() {
        let n = case["n"].as_u64().unwrap() as usize;
        let data = make_circles(
            n,
            case["noise"].as_f64().unwrap(),
            &mut NumpyRng::new(case["seed"].as_u64().unwrap() as u32),
        );
        assert_eq!(data.y, labels(&case["y"]), "labels, n={n}");
        assert_eq!(
            max_ulps(&data.dense(), &points(&case["X"])),
            0,
            "points, n={n}"
        );
    }
}

#[test]
fn every_data_set_is_balanced_and_reproducible() {
    for kind in DataKind::ALL.into_iter().filter(|k| k.is_generated()) {
        let config = DataConfig::generated(kind, 200, 0.1, 5);
        let split = config.build().unwrap();
        assert_eq!(
            split,
            config.build().unwrap(),
            "{kind}: same seed, same data"
        );
        let ones = split
            .train
            .y
            .iter()
            .chain(&split.test.y)
            .filter(|&&y| y == 1)
            .count();
        assert!(
            (80..=120).contains(&ones),
            "{kind}: {ones} of 200 in class 1"
        );
        assert!(split.train.dense().iter().all(|v| v.is_finite()));
    }
}
