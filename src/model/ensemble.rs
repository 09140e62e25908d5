//! Splitting and joining ensembles, for any family: every parameter has the member dimension
//! first, so members are narrowed or concatenated along dimension 0 of every tensor.

use std::ops::Range;

use burn::{
    module::{ModuleMapper, ModuleVisitor, Param, ParamId},
    tensor::{Tensor, backend::Backend},
};

use super::Family;

/// A fresh parameter (new id, outside any autodiff graph) holding `value`, tracked for
/// gradients as `like` was.
fn fresh<B: Backend, const D: usize>(
    like: &Tensor<B, D>,
    value: Tensor<B, D>,
) -> Param<Tensor<B, D>> {
    Param::initialized(
        ParamId::new(),
        value.detach().set_require_grad(like.is_require_grad()),
    )
}

struct Narrow(Range<usize>);

impl<B: Backend> ModuleMapper<B> for Narrow {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let tensor = param.val();
        let narrowed = tensor.clone().narrow(0, self.0.start, self.0.len());
        fresh(&tensor, narrowed)
    }
}

/// Members `range` as an ensemble of their own, with new parameters outside any autodiff
/// graph. The whole range returns the model as it is, parameter ids included (Burn's
/// optimizer state refers to them).
///
/// # Panics
/// When part of a model whose parameters are not stacked is asked for.
pub fn select<B: Backend, M: Family<B>>(model: &M, range: Range<usize>) -> M {
    if range == (0..model.members()) {
        return model.clone();
    }
    assert!(
        model.stacked(),
        "members of an unstacked model cannot be selected"
    );
    let activations = model.activations()[range.clone()].to_vec();
    model
        .clone()
        .map(&mut Narrow(range))
        .with_activations(activations)
}

/// Every parameter, flattened, in visiting order.
struct Flatten<B: Backend>(Vec<Tensor<B, 1>>);

impl<B: Backend> ModuleVisitor<B> for Flatten<B> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        self.0.push(param.val().flatten(0, D - 1));
    }
}

/// Replaces every parameter by the concatenation of the parts' flattened parameters at the
/// same position, reshaped with `members` in front: a member-major tensor flattened is its
/// members' blocks one after another, so this is concatenation along dimension 0.
struct Join<B: Backend> {
    parts: Vec<std::vec::IntoIter<Tensor<B, 1>>>,
    members: usize,
}

impl<B: Backend> ModuleMapper<B> for Join<B> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let tensor = param.val();
        let mut dims = tensor.dims();
        dims[0] = self.members;
        let pieces: Vec<Tensor<B, 1>> = self
            .parts
            .iter_mut()
            .map(|p| {
                p.next()
                    .expect("ensembles that are joined share one layout")
            })
            .collect();
        fresh(&tensor, Tensor::cat(pieces, 0).reshape(dims))
    }
}

/// The ensembles' members one after another, as one ensemble (new parameters, outside any
/// autodiff graph). All must share one layer layout. One ensemble comes back as it is.
///
/// # Panics
/// When several models whose parameters are not stacked are given.
pub fn concat<B: Backend, M: Family<B>>(mut parts: Vec<M>) -> M {
    if parts.len() == 1 {
        return parts.remove(0);
    }
    assert!(
        parts.iter().all(Family::stacked),
        "unstacked models cannot be joined into one ensemble"
    );
    let activations: Vec<_> = parts
        .iter()
        .flat_map(|p| p.activations().to_vec())
        .collect();
    let flat = parts
        .iter()
        .map(|p| {
            let mut f = Flatten(Vec::new());
            p.visit(&mut f);
            f.0.into_iter()
        })
        .collect();
    let mut join = Join {
        parts: flat,
        members: activations.len(),
    };
    parts.remove(0).map(&mut join).with_activations(activations)
}
