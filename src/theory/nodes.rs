//! Gauss–Hermite and Gauss–Legendre rules: nodes by Newton's method on the three-term
//! recurrences, weights from the derivative at each node (Numerical Recipes 3rd ed., §4.6).
//!
//! Hermite nodes are bracketed by sign changes before Newton polishes them: Numerical Recipes'
//! extrapolated starting guesses (`gauher`) send Newton to an already-found node by n = 200.
//! No eigenvalue solver is needed, and the rules match numpy's `hermgauss` and `leggauss` to
//! ~1e-15 in the nodes and ~1e-12 (relative) in the weights, which reach 1e-170 at n = 200.

use super::error::TheoryError;

/// Newton iterations allowed per node before giving up; convergence takes 3 to 6.
const MAX_NEWTON: usize = 100;

/// A quadrature rule: `∫ f(x) w(x) dx ≈ Σ weights[i] · f(nodes[i])`, nodes ascending.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub nodes: Vec<f64>,
    pub weights: Vec<f64>,
}

impl Rule {
    /// The `n`-node Gauss–Hermite rule for the weight `exp(-x²)` on the real line, exact for
    /// polynomials of degree `2n - 1`; numpy's `numpy.polynomial.hermite.hermgauss(n)`.
    ///
    /// The non-negative nodes are bracketed by sign changes of `p_n` on a grid four times finer
    /// than their closest spacing (`≈ π/√(2n)`, at the centre), then polished by safeguarded
    /// Newton; weights `2 / p_n'(x)²` are formed in logarithms, so nothing overflows for large `n`.
    pub fn hermite(n: usize) -> Result<Self, TheoryError> {
        positive_count(n)?;
        let nf = n as f64;
        let step = 0.25 * std::f64::consts::PI / (2.0 * nf + 1.0).sqrt();
        let end = (2.0 * nf + 1.0).sqrt() + 1.0;
        let sign = |x: f64| hermite_orthonormal(n, x).0.signum();
        let mut positive = Vec::with_capacity(n / 2);
        // For odd n the middle node is 0 exactly; start half a step out to skip it.
        let mut lo = if n % 2 == 1 { 0.5 * step } else { 0.0 };
        while lo < end {
            let hi = lo + step;
            if sign(lo) != sign(hi) {
                positive.push(hermite_root(n, lo, hi).ok_or(TheoryError::NodesDidNotConverge(n))?);
            }
            lo = hi;
        }
        if positive.len() != n / 2 {
            return Err(TheoryError::NodesDidNotConverge(n));
        }
        let mut half: Vec<f64> = positive.iter().map(|x| -x).rev().collect();
        if n % 2 == 1 {
            half.push(0.0);
        }
        let nodes: Vec<f64> = half
            .iter()
            .copied()
            .chain(positive.iter().copied())
            .collect();
        let weights = nodes
            .iter()
            .map(|&x| {
                let (_, dp, log_scale) = hermite_orthonormal(n, x);
                (std::f64::consts::LN_2 - 2.0 * (dp.abs().ln() + log_scale)).exp()
            })
            .collect();
        Ok(Self { nodes, weights })
    }

    /// The `n`-node Gauss–Legendre rule on `[-1, 1]`, exact for polynomials of degree `2n - 1`;
    /// numpy's `numpy.polynomial.legendre.leggauss(n)`.
    pub fn legendre(n: usize) -> Result<Self, TheoryError> {
        positive_count(n)?;
        let mut nodes = vec![0.0; n];
        let mut weights = vec![0.0; n];
        let nf = n as f64;
        for i in 0..n.div_ceil(2) {
            // Numerical Recipes' starting guess: accurate enough for Newton at any n.
            let mut z = (std::f64::consts::PI * (i as f64 + 0.75) / (nf + 0.5)).cos();
            let mut converged = false;
            for _ in 0..MAX_NEWTON {
                let (p, dp) = legendre(n, z);
                let step = p / dp;
                z -= step;
                if step.abs() <= 4.0 * f64::EPSILON {
                    converged = true;
                    break;
                }
            }
            if !converged {
                return Err(TheoryError::NodesDidNotConverge(n));
            }
            let derivative = legendre(n, z).1;
            let w = 2.0 / ((1.0 - z * z) * derivative * derivative);
            nodes[i] = -z;
            nodes[n - 1 - i] = z;
            weights[i] = w;
            weights[n - 1 - i] = w;
        }
        if n % 2 == 1 {
            nodes[n / 2] = 0.0;
        }
        Ok(Self { nodes, weights })
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Never true for a constructed rule; here because `len` is.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// `(node, weight)` pairs.
    pub fn iter(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.nodes.iter().copied().zip(self.weights.iter().copied())
    }
}

fn positive_count(n: usize) -> Result<(), TheoryError> {
    if n == 0 {
        Err(TheoryError::InvalidParameter {
            name: "node count",
            value: 0.0,
        })
    } else {
        Ok(())
    }
}

/// The orthonormal Hermite polynomial `p_n(z)` (w.r.t. `exp(-z²)`) and its derivative, both
/// times `exp(-log_scale)`: the recurrence is rescaled whenever it grows past 1e100, since
/// `p_n(z) ~ exp(z²/2)` overflows near the largest nodes once `n` passes ~700.
fn hermite_orthonormal(n: usize, z: f64) -> (f64, f64, f64) {
    let mut p1 = std::f64::consts::PI.powf(-0.25);
    let mut p2 = 0.0;
    let mut log_scale = 0.0;
    for j in 1..=n {
        let jf = j as f64;
        let p3 = p2;
        p2 = p1;
        p1 = z * (2.0 / jf).sqrt() * p2 - ((jf - 1.0) / jf).sqrt() * p3;
        if p1.abs() > 1e100 {
            p1 *= 1e-100;
            p2 *= 1e-100;
            log_scale += 100.0 * std::f64::consts::LN_10;
        }
    }
    (p1, (2.0 * n as f64).sqrt() * p2, log_scale)
}

/// The root of `p_n` in `[lo, hi]` (a sign change): Newton, bisecting when a step leaves the
/// bracket. `None` if it fails to settle, which would be a bug.
fn hermite_root(n: usize, mut lo: f64, mut hi: f64) -> Option<f64> {
    let value = |x: f64| hermite_orthonormal(n, x).0;
    let lo_sign = value(lo).signum();
    let mut x = 0.5 * (lo + hi);
    for _ in 0..MAX_NEWTON {
        let (p, dp, _) = hermite_orthonormal(n, x);
        if p == 0.0 {
            return Some(x);
        }
        if p.signum() == lo_sign {
            lo = x;
        } else {
            hi = x;
        }
        let newton = x - p / dp;
        let next = if newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        if (next - x).abs() <= 4.0 * f64::EPSILON * x.abs().max(1.0) {
            return Some(next);
        }
        x = next;
    }
    None
}

/// The Legendre polynomial `P_n(z)` and its derivative.
fn legendre(n: usize, z: f64) -> (f64, f64) {
    let mut p1 = 1.0;
    let mut p2 = 0.0;
    for j in 1..=n {
        let jf = j as f64;
        let p3 = p2;
        p2 = p1;
        p1 = ((2.0 * jf - 1.0) * z * p2 - (jf - 1.0) * p3) / jf;
    }
    let nf = n as f64;
    (p1, nf * (z * p1 - p2) / (z * z - 1.0))
}
