//! Saturation of bounded activations over training, after Glorot & Bengio (2010, Fig. 2): for
//! each variant with a bounded nonlinearity, the top hidden layer's mean and 2nd/98th
//! percentiles at every probe, and whether it saturates toward its lower bound early and
//! recovers later.

use super::page::Page;
use crate::store::RunRecord;

/// A mean within this share of the range from the lower bound counts as saturated toward it.
const NEAR_LOWER: f64 = 0.1;
/// "Early": within this share of the probed epochs.
const EARLY: f64 = 0.25;
/// Recovery: the mean rises at least this share of the range above its minimum.
const RECOVERY: f64 = 0.1;

/// One probe of the top hidden layer.
struct Point {
    epoch: usize,
    mean: f64,
    p2: f64,
    p98: f64,
    saturated: Option<f64>,
}

fn trajectory(record: &RunRecord, variant: &str, layer: usize) -> Vec<Point> {
    let get = |epoch: usize, statistic: &str| {
        super::layers::stat(record, variant, epoch, layer, "a", statistic)
    };
    let epochs: std::collections::BTreeSet<usize> = record
        .layer_stats
        .iter()
        .filter(|r| r.variant == variant && r.layer == layer)
        .map(|r| r.epoch)
        .collect();
    epochs
        .into_iter()
        .filter_map(|epoch| {
            Some(Point {
                epoch,
                mean: get(epoch, "mean")?,
                p2: get(epoch, "p2")?,
                p98: get(epoch, "p98")?,
                saturated: get(epoch, "saturated_fraction"),
            })
        })
        .collect()
}

/// What the top layer's mean did over training, on its activation's range.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Saturation {
    /// The first probe after the first at which the mean came within `NEAR_LOWER` of the
    /// range of the lower bound, and whether that was early (in the first `EARLY` of epochs).
    pub saturated_at: Option<usize>,
    pub early: bool,
    /// After its lowest point, the first probe at which the mean rose `RECOVERY` of the range
    /// above it (and out of the saturated zone).
    pub recovered_at: Option<usize>,
}

fn assess(points: &[Point], (lower, upper): (f64, f64)) -> (Saturation, usize) {
    let position = |p: &Point| (p.mean - lower) / (upper - lower);
    let first = &points[0];
    let last = &points[points.len() - 1];
    let (low_index, low) = points
        .iter()
        .enumerate()
        .min_by(|a, b| position(a.1).total_cmp(&position(b.1)))
        .expect("two probes or more");
    let span = (last.epoch - first.epoch).max(1) as f64;
    let early_by = first.epoch as f64 + EARLY * span;
    let saturated_at = points
        .iter()
        .find(|p| position(p) <= NEAR_LOWER && p.epoch > first.epoch)
        .map(|p| p.epoch);
    let recovered_at = saturated_at.and_then(|_| {
        points[low_index..]
            .iter()
            .find(|p| position(p) - position(low) >= RECOVERY && position(p) > NEAR_LOWER)
            .map(|p| p.epoch)
    });
    let assessment = Saturation {
        saturated_at,
        early: saturated_at.is_some_and(|e| e as f64 <= early_by),
        recovered_at,
    };
    (assessment, low_index)
}

/// The top hidden layer's saturation for `variant`, when the run probed it three times or more
/// and its activation is bounded.
pub fn top_layer_saturation(record: &RunRecord, variant: &str) -> Option<Saturation> {
    let plan = record.plan.as_ref()?;
    let bounds = plan
        .variants
        .iter()
        .find(|v| v.name == variant)?
        .nonlinearity
        .bounds()?;
    let points = trajectory(record, variant, record.layer_names().len());
    (points.len() >= 3).then(|| assess(&points, bounds).0)
}

