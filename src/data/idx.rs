//! A reader for IDX files (the MNIST / Fashion-MNIST format), raw or gzip-compressed, that
//! checks everything before trusting it.
//!
//! Format: two zero bytes, a type code (only 0x08, unsigned byte, is accepted), the number of
//! dimensions, each dimension as a big-endian u32, then the values row-major. The declared size
//! is checked against what the file can hold before anything is allocated, so a corrupt header
//! yields an error naming the file, never a panic or a huge allocation.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};

/// The largest output deflate can produce per input byte (its maximum compression ratio is
/// about 1032:1); a gzip file declaring more data than this bound allows is corrupt.
const MAX_DEFLATE_RATIO: u64 = 1032;

/// The most bytes reserved before any data has been read.
const INITIAL_CAPACITY: usize = 64 << 20;

/// The most dimensions accepted (MNIST uses 1 or 3).
const MAX_DIMS: u8 = 8;

/// An IDX array: its dimensions, its bytes row-major, and the SHA-256 of the whole
/// (decompressed) file, header included.
#[derive(Clone, Debug, PartialEq)]
pub struct IdxArray {
    pub dims: Vec<usize>,
    pub data: Vec<u8>,
    pub sha256: String,
}

/// What is wrong with an IDX file; every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum IdxError {
    #[error("IDX: cannot read {file}: {error}")]
    Io { file: String, error: std::io::Error },
    #[error(
        "IDX: {file} is not an IDX file: it starts with {found}; allowed: 00 00 08 NN (unsigned bytes, NN dimensions)"
    )]
    BadMagic { file: String, found: String },
    #[error(
        "IDX: {file} holds values of type 0x{code:02x} ({name}); allowed: 0x08 (unsigned byte)"
    )]
    UnsupportedType {
        file: String,
        code: u8,
        name: &'static str,
    },
    #[error("IDX: {file} declares {found} dimensions; allowed: 1 to {MAX_DIMS}")]
    BadDimensionCount { file: String, found: u8 },
    #[error("IDX: {file} is truncated: {what}")]
    Truncated { file: String, what: String },
    #[error("IDX: {file} declares dimensions {dims:?}, {declared} bytes of data, but {what}")]
    SizeMismatch {
        file: String,
        dims: Vec<usize>,
        declared: u64,
        what: String,
    },
}

/// A human name for an IDX type code.
fn type_name(code: u8) -> &'static str {
    match code {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "16-bit integer",
        0x0C => "32-bit integer",
        0x0D => "32-bit float",
        0x0E => "64-bit float",
        _ => "unknown",
    }
}

/// Reads exactly `buf.len()` bytes or reports how many there were.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Reads and checks the IDX file at `path`, gzip-compressed (recognised by its magic bytes,
/// whatever its name) or raw.
pub fn read_idx(path: &Path) -> Result<IdxArray, IdxError> {
    let file = path.display().to_string();
    let io = |error| IdxError::Io {
        file: file.clone(),
        error,
    };
    let handle = File::open(path).map_err(io)?;
    let on_disk = handle.metadata().map_err(io)?.len();
    let mut peek = BufReader::new(handle);
    let mut magic = [0u8; 2];
    let n = read_full(&mut peek, &mut magic).map_err(io)?;
    let gzipped = n == 2 && magic == [0x1f, 0x8b];
    // Re-open so the decoder (or the raw reader) starts at byte 0.
    let handle = File::open(path).map_err(io)?;
    if gzipped {
        let limit = on_disk.saturating_mul(MAX_DEFLATE_RATIO);
        read_from(
            MultiGzDecoder::new(BufReader::new(handle)),
            &file,
            Capacity::AtMost(limit),
        )
    } else {
        read_from(BufReader::new(handle), &file, Capacity::Exactly(on_disk))
    }
}

