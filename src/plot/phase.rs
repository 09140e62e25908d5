//! The order-to-chaos phase diagram: for each activation, the line where `chi_1 = 1` in the
//! plane of the initialisation's variances (`sigma_b^2` across, `sigma_w^2` up). Below a line
//! the network is ordered (gradients vanish with depth), above it chaotic (they explode).

use std::path::Path;

use plotters::prelude::*;

use super::{
    DrawResult,
    style::{FAMILY, LABEL_SIZE, TICK_SIZE, TITLE_SIZE, legend, register_fonts, variant_color},
};

/// One activation's critical line: `(sigma_b^2, critical sigma_w^2)` where it exists.
pub struct CriticalLine {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

pub fn draw(path: &Path, lines: &[CriticalLine]) -> DrawResult {
    register_fonts();
    let root = BitMapBackend::new(path, (1000, 700)).into_drawing_area();
    root.fill(&WHITE)?;
    let b_max = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.0))
        .fold(0.0, f64::max)
        .max(0.1);
    let w_max = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .fold(0.0, f64::max)
        .max(2.0)
        * 1.3;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Order to chaos: where chi_1 = 1 (mean-field theory)",
            (FAMILY, TITLE_SIZE),
        )
        .margin(15)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..b_max, (0.3..w_max).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("bias variance sigma_b^2")
        .y_desc("weight variance sigma_w^2 (x 1/fan_in), log scale")
        .y_label_formatter(&|v| format!("{v:.2}"))
        .axis_desc_style((FAMILY, LABEL_SIZE))
        .label_style((FAMILY, TICK_SIZE))
        .draw()?;
    for (i, line) in lines.iter().enumerate() {
        let color = variant_color(i);
        chart
            .draw_series(LineSeries::new(
                line.points.iter().copied(),
                color.stroke_width(3),
            ))?
            .label(line.name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
            });
    }
    chart.draw_series([Text::new(
        "chaotic (above a line)",
        (0.05 * b_max, 0.25 * w_max),
        (FAMILY, LABEL_SIZE),
    )])?;
    chart.draw_series([Text::new(
        "ordered (below)",
        (0.65 * b_max, 0.4),
        (FAMILY, LABEL_SIZE),
    )])?;
    legend(&mut chart, SeriesLabelPosition::UpperRight, TICK_SIZE)?;
    root.present()?;
    Ok(())
}
