//! Finishing a run: from trained programs to the records of a run folder (summary, metric
//! rows, the article's analysis, probe statistics), written atomically and then rendered into
//! the report and figures. A run, an evaluation and a sweep point all finish through here.

use std::path::Path;

use burn::{module::AutodiffModule, tensor::backend::AutodiffBackend};

use super::programs::{Program, Trained};
use crate::{
    analysis::{article, probe::ProbeLog},
    config::Plan,
    model::{Network, select},
    store::{self, AnalysisRecord, MetricRow, SeedRun, StoreError, Summary, VariantSummary},
};

/// Every seed of variant `v` across the programs, as trained.
pub fn seed_runs<'a, M>(
    programs: &[Program],
    trained: &'a [Trained<M>],
    v: usize,
) -> Vec<SeedRun<'a>> {
    programs
        .iter()
        .zip(trained)
        .flat_map(|(program, t)| {
            t.members_of(v).into_iter().map(move |k| SeedRun {
                seed: t.members[k].seed,
                data_seed: program.data_seed,
                history: &t.histories[k],
            })
        })
        .collect()
}

/// Each variant's summary over its seeds, with its analysis where there is one.
pub fn variant_summaries<M>(
    plan: &Plan,
    programs: &[Program],
    trained: &[Trained<M>],
    analyses: &[AnalysisRecord],
    train_seconds: f64,
) -> Vec<VariantSummary> {
    plan.variants
        .iter()
        .enumerate()
        .filter_map(|(v, planned)| {
            let seeds = seed_runs(programs, trained, v);
            if seeds.is_empty() {
                return None;
            }
            let analysis = analyses
                .iter()
                .find(|a| a.variant == planned.name)
                .and_then(|a| a.analysis.as_ref());
            Some(VariantSummary::new(
                planned,
                &plan.architecture,
                &seeds,
                analysis,
                train_seconds,
            ))
        })
        .collect()
}

/// `metrics.csv`'s rows: variant-major, then program, member and epoch.
pub fn metric_rows<M>(plan: &Plan, programs: &[Program], trained: &[Trained<M>]) -> Vec<MetricRow> {
    let mut rows = Vec::new();
    for (v, variant) in plan.variants.iter().enumerate() {
        for (program, t) in programs.iter().zip(trained) {
            for k in t.members_of(v) {
                rows.extend(t.histories[k].epochs.iter().map(|m| MetricRow {
                    variant: variant.name.clone(),
                    seed: t.members[k].seed,
                    data_seed: program.data_seed,
                    epoch: m.epoch,
                    train_loss: m.train_loss,
                    train_accuracy: m.train_accuracy,
                    test_loss: m.test_loss,
                    test_accuracy: m.test_accuracy,
                }));
            }
        }
    }
    rows
}

/// The article's analysis of each variant's first member that did not diverge, analysed
/// alone (the rest of the ensemble is never evaluated for it).
/// The analysis runs on the backend's inner, gradient-free side: nothing is kept for a
/// backward pass, so a large decision grid through a deep network stays in bounded memory.
pub fn analyze_variants<B: AutodiffBackend>(
    plan: &Plan,
    programs: &[Program],
    trained: &[Trained<Network<B>>],
    device: &B::Device,
) -> Vec<AnalysisRecord> {
    plan.variants
        .iter()
        .enumerate()
        .map(|(v, planned)| {
            let found = programs.iter().zip(trained).find_map(|(program, t)| {
                let k = t
                    .members_of(v)
                    .into_iter()
                    .find(|&k| t.histories[k].is_active())?;
                Some((program, t, k))
            });
            let analysis = found.map(|(program, t, k)| {
                let member = select(&t.model, k..k + 1).valid();
                article::analyze(&member, &program.split, &plan.experiment.analysis, device)
            });
            AnalysisRecord {
                variant: planned.name.clone(),
                analysis,
            }
        })
        .collect()
}

/// What a finished run writes.
pub struct Records<'a> {
    pub summary: &'a Summary,
    pub metrics: &'a [MetricRow],
    pub analyses: &'a [AnalysisRecord],
    pub probes: Option<&'a ProbeLog>,
}

/// Writes the records into `dir`, each file atomically and `summary.json` last (a folder is a
/// finished run once its summary parses), then renders the report and figures from them.
pub fn write(dir: &Path, records: &Records) -> Result<(), StoreError> {
    store::write_metrics(dir, records.metrics)?;
    if let Some(log) = records.probes {
        store::write_activations(dir, &log.rows, &log.histograms)?;
    }
    store::write_json(&dir.join("analysis.json"), &records.analyses)?;
    store::write_json(&dir.join("summary.json"), records.summary)?;
    crate::report::rebuild(dir)
}
