//! Vector instructions for the kernel's lane arithmetic, chosen at run time.
//!
//! The kernel keeps `L` members' numbers side by side in lane arrays (`[f64; L]`). Its inner
//! loops need two operations on them, `acc + x * y` and `a + b`; an [`Isa`] supplies them as
//! AVX-512 or AVX2 instructions where the CPU has them, plain loops elsewhere. [`widest`] runs
//! a [`Kernel`] compiled for the best instruction set found (or the one `ACTLAB_SIMD` names). Vector arithmetic rounds each lane
//! exactly as scalar arithmetic does, and nothing is fused (no FMA) or reordered, so every
//! instruction set computes the same bits.

/// Lane arithmetic in one instruction set.
pub(crate) trait Isa: Copy {
    /// `acc + x * y`, rounding the product and then the sum, lane by lane.
    fn mul_add<const L: usize>(acc: [f64; L], x: &[f64; L], y: &[f64; L]) -> [f64; L];
    /// `a + b`, lane by lane.
    fn add<const L: usize>(a: [f64; L], b: &[f64; L]) -> [f64; L];
}

/// Plain loops, which the compiler vectorizes as it sees fit.
#[derive(Clone, Copy)]
pub(crate) struct Portable;

impl Isa for Portable {
    #[inline(always)]
    fn mul_add<const L: usize>(acc: [f64; L], x: &[f64; L], y: &[f64; L]) -> [f64; L] {
        std::array::from_fn(|q| acc[q] + x[q] * y[q])
    }

    #[inline(always)]
    fn add<const L: usize>(a: [f64; L], b: &[f64; L]) -> [f64; L] {
        std::array::from_fn(|q| a[q] + b[q])
    }
}

/// A computation to compile once per instruction set. `run` must be `#[inline(always)]`, and
/// so must what it calls, so that it is compiled inside each dispatching copy below.
pub(crate) trait Kernel {
    type Output;
    fn run<I: Isa>(self) -> Self::Output;
}

/// The instruction sets the kernels are compiled for, narrowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum InstructionSet {
    Portable,
    Avx2,
    Avx512,
}

impl InstructionSet {
    pub const ALL: [Self; 3] = [Self::Portable, Self::Avx2, Self::Avx512];

    pub fn name(self) -> &'static str {
        match self {
            Self::Portable => "portable",
            Self::Avx2 => "avx2",
            Self::Avx512 => "avx512",
        }
    }

    /// The widest set this CPU runs.
    pub fn detected() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Self::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Self::Avx2;
            }
        }
        Self::Portable
    }

    /// The set the kernels use: the CPU's widest, or a narrower one named by the environment
    /// variable `ACTLAB_SIMD` (`portable`, `avx2`, `avx512`) for checks and benchmarks; every
    /// set computes the same numbers.
    pub fn in_use() -> Result<Self, String> {
        static CHOSEN: std::sync::OnceLock<Result<InstructionSet, String>> =
            std::sync::OnceLock::new();
        CHOSEN
            .get_or_init(|| {
                let detected = Self::detected();
                let Ok(name) = std::env::var("ACTLAB_SIMD") else {
                    return Ok(detected);
                };
                let allowed = Self::ALL.map(Self::name).join(", ");
                let chosen = Self::ALL
                    .into_iter()
                    .find(|set| set.name() == name)
                    .ok_or_else(|| {
                        format!("ACTLAB_SIMD=`{name}` is unknown; allowed: {allowed}")
                    })?;
                if chosen > detected {
                    return Err(format!(
                        "ACTLAB_SIMD=`{name}`: this CPU runs at most `{}`",
                        detected.name()
                    ));
                }
                Ok(chosen)
            })
            .clone()
    }
}

