//! `burstsim plot`: a PNG of one kind of data in an output file, drawn in Rust (no Python):
//! a spike raster ([`raster`]), the binned event rate, burst rate and burst probability
//! ([`rates`]), recorded state variables ([`state`]) and the mean weight of plastic projections
//! ([`weights`]), all against time in ms over a window of the run. Reading and choosing what to
//! draw is in [`data`], the image and its PNG in [`canvas`].
//!
//! A PNG is never replaced without `--force` and never written over the file it draws (the
//! same rules as a run's output, [`crate::record::Destination`]); the image is drawn in memory and
//! written once it is whole.

mod canvas;
mod data;
mod raster;
mod rates;
mod state;
mod text;
mod weights;

use crate::record::destination::resolved;
use crate::record::{DestinationError, RecordError};
use std::path::PathBuf;

/// What `burstsim plot` draws.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlotKind {
    /// Spikes: time (ms) against neuron (node id), one band per population.
    Raster,
    /// Event and burst rates (Hz) and burst probability (%) per bin, one panel per population.
    Rates,
    /// `[[output.state]]` variables in their recorded units, one panel per variable.
    State,
    /// Mean weight (g_L) of each recorded projection at each snapshot.
    Weights,
}

/// Arguments of `burstsim plot`.
#[derive(clap::Args, Debug, Clone)]
pub struct PlotArgs {
    /// What to draw.
    #[arg(value_enum)]
    pub kind: PlotKind,
    /// A file written by `burstsim run`.
    pub file: String,
    /// Only this population (raster, rates), state group (state: a population or STP projection)
    /// or projection (weights).
    #[arg(long, alias = "projection")]
    pub population: Option<String>,
    /// Start of the window, ms (default 0).
    #[arg(long = "t0-ms", allow_hyphen_values = true)]
    pub t0_ms: Option<f64>,
    /// End of the window, ms (default: the end of the data, root attribute `t_stop_ms`).
    #[arg(long = "t1-ms", allow_hyphen_values = true)]
    pub t1_ms: Option<f64>,
    /// The PNG to write.
    #[arg(long)]
    pub png: String,
    /// Replace the PNG if it exists.
    #[arg(long)]
    pub force: bool,
    /// Raster: colour event onsets (isolated spikes and first spikes of bursts) blue and burst
    /// onsets red over the black spikes (needs events and bursts in the file).
    #[arg(long)]
    pub classes: bool,
    /// Width in pixels.
    #[arg(long, default_value_t = canvas::WIDTH, value_parser = clap::value_parser!(u32).range(300..=8000))]
    pub width: u32,
    /// Height in pixels (default 800, or 240 per panel beyond three).
    #[arg(long, value_parser = clap::value_parser!(u32).range(200..=8000))]
    pub height: Option<u32>,
}

