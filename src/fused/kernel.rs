//! The fused engine's kernel: forward pass, backward pass and optimizer step of `L` members at
//! once over plain float64 buffers, in the order of operations of `Mlp::forward` and its
//! autodiff.
//!
//! Every number is a lane vector `[f64; L]` holding one quantity for `L` members (member `q` in
//! lane `q`), so one vector instruction serves `L` members, while each member sees exactly the
//! operations, in exactly the order, it would see alone: members trained together match
//! single-model training bit for bit. `L = 1` is the single-model kernel.

use super::{
    lanes::{LaneParams, LaneScratch, MemberParams, Scratch},
    simd::{Isa, Portable},
};
use crate::{
    data::Dataset,
    learner::{EPS, OptimizerSpec},
    model::{Activation, activation::sigmoid_value, elementary},
};

/// Every `step`-th lane vector of a buffer from `start`.
#[derive(Clone, Copy)]
struct Strided<'a, const L: usize> {
    values: &'a [[f64; L]],
    start: usize,
    step: usize,
}

impl<'a, const L: usize> Strided<'a, L> {
    fn new(values: &'a [[f64; L]], start: usize, step: usize) -> Self {
        Self {
            values,
            start,
            step,
        }
    }

    /// Entry `i`, unchecked.
    ///
    /// # Safety
    /// `start + i * step` must be below `values.len()`.
    #[inline(always)]
    unsafe fn at(&self, i: usize) -> &'a [f64; L] {
        debug_assert!(self.start + i * self.step < self.values.len());
        // SAFETY: the caller keeps the index in bounds.
        unsafe { self.values.get_unchecked(self.start + i * self.step) }
    }

    /// Whether entry `count - 1` of every shift by `0, next, .., (shifts - 1) * next` is in
    /// bounds (so every entry below it is).
    fn covers(&self, count: usize, shifts: usize, next: usize) -> bool {
        count == 0
            || shifts == 0
            || self.start + (count - 1) * self.step + (shifts - 1) * next < self.values.len()
    }

    #[inline(always)]
    fn shifted(self, by: usize) -> Self {
        Self {
            start: self.start + by,
            ..self
        }
    }
}

/// `out[t] = sum over i < terms of a[i] * b[i]`, where output `t` reads `b` shifted by
/// `t * next`. Each sum runs in order of `i` from 0.0; up to eight run at once, so that the adder's
/// latency is hidden behind independent sums.
#[inline(always)]
fn dot_products<I: Isa, const L: usize>(
    out: &mut [[f64; L]],
    terms: usize,
    a: Strided<'_, L>,
    b: Strided<'_, L>,
    next: usize,
) {
    #[inline(always)]
    fn block<I: Isa, const L: usize, const B: usize>(
        terms: usize,
        a: Strided<'_, L>,
        b: Strided<'_, L>,
        next: usize,
    ) -> [[f64; L]; B] {
        let mut acc = [[0.0; L]; B];
        for i in 0..terms {
            // SAFETY: `dot_products` checked that `a` and `b` cover every index read here.
            let x = unsafe { a.at(i) };
            for (t, acc) in acc.iter_mut().enumerate() {
                *acc = I::mul_add(*acc, x, unsafe { b.shifted(t * next).at(i) });
            }
        }
        acc
    }
    assert!(
        a.covers(terms, 1, 0) && b.covers(terms, out.len(), next),
        "dot products reach past their buffers"
    );
    let mut first = 0;
    while first + 8 <= out.len() {
        let sums = block::<I, L, 8>(terms, a, b.shifted(first * next), next);
        out[first..first + 8].copy_from_slice(&sums);
        first += 8;
    }
    if first + 4 <= out.len() {
        let sums = block::<I, L, 4>(terms, a, b.shifted(first * next), next);
        out[first..first + 4].copy_from_slice(&sums);
        first += 4;
    }
    for (t, sum) in out[first..].iter_mut().enumerate() {
        [*sum] = block::<I, L, 1>(terms, a, b.shifted((first + t) * next), next);
    }
}

/// Loads `n` rows into the input layer and the labels: lane `q` reads rows `rows[q]` of
/// `data[q]`.
#[inline(always)]
fn load<const L: usize>(
    data: [&Dataset; L],
    rows: [&[usize]; L],
    n: usize,
    s: &mut LaneScratch<L>,
) {
    let features = data[0].features;
    let (input, y) = (&mut s.a[0][..n * features], &mut s.y[..n]);
    for (r, (x, y)) in input.chunks_exact_mut(features).zip(y).enumerate() {
        for q in 0..L {
            let (data, i) = (data[q], rows[q][r]);
            data.for_each_in_row(i, |j, v| x[j][q] = v);
            y[q] = f64::from(data.y[i]);
        }
    }
}

