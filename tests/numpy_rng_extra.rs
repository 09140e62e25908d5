//! numpy's legacy `rand`, `uniform(low, high)`, `normal`, `randint` and `choice`, against numpy.

mod realdata_common;

use actlab::numpy_rng::NumpyRng;
use realdata_common::{floats, golden};

fn ints(v: &serde_json::Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap())
        .collect()
}

#[test]
fn randint_matches_numpy_for_32_and_64_bit_ranges() {
    let g = golden("numpy_rng_extra.json");
    let mut rng = NumpyRng::new(5);
    let draw = |rng: &mut NumpyRng, lo: i64, hi: i64, n: usize| -> Vec<i64> {
        (0..n).map(|_| rng.randint(lo, hi)).collect()
    };
    assert_eq!(draw(&mut rng, 0, 48, 20), ints(&g["randint_0_48_seed5"]));
    assert_eq!(draw(&mut rng, -5, 7, 10), ints(&g["randint_m5_7"]));
    assert_eq!(draw(&mut rng, 0, 1 << 33, 5), ints(&g["randint_0_2pow33"]));
    assert_eq!(draw(&mut rng, 0, 1 << 32, 5), ints(&g["randint_0_2pow32"]));
    // A one-value range draws nothing: the next uniform is the stream's next.
    let tail = g["randint_10_11_then_rand"].as_array().unwrap();
    assert_eq!(draw(&mut rng, 10, 11, 3), vec![10, 10, 10]);
    assert_eq!(rng.rand(), tail[3].as_f64().unwrap());
}

#[test]
fn choice_uniform_and_normal_match_numpy() {
    let g = golden("numpy_rng_extra.json");
    let mut rng = NumpyRng::new(11);
    let choices: Vec<i64> = (0..20).map(|_| rng.choice(48) as i64).collect();
    assert_eq!(choices, ints(&g["choice_48_seed11"]));
    let u: Vec<f64> = (0..5).map(|_| rng.uniform_range(-2.0, 3.0)).collect();
    assert_eq!(u, floats(&g["uniform_m2_3_seed11"]));
    let r: Vec<f64> = (0..3).map(|_| rng.rand()).collect();
    assert_eq!(r, floats(&g["rand_seed11"]));
    let n: Vec<f64> = (0..3).map(|_| rng.normal(1.5, 0.25)).collect();
    assert_eq!(n, floats(&g["normal_loc_scale_seed11"]));
}

#[test]
fn a_cached_gaussian_survives_rand_and_choice() {
    let g = golden("numpy_rng_extra.json");
    let mut rng = NumpyRng::new(42);
    let mut mixed = Vec::new();
    for _ in 0..3 {
        mixed.push(rng.rand());
        mixed.push(rng.choice(48) as f64);
        mixed.extend(rng.randn(3));
    }
    assert_eq!(mixed, floats(&g["mixed_seed42"]));
}
