//! `verify.md` and the table `actlab verify` prints: every claim with its published and
//! measured value and verdict, rebuilt from `verify.json`.

use crate::store::verify::{ClaimOutcome, Verdict, VerifyRecord};

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn verdict_cell(c: &ClaimOutcome) -> String {
    match (&c.verdict, c.held_at_release) {
        (Verdict::Differs, Some(false)) => "differs (as at the last release)".into(),
        (Verdict::Differs, _) => "**differs** (held at the last release)".into(),
        (v, _) => v.word().into(),
    }
}

fn time_cell(c: &ClaimOutcome) -> String {
    match c.verdict {
        Verdict::NotRun { .. } if c.seconds == 0.0 => String::new(),
        _ if c.seconds < 1.0 => "<1 s".into(),
        _ => duration(c.seconds),
    }
}

/// A wall clock in words: `42 s`, `3 min 05 s`, `1 h 02 min`.
fn duration(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

/// The table of claims, as markdown.
pub fn verify_table(record: &VerifyRecord) -> Vec<String> {
    let mut lines = vec![
        "| claim | published | measured | verdict | time |".to_string(),
        "|---|---|---|---|---|".into(),
    ];
    for c in &record.claims {
        lines.push(format!(
            "| {} | {} | {} | {} | {} |",
            c.name,
            cell(&c.published_text),
            c.measured
                .as_ref()
                .map_or(String::new(), |m| cell(&m.shown)),
            verdict_cell(c),
            time_cell(c)
        ));
    }
    lines
}

/// `verify.md`.
pub fn verify_page(record: &VerifyRecord) -> String {
    let count = |w: &str| {
        record
            .claims
            .iter()
            .filter(|c| c.verdict.word() == w)
            .count()
    };
    let mut lines = vec![
        format!("# actlab verify --{}", record.mode),
        String::new(),
        format!(
            "actlab {}, started {}, {} in all. {} claims: {} hold, {} differ, {} not run.",
            record.actlab_version,
            record.started,
            duration(record.wall_seconds),
            record.claims.len(),
            count("holds"),
            count("differs"),
            count("not run")
        ),
        String::new(),
    ];
    let regressions = record.regressions();
    lines.push(if regressions.is_empty() {
        "No claim that held at the last release differs now.".into()
    } else {
        format!(
            "**Held at the last release and differ now: {}.**",
            regressions
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    });
    lines.push(String::new());
    lines.extend(verify_table(record));
    lines.push(String::new());
    lines.push("## The claims".into());
    lines.push(String::new());
    for c in &record.claims {
        lines.push(format!("### {}", c.name));
        lines.push(String::new());
        lines.push(format!("{} ({}, {})", c.claim, c.source, c.address));
        lines.push(String::new());
        lines.push(format!(
            "- Published: {} ({}); the rule: measured {}.",
            c.published_text, c.published, c.rule
        ));
        if let Some(e) = &c.experiment {
            lines.push(format!(
                "- Measured by `actlab run {e}{}`{}.",
                c.overrides
                    .iter()
                    .map(|o| format!(" --set '{o}'"))
                    .collect::<String>(),
                c.folder
                    .as_ref()
                    .map_or(String::new(), |f| format!(", in [{f}]({f}/report.md)"))
            ));
        }
        if let Some(m) = &c.measured {
            lines.push(format!("- Measured: {}.", m.shown));
        }
        lines.push(format!(
            "- Verdict: {}{}.",
            verdict_cell(c),
            match &c.verdict {
                Verdict::NotRun { reason } => format!(": {reason}"),
                _ => String::new(),
            }
        ));
        if let Some(note) = &c.note {
            lines.push(format!("- Note: {note}"));
        }
        lines.push(String::new());
    }
    lines.join("\n")
}
