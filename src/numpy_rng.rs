//! numpy's legacy `RandomState`, bit for bit: the stream exact reproduction of the article needs.
//!
//! MT19937 seeded by `init_genrand`, 53-bit uniform doubles, the legacy Marsaglia polar Gaussian
//! (which caches its second value), and the legacy Fisher-Yates `shuffle`/`permutation` with the
//! masked rejection sampler; `rand`, `uniform(low, high)`, `randint` and `choice(n)` as the legacy
//! `RandomState` draws them. Checked against numpy in `tests/numpy_rng.rs` and
//! `tests/numpy_rng_extra.rs`.

const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// The state of `numpy.random.RandomState` (MT19937 plus the cached Gaussian).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NumpyRng {
    #[serde(with = "key_serde")]
    key: [u32; N],
    pos: usize,
    cached_gauss: Option<f64>,
}

/// The 624-word key as a plain list (serde derives arrays only up to 32).
mod key_serde {
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};

    pub fn serialize<S: Serializer>(key: &[u32; super::N], s: S) -> Result<S::Ok, S::Error> {
        key.as_slice().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u32; super::N], D::Error> {
        let words = Vec::<u32>::deserialize(d)?;
        let n = words.len();
        words
            .try_into()
            .map_err(|_| D::Error::custom(format!("an MT19937 key has 624 words, not {n}")))
    }
}

impl NumpyRng {
    /// `numpy.random.RandomState(seed)`.
    pub fn new(seed: u32) -> Self {
        let mut rng = Self {
            key: [0; N],
            pos: N,
            cached_gauss: None,
        };
        rng.seed(seed);
        rng
    }

    /// `np.random.seed(seed)`: re-seeds in place and drops any cached Gaussian.
    pub fn seed(&mut self, seed: u32) {
        let mut s = seed;
        for (i, slot) in self.key.iter_mut().enumerate() {
            *slot = s;
            s = 1_812_433_253u32
                .wrapping_mul(s ^ (s >> 30))
                .wrapping_add(i as u32 + 1);
        }
        self.pos = N;
        self.cached_gauss = None;
    }

    fn regenerate(&mut self) {
        let twist = |upper: u32, lower: u32, far: u32| {
            let y = (upper & UPPER_MASK) | (lower & LOWER_MASK);
            far ^ (y >> 1) ^ if y & 1 == 1 { MATRIX_A } else { 0 }
        };
        // The reference implementation's three runs, which avoid wrapping indices.
        for i in 0..N - M {
            self.key[i] = twist(self.key[i], self.key[i + 1], self.key[i + M]);
        }
        for i in N - M..N - 1 {
            self.key[i] = twist(self.key[i], self.key[i + 1], self.key[i + M - N]);
        }
        self.key[N - 1] = twist(self.key[N - 1], self.key[0], self.key[M - 1]);
        self.pos = 0;
    }

