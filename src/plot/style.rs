//! The look shared by every figure: the embedded font, sizes and colour-blind-safe colours.

use std::sync::Once;

use plotters::{
    chart::{ChartContext, SeriesLabelPosition},
    coord::CoordTranslate,
    drawing::DrawingAreaErrorKind,
    prelude::DrawingBackend,
    style::{BLACK, Color, FontStyle, RGBColor, WHITE},
};

/// DejaVu Sans, embedded so figures render the same on a machine without fonts.
const FONT: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");

pub const FAMILY: &str = "sans-serif";
pub const TITLE_SIZE: u32 = 26;
pub const LABEL_SIZE: u32 = 20;
pub const TICK_SIZE: u32 = 16;

/// Okabe-Ito colours, one per variant in declaration order, then five more for sweeps of many.
const PALETTE: [RGBColor; 12] = [
    RGBColor(213, 94, 0),
    RGBColor(0, 114, 178),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
    RGBColor(117, 112, 179),
    RGBColor(166, 118, 29),
    RGBColor(153, 153, 153),
    RGBColor(102, 166, 30),
    RGBColor(231, 41, 138),
];

/// Class 0 and class 1.
pub const CLASS_COLORS: [RGBColor; 2] = [RGBColor(0, 114, 178), RGBColor(213, 94, 0)];

/// Ten classes, distinguishable (Tableau 10).
const CLASS_PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// A class's colour: the two-class colours for two classes, else the ten-class palette.
pub fn class_color(class: u8, classes: usize) -> RGBColor {
    if classes <= 2 {
        CLASS_COLORS[usize::from(class).min(1)]
    } else {
        CLASS_PALETTE[usize::from(class) % CLASS_PALETTE.len()]
    }
}

pub fn variant_color(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// Registers the embedded font once per process.
pub fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for style in [FontStyle::Normal, FontStyle::Bold] {
            plotters::style::register_font(FAMILY, style, FONT)
                .unwrap_or_else(|_| panic!("the embedded font is valid"));
        }
    });
}

/// `P(class 1)` in `[0, 1]` to a colour: class-0 blue through white to class-1 orange, in
/// `levels` bands like a filled contour plot.
pub fn probability_color(p: f64, levels: usize) -> RGBColor {
    let p = ((p.clamp(0.0, 1.0) * levels as f64)
        .floor()
        .min(levels as f64 - 1.0)
        + 0.5)
        / levels as f64;
    let (end, t) = if p < 0.5 {
        (CLASS_COLORS[0], 1.0 - 2.0 * p)
    } else {
        (CLASS_COLORS[1], 2.0 * p - 1.0)
    };
    let mix = |c: u8| (255.0 + (f64::from(c) - 255.0) * t * 0.85).round() as u8;
    RGBColor(mix(end.0), mix(end.1), mix(end.2))
}

/// `(min, max)` of finite values, padded by `pad` of the span.
pub fn padded_range(values: impl IntoIterator<Item = f64>, pad: f64) -> (f64, f64) {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let span = (hi - lo).max(1e-9);
    (lo - pad * span, hi + pad * span)
}

/// The legend every figure uses: a framed, slightly transparent box at `position`.
pub fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
    font_size: u32,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    chart
        .configure_series_labels()
        .position(position)
        .label_font((FAMILY, font_size))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
}

/// A filled band between an upper edge (left to right) and a lower edge (right to left).
pub fn band_polygon(
    upper: impl Iterator<Item = (f64, f64)>,
    lower_reversed: impl Iterator<Item = (f64, f64)>,
    color: RGBColor,
) -> plotters::element::Polygon<(f64, f64)> {
    plotters::element::Polygon::new(
        upper.chain(lower_reversed).collect::<Vec<_>>(),
        color.mix(0.18).filled(),
    )
}

/// The label of the cell centred at `at` on an axis of unit cells (cell i spans i..i+1), or
/// nothing between centres: asked for 2n+1 labels, plotters puts one at every half unit.
pub fn cell_label(values: &[String], at: f64) -> String {
    let shifted = at - 0.5;
    let i = shifted.round();
    if (shifted - i).abs() < 1e-6 && i >= 0.0 {
        values.get(i as usize).cloned().unwrap_or_default()
    } else {
        String::new()
    }
}
