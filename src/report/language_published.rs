//! A source's ordering of feed-forward activations beside a language-model sweep's
//! (`[published]`): per activation the published and the measured difference from the
//! reference with a verdict, the source's gated-versus-plain claim pair by pair, and Kendall's
//! tau between the two orderings.

use super::language::Paired;
use crate::{
    config::language::LmPublished, model::gpt::FeedForwardUnit, store::language::LmVariantSummary,
};

fn is_gated(activation: &str) -> bool {
    activation
        .parse::<FeedForwardUnit>()
        .is_ok_and(FeedForwardUnit::is_gated)
}

/// Kendall's tau-a between two orderings of the same items.
fn kendall_tau(pairs: &[(f64, f64)]) -> Option<f64> {
    let n = pairs.len();
    if n < 2 {
        return None;
    }
    let mut score = 0.0;
    for i in 0..n {
        for j in i + 1..n {
            let a = (pairs[i].0 - pairs[j].0).signum();
            let b = (pairs[i].1 - pairs[j].1).signum();
            score += a * b;
        }
    }
    Some(score / (n * (n - 1) / 2) as f64)
}

/// The source's ordering beside the measured one: per activation, the published difference
/// from the reference and the measured paired one with its verdict; then the source's claim
/// that every gated unit beats every plain one, pair by pair, and the rank agreement.
pub(super) fn published_section(
    published: &LmPublished,
    base_name: &str,
    base: &LmVariantSummary,
    compared: &[Paired],
    entries: &[(String, &LmVariantSummary)],
) -> Vec<String> {
    let mut lines = vec![
        "## Beside the published ordering".into(),
        String::new(),
        format!(
            "{} ({}). The source's model and corpus are far larger, so values are not comparable: what carries over, if anything, is the ordering. A measured difference counts when its Holm-corrected paired t p-value is below 0.05.",
            published.source, published.metric
        ),
        String::new(),
    ];
    let Some(&base_published) = published.values.get(&base.activation) else {
        lines.push(format!(
            "The reference ({base_name}, `{}`) has no published value, so no difference can be set beside the measured ones.",
            base.activation
        ));
        lines.push(String::new());
        return lines;
    };
    lines.push(format!(
        "| feed-forward | published | published − {base_name} | measured − {base_name} [95% CI] | t p, Holm | verdict |"
    ));
    lines.push("|---|---|---|---|---|---|".into());
    for r in compared {
        let Some(&value) = published.values.get(&r.summary.activation) else {
            continue;
        };
        let expected = value - base_published;
        let c = &r.comparison;
        let measured_sign = if r.holm_p < 0.05 {
            c.mean_difference.signum()
        } else {
            0.0
        };
        let verdict = match (expected.signum(), measured_sign) {
            (_, 0.0) if expected == 0.0 => "no difference published, none measured",
            (_, 0.0) => "not resolved here (no significant difference)",
            (e, m) if e == m => "**holds** (same direction, significant)",
            _ => "**reversed** (opposite direction, significant)",
        };
        lines.push(format!(
            "| {} | {value:.3} | {expected:+.3} | {:+.4} [{:+.4}, {:+.4}] | {:.3} | {verdict} |",
            r.name, c.mean_difference, c.ci95[0], c.ci95[1], r.holm_p
        ));
    }
    lines.push(String::new());
    let o = ordering(published, entries);
    if o.pairs > 0 {
        lines.push(format!(
            "**Gated against plain.** The source has every gated unit below every plain one{}. Here, by mean validation loss, {} of {} (gated, plain) pairs are ordered that way{}.",
            if o.published_holds {
                ""
            } else {
                " (not quite: its own values break it for some pairs)"
            },
            o.gated_ahead,
            o.pairs,
            if o.exceptions.is_empty() {
                String::from(": the claim holds at this scale")
            } else {
                format!("; the exceptions: {}", o.exceptions.join("; "))
            }
        ));
        lines.push(String::new());
    }
    if let Some(tau) = o.tau {
        lines.push(format!(
            "**Ranks.** Over the {} feed-forward units in both, Kendall's tau between the published and the measured ordering is {tau:+.2} (+1: the same order, 0: unrelated, −1: reversed). Best published: {}; best here: {}.",
            o.units, o.best_published, o.best_measured
        ));
        lines.push(String::new());
    }
    lines
}

