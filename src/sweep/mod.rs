//! Sweeps: an experiment run at every combination of a grid of settings, in parallel, resumable,
//! splittable into shards across machines and mergeable back into one result.
//!
//! A sweep folder holds `config.toml` (the experiment as run), `sweep.json` (the grid and the
//! shard), `points/<id>.json` (one finished grid point each: the source of truth),
//! `sweep.csv` (one row per point and variant, appended as points finish and rewritten in
//! point order), and the report with its heatmap.

mod grid;
mod missing;
mod runner;
mod units;

pub use grid::{Point, describe, grid_points, point_plan};
pub use missing::{MissingPoint, MissingPoints, ShardGap, missing_points};
pub use runner::{SweepError, count_units, merge_sweeps, resume_sweep, run_sweep};
pub use units::{key as unit_key, units};
