//! scikit-learn's digits: the built-in file and the reader, against `load_digits()`.

mod realdata_common;

use actlab::data::digits::{DIGITS_CSV_GZ, DIGITS_CSV_GZ_SHA256, bundled, load, parse};
use realdata_common::{digit_labels, golden, sha256_f64, temp_dir};
use sha2::{Digest, Sha256};

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn the_built_in_file_is_scikit_learns() {
    let g = golden("digits.json");
    assert_eq!(hex(DIGITS_CSV_GZ), DIGITS_CSV_GZ_SHA256);
    assert_eq!(DIGITS_CSV_GZ_SHA256, g["csv_gz_sha256"].as_str().unwrap());
}

#[test]
fn values_match_load_digits() {
    let g = golden("digits.json");
    let d = bundled();
    assert_eq!((d.shape.clone(), d.classes), (vec![8, 8], 10));
    assert_eq!(d.samples.len(), g["n"].as_u64().unwrap() as usize);
    assert_eq!(d.samples.features(), 64);
    assert_eq!(d.samples.y, digit_labels(&g["labels"]));
    assert_eq!(sha256_f64(&d.samples.x), g["x_sha256"].as_str().unwrap());
    let sums: Vec<u64> = (0..d.samples.len())
        .map(|i| d.samples.row(i).iter().sum::<f64>() as u64)
        .collect();
    let expected: Vec<u64> = g["row_sums"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(sums, expected);
    for (i, row) in g["rows"].as_object().unwrap() {
        let i: usize = i.parse().unwrap();
        let row: Vec<f64> = row
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(d.samples.row(i), row.as_slice(), "row {i}");
    }
    assert_eq!(
        d.samples.x.iter().sum::<f64>(),
        g["total"].as_f64().unwrap()
    );
}

#[test]
fn reads_the_file_from_disk_gzipped_or_plain() {
    let dir = temp_dir("digits-disk");
    let gz = dir.join("digits.csv.gz");
    std::fs::write(&gz, DIGITS_CSV_GZ).unwrap();
    assert_eq!(load(&gz).unwrap(), bundled());

    let plain = "0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0,0\n";
    let d = parse(plain.as_bytes(), "one-row.csv").unwrap();
    assert_eq!(d.samples.row(0), bundled().samples.row(0));
    assert_eq!(d.samples.y, vec![0]);
}

#[test]
fn bad_files_are_named_and_explained() {
    let err = load(std::path::Path::new("/nonexistent/digits.csv.gz")).unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/digits.csv.gz"),
        "{err}"
    );

    let short = parse(b"1,2,3\n", "short.csv").unwrap_err().to_string();
    assert!(short.contains("short.csv line 1 has 3 fields"), "{short}");

    let mut row = vec!["0"; 64];
    row[5] = "17";
    let bad_pixel = format!("{},3\n", row.join(","));
    let msg = parse(bad_pixel.as_bytes(), "bad.csv")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("bad.csv line 1 field 6 is `17`"), "{msg}");

    let row = vec!["0"; 64];
    let bad_label = format!("{},10\n", row.join(","));
    let msg = parse(bad_label.as_bytes(), "label.csv")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("field 65 is `10`"), "{msg}");

    let empty = parse(b"", "empty.csv").unwrap_err().to_string();
    assert!(empty.contains("empty.csv has no rows"), "{empty}");

    // A truncated gzip stream.
    let cut = &DIGITS_CSV_GZ[..DIGITS_CSV_GZ.len() / 2];
    let msg = parse(cut, "cut.csv.gz").unwrap_err().to_string();
    assert!(msg.contains("cut.csv.gz"), "{msg}");
}
