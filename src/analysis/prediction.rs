//! What mean-field theory predicts for a network as initialised: each hidden layer's
//! pre-activation length `q^l` (the mean of `z^2`) and the per-layer ratio of back-propagated
//! gradient norms, for an MLP of any widths, layer by layer with each layer's own variances.
//! The theory is for infinite width: a network of finite width fluctuates around it.

use serde::{Deserialize, Serialize};

use crate::{
    model::{Init, Nonlinearity},
    theory::{MeanField, Quadrature, TheoryError, Variances},
};

/// The prediction for one network, layer by layer (hidden layers `1..=L`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerPrediction {
    /// `q^l`: the expected mean of `z^2` at hidden layer `l`.
    pub q: Vec<f64>,
    /// `||dL/dz^l|| / ||dL/dz^{l+1}||` for `l = 1..L-1`: how the gradient norm changes from one
    /// hidden layer to the one below it (`sqrt(sigma_w^2 E[phi'(sqrt(q^l) z)^2])`).
    pub gradient_ratio: Vec<f64>,
}

/// Predicts an MLP of hidden `widths` fed inputs of `features` values, initialised with
/// `init`, with `unit` on every hidden layer, for inputs whose mean squares (over their
/// values) are `input_second_moments`: each input's lengths follow the maps from its own
/// `q^1`, and the prediction is their mean over the inputs, as the measured `q^l` is. (The maps
/// are not linear, so the mean of the trajectories is not the trajectory of the mean input.)
/// The gradient ratio is the square root of the inputs' mean `sigma_w^2 E[phi'^2]`.
pub fn predict_inputs(
    unit: Nonlinearity,
    init: &Init,
    features: usize,
    widths: &[usize],
    input_second_moments: &[f64],
) -> Result<LayerPrediction, TheoryError> {
    let per_input: Vec<LayerPrediction> = input_second_moments
        .iter()
        .map(|&m| predict(unit, init, features, widths, m))
        .collect::<Result<_, _>>()?;
    let n = per_input.len().max(1) as f64;
    let mean = |f: &dyn Fn(&LayerPrediction) -> &Vec<f64>, square: bool| -> Vec<f64> {
        let len = per_input.first().map_or(0, |p| f(p).len());
        (0..len)
            .map(|i| {
                let sum: f64 = per_input
                    .iter()
                    .map(|p| if square { f(p)[i].powi(2) } else { f(p)[i] })
                    .sum();
                if square { (sum / n).sqrt() } else { sum / n }
            })
            .collect()
    };
    Ok(LayerPrediction {
        q: mean(&|p| &p.q, false),
        gradient_ratio: mean(&|p| &p.gradient_ratio, true),
    })
}

/// [`input_second_moments`] of the inputs the probes see (`probes.set`, `probes.max_points`).
pub fn probe_second_moments(
    split: &crate::data::Split,
    probes: &crate::config::ProbeConfig,
) -> Vec<f64> {
    let set = if probes.set == "train" {
        &split.train
    } else {
        &split.test
    };
    input_second_moments(set, probes.max_points)
}

/// The mean square of each input's values: the first `max_points` rows of `data`.
pub fn input_second_moments(data: &crate::data::Dataset, max_points: usize) -> Vec<f64> {
    (0..data.len().min(max_points))
        .map(|i| {
            let row = data.row(i);
            row.iter().map(|v| v * v).sum::<f64>() / row.len().max(1) as f64
        })
        .collect()
}

/// Predicts an MLP of hidden `widths` fed inputs of `features` values whose mean square is
/// `input_second_moment`, initialised with `init`, with `unit` on every hidden layer.
pub fn predict(
    unit: Nonlinearity,
    init: &Init,
    features: usize,
    widths: &[usize],
    input_second_moment: f64,
) -> Result<LayerPrediction, TheoryError> {
    let moments = Quadrature::new(unit)?;
    let fans: Vec<(usize, usize)> = std::iter::once(features)
        .chain(widths.iter().copied())
        .zip(widths.iter().copied())
        .collect();
    let field = |fan: (usize, usize)| -> Result<MeanField<&Quadrature<Nonlinearity>>, TheoryError> {
        let (w, b) = init.variances(fan.0, fan.1);
        Ok(MeanField::new(&moments, Variances::new(w, b)?))
    };
    let mut q = vec![field(fans[0])?.first_length(input_second_moment)?];
    for &fan in &fans[1..] {
        let previous = *q.last().expect("one length at least");
        q.push(field(fan)?.length_map(previous));
    }
    let gradient_ratio = fans[1..]
        .iter()
        .zip(&q)
        .map(|(&fan, &q_l)| Ok(field(fan)?.gradient_ratio(q_l).sqrt()))
        .collect::<Result<_, TheoryError>>()?;
    Ok(LayerPrediction { q, gradient_ratio })
}

