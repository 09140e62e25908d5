//! `actlab data`: the exact train/test split a run would use, written as CSV (`label`, then
//! `x0`, `x1`, ... in the sample's row-major order) with a `data.json` describing it, so that
//! other tools can check and reuse it.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{RunError, programs};
use crate::{
    config::Plan,
    data::Dataset,
    store::{self, StoreError},
};

/// `data.json`.
#[derive(Serialize)]
struct Description<'a> {
    experiment: &'a str,
    data: &'a crate::data::DataConfig,
    /// One folder per data set when the experiment varies it with the seed.
    sets: Vec<SetDescription>,
}

#[derive(Serialize)]
struct SetDescription {
    data_seed: u32,
    folder: String,
    train: usize,
    test: usize,
    shape: Vec<usize>,
    classes: usize,
}

fn write_set(path: &Path, data: &Dataset) -> Result<(), StoreError> {
    let columns: Vec<String> = std::iter::once("label".to_string())
        .chain((0..data.features).map(|j| format!("x{j}")))
        .collect();
    store::write_rows_with(path, |writer| {
        writer.write_record(&columns)?;
        for i in 0..data.len() {
            let row = std::iter::once(data.y[i].to_string()).chain(
                data.row(i)
                    .iter()
                    .map(|v| format!("{v:?}"))
                    .collect::<Vec<_>>(),
            );
            writer.write_record(row)?;
        }
        Ok(())
    })
}

/// Writes the data of `plan` into the fresh folder `out`; returns it.
pub fn export_data(plan: &Plan, out: &Path) -> Result<PathBuf, RunError> {
    let programs = programs(plan)?;
    let dir = store::create_run_folder(Some(out), Path::new(""), "").map_err(StoreError::from)?;
    let mut sets = Vec::new();
    for program in &programs {
        let folder = if programs.len() == 1 {
            String::new()
        } else {
            format!("seed-{}", program.data_seed)
        };
        let target = dir.join(&folder);
        std::fs::create_dir_all(&target).map_err(|error| StoreError::Write {
            path: target.clone(),
            error,
        })?;
        write_set(&target.join("train.csv"), &program.split.train)?;
        write_set(&target.join("test.csv"), &program.split.test)?;
        sets.push(SetDescription {
            data_seed: program.data_seed,
            folder,
            train: program.split.train.len(),
            test: program.split.test.len(),
            shape: program.split.shape.clone(),
            classes: program.split.classes,
        });
    }
    store::write_json(
        &dir.join("data.json"),
        &Description {
            experiment: &plan.experiment.name,
            data: &plan.experiment.data,
            sets,
        },
    )?;
    Ok(dir)
}
