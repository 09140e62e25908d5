//! Embeds the built-in experiments (`experiments/*.toml`) and the claim registry
//! (`experiments/claims/*.toml`) in the binary, so that an installed
//! or copied actlab lists and runs them without its source tree, and records the commit the
//! binary was built from for `actlab --version`.

use std::{env, fs, path::Path, process::Command};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments");
    embed(
        &root,
        "BUILTIN",
        "`(name, text)` of every built-in experiment, by name.",
        "experiments.rs",
    );
    embed(
        &root.join("claims"),
        "CLAIMS",
        "`(name, text)` of every published claim `actlab verify` checks, by name.",
        "claims.rs",
    );

    for head in [".git/HEAD", ".git/refs/heads", ".git/packed-refs"] {
        println!("cargo:rerun-if-changed={head}");
    }
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let dirty =
        git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    println!(
        "cargo:rustc-env=ACTLAB_COMMIT={commit}{}",
        if dirty {
            " with uncommitted changes"
        } else {
            ""
        }
    );
}

/// Writes `OUT_DIR/<file>`: a constant `name` listing `(file stem, text)` of every `*.toml`
/// in `dir`, sorted by name.
fn embed(dir: &Path, name: &str, doc: &str, file: &str) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut code = format!("/// {doc}\npub const {name}: &[(&str, &str)] = &[\n");
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let stem = path.file_stem().unwrap().to_string_lossy();
        code.push_str(&format!(
            "    ({stem:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
    }
    code.push_str("];\n");
    let out = Path::new(&env::var("OUT_DIR").unwrap()).join(file);
    fs::write(out, code).unwrap_or_else(|e| panic!("writing {file}: {e}"));
}
