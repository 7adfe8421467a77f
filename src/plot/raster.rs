//! `burstsim plot raster`: every spike of the chosen populations as a tick at (time, neuron), one
//! band per population (its node ids from 0 upwards, its name, size and mean rate at the right).
//! Spikes are streamed from the file into a pixel grid, so memory depends on the image, not on
//! the run. With `--classes`, event onsets (isolated spikes and first spikes of bursts) are blue
//! and burst onsets red over the black spikes (a burst's first spike is both: it is red).

use super::canvas::{de, tick, Area, FINE_GRID, FONT, LABEL, TICK, TITLE};
use super::data::{Input, Recorded};
use super::{Figure, PlotArgs, PlotError, Window};
use crate::names as n;
use plotters::prelude::*;

const SPIKES: Recorded = Recorded {
    group: n::SPIKES,
    what: "spikes",
    entity: "population",
    hint: "[output] spikes = true (the default) records them, for the populations of [output] populations \
           (default: all but Poisson sources)",
};

const CLASSES: Recorded = Recorded {
    group: n::EVENTS,
    what: "events and bursts (asked for by --classes)",
    entity: "population",
    hint: "[output] events_bursts = true (the default) records them, for populations with a burst detector \
           (not Poisson sources)",
};

/// Colour of each class of mark: 1 spike, 2 event onset, 3 burst onset (a higher one wins).
const CLASS_COLOURS: [RGBColor; 3] = [RGBColor(0, 0, 0), RGBColor(0, 90, 200), RGBColor(220, 30, 30)];

/// Longest tick, pixels (a tick spans most of its neuron's row, up to this).
const MAX_TICK: f64 = 10.0;

struct Band {
    name: String,
    offset: u64,
    n: u64,
}

/// The raster of `args.population` (or every population with spikes) over `w`.
pub(super) fn figure<'a>(input: &'a Input, args: &PlotArgs, w: Window) -> Result<Figure<'a>, PlotError> {
    let known = input.members_of(&[n::SPIKES, n::EVENTS, n::RATES]);
    let pops = input.select(&SPIKES, &known, args.population.as_deref())?;
    let classes = args.classes;
    if classes {
        for p in &pops {
            if !input.has(n::EVENTS, p) || !input.has(n::BURSTS, p) {
                let of = if pops.len() > 1 { format!(" for {p:?}") } else { String::new() };
                return Err(PlotError::NothingRecorded {
                    file: input.path.clone(),
                    what: CLASSES.what,
                    of,
                    hint: CLASSES.hint,
                });
            }
        }
    }
    let mut bands = Vec::new();
    let mut offset = 0;
    for name in pops {
        let n = input.n_nodes(&name)?;
        bands.push(Band { name, offset, n });
        offset += n;
    }
    let total = offset.max(1) as f64;
    let file_name = super::short_name(&input.path);
    let title = if classes {
        format!("{file_name}: spikes (black), event onsets (blue), burst onsets (red)")
    } else {
        format!("{file_name}: spikes")
    };
    let draw = move |area: &Area<'_>| -> Result<String, String> {
        let mut chart = ChartBuilder::on(area)
            .caption(title, (FONT, TITLE))
            .margin(12)
            .margin_right(150)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .build_cartesian_2d(w.t0..w.t1, 0f64..total)
            .map_err(de)?;
        let label = |y: &f64| node_label(&bands, *y);
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc("time (ms)")
            .y_desc("neuron (node id within its population)")
            .label_style((FONT, TICK))
            .light_line_style(FINE_GRID)
            .x_label_formatter(&tick)
            .axis_desc_style((FONT, LABEL))
            .y_label_formatter(&label)
            .draw()
            .map_err(de)?;
        let (width, height) = area.dim_in_pixel();
        let mut grid = vec![0u8; width as usize * height as usize];
        let mut mark = |t: f64, node: f64, class: u8| {
            let (x, top) = chart.backend_coord(&(t, node + 1.0));
            let (_, bottom) = chart.backend_coord(&(t, node));
            let row = (bottom - top) as f64;
            let len = (0.8 * row).clamp(1.0, MAX_TICK);
            let mid = 0.5 * (top + bottom) as f64;
            let (y0, y1) = ((mid - 0.5 * len).round() as i32, (mid + 0.5 * len).round() as i32 - 1);
            if x < 0 || x >= width as i32 {
                return;
            }
            for y in y0.max(0)..=y1.max(y0).min(height as i32 - 1) {
                let cell = &mut grid[y as usize * width as usize + x as usize];
                *cell = (*cell).max(class);
            }
        };
        let mut counts = Vec::new();
        for b in &bands {
            let spikes = input.stream(n::SPIKES, &b.name, (w.t0, w.t1), |t, i| mark(t, (b.offset + i) as f64, 1));
            counts.push(spikes.map_err(|e| e.to_string())?);
            if classes {
                for (group, class) in [(n::EVENTS, 2), (n::BURSTS, 3)] {
                    let marked =
                        input.stream(group, &b.name, (w.t0, w.t1), |t, i| mark(t, (b.offset + i) as f64, class));
                    marked.map_err(|e| e.to_string())?;
                }
            }
        }
        for (k, &class) in grid.iter().enumerate() {
            if class > 0 {
                let (x, y) = ((k % width as usize) as i32, (k / width as usize) as i32);
                area.draw_pixel((x, y), &CLASS_COLOURS[class as usize - 1]).map_err(de)?;
            }
        }
        // Band edges and names.
        let edge = RGBColor(150, 150, 150);
        for b in bands.iter().skip(1) {
            let y = b.offset as f64;
            chart.draw_series(LineSeries::new([(w.t0, y), (w.t1, y)], edge)).map_err(de)?;
        }
        let (xr, _) = chart.plotting_area().get_pixel_range();
        // Rates over the part of the window the data cover.
        let covered_s = (w.t1.min(input.t_stop_ms) - w.t0.max(input.t_start_ms)).max(0.0) * 1e-3;
        for (b, &count) in bands.iter().zip(&counts) {
            let (_, y_mid) = chart.backend_coord(&(w.t0, b.offset as f64 + 0.5 * b.n as f64));
            let rate = if covered_s > 0.0 && b.n > 0 {
                format!("{:.2} Hz", count as f64 / (b.n as f64 * covered_s))
            } else {
                "-".into()
            };
            let lines = [b.name.clone(), format!("{} neurons", b.n), rate];
            for (j, line) in lines.iter().enumerate() {
                let style = (FONT, if j == 0 { LABEL } else { TICK }).into_font().color(&BLACK);
                area.draw_text(line, &style, (xr.end + 10, y_mid - 24 + 18 * j as i32)).map_err(de)?;
            }
        }
        let spikes: u64 = counts.iter().sum();
        let names: Vec<&str> = bands.iter().map(|b| b.name.as_str()).collect();
        Ok(format!("raster of {} ({spikes} spikes), {}-{} ms", names.join(", "), w.t0, w.t1))
    };
    Ok(Figure { panels: 1, draw: Box::new(draw) })
}

/// The tick label at `y` of the stacked bands: the node id within the population whose band
/// holds it (integers only; the top edge is the last band's size).
fn node_label(bands: &[Band], y: f64) -> String {
    if (y - y.round()).abs() > 1e-6 || y < 0.0 {
        return String::new();
    }
    let y = y.round() as u64;
    match bands.iter().rev().find(|b| y >= b.offset) {
        Some(b) => format!("{}", y - b.offset),
        None => String::new(),
    }
}
