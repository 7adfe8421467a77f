//! `burstsim plot rates`: one panel per population, its binned event rate and burst rate (Hz,
//! left axis) and burst probability (%, right axis; no point in a bin without events) at the
//! centre of each bin (`/rates/<pop>`, spec 2.2).

use super::canvas::{de, legend, tick, Area, FINE_GRID, FONT, LABEL, PALETTE, TICK, TITLE};
use super::data::{Input, Recorded};
use super::{Figure, PlotArgs, PlotError, Window};
use crate::names as n;
use plotters::prelude::*;

const RATES: Recorded = Recorded {
    group: n::RATES,
    what: "rates",
    entity: "population",
    hint: "[output] events_bursts = true (the default) records events, bursts and their binned rates, for \
           the populations of [output] populations that have a burst detector (not Poisson sources)",
};

/// The bins of one population inside the window.
struct Series {
    name: String,
    /// Bin centres, ms.
    t: Vec<f64>,
    er: Vec<f64>,
    br: Vec<f64>,
    /// Burst probability, % (NaN without events).
    bp: Vec<f64>,
}

/// The rates of `args.population` (or every population with rates) over `w`.
pub(super) fn figure<'a>(input: &'a Input, args: &PlotArgs, w: Window) -> Result<Figure<'a>, PlotError> {
    let known = input.members_of(&[n::SPIKES, n::EVENTS, n::RATES]);
    let pops = input.select(&RATES, &known, args.population.as_deref())?;
    let mut all = Vec::new();
    let mut bin_ms = None;
    for name in pops {
        let at = format!("/{}/{name}", n::RATES);
        let bin = input.attr_f64(&at, n::BIN_MS).unwrap_or(0.0);
        bin_ms = bin_ms.or(Some(bin));
        let time = input.read_f64(&format!("{at}/{}", n::TIME_MS))?;
        let er = input.read_f64(&format!("{at}/{}", n::EVENT_RATE))?;
        let br = input.read_f64(&format!("{at}/{}", n::BURST_RATE))?;
        let bp = input.read_f64(&format!("{at}/{}", n::BURST_PROB))?;
        let mut s = Series { name, t: vec![], er: vec![], br: vec![], bp: vec![] };
        for k in 0..time.len().min(er.len()).min(br.len()).min(bp.len()) {
            let centre = time[k] + 0.5 * bin;
            if w.contains(centre) {
                s.t.push(centre);
                s.er.push(er[k]);
                s.br.push(br[k]);
                s.bp.push(100.0 * bp[k]);
            }
        }
        all.push(s);
    }
    let title =
        format!("{}: event and burst rates per {} ms bin", super::short_name(&input.path), bin_ms.unwrap_or(0.0));
    let panels = all.len();
    let draw = move |area: &Area<'_>| -> Result<String, String> {
        let area = area.titled(&title, (FONT, TITLE)).map_err(de)?;
        for (panel, s) in area.split_evenly((all.len(), 1)).iter().zip(&all) {
            draw_panel(panel, s, w)?;
        }
        let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
        let bins: usize = all.iter().map(|s| s.t.len()).sum();
        Ok(format!("rates of {} ({bins} bins), {}-{} ms", names.join(", "), w.t0, w.t1))
    };
    Ok(Figure { panels, draw: Box::new(draw) })
}

fn draw_panel(area: &Area<'_>, s: &Series, w: Window) -> Result<(), String> {
    let top = s.er.iter().chain(&s.br).copied().filter(|v| v.is_finite()).fold(0.0, f64::max);
    let top = if top > 0.0 { 1.1 * top } else { 1.0 };
    let mut chart = ChartBuilder::on(area)
        .caption(&s.name, (FONT, LABEL))
        .margin(10)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .right_y_label_area_size(70)
        .build_cartesian_2d(w.t0..w.t1, 0f64..top)
        .map_err(de)?
        .set_secondary_coord(w.t0..w.t1, 0f64..100f64);
    chart
        .configure_mesh()
        .x_desc("time (ms)")
        .y_desc("rate (Hz)")
        .label_style((FONT, TICK))
        .light_line_style(FINE_GRID)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .axis_desc_style((FONT, LABEL))
        .draw()
        .map_err(de)?;
    chart
        .configure_secondary_axes()
        .y_desc("burst probability (%)")
        .label_style((FONT, TICK))
        .y_label_formatter(&tick)
        .axis_desc_style((FONT, LABEL))
        .draw()
        .map_err(de)?;
    let (c_er, c_br, c_bp) = (PALETTE[0], PALETTE[1], PALETTE[2]);
    let pts = |v: &[f64]| -> Vec<(f64, f64)> { s.t.iter().copied().zip(v.iter().copied()).collect() };
    chart
        .draw_series(LineSeries::new(pts(&s.er), c_er.stroke_width(2)))
        .map_err(de)?
        .label("event rate (Hz)")
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c_er.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(pts(&s.br), c_br.stroke_width(2)))
        .map_err(de)?
        .label("burst rate (Hz)")
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c_br.stroke_width(2)));
    // BP: one line per run of bins with events; a lone bin is a dot.
    let bp = pts(&s.bp);
    let mut first = true;
    for run in bp.split(|p| !p.1.is_finite()).filter(|r| !r.is_empty()) {
        let drawn = if run.len() == 1 {
            chart.draw_secondary_series(run.iter().map(|&p| Circle::new(p, 2, c_bp.filled()))).map_err(de)?
        } else {
            chart.draw_secondary_series(LineSeries::new(run.iter().copied(), c_bp)).map_err(de)?
        };
        if first {
            drawn
                .label("burst probability (%, right axis)")
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c_bp));
            first = false;
        }
    }
    legend(&mut chart)
}
