//! scikit-learn's 8x8 handwritten digits (`load_digits`): a reader for the exact file
//! scikit-learn ships, `sklearn/datasets/data/digits.csv.gz`, and a copy of it built in.
//!
//! 1,797 rows of 64 pixel counts (integers 0..=16, row-major 8x8) followed by the label 0..=9,
//! comma-separated, no header, gzip-compressed. The values are returned as scikit-learn's
//! `np.loadtxt` returns them: float64, unscaled. The data is the test half of UCI's "Optical
//! Recognition of Handwritten Digits" (E. Alpaydin, C. Kaynak, 1998); see `data/README.md`.

use std::io::Read;
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::samples::{Samples, Unsplit};

/// The file as scikit-learn 1.9.1 ships it (57,523 bytes, SHA-256 [`DIGITS_CSV_GZ_SHA256`]).
pub const DIGITS_CSV_GZ: &[u8] = include_bytes!("../../data/digits.csv.gz");

/// SHA-256 of [`DIGITS_CSV_GZ`].
pub const DIGITS_CSV_GZ_SHA256: &str =
    "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22";

const PIXELS: usize = 64;
const CLASSES: usize = 10;
const MAX_PIXEL: f64 = 16.0;

/// What is wrong with a digits file; every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum DigitsError {
    #[error("digits: cannot read {file}: {error}")]
    Io { file: String, error: std::io::Error },
    #[error("digits: {file} is not valid gzip-compressed CSV: {error}")]
    Csv { file: String, error: csv::Error },
    #[error("digits: {file} line {line} has {found} fields; each row needs 64 pixels and a label")]
    FieldCount {
        file: String,
        line: u64,
        found: usize,
    },
    #[error(
        "digits: {file} line {line} field {field} is `{text}`; allowed: a number (pixels 0..=16, label 0..=9, integral)"
    )]
    BadValue {
        file: String,
        line: u64,
        field: usize,
        text: String,
    },
    #[error("digits: {file} has no rows")]
    Empty { file: String },
}

/// The built-in copy of scikit-learn's file: the same values as `load_digits()`.
pub fn bundled() -> Unsplit {
    parse(DIGITS_CSV_GZ, "built-in digits.csv.gz").expect("the built-in digits file parses")
}

/// Reads a `digits.csv.gz` (or an uncompressed `digits.csv`) from disk.
pub fn load(path: &Path) -> Result<Unsplit, DigitsError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|error| DigitsError::Io {
        file: file.clone(),
        error,
    })?;
    parse(&bytes, &file)
}

/// Parses the file's bytes, gzip-compressed (detected by its magic bytes) or plain CSV;
/// `file` names it in errors.
pub fn parse(bytes: &[u8], file: &str) -> Result<Unsplit, DigitsError> {
    let reader: Box<dyn Read + '_> = if bytes.starts_with(&[0x1f, 0x8b]) {
        Box::new(MultiGzDecoder::new(bytes))
    } else {
        Box::new(bytes)
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut samples = Samples::default();
    for record in csv.records() {
        let record = record.map_err(|error| DigitsError::Csv {
            file: file.into(),
            error,
        })?;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != PIXELS + 1 {
            return Err(DigitsError::FieldCount {
                file: file.into(),
                line,
                found: record.len(),
            });
        }
        for (field, text) in record.iter().enumerate() {
            let max = if field == PIXELS {
                (CLASSES - 1) as f64
            } else {
                MAX_PIXEL
            };
            let value = text
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.fract() == 0.0 && (0.0..=max).contains(v))
                .ok_or_else(|| DigitsError::BadValue {
                    file: file.into(),
                    line,
                    field: field + 1,
                    text: text.into(),
                })?;
            if field == PIXELS {
                samples.y.push(value as u8);
            } else {
                samples.x.push(value);
            }
        }
    }
    if samples.is_empty() {
        return Err(DigitsError::Empty { file: file.into() });
    }
    Ok(Unsplit {
        samples,
        shape: vec![8, 8],
        classes: CLASSES,
    })
}
