//! `burstsim plot weights`: the mean weight of each recorded projection (`/weights/<proj>/mean`,
//! in the file's unit, g_L) at each snapshot, one line per projection.

use super::canvas::{de, legend, tick, Area, FINE_GRID, FONT, LABEL, PALETTE, TICK, TITLE};
use super::data::{Input, Recorded};
use super::{Figure, PlotArgs, PlotError, Window};
use crate::names as n;
use plotters::prelude::*;

const WEIGHTS: Recorded = Recorded {
    group: n::WEIGHTS,
    what: "weights",
    entity: "projection",
    hint: "an [output.weights] table (every_ms = T) records the mean weight of every plastic projection",
};

/// Snapshots drawn with a dot as well as the line, at most.
const DOTS: usize = 200;

/// The mean weights of `args.population` (a projection; or every recorded one) over `w`.
pub(super) fn figure<'a>(input: &'a Input, args: &PlotArgs, w: Window) -> Result<Figure<'a>, PlotError> {
    let known = input.members(n::WEIGHTS);
    let projs = input.select(&WEIGHTS, &known, args.population.as_deref())?;
    let mut lines = Vec::new();
    let mut units = None;
    for name in projs {
        let at = format!("/{}/{name}", n::WEIGHTS);
        let mean_at = format!("{at}/{}", n::WEIGHT_MEAN);
        units = units.or_else(|| input.units(&mean_at));
        let time = input.read_f64(&format!("{at}/{}", n::TIME_MS))?;
        let mean = input.read_f64(&mean_at)?;
        let pts: Vec<(f64, f64)> =
            time.into_iter().zip(mean).filter(|&(t, v)| w.contains(t) && v.is_finite()).collect();
        lines.push((name, pts));
    }
    // Files written before the attribute: burstsim's weights are in g_L.
    let units = units.unwrap_or_else(|| n::WEIGHT_UNITS.to_string());
    let title = format!("{}: mean weight of each projection", super::short_name(&input.path));
    let draw = move |area: &Area<'_>| -> Result<String, String> {
        let values = lines.iter().flat_map(|(_, p)| p.iter().map(|q| q.1));
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
        let (lo, hi) = match hi - lo {
            d if !d.is_finite() => (0.0, 1.0),
            d if d <= 1e-12 * hi.abs().max(1e-12) => (lo - 0.05 * lo.abs().max(1e-3), hi + 0.05 * hi.abs().max(1e-3)),
            d => (lo - 0.08 * d, hi + 0.08 * d),
        };
        let mut chart = ChartBuilder::on(area)
            .caption(&title, (FONT, TITLE))
            .margin(12)
            .margin_right(30)
            .x_label_area_size(50)
            .y_label_area_size(90)
            .build_cartesian_2d(w.t0..w.t1, lo..hi)
            .map_err(de)?;
        chart
            .configure_mesh()
            .x_desc("time (ms)")
            .y_desc(format!("mean weight ({units})"))
            .label_style((FONT, TICK))
            .light_line_style(FINE_GRID)
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .axis_desc_style((FONT, LABEL))
            .draw()
            .map_err(de)?;
        for (k, (name, pts)) in lines.iter().enumerate() {
            let c = PALETTE[k % PALETTE.len()];
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)))
                .map_err(de)?
                .label(name)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c.stroke_width(2)));
            if pts.len() <= DOTS {
                chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, c.filled()))).map_err(de)?;
            }
        }
        legend(&mut chart)?;
        let names: Vec<&str> = lines.iter().map(|l| l.0.as_str()).collect();
        let snaps: usize = lines.iter().map(|l| l.1.len()).sum();
        Ok(format!("mean weights of {} ({snaps} snapshots), {}-{} ms", names.join(", "), w.t0, w.t1))
    };
    Ok(Figure { panels: 1, draw: Box::new(draw) })
}
