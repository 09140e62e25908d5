//! What the learner may do to a step's gradients before the optimizer sees them, for any
//! module: clip their global norm (`torch.nn.utils.clip_grad_norm_`), and split them into the
//! matrices and embeddings that decoupled weight decay applies to and the rest (nanoGPT's two
//! parameter groups). Both stay on the device, so a step never waits on the host.

use burn::{
    module::{Module, ModuleVisitor, Param, ParamId},
    optim::GradientsParams,
    tensor::{
        Tensor,
        backend::{AutodiffBackend, Backend},
    },
};

/// Every gradient scaled by `max_norm / (norm + 1e-6)` where that is below 1, `norm` the L2
/// norm of all of them together. Multiplying by exactly 1 changes nothing, so the scale is
/// applied on the device whatever its value.
pub fn clip_global_norm<B: AutodiffBackend, M: Module<B>>(
    model: &M,
    grads: GradientsParams,
    max_norm: f64,
) -> GradientsParams {
    let coefficient = global_norm(model, &grads)
        .add_scalar(1e-6)
        .recip()
        .mul_scalar(max_norm)
        .clamp_max(1.0); // [1]
    scaled(model, grads, coefficient)
}

/// The gradients of parameters of rank 2 and more (matrices, embeddings: decayed), and of the
/// rest (biases, norm gains: not decayed).
pub fn split_matrices<B: AutodiffBackend, M: Module<B>>(
    model: &M,
    mut grads: GradientsParams,
) -> (GradientsParams, GradientsParams) {
    let mut matrices = GradientsParams::new();
    for (id, rank) in parameters(model) {
        macro_rules! take {
            ($d:literal) => {
                if let Some(g) = grads.remove::<B::InnerBackend, $d>(id) {
                    matrices.register::<B::InnerBackend, $d>(id, g);
                }
            };
        }
        match rank {
            1 => {}
            2 => take!(2),
            3 => take!(3),
            4 => take!(4),
            5 => take!(5),
            d => panic!("a parameter of rank {d}: ranks 1 to 5 are handled"),
        }
    }
    (matrices, grads)
}

/// The L2 norm of every gradient together, `[1]`.
fn global_norm<B: AutodiffBackend, M: Module<B>>(
    model: &M,
    grads: &GradientsParams,
) -> Tensor<B::InnerBackend, 1> {
    struct Norm<'a, B: AutodiffBackend> {
        grads: &'a GradientsParams,
        sum: Option<Tensor<B::InnerBackend, 1>>,
    }
    impl<B: AutodiffBackend> ModuleVisitor<B> for Norm<'_, B> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            if let Some(g) = self.grads.get::<B::InnerBackend, D>(param.id) {
                let squares = (g.clone() * g).sum(); // [1]
                self.sum = Some(match self.sum.take() {
                    Some(sum) => sum + squares,
                    None => squares,
                });
            }
        }
    }
    let mut norm = Norm::<B> { grads, sum: None };
    model.visit(&mut norm);
    norm.sum.expect("a model has parameters").sqrt()
}

/// Every gradient multiplied by `coefficient`, `[1]`.
fn scaled<B: AutodiffBackend, M: Module<B>>(
    model: &M,
    mut grads: GradientsParams,
    coefficient: Tensor<B::InnerBackend, 1>,
) -> GradientsParams {
    for (id, rank) in parameters(model) {
        macro_rules! scale {
            ($d:literal) => {
                if let Some(g) = grads.remove::<B::InnerBackend, $d>(id) {
                    let c = coefficient.clone().reshape([1; $d]);
                    grads.register::<B::InnerBackend, $d>(id, g * c);
                }
            };
        }
        match rank {
            1 => scale!(1),
            2 => scale!(2),
            3 => scale!(3),
            4 => scale!(4),
            5 => scale!(5),
            d => panic!("a parameter of rank {d}: ranks 1 to 5 are handled"),
        }
    }
    grads
}

/// Every parameter's id and rank.
fn parameters<B: Backend, M: Module<B>>(model: &M) -> Vec<(ParamId, usize)> {
    struct Ids(Vec<(ParamId, usize)>);
    impl<B: Backend> ModuleVisitor<B> for Ids {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            self.0.push((param.id, D));
        }
    }
    let mut ids = Ids(Vec::new());
    model.visit(&mut ids);
    ids.0
}
