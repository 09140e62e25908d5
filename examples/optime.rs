use burn::backend::{Autodiff, NdArray};
use burn::tensor::{Distribution, Tensor};
use std::time::Instant;
type B = Autodiff<NdArray<f32>>;
fn main() {
    let d = Default::default();
    let z =
        Tensor::<B, 3>::random([12, 64, 512], Distribution::Normal(0.0, 1.0), &d).require_grad();
    let up = Tensor::<B, 3>::random([12, 64, 128], Distribution::Normal(0.0, 1.0), &d);
    let w = Tensor::<B, 2>::random([512, 128], Distribution::Normal(0.0, 1.0), &d).require_grad();
    let time = |name: &str, f: &dyn Fn()| {
        let mut best = f64::MAX;
        for _ in 0..30 {
            let t = Instant::now();
            f();
            best = best.min(t.elapsed().as_secs_f64());
        }
        println!("{name}: {:.3} ms", best * 1e3);
    };
    time("sum backward only", &|| {
        let g = (z.clone()).sum().backward();
        let _ = z.grad(&g);
    });
    time("gelu fwd tracked", &|| {
        let _ = actlab::product::gelu(z.clone()).unwrap();
    });
    time("gelu fwd+bwd", &|| {
        let g = actlab::product::gelu(z.clone()).unwrap().sum().backward();
        let _ = z.grad(&g);
    });
    time("rows fwd+bwd", &|| {
        let g = (actlab::product::rows(z.clone(), w.clone()) * up.clone())
            .sum()
            .backward();
        let _ = z.grad(&g);
    });
    time("mul by up, sum, bwd", &|| {
        let g = (z.clone() * z.clone()).sum().backward();
        let _ = z.grad(&g);
    });
}
