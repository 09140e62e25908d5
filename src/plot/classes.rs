//! Classes at a glance: each variant's confusion matrix on the test set (rows: true class,
//! columns: predicted), shaded by the share of the true class, with per-class accuracy on the
//! diagonal.

use std::path::Path;

use plotters::{
    prelude::*,
    style::text_anchor::{HPos, Pos, VPos},
};

use super::{
    DrawResult,
    style::{FAMILY, LABEL_SIZE, TICK_SIZE, TITLE_SIZE, cell_label},
};
use crate::store::RunRecord;

pub fn draw(path: &Path, record: &RunRecord) -> DrawResult {
    let panels: Vec<(&str, &Vec<Vec<usize>>)> = record
        .analyses
        .iter()
        .filter_map(|a| Some((a.variant.as_str(), &a.analysis.as_ref()?.classes.confusion)))
        .filter(|(_, c)| !c.is_empty())
        .collect();
    let n = panels.len().max(1);
    let cols = n.min(3);
    let rows = n.div_ceil(cols);
    let root =
        BitMapBackend::new(path, (620 * cols as u32, 640 * rows as u32 + 50)).into_drawing_area();
    root.fill(&WHITE)?;
    let (top, body) = root.split_vertically(50);
    top.titled(
        "Confusion matrices on the test set (row: true class, column: predicted)",
        (FAMILY, TITLE_SIZE),
    )?;
    for (area, (name, confusion)) in body.split_evenly((rows, cols)).iter().zip(&panels) {
        let classes = confusion.len();
        let k = classes as f64;
        let names: Vec<String> = (0..classes).map(|c| c.to_string()).collect();
        let mut chart = ChartBuilder::on(area)
            .caption(*name, (FAMILY, LABEL_SIZE + 2))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(45)
            .build_cartesian_2d(0.0..k, k..0.0)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("predicted")
            .y_desc("true")
            .x_labels(2 * classes + 1)
            .y_labels(2 * classes + 1)
            .x_label_formatter(&|v| cell_label(&names, *v))
            .y_label_formatter(&|v| cell_label(&names, *v))
            .axis_desc_style((FAMILY, LABEL_SIZE))
            .label_style((FAMILY, TICK_SIZE))
            .draw()?;
        for (t, row) in confusion.iter().enumerate() {
            let total = row.iter().sum::<usize>().max(1) as f64;
            for (p, &count) in row.iter().enumerate() {
                let share = count as f64 / total;
                let mix = |a: f64, b: f64| (a + (b - a) * share).round() as u8;
                let color = RGBColor(mix(247.0, 8.0), mix(251.0, 48.0), mix(255.0, 107.0));
                let (x, y) = (p as f64, t as f64);
                chart
                    .draw_series([Rectangle::new([(x, y), (x + 1.0, y + 1.0)], color.filled())])?;
                if classes <= 12 && count > 0 {
                    let ink = if share > 0.55 { WHITE } else { BLACK };
                    let style = (FAMILY, TICK_SIZE - 2)
                        .into_font()
                        .color(&ink)
                        .pos(Pos::new(HPos::Center, VPos::Center));
                    chart.draw_series([Text::new(count.to_string(), (x + 0.5, y + 0.5), style)])?;
                }
            }
        }
    }
    root.present()?;
    Ok(())
}