/// What the top layer's mean did, in words, on the `(lower, upper)` range.
fn verdict(points: &[Point], bounds: (f64, f64)) -> String {
    let (s, low_index) = assess(points, bounds);
    let lower = bounds.0;
    let first = &points[0];
    let last = &points[points.len() - 1];
    let low = &points[low_index];
    let at_last = low_index + 1 == points.len();
    let mut text = format!(
        "mean {:.3} at epoch {} (p2-p98 {:.3} to {:.3}), lowest {:.3} at epoch {}{} (p98 {:.3})",
        first.mean,
        first.epoch,
        first.p2,
        first.p98,
        low.mean,
        low.epoch,
        if at_last { ", the last probe" } else { "" },
        low.p98
    );
    if !at_last {
        text += &format!(", {:.3} at epoch {}", last.mean, last.epoch);
    }
    match s.saturated_at {
        None => {
            text += &format!(
                ": it does not saturate toward its lower bound {lower} (its mean never comes within {:.0}% of the range of it)",
                100.0 * NEAR_LOWER
            );
        }
        Some(epoch) => {
            let when = if s.early { "early" } else { "late" };
            text += &format!(
                ": it saturates toward its lower bound {lower} {when}, by epoch {epoch} (mean within {:.0}% of the range of it)",
                100.0 * NEAR_LOWER
            );
            let risen = s
                .recovered_at
                .and_then(|e| points.iter().find(|p| p.epoch == e));
            text += &match risen {
                Some(r) => format!(
                    ", and recovers: by epoch {} its mean is back at {:.3}",
                    r.epoch, r.mean
                ),
                None => format!(
                    ", and does not recover within the budget (its mean never rises {:.0}% of the range above its lowest)",
                    100.0 * RECOVERY
                ),
            };
        }
    }
    text
}

/// The section, for runs probed at three epochs or more with a bounded activation.
pub fn render_saturation(page: &mut Page, record: &RunRecord) {
    let Some(plan) = &record.plan else {
        return;
    };
    let top = record.layer_names().len();
    let bounded: Vec<_> = plan
        .variants
        .iter()
        .filter_map(|v| Some((v, v.nonlinearity.bounds()?)))
        .filter(|(v, _)| trajectory(record, &v.name, top).len() >= 3)
        .collect();
    if top == 0 || bounded.is_empty() {
        return;
    }
    page.heading(2, "Saturation of the top hidden layer over training")
        .paragraph(&format!(
            "Glorot & Bengio (2010, Fig. 2) report that with the standard init the top hidden layer of a sigmoid network \
             \"quickly saturates at 0 (slowing down all learning), but then slowly desaturates\". Here: layer {top}'s activation \
             mean and 2nd/98th percentiles on the probe set at every probe, for each variant's first seed. \"Saturates toward the \
             lower bound\": the mean comes within {:.0}% of the activation's range of its lower bound; \"early\": in the first \
             {:.0}% of the epochs; \"recovers\": the mean later rises {:.0}% of the range above its lowest. Saturated: the share of \
             values within {} of either bound.",
            100.0 * NEAR_LOWER,
            100.0 * EARLY,
            100.0 * RECOVERY,
            record.experiment.probes.saturation_eps
        ));
    let bullets: Vec<String> = bounded
        .iter()
        .map(|(v, bounds)| {
            format!(
                "- **{}** ({}, {} init), layer {top}: {}.",
                v.name,
                v.nonlinearity.name(),
                v.init.scheme.name(),
                verdict(&trajectory(record, &v.name, top), *bounds)
            )
        })
        .collect();
    page.paragraph(&bullets.join("\n"));
    let mut rows = Vec::new();
    for (v, _) in &bounded {
        for p in trajectory(record, &v.name, top) {
            rows.push(vec![
                v.name.clone(),
                p.epoch.to_string(),
                format!("{:.4}", p.mean),
                format!("{:.4}", p.p2),
                format!("{:.4}", p.p98),
                p.saturated.map_or(String::new(), |s| format!("{s:.3}")),
            ]);
        }
    }
    page.table(
        &["variant", "epoch", "mean", "p2", "p98", "saturated"],
        &rows,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(means: &[f64]) -> Vec<Point> {
        means
            .iter()
            .enumerate()
            .map(|(epoch, &mean)| Point {
                epoch,
                mean,
                p2: mean,
                p98: mean,
                saturated: None,
            })
            .collect()
    }

    #[test]
    fn early_saturation_then_recovery() {
        let text = verdict(
            &points(&[0.5, 0.05, 0.04, 0.06, 0.1, 0.2, 0.3, 0.3, 0.3]),
            (0.0, 1.0),
        );
        assert!(
            text.contains("saturates toward its lower bound 0 early, by epoch 1"),
            "{text}"
        );
        assert!(text.contains("recovers: by epoch 5"), "{text}");
    }

    #[test]
    fn saturation_without_recovery_and_none_at_all() {
        let stuck = verdict(
            &points(&[0.5, 0.4, 0.3, 0.2, 0.09, 0.05, 0.05, 0.05]),
            (0.0, 1.0),
        );
        assert!(stuck.contains("late, by epoch 4"), "{stuck}");
        assert!(stuck.contains("does not recover"), "{stuck}");
        // tanh centred at 0 sits mid-range: no saturation toward -1.
        let centred = verdict(&points(&[0.0, 0.01, -0.02, 0.0]), (-1.0, 1.0));
        assert!(centred.contains("does not saturate"), "{centred}");
    }
}