/// How a sweep's ordering of feed-forward units compares with a source's.
#[derive(Clone, Debug, PartialEq)]
pub struct Ordering {
    /// Units with both a published and a measured value.
    pub units: usize,
    /// (gated, plain) pairs, and those with the gated unit's mean validation loss lower.
    pub pairs: usize,
    pub gated_ahead: usize,
    /// The pairs measured the other way round, in words.
    pub exceptions: Vec<String>,
    /// Whether the source's own values put every gated unit below every plain one.
    pub published_holds: bool,
    /// Kendall's tau-a between the published and the measured values.
    pub tau: Option<f64>,
    pub best_published: String,
    pub best_measured: String,
}

/// The source's headline (every gated unit below every plain one), pair by pair, and the rank
/// agreement, over the `(name, summary)` entries that have a published value.
pub fn ordering(published: &LmPublished, entries: &[(String, &LmVariantSummary)]) -> Ordering {
    let shared: Vec<(&str, f64, f64)> = entries
        .iter()
        .filter_map(|(name, v)| {
            Some((
                name.as_str(),
                *published.values.get(&v.activation)?,
                v.mean_val_loss?,
            ))
        })
        .collect();
    let gated: Vec<_> = shared
        .iter()
        .filter(|(n, ..)| is_gated(&activation_of(entries, n)))
        .collect();
    let plain: Vec<_> = shared
        .iter()
        .filter(|(n, ..)| !is_gated(&activation_of(entries, n)))
        .collect();
    let mut exceptions = Vec::new();
    let mut gated_ahead = 0;
    for g in &gated {
        for p in &plain {
            if g.2 < p.2 {
                gated_ahead += 1;
            } else {
                exceptions.push(format!("{} {:.4} ≥ {} {:.4}", g.0, g.2, p.0, p.2));
            }
        }
    }
    let best = |key: fn(&(&str, f64, f64)) -> f64| {
        shared
            .iter()
            .min_by(|a, b| key(a).total_cmp(&key(b)))
            .map_or("n/a".to_string(), |e| e.0.to_string())
    };
    let ranks: Vec<(f64, f64)> = shared.iter().map(|&(_, p, m)| (p, m)).collect();
    Ordering {
        units: shared.len(),
        pairs: gated.len() * plain.len(),
        gated_ahead,
        exceptions,
        published_holds: gated.iter().all(|g| plain.iter().all(|p| g.1 < p.1)),
        tau: kendall_tau(&ranks),
        best_published: best(|e| e.1),
        best_measured: best(|e| e.2),
    }
}

/// The activation of the entry called `name`.
fn activation_of(entries: &[(String, &LmVariantSummary)], name: &str) -> String {
    entries
        .iter()
        .find(|(n, _)| n == name)
        .map_or_else(String::new, |(_, v)| v.activation.clone())
}

#[cfg(test)]
mod tests {
    use super::kendall_tau;

    #[test]
    fn kendall_tau_by_hand() {
        // Same order: +1; reversed: -1; one swap among three: (1 + 1 - 1) / 3.
        assert_eq!(
            kendall_tau(&[(1.0, 1.0), (2.0, 2.0), (3.0, 3.0)]),
            Some(1.0)
        );
        assert_eq!(
            kendall_tau(&[(1.0, 3.0), (2.0, 2.0), (3.0, 1.0)]),
            Some(-1.0)
        );
        let tau = kendall_tau(&[(1.0, 2.0), (2.0, 1.0), (3.0, 3.0)]).unwrap();
        assert!((tau - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(kendall_tau(&[(1.0, 1.0)]), None);
    }
}
