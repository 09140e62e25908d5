//! `exp` and `ln` written in plain float64 arithmetic, so that loops over them vectorize.
//!
//! The C library's `exp` and `log` are opaque calls, one element at a time; in the fused
//! kernel they cost more than the matrix arithmetic (a sigmoid network takes ~2,400 of them
//! per member-step). These are fdlibm's algorithms (Sun's `e_exp.c` and `e_log.c`, the same as
//! the C libraries descend from) with the branches replaced by selects: accurate to within
//! one unit in the last place (checked against the C library in `tests/elementary.rs`), and,
//! being plain IEEE arithmetic, bit-identical whether a compiler vectorizes them or not.

// fdlibm's constants, digit for digit as published.
#![allow(clippy::excessive_precision)]

const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
/// Adding and subtracting `1.5 * 2^52` rounds a float of magnitude below `2^51` to the
/// nearest integer (ties to even); the sum's low bits then hold that integer.
const ROUNDER: f64 = 6_755_399_441_055_744.0;

/// `e^x`, within one ulp.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    const P1: f64 = 1.666_666_666_666_660_190_37e-1;
    const P2: f64 = -2.777_777_777_701_559_338_42e-3;
    const P3: f64 = 6.613_756_321_437_934_361_17e-5;
    const P4: f64 = -1.653_390_220_546_525_153_90e-6;
    const P5: f64 = 4.138_136_797_057_238_460_39e-8;
    // Beyond these, e^x overflows to infinity or underflows to zero anyway.
    let clamped = x.clamp(-746.0, 710.0);
    // x = k ln 2 + r, |r| <= ln(2) / 2, with r carried as hi - lo.
    let shifted = clamped * std::f64::consts::LOG2_E + ROUNDER;
    let k = shifted - ROUNDER;
    let k_int = (shifted.to_bits() as i64).wrapping_sub(ROUNDER.to_bits() as i64);
    let hi = clamped - k * LN2_HI;
    let lo = k * LN2_LO;
    let r = hi - lo;
    // e^r from a rational approximation on [-ln(2) / 2, ln(2) / 2].
    let t = r * r;
    let c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
    let y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
    // y * 2^k in two exact power-of-two factors, so that results near the subnormal range
    // round once.
    let half = k_int >> 1;
    let scale = |e: i64| f64::from_bits(((e + 1023) as u64) << 52);
    let result = y * scale(half) * scale(k_int - half);
    if x.is_nan() { x } else { result }
}

/// The natural logarithm, within one ulp: `-inf` at 0, NaN below.
#[inline(always)]
pub fn ln(x: f64) -> f64 {
    const LG1: f64 = 6.666_666_666_666_735_130e-1;
    const LG2: f64 = 3.999_999_999_940_941_908e-1;
    const LG3: f64 = 2.857_142_874_366_239_149e-1;
    const LG4: f64 = 2.222_219_843_214_978_396e-1;
    const LG5: f64 = 1.818_357_216_161_805_012e-1;
    const LG6: f64 = 1.531_383_769_920_937_332e-1;
    const LG7: f64 = 1.479_819_860_511_658_591e-1;
    const TWO_54: f64 = 18_014_398_509_481_984.0;
    const EXPONENT_ONE: f64 = 4_503_599_627_370_496.0; // 2^52: exponent bits read as an integer
    // Subnormals scaled into the normal range first.
    let subnormal = x < f64::MIN_POSITIVE;
    let normal = if subnormal { x * TWO_54 } else { x };
    let bits = normal.to_bits();
    // normal = m * 2^e with m in [sqrt(2) / 2, sqrt(2)).
    let biased = f64::from_bits(0x4330_0000_0000_0000 | (bits >> 52)) - EXPONENT_ONE;
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let big = m > std::f64::consts::SQRT_2;
    let m = if big { m * 0.5 } else { m };
    let e = biased - 1023.0 + if big { 1.0 } else { 0.0 } - if subnormal { 54.0 } else { 0.0 };
    // ln(m) = ln(1 + f) = 2 atanh(s), s = f / (2 + f), by fdlibm's polynomial in s^2.
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let hfsq = 0.5 * f * f;
    let result = e * LN2_HI - ((hfsq - (s * (hfsq + (t2 + t1)) + e * LN2_LO)) - f);
    if x > 0.0 && x < f64::INFINITY {
        result
    } else if x == 0.0 {
        f64::NEG_INFINITY
    } else if x == f64::INFINITY {
        x
    } else {
        f64::NAN
    }
}
