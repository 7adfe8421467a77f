//! The image: an RGB buffer drawn by plotters' bitmap backend, text in Noto Sans (compiled in,
//! so no font has to be installed), and the PNG written from it.

use super::text::{self, Canvas};
use super::PlotError;
use crate::record::Destination;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::io::Write;
use std::sync::OnceLock;

/// A drawing area of the whole image, in pixels.
pub(crate) type Area<'b> = DrawingArea<Canvas<'b>, Shift>;

/// Default width, pixels.
pub const WIDTH: u32 = 1200;
/// Default height, pixels, up to [`PANELS_IN_DEFAULT`] panels.
pub const HEIGHT: u32 = 800;
/// Panels that share the default height; each further one adds [`PANEL_HEIGHT`].
pub const PANELS_IN_DEFAULT: usize = 3;
/// Height of each panel beyond [`PANELS_IN_DEFAULT`], pixels.
pub const PANEL_HEIGHT: u32 = 240;

/// The font family every text uses (registered as Noto Sans Regular).
pub(crate) const FONT: &str = "sans-serif";
/// Caption size, pixels.
pub(crate) const TITLE: u32 = 22;
/// Axis descriptions and legends.
pub(crate) const LABEL: u32 = 17;
/// Tick labels.
pub(crate) const TICK: u32 = 14;

/// Line colours, one per series in turn (a colour-blind-safe qualitative set).
pub(crate) const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(230, 159, 0),
    RGBColor(120, 120, 120),
    RGBColor(0, 0, 0),
];

/// The fine grid between labelled ticks.
pub(crate) const FINE_GRID: RGBColor = RGBColor(242, 242, 242);

/// The legend of a panel: upper right, on a translucent white box with a black border.
pub(crate) fn legend<'a, 'b: 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, Canvas<'b>, CT>,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FONT, TICK))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(de)
}

/// A tick label: integers without a decimal point, other values with 6 significant digits and
/// no trailing zeros.
pub(crate) fn tick(v: &f64) -> String {
    let v = *v;
    if v == v.round() && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    let decimals = (5 - v.abs().log10().floor() as i32).clamp(0, 12) as usize;
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { &s };
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// The default height for a figure of `panels` panels.
pub fn default_height(panels: usize) -> u32 {
    let extra = panels.saturating_sub(PANELS_IN_DEFAULT).min(30) as u32;
    HEIGHT + PANEL_HEIGHT * extra
}

/// A plotting-library error as text.
pub(crate) fn de<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Registers the font with plotters (which measures text with it) once per process.
fn register_font() -> bool {
    static DONE: OnceLock<bool> = OnceLock::new();
    *DONE.get_or_init(|| plotters::style::register_font(FONT, FontStyle::Normal, ttf_noto_sans::REGULAR).is_ok())
}

/// Draws into a white RGB image of `size` and returns its pixels (3 bytes each, rows from the
/// top). `png` names the file in errors.
pub(crate) fn render(
    size: (u32, u32),
    png: &str,
    draw: impl FnOnce(&Area<'_>) -> Result<String, String>,
) -> Result<(Vec<u8>, String), PlotError> {
    let fail = |what: String| PlotError::Draw { file: png.to_string(), what };
    let font =
        text::font().filter(|_| register_font()).ok_or_else(|| fail("the compiled-in font cannot be read".into()))?;
    let mut pixels = vec![255u8; size.0 as usize * size.1 as usize * 3];
    let what = {
        let root = Canvas::new(&mut pixels, size, font).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(de(e)))?;
        let what = draw(&root).map_err(fail)?;
        root.present().map_err(|e| fail(de(e)))?;
        what
    };
    Ok((pixels, what))
}

/// Encodes `pixels` as an 8-bit RGB PNG into the file `dest` writes (created exclusively: never
/// over a file that appeared meanwhile); a file left half written is removed.
pub(crate) fn write_png(dest: &Destination, png: &str, size: (u32, u32), pixels: &[u8]) -> Result<(), PlotError> {
    let path = dest.writing();
    let fail = |cause: std::io::Error| PlotError::Write { file: png.to_string(), cause };
    let f = std::fs::OpenOptions::new().write(true).create_new(true).open(path).map_err(fail)?;
    let encode = || -> Result<(), std::io::Error> {
        let mut out = std::io::BufWriter::new(f);
        let mut enc = png::Encoder::new(&mut out, size.0, size.1);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(std::io::Error::other)?;
        w.write_image_data(pixels).map_err(std::io::Error::other)?;
        w.finish().map_err(std::io::Error::other)?;
        out.flush()
    };
    encode().map_err(|e| {
        let _ = std::fs::remove_file(path);
        fail(e)
    })
}
