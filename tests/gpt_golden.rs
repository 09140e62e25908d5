//! The `gpt` family against PyTorch: logits, loss and every parameter's gradient of a tiny GPT
//! (2 layers, 2 heads, 16 channels, GPT-2 init drawn from numpy's stream) in float64, computed
//! once by `tests/golden/make_gpt_golden.py` and committed as `gpt.json`. Agreement to 1e-10
//! in float64 and 1e-4 in float32 (absolute, or relative to a tensor's largest value where that
//! exceeds 1), for GELU, ReLU,
//! sigmoid and SwiGLU (the last with RMS norm, rotary positions and an untied head). Also:
//! changing token t never changes the logits before t; the GPT seen as a `Family` (float token
//! ids in, a row of logits per position out, `weight_gradients`, a swapped unit) agrees with
//! its token forward and with PyTorch; and the one learner, stepping the GPT as a `Family`,
//! moves every parameter by exactly what PyTorch's gradients and the update rule say: plain
//! SGD, SGD with the global norm clipped, AdamW with decay on matrices only.

mod common;

use std::collections::BTreeMap;

use actlab::{
    learner::{Learner, Objective, OptimizerKind, OptimizerSpec},
    lm::{batches::TokenBatch, learner::cross_entropy},
    model::gpt::{BlockNorm, Gpt, GptConfig},
    model::{Family, Mode},
};
use burn::{
    backend::{Autodiff, NdArray},
    module::Param,
    tensor::{Int, Tensor, TensorData, backend::AutodiffBackend},
};
use common::{floats, golden};
use serde_json::Value;

fn config(golden: &Value, c: &Value) -> GptConfig {
    let n = |k: &str| golden[k].as_u64().unwrap() as usize;
    let text = |k: &str| format!("\"{}\"", c[k].as_str().unwrap());
    GptConfig {
        vocab: n("vocab"),
        block_size: n("block_size"),
        n_layer: n("n_layer"),
        n_head: n("n_head"),
        n_embd: n("n_embd"),
        hidden: c["hidden"].as_u64().unwrap() as usize,
        unit: c["ffn"].as_str().unwrap().parse().unwrap(),
        dropout: 0.0,
        bias: c["bias"].as_bool().unwrap(),
        tie_embeddings: c["tie_embeddings"].as_bool().unwrap(),
        norm: serde_json::from_str(&text("norm")).unwrap(),
        position: serde_json::from_str(&text("position")).unwrap(),
    }
}

fn values<B: burn::tensor::backend::Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f64> {
    t.into_data().convert::<f64>().to_vec().unwrap()
}

/// Every parameter by its name in the fixture, with a function reading its gradient.
fn named<B: AutodiffBackend>(
    model: &Gpt<B>,
    grads: &B::Gradients,
) -> BTreeMap<String, (Vec<f64>, Vec<f64>)> {
    let mut out = BTreeMap::new();
    let mut put = |name: String, value: Vec<f64>, grad: Option<Vec<f64>>| {
        out.insert(name, (value, grad.unwrap_or_default()));
    };
    fn both<B: AutodiffBackend, const D: usize>(
        p: &Param<Tensor<B, D>>,
        g: &B::Gradients,
    ) -> (Vec<f64>, Option<Vec<f64>>) {
        (values(p.val()), p.grad(g).map(values))
    }
    let norm = |prefix: &str,
                n: &BlockNorm<B>,
                put: &mut dyn FnMut(String, Vec<f64>, Option<Vec<f64>>)| match n {
        BlockNorm::Layer(n) => {
            let (v, g) = both(&n.gamma, grads);
            put(format!("{prefix}.weight"), v, g);
            if let Some(beta) = &n.beta {
                let (v, g) = both(beta, grads);
                put(format!("{prefix}.bias"), v, g);
            }
        }
        BlockNorm::Rms(n) => {
            let (v, g) = both(&n.weight, grads);
            put(format!("{prefix}.weight"), v, g);
        }
    };
    let (v, g) = both(&model.wte.weight, grads);
    put("wte".into(), v, g);
    if let Some(wpe) = &model.wpe {
        let (v, g) = both(&wpe.weight, grads);
        put("wpe".into(), v, g);
    }
    for (l, block) in model.blocks.iter().enumerate() {
        let gated = block.ffn.value.is_some();
        let linears = [
            ("attn.qkv", Some(&block.attn.qkv)),
            ("attn.proj", Some(&block.attn.proj)),
            (
                if gated { "ffn.gate" } else { "ffn.fc" },
                Some(&block.ffn.fc),
            ),
            ("ffn.value", block.ffn.value.as_ref()),
            ("ffn.proj", Some(&block.ffn.proj)),
        ];
        for (name, linear) in linears {
            let Some(linear) = linear else { continue };
            let (v, g) = both(&linear.weight, grads);
            put(format!("blocks.{l}.{name}.weight"), v, g);
            if let Some(bias) = &linear.bias {
                let (v, g) = both(bias, grads);
                put(format!("blocks.{l}.{name}.bias"), v, g);
            }
        }
        norm(&format!("blocks.{l}.norm1"), &block.norm1, &mut put);
        norm(&format!("blocks.{l}.norm2"), &block.norm2, &mut put);
    }
    norm("norm_f", &model.norm_f, &mut put);
    if let Some(head) = &model.head {
        let (v, g) = both(head, grads);
        put("head.weight".into(), v, g);
    }
    out
}

