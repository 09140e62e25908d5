//! How a plan's seeds become training programs, and running them on the available cores.
//!
//! With a fixed data set every variant and seed trains as one ensemble program; with
//! `train.vary_data_seed` each seed has its own data set and so its own program.

use burn::tensor::backend::AutodiffBackend;
use indicatif::ProgressBar;

use super::train::{Persistence, Trained, train_plan_probed};
use crate::checkpoint::CheckpointError;
use crate::{config::Plan, data::Split};

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

/// Trains every program, spreading them over `threads` threads when there are several.
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
    if programs.len() == 1 || threads <= 1 {
        return programs
            .iter()
            .enumerate()
            .map(|(i, p)| {
                train_plan_probed(
                    plan,
                    &p.seeds,
                    &p.split,
                    threads,
                    probe && i == 0,
                    &persist[i],
                    device,
                    progress,
                )
            })
            .collect();
    }
    let chunk = programs.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = programs
            .chunks(chunk)
            .enumerate()
            .map(|(c, ps)| {
                scope.spawn(move || {
                    ps.iter()
                        .enumerate()
                        .map(|(i, p)| {
                            let index = c * chunk + i;
                            train_plan_probed::<B>(
                                plan,
                                &p.seeds,
                                &p.split,
                                1,
                                index == 0 && probe,
                                &persist[index],
                                device,
                                progress,
                            )
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
