//! The sweep page's ranking: each variant's best configurations by mean test accuracy, and
//! where it diverged.

use super::{Page, pct, settings, variant};
use crate::{
    analysis::stats::Stat,
    store::{PointResult, SweepRecord},
};

/// Rows shown per variant.
const SHOWN: usize = 10;

pub fn render(page: &mut Page, record: &SweepRecord) {
    let e = &record.experiment;
    page.heading(2, "Best configurations")
        .paragraph("By mean test accuracy over seeds, per variant.");
    for v in &e.variants {
        let mut ranked: Vec<(&PointResult, Stat)> = record
            .points
            .iter()
            .filter_map(|p| Some((p, variant(p, &v.name)?.stats.test_accuracy?)))
            .collect();
        ranked.sort_by(|a, b| b.1.mean.total_cmp(&a.1.mean).then(a.0.id.cmp(&b.0.id)));
        let rows: Vec<Vec<String>> = ranked
            .iter()
            .take(SHOWN)
            .enumerate()
            .map(|(rank, (p, acc))| {
                let loss = variant(p, &v.name)
                    .and_then(|x| x.stats.final_train_loss)
                    .map_or("n/a".into(), |s| format!("{:.4}", s.mean));
                vec![
                    (rank + 1).to_string(),
                    settings(record, p),
                    pct(Some(*acc)),
                    loss,
                ]
            })
            .collect();
        page.heading(3, &v.name).table(
            &[
                "rank",
                "configuration",
                "test accuracy [95% CI]",
                "final train loss",
            ],
            &rows,
        );
        let diverged: Vec<String> = record
            .points
            .iter()
            .filter_map(|p| Some((p, variant(p, &v.name)?.stats.diverged)))
            .filter(|(_, n)| *n > 0)
            .map(|(p, n)| format!("{} ({n} of {} seeds)", settings(record, p), e.train.seeds))
            .collect();
        if !diverged.is_empty() {
            page.paragraph(&format!("Diverged: {}.", diverged.join("; ")));
        }
    }
}
