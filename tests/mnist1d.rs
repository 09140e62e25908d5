//! MNIST-1D and the numpy / scipy pieces it is built from, against the `mnist1d` package.

mod realdata_common;

use actlab::data::mnist1d::{Mnist1dArgs, templates, transform};
use actlab::data::ndimage::{
    SIGMA2_KERNEL, correlate1d_reflect, gaussian_filter_sigma2, gaussian_filter1d, gaussian_kernel,
    radius,
};
use actlab::data::numpy_ops::{interp, linspace, mean, std, sum};
use actlab::numpy_rng::NumpyRng;
use realdata_common::{digit_labels, floats, golden, max_abs_diff, rows, sha256_f64};
use serde_json::Value;

const TOLERANCE: f64 = 1e-12;

fn max_ulps(a: &[f64], b: &[f64]) -> u64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x.to_bits() as i64 - y.to_bits() as i64).unsigned_abs())
        .max()
        .unwrap_or(0)
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn templates_match_get_templates() {
    let g = golden("mnist1d_pieces.json");
    let (x, t) = templates();
    let flat: Vec<f64> = x.iter().flatten().copied().collect();
    let expected: Vec<f64> = rows(&g["templates_x"]).concat();
    assert_eq!(bits(&flat), bits(&expected));
    assert_eq!(bits(&t), bits(&floats(&g["templates_t"])));
}

#[test]
fn kernels_match_scipy() {
    let g = golden("mnist1d_pieces.json");
    assert_eq!(
        bits(&SIGMA2_KERNEL),
        bits(&floats(&g["kernel_sigma2"])),
        "the fixed sigma-2 kernel differs from scipy's: fixtures made without AVX-512F numpy?"
    );
    // Kernels from the platform's exp: within one unit in the last place of scipy's.
    let computed = gaussian_kernel(2.0, radius(2.0, 4.0));
    assert!(max_ulps(&computed, &SIGMA2_KERNEL) <= 1);
    let k15 = gaussian_kernel(1.5, radius(1.5, 4.0));
    assert!(max_ulps(&k15, &floats(&g["kernel_sigma1_5_radius6"])) <= 1);
}

#[test]
fn gaussian_filter_and_correlate1d_match_scipy() {
    let g = golden("mnist1d_pieces.json");
    let inputs = &g["filter_inputs"];
    for name in ["noise72", "short5", "one"] {
        let out = gaussian_filter_sigma2(&floats(&inputs[name]));
        assert_eq!(
            bits(&out),
            bits(&floats(&g["gaussian_filter_2"][name])),
            "gaussian_filter(x, 2) on {name}"
        );
    }
    let line = floats(&inputs["line30"]);
    // A kernel from the platform's exp: equal to scipy's to rounding.
    let out = gaussian_filter1d(&line, 1.5, 4.0);
    assert!(max_abs_diff(&out, &floats(&g["gaussian_filter1d_1_5"])) <= 1e-15);
    for (name, w) in [
        ("asymmetric_1_2_3", vec![1.0, 2.0, 3.0]),
        ("antisymmetric_1_0_m1", vec![1.0, 0.0, -1.0]),
        ("even_0_25_0_75", vec![0.25, 0.75]),
    ] {
        let out = correlate1d_reflect(&line, &w);
        assert_eq!(bits(&out), bits(&floats(&g["correlate1d"][name])), "{name}");
    }
}

#[test]
fn interp_and_linspace_match_numpy() {
    let g = golden("mnist1d_pieces.json");
    let i = &g["interp"];
    let y = floats(&i["y"]);
    let xp = linspace(0.0, 1.0, 72);
    let out = interp(&linspace(0.0, 1.0, 40), &xp, &y);
    assert_eq!(bits(&out), bits(&floats(&i["x40"])));
    let out = interp(&floats(&i["xq"]), &xp, &y);
    assert_eq!(bits(&out), bits(&floats(&i["yq"])));
    let l = &g["linspace"];
    assert_eq!(
        bits(&linspace(-0.5, 0.5, 72)),
        bits(&floats(&l["m0_5_0_5_72"]))
    );
    assert_eq!(bits(&linspace(0.0, 1.0, 57)), bits(&floats(&l["0_1_57"])));
    assert_eq!(bits(&linspace(-5.0, 5.0, 12)), bits(&floats(&l["m5_5_12"])));
}

