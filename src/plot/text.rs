//! The drawing backend: plotters' bitmap backend with text drawn here from the compiled-in font.
//! plotters 0.3.7's own ab_glyph text places each glyph at its advance without its left side
//! bearing (letters drift apart and together: "ac tive"); this lays glyphs out at their outline's
//! pixel bounds, with kerning, in the box plotters measured for the text, so its layout (axis
//! label areas, centred captions) still fits.

use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};
use plotters::backend::{BitMapBackend, DrawingBackend};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind};

/// Noto Sans Regular (Apache-2.0, from the ttf-noto-sans crate).
pub(crate) fn font() -> Option<FontRef<'static>> {
    FontRef::try_from_slice(ttf_noto_sans::REGULAR).ok()
}

/// A bitmap backend whose text is drawn with [`draw_glyphs`].
pub(crate) struct Canvas<'a> {
    inner: BitMapBackend<'a>,
    font: FontRef<'static>,
}

impl<'a> Canvas<'a> {
    /// Draws into `pixels` (RGB, rows from the top) of `size`.
    pub fn new(pixels: &'a mut [u8], size: (u32, u32), font: FontRef<'static>) -> Self {
        Canvas { inner: BitMapBackend::with_buffer(pixels, size), font }
    }
}

type Error<'a> = DrawingErrorKind<<BitMapBackend<'a> as DrawingBackend>::ErrorType>;

/// Calls `put(x, y, coverage)` for every pixel of `text` at `size` pixels, laid out from (0, 0)
/// with the baseline at the font's ascent.
fn draw_glyphs(font: &FontRef<'static>, size: f32, text: &str, mut put: impl FnMut(i32, i32, f32)) {
    let scaled = font.as_scaled(PxScale::from(size));
    let mut caret = 0.0f32;
    let mut prev = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            caret += scaled.kern(p, id);
        }
        let glyph = id.with_scale_and_position(size, point(caret, scaled.ascent()));
        if let Some(outline) = font.outline_glyph(glyph) {
            let b = outline.px_bounds();
            outline.draw(|x, y, cov| put(b.min.x as i32 + x as i32, b.min.y as i32 + y as i32, cov));
        }
        caret += scaled.h_advance(id);
        prev = Some(id);
    }
}

impl<'a> DrawingBackend for Canvas<'a> {
    type ErrorType = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), Error<'a>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), Error<'a>> {
        self.inner.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), Error<'a>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(&mut self, from: BackendCoord, to: BackendCoord, style: &S) -> Result<(), Error<'a>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Error<'a>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Result<(), Error<'a>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    /// The text in the box plotters measured for it (`layout_box`), anchored and rotated as the
    /// style says (the same placement as plotters' default `draw_text`).
    fn draw_text<T: BackendTextStyle>(&mut self, text: &str, style: &T, pos: BackendCoord) -> Result<(), Error<'a>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let ((min_x, min_y), (max_x, max_y)) =
            style.layout_box(text).map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let (width, height) = (max_x - min_x, max_y - min_y);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let trans = style.transform();
        let mut result = Ok(());
        let font = self.font.clone();
        draw_glyphs(&font, style.size() as f32, text, |x, y, cov| {
            let (x, y) = trans.transform(x + dx, y + dy);
            let c = BackendColor { alpha: color.alpha * cov.clamp(0.0, 1.0) as f64, rgb: color.rgb };
            if result.is_ok() && c.alpha > 0.0 {
                result = self.inner.draw_pixel((pos.0 + x, pos.1 + y), c);
            }
        });
        result
    }
}