/// `z = a @ W + b` then the activation, layer by layer, for the `n` loaded rows.
#[inline(always)]
fn forward<I: Isa, const L: usize>(
    dims: &[usize],
    activation: Activation,
    p: &LaneParams<L>,
    n: usize,
    s: &mut LaneScratch<L>,
) {
    let layers = dims.len() - 1;
    for l in 0..layers {
        let (fan_in, fan_out) = (dims[l], dims[l + 1]);
        let (w, b) = (&p.weights[l], &p.biases[l]);
        let (input, rest) = s.a.split_at_mut(l + 1);
        let z = &mut s.z[l][..n * fan_out];
        let inputs = &input[l][..n * fan_in];
        for (r, z_row) in z.chunks_exact_mut(fan_out).enumerate() {
            let x = Strided::new(inputs, r * fan_in, 1);
            dot_products::<I, L>(z_row, fan_in, x, Strided::new(w, 0, fan_out), 1);
            for (acc, b) in z_row.iter_mut().zip(b) {
                *acc = I::add(*acc, b);
            }
        }
        if l + 1 < layers {
            activation.apply_slice(z.as_flattened(), rest[0][..n * fan_out].as_flattened_mut());
        }
    }
}

/// `y log(p + eps) + (1 - y) log(1 - p + eps)` for a label `y` of 0 or 1. Only one logarithm
/// is taken: the other term is a signed zero, and adding it changes no bit of the sum.
#[inline(always)]
fn log_likelihood(p: f64, y: f64) -> f64 {
    elementary::ln(if y == 1.0 { p + EPS } else { 1.0 - p + EPS })
}

/// The article's output gradient `(sigmoid(logit) - y) / n` into the last `dz`; returns each
/// lane's mean loss.
#[inline(always)]
fn output_gradient<I: Isa, const L: usize>(n: usize, s: &mut LaneScratch<L>) -> [f64; L] {
    let loss = output_terms::<I, L>(n, s, [0.0; L]);
    let last = s.z.len() - 1;
    let (p, y) = (s.t[1][..n].as_flattened(), s.y[..n].as_flattened());
    for ((dz, p), y) in s.dz[last][..n].as_flattened_mut().iter_mut().zip(p).zip(y) {
        *dz = (p - y) / n as f64;
    }
    loss.map(|l| -(l / n as f64))
}

/// For the `n` loaded rows: the output probabilities into `t[1]`, and each lane's `sum` of
/// `log_likelihood` continued over them. Flat loops over all lanes and rows, so that they
/// vectorize.
#[inline(always)]
fn output_terms<I: Isa, const L: usize>(
    n: usize,
    s: &mut LaneScratch<L>,
    sum: [f64; L],
) -> [f64; L] {
    let logits = s.z[s.z.len() - 1][..n].as_flattened();
    let [terms, p] = &mut s.t;
    let (terms, p) = (&mut terms[..n], &mut p[..n]);
    for (p, &z) in p.as_flattened_mut().iter_mut().zip(logits) {
        *p = sigmoid_value(z);
    }
    let y = s.y[..n].as_flattened();
    for ((t, &p), &y) in terms
        .as_flattened_mut()
        .iter_mut()
        .zip(p.as_flattened())
        .zip(y)
    {
        *t = log_likelihood(p, y);
    }
    lane_sums::<I, L>(sum, terms)
}

/// Each lane's `sum` continued over `rows`, in order.
#[inline(always)]
fn lane_sums<I: Isa, const L: usize>(mut sum: [f64; L], rows: &[[f64; L]]) -> [f64; L] {
    for row in rows {
        sum = I::add(sum, row);
    }
    sum
}

/// Backpropagates the last `dz` through every layer: each layer's `dz` and parameter gradients.
#[inline(always)]
fn backward<I: Isa, const L: usize>(
    dims: &[usize],
    activation: Activation,
    p: &LaneParams<L>,
    n: usize,
    s: &mut LaneScratch<L>,
) {
    for l in (0..dims.len() - 1).rev() {
        let (fan_in, fan_out) = (dims[l], dims[l + 1]);
        let (below, here) = s.dz.split_at_mut(l);
        let delta = &here[0][..n * fan_out];
        let input = &s.a[l][..n * fan_in];
        if l > 0 {
            let below = &mut below[l - 1][..n * fan_in];
            let w = &p.weights[l];
            for (r, da_row) in below.chunks_exact_mut(fan_in).enumerate() {
                let d = Strided::new(delta, r * fan_out, 1);
                dot_products::<I, L>(da_row, fan_out, d, Strided::new(w, 0, 1), fan_out);
            }
            activation.scale_by_derivative(
                s.z[l - 1][..n * fan_in].as_flattened(),
                input.as_flattened(),
                below.as_flattened_mut(),
            );
        }
        // Each gradient entry sums its rows in order from 0.0, as `a^T @ delta` entry by entry.
        for (p, g_row) in s.grad_w[l].chunks_exact_mut(fan_out).enumerate() {
            let x = Strided::new(input, p, fan_in);
            dot_products::<I, L>(g_row, n, x, Strided::new(delta, 0, fan_out), 1);
        }
        let grad_b = &mut s.grad_b[l];
        grad_b.fill([0.0; L]);
        for d_row in delta.chunks_exact(fan_out) {
            for (g, d) in grad_b.iter_mut().zip(d_row) {
                *g = I::add(*g, d);
            }
        }
    }
}

