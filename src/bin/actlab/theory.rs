//! `actlab theory`: mean-field predictions for an activation, printed, and the phase diagram.

use std::path::PathBuf;

#[derive(clap::Args)]
pub struct TheoryArgs {
    /// The activation (sigmoid, tanh, relu, ...).
    #[arg(long)]
    activation: String,
    /// sigma_w^2: weights drawn with variance weight_var / fan_in.
    #[arg(long, default_value_t = 1.0)]
    weight_var: f64,
    /// sigma_b^2: biases drawn with this variance.
    #[arg(long, default_value_t = 0.0)]
    bias_var: f64,
    /// Layers to predict q^l and gradient growth for.
    #[arg(long, default_value_t = 10)]
    depth: usize,
    /// Gain g of a(x) = g * (phi(x) + s).
    #[arg(long, default_value_t = 1.0)]
    gain: f64,
    /// Shift s of a(x) = g * (phi(x) + s).
    #[arg(long, default_value_t = 0.0)]
    shift: f64,
    /// Mean square of the input values (1 for standardized data).
    #[arg(long, default_value_t = 1.0)]
    input_second_moment: f64,
    /// Print one JSON object (keys q_star, c_star, chi1, xi_q, xi_c, q, ...).
    #[arg(long)]
    json: bool,
    /// Also print the critical weight_var (chi_1 = 1) at this bias_var.
    #[arg(long)]
    critical: bool,
    /// Draw the order-to-chaos phase diagram of the common activations into this PNG file.
    #[arg(long, value_name = "FILE")]
    phase_diagram: Option<PathBuf>,
}

pub fn theory(a: TheoryArgs) -> anyhow::Result<()> {
    let request = actlab::report::TheoryRequest {
        activation: a.activation,
        weight_var: a.weight_var,
        bias_var: a.bias_var,
        depth: a.depth,
        gain: a.gain,
        shift: a.shift,
        input_second_moment: a.input_second_moment,
        critical: a.critical,
    };
    print!("{}", request.render(a.json)?);
    if let Some(path) = a.phase_diagram {
        actlab::report::write_phase_diagram(&path)?;
        eprintln!("phase diagram: {}", path.display());
    }
    Ok(())
}
