//! What a classifier does per class, for data of any shape: the confusion matrix and per-class
//! accuracy on the test set, its most confident mistakes, a few test samples with their
//! predictions, and each hidden layer's activations projected onto their first two principal
//! components.

use serde::{Deserialize, Serialize};

/// One test sample's prediction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Index in the test set.
    pub index: usize,
    pub label: u8,
    pub predicted: u8,
    /// The predicted class's probability.
    pub confidence: f64,
}

/// The test set by class.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassReport {
    /// `confusion[true][predicted]`: counts over the whole test set.
    pub confusion: Vec<Vec<usize>>,
    /// Correct share of each true class (`None` for a class absent from the test set).
    pub per_class_accuracy: Vec<Option<f64>>,
    /// The wrong predictions made with the most confidence, most confident first.
    pub mistakes: Vec<Prediction>,
    /// The first test samples, for a grid of predictions.
    pub samples: Vec<Prediction>,
}

/// Mistakes and samples kept.
const SHOWN: usize = 16;

impl ClassReport {
    /// From each test sample's class probabilities (`probs[i * classes + c]`, or `P(class 1)`
    /// per sample for two classes) and labels.
    pub fn new(probabilities: &[f64], labels: &[u8], classes: usize) -> Self {
        let per_sample = if classes == 2 && probabilities.len() == labels.len() {
            1
        } else {
            classes
        };
        let predictions: Vec<Prediction> = labels
            .iter()
            .enumerate()
            .map(|(index, &label)| {
                let p = &probabilities[index * per_sample..(index + 1) * per_sample];
                let (predicted, confidence) = if per_sample == 1 {
                    if p[0] >= 0.5 {
                        (1, p[0])
                    } else {
                        (0, 1.0 - p[0])
                    }
                } else {
                    p.iter()
                        .enumerate()
                        .fold((0, f64::NEG_INFINITY), |best, (c, &v)| {
                            if v > best.1 { (c, v) } else { best }
                        })
                };
                Prediction {
                    index,
                    label,
                    predicted: predicted as u8,
                    confidence,
                }
            })
            .collect();
        let mut confusion = vec![vec![0; classes]; classes];
        for p in &predictions {
            confusion[usize::from(p.label).min(classes - 1)]
                [usize::from(p.predicted).min(classes - 1)] += 1;
        }
        let per_class_accuracy = confusion
            .iter()
            .enumerate()
            .map(|(c, row)| {
                let total: usize = row.iter().sum();
                (total > 0).then(|| row[c] as f64 / total as f64)
            })
            .collect();
        let mut mistakes: Vec<Prediction> = predictions
            .iter()
            .filter(|p| p.label != p.predicted)
            .cloned()
            .collect();
        mistakes.sort_by(|a, b| {
            b.confidence
                .total_cmp(&a.confidence)
                .then(a.index.cmp(&b.index))
        });
        mistakes.truncate(SHOWN);
        Self {
            confusion,
            per_class_accuracy,
            mistakes,
            samples: predictions.into_iter().take(SHOWN).collect(),
        }
    }
}

/// A hidden layer's activations projected onto their first two principal components.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Projection {
    pub layer: usize,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    /// The share of the layer's variance each component explains.
    pub explained: [f64; 2],
}

/// The first two principal components of the rows of `values` (`rows x width`, row-major),
/// by power iteration on the centred rows (no covariance matrix is formed, so wide layers cost
/// `rows x width` per iteration), and every row's coordinates on them.
pub fn project(values: &[f64], width: usize, layer: usize) -> Projection {
    let rows = values.len() / width.max(1);
    let mean: Vec<f64> = (0..width)
        .map(|j| (0..rows).map(|i| values[i * width + j]).sum::<f64>() / rows.max(1) as f64)
        .collect();
    let centred: Vec<f64> = values
        .iter()
        .enumerate()
        .map(|(k, v)| v - mean[k % width])
        .collect();
    let total: f64 = centred.iter().map(|v| v * v).sum();
    let apply = |v: &[f64]| -> Vec<f64> {
        // X^T (X v)
        let xv: Vec<f64> = (0..rows)
            .map(|i| {
                centred[i * width..(i + 1) * width]
                    .iter()
                    .zip(v)
                    .map(|(a, b)| a * b)
                    .sum()
            })
            .collect();
        (0..width)
            .map(|j| (0..rows).map(|i| centred[i * width + j] * xv[i]).sum())
            .collect()
    };
    let normalize = |v: &mut Vec<f64>| {
        let n = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if n > 0.0 {
            v.iter_mut().for_each(|x| *x /= n);
        }
    };
    let mut components: Vec<Vec<f64>> = Vec::new();
    let mut explained = [0.0; 2];
    for (c, share) in explained.iter_mut().enumerate() {
        // A fixed, deterministic start that is not orthogonal to the leading directions.
        let mut v: Vec<f64> = (0..width).map(|j| 1.0 + (j + c) as f64 * 1e-3).collect();
        normalize(&mut v);
        for _ in 0..100 {
            let mut next = apply(&v);
            for previous in &components {
                let d: f64 = next.iter().zip(previous).map(|(a, b)| a * b).sum();
                next.iter_mut().zip(previous).for_each(|(a, b)| *a -= d * b);
            }
            normalize(&mut next);
            v = next;
        }
        let variance: f64 = apply(&v).iter().zip(&v).map(|(a, b)| a * b).sum();
        *share = if total > 0.0 { variance / total } else { 0.0 };
        components.push(v);
    }
    let coordinate = |c: &[f64]| -> Vec<f64> {
        (0..rows)
            .map(|i| {
                centred[i * width..(i + 1) * width]
                    .iter()
                    .zip(c)
                    .map(|(a, b)| a * b)
                    .sum()
            })
            .collect()
    };
    Projection {
        layer,
        x: coordinate(&components[0]),
        y: coordinate(&components[1]),
        explained,
    }
}
