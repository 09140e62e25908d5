//! The report and figures of a run, rebuilt from its folder alone.

mod layers;
mod markdown;

use std::path::Path;

use crate::run::{RunError, RunRecord};

/// Re-creates every figure and `report.md` in `dir` from the files there.
pub fn rebuild(dir: &Path) -> Result<(), RunError> {
    let record = RunRecord::load(dir)?;
    let split = record.experiment.data.build();
    crate::plot::draw_all(&record, &split)?;
    let text = markdown::render(&record);
    let path = dir.join("report.md");
    std::fs::write(&path, text).map_err(|source| RunError::Write { path, source })
}