/// How many decompressed bytes the source can hold.
enum Capacity {
    /// A raw file: its length.
    Exactly(u64),
    /// A gzip file: an upper bound from its compressed length.
    AtMost(u64),
}

fn read_from(mut reader: impl Read, file: &str, capacity: Capacity) -> Result<IdxArray, IdxError> {
    let io = |error| IdxError::Io {
        file: file.into(),
        error,
    };
    let truncated = |what: String| IdxError::Truncated {
        file: file.into(),
        what,
    };
    let mut hasher = Sha256::new();

    let mut magic = [0u8; 4];
    let got = read_full(&mut reader, &mut magic).map_err(io)?;
    if got < 4 {
        return Err(truncated(format!(
            "it has {got} bytes, fewer than the 4-byte magic number"
        )));
    }
    hasher.update(magic);
    if magic[0] != 0 || magic[1] != 0 {
        let found = magic.map(|b| format!("{b:02x}")).join(" ");
        return Err(IdxError::BadMagic {
            file: file.into(),
            found,
        });
    }
    if magic[2] != 0x08 {
        return Err(IdxError::UnsupportedType {
            file: file.into(),
            code: magic[2],
            name: type_name(magic[2]),
        });
    }
    let ndims = magic[3];
    if ndims == 0 || ndims > MAX_DIMS {
        return Err(IdxError::BadDimensionCount {
            file: file.into(),
            found: ndims,
        });
    }

    let mut header = vec![0u8; 4 * usize::from(ndims)];
    let got = read_full(&mut reader, &mut header).map_err(io)?;
    if got < header.len() {
        return Err(truncated(format!(
            "its header declares {ndims} dimensions ({} bytes) but only {got} follow the magic number",
            header.len()
        )));
    }
    hasher.update(&header);
    let dims: Vec<usize> = header
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let declared = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64));
    let header_len = 4 + header.len() as u64;
    let mismatch = |declared: u64, what: String| IdxError::SizeMismatch {
        file: file.into(),
        dims: dims.clone(),
        declared,
        what,
    };
    let Some(declared) = declared else {
        return Err(mismatch(
            u64::MAX,
            "the product of the dimensions overflows 64 bits".into(),
        ));
    };
    match capacity {
        Capacity::Exactly(len) => {
            let available = len.saturating_sub(header_len);
            if available < declared {
                return Err(truncated(format!(
                    "its header declares dimensions {dims:?}, {declared} bytes of data, but only {available} follow the header"
                )));
            }
            if available > declared {
                return Err(mismatch(
                    declared,
                    format!(
                        "{available} bytes follow the header ({} extra)",
                        available - declared
                    ),
                ));
            }
        }
        Capacity::AtMost(limit) => {
            if declared > limit {
                return Err(mismatch(
                    declared,
                    format!(
                        "a gzip file of this size can hold at most {limit} bytes (corrupt header?)"
                    ),
                ));
            }
        }
    }
    let size = usize::try_from(declared)
        .map_err(|_| mismatch(declared, "that does not fit in memory here".into()))?;

    // Grow with the data actually read (a gzip stream's length is only known at its end), so
    // even a header within the deflate bound allocates no more than the stream really holds.
    let mut data = Vec::with_capacity(size.min(INITIAL_CAPACITY));
    (&mut reader)
        .take(declared)
        .read_to_end(&mut data)
        .map_err(io)?;
    let got = data.len();
    if got < size {
        return Err(truncated(format!(
            "its header declares dimensions {dims:?}, {declared} bytes of data, but the data ends after {got}"
        )));
    }
    // One more byte must not exist; reading it also makes the gzip decoder check its CRC.
    let mut extra = [0u8; 1];
    if read_full(&mut reader, &mut extra).map_err(io)? > 0 {
        return Err(mismatch(
            declared,
            "more bytes follow the data (trailing garbage or a wrong header)".into(),
        ));
    }
    hasher.update(&data);
    let sha256 = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(IdxArray { dims, data, sha256 })
}
