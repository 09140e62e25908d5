//! MNIST and Fashion-MNIST from their four IDX files: the file names, the canonical files'
//! SHA-256 digests (checked whenever a file has the canonical dimensions), and loading them as
//! a [`Loaded`] set of pixels kept as bytes (read as the floats 0..=255, unscaled).

use std::path::Path;

use super::Dataset;
use super::idx::{IdxArray, IdxError, read_idx};
use super::locate::{Env, LocateError, SetFiles, locate};
use super::samples::Loaded;

/// The files of a set, without `.gz`: train images, train labels, test images, test labels.
pub const FILE_STEMS: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// The dimensions of the canonical files, in [`FILE_STEMS`] order.
const CANONICAL_DIMS: [&[usize]; 4] = [&[60000, 28, 28], &[60000], &[10000, 28, 28], &[10000]];

/// SHA-256 of the decompressed canonical MNIST files, in [`FILE_STEMS`] order. LeCun's site
/// publishes none; these are the digests of the files behind the widely pinned `.gz` digests
/// (`440fcabf…`, `3552534a…`, `8d422c7b…`, `f7ae60f9…`), listed alike by several public projects.
pub const MNIST_SHA256: [&str; 4] = [
    "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
];

/// SHA-256 of the decompressed canonical Fashion-MNIST files, in [`FILE_STEMS`] order, computed
/// from Debian's `dataset-fashion-mnist` 0.0~git20200523.55506a9-1 (whose `.gz` files were
/// recompressed: their own digests differ from Zalando's, the contents do not).
pub const FASHION_MNIST_SHA256: [&str; 4] = [
    "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
];

/// The IDX data sets actlab knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdxSet {
    Mnist,
    FashionMnist,
}

impl IdxSet {
    pub const ALL: [IdxSet; 2] = [Self::Mnist, Self::FashionMnist];

    pub fn name(self) -> &'static str {
        match self {
            Self::Mnist => "mnist",
            Self::FashionMnist => "fashion-mnist",
        }
    }

    /// The set named `name`, or an error listing the names allowed.
    pub fn from_name(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| {
                format!(
                    "unknown IDX data set `{name}`; allowed: {}",
                    Self::ALL.map(Self::name).join(", ")
                )
            })
    }

    /// SHA-256 of the four decompressed canonical files, in [`FILE_STEMS`] order.
    pub fn sha256(self) -> [&'static str; 4] {
        match self {
            Self::Mnist => MNIST_SHA256,
            Self::FashionMnist => FASHION_MNIST_SHA256,
        }
    }

    /// The folder a system package installs the files in, if any.
    pub fn system_dir(self) -> Option<&'static str> {
        match self {
            Self::Mnist => None,
            Self::FashionMnist => Some("/usr/share/datasets/fashion-mnist"),
        }
    }

    /// Where the `.gz` files can be downloaded from (for error messages).
    pub fn download_urls(self) -> Vec<String> {
        let base = match self {
            // LeCun's original site; PyTorch's mirror serves the same files.
            Self::Mnist => "https://ossci-datasets.s3.amazonaws.com/mnist/",
            Self::FashionMnist => "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        };
        FILE_STEMS
            .iter()
            .map(|stem| format!("{base}{stem}.gz"))
            .collect()
    }
}

impl std::fmt::Display for IdxSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What went wrong loading a set; every message names the file concerned.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Locate(#[from] LocateError),
    #[error(transparent)]
    Idx(#[from] IdxError),
    #[error(
        "{set}: {file} has the canonical dimensions {dims:?} but SHA-256 {found}, not {expected}: a corrupt copy, or another data set's file in this folder"
    )]
    Checksum {
        set: IdxSet,
        file: String,
        dims: Vec<usize>,
        expected: &'static str,
        found: String,
    },
    #[error("{set}: {file} has dimensions {found:?}; allowed: {allowed}")]
    Dims {
        set: IdxSet,
        file: String,
        found: Vec<usize>,
        allowed: String,
    },
    #[error(
        "{set}: {images} holds {n_images} images but {labels} holds {n_labels} labels; they must match"
    )]
    CountMismatch {
        set: IdxSet,
        images: String,
        labels: String,
        n_images: usize,
        n_labels: usize,
    },
    #[error("{set}: {file} label {index} is {value}; allowed: 0 to 9")]
    Label {
        set: IdxSet,
        file: String,
        index: usize,
        value: u8,
    },
}

/// Finds (see [`locate`]) and loads `set`, from `explicit` alone when given.
pub fn load(set: IdxSet, explicit: Option<&Path>) -> Result<Loaded, LoadError> {
    let files = locate(set, explicit, &Env::from_process())?;
    load_files(set, &files)
}

/// Reads one file and checks its dimensions' count and, when they are the canonical ones, its
/// digest.
fn read_checked(set: IdxSet, files: &SetFiles, k: usize) -> Result<IdxArray, LoadError> {
    let path = &files.files[k];
    let file = path.display().to_string();
    let array = read_idx(path)?;
    let rank = if k == 0 || k == 2 { 3 } else { 1 };
    if array.dims.len() != rank || array.dims[0] == 0 || array.dims.contains(&0) {
        let allowed = if rank == 3 {
            "[count, rows, columns], none zero"
        } else {
            "[count], not zero"
        };
        return Err(LoadError::Dims {
            set,
            file,
            found: array.dims,
            allowed: allowed.into(),
        });
    }
    if array.dims == CANONICAL_DIMS[k] && array.sha256 != set.sha256()[k] {
        return Err(LoadError::Checksum {
            set,
            file,
            dims: array.dims,
            expected: set.sha256()[k],
            found: array.sha256,
        });
    }
    Ok(array)
}

/// Images and labels as samples, checking that they match.
fn samples(
    set: IdxSet,
    files: &SetFiles,
    images: IdxArray,
    labels: IdxArray,
    k: usize,
) -> Result<Dataset, LoadError> {
    let name = |i: usize| files.files[i].display().to_string();
    if images.dims[0] != labels.dims[0] {
        return Err(LoadError::CountMismatch {
            set,
            images: name(k),
            labels: name(k + 1),
            n_images: images.dims[0],
            n_labels: labels.dims[0],
        });
    }
    if let Some((index, &value)) = labels.data.iter().enumerate().find(|(_, v)| **v > 9) {
        return Err(LoadError::Label {
            set,
            file: name(k + 1),
            index,
            value,
        });
    }
    let features = images.dims[1..].iter().product();
    Ok(Dataset::from_bytes(images.data, labels.data, features))
}

/// Loads the four files found by [`locate`].
pub fn load_files(set: IdxSet, files: &SetFiles) -> Result<Loaded, LoadError> {
    let train_images = read_checked(set, files, 0)?;
    let train_labels = read_checked(set, files, 1)?;
    let test_images = read_checked(set, files, 2)?;
    let test_labels = read_checked(set, files, 3)?;
    if train_images.dims[1..] != test_images.dims[1..] {
        return Err(LoadError::Dims {
            set,
            file: files.files[2].display().to_string(),
            found: test_images.dims,
            allowed: format!("the training images' size {:?}", &train_images.dims[1..]),
        });
    }
    let shape = train_images.dims[1..].to_vec();
    Ok(Loaded {
        train: samples(set, files, train_images, train_labels, 0)?,
        test: samples(set, files, test_images, test_labels, 2)?,
        shape,
        classes: 10,
    })
}
