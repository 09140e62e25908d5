//! Stratified, seeded subsets: `data.n_train` and `data.n_test` samples with the classes in the
//! proportions of the whole set.

use super::Dataset;
use crate::numpy_rng::NumpyRng;

/// `count` of `data`'s samples, each class keeping its share (largest remainders settle the
/// rounding, lower classes first on ties), chosen within each class by a numpy permutation
/// seeded with `seed`, then kept in their original order. `None` when `count` exceeds the set.
pub fn stratified(data: &Dataset, count: usize, seed: u32) -> Option<Dataset> {
    if count > data.len() {
        return None;
    }
    if count == data.len() {
        return Some(data.clone());
    }
    let classes = data
        .y
        .iter()
        .copied()
        .max()
        .map_or(0, |c| usize::from(c) + 1);
    let members: Vec<Vec<usize>> = (0..classes)
        .map(|c| {
            (0..data.len())
                .filter(|&i| usize::from(data.y[i]) == c)
                .collect()
        })
        .collect();
    let exact: Vec<f64> = members
        .iter()
        .map(|m| count as f64 * m.len() as f64 / data.len() as f64)
        .collect();
    let mut take: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut order: Vec<usize> = (0..classes).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    let short = count - take.iter().sum::<usize>();
    for &c in order.iter().take(short) {
        take[c] += 1;
    }
    let mut rng = NumpyRng::new(seed);
    let mut chosen: Vec<usize> = members
        .iter()
        .zip(&take)
        .flat_map(|(m, &k)| {
            let picked: Vec<usize> = rng.permutation(m.len())[..k]
                .iter()
                .map(|&j| m[j])
                .collect();
            picked
        })
        .collect();
    chosen.sort_unstable();
    Some(data.select(&chosen))
}
