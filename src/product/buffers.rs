//! What the hand-written kernels share: their float arithmetic, a buffer that threads write at
//! disjoint ranges, an ndarray view as a row-major slice, and an array from a filled vector.

use std::{
    borrow::Cow,
    ops::{Add, AddAssign, Div, Mul, Sub},
};

use burn_ndarray::SharedArray;
use ndarray::{ArrayD, ArrayViewD, IxDyn};

use super::gemm::Scalar;

/// The float arithmetic the kernels need (float32 and float64).
pub trait Real:
    Scalar
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + AddAssign
    + PartialOrd
{
    const NEG_INFINITY: Self;
    fn exp(self) -> Self;
    fn sqrt(self) -> Self;
    fn from_f64(x: f64) -> Self;
}

impl Real for f32 {
    const NEG_INFINITY: Self = f32::NEG_INFINITY;
    fn exp(self) -> Self {
        f32::exp(self)
    }
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
    fn from_f64(x: f64) -> Self {
        x as f32
    }
}

impl Real for f64 {
    const NEG_INFINITY: Self = f64::NEG_INFINITY;
    fn exp(self) -> Self {
        f64::exp(self)
    }
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    fn from_f64(x: f64) -> Self {
        x
    }
}

/// A raw pointer to a buffer whose parts (threads) each write their own ranges.
#[derive(Clone, Copy)]
pub struct Disjoint<E>(pub *mut E);

// SAFETY: the callers hand each part ranges no other part touches (see each kernel).
unsafe impl<E: Send> Send for Disjoint<E> {}
unsafe impl<E: Sync> Sync for Disjoint<E> {}

impl<E> Disjoint<E> {
    /// The element at `offset`.
    pub fn at(&self, offset: usize) -> *mut E {
        self.0.wrapping_add(offset)
    }

    /// # Safety
    /// `start..start + len` is inside the buffer and no other part touches it meanwhile.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn slice(&self, start: usize, len: usize) -> &mut [E] {
        unsafe { std::slice::from_raw_parts_mut(self.0.add(start), len) }
    }
}

/// `array` as a row-major slice (copied only if it is not one already).
pub fn standard<'a, E: Clone>(array: ArrayViewD<'a, E>) -> Cow<'a, [E]> {
    match array.to_slice() {
        Some(slice) => slice.into(),
        None => array.iter().cloned().collect::<Vec<E>>().into(),
    }
}

/// `values` as a row-major array of shape `dims`.
pub fn array<E: Clone>(values: Vec<E>, dims: &[usize]) -> SharedArray<E> {
    ArrayD::from_shape_vec(IxDyn(dims), values)
        .expect("a buffer of the shape's size")
        .into_shared()
}
