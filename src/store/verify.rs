//! `verify.json`: what `actlab verify` checked, claim by claim, read back by its page.

use serde::{Deserialize, Serialize};

/// A measured value, with its 95% interval where there are seeds, and as the table shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    pub value: f64,
    pub interval: Option<[f64; 2]>,
    pub shown: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    Holds,
    Differs,
    NotRun { reason: String },
}

impl Verdict {
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Differs => "differs",
            Verdict::NotRun { .. } => "not run",
        }
    }
}

/// One claim as checked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClaimOutcome {
    pub name: String,
    pub claim: String,
    pub source: String,
    pub address: String,
    pub published: f64,
    pub published_text: String,
    /// The rule, in words.
    pub rule: String,
    pub experiment: Option<String>,
    pub overrides: Vec<String>,
    /// The folder the measurement was read from, relative to the verify folder.
    pub folder: Option<String>,
    pub measured: Option<Measured>,
    #[serde(flatten)]
    pub verdict: Verdict,
    /// Whether the claim held with this recipe at the last release; `None`: no recipe in this
    /// mode.
    pub held_at_release: Option<bool>,
    /// Why the claim does not hold at this scale, where it never did.
    pub note: Option<String>,
    /// Wall clock of the run the measurement came from (shared by the claims it serves).
    pub seconds: f64,
}

impl ClaimOutcome {
    /// A claim that held at the last release and differs now.
    pub fn regressed(&self) -> bool {
        self.held_at_release == Some(true) && self.verdict == Verdict::Differs
    }
}

/// `verify.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VerifyRecord {
    /// `quick` or `full`.
    pub mode: String,
    pub actlab_version: String,
    pub started: String,
    pub wall_seconds: f64,
    pub claims: Vec<ClaimOutcome>,
}

impl VerifyRecord {
    pub const FILE: &'static str = "verify.json";

    pub fn regressions(&self) -> Vec<&ClaimOutcome> {
        self.claims.iter().filter(|c| c.regressed()).collect()
    }
}
