//! The registry of model families: each is one module file providing a [`Blueprint`], listed
//! once in the `families!` invocation below, which makes it a `[model] family` name, a
//! [`FamilyKind`] and a [`Network`] variant.
//!
//! [`Network`] is what the run trains: one Burn module type for every family, so the learner,
//! probes and checkpoints (all generic over [`Family`]) are compiled once per backend rather
//! than once per backend and family.

use burn::{
    module::Module,
    tensor::{
        Tensor,
        backend::{AutodiffBackend, Backend},
    },
};
use serde::{Deserialize, Serialize};

use super::{
    Architecture, ArchitectureError, Drawn, Family, Init, LayerInfo, LayerObserver, Mode,
    Nonlinearity, cnn, mlp, residual,
};
use crate::numpy_rng::NumpyRng;

/// How a family is built from an experiment.
pub trait Blueprint {
    /// The name in `[model] family = "..."`.
    const NAME: &'static str;
    type Model<B: Backend>: Family<B, Unit = Nonlinearity>;

    /// Checks the family-specific parts of `arch`; an error names the key and what is allowed.
    fn check(arch: &Architecture) -> Result<(), ArchitectureError>;

    /// Draws one member's parameters from numpy's legacy stream, layer by layer.
    fn draw(arch: &Architecture, init: &Init, rng: &mut NumpyRng) -> Vec<Drawn>;

    /// Stacks members, each a nonlinearity and its drawn parameters, into one ensemble.
    fn init<B: Backend>(
        arch: &Architecture,
        members: &[(Nonlinearity, &[Drawn])],
        device: &B::Device,
    ) -> Self::Model<B>;
}

macro_rules! families {
    ($($variant:ident => $blueprint:ty),+ $(,)?) => {
        /// A registered model family.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub enum FamilyKind {
            #[default]
            $($variant),+
        }

        impl FamilyKind {
            pub const ALL: &[FamilyKind] = &[$(Self::$variant),+];

            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => <$blueprint as Blueprint>::NAME),+
                }
            }

            /// The allowed names, for error messages.
            pub fn names() -> String {
                Self::ALL.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
            }

            pub fn check(self, arch: &Architecture) -> Result<(), ArchitectureError> {
                match self {
                    $(Self::$variant => <$blueprint as Blueprint>::check(arch)),+
                }
            }

            pub fn draw(self, arch: &Architecture, init: &Init, rng: &mut NumpyRng) -> Vec<Drawn> {
                match self {
                    $(Self::$variant => <$blueprint as Blueprint>::draw(arch, init, rng)),+
                }
            }
        }

        /// A model of any registered family.
        #[derive(Module, Debug)]
        pub enum Network<B: Backend> {
            $($variant(<$blueprint as Blueprint>::Model<B>)),+
        }

        impl<B: Backend> Network<B> {
            /// Stacks members of `arch` into one ensemble of its family.
            pub fn init(
                arch: &Architecture,
                members: &[(Nonlinearity, &[Drawn])],
                device: &B::Device,
            ) -> Self {
                match arch.family {
                    $(FamilyKind::$variant => Self::$variant(<$blueprint as Blueprint>::init(arch, members, device))),+
                }
            }
        }

        impl<B: Backend> Family<B> for Network<B> {
            type Unit = Nonlinearity;

            fn forward_observed(
                &self,
                x: Tensor<B, 3>,
                mode: Mode,
                observer: &mut impl LayerObserver<B>,
            ) -> Tensor<B, 3> {
                match self {
                    $(Self::$variant(m) => m.forward_observed(x, mode, observer)),+
                }
            }

            fn layers(&self) -> Vec<LayerInfo> {
                match self {
                    $(Self::$variant(m) => m.layers()),+
                }
            }

            fn activations(&self) -> &[Nonlinearity] {
                match self {
                    $(Self::$variant(m) => m.activations()),+
                }
            }

            fn with_activations(self, activations: Vec<Nonlinearity>) -> Self {
                match self {
                    $(Self::$variant(m) => Self::$variant(m.with_activations(activations))),+
                }
            }

            fn weight_gradients(&self, grads: &B::Gradients) -> Vec<Option<Tensor<B::InnerBackend, 1>>>
            where
                B: AutodiffBackend,
            {
                match self {
                    $(Self::$variant(m) => m.weight_gradients(grads)),+
                }
            }

            fn update_running(self, statistics: Vec<(usize, Tensor<B, 3>, Tensor<B, 3>)>, rows: usize) -> Self {
                match self {
                    $(Self::$variant(m) => Self::$variant(m.update_running(statistics, rows))),+
                }
            }
        }
    };
}

families! {
    Mlp => mlp::MlpBlueprint,
    ResidualMlp => residual::ResidualBlueprint,
    Cnn => cnn::CnnBlueprint,
}

impl std::fmt::Display for FamilyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl TryFrom<String> for FamilyKind {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::ALL
            .iter()
            .copied()
            .find(|f| f.name() == s)
            .ok_or_else(|| format!("unknown model family `{s}`; allowed: {}", Self::names()))
    }
}

impl From<FamilyKind> for String {
    fn from(f: FamilyKind) -> Self {
        f.name().into()
    }
}

impl<B: Backend> Network<B> {
    /// The plain MLP inside, for the fused engine.
    pub fn as_mlp(&self) -> Option<&mlp::Mlp<B>> {
        match self {
            Self::Mlp(m) => Some(m),
            _ => None,
        }
    }
}

impl<B: Backend> Network<B> {
    /// Trained parameters of one member of `arch` (running statistics excluded): the count a
    /// report states, from a member built with `init`'s draws.
    pub fn member_parameters(
        arch: &Architecture,
        nonlinearity: Nonlinearity,
        init: &Init,
        device: &B::Device,
    ) -> usize {
        let drawn = arch.family.draw(arch, init, &mut NumpyRng::new(0));
        let member = Self::init(arch, &[(nonlinearity, drawn.as_slice())], device);
        member.num_params() - arch.running_values()
    }
}
