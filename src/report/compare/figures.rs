//! The comparison's figures: losses, accuracy and per-layer statistics, one line per side and
//! variant (`A relu`, `B relu`, ...).

use std::path::Path;

use super::side::Side;
use crate::{
    plot::{
        self,
        panels::{Panel, Series},
    },
    store::{StoreError, write_figure},
};

/// A figure of the page: its file and what it shows.
pub struct Figure {
    pub file: &'static str,
    pub alt: &'static str,
}

/// The layer statistics overlaid: `(tensor, statistic, panel title)`.
const LAYER_PANELS: [(&str, &str, &str); 4] = [
    ("a", "std", "std of a"),
    ("a", "saturated_fraction", "saturated fraction of a"),
    ("a", "zero_fraction", "zero fraction of a"),
    ("dz", "norm", "||dL/dz||"),
];

/// Draws every figure that the sides have data for; returns them in page order.
pub fn draw_all(dir: &Path, sides: &[Side]) -> Result<Vec<Figure>, StoreError> {
    plot::register_fonts();
    let mut drawn = Vec::new();
    let epoch_panel =
        |title: &str, y_desc: &str, log_y: bool, pick: fn(&super::side::Curves) -> &[f64]| Panel {
            title: title.into(),
            x_desc: "epoch".into(),
            y_desc: y_desc.into(),
            log_y,
            discrete_x: false,
            series: lines(sides, |side, v| {
                pick(&side.curves[v])
                    .iter()
                    .enumerate()
                    .map(|(e, &y)| ((e + 1) as f64, y))
                    .collect()
            }),
        };
    let losses = [
        epoch_panel("training loss", "loss (log scale)", true, |c| &c.train_loss),
        epoch_panel("test loss", "loss (log scale)", true, |c| &c.test_loss),
    ];
    write_figure(&dir.join("loss.png"), |p| {
        plot::panels::draw(p, "Loss per epoch", &losses)
    })?;
    drawn.push(Figure {
        file: "loss.png",
        alt: "training and test loss per epoch, every side and variant",
    });
    let accuracy = [epoch_panel("test accuracy", "accuracy", false, |c| {
        &c.test_accuracy
    })];
    write_figure(&dir.join("accuracy.png"), |p| {
        plot::panels::draw(
            p,
            "Test accuracy per epoch (a dot: a sweep point's final value)",
            &accuracy,
        )
    })?;
    drawn.push(Figure {
        file: "accuracy.png",
        alt: "test accuracy per epoch, every side and variant",
    });
    let layers: Vec<Panel> = LAYER_PANELS
        .iter()
        .map(|&(tensor, statistic, title)| Panel {
            title: title.into(),
            x_desc: "layer".into(),
            y_desc: statistic.replace('_', " "),
            log_y: false,
            discrete_x: true,
            series: lines(sides, |side, v| {
                let name = &side.variants[v].name;
                let mut points: Vec<(f64, f64)> = side
                    .layers
                    .iter()
                    .filter(|r| {
                        &r.variant == name && r.tensor == tensor && r.statistic == statistic
                    })
                    .map(|r| (r.layer as f64, r.value))
                    .collect();
                points.sort_by(|a, b| a.0.total_cmp(&b.0));
                points
            }),
        })
        .filter(|panel| panel.series.iter().any(|s| !s.points.is_empty()))
        .collect();
    if !layers.is_empty() {
        write_figure(&dir.join("layers.png"), |p| {
            plot::panels::draw(p, "Each layer at its last probed epoch", &layers)
        })?;
        drawn.push(Figure {
            file: "layers.png",
            alt: "per-layer statistics at the last probed epoch, every side and variant",
        });
    }
    Ok(drawn)
}

/// One series per side and variant, coloured in that order, with points from `points`.
fn lines(sides: &[Side], points: impl Fn(&Side, usize) -> Vec<(f64, f64)>) -> Vec<Series> {
    let mut out = Vec::new();
    for side in sides {
        for (v, variant) in side.variants.iter().enumerate() {
            out.push(Series {
                label: format!("{} {}", side.label, variant.name),
                color: out.len(),
                points: points(side, v),
            });
        }
    }
    out
}
