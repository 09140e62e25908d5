//! IDX files and the MNIST / Fashion-MNIST loader on small files made here: good, gzipped,
//! truncated, corrupt; the search path and its error message. No network.

mod realdata_common;

use std::io::Write;
use std::path::{Path, PathBuf};

use actlab::data::idx::read_idx;
use actlab::data::idx_sets::{FILE_STEMS, IdxSet, LoadError, load_files};
use actlab::data::locate::{Env, LocateError, locate};
use flate2::{Compression, write::GzEncoder};
use realdata_common::temp_dir;
use sha2::{Digest, Sha256};

/// An IDX file of unsigned bytes.
fn idx_bytes(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn err_of(path: &Path) -> String {
    read_idx(path).unwrap_err().to_string()
}

fn hex_sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn reads_raw_and_gzipped_files_alike() {
    let dir = temp_dir("idx-good");
    let pixels: Vec<u8> = (0..24).collect();
    let bytes = idx_bytes(&[2, 3, 4], &pixels);
    let raw = write(&dir, "images-idx3-ubyte", &bytes);
    let gz = write(&dir, "images-idx3-ubyte.gz", &gzip(&bytes));
    // Compression is recognised by content, not by name.
    let disguised = write(&dir, "gzipped-without-suffix", &gzip(&bytes));
    for path in [&raw, &gz, &disguised] {
        let a = read_idx(path).unwrap();
        assert_eq!(a.dims, vec![2, 3, 4]);
        assert_eq!(a.data, pixels);
        assert_eq!(
            a.sha256,
            hex_sha(&bytes),
            "digest of the decompressed bytes"
        );
    }
}

#[test]
fn truncated_files_say_what_is_missing() {
    let dir = temp_dir("idx-truncated");
    let bytes = idx_bytes(&[3, 2, 2], &[7; 12]);
    let cut = write(&dir, "cut", &bytes[..bytes.len() - 5]);
    let msg = err_of(&cut);
    assert!(msg.contains("cut is truncated"), "{msg}");
    assert!(
        msg.contains("[3, 2, 2], 12 bytes of data, but only 7 follow the header"),
        "{msg}"
    );

    let gz_cut = write(&dir, "cut.gz", &gzip(&bytes[..bytes.len() - 5]));
    let msg = err_of(&gz_cut);
    assert!(
        msg.contains("cut.gz is truncated") && msg.contains("ends after 7"),
        "{msg}"
    );

    let header_cut = write(&dir, "header", &bytes[..9]);
    let msg = err_of(&header_cut);
    assert!(
        msg.contains("declares 3 dimensions (12 bytes) but only 5 follow"),
        "{msg}"
    );

    let tiny = write(&dir, "tiny", &[0, 0]);
    assert!(err_of(&tiny).contains("fewer than the 4-byte magic number"));

    // A gzip stream cut mid-way: the decoder's own error, naming the file.
    let gz = gzip(&idx_bytes(&[300], &[1; 300]));
    let broken = write(&dir, "broken.gz", &gz[..gz.len() - 6]);
    let msg = err_of(&broken);
    assert!(msg.contains("broken.gz"), "{msg}");
}

#[test]
fn corrupt_headers_are_refused_before_allocating() {
    let dir = temp_dir("idx-corrupt");
    let zip = write(&dir, "zip", b"PK\x03\x04 not an idx file");
    let msg = err_of(&zip);
    assert!(
        msg.contains("zip is not an IDX file: it starts with 50 4b 03 04"),
        "{msg}"
    );

    let floats = write(&dir, "floats", &[0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0]);
    let msg = err_of(&floats);
    assert!(
        msg.contains("type 0x0d (32-bit float); allowed: 0x08"),
        "{msg}"
    );

    let no_dims = write(&dir, "nodims", &[0, 0, 8, 0]);
    assert!(err_of(&no_dims).contains("declares 0 dimensions; allowed: 1 to 8"));

    // 60000x28x28 declared in a 100-byte file: an error, not a 47 MB buffer.
    let liar = write(&dir, "liar", &idx_bytes(&[60000, 28, 28], &[0; 84]));
    let msg = err_of(&liar);
    assert!(
        msg.contains("47040000 bytes of data, but only 84 follow"),
        "{msg}"
    );

    // 2^96 bytes: the product overflows.
    let huge = write(
        &dir,
        "huge",
        &idx_bytes(&[u32::MAX, u32::MAX, u32::MAX], &[]),
    );
    assert!(err_of(&huge).contains("overflows 64 bits"));

    // 10^11 bytes declared in a tiny gzip file: more than deflate can expand to.
    let bomb = write(
        &dir,
        "bomb.gz",
        &gzip(&idx_bytes(&[100_000, 1000, 1000], &[0; 10])),
    );
    let msg = err_of(&bomb);
    assert!(msg.contains("can hold at most"), "{msg}");

    // Within the deflate bound but with far less data: the buffer grows only with the data.
    let short = write(&dir, "short.gz", &gzip(&idx_bytes(&[20_000], &[0; 1000])));
    assert!(err_of(&short).contains("ends after 1000"));

    let trailing = write(
        &dir,
        "trailing",
        &[idx_bytes(&[2], &[1, 2]), vec![9]].concat(),
    );
    let msg = err_of(&trailing);
    assert!(msg.contains("3 bytes follow the header (1 extra)"), "{msg}");
    let trailing_gz = write(
        &dir,
        "trailing.gz",
        &gzip(&[idx_bytes(&[2], &[1, 2]), vec![9]].concat()),
    );
    assert!(err_of(&trailing_gz).contains("more bytes follow the data"));

    let missing = dir.join("absent");
    assert!(err_of(&missing).contains("cannot read") && err_of(&missing).contains("absent"));
}

/// Writes a small set: `n_train` and `n_test` images of 2x3 pixels, labels `i % 10`.
fn write_set(dir: &Path, n_train: u32, n_test: u32, gz: bool) {
    std::fs::create_dir_all(dir).unwrap();
    let images = |n: u32| {
        idx_bytes(
            &[n, 2, 3],
            &(0..n * 6).map(|v| (v % 256) as u8).collect::<Vec<_>>(),
        )
    };
    let labels = |n: u32| idx_bytes(&[n], &(0..n).map(|v| (v % 10) as u8).collect::<Vec<_>>());
    let files = [
        images(n_train),
        labels(n_train),
        images(n_test),
        labels(n_test),
    ];
    for (stem, bytes) in FILE_STEMS.iter().zip(files) {
        if gz {
            write(dir, &format!("{stem}.gz"), &gzip(&bytes));
        } else {
            write(dir, stem, &bytes);
        }
    }
}

fn env_with(actlab_data: Option<PathBuf>, home: Option<PathBuf>) -> Env {
    Env {
        actlab_data,
        xdg_cache_home: None,
        home,
    }
}

#[test]
fn loads_a_small_set_from_actlab_data() {
    let root = temp_dir("set-actlab-data");
    write_set(&root.join("mnist"), 5, 3, true);
    let env = env_with(Some(root.to_path_buf()), None);
    let files = locate(IdxSet::Mnist, None, &env).unwrap();
    assert_eq!(files.dir, root.join("mnist"));
    let set = load_files(IdxSet::Mnist, &files).unwrap();
    assert_eq!((set.shape.clone(), set.classes), (vec![2, 3], 10));
    assert_eq!((set.train.len(), set.test.len()), (5, 3));
    assert_eq!(*set.train.row(1), [6.0, 7.0, 8.0, 9.0, 10.0, 11.0]);
    assert_eq!(set.test.y, vec![0, 1, 2]);
}

#[test]
fn search_order_and_raw_over_gz() {
    let root = temp_dir("set-order");
    let data = root.join("data");
    let home = root.join("home");
    write_set(&home.join(".cache/actlab/fashion-mnist"), 4, 2, false);
    let env = env_with(Some(data.clone()), Some(home.clone()));
    // $ACTLAB_DATA has nothing: the cache is used.
    let found = locate(IdxSet::FashionMnist, None, &env).unwrap();
    assert_eq!(found.dir, home.join(".cache/actlab/fashion-mnist"));
    // Once $ACTLAB_DATA has the files, it wins; raw files beat .gz ones beside them.
    write_set(&data.join("fashion-mnist"), 4, 2, true);
    write_set(&data.join("fashion-mnist"), 4, 2, false);
    let found = locate(IdxSet::FashionMnist, None, &env).unwrap();
    assert_eq!(found.dir, data.join("fashion-mnist"));
    assert_eq!(
        found.files[0],
        data.join("fashion-mnist/train-images-idx3-ubyte")
    );
    // $XDG_CACHE_HOME replaces ~/.cache.
    let xdg = root.join("xdg");
    write_set(&xdg.join("actlab/fashion-mnist"), 4, 2, true);
    let env = Env {
        actlab_data: None,
        xdg_cache_home: Some(xdg.clone()),
        home: Some(home),
    };
    assert_eq!(
        locate(IdxSet::FashionMnist, None, &env).unwrap().dir,
        xdg.join("actlab/fashion-mnist")
    );
}

#[test]
fn absent_files_list_every_place_and_how_to_get_them() {
    let root = temp_dir("set-absent");
    let partial = root.join("data/mnist");
    write_set(&partial, 4, 2, true);
    std::fs::remove_file(partial.join("t10k-images-idx3-ubyte.gz")).unwrap();
    let env = env_with(Some(root.join("data")), Some(root.join("home")));
    let err = locate(IdxSet::Mnist, None, &env).unwrap_err();
    assert!(matches!(err, LocateError::NotFound { .. }));
    let msg = err.to_string();
    for needle in [
        "mnist: the four IDX files were not found",
        "1. ",
        "data/mnist ($ACTLAB_DATA/mnist): 3 of 4 files; missing t10k-images-idx3-ubyte(.gz)",
        "home/.cache/actlab/mnist (~/.cache/actlab/mnist): no such folder",
        "train-labels-idx1-ubyte.gz",
        "actlab does not download them itself",
    ] {
        assert!(msg.contains(needle), "missing `{needle}` in:\n{msg}");
    }

    let env = Env::default();
    let msg = locate(IdxSet::FashionMnist, Some(&root.join("nowhere")), &env)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("nowhere, does not hold the four IDX files: no such folder"),
        "{msg}"
    );
    assert!(
        msg.contains("apt-get install dataset-fashion-mnist"),
        "{msg}"
    );

    let msg = locate(IdxSet::Mnist, None, &Env::default())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("$ACTLAB_DATA is not set"), "{msg}");
    assert!(
        msg.contains("neither $XDG_CACHE_HOME nor $HOME is set"),
        "{msg}"
    );
}

