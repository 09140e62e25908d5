//! MNIST-1D (Greydanus & Kobak, arXiv:2011.14439), generated exactly as the reference package
//! `mnist1d` (PyPI 0.0.2.post1, `mnist1d/data.py` and `mnist1d/transform.py`) does it.
//!
//! Ten hand-made 12-point templates are padded, stretched, scaled, rotated, filled with
//! Gaussian-smoothed noise where they are zero, given i.i.d. noise and a shear, then resampled to
//! 40 points; the set is shuffled, standardised with its global mean and std, and split. Every
//! random draw comes from numpy's legacy global stream seeded once, in the package's order, and
//! every float operation follows numpy/scipy (see `numpy_ops` and `ndimage`), so the values
//! agree with the package bit for bit on x86-64.

use serde::{Deserialize, Serialize};

use super::Dataset;
use super::ndimage::gaussian_filter_sigma2;
use super::numpy_ops::{interp, linspace, mean, std};
use super::samples::{Loaded, Samples};
use crate::numpy_rng::NumpyRng;

/// The digit templates, before whitening (`get_templates`).
const RAW_TEMPLATES: [[f64; 12]; 10] = [
    [5., 6., 6.5, 6.75, 7., 7., 7., 7., 6.75, 6.5, 6., 5.],
    [5., 3., 3., 3.4, 3.8, 4.2, 4.6, 5., 5.4, 5.8, 5., 5.],
    [5., 6., 6.5, 6.5, 6., 5.25, 4.75, 4., 3.5, 3.5, 4., 5.],
    [5., 6., 6.5, 6.5, 6., 5., 5., 6., 6.5, 6.5, 6., 5.],
    [5., 4.4, 3.8, 3.2, 2.6, 2.6, 5., 5., 5., 5., 5., 5.],
    [5., 3., 3., 3., 3., 5., 6., 6.5, 6.5, 6., 4.5, 5.],
    [5., 4., 3.5, 3.25, 3., 3., 3., 3., 3.25, 3.5, 4., 5.],
    [5., 7., 7., 6.6, 6.2, 5.8, 5.4, 5., 4.6, 4.2, 5., 5.],
    [5., 4., 3.5, 3.5, 4., 5., 5., 4., 3.5, 3.5, 4., 5.],
    [5., 4., 3.5, 3.5, 4., 5., 5., 5., 5., 4.7, 4.3, 5.],
];

/// Added to every template value before padding so that no template point is exactly zero
/// (`transform(..., eps=1e-8)`): zeros mark the padding that gets correlated noise.
const EPS: f64 = 1e-8;

/// `get_dataset_args()`: the generator's parameters, with the package's defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Mnist1dArgs {
    /// Samples before the split; `num_samples / 10` are made per class.
    pub num_samples: usize,
    /// Fraction of the shuffled samples that form the training set (`int(n * train_split)`).
    pub train_split: f64,
    /// Length added to `padding[1]` for the stretched signal (the templates have 12 points).
    pub template_len: usize,
    /// Zeros appended to a template: uniform in `padding[0]..=padding[1]`.
    pub padding: [usize; 2],
    /// Amplitude scaled by `1 + scale_coeff * (u - 0.5)`.
    pub scale_coeff: f64,
    /// Circular shift drawn from `0..max_translation`.
    pub max_translation: usize,
    /// Std of the noise smoothed by a sigma-2 Gaussian that fills the zero (padding) points.
    pub corr_noise_scale: f64,
    /// Std of the i.i.d. noise added to every point.
    pub iid_noise_scale: f64,
    /// Linear trend `shear_scale * (u - 0.5) * linspace(-0.5, 0.5)` subtracted.
    pub shear_scale: f64,
    /// Permute the 40 positions of every sample with one shared permutation.
    pub shuffle_seq: bool,
    /// Points per sample after resampling.
    pub final_seq_length: usize,
    /// Seeds numpy's legacy global stream (`np.random.seed(seed)`).
    pub seed: u32,
}

impl Default for Mnist1dArgs {
    fn default() -> Self {
        Self {
            num_samples: 5000,
            train_split: 0.8,
            template_len: 12,
            padding: [36, 60],
            scale_coeff: 0.4,
            max_translation: 48,
            corr_noise_scale: 0.25,
            iid_noise_scale: 2e-2,
            shear_scale: 0.75,
            shuffle_seq: false,
            final_seq_length: 40,
            seed: 42,
        }
    }
}

