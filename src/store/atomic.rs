//! Writing a file so that it appears whole or not at all: written aside, flushed, then renamed.
//!
//! A run killed at any moment, or a disk that fills up mid-write, leaves either the previous
//! version of a file or none, never a truncated one.

use std::{
    io::Write as _,
    path::{Path, PathBuf},
};

use serde::Serialize;

use super::StoreError;

/// The hidden temporary sibling `path` is written to before the rename.
fn temporary(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Writes `contents` to `path` atomically; on failure nothing at `path` changes.
pub fn write_bytes(path: &Path, contents: &[u8]) -> Result<(), StoreError> {
    let tmp = temporary(path);
    let written = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()
    })();
    if let Err(error) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(StoreError::Write {
            path: path.into(),
            error,
        });
    }
    std::fs::rename(&tmp, path).map_err(|error| {
        let _ = std::fs::remove_file(&tmp);
        StoreError::Write {
            path: path.into(),
            error,
        }
    })
}

pub fn write_text(path: &Path, contents: &str) -> Result<(), StoreError> {
    write_bytes(path, contents.as_bytes())
}

/// Pretty JSON with a final newline.
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<(), StoreError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| StoreError::Encode {
        path: path.into(),
        message: e.to_string(),
    })?;
    write_text(path, &(text + "\n"))
}

/// Draws a figure through `draw` into a temporary file of the same extension, then renames it
/// into place; a failed drawing leaves no file behind.
pub fn write_figure(
    path: &Path,
    draw: impl FnOnce(&Path) -> Result<(), Box<dyn std::error::Error>>,
) -> Result<(), StoreError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // The plotting backend picks the image format from the extension, so keep it last.
    let tmp = path.with_file_name(format!(".tmp-{}-{name}", std::process::id()));
    let fail = |message: String| StoreError::Figure {
        path: path.into(),
        message,
    };
    if let Err(e) = draw(&tmp) {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(e.to_string()));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e.to_string())
    })
}
