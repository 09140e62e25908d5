//! What a run trains: its programs (a data set and the seeds trained on it), the members of
//! each program's ensemble, and their initial weights.
//!
//! The article's initialisation and data-order semantics: for each seed, numpy's global RNG is
//! re-seeded before each variant draws its weights (`np.random.seed(seed)` in every network's
//! constructor); the data order then continues from that global state, one
//! `permutation(n_train)` per epoch shared by every variant of the seed.

use std::sync::Arc;

use burn::tensor::backend::Backend;

use crate::{
    analysis::probe::ProbeLog,
    config::Plan,
    data::{DataError, Split},
    learner::{Engine, History},
    model::{Drawn, Network},
    numpy_rng::NumpyRng,
};

/// One ensemble program: a data set and the model seeds trained on it. With a fixed data set
/// every variant and seed of a run is one program; with `train.vary_data_seed` each seed has
/// its own data set and so its own program (its own records and checkpoints).
#[derive(Clone, Debug)]
pub struct Program {
    /// The program's index in the run (its checkpoint folder `program-<index>`).
    pub index: usize,
    pub data_seed: u32,
    pub seeds: Vec<u32>,
    /// Shared with the learner, which keeps it for the whole run: never copied.
    pub split: Arc<Split>,
}

/// Each program's data seed and model seeds, in seed order, without building any data.
pub fn program_seeds(plan: &Plan) -> Vec<(u32, Vec<u32>)> {
    let (data, model, train) = (
        &plan.experiment.data,
        &plan.experiment.model,
        &plan.experiment.train,
    );
    let seeds: Vec<u32> = (0..train.seeds as u32)
        .map(|i| model.seed.wrapping_add(i))
        .collect();
    if !train.vary_data_seed {
        return vec![(data.seed, seeds)];
    }
    seeds
        .into_iter()
        .enumerate()
        .map(|(i, seed)| (data.seed.wrapping_add(i as u32), vec![seed]))
        .collect()
}

/// The programs of `plan`, in seed order, with their data built.
pub fn programs(plan: &Plan) -> Result<Vec<Program>, DataError> {
    program_seeds(plan)
        .into_iter()
        .enumerate()
        .map(|(index, (data_seed, seeds))| {
            let mut data = plan.experiment.data.clone();
            data.seed = data_seed;
            Ok(Program {
                index,
                data_seed,
                seeds,
                split: Arc::new(data.build()?),
            })
        })
        .collect()
}

/// Which variant and seed a member of an ensemble is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    pub variant: usize,
    pub seed: u32,
}

/// The untrained ensemble of `variants` (indices into the plan's) for `seeds`, variant-major
/// (member `k` is variant `variants[k / seeds.len()]`, seed `k % seeds.len()`), its members,
/// and the data-order stream of each seed as the article leaves it after drawing the weights
/// of every variant of the plan, trained here or not.
pub fn initial_ensemble<B: Backend>(
    plan: &Plan,
    seeds: &[u32],
    variants: &[usize],
    device: &B::Device,
) -> (Network<B>, Vec<Member>, Vec<NumpyRng>) {
    let (draws, order_rngs) = draw(plan, seeds);
    let mut members = Vec::new();
    let mut stacked = Vec::new();
    for &v in variants {
        for (s, &seed) in seeds.iter().enumerate() {
            members.push(Member { variant: v, seed });
            stacked.push((plan.variants[v].nonlinearity, draws[v][s].as_slice()));
        }
    }
    (
        Network::init(&plan.architecture, &stacked, device),
        members,
        order_rngs,
    )
}

/// Every variant's weights for every seed (`[variant][seed]`), and each seed's data-order
/// stream after all the draws.
fn draw(plan: &Plan, seeds: &[u32]) -> (Vec<Vec<Vec<Drawn>>>, Vec<NumpyRng>) {
    let arch = &plan.architecture;
    let mut draws: Vec<Vec<Vec<Drawn>>> = vec![Vec::new(); plan.variants.len()];
    let order_rngs = seeds
        .iter()
        .map(|&seed| {
            let mut global = NumpyRng::new(seed);
            for (variant_draws, variant) in draws.iter_mut().zip(&plan.variants) {
                global.seed(seed);
                variant_draws.push(arch.family.draw(arch, &variant.init, &mut global));
            }
            global
        })
        .collect();
    (draws, order_rngs)
}

/// Each seed's data-order stream as training starts.
pub fn order_streams(plan: &Plan, seeds: &[u32]) -> Vec<NumpyRng> {
    draw(plan, seeds).1
}

/// A program's ensemble after training: member `k` is `members[k]`, with its own history.
pub struct Trained<M> {
    pub model: M,
    pub members: Vec<Member>,
    pub histories: Vec<History>,
    /// The engine that computed the steps.
    pub engine: Engine,
    /// This program's share of the time spent in training steps (evaluation excluded).
    pub seconds: f64,
    /// Per-layer statistics over training, when probed.
    pub probes: ProbeLog,
}

impl<M> Trained<M> {
    /// Member indices of `variant`, in seed order.
    pub fn members_of(&self, variant: usize) -> Vec<usize> {
        (0..self.members.len())
            .filter(|&k| self.members[k].variant == variant)
            .collect()
    }
}