/// Parameters the generator cannot work with.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum Mnist1dError {
    #[error("mnist1d: num_samples is {0}; it must be at least 10 (one sample per class)")]
    TooFewSamples(usize),
    #[error("mnist1d: train_split is {0}; it must be within 0..=1")]
    BadSplit(f64),
    #[error("mnist1d: padding is [{0}, {1}]; the first bound must not exceed the second")]
    BadPadding(usize, usize),
    #[error("mnist1d: max_translation is 0; it must be at least 1 (shifts are drawn from 0..max)")]
    NoTranslation,
    #[error("mnist1d: {name} is 0; it must be at least 1")]
    ZeroLength { name: &'static str },
    #[error("mnist1d: {name} is {value}; it must be finite")]
    NotFinite { name: &'static str, value: f64 },
}

/// A generated MNIST-1D set: the samples and the resampled time axis `t` the package returns.
#[derive(Clone, Debug, PartialEq)]
pub struct Mnist1d {
    pub data: Loaded,
    /// The package's `dataset['t']`: the template time axis, resampled, over the data std.
    pub t: Vec<f64>,
}

/// `get_templates()`: the ten templates whitened per row (mean 0, std 1, numpy arithmetic),
/// shifted to start at 0 and divided by 6, and their time axis `linspace(-5, 5, 12) / 6`.
pub fn templates() -> ([[f64; 12]; 10], [f64; 12]) {
    let mut x = RAW_TEMPLATES;
    for row in &mut x {
        let m = mean(row);
        row.iter_mut().for_each(|v| *v -= m);
        let s = std(row);
        row.iter_mut().for_each(|v| *v /= s);
        let first = row[0];
        row.iter_mut().for_each(|v| *v -= first);
        row.iter_mut().for_each(|v| *v /= 6.0);
    }
    let mut t = [0.0; 12];
    for (dst, v) in t.iter_mut().zip(linspace(-5.0, 5.0, 12)) {
        *dst = v / 6.0;
    }
    (x, t)
}

/// `interpolate(x, n)`: `interp1d(linspace(0, 1, len(x)), x)(linspace(0, 1, n))`.
fn resample(x: &[f64], n: usize) -> Vec<f64> {
    interp(&linspace(0.0, 1.0, n), &linspace(0.0, 1.0, x.len()), x)
}

/// `np.concatenate([x[-k:], x[:-k]])`: a right rotation by `k` when `0 < k < len`, else (Python
/// slicing with `k == 0` or `k >= len`) the signal unchanged.
fn translate(x: &mut [f64], k: usize) {
    if k > 0 && k < x.len() {
        x.rotate_right(k);
    }
}

/// `transform(x, t, args)`: one sample from template `x` with time axis `t`, drawing from `rng`
/// in the package's order (pad, scale, shift, correlated noise, i.i.d. noise, shear). Returns
/// the sample and the resampled time axis.
pub fn transform(
    x: &[f64],
    t: &[f64],
    args: &Mnist1dArgs,
    rng: &mut NumpyRng,
) -> (Vec<f64>, Vec<f64>) {
    let [low, high] = args.padding;
    let p = low + (rng.rand() * (high - low + 1) as f64) as usize;
    let mut padded: Vec<f64> = x.iter().map(|v| v + EPS).collect();
    padded.resize(padded.len() + p, 0.0);

    let n = args.template_len + high;
    let mut new_x = resample(&padded, n);
    let new_t = resample(t, n);

    let factor = 1.0 + args.scale_coeff * (rng.rand() - 0.5);
    new_x.iter_mut().for_each(|v| *v *= factor);
    translate(&mut new_x, rng.choice(args.max_translation));

    let noise: Vec<f64> = (0..n)
        .map(|_| args.corr_noise_scale * rng.gauss())
        .collect();
    let smooth = gaussian_filter_sigma2(&noise);
    for (v, s) in new_x.iter_mut().zip(smooth) {
        if *v == 0.0 {
            *v = s;
        }
    }
    for v in new_x.iter_mut() {
        *v += args.iid_noise_scale * rng.gauss();
    }

    let coeff = args.shear_scale * (rng.rand() - 0.5);
    for (v, l) in new_x.iter_mut().zip(linspace(-0.5, 0.5, n)) {
        *v -= coeff * l;
    }
    (
        resample(&new_x, args.final_seq_length),
        resample(&new_t, args.final_seq_length),
    )
}

impl Mnist1dArgs {
    /// Checks the parameters the generator needs.
    pub fn validate(&self) -> Result<(), Mnist1dError> {
        if self.num_samples < 10 {
            return Err(Mnist1dError::TooFewSamples(self.num_samples));
        }
        if !(0.0..=1.0).contains(&self.train_split) {
            return Err(Mnist1dError::BadSplit(self.train_split));
        }
        if self.padding[0] > self.padding[1] {
            return Err(Mnist1dError::BadPadding(self.padding[0], self.padding[1]));
        }
        if self.max_translation == 0 {
            return Err(Mnist1dError::NoTranslation);
        }
        if self.final_seq_length == 0 {
            return Err(Mnist1dError::ZeroLength {
                name: "final_seq_length",
            });
        }
        if self.template_len + self.padding[1] == 0 {
            return Err(Mnist1dError::ZeroLength {
                name: "template_len + padding[1]",
            });
        }
        for (name, value) in [
            ("scale_coeff", self.scale_coeff),
            ("corr_noise_scale", self.corr_noise_scale),
            ("iid_noise_scale", self.iid_noise_scale),
            ("shear_scale", self.shear_scale),
        ] {
            if !value.is_finite() {
                return Err(Mnist1dError::NotFinite { name, value });
            }
        }
        Ok(())
    }

    /// `make_dataset(args)`: the whole set, shuffled, standardised and split.
    pub fn generate(&self) -> Result<Mnist1d, Mnist1dError> {
        self.validate()?;
        let (templates, t) = templates();
        let mut rng = NumpyRng::new(self.seed);
        let per_class = self.num_samples / templates.len();
        let len = self.final_seq_length;

        let mut rows = Vec::with_capacity(per_class * templates.len());
        let mut labels = Vec::with_capacity(rows.capacity());
        let mut new_t = Vec::new();
        for (label, template) in templates.iter().enumerate() {
            for _ in 0..per_class {
                let (x, tt) = transform(template, &t, self, &mut rng);
                rows.push(x);
                labels.push(label as u8);
                new_t = tt;
            }
        }

        let order = rng.permutation(rows.len());
        let seq = if self.shuffle_seq {
            rng.permutation(len)
        } else {
            (0..len).collect()
        };
        let mut xs = Vec::with_capacity(rows.len() * len);
        for &i in &order {
            xs.extend(seq.iter().map(|&j| rows[i][j]));
        }
        let ys: Vec<u8> = order.iter().map(|&i| labels[i]).collect();

        // numpy reduces in memory order, and `xs[..., perm]` leaves the array column-major
        // (numpy's fancy indexing puts the indexed axis outermost), so the statistics of a
        // position-shuffled set are summed column by column.
        let (m, s) = if self.shuffle_seq {
            let n = ys.len();
            let columns: Vec<f64> = (0..len)
                .flat_map(|j| (0..n).map(move |i| (i, j)))
                .map(|(i, j)| xs[i * len + j])
                .collect();
            (mean(&columns), std(&columns))
        } else {
            (mean(&xs), std(&xs))
        };
        let t: Vec<f64> = new_t.iter().map(|v| v / s).collect();
        xs.iter_mut().for_each(|v| *v = (*v - m) / s);

        let split = (ys.len() as f64 * self.train_split) as usize;
        let test_x = xs.split_off(split * len);
        let test_y = ys[split..].to_vec();
        let data = Loaded {
            train: Dataset::from_samples(
                Samples {
                    x: xs,
                    y: ys[..split].to_vec(),
                },
                len,
            ),
            test: Dataset::from_samples(
                Samples {
                    x: test_x,
                    y: test_y,
                },
                len,
            ),
            shape: vec![len],
            classes: templates.len(),
        };
        Ok(Mnist1d { data, t })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translate_follows_python_slicing() {
        let mut x = [1.0, 2.0, 3.0, 4.0];
        translate(&mut x, 1);
        assert_eq!(x, [4.0, 1.0, 2.0, 3.0]);
        for k in [0, 4, 9] {
            let mut y = [1.0, 2.0, 3.0, 4.0];
            translate(&mut y, k);
            assert_eq!(y, [1.0, 2.0, 3.0, 4.0], "k={k}");
        }
    }

    #[test]
    fn bad_parameters_are_named() {
        let args = Mnist1dArgs {
            padding: [10, 5],
            ..Default::default()
        };
        let err = args.generate().unwrap_err();
        assert_eq!(err, Mnist1dError::BadPadding(10, 5));
        assert!(err.to_string().contains("padding is [10, 5]"));
    }
}
