//! What the theory needs to know of an activation: its value and its derivative.

/// A pointwise activation `φ` with derivative `φ'`.
///
/// Kinks are expected at 0 only (ReLU, leaky ReLU, ELU, SELU, softsign): the default quadrature
/// splits there. A unit kinked elsewhere (`relu(x - 1)`) would still integrate, but only to
/// algebraic accuracy on the piece holding its kink.
///
/// Training's own activations implement it where they are defined (the activation enum, and
/// its affine wrappers); [`Erf`] is the closed-form reference; [`FnUnit`] wraps two closures and
/// [`Affine`] builds `g·(φ(x) + s)` from any unit.
pub trait Unit {
    fn value(&self, z: f64) -> f64;
    fn derivative(&self, z: f64) -> f64;
}

impl<U: Unit + ?Sized> Unit for Box<U> {
    fn value(&self, z: f64) -> f64 {
        (**self).value(z)
    }
    fn derivative(&self, z: f64) -> f64 {
        (**self).derivative(z)
    }
}

/// `erf(z)`: not an activation actlab trains, but the one smooth unit whose Gaussian kernel is
/// known in closed form ([`super::ErfMoments`]), so the quadrature is checked against it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Erf;

impl Unit for Erf {
    fn value(&self, z: f64) -> f64 {
        libm::erf(z)
    }
    fn derivative(&self, z: f64) -> f64 {
        2.0 / std::f64::consts::PI.sqrt() * (-z * z).exp()
    }
}

impl<U: Unit + ?Sized> Unit for &U {
    fn value(&self, z: f64) -> f64 {
        (**self).value(z)
    }
    fn derivative(&self, z: f64) -> f64 {
        (**self).derivative(z)
    }
}

/// A unit from two closures, `φ` and `φ'`.
#[derive(Clone, Copy, Debug)]
pub struct FnUnit<F, D> {
    value: F,
    derivative: D,
}

impl<F: Fn(f64) -> f64, D: Fn(f64) -> f64> FnUnit<F, D> {
    pub fn new(value: F, derivative: D) -> Self {
        Self { value, derivative }
    }
}

impl<F: Fn(f64) -> f64, D: Fn(f64) -> f64> Unit for FnUnit<F, D> {
    fn value(&self, z: f64) -> f64 {
        (self.value)(z)
    }
    fn derivative(&self, z: f64) -> f64 {
        (self.derivative)(z)
    }
}

/// `a(x) = gain · (φ(x) + shift)`: e.g. a centred, rescaled sigmoid `4·(σ(x) - ½)`, which has
/// tanh's slope at 0. The shift moves `φ`'s mean, which enters the length map through `E[a²]`.
#[derive(Clone, Copy, Debug)]
pub struct Affine<U> {
    pub inner: U,
    pub gain: f64,
    pub shift: f64,
}

impl<U: Unit> Unit for Affine<U> {
    fn value(&self, z: f64) -> f64 {
        self.gain * (self.inner.value(z) + self.shift)
    }
    fn derivative(&self, z: f64) -> f64 {
        self.gain * self.inner.derivative(z)
    }
}