fn assert_close(what: &str, found: &[f64], expected: &[f64], tolerance: f64) {
    assert_eq!(found.len(), expected.len(), "{what}: length");
    // Absolute below 1, relative to the tensor's largest value above it.
    let scale = expected.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    let worst = found
        .iter()
        .zip(expected)
        .map(|(a, b)| (a - b).abs() / scale)
        .fold(0.0, f64::max);
    assert!(
        worst <= tolerance,
        "{what}: relative difference {worst:e} > {tolerance:e}"
    );
}

fn tokens<B: burn::tensor::backend::Backend>(
    data: &Value,
    offset: usize,
    device: &B::Device,
) -> Tensor<B, 2, Int> {
    let rows: Vec<Vec<i64>> = data
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect()
        })
        .collect();
    let t = rows[0].len() - 1;
    let flat: Vec<i64> = rows
        .iter()
        .flat_map(|r| r[offset..offset + t].to_vec())
        .collect();
    Tensor::from_data(TensorData::new(flat, [rows.len(), t]), device)
}

fn check_against_pytorch<B: AutodiffBackend>(tolerance: f64) {
    let fixture = golden("gpt.json");
    let device = Default::default();
    for c in fixture["configs"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let shape = config(&fixture, c);
        let model = Gpt::<B>::init(&shape, 42, &device);
        let x = tokens::<B>(&fixture["data"], 0, &device);
        let y = tokens::<B>(&fixture["data"], 1, &device);
        let logits = model.forward(x);
        let loss = cross_entropy(logits.clone(), y);
        let grads = loss.clone().backward();
        let params = named(&model, &grads);
        for (param, first) in c["first_weights"].as_object().unwrap() {
            let drawn = &params[param].0;
            assert_close(
                &format!("{name} {param} draws"),
                &drawn[..5],
                &floats(first),
                tolerance,
            );
        }
        assert_close(
            &format!("{name} logits"),
            &values(logits.clone()),
            &floats(&c["logits"]),
            tolerance,
        );
        let found_loss = values(loss.clone())[0];
        let expected_loss = c["loss"].as_f64().unwrap();
        assert!(
            (found_loss - expected_loss).abs() <= tolerance * expected_loss,
            "{name} loss {found_loss} vs {expected_loss}"
        );
        let total: usize = params.values().map(|(v, _)| v.len()).sum();
        assert_eq!(
            total,
            shape.parameters(),
            "{name}: the parameter count every report states"
        );
        let expected: Vec<&String> = c["grads"].as_object().unwrap().keys().collect();
        let found: Vec<&String> = params.keys().collect();
        let mut sorted = expected.clone();
        sorted.sort();
        assert_eq!(found, sorted, "{name}: parameter names");
        for (param, grad) in c["grads"].as_object().unwrap() {
            assert_close(
                &format!("{name} d{param}"),
                &params[param].1,
                &floats(grad),
                tolerance,
            );
        }
    }
}

/// One test, in this order: float64 and float32 ndarray share one device, whose default
/// float type the float32 backend sets for the whole process, so they must not run side by side.
#[test]
fn matches_pytorch_in_float64_then_float32_and_is_causal() {
    changing_token_t_never_changes_earlier_logits();
    check_against_pytorch::<Autodiff<NdArray<f64>>>(1e-10);
    the_family_view_is_the_token_view::<Autodiff<NdArray<f64>>>();
    the_learner_steps_as_pytorch_gradients_say::<Autodiff<NdArray<f64>>>(1e-10);
    check_against_pytorch::<Autodiff<NdArray<f32>>>(1e-4);
    the_learner_steps_as_pytorch_gradients_say::<Autodiff<NdArray<f32>>>(1e-4);
}