#[test]
fn sums_means_and_stds_match_numpy_pairwise_summation() {
    let g = golden("mnist1d_pieces.json");
    for case in g["sums_of_3_randn"].as_array().unwrap() {
        let seed = case["seed"].as_u64().unwrap() as u32;
        let n = case["n"].as_u64().unwrap() as usize;
        let v: Vec<f64> = NumpyRng::new(seed)
            .randn(n)
            .into_iter()
            .map(|x| x * 3.0)
            .collect();
        for (what, got) in [("sum", sum(&v)), ("mean", mean(&v)), ("std", std(&v))] {
            assert_eq!(
                got.to_bits(),
                case[what].as_f64().unwrap().to_bits(),
                "{what} of n={n}"
            );
        }
    }
}

#[test]
fn one_transform_matches_the_package() {
    let g = golden("mnist1d_pieces.json");
    let (x, t) = templates();
    let (tx, tt) = transform(&x[3], &t, &Mnist1dArgs::default(), &mut NumpyRng::new(0));
    let expected = &g["transform_seed0_digit3"];
    assert_eq!(bits(&tx), bits(&floats(&expected["x"])));
    assert_eq!(bits(&tt), bits(&floats(&expected["t"])));
}

fn args_of(g: &Value) -> Mnist1dArgs {
    serde_json::from_value(g["args"].clone()).expect("the fixture's args deserialise")
}

/// Compares one generated set with its fixture; returns the largest absolute difference seen.
fn check_case(name: &str) -> f64 {
    let g = golden("mnist1d.json");
    let case = &g[name];
    let args = args_of(case);
    let set = args.generate().unwrap();
    let data = &set.data;
    let len = args.final_seq_length;
    assert_eq!(data.shape, vec![len]);
    assert_eq!(data.classes, 10);
    assert_eq!(data.train.len(), case["n_train"].as_u64().unwrap() as usize);
    assert_eq!(data.test.len(), case["n_test"].as_u64().unwrap() as usize);
    assert_eq!(
        data.train.y,
        digit_labels(&case["y_train"]),
        "{name}: train labels"
    );
    assert_eq!(
        data.test.y,
        digit_labels(&case["y_test"]),
        "{name}: test labels"
    );

    let mut worst: f64 = 0.0;
    for (split, samples, key) in [
        ("train", &data.train, "x_train_rows"),
        ("test", &data.test, "x_test_rows"),
    ] {
        for (i, row) in rows(&case[key]).iter().enumerate() {
            worst = worst.max(max_abs_diff(&samples.row(i), row));
        }
        let sums: Vec<f64> = (0..samples.len()).map(|i| sum(&samples.row(i))).collect();
        let expected = floats(&case[format!("x_{split}_row_sums")]);
        worst = worst.max(max_abs_diff(&sums, &expected));
    }
    worst = worst.max(max_abs_diff(&set.t, &floats(&case["t"])));
    assert!(worst <= TOLERANCE, "{name}: max abs difference {worst:e}");
    eprintln!("mnist1d {name}: max abs difference {worst:e}");
    worst
}

#[test]
fn default_dataset_matches_make_dataset() {
    assert_eq!(check_case("default"), 0.0);
}

#[test]
fn custom_dataset_matches_make_dataset() {
    // Odd signal length (a Gaussian cached across draws), shuffled positions (statistics summed
    // column by column: seed 1 is one where that changes the std), another split.
    assert_eq!(check_case("custom"), 0.0);
}

#[test]
fn every_value_is_bit_identical() {
    let g = golden("mnist1d.json");
    for name in ["default", "custom"] {
        let case = &g[name];
        let set = args_of(case).generate().unwrap();
        assert_eq!(
            sha256_f64(&set.data.train.dense()),
            case["x_train_sha256"].as_str().unwrap(),
            "{name}: train bytes"
        );
        assert_eq!(
            sha256_f64(&set.data.test.dense()),
            case["x_test_sha256"].as_str().unwrap(),
            "{name}: test bytes"
        );
    }
}

#[test]
fn default_args_are_the_packages() {
    let g = golden("mnist1d.json");
    assert_eq!(args_of(&g["default"]), Mnist1dArgs::default());
}
