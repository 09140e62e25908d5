//! TensorBoard's event-file format, written and read back: TFRecord framing (length, masked
//! CRC-32C of the length, data, masked CRC-32C of the data) around `Event` protocol buffers
//! holding scalars, histograms and text.
//!
//! Written by hand on the `crc32c` crate: no maintained Rust crate writes event files, and
//! the subset TensorBoard reads here (five messages, four wire types) is smaller than a
//! protobuf dependency and its generated code. Field numbers are those of TensorFlow's
//! `event.proto`, `summary.proto`, `tensor.proto` and `tensor_shape.proto`.

use std::path::Path;

use super::{StoreError, write_bytes};

/// The masked CRC-32C that TFRecord stores: rotated right by 15 bits plus a constant.
fn masked_crc(data: &[u8]) -> u32 {
    let crc = crc32c::crc32c(data);
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn key(out: &mut Vec<u8>, field: u32, wire: u8) {
    varint(out, (u64::from(field) << 3) | u64::from(wire));
}

fn bytes_field(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    key(out, field, 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn double_field(out: &mut Vec<u8>, field: u32, v: f64) {
    key(out, field, 1);
    out.extend_from_slice(&v.to_le_bytes());
}

fn packed_doubles(out: &mut Vec<u8>, field: u32, values: &[f64]) {
    let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    bytes_field(out, field, &data);
}

/// One histogram as TensorBoard stores it: right bucket edges and counts.
#[derive(Clone, Debug, PartialEq)]
pub struct EventHistogram {
    pub min: f64,
    pub max: f64,
    pub num: f64,
    pub sum: f64,
    pub sum_squares: f64,
    pub bucket_limit: Vec<f64>,
    pub bucket: Vec<f64>,
}

/// What one summary value holds.
pub enum Payload<'a> {
    Scalar(f32),
    Histogram(&'a EventHistogram),
    /// Markdown, shown by the text plugin.
    Text(&'a str),
    /// A plugin's own record (`content`, serialized by the plugin's protocol), with the
    /// empty float tensor TensorBoard writes beside it.
    Plugin {
        name: &'a str,
        content: &'a [u8],
    },
}

/// `Summary.Value`: tag 1, simple_value 2, histo 5, tensor 8, metadata 9.
fn summary_value(tag: &str, payload: &Payload) -> Vec<u8> {
    let mut v = Vec::new();
    bytes_field(&mut v, 1, tag.as_bytes());
    match payload {
        Payload::Scalar(x) => {
            key(&mut v, 2, 5);
            v.extend_from_slice(&x.to_le_bytes());
        }
        Payload::Histogram(h) => {
            // HistogramProto: min 1, max 2, num 3, sum 4, sum_squares 5, bucket_limit 6,
            // bucket 7.
            let mut p = Vec::new();
            double_field(&mut p, 1, h.min);
            double_field(&mut p, 2, h.max);
            double_field(&mut p, 3, h.num);
            double_field(&mut p, 4, h.sum);
            double_field(&mut p, 5, h.sum_squares);
            packed_doubles(&mut p, 6, &h.bucket_limit);
            packed_doubles(&mut p, 7, &h.bucket);
            bytes_field(&mut v, 5, &p);
        }
        Payload::Text(text) => {
            // TensorProto: dtype 1 (DT_STRING = 7), tensor_shape 2 (a scalar: empty),
            // string_val 8.
            let mut t = Vec::new();
            key(&mut t, 1, 0);
            varint(&mut t, 7);
            bytes_field(&mut t, 2, &[]);
            bytes_field(&mut t, 8, text.as_bytes());
            bytes_field(&mut v, 8, &t);
            // SummaryMetadata.plugin_data 1 { plugin_name 1 = "text" }.
            let mut plugin = Vec::new();
            bytes_field(&mut plugin, 1, b"text");
            let mut meta = Vec::new();
            bytes_field(&mut meta, 1, &plugin);
            bytes_field(&mut v, 9, &meta);
        }
        Payload::Plugin { name, content } => {
            // TensorProto { dtype DT_FLOAT = 1, tensor_shape { dim { size 0 } } }.
            let mut t = Vec::new();
            key(&mut t, 1, 0);
            varint(&mut t, 1);
            let mut shape = Vec::new();
            bytes_field(&mut shape, 2, &[]);
            bytes_field(&mut t, 2, &shape);
            bytes_field(&mut v, 8, &t);
            // SummaryMetadata.plugin_data 1 { plugin_name 1, content 2 }.
            let mut plugin = Vec::new();
            bytes_field(&mut plugin, 1, name.as_bytes());
            bytes_field(&mut plugin, 2, content);
            let mut meta = Vec::new();
            bytes_field(&mut meta, 1, &plugin);
            bytes_field(&mut v, 9, &meta);
        }
    }
    v
}

/// A hyper-parameter's value, as the HParams plugin stores it (`google.protobuf.Value`).
#[derive(Clone, Debug, PartialEq)]
pub enum HValue {
    Number(f64),
    Text(String),
}

impl HValue {
    /// A number when `text` reads as one, else the text without TOML's quotes.
    pub fn parse(text: &str) -> Self {
        text.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map_or_else(
                || HValue::Text(text.trim_matches('"').to_string()),
                HValue::Number,
            )
    }

    fn encode(&self) -> Vec<u8> {
        let mut v = Vec::new();
        match self {
            HValue::Number(x) => double_field(&mut v, 2, *x),
            HValue::Text(t) => bytes_field(&mut v, 3, t.as_bytes()),
        }
        v
    }
}

/// The HParams plugin's records (`plugin_data.proto`, `api.proto`): `HParamsPluginData`,
/// version 0, with one of experiment 2, session_start_info 3 or session_end_info 4.
pub mod hparams {
    use super::{HValue, bytes_field, double_field, key, varint};

    pub const PLUGIN: &str = "hparams";
    pub const EXPERIMENT_TAG: &str = "_hparams_/experiment";
    pub const SESSION_START_TAG: &str = "_hparams_/session_start_info";
    pub const SESSION_END_TAG: &str = "_hparams_/session_end_info";

    fn plugin_data(field: u32, body: &[u8]) -> Vec<u8> {
        let mut d = Vec::new();
        bytes_field(&mut d, field, body);
        d
    }

    /// `Experiment { hparam_infos 4 { name 1, type 4 }, metric_infos 5 { name 1 { tag 2 } } }`;
    /// each hyper-parameter with its type (`true`: numbers, DATA_TYPE_FLOAT64 = 3; else
    /// DATA_TYPE_STRING = 1).
    pub fn experiment(hparams: &[(String, bool)], metrics: &[&str]) -> Vec<u8> {
        let mut e = Vec::new();
        for (name, numeric) in hparams {
            let mut info = Vec::new();
            bytes_field(&mut info, 1, name.as_bytes());
            key(&mut info, 4, 0);
            varint(&mut info, if *numeric { 3 } else { 1 });
            bytes_field(&mut e, 4, &info);
        }
        for tag in metrics {
            let mut name = Vec::new();
            bytes_field(&mut name, 2, tag.as_bytes());
            let mut info = Vec::new();
            bytes_field(&mut info, 1, &name);
            bytes_field(&mut e, 5, &info);
        }
        plugin_data(2, &e)
    }

    /// `SessionStartInfo { hparams 1 (map entries: key 1, value 2), group_name 4,
    /// start_time_secs 5 }`.
    pub fn session_start(hparams: &[(String, HValue)], group: &str, start: f64) -> Vec<u8> {
        let mut s = Vec::new();
        for (name, value) in hparams {
            let mut entry = Vec::new();
            bytes_field(&mut entry, 1, name.as_bytes());
            bytes_field(&mut entry, 2, &value.encode());
            bytes_field(&mut s, 1, &entry);
        }
        bytes_field(&mut s, 4, group.as_bytes());
        double_field(&mut s, 5, start);
        plugin_data(3, &s)
    }

    /// `SessionEndInfo { status 1 (STATUS_SUCCESS = 1, STATUS_FAILURE = 2), end_time_secs 2 }`.
    pub fn session_end(success: bool, end: f64) -> Vec<u8> {
        let mut s = Vec::new();
        key(&mut s, 1, 0);
        varint(&mut s, if success { 1 } else { 2 });
        double_field(&mut s, 2, end);
        plugin_data(4, &s)
    }
}

/// An `Event`: wall_time 1, step 2, file_version 3, summary 5 (`Summary.value` 1).
fn event(wall_time: f64, step: i64, body: Option<(&str, &Payload)>) -> Vec<u8> {
    let mut e = Vec::new();
    double_field(&mut e, 1, wall_time);
    key(&mut e, 2, 0);
    varint(&mut e, step as u64);
    match body {
        None => bytes_field(&mut e, 3, b"brain.Event:2"),
        Some((tag, payload)) => {
            let mut summary = Vec::new();
            bytes_field(&mut summary, 1, &summary_value(tag, payload));
            bytes_field(&mut e, 5, &summary);
        }
    }
    e
}

/// Appends one TFRecord.
fn record(out: &mut Vec<u8>, data: &[u8]) {
    let len = (data.len() as u64).to_le_bytes();
    out.extend_from_slice(&len);
    out.extend_from_slice(&masked_crc(&len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&masked_crc(data).to_le_bytes());
}

/// The events of one TensorBoard run, collected in memory and written as one file.
pub struct EventFile {
    wall_time: f64,
    bytes: Vec<u8>,
    pub events: usize,
}

impl EventFile {
    /// A file whose events carry `wall_time` (seconds since the epoch); it opens with the
    /// version event TensorBoard expects.
    pub fn new(wall_time: f64) -> Self {
        let mut file = Self {
            wall_time,
            bytes: Vec::new(),
            events: 0,
        };
        record(&mut file.bytes, &event(wall_time, 0, None));
        file
    }

    pub fn wall_time(&self) -> f64 {
        self.wall_time
    }

    pub fn add(&mut self, tag: &str, step: usize, payload: Payload) {
        let data = event(self.wall_time, step as i64, Some((tag, &payload)));
        record(&mut self.bytes, &data);
        self.events += 1;
    }

    /// Writes the file as `dir/events.out.tfevents.<wall time>.actlab`, atomically.
    pub fn write(&self, dir: &Path) -> Result<(), StoreError> {
        let name = format!("events.out.tfevents.{}.actlab", self.wall_time as u64);
        write_bytes(&dir.join(name), &self.bytes)
    }
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum EventError {
    #[error("record at byte {offset}: {what}")]
    Corrupt { offset: usize, what: &'static str },
}

/// The data of every record in `bytes`, each checked against both of its CRCs.
pub fn read_records(bytes: &[u8]) -> Result<Vec<&[u8]>, EventError> {
    let mut records = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let corrupt = |what| EventError::Corrupt { offset: at, what };
        let header = bytes.get(at..at + 12).ok_or(corrupt("truncated header"))?;
        let len_bytes = &header[..8];
        let crc = u32::from_le_bytes(header[8..12].try_into().expect("4 bytes"));
        if masked_crc(len_bytes) != crc {
            return Err(corrupt("length CRC mismatch"));
        }
        let len = u64::from_le_bytes(len_bytes.try_into().expect("8 bytes")) as usize;
        let end = (at + 12)
            .checked_add(len)
            .filter(|e| e + 4 <= bytes.len())
            .ok_or(corrupt("truncated data"))?;
        let data = &bytes[at + 12..end];
        let crc = u32::from_le_bytes(bytes[end..end + 4].try_into().expect("4 bytes"));
        if masked_crc(data) != crc {
            return Err(corrupt("data CRC mismatch"));
        }
        records.push(data);
        at = end + 4;
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_and_its_mask_match_the_reference_values() {
        // CRC-32C of "123456789" is 0xE3069283 (RFC 3720, B.4); the mask is TFRecord's.
        assert_eq!(crc32c::crc32c(b"123456789"), 0xe306_9283);
        assert_eq!(
            masked_crc(b"123456789"),
            0xe306_9283u32.rotate_right(15).wrapping_add(0xa282_ead8)
        );
    }

    #[test]
    fn varints_by_hand() {
        let enc = |v| {
            let mut out = Vec::new();
            varint(&mut out, v);
            out
        };
        assert_eq!(enc(1), [1]);
        assert_eq!(enc(300), [0xac, 0x02]);
        assert_eq!(enc(u64::MAX).len(), 10);
    }

    #[test]
    fn records_read_back_and_a_flipped_byte_is_detected() {
        let mut file = EventFile::new(1.5e9);
        file.add("loss/train", 3, Payload::Scalar(0.25));
        file.add("experiment", 0, Payload::Text("name = \"x\""));
        let records = read_records(&file.bytes).unwrap();
        assert_eq!(records.len(), 3);
        // The version event: wall_time, step 0, file_version "brain.Event:2".
        assert!(records[0].ends_with(b"brain.Event:2"));
        for i in 0..file.bytes.len() {
            let mut bad = file.bytes.clone();
            bad[i] ^= 0x04;
            assert!(
                read_records(&bad).is_err(),
                "a flip at byte {i} goes unnoticed"
            );
        }
        assert!(read_records(&file.bytes[..file.bytes.len() - 1]).is_err());
    }
}