#[test]
fn an_explicit_folder_is_the_only_place_looked() {
    let root = temp_dir("set-explicit");
    write_set(&root.join("data/mnist"), 4, 2, false);
    write_set(&root.join("mine"), 6, 2, false);
    let env = env_with(Some(root.join("data")), None);
    let found = locate(IdxSet::Mnist, Some(&root.join("mine")), &env).unwrap();
    assert_eq!(found.dir, root.join("mine"));
    std::fs::remove_file(root.join("mine/train-labels-idx1-ubyte")).unwrap();
    let err = locate(IdxSet::Mnist, Some(&root.join("mine")), &env).unwrap_err();
    assert!(
        err.to_string()
            .contains("3 of 4 files; missing train-labels-idx1-ubyte(.gz)"),
        "{err}"
    );
}

#[test]
fn inconsistent_sets_name_the_file() {
    let root = temp_dir("set-bad");
    let dir = root.join("mnist");
    write_set(&dir, 5, 3, false);
    // Four labels for five images.
    write(
        &dir,
        "train-labels-idx1-ubyte",
        &idx_bytes(&[4], &[0, 1, 2, 3]),
    );
    let files = locate(IdxSet::Mnist, Some(&dir), &Env::default()).unwrap();
    let msg = load_files(IdxSet::Mnist, &files).unwrap_err().to_string();
    assert!(
        msg.contains("holds 5 images but") && msg.contains("holds 4 labels"),
        "{msg}"
    );

    // A label outside 0..=9.
    write(
        &dir,
        "train-labels-idx1-ubyte",
        &idx_bytes(&[5], &[0, 1, 12, 3, 4]),
    );
    let msg = load_files(IdxSet::Mnist, &files).unwrap_err().to_string();
    assert!(
        msg.contains("train-labels-idx1-ubyte label 2 is 12; allowed: 0 to 9"),
        "{msg}"
    );

    // Labels with image dimensions.
    write(
        &dir,
        "train-labels-idx1-ubyte",
        &idx_bytes(&[5, 1], &[0; 5]),
    );
    let err = load_files(IdxSet::Mnist, &files).unwrap_err();
    assert!(matches!(err, LoadError::Dims { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("dimensions [5, 1]; allowed: [count], not zero"),
        "{err}"
    );

    // Test images of another size than the training images.
    write_set(&dir, 5, 3, false);
    write(
        &dir,
        "t10k-images-idx3-ubyte",
        &idx_bytes(&[3, 3, 2], &[0; 18]),
    );
    let msg = load_files(IdxSet::Mnist, &files).unwrap_err().to_string();
    assert!(
        msg.contains("allowed: the training images' size [2, 3]"),
        "{msg}"
    );
}

#[test]
fn canonical_dimensions_require_the_canonical_digest() {
    let tmp = temp_dir("set-digest");
    let dir = tmp.join("fashion-mnist");
    write_set(&dir, 5, 3, false);
    // A test-label file with Fashion-MNIST's dimensions but not its contents.
    write(
        &dir,
        "t10k-labels-idx1-ubyte",
        &idx_bytes(&[10000], &[0; 10000]),
    );
    write(
        &dir,
        "t10k-images-idx3-ubyte",
        &idx_bytes(&[10000, 2, 3], &[0; 60000]),
    );
    let files = locate(IdxSet::FashionMnist, Some(&dir), &Env::default()).unwrap();
    let err = load_files(IdxSet::FashionMnist, &files).unwrap_err();
    assert!(matches!(err, LoadError::Checksum { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("t10k-labels-idx1-ubyte has the canonical dimensions [10000]"),
        "{msg}"
    );
    assert!(msg.contains("not 0402a96d"), "{msg}");
}

#[test]
fn debians_fashion_mnist_when_installed() {
    let dir = Path::new("/usr/share/datasets/fashion-mnist");
    if !dir.is_dir() {
        eprintln!(
            "skipped: {} is absent (apt-get install dataset-fashion-mnist)",
            dir.display()
        );
        return;
    }
    let env = Env::default();
    let files = locate(IdxSet::FashionMnist, None, &env).unwrap();
    assert_eq!(files.dir, dir);
    let set = load_files(IdxSet::FashionMnist, &files).unwrap();
    assert_eq!((set.train.len(), set.test.len()), (60000, 10000));
    assert_eq!((set.shape.clone(), set.classes), (vec![28, 28], 10));
    let counts = (0..10).map(|c| set.train.y.iter().filter(|&&y| y == c).count());
    assert!(
        counts.into_iter().all(|n| n == 6000),
        "6000 training images per class"
    );
    assert!(
        set.train
            .dense()
            .iter()
            .all(|&v| (0.0..=255.0).contains(&v))
    );
}

/// Pixels stay bytes until a batch reads them: a set built from bytes (subset, then unit
/// scaling or standard scaling fitted on the training set) holds the same bits as the same
/// steps taken on float copies of the pixels.
#[test]
fn pixels_kept_as_bytes_equal_pixels_as_floats() {
    use actlab::data::{DataConfig, DataKind, Dataset, Scaling, Values, preprocess, stratified};
    use actlab::learner::gather;
    let dir = temp_dir("bytes-as-floats");
    let pixels = |n: usize, salt: usize| -> Vec<u8> {
        (0..n * 784)
            .map(|v| ((v * 37 + salt * 11 + v / 5) % 256) as u8)
            .collect()
    };
    let (train_px, test_px) = (pixels(40, 1), pixels(20, 2));
    let labels = |n: usize| (0..n).map(|v| (v % 10) as u8).collect::<Vec<_>>();
    for (stem, bytes) in FILE_STEMS.iter().zip([
        idx_bytes(&[40, 28, 28], &train_px),
        idx_bytes(&[40], &labels(40)),
        idx_bytes(&[20, 28, 28], &test_px),
        idx_bytes(&[20], &labels(20)),
    ]) {
        write(&dir, stem, &bytes);
    }
    let floats = |px: &[u8], n: usize| Dataset {
        x: Values::Floats(px.iter().map(|&p| f64::from(p)).collect()),
        y: labels(n),
        features: 784,
    };
    for scaling in [Scaling::UnitInterval, Scaling::Standard, Scaling::None] {
        let config = DataConfig {
            scaling,
            n_train: Some(30),
            n_test: Some(10),
            path: Some(dir.to_path_buf()),
            ..DataConfig::real(DataKind::Mnist, 7)
        };
        let built = config.build().unwrap();
        assert!(matches!(built.train.x, Values::Bytes(_)), "kept as bytes");
        let mut train = stratified(&floats(&train_px, 40), 30, 7).unwrap();
        let mut test = stratified(&floats(&test_px, 20), 10, 7).unwrap();
        if scaling == Scaling::UnitInterval {
            for set in [&mut train, &mut test] {
                set.x.floats_mut().iter_mut().for_each(|v| *v /= 255.0);
            }
        }
        if scaling == Scaling::Standard {
            preprocess::standardize_with_train(&mut train, &mut test);
        }
        let bits = |d: &Dataset| d.dense().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&built.train), bits(&train), "{scaling:?} train");
        assert_eq!(bits(&built.test), bits(&test), "{scaling:?} test");
        assert_eq!(
            (built.train.y.clone(), built.test.y.clone()),
            (train.y.clone(), test.y)
        );
        let mut gathered = Vec::new();
        built.train.extend_row(3, &mut gathered, |v| v);
        assert_eq!(gathered, &built.train.dense()[3 * 784..4 * 784]);
        // A float32 batch gathered from bytes holds what the float64 batch of the float
        // path, converted as Burn converts, holds.
        let rows: Vec<usize> = (0..train.len()).rev().collect();
        let (direct, _) = gather::<f32>(&[&built.train], &[&rows], 10);
        let (wide, _) = gather::<f64>(&[&train], &[&rows], 10);
        let values = |d: burn::tensor::TensorData| d.to_vec::<f32>().unwrap();
        assert_eq!(values(direct), values(wide.convert::<f32>()));
    }
}
