//! A language-model run's jobs and what is recorded of them: their names, the corpus record,
//! and `summary.json`, `metrics.csv` and the probe records gathered from the jobs' result files
//! (per variant the final losses over seeds with their interval, speed and parameters).

use std::path::Path;

use crate::{
    analysis::paired::special::student_t_quantile,
    backend::BackendInfo,
    config::language::LmPlan,
    data::text::Corpus,
    model::gpt::GptConfig,
    store::{
        self, StoreError,
        language::{
            CorpusRecord, JobResult, LM_KIND, LM_METRICS_COLUMNS, LmMetricRow, LmSummary,
            LmVariantSummary,
        },
    },
};

/// `summary.json` and `metrics.csv` from the jobs' result files.
pub(super) fn write(
    plan: &LmPlan,
    corpus: &Corpus,
    dir: &Path,
    backend: BackendInfo,
    overrides: &[String],
) -> Result<(), StoreError> {
    let mut rows = Vec::new();
    let mut variants = Vec::new();
    for (name, model) in &plan.variants {
        let results: Vec<JobResult> = jobs(plan)
            .iter()
            .filter(|(v, _)| v == name)
            .map(|(v, s)| store::read_json(&JobResult::file(dir, &job_name(v, *s))))
            .collect::<Result<_, _>>()?;
        rows.extend(results.iter().flat_map(LmMetricRow::rows));
        variants.push(variant_summary(name, model, &results));
    }
    store::write_rows(&dir.join("metrics.csv"), &LM_METRICS_COLUMNS, &rows)?;
    let (mut probes, mut histograms) = (Vec::new(), Vec::new());
    for (v, s) in jobs(plan) {
        let result: JobResult = store::read_json(&JobResult::file(dir, &job_name(&v, s)))?;
        probes.extend(result.history.probes);
        histograms.extend(result.history.histograms);
    }
    if !probes.is_empty() {
        store::write_activations(dir, &probes, &histograms)?;
    }
    store::write_json(
        &dir.join("summary.json"),
        &LmSummary {
            kind: LM_KIND.into(),
            experiment: plan.experiment.name.clone(),
            backend,
            overrides: overrides.to_vec(),
            corpus: corpus_record(corpus),
            variants,
        },
    )
}

fn variant_summary(name: &str, model: &GptConfig, results: &[JobResult]) -> LmVariantSummary {
    let finals: Vec<Option<f64>> = results.iter().map(JobResult::final_val_loss).collect();
    let ok: Vec<f64> = finals.iter().flatten().copied().collect();
    let n = ok.len() as f64;
    let mean = (!ok.is_empty()).then(|| ok.iter().sum::<f64>() / n);
    let std = mean
        .filter(|_| ok.len() > 1)
        .map(|m| (ok.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt());
    let interval = mean.zip(std).map(|(m, s)| {
        let half = student_t_quantile(0.975, n - 1.0) * s / n.sqrt();
        [m - half, m + half]
    });
    let rates: Vec<f64> = results
        .iter()
        .flat_map(|r| {
            r.history
                .evaluations
                .iter()
                .skip(1)
                .map(|e| e.tokens_per_second)
        })
        .collect();
    LmVariantSummary {
        name: name.into(),
        activation: model.unit.name(),
        parameters: model.parameters(),
        hidden: model.hidden,
        seeds: results.iter().map(|r| r.seed).collect(),
        final_val_loss: finals,
        final_train_loss: results
            .iter()
            .map(|r| {
                r.history
                    .evaluations
                    .last()
                    .map(|e| e.train_loss)
                    .filter(|_| !r.history.diverged)
            })
            .collect(),
        diverged: results.iter().filter(|r| r.history.diverged).count(),
        mean_val_loss: mean,
        std_val_loss: std,
        val_loss_interval: interval,
        tokens_per_second: if rates.is_empty() {
            0.0
        } else {
            rates.iter().sum::<f64>() / rates.len() as f64
        },
        train_seconds: results.iter().map(|r| r.history.train_seconds).sum(),
    }
}

/// A job's name in `results/` and `checkpoints/`.
pub(super) fn job_name(variant: &str, seed: u32) -> String {
    format!("{variant}-seed-{seed}")
}

/// Every job of the plan: `(variant index, seed)`, variant-major.
pub(super) fn jobs(plan: &LmPlan) -> Vec<(String, u32)> {
    let first = plan.experiment.model.seed;
    plan.variants
        .iter()
        .flat_map(|(name, _)| {
            (0..plan.experiment.train.seeds as u32)
                .map(move |i| (name.clone(), first.wrapping_add(i)))
        })
        .collect()
}

pub(super) fn corpus_record(corpus: &Corpus) -> CorpusRecord {
    let (train, val) = corpus.split();
    CorpusRecord {
        source: corpus.source.clone(),
        sha256: corpus.sha256.clone(),
        bytes: corpus.bytes,
        tokens: corpus.ids.len(),
        train_tokens: train.len(),
        val_tokens: val.len(),
        unigram_entropy: corpus.unigram_entropy(),
        vocabulary: corpus.vocabulary.clone(),
    }
}
