//! Helpers shared by the integration tests: golden fixtures and experiments with overrides.
#![allow(dead_code)]

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use actlab::config::{Override, Plan, load_experiment};
use serde_json::Value;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture written by `tests/golden/make_golden.py` from the real numpy / scikit-learn.
pub fn golden(name: &str) -> Value {
    let path = root().join("tests/golden").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

pub fn points(v: &Value) -> Vec<[f64; 2]> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let p = floats(p);
            [p[0], p[1]]
        })
        .collect()
}

pub fn labels(v: &Value) -> Vec<u8> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u8)
        .collect()
}

/// The seed experiment with `key=value` overrides.
pub fn seed_plan(overrides: &[String]) -> Plan {
    let parsed: Vec<Override> = overrides.iter().map(|o| o.parse().unwrap()).collect();
    load_experiment(&root().join("experiments/sigmoid-vs-relu.toml"), &parsed)
        .unwrap()
        .check()
        .unwrap()
}

/// A fresh empty temporary folder for one test, removed when it goes out of scope: when the
/// test ends, passed or failed (a failing assertion unwinds through it).
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn temp_dir(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("actlab-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// Every file under `dir` with its contents, to prove nothing changed.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p)
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()))
            }
        }
    }
    out.sort();
    out
}

/// Runs the actlab binary in `dir`.
pub fn actlab(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_actlab"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// Runs actlab in `dir`, asserts that it succeeded, and returns what it printed on stderr.
pub fn succeeds(dir: &Path, args: &[&str]) -> String {
    let out = actlab(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{args:?}: {stderr}");
    stderr
}

/// A file that must exist, as text.
pub fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{} exists", path.display()))
}