/// Every parameter's value by name (the gradients are discarded).
fn parameters<B: AutodiffBackend>(
    model: &Gpt<B>,
    batch: &TokenBatch<B>,
) -> BTreeMap<String, Vec<f64>> {
    let grads = cross_entropy(model.forward(batch.x.clone()), batch.y.clone()).backward();
    named(model, &grads)
        .into_iter()
        .map(|(k, (v, _))| (k, v))
        .collect()
}

/// One step of the one learner from the fixture's weights, for each optimizer, against the
/// update its rule makes of PyTorch's gradients `g`:
/// - SGD at lr 1: `-g`;
/// - SGD at lr 1 with the global norm clipped to half of `|g|`: `-g c / (|g| + 1e-6)`;
/// - AdamW (lr 1e-3, decay 0.5) on matrices only, first step: `-lr g / (|g| + 1e-8)`, and
///   `-lr 0.5 w` more for parameters of rank 2 (matrices, embeddings), compared in units of lr.
fn the_learner_steps_as_pytorch_gradients_say<B: AutodiffBackend>(tolerance: f64) {
    let fixture = golden("gpt.json");
    let device = Default::default();
    for c in fixture["configs"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let shape = config(&fixture, c);
        let batch = TokenBatch::<B> {
            x: tokens::<B>(&fixture["data"], 0, &device),
            y: tokens::<B>(&fixture["data"], 1, &device),
        };
        let g: BTreeMap<&String, Vec<f64>> = c["grads"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k, floats(v)))
            .collect();
        let norm = g.values().flatten().map(|v| v * v).sum::<f64>().sqrt();
        let clip = norm / 2.0;
        let adamw = OptimizerSpec {
            kind: OptimizerKind::AdamW,
            weight_decay: 0.5,
            decay_matrices_only: true,
            ..OptimizerSpec::sgd()
        };
        let cases = [
            ("sgd", OptimizerSpec::sgd(), 1.0),
            (
                "clipped sgd",
                OptimizerSpec {
                    grad_clip: Some(clip),
                    ..OptimizerSpec::sgd()
                },
                1.0,
            ),
            ("adamw, decay on matrices", adamw, 1e-3),
        ];
        for (optimizer, spec, lr) in cases {
            let model = Gpt::<B>::init(&shape, 42, &device);
            let before = parameters(&model, &batch);
            let mut learner = Learner::new(model, &spec, Objective::Multiclass);
            let loss = actlab::lm::learner::step(&mut learner, &batch, lr);
            let loss = values(loss)[0];
            let expected_loss = c["loss"].as_f64().unwrap();
            assert!(
                (loss - expected_loss).abs() <= tolerance * expected_loss,
                "{name} {optimizer}: loss {loss} vs {expected_loss}"
            );
            let after = parameters(learner.model(), &batch);
            for (param, grad) in &g {
                let rank_two = !param.ends_with("bias") && !param.contains("norm");
                let (found, expected): (Vec<f64>, Vec<f64>) = before[*param]
                    .iter()
                    .zip(&after[*param])
                    .zip(grad)
                    .map(|((w, w2), g)| match optimizer {
                        "sgd" => (w2 - w, -g),
                        "clipped sgd" => (w2 - w, -g * clip / (norm + 1e-6)),
                        _ => {
                            let decay = if rank_two { 0.5 * w } else { 0.0 };
                            ((w2 - w) / lr, -g / (g.abs() + 1e-8) - decay)
                        }
                    })
                    .unzip();
                // Burn keeps AdamW's betas in float32, so its bias corrections cancel to about
                // 1e-9, not to the last bit.
                let tolerance = if lr < 1.0 {
                    tolerance.max(1e-8)
                } else {
                    tolerance
                };
                assert_close(
                    &format!("{name} {optimizer} {param}"),
                    &found,
                    &expected,
                    tolerance,
                );
            }
        }
    }
}

