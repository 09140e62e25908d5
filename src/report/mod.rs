//! Every page and its figures, rebuilt from the folders on disk: runs, language-model runs
//! and sweeps, theory, verify, and comparisons of several runs (`compare/`).

pub mod compare;
mod factorial;
pub mod language;
mod language_factorial;
mod language_published;
mod language_sweep;
mod layers;
mod markdown;
pub(crate) mod page;
mod published;
mod saturation;
mod sweep;
mod tensorboard;
mod theory;
mod theory_page;
mod verify;

pub use language_published::Ordering;
pub use language_sweep::{
    LmSweepFindings, findings as language_sweep_findings, rebuild_sweep as rebuild_language_sweep,
};
pub use layers::stat as layer_stat;
pub use published::{Comparison, compare, comparisons};
pub use saturation::{Saturation, top_layer_saturation};
pub use sweep::rebuild_sweep;
pub use tensorboard::write_tensorboard;
pub use theory_page::{TheoryPageError, TheoryRequest, write_phase_diagram};
pub use verify::{verify_page, verify_table};

use std::path::Path;

use crate::store::{RunRecord, StoreError, write_text};

/// Re-creates every figure, `report.md` and `tensorboard/` in `dir` from the files there.
pub fn rebuild(dir: &Path) -> Result<(), StoreError> {
    let record = RunRecord::load(dir)?;
    let split = record.experiment.data.build()?;
    crate::plot::draw_all(&record, &split)?;
    write_text(&dir.join("report.md"), &markdown::render(&record, &split))?;
    write_tensorboard(dir).map(|_| ())
}