/// One epoch of mini-batch training: lane `q` visits `data[q]` in `orders[q]`, in batches of
/// `batch_size`. Returns each lane's mean batch loss (each before its update).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn train_epoch<I: Isa, const L: usize>(
    dims: &[usize],
    activation: Activation,
    optimizer: &OptimizerSpec,
    p: &mut LaneParams<L>,
    data: [&Dataset; L],
    orders: [&[usize]; L],
    batch_size: usize,
    lr: f64,
    s: &mut LaneScratch<L>,
) -> [f64; L] {
    let rows = data[0].len();
    debug_assert!(data.iter().all(|d| d.len() == rows));
    s.reserve(dims, batch_size.min(rows));
    let mut total = [0.0; L];
    let mut steps = 0;
    for start in (0..rows).step_by(batch_size) {
        let n = batch_size.min(rows - start);
        load(data, orders.map(|o| &o[start..]), n, s);
        forward::<I, L>(dims, activation, p, n, s);
        let loss = output_gradient::<I, L>(n, s);
        backward::<I, L>(dims, activation, p, n, s);
        for (l, (state_w, state_b)) in p.states.iter_mut().enumerate() {
            let (w, g) = (
                p.weights[l].as_flattened_mut(),
                s.grad_w[l].as_flattened_mut(),
            );
            optimizer.update(lr, w, g, state_w);
            let (b, g) = (
                p.biases[l].as_flattened_mut(),
                s.grad_b[l].as_flattened_mut(),
            );
            optimizer.update(lr, b, g, state_b);
        }
        for q in 0..L {
            total[q] += loss[q];
        }
        steps += 1;
    }
    total.map(|t| t / steps as f64)
}

/// Each lane's loss and accuracy on all of its data set `data[q]`: `(loss, accuracy)`.
#[inline(always)]
pub(crate) fn evaluate<I: Isa, const L: usize>(
    dims: &[usize],
    activation: Activation,
    p: &LaneParams<L>,
    data: [&Dataset; L],
    s: &mut LaneScratch<L>,
) -> ([f64; L], [f64; L]) {
    let n = data[0].len();
    debug_assert!(data.iter().all(|d| d.len() == n));
    let all: Vec<usize> = (0..n).collect();
    let (mut loss, mut correct) = ([0.0; L], [0.0; L]);
    // In chunks, so that every layer's buffers stay in the fastest cache; the sums run on in
    // row order across chunks, exactly as over the whole set at once.
    s.reserve(dims, EVAL_ROWS.min(n));
    for rows in all.chunks(EVAL_ROWS) {
        let m = rows.len();
        load(data, [rows; L], m, s);
        forward::<I, L>(dims, activation, p, m, s);
        loss = output_terms::<I, L>(m, s, loss);
        let [hits, p] = &mut s.t;
        let (p, y) = (p[..m].as_flattened(), s.y[..m].as_flattened());
        for ((hit, &p), &y) in hits[..m].as_flattened_mut().iter_mut().zip(p).zip(y) {
            *hit = if (p >= 0.5) == (y == 1.0) { 1.0 } else { 0.0 };
        }
        correct = lane_sums::<I, L>(correct, &hits[..m]);
    }
    (loss.map(|l| -(l / n as f64)), correct.map(|c| c / n as f64))
}

/// Rows evaluated per chunk.
const EVAL_ROWS: usize = 64;

/// One member's forward and backward pass on all of `data`, changing nothing: every layer's
/// `z`, `a`, `dL/dz` and parameter gradients of the mean loss.
pub(crate) fn gradients(
    dims: &[usize],
    activation: Activation,
    member: &MemberParams,
    data: &Dataset,
) -> Scratch {
    let p = LaneParams::pack([member]).expect("one member always packs");
    let n = data.len();
    let all: Vec<usize> = (0..n).collect();
    let mut s = LaneScratch::new(dims, n);
    load([data], [all.as_slice()], n, &mut s);
    forward::<Portable, 1>(dims, activation, &p, n, &mut s);
    output_gradient::<Portable, 1>(n, &mut s);
    backward::<Portable, 1>(dims, activation, &p, n, &mut s);
    s.into()
}
