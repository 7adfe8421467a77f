//! `burstsim plot state`: the `[[output.state]]` samples of a group (`/state/<group>/<var>`,
//! samples x neurons), one panel per variable with its recorded unit on the axis, one line per
//! neuron for the first [`TRACES`] recorded neurons. Samples are read in blocks of rows; a window
//! with more samples than the image has columns is drawn as each column's minimum and maximum,
//! so no spike peak is lost and memory does not grow with the run.

use super::canvas::{de, legend, tick, Area, FINE_GRID, FONT, LABEL, PALETTE, TICK, TITLE};
use super::data::{Input, Recorded};
use super::{Figure, PlotArgs, PlotError, Window};
use crate::names as n;
use plotters::prelude::*;

const STATE: Recorded = Recorded {
    group: n::STATE,
    what: "state",
    entity: "state group (a population or projection)",
    hint: "an [[output.state]] entry (population = \"P\" or projection = \"J\", variables = [...]) records it",
};

/// Neurons drawn per panel, at most (the first ones recorded).
const TRACES: usize = 8;
/// Columns of the min/max envelope of a long window.
const COLUMNS: usize = 2000;
/// Rows read per block.
const BLOCK_ROWS: usize = 1 << 16;

/// One panel: a variable of a group, its unit and a line per neuron.
struct Panel {
    group: String,
    var: String,
    units: String,
    ids: Vec<u64>,
    lines: Vec<Vec<(f64, f64)>>,
}

/// The state of `args.population` (or every state group) over `w`.
pub(super) fn figure<'a>(input: &'a Input, args: &PlotArgs, w: Window) -> Result<Figure<'a>, PlotError> {
    let known = input.members_of(&[n::STATE, n::SPIKES, n::EVENTS, n::RATES]);
    let groups = input.select(&STATE, &known, args.population.as_deref())?;
    let mut panels = Vec::new();
    let mut recorded = Vec::new();
    for g in &groups {
        let at = format!("/{}/{g}", n::STATE);
        let time = input.read_f64(&format!("{at}/{}", n::TIME_MS))?;
        let ids = input.read_u64(&format!("{at}/{}", n::NODE_IDS))?;
        recorded.push(ids.len());
        let (a, b) = (time.partition_point(|&t| t < w.t0), time.partition_point(|&t| t <= w.t1));
        let k = ids.len().min(TRACES);
        for var in input.members(&at).into_iter().filter(|v| v != n::TIME_MS && v != n::NODE_IDS) {
            let path = format!("{at}/{var}");
            let units = input.units(&path).unwrap_or_else(|| "?".into());
            let lines = if k == 0 { vec![] } else { read_lines(input, &path, &time, (a, b), k, w)? };
            panels.push(Panel { group: g.clone(), var, units, ids: ids[..k].to_vec(), lines });
        }
    }
    if panels.is_empty() {
        return Err(PlotError::NothingRecorded {
            file: input.path.clone(),
            what: "state variables",
            of: String::new(),
            hint: STATE.hint,
        });
    }
    let shown: Vec<String> = groups
        .iter()
        .zip(&recorded)
        .map(|(g, &r)| if r > TRACES { format!("{g} (first {TRACES} of {r} neurons)") } else { g.clone() })
        .collect();
    let title = format!("{}: state of {}", super::short_name(&input.path), shown.join(", "));
    let count = panels.len();
    let draw = move |area: &Area<'_>| -> Result<String, String> {
        let area = area.titled(&title, (FONT, TITLE)).map_err(de)?;
        for (sub, p) in area.split_evenly((panels.len(), 1)).iter().zip(&panels) {
            draw_panel(sub, p, w)?;
        }
        let vars: Vec<String> = panels.iter().map(|p| format!("{}/{}", p.group, p.var)).collect();
        Ok(format!("state {}, {}-{} ms", vars.join(", "), w.t0, w.t1))
    };
    Ok(Figure { panels: count, draw: Box::new(draw) })
}

/// The first `k` columns of the dataset at `path` over rows `a..b`, as one line per column:
/// every sample, or the envelope of [`COLUMNS`] columns when there are more samples than that.
fn read_lines(
    input: &Input,
    path: &str,
    time: &[f64],
    (a, b): (usize, usize),
    k: usize,
    w: Window,
) -> Result<Vec<Vec<(f64, f64)>>, PlotError> {
    let ds = input.dataset(path)?;
    let envelope = b - a > 2 * COLUMNS;
    let mut lines = vec![Vec::new(); k];
    let mut bins = vec![vec![(f64::INFINITY, f64::NEG_INFINITY); COLUMNS]; if envelope { k } else { 0 }];
    let span = w.t1 - w.t0;
    for r0 in (a..b).step_by(BLOCK_ROWS) {
        let r1 = (r0 + BLOCK_ROWS).min(b);
        let block =
            ds.read_slice_2d::<f32, _>((r0..r1, 0..k)).map_err(input.read_err(&format!("cannot read {path}")))?;
        for (row, t) in (r0..r1).zip(&time[r0..r1]) {
            let col = (((t - w.t0) / span * COLUMNS as f64) as usize).min(COLUMNS - 1);
            for j in 0..k {
                let v = block[[row - r0, j]] as f64;
                if !v.is_finite() {
                    continue;
                }
                if envelope {
                    let cell = &mut bins[j][col];
                    *cell = (cell.0.min(v), cell.1.max(v));
                } else {
                    lines[j].push((*t, v));
                }
            }
        }
    }
    if envelope {
        for (line, cells) in lines.iter_mut().zip(&bins) {
            for (c, &(lo, hi)) in cells.iter().enumerate() {
                if lo <= hi {
                    let t = w.t0 + (c as f64 + 0.5) / COLUMNS as f64 * span;
                    line.extend([(t, lo), (t, hi)]);
                }
            }
        }
    }
    Ok(lines)
}

fn draw_panel(area: &Area<'_>, p: &Panel, w: Window) -> Result<(), String> {
    let values = p.lines.iter().flatten().map(|q| q.1);
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    let (lo, hi) = match hi - lo {
        d if !d.is_finite() => (0.0, 1.0),
        d if d <= 0.0 => (lo - 1.0, hi + 1.0),
        d => (lo - 0.05 * d, hi + 0.05 * d),
    };
    let mut chart = ChartBuilder::on(area)
        .caption(format!("{}: {}", p.group, p.var), (FONT, LABEL))
        .margin(10)
        .margin_right(30)
        .x_label_area_size(45)
        .y_label_area_size(80)
        .build_cartesian_2d(w.t0..w.t1, lo..hi)
        .map_err(de)?;
    chart
        .configure_mesh()
        .x_desc("time (ms)")
        .y_desc(format!("{} ({})", p.var, p.units))
        .label_style((FONT, TICK))
        .light_line_style(FINE_GRID)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .axis_desc_style((FONT, LABEL))
        .draw()
        .map_err(de)?;
    for (j, (line, id)) in p.lines.iter().zip(&p.ids).enumerate() {
        let c = PALETTE[j % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(line.iter().copied(), c))
            .map_err(de)?
            .label(format!("neuron {id}"))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c.stroke_width(2)));
    }
    if !p.lines.is_empty() {
        legend(&mut chart)?;
    }
    Ok(())
}