fn changing_token_t_never_changes_earlier_logits() {
    type B = NdArray<f64>;
    let fixture = golden("gpt.json");
    let device = Default::default();
    for c in fixture["configs"].as_array().unwrap() {
        let model = Gpt::<B>::init(&config(&fixture, c), 42, &device);
        let x = tokens::<B>(&fixture["data"], 0, &device);
        let before = model.forward(x.clone()); // [B, T, V]
        let [batch, time, vocab] = before.dims();
        for t in 0..time {
            let mut ids: Vec<i64> = x.clone().into_data().convert::<i64>().to_vec().unwrap();
            for b in 0..batch {
                ids[b * time + t] = (ids[b * time + t] + 1) % vocab as i64;
            }
            let changed = model.forward(Tensor::from_data(
                TensorData::new(ids, [batch, time]),
                &device,
            ));
            if t > 0 {
                let head = |l: Tensor<B, 3>| values(l.slice([0..batch, 0..t, 0..vocab]));
                assert_eq!(
                    head(before.clone()),
                    head(changed.clone()),
                    "token {t} changed earlier logits"
                );
            }
            let at = |l: Tensor<B, 3>| values(l.slice([0..batch, t..t + 1, 0..vocab]));
            assert_ne!(
                at(before.clone()),
                at(changed),
                "token {t} must change its own logits"
            );
        }
    }
}

/// The GPT as a `Family`: one unstacked member; windows as float token ids give the token
/// forward's logits, one row per position; its observed layers are the blocks' feed-forward
/// units; `weight_gradients` are PyTorch's gradients of each block's first matrix and of the
/// head (the token embedding when tied); and swapping the unit gives the model initialised
/// with the other unit (the same draws).
fn the_family_view_is_the_token_view<B: AutodiffBackend>() {
    let fixture = golden("gpt.json");
    let device = Default::default();
    for c in fixture["configs"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let shape = config(&fixture, c);
        let model = Gpt::<B>::init(&shape, 42, &device);
        assert_eq!((model.members(), model.stacked()), (1, false), "{name}");
        assert_eq!(model.activations(), [shape.unit]);
        let layers = model.layers();
        assert_eq!(layers.len(), shape.n_layer);
        for (l, layer) in layers.iter().enumerate() {
            assert_eq!(
                (layer.name.as_str(), layer.width),
                (format!("block{}", l + 1).as_str(), shape.hidden)
            );
        }
        let x = tokens::<B>(&fixture["data"], 0, &device);
        let y = tokens::<B>(&fixture["data"], 1, &device);
        let [batch, time] = x.dims();
        let samples = x.clone().float().reshape([1, batch, time]);
        let rows = Family::forward(&model, samples.clone(), Mode::Train); // [1, B*T, V]
        assert_eq!(rows.dims(), [1, batch * time, shape.vocab]);
        assert_eq!(values(rows.clone()), values(model.forward(x.clone())));
        let grads = cross_entropy(rows.reshape([batch, time, shape.vocab]), y).backward();
        let found = model.weight_gradients(&grads);
        let first = if shape.unit.is_gated() { "gate" } else { "fc" };
        let mut expected: Vec<String> = (0..shape.n_layer)
            .map(|l| format!("blocks.{l}.ffn.{first}.weight"))
            .collect();
        expected.push(
            if shape.tie_embeddings {
                "wte"
            } else {
                "head.weight"
            }
            .into(),
        );
        assert_eq!(found.len(), expected.len());
        for (g, key) in found.into_iter().zip(expected) {
            let g = g.unwrap_or_else(|| panic!("{name}: no gradient for {key}"));
            let g: Vec<f64> = g.into_data().convert::<f64>().to_vec().unwrap();
            assert_close(
                &format!("{name} weight_gradients {key}"),
                &g,
                &floats(&c["grads"][&key]),
                1e-10,
            );
        }
        let other = if shape.unit.is_gated() {
            "geglu"
        } else {
            "tanh"
        };
        let other: actlab::model::gpt::FeedForwardUnit = other.parse().unwrap();
        let swapped = model.clone().with_activations(vec![other]);
        let fresh = Gpt::<B>::init(
            &GptConfig {
                unit: other,
                ..shape.clone()
            },
            42,
            &device,
        );
        assert_eq!(swapped.activations(), [other]);
        assert_eq!(
            values(Family::forward(&swapped, samples.clone(), Mode::Train)),
            values(Family::forward(&fresh, samples, Mode::Train)),
            "{name}: unit swapped to {other}"
        );
    }
}