/// Occurs when a plot cannot be made; every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// Occurs when the input is missing, unreadable or not a burstsim output file.
    #[error(transparent)]
    Input(#[from] RecordError),
    /// Occurs when `--population` names nothing the file records.
    #[error("{file}: no {entity} {name:?} in the file; it records {known}")]
    Unknown {
        /// The input file.
        file: String,
        /// "population", "projection", ...
        entity: &'static str,
        /// The name asked for.
        name: String,
        /// The names the file has, comma separated (or "none").
        known: String,
    },
    /// Occurs when the file holds none of the data the plot draws.
    #[error("{file}: no {what} recorded{of}; {hint}")]
    NothingRecorded {
        /// The input file.
        file: String,
        /// "spikes", "rates", ...
        what: &'static str,
        /// " for P" when one population was asked for, else empty.
        of: String,
        /// Which model key records it.
        hint: &'static str,
    },
    /// Occurs when the time window is empty or not finite.
    #[error("{file}: empty time window: --t0-ms {t0} must be below --t1-ms {t1} (the data cover 0 to {t_stop} ms)")]
    Window {
        /// The input file.
        file: String,
        /// Start, ms.
        t0: f64,
        /// End, ms.
        t1: f64,
        /// End of the data, ms.
        t_stop: f64,
    },
    /// Occurs when the PNG exists (without `--force`) or cannot replace the old one.
    #[error(transparent)]
    Destination(#[from] DestinationError),
    /// Occurs when the PNG path is the input file.
    #[error("{file}: the PNG would replace the file it is drawn from; choose another --png")]
    SameFile {
        /// The input file.
        file: String,
    },
    /// Occurs when drawing fails (a plotting-library error).
    #[error("{file}: cannot draw the plot: {what}")]
    Draw {
        /// The PNG.
        file: String,
        /// The library's message.
        what: String,
    },
    /// Occurs when the PNG cannot be written.
    #[error("{file}: cannot write the PNG: {cause}")]
    Write {
        /// The PNG.
        file: String,
        /// Why.
        cause: std::io::Error,
    },
}

/// What was drawn, for the line `burstsim plot` prints.
#[derive(Clone, Debug)]
pub struct PlotSummary {
    /// The PNG written.
    pub png: PathBuf,
    /// Width and height, pixels.
    pub size: (u32, u32),
    /// One line: what the figure shows.
    pub what: String,
}

/// The time window drawn, ms.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Window {
    pub t0: f64,
    pub t1: f64,
}

impl Window {
    fn contains(&self, t: f64) -> bool {
        t >= self.t0 && t <= self.t1
    }
}

/// Draws `args.kind` of `args.file` into `args.png`.
pub fn plot(args: &PlotArgs) -> Result<PlotSummary, PlotError> {
    let file = args.file.as_str();
    if resolved(args.png.as_ref()).is_some_and(|png| resolved(file.as_ref()) == Some(png)) {
        return Err(PlotError::SameFile { file: file.into() });
    }
    // Refused before anything is read: an existing PNG without --force.
    let dest = crate::record::Destination::new(&args.png, &[], args.force)?;
    let input = data::Input::open(file)?;
    let window = window(args, &input)?;
    let figure = match args.kind {
        PlotKind::Raster => raster::figure(&input, args, window)?,
        PlotKind::Rates => rates::figure(&input, args, window)?,
        PlotKind::State => state::figure(&input, args, window)?,
        PlotKind::Weights => weights::figure(&input, args, window)?,
    };
    let size = (args.width, args.height.unwrap_or_else(|| canvas::default_height(figure.panels)));
    let (pixels, what) = canvas::render(size, &args.png, figure.draw)?;
    canvas::write_png(&dest, &args.png, size, &pixels)?;
    dest.commit()?;
    Ok(PlotSummary { png: PathBuf::from(&args.png), size, what })
}

/// The window asked for, defaulting to the data's: `t_start_ms` (0 but for a continued run) to
/// `t_stop_ms`.
fn window(args: &PlotArgs, input: &data::Input) -> Result<Window, PlotError> {
    let t0 = args.t0_ms.unwrap_or(input.t_start_ms);
    let t1 = args.t1_ms.unwrap_or(input.t_stop_ms);
    if !(t0.is_finite() && t1.is_finite() && t0 < t1) {
        return Err(PlotError::Window { file: input.path.clone(), t0, t1, t_stop: input.t_stop_ms });
    }
    Ok(Window { t0, t1 })
}

/// A figure ready to draw: its panels (for the default height) and the drawing, which says what
/// it drew.
pub(crate) struct Figure<'a> {
    pub panels: usize,
    pub draw: Draw<'a>,
}

/// Draws a figure on the whole image; returns what it drew, or the plotting library's error.
pub(crate) type Draw<'a> = Box<dyn FnOnce(&canvas::Area<'_>) -> Result<String, String> + 'a>;

/// The file name of `path` without its folders, for titles.
fn short_name(path: &str) -> String {
    std::path::Path::new(path).file_name().map_or_else(|| path.to_string(), |f| f.to_string_lossy().into_owned())
}