/// Runs `kernel` compiled for [`InstructionSet::in_use`] (the CPU's widest when the
/// environment names none or a wrong one: the command line checks it before any work).
pub(crate) fn widest<K: Kernel>(kernel: K) -> K::Output {
    match InstructionSet::in_use().unwrap_or_else(|_| InstructionSet::detected()) {
        // SAFETY: `in_use` and `detected` never name a set the CPU lacks.
        #[cfg(target_arch = "x86_64")]
        InstructionSet::Avx512 => unsafe { x86::avx512(kernel) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        InstructionSet::Avx2 => unsafe { x86::avx2(kernel) },
        _ => kernel.run::<Portable>(),
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    //! AVX-512 and AVX2 lane arithmetic. `Avx512` and `Avx2` are only used inside the
    //! functions below, which run only once the CPU feature has been found; that is what
    //! makes their intrinsics sound.

    use std::arch::x86_64::*;

    use super::{Isa, Kernel, Portable};

    #[target_feature(enable = "avx512f")]
    pub(super) fn avx512<K: Kernel>(kernel: K) -> K::Output {
        kernel.run::<Avx512>()
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn avx2<K: Kernel>(kernel: K) -> K::Output {
        kernel.run::<Avx2>()
    }

    #[derive(Clone, Copy)]
    struct Avx512;

    #[derive(Clone, Copy)]
    struct Avx2;

    /// Four lanes from `v[at..at + 4]`.
    #[inline(always)]
    unsafe fn load4<const L: usize>(v: &[f64; L], at: usize) -> __m256d {
        debug_assert!(at + 4 <= L);
        // SAFETY: the caller's `L` has 4 lanes from `at`, and the CPU has AVX.
        unsafe { _mm256_loadu_pd(v.as_ptr().add(at)) }
    }

    /// `acc + x * y` over four lanes from `at`, written into `out`.
    #[inline(always)]
    unsafe fn mul_add4<const L: usize>(
        out: &mut [f64; L],
        acc: &[f64; L],
        x: &[f64; L],
        y: &[f64; L],
        at: usize,
    ) {
        // SAFETY: as for `load4`.
        unsafe {
            let product = _mm256_mul_pd(load4(x, at), load4(y, at));
            let sum = _mm256_add_pd(load4(acc, at), product);
            _mm256_storeu_pd(out.as_mut_ptr().add(at), sum);
        }
    }

    /// `a + b` over four lanes from `at`, written into `out`.
    #[inline(always)]
    unsafe fn add4<const L: usize>(out: &mut [f64; L], a: &[f64; L], b: &[f64; L], at: usize) {
        // SAFETY: as for `load4`.
        unsafe {
            let sum = _mm256_add_pd(load4(a, at), load4(b, at));
            _mm256_storeu_pd(out.as_mut_ptr().add(at), sum);
        }
    }

    impl Isa for Avx512 {
        #[inline(always)]
        fn mul_add<const L: usize>(acc: [f64; L], x: &[f64; L], y: &[f64; L]) -> [f64; L] {
            let mut out = [0.0; L];
            match L {
                // SAFETY: 8 lanes; used only where the CPU has AVX-512F.
                8 => unsafe {
                    let product =
                        _mm512_mul_pd(_mm512_loadu_pd(x.as_ptr()), _mm512_loadu_pd(y.as_ptr()));
                    let sum = _mm512_add_pd(_mm512_loadu_pd(acc.as_ptr()), product);
                    _mm512_storeu_pd(out.as_mut_ptr(), sum);
                },
                // SAFETY: 4 lanes; AVX-512F implies AVX.
                4 => unsafe { mul_add4(&mut out, &acc, x, y, 0) },
                _ => return Portable::mul_add(acc, x, y),
            }
            out
        }

        #[inline(always)]
        fn add<const L: usize>(a: [f64; L], b: &[f64; L]) -> [f64; L] {
            let mut out = [0.0; L];
            match L {
                // SAFETY: 8 lanes; used only where the CPU has AVX-512F.
                8 => unsafe {
                    let sum =
                        _mm512_add_pd(_mm512_loadu_pd(a.as_ptr()), _mm512_loadu_pd(b.as_ptr()));
                    _mm512_storeu_pd(out.as_mut_ptr(), sum);
                },
                // SAFETY: 4 lanes; AVX-512F implies AVX.
                4 => unsafe { add4(&mut out, &a, b, 0) },
                _ => return Portable::add(a, b),
            }
            out
        }
    }

    impl Isa for Avx2 {
        #[inline(always)]
        fn mul_add<const L: usize>(acc: [f64; L], x: &[f64; L], y: &[f64; L]) -> [f64; L] {
            if !L.is_multiple_of(4) {
                return Portable::mul_add(acc, x, y);
            }
            let mut out = [0.0; L];
            for at in (0..L).step_by(4) {
                // SAFETY: `L` is a multiple of 4; used only where the CPU has AVX2.
                unsafe { mul_add4(&mut out, &acc, x, y, at) };
            }
            out
        }

        #[inline(always)]
        fn add<const L: usize>(a: [f64; L], b: &[f64; L]) -> [f64; L] {
            if !L.is_multiple_of(4) {
                return Portable::add(a, b);
            }
            let mut out = [0.0; L];
            for at in (0..L).step_by(4) {
                // SAFETY: `L` is a multiple of 4; used only where the CPU has AVX2.
                unsafe { add4(&mut out, &a, b, at) };
            }
            out
        }
    }
}
