//! CSV files of a run folder, written and read with the `csv` crate: one header row naming
//! every column, one record per row, fields quoted where they must be.

use std::path::Path;

use serde::{Serialize, de::DeserializeOwned};

use super::{StoreError, atomic};

/// Writes a header of `columns` (the field names of `T`, in order) and `rows` to `path`
/// atomically; the header is there even when there are no rows.
pub fn write_rows<T: Serialize>(
    path: &Path,
    columns: &[&str],
    rows: &[T],
) -> Result<(), StoreError> {
    let encode = |e: String| StoreError::Encode {
        path: path.into(),
        message: e,
    };
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    writer
        .write_record(columns)
        .map_err(|e| encode(e.to_string()))?;
    for row in rows {
        writer.serialize(row).map_err(|e| encode(e.to_string()))?;
    }
    let bytes = writer.into_inner().map_err(|e| encode(e.to_string()))?;
    atomic::write_bytes(path, &bytes)
}

/// Writes the CSV that `fill` produces on a writer to `path` atomically.
pub fn write_rows_with(
    path: &Path,
    fill: impl FnOnce(&mut csv::Writer<Vec<u8>>) -> Result<(), csv::Error>,
) -> Result<(), StoreError> {
    let encode = |e: String| StoreError::Encode {
        path: path.into(),
        message: e,
    };
    let mut writer = csv::Writer::from_writer(Vec::new());
    fill(&mut writer).map_err(|e| encode(e.to_string()))?;
    let bytes = writer.into_inner().map_err(|e| encode(e.to_string()))?;
    atomic::write_bytes(path, &bytes)
}

/// Renders rows as CSV text (header first), for appending or for a file written elsewhere.
pub fn to_text<T: Serialize>(rows: &[T], header: bool) -> Result<String, csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(header)
        .from_writer(Vec::new());
    for row in rows {
        writer.serialize(row)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Reads every row of the CSV file at `path`, checking that its header has exactly the columns
/// `T` expects, in order.
pub fn read_rows<T: DeserializeOwned>(path: &Path, columns: &[&str]) -> Result<Vec<T>, StoreError> {
    let bad = |message: String| StoreError::Read {
        path: path.into(),
        message,
    };
    let mut reader = csv::Reader::from_path(path).map_err(|e| bad(e.to_string()))?;
    let header = reader.headers().map_err(|e| bad(e.to_string()))?.clone();
    if header.iter().ne(columns.iter().copied()) {
        return Err(bad(format!(
            "expected the columns `{}`, found `{}`",
            columns.join(","),
            header.iter().collect::<Vec<_>>().join(",")
        )));
    }
    reader
        .deserialize()
        .map(|row| row.map_err(|e| bad(e.to_string())))
        .collect()
}
