//! Shared by the math golden tests: fixture loading and tolerance checks (named apart from
//! actlab's own `tests/common` so both can live in one `tests/`).

#![allow(dead_code)]

use std::path::PathBuf;

/// Parses `tests/golden/<name>` into `T`.
pub fn golden<T: serde::de::DeserializeOwned>(name: &str) -> T {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `|actual - expected| <= atol + rtol·|expected|`, with the context in the panic message.
#[track_caller]
pub fn assert_close(actual: f64, expected: f64, rtol: f64, atol: f64, what: &str) {
    let error = (actual - expected).abs();
    assert!(
        error <= atol + rtol * expected.abs() || (actual.is_infinite() && actual == expected),
        "{what}: got {actual:e}, expected {expected:e} (error {error:e}, rtol {rtol:e}, atol {atol:e})"
    );
}
