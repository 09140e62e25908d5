//! Figure 1: the data set, train and test points by class.

use std::path::Path;

use plotters::prelude::*;

use super::{
    DrawResult,
    style::{CLASS_COLORS, FAMILY, LABEL_SIZE, TICK_SIZE, TITLE_SIZE, legend, padded_range},
};
use crate::data::Split;

pub fn draw(path: &Path, split: &Split) -> DrawResult {
    let root = BitMapBackend::new(path, (900, 700)).into_drawing_area();
    root.fill(&WHITE)?;
    let all: Vec<[f64; 2]> = split.train.points().chain(split.test.points()).collect();
    let all = all.iter();
    let (x0, x1) = padded_range(all.clone().map(|p| p[0]), 0.05);
    let (y0, y1) = padded_range(all.map(|p| p[1]), 0.05);
    let title = format!(
        "Two moons: {} train, {} test (standardised)",
        split.train.len(),
        split.test.len()
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FAMILY, TITLE_SIZE))
        .margin(15)
        .x_label_area_size(50)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .x_desc("x₁")
        .y_desc("x₂")
        .axis_desc_style((FAMILY, LABEL_SIZE))
        .label_style((FAMILY, TICK_SIZE))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for class in 0..2u8 {
        let color = CLASS_COLORS[class as usize];
        let train = split
            .train
            .points()
            .zip(&split.train.y)
            .filter(|(_, y)| **y == class);
        chart
            .draw_series(
                train.map(|(p, _)| Circle::new((p[0], p[1]), 5, color.mix(0.75).filled())),
            )?
            .label(format!("class {class}, train"))
            .legend(move |(x, y)| Circle::new((x, y), 5, color.filled()));
        let test = split
            .test
            .points()
            .zip(&split.test.y)
            .filter(|(_, y)| **y == class);
        chart
            .draw_series(test.map(|(p, _)| Cross::new((p[0], p[1]), 6, color.stroke_width(3))))?
            .label(format!("class {class}, test"))
            .legend(move |(x, y)| Cross::new((x, y), 6, color.stroke_width(3)));
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight, TICK_SIZE)?;
    root.present()?;
    Ok(())
}
