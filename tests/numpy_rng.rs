//! numpy's legacy RandomState reproduced bit for bit, against values from numpy itself.

mod common;

use actlab::numpy_rng::NumpyRng;
use common::{floats, golden};

fn ints(v: &serde_json::Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

#[test]
fn raw_words_match_mt19937_legacy_seeding() {
    let g = golden("numpy_rng.json");
    let mut rng = NumpyRng::new(42);
    let raw: Vec<u64> = (0..8).map(|_| u64::from(rng.next_u32())).collect();
    assert_eq!(raw, ints(&g["raw_seed42"]));
}

#[test]
fn uniform_doubles_match_random_sample() {
    let g = golden("numpy_rng.json");
    let mut rng = NumpyRng::new(42);
    assert_eq!(
        (0..5).map(|_| rng.uniform()).collect::<Vec<_>>(),
        floats(&g["uniform_seed42"])
    );
    let mut rng = NumpyRng::new(u32::MAX);
    assert_eq!(
        (0..3).map(|_| rng.uniform()).collect::<Vec<_>>(),
        floats(&g["uniform_seed_u32max"])
    );
}

#[test]
fn gaussian_cache_survives_a_permutation() {
    let g = golden("numpy_rng.json");
    let mut rng = NumpyRng::new(123);
    assert_eq!(rng.randn(7), floats(&g["randn7_seed123"]));
    let perm: Vec<u64> = rng.permutation(10).into_iter().map(|i| i as u64).collect();
    assert_eq!(perm, ints(&g["perm10_after_randn7_seed123"]));
    assert_eq!(rng.randn(3), floats(&g["randn3_after_perm_seed123"]));
}

#[test]
fn data_order_stream_of_the_seed_protocol() {
    let g = golden("numpy_rng.json");
    let mut rng = NumpyRng::new(42);
    rng.randn(88);
    for expected in g["perm300_x2_after_randn88_seed42"].as_array().unwrap() {
        let perm: Vec<u64> = rng.permutation(300).into_iter().map(|i| i as u64).collect();
        assert_eq!(perm, ints(expected));
    }
}

#[test]
fn reseeding_drops_the_cached_gaussian() {
    let mut rng = NumpyRng::new(7);
    rng.randn(1);
    rng.seed(7);
    assert_eq!(rng, NumpyRng::new(7));
}
