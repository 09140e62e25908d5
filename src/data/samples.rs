//! The common shape of a real data set: labelled samples stored row-major, with their
//! per-sample shape and class count.

use super::Dataset;

/// A data set's samples, row-major: sample `i` is `x[i * features..(i + 1) * features]`, where
/// `features` is the product of the per-sample shape.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Samples {
    pub x: Vec<f64>,
    pub y: Vec<u8>,
}

/// A data set split into train and test samples, as its source defines the split.
#[derive(Clone, Debug, PartialEq)]
pub struct Loaded {
    pub train: Dataset,
    pub test: Dataset,
    /// Per-sample dimensions as the source stores them: `[40]` for MNIST-1D, `[28, 28]` for
    /// IDX images (a convolutional model prepends its channel axis itself).
    pub shape: Vec<usize>,
    pub classes: usize,
}

/// A data set with no split of its own (the caller splits it).
#[derive(Clone, Debug, PartialEq)]
pub struct Unsplit {
    pub samples: Samples,
    /// Per-sample dimensions, e.g. `[8, 8]`.
    pub shape: Vec<usize>,
    pub classes: usize,
}

impl Samples {
    /// The number of samples.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Values per sample (`x.len() / len()`; 0 when there are no samples).
    pub fn features(&self) -> usize {
        self.x.len().checked_div(self.len()).unwrap_or(0)
    }

    /// Sample `i`'s values.
    pub fn row(&self, i: usize) -> &[f64] {
        let f = self.features();
        &self.x[i * f..(i + 1) * f]
    }

    /// The samples at `indices`, in that order (for the caller's own splits).
    pub fn select(&self, indices: &[usize]) -> Samples {
        let f = self.features();
        let mut x = Vec::with_capacity(indices.len() * f);
        for &i in indices {
            x.extend_from_slice(&self.x[i * f..(i + 1) * f]);
        }
        Samples {
            x,
            y: indices.iter().map(|&i| self.y[i]).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_selection() {
        let s = Samples {
            x: vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
            y: vec![7, 8, 9],
        };
        assert_eq!((s.len(), s.features()), (3, 2));
        assert_eq!(s.row(1), &[2.0, 3.0]);
        let t = s.select(&[2, 0]);
        assert_eq!(t.x, vec![4.0, 5.0, 0.0, 1.0]);
        assert_eq!(t.y, vec![9, 7]);
        assert_eq!(Samples::default().features(), 0);
    }
}