/// What `actlab theory` prints for one network: fixed points, `chi_1`, depth scales, and the
/// predicted lengths and gradient ratios layer by layer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub activation: String,
    pub weight_var: f64,
    pub bias_var: f64,
    pub q_star: f64,
    pub c_star: f64,
    pub chi1: f64,
    /// `None` where the depth scale is infinite (critical or beyond).
    pub xi_q: Option<f64>,
    pub xi_c: Option<f64>,
    /// `q^1..q^L`, from `q^1 = weight_var * input_second_moment + bias_var`.
    pub q: Vec<f64>,
    /// `||dL/dz^l||^2 / ||dL/dz^L||^2` for `l = 1..L`: the last is 1.
    pub gradient_growth: Vec<f64>,
}

/// The theory of an infinitely wide network of `depth` hidden layers with `unit` and the
/// variances `(weight_var, bias_var)` at every layer.
pub fn summarize(
    unit: Nonlinearity,
    weight_var: f64,
    bias_var: f64,
    depth: usize,
    input_second_moment: f64,
) -> Result<Summary, TheoryError> {
    let moments = Quadrature::new(unit)?;
    let field = MeanField::new(&moments, Variances::new(weight_var, bias_var)?);
    let q1 = field.first_length(input_second_moment)?;
    let analysis = field.analyse(q1)?;
    let q = field.lengths(q1, depth)?;
    let gradient_growth = field.gradient_growth(&q)?;
    Ok(Summary {
        activation: unit.to_string(),
        weight_var,
        bias_var,
        q_star: analysis.q_star,
        c_star: analysis.c_star,
        chi1: analysis.chi_1,
        xi_q: analysis.xi_q.layers(),
        xi_c: analysis.xi_c.layers(),
        q,
        gradient_growth,
    })
}

/// The critical `sigma_w^2` (`chi_1 = 1`) of `unit` at `bias_var`: the smallest in
/// (0.05, 500) where `chi_1(q*)` crosses 1.
pub fn critical_weight_var(unit: Nonlinearity, bias_var: f64) -> Result<f64, TheoryError> {
    let moments = Quadrature::new(unit)?;
    let search = crate::theory::CriticalSearch::default();
    Ok(crate::theory::critical_sigma_w2(&moments, bias_var, search)?.sigma_w2)
}

impl Summary {
    /// A readable table.
    pub fn render(&self) -> String {
        let scale = |x: Option<f64>| match x {
            Some(v) if v < 1e6 => format!("{v:.4}"),
            Some(v) => format!("{v:.3e} (effectively infinite: critical)"),
            None => "infinite".to_string(),
        };
        let regime = if (self.chi1 - 1.0).abs() < 1e-9 {
            "critical"
        } else if self.chi1 < 1.0 {
            "ordered: gradients vanish with depth"
        } else {
            "chaotic: gradients explode with depth"
        };
        let mut lines = vec![
            format!(
                "{} with weight_var {} and bias_var {} (mean-field theory, infinite width)",
                self.activation, self.weight_var, self.bias_var
            ),
            format!("q*     {:.6}", self.q_star),
            format!("c*     {:.6}", self.c_star),
            format!("chi_1  {:.6} ({regime})", self.chi1),
            format!("xi_q   {}", scale(self.xi_q)),
            format!("xi_c   {}", scale(self.xi_c)),
            String::new(),
            "layer  q^l          ||dL/dz^l||^2 / ||dL/dz^L||^2".into(),
        ];
        for (l, (q, g)) in self.q.iter().zip(&self.gradient_growth).enumerate() {
            lines.push(format!("{:<6} {q:<12.6e} {g:.6e}", l + 1));
        }
        lines.join("\n") + "\n"
    }
}
