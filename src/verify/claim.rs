//! The claim registry: one TOML file per published claim (`experiments/claims/*.toml`,
//! embedded in the binary), parsed and checked before anything runs.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{measure::Measure, rule::Rule};

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/claims.rs"));
}

/// The folder searched for claim files before the built-in ones: `./experiments/claims`.
fn local_claims() -> PathBuf {
    PathBuf::from("experiments").join("claims")
}

#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    #[error("claim file {origin}: {message}")]
    Parse { origin: String, message: String },
    #[error("claim `{name}`: {message}")]
    Invalid { name: String, message: String },
    #[error("no claim named `{name}`; there are: {available}")]
    Unknown { name: String, available: String },
}

/// One published claim and how actlab measures it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// The file's stem; not written in the file.
    #[serde(skip)]
    pub name: String,
    /// The claim, in one sentence.
    pub claim: String,
    /// Paper, table or figure.
    pub source: String,
    /// Where the source can be read.
    pub address: String,
    /// The published value, in the unit the measure reports.
    pub published: f64,
    /// The published value as the source prints it.
    pub published_text: String,
    /// The experiment that measures it (none for a measure computed without training).
    #[serde(default)]
    pub experiment: Option<String>,
    pub measure: Measure,
    pub rule: Rule,
    /// The shortened recipe `--quick` runs; without it, `--quick` does not run the claim.
    #[serde(default)]
    pub quick: Option<Recipe>,
    /// The claim's own recipe, which `--full` runs.
    pub full: Recipe,
}

/// One way of running a claim's experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    /// `--set key=value` overrides of the experiment.
    #[serde(default)]
    pub overrides: Vec<String>,
    /// Wall clock on 2 cores, measured.
    pub minutes: f64,
    /// Whether the claim held with this recipe at the last release. A claim that did not
    /// (`held = false`, with `note` saying why) is reported, never failed.
    pub held: bool,
    #[serde(default)]
    pub note: Option<String>,
}

impl Claim {
    /// Parses one claim file.
    pub fn parse(name: &str, text: &str, origin: &str) -> Result<Self, ClaimError> {
        let mut claim: Claim = toml::from_str(text).map_err(|e| ClaimError::Parse {
            origin: origin.into(),
            message: e.to_string(),
        })?;
        claim.name = name.into();
        claim.check()?;
        Ok(claim)
    }

    fn check(&self) -> Result<(), ClaimError> {
        let fail = |message: String| {
            Err(ClaimError::Invalid {
                name: self.name.clone(),
                message,
            })
        };
        if !self.published.is_finite() {
            return fail(format!(
                "published = {}: allowed: a finite number",
                self.published
            ));
        }
        match (self.measure.needs_run(), &self.experiment) {
            (true, None) => {
                return fail(format!(
                    "measure `{}` reads a run folder, so `experiment` must name the experiment that makes it",
                    self.measure.kind()
                ));
            }
            (false, Some(e)) => {
                return fail(format!(
                    "measure `{}` is computed without training, so `experiment = {e:?}` would never run; remove it",
                    self.measure.kind()
                ));
            }
            _ => {}
        }
        for (which, recipe) in [("quick", self.quick.as_ref()), ("full", Some(&self.full))] {
            let Some(r) = recipe else { continue };
            if !(r.minutes.is_finite() && r.minutes >= 0.0) {
                return fail(format!(
                    "{which}.minutes = {}: allowed: a time in minutes, 0 or more",
                    r.minutes
                ));
            }
            if !r.held && r.note.is_none() {
                return fail(format!(
                    "{which}.held = false needs a `note` saying why the claim does not hold at that scale"
                ));
            }
            if let Some(bad) = r.overrides.iter().find(|o| !o.contains('=')) {
                return fail(format!(
                    "{which}.overrides: {bad:?} is not of the form key=value"
                ));
            }
        }
        self.rule.check(self.published).or_else(fail)
    }

    /// The recipe for `full` or quick mode, if the claim has one.
    pub fn recipe(&self, full: bool) -> Option<&Recipe> {
        if full {
            Some(&self.full)
        } else {
            self.quick.as_ref()
        }
    }
}

/// Every claim: those in `./experiments/claims` first, then the built-in ones not shadowed.
pub fn registry() -> Result<Vec<Claim>, ClaimError> {
    let mut claims = Vec::new();
    if let Ok(entries) = std::fs::read_dir(local_claims()) {
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        for path in paths {
            let origin = path.display().to_string();
            let text = std::fs::read_to_string(&path).map_err(|e| ClaimError::Parse {
                origin: origin.clone(),
                message: e.to_string(),
            })?;
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            claims.push(Claim::parse(&name, &text, &origin)?);
        }
    }
    for (name, text) in builtin::CLAIMS {
        if !claims.iter().any(|c| c.name == *name) {
            let origin = format!("experiments/claims/{name}.toml (built in)");
            claims.push(Claim::parse(name, text, &origin)?);
        }
    }
    claims.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(claims)
}

/// The claims named in `only` (all when empty), in registry order; an unknown name is an
/// error listing the known ones.
pub fn select(claims: Vec<Claim>, only: &[String]) -> Result<Vec<Claim>, ClaimError> {
    if let Some(unknown) = only.iter().find(|n| !claims.iter().any(|c| &c.name == *n)) {
        return Err(ClaimError::Unknown {
            name: unknown.clone(),
            available: claims
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(claims
        .into_iter()
        .filter(|c| only.is_empty() || only.contains(&c.name))
        .collect())
}
