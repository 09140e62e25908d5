//! How a data set holds its values: as floats, or (images) as bytes beside a per-feature table
//! of the float each byte value stands for.
//!
//! Fashion-MNIST's 70,000 images are 55 MB as bytes and 440 MB as float64. A byte set is scaled
//! by rewriting its table, never its bytes: every value is the same float operations applied to
//! the same inputs in both forms, so a batch gathered from bytes holds the bits the float form
//! would hold (tested in `tests/idx.rs`). Written by hand because the point is the
//! storage itself.

use std::{borrow::Cow, ops::Range, sync::Arc};

/// Byte values per feature in a [`Bytes`] table.
const LEVELS: usize = 256;

/// Row-major `[n, features]` values.
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    /// One float per value.
    Floats(Vec<f64>),
    /// One byte per value, read through a per-feature table.
    Bytes(Bytes),
}

/// Bytes `[n, features]` and the table of the float each byte stands for at each feature:
/// value `(i, j)` is `table[j * stride + bytes[i * features + j]]`. The table is one row of
/// 256 shared by every feature (`stride` 0: it stays in the first-level cache while a batch is
/// gathered) until a feature is scaled on its own, then one row per feature (`stride` 256).
#[derive(Clone, Debug, PartialEq)]
pub struct Bytes {
    /// Shared: copies of a set (one per program, one per report) share its bytes.
    bytes: Arc<[u8]>,
    table: Vec<f64>,
    stride: usize,
    features: usize,
}

impl Default for Values {
    fn default() -> Self {
        Self::Floats(Vec::new())
    }
}

impl Bytes {
    /// `bytes` read as the floats `0.0..=255.0`.
    pub fn new(bytes: Vec<u8>, features: usize) -> Self {
        Self {
            bytes: bytes.into(),
            table: (0..LEVELS).map(|b| b as f64).collect(),
            stride: 0,
            features,
        }
    }

    /// Feature `column`'s row of the table, which becomes its own.
    fn column_mut(&mut self, column: usize) -> &mut [f64] {
        if self.stride == 0 {
            self.table = self.table.repeat(self.features);
            self.stride = LEVELS;
        }
        &mut self.table[column * LEVELS..(column + 1) * LEVELS]
    }

    #[inline]
    fn at(&self, column: usize, byte: u8) -> f64 {
        self.table[column * self.stride + usize::from(byte)]
    }

    fn row_major(&self) -> impl Iterator<Item = f64> + '_ {
        (0..self.bytes.len() / self.features.max(1)).flat_map(|i| self.row(i))
    }

    fn row(&self, i: usize) -> impl Iterator<Item = f64> + '_ {
        let f = self.features;
        self.bytes[i * f..(i + 1) * f]
            .iter()
            .enumerate()
            .map(|(j, &b)| self.at(j, b))
    }
}

impl Values {
    /// Checks (in debug builds) that a caller's feature count is a byte set's own.
    #[inline]
    fn agrees(&self, features: usize) {
        if let Self::Bytes(b) = self {
            debug_assert_eq!(b.features, features, "a byte set read with another width");
        }
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        match self {
            Self::Floats(x) => x.len(),
            Self::Bytes(b) => b.bytes.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `i`'s values, each converted by `convert`, appended to `out`: the hot path of
    /// gathering a batch, one pass over the row with no per-value branch.
    #[inline]
    pub fn extend_row<E>(
        &self,
        i: usize,
        features: usize,
        out: &mut Vec<E>,
        convert: impl Fn(f64) -> E,
    ) {
        self.agrees(features);
        let span = i * features..(i + 1) * features;
        match self {
            Self::Floats(x) => out.extend(x[span].iter().map(|&v| convert(v))),
            Self::Bytes(b) if b.stride == 0 => {
                let table: &[f64; LEVELS] = b.table[..LEVELS].try_into().expect("one row");
                out.extend(
                    b.bytes[span]
                        .iter()
                        .map(|&v| convert(table[usize::from(v)])),
                );
            }
            Self::Bytes(b) => out.extend(
                b.bytes[span]
                    .iter()
                    .zip(b.table.chunks_exact(LEVELS))
                    .map(|(&v, table)| convert(table[usize::from(v)])),
            ),
        }
    }

    /// Calls `f(j, value)` for each value `j` of row `i`, in order.
    #[inline]
    pub fn for_each_in_row(&self, i: usize, features: usize, mut f: impl FnMut(usize, f64)) {
        self.agrees(features);
        let span = i * features..(i + 1) * features;
        match self {
            Self::Floats(x) => x[span].iter().enumerate().for_each(|(j, &v)| f(j, v)),
            Self::Bytes(b) => b.bytes[span]
                .iter()
                .enumerate()
                .for_each(|(j, &v)| f(j, b.at(j, v))),
        }
    }

    /// Rows `rows`, row-major: borrowed from floats, made from bytes.
    pub fn rows(&self, rows: Range<usize>, features: usize) -> Cow<'_, [f64]> {
        self.agrees(features);
        match self {
            Self::Floats(x) => Cow::Borrowed(&x[rows.start * features..rows.end * features]),
            Self::Bytes(b) => Cow::Owned(rows.flat_map(|i| b.row(i)).collect()),
        }
    }

    /// Every value, row-major (made anew from bytes: meant for small sets).
    pub fn dense(&self, features: usize) -> Cow<'_, [f64]> {
        self.rows(0..self.len().checked_div(features).unwrap_or(0), features)
    }

