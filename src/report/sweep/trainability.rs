//! The sweep page's trainability section: how well the edge of the trainable region follows
//! `6 xi_c` (Schoenholz et al. 2017).

use super::Page;
use crate::plot::{
    SweepFigure,
    trainability::{Judged, Map, TRAINABLE},
};

pub fn render(page: &mut Page, map: &Map) {
    let mut ws: Vec<f64> = map.cells.iter().map(|c| c.0).collect();
    ws.sort_by(f64::total_cmp);
    ws.dedup();
    let judged = map.judged();
    let rows: Vec<Vec<String>> = ws
        .iter()
        .map(|&w| {
            let column: Vec<&Judged> = judged.iter().filter(|j| j.weight_var == w).collect();
            let deepest = column
                .iter()
                .filter(|j| j.observed)
                .map(|j| j.depth)
                .fold(None, |m: Option<f64>, d| Some(m.map_or(d, |m| m.max(d))));
            let tried = column.iter().map(|j| j.depth).fold(0.0, f64::max);
            vec![
                w.to_string(),
                map.six_xi_c_at(w)
                    .map_or("infinite (critical)".into(), |l| format!("{l:.1}")),
                deepest.map_or("none".into(), |d| format!("{d}")),
                tried.to_string(),
            ]
        })
        .collect();
    let agree = judged.iter().filter(|j| j.predicted == j.observed).count();
    let misses: Vec<String> = judged
        .iter()
        .filter(|j| j.predicted != j.observed)
        .map(|j| {
            format!(
                "sigma_w^2 {}, depth {}: {} but {}",
                j.weight_var,
                j.depth,
                if j.predicted {
                    "within 6 xi_c"
                } else {
                    "beyond 6 xi_c"
                },
                if j.observed {
                    "trainable"
                } else {
                    "not trainable"
                }
            )
        })
        .collect();
    page.heading(2, "Trainability and the depth scale")
        .figure("trainability", SweepFigure::Trainability.file())
        .paragraph(&format!(
            "Schoenholz et al. (2017) find deep networks trainable to about 6 xi_c layers, xi_c = -1/ln(chi_c) the depth over which \
             correlations between inputs are forgotten (mean-field theory, infinite width). Here a point counts as trainable when its \
             test accuracy reaches {:.0}% (twice chance).",
            100.0 * TRAINABLE
        ))
        .table(
            &[
                "sigma_w^2",
                "6 xi_c",
                "deepest trainable depth",
                "deepest depth tried",
            ],
            &rows,
        )
        .paragraph(&format!(
            "**{agree} of {} points** are on the side of 6 xi_c that the theory predicts (trainable within it, not beyond).{}",
            judged.len(),
            if misses.is_empty() {
                String::new()
            } else {
                format!(" The others: {}.", misses.join("; "))
            }
        ));
}