    /// The next raw 32-bit output (numpy's `random_raw`).
    pub fn next_u32(&mut self) -> u32 {
        if self.pos == N {
            self.regenerate();
        }
        let mut y = self.key[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// Two words as one 64-bit value, high word first (legacy `mt19937_next64`).
    pub fn next_u64(&mut self) -> u64 {
        let high = u64::from(self.next_u32());
        (high << 32) | u64::from(self.next_u32())
    }

    /// A uniform double in [0, 1) from two words (`random_sample`).
    pub fn uniform(&mut self) -> f64 {
        let a = f64::from(self.next_u32() >> 5);
        let b = f64::from(self.next_u32() >> 6);
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// A standard normal draw (`randn`, legacy polar method with one cached value).
    pub fn gauss(&mut self) -> f64 {
        if let Some(cached) = self.cached_gauss.take() {
            return cached;
        }
        loop {
            let x1 = 2.0 * self.uniform() - 1.0;
            let x2 = 2.0 * self.uniform() - 1.0;
            let r2 = x1 * x1 + x2 * x2;
            if r2 < 1.0 && r2 != 0.0 {
                let f = (-2.0 * r2.ln() / r2).sqrt();
                self.cached_gauss = Some(f * x1);
                return f * x2;
            }
        }
    }

    /// `randn(count)` as a flat row-major vector.
    pub fn randn(&mut self, count: usize) -> Vec<f64> {
        (0..count).map(|_| self.gauss()).collect()
    }

    /// `normal(loc, scale)`, legacy: `loc + scale * gauss`.
    pub fn normal(&mut self, loc: f64, scale: f64) -> f64 {
        loc + scale * self.gauss()
    }

    /// `rand()` / `random_sample()`: one uniform double in [0, 1) (same as [`Self::uniform`]).
    pub fn rand(&mut self) -> f64 {
        self.uniform()
    }

    /// `uniform(low, high)`, legacy: `low + (high - low) * random_sample()`, the range computed
    /// once as a double like numpy's `random_uniform(state, low, range)`.
    pub fn uniform_range(&mut self, low: f64, high: f64) -> f64 {
        let range = high - low;
        low + range * self.uniform()
    }

    /// `randint(low, high)` (high exclusive, default int64 dtype), legacy: numpy's
    /// `random_bounded_uint64_fill` with the masked rejection sampler; a range that fits in 32
    /// bits draws 32-bit words, a wider one 64-bit words; an empty range (`high == low + 1`)
    /// draws nothing. Panics when `high <= low`, where numpy raises `ValueError`.
    pub fn randint(&mut self, low: i64, high: i64) -> i64 {
        assert!(high > low, "randint: low >= high ({low} >= {high})");
        let range = (high as i128 - 1 - low as i128) as u64;
        let offset = low as u64;
        let value = if range == 0 {
            0
        } else if range <= u64::from(u32::MAX) {
            // numpy draws plain words for range 0xFFFF_FFFF; the mask is all ones there anyway.
            let mask = u64::MAX >> range.leading_zeros();
            loop {
                let v = u64::from(self.next_u32()) & mask;
                if v <= range {
                    break v;
                }
            }
        } else if range == u64::MAX {
            self.next_u64()
        } else {
            let mask = u64::MAX >> range.leading_zeros();
            loop {
                let v = self.next_u64() & mask;
                if v <= range {
                    break v;
                }
            }
        };
        offset.wrapping_add(value) as i64
    }

    /// `choice(n)` (an integer population, with replacement, no weights), legacy: one
    /// `randint(0, n)`. Panics when `n == 0`, where numpy raises `ValueError`.
    pub fn choice(&mut self, n: usize) -> usize {
        assert!(n > 0, "choice: the population is empty");
        self.randint(0, n as i64) as usize
    }

    /// A uniform integer in [0, max], numpy's legacy masked rejection sampler.
    pub fn interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mask = u64::MAX >> max.leading_zeros();
        if max <= u64::from(u32::MAX) {
            loop {
                let value = u64::from(self.next_u32()) & mask;
                if value <= max {
                    return value;
                }
            }
        }
        loop {
            let value = self.next_u64() & mask;
            if value <= max {
                return value;
            }
        }
    }

    /// `shuffle(items)` in place: Fisher-Yates from the end.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.interval(i as u64) as usize;
            items.swap(i, j);
        }
    }

    /// `permutation(n)`: a shuffled `arange(n)`.
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..n).collect();
        self.shuffle(&mut order);
        order
    }

    /// One `permutation(n)` from each of `rngs`, drawn on all cores when there are many.
    pub fn permutations(rngs: &mut [NumpyRng], n: usize) -> Vec<Vec<usize>> {
        use rayon::prelude::*;
        if rngs.len() < 16 {
            return rngs.iter_mut().map(|r| r.permutation(n)).collect();
        }
        rngs.par_iter_mut().map(|r| r.permutation(n)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_mt19937_first_output_for_seed_5489() {
        // The MT19937 reference implementation's first output for its default seed.
        assert_eq!(NumpyRng::new(5489).next_u32(), 3_499_211_612);
    }

    #[test]
    fn interval_stays_in_bounds() {
        let mut rng = NumpyRng::new(1);
        for max in [1u64, 2, 3, 7, 8, 299, 1 << 33] {
            assert!((0..1000).all(|_| rng.interval(max) <= max));
        }
    }
}