    /// Column `column`'s values, in row order.
    pub fn column(&self, column: usize, features: usize) -> Box<dyn Iterator<Item = f64> + '_> {
        self.agrees(features);
        match self {
            Self::Floats(x) => Box::new(x.iter().skip(column).step_by(features).copied()),
            Self::Bytes(b) => Box::new(
                b.bytes
                    .iter()
                    .skip(column)
                    .step_by(features)
                    .map(move |&v| b.at(column, v)),
            ),
        }
    }

    /// Replaces every value `v` of column `column` by `f(v)`. On a byte set `f` is applied to
    /// the column's table, once per byte level rather than once per value: it must be a pure
    /// function of the value (scaling, not noise).
    pub fn map_column(&mut self, column: usize, features: usize, f: impl Fn(f64) -> f64) {
        self.agrees(features);
        match self {
            Self::Floats(x) => x
                .iter_mut()
                .skip(column)
                .step_by(features)
                .for_each(|v| *v = f(*v)),
            Self::Bytes(b) => b.column_mut(column).iter_mut().for_each(|v| *v = f(*v)),
        }
    }

    /// The values as floats to change in place; a byte set becomes a float one first.
    pub fn floats_mut(&mut self) -> &mut Vec<f64> {
        if let Self::Bytes(b) = self {
            *self = Self::Floats(b.row_major().collect());
        }
        match self {
            Self::Floats(x) => x,
            Self::Bytes(_) => unreachable!("converted to floats above"),
        }
    }

    /// Replaces every value `v` by `f(v)`; as for [`Self::map_column`], `f` must be a pure
    /// function of the value.
    pub fn map(&mut self, f: impl Fn(f64) -> f64) {
        match self {
            Self::Floats(x) => x.iter_mut().for_each(|v| *v = f(*v)),
            Self::Bytes(b) => b.table.iter_mut().for_each(|v| *v = f(*v)),
        }
    }

    /// The rows at `indices`, in that order, in the same form.
    pub fn select(&self, indices: &[usize], features: usize) -> Self {
        self.agrees(features);
        match self {
            Self::Floats(x) => Self::Floats(
                indices
                    .iter()
                    .flat_map(|&i| &x[i * features..(i + 1) * features])
                    .copied()
                    .collect(),
            ),
            Self::Bytes(b) => Self::Bytes(Bytes {
                bytes: indices
                    .iter()
                    .flat_map(|&i| &b.bytes[i * features..(i + 1) * features])
                    .copied()
                    .collect(),
                table: b.table.clone(),
                stride: b.stride,
                features,
            }),
        }
    }

    /// The position of the first value that is not finite.
    pub fn first_non_finite(&self, features: usize) -> Option<usize> {
        self.agrees(features);
        match self {
            Self::Floats(x) => x.iter().position(|v| !v.is_finite()),
            // A table of finite values (the rule: scaling keeps them finite) settles it.
            Self::Bytes(b) if b.table.iter().all(|v| v.is_finite()) => None,
            Self::Bytes(b) => b
                .bytes
                .iter()
                .enumerate()
                .position(|(p, &v)| !b.at(p % features, v).is_finite()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_as_floats_and_scale_through_their_table() {
        let bytes = vec![0, 255, 10, 20, 30, 40];
        let mut b = Values::Bytes(Bytes::new(bytes.clone(), 2));
        let mut f = Values::Floats(bytes.iter().map(|&v| f64::from(v)).collect());
        for v in [&mut b, &mut f] {
            v.map(|x| x / 255.0);
            v.map_column(1, 2, |x| (x - 0.5) / 3.0);
        }
        assert_eq!(b.dense(2), f.dense(2));
        assert_eq!(b.rows(1..3, 2), f.rows(1..3, 2));
        let col: Vec<f64> = b.column(1, 2).collect();
        assert_eq!(col, f.column(1, 2).collect::<Vec<_>>());
        assert_eq!(b.select(&[2, 0], 2).dense(2), f.select(&[2, 0], 2).dense(2));
        let (mut rb, mut rf) = (Vec::new(), Vec::new());
        b.extend_row(2, 2, &mut rb, |v| v);
        f.extend_row(2, 2, &mut rf, |v| v);
        assert_eq!(rb, rf);
        let mut each = Vec::new();
        b.for_each_in_row(2, 2, |j, v| each.push((j, v)));
        assert_eq!(each, vec![(0, rf[0]), (1, rf[1])]);
        let shared = Values::Bytes(Bytes::new(bytes.clone(), 2));
        let (mut rs, mut fresh) = (Vec::new(), Vec::new());
        shared.extend_row(1, 2, &mut rs, |v| v as f32);
        Values::Floats(vec![10.0, 20.0]).extend_row(0, 2, &mut fresh, |v| v as f32);
        assert_eq!(rs, fresh);
        assert_eq!((b.len(), b.first_non_finite(2)), (6, None));
        let mut c = b.clone();
        assert_eq!(c.floats_mut().as_slice(), &*f.dense(2));
        // A level no pixel holds may be anything: only the values present count.
        let mut unused = b.clone();
        unused.map_column(1, 2, |x| if x == 7.0 / 255.0 { f64::NAN } else { x });
        assert_eq!(unused.first_non_finite(2), None);
        b.map_column(0, 2, |x| if x == 10.0 / 255.0 { f64::NAN } else { x });
        assert_eq!(b.first_non_finite(2), Some(2));
    }
}
