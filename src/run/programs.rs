//! How a plan's seeds become training programs, and running them on the available cores.
//!
//! With a fixed data set every variant and seed trains as one ensemble program; with
//! `train.vary_data_seed` each seed has its own data set and so its own program (its own
//! records and checkpoints). The fused engine still trains all programs as one ensemble.

use burn::tensor::backend::AutodiffBackend;
use indicatif::ProgressBar;

use super::train::{Cohort, Persistence, Trained, train_together};
use crate::checkpoint::CheckpointError;
use crate::{config::Plan, data::Split, learner::Engine};

/// One ensemble program: a data set and the model seeds trained on it.
pub struct Program {
    pub data_seed: u32,
    pub seeds: Vec<u32>,
    pub split: Split,
}

/// The programs of `plan`, in seed order.
pub fn programs(plan: &Plan) -> Vec<Program> {
    let (data, model, train) = (
        &plan.experiment.data,
        &plan.experiment.model,
        &plan.experiment.train,
    );
    let seeds: Vec<u32> = (0..train.seeds as u32)
        .map(|i| model.seed.wrapping_add(i))
        .collect();
    if !train.vary_data_seed {
        return vec![Program {
            data_seed: data.seed,
            seeds,
            split: data.build(),
        }];
    }
    seeds
        .into_iter()
        .enumerate()
        .map(|(i, seed)| {
            let mut data = data.clone();
            data.seed = data.seed.wrapping_add(i as u32);
            Program {
                data_seed: data.seed,
                seeds: vec![seed],
                split: data.build(),
            }
        })
        .collect()
}

/// Trains every program. On the fused engine they train together as one ensemble (members of
/// one activation share vector lanes whatever their data set); on the Burn engine, one program
/// per thread.
pub fn train_programs<B: AutodiffBackend>(
    plan: &Plan,
    programs: &[Program],
    threads: usize,
    probe: bool,
    persist: &[Persistence],
    device: &B::Device,
    progress: &ProgressBar,
) -> Result<Vec<Trained<B>>, CheckpointError>
where
    Trained<B>: Send,
{
    let cohorts: Vec<Cohort<'_>> = programs
        .iter()
        .map(|p| Cohort {
            seeds: &p.seeds,
            split: &p.split,
        })
        .collect();
    let together = plan.experiment.train.engine.resolve::<B>() == Engine::Fused;
    if together || programs.len() == 1 {
        return train_together(plan, &cohorts, threads, probe, persist, device, progress);
    }
    if threads <= 1 {
        return (0..programs.len())
            .map(|i| {
                let alone = std::slice::from_ref(&cohorts[i]);
                let persist = std::slice::from_ref(&persist[i]);
                train_together(plan, alone, 1, probe && i == 0, persist, device, progress)
                    .map(|mut t| t.remove(0))
            })
            .collect();
    }
    let chunk = programs.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = cohorts
            .chunks(chunk)
            .enumerate()
            .map(|(c, group)| {
                scope.spawn(move || {
                    group
                        .iter()
                        .enumerate()
                        .map(|(i, cohort)| {
                            let index = c * chunk + i;
                            let persist = std::slice::from_ref(&persist[index]);
                            let probe = probe && index == 0;
                            let alone = std::slice::from_ref(cohort);
                            train_together::<B>(plan, alone, 1, probe, persist, device, progress)
                                .map(|mut t| t.remove(0))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a training thread panicked"))
            .collect()
    })
}
