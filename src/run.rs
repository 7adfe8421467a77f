//! Running a built model: the step loop with recording, progress, interruption and the finite-state
//! guard around it. The loop itself is a list of calls; all physics lives in `engine`.

use crate::engine::Instability;
use crate::model::Model;
use crate::record::provenance::{self, Stamp};
use crate::record::{Destination, DestinationError, H5Recorder, Invocation, RecordError};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How to run.
#[derive(Debug, Default)]
pub struct RunOptions<'a> {
    /// Output path (overrides the model's `[output] file`).
    pub out: Option<String>,
    /// Worker threads (overrides the model; default all cores).
    pub threads: Option<usize>,
    /// No progress bar.
    pub quiet: bool,
    /// Set from a signal handler to stop the run early; the file is then closed cleanly.
    pub stop: Option<&'a AtomicBool>,
    /// Measure the wall time of each phase of a step.
    pub timings: bool,
    /// Replace an existing output file (written beside it, renamed at the end).
    pub force: bool,
    /// The command line and its overrides, stored in the output (empty when not run from one).
    pub invocation: Invocation,
}

/// What a run did.
#[derive(Clone, Debug)]
pub struct RunSummary {
    /// Output file.
    pub file: String,
    /// Steps done.
    pub steps: u64,
    /// Simulated time, ms.
    pub t_ms: f64,
    /// Wall time, s.
    pub wall_s: f64,
    /// False when stopped early.
    pub complete: bool,
    /// Spikes per recorded population (name, count).
    pub spikes: Vec<(String, u64)>,
    /// Synaptic events delivered.
    pub synaptic_events: u64,
    /// Threads used.
    pub threads: usize,
    /// Wall time per phase of the step schedule (`engine::SCHEDULE`, recording included),
    /// seconds, when asked for.
    pub timings: Option<Vec<(&'static str, f64)>>,
    /// The warnings about the model and the run, as printed and stored in the file.
    pub warnings: Vec<String>,
}

/// A run that failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Occurs when the output cannot be written.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// Occurs when the state blows up; the file holds everything until then.
    #[error(
        "{file}: {cause}: the parameters of that population, the weights onto it or the currents into it \
         are too large for dt = {dt_ms} ms (the output file holds the run up to this point)"
    )]
    Instability {
        /// The model file.
        file: String,
        /// Time step, ms.
        dt_ms: f64,
        /// Where and when.
        cause: Instability,
    },
    /// Occurs when the output path would lose data (an existing file, an input of the run).
    #[error(transparent)]
    Destination(#[from] DestinationError),
    /// Occurs when the thread pool cannot start.
    #[error("cannot start {threads} worker threads: {reason}")]
    Threads {
        /// Requested threads.
        threads: usize,
        /// Why.
        reason: String,
    },
}

/// Steps between finite-state checks: cheap (one pass over the state) and soon enough to stop
/// before garbage fills the file.
const CHECK_EVERY: u64 = 1000;

/// Runs `model` to its end (or until `opts.stop` is set), writing the HDF5 output.
pub fn run(mut model: Model, opts: RunOptions) -> Result<RunSummary, RunError> {
    // One thread unless asked: a step of a network of this project's size (~50 us) is too short
    // for more threads to pay off reliably (see `burstsim bench`), and on a busy machine the
    // per-step barriers cost more than they save.
    let threads = opts.threads.or(model.threads).unwrap_or(1);
    let path = opts.out.clone().unwrap_or_else(|| model.output.file.clone());
    let dt = model.network.dt_ms();
    let file = model.sources.first().map(|p| p.display().to_string()).unwrap_or_default();
    let n_steps = model.n_steps;
    let dest = Destination::new(&path, &model.sources, opts.force)?;
    let writing = dest.writing().to_string_lossy().into_owned();
    let mut warnings = model.warnings.clone();
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let stamp = Stamp { inputs: provenance::input_files(&model.referenced)?, threads, invocation: opts.invocation };
    let mut rec = H5Recorder::create(&writing, &model, n_steps as f64 * dt, &warnings, &stamp)?;
    // spikes per population (all of them: the saturation check looks at every one)
    let mut counts = vec![0u64; model.network.n_populations()];
    let start = Instant::now();
    let mut bar: Option<indicatif::ProgressBar> = None;
    let show_progress = !opts.quiet && std::io::stderr().is_terminal();
    let net = &mut model.network;
    net.set_threads(threads).map_err(|e| RunError::Threads { threads, reason: e.to_string() })?;
    if opts.timings {
        net.enable_timings();
    }
    let recorded = &model.output.populations;
    let mut stopped = false;
    let result: Result<(), RunError> = (|| {
        for step in 0..n_steps {
            if opts.stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
                stopped = true;
                break;
            }
            net.step_observed(&mut rec)?;
            for (p, c) in counts.iter_mut().enumerate() {
                *c += net.last_spikes(p).len() as u64;
            }
            // Every CHECK_EVERY steps and at the last step, so short runs and the tail of a run
            // are checked too.
            if step % CHECK_EVERY == CHECK_EVERY - 1 || step + 1 == n_steps {
                net.check_finite().map_err(|cause| RunError::Instability { file: file.clone(), dt_ms: dt, cause })?;
                if show_progress {
                    progress(&mut bar, start, step + 1, n_steps, dt);
                }
            }
        }
        Ok(())
    })();
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let t_ms = net.steps_done() as f64 * dt;
    let complete = result.is_ok() && !stopped;
    for w in saturated(net, &counts) {
        eprintln!("warning: {w}");
        warnings.push(w);
    }
    // Close the file whatever happened, so it stays readable; report the first error.
    let closed = rec.finish(net, t_ms, complete, &warnings);
    if closed.is_ok() {
        dest.commit()?;
    }
    result?;
    closed?;
    Ok(RunSummary {
        file: path,
        steps: net.steps_done(),
        t_ms,
        wall_s: start.elapsed().as_secs_f64(),
        complete,
        spikes: recorded.iter().map(|&p| (net.info(p).name.clone(), counts[p])).collect(),
        synaptic_events: net.synaptic_events(),
        threads,
        timings: net.timings(),
        warnings,
    })
}

/// Sustained rates above this are beyond any cortical neuron (a spike and the absolute refractory
/// period take 1-2 ms), so a population faster than this is saturated whatever its kind allows.
const SATURATED_HZ: f64 = 500.0;

/// Populations whose mean rate over the run reached 80 % of their kind's maximum (the refractory
/// period, not the input, then sets the rate) or `SATURATED_HZ`: the drive (weights, currents)
/// saturates them, which is rarely what a model means, so `run` warns (and does not refuse: a
/// saturation experiment is legitimate). `counts` holds the spikes of each population.
fn saturated(net: &crate::engine::Network, counts: &[u64]) -> Vec<String> {
    let steps = net.steps_done();
    let mut out = Vec::new();
    for (p, &c) in counts.iter().enumerate() {
        let pop = net.population(p);
        let Some(min_steps) = pop.min_interval_steps() else { continue };
        if steps < 10 * min_steps as u64 || pop.is_empty() {
            continue;
        }
        let hz = c as f64 / (pop.len() as f64 * steps as f64 * net.dt_ms() * 1e-3);
        let max_hz = 1000.0 / (min_steps as f64 * net.dt_ms());
        if hz >= (0.8 * max_hz).min(SATURATED_HZ) {
            out.push(format!(
                "population {:?} fired at {hz:.0} Hz on average, at least {:.0} Hz (80 % of the {max_hz:.0} Hz \
                 its {} neurons can fire at this dt, or {SATURATED_HZ} Hz, more than cortical neurons sustain): \
                 its weights or currents drive it to saturation",
                net.info(p).name,
                (0.8 * max_hz).min(SATURATED_HZ),
                pop.kind_name(),
            ));
        }
    }
    out
}

/// Shows a progress bar once the run has taken more than a second.
fn progress(bar: &mut Option<indicatif::ProgressBar>, start: Instant, done: u64, total: u64, dt_ms: f64) {
    if bar.is_none() && start.elapsed() > Duration::from_secs(1) {
        let b = indicatif::ProgressBar::new(total);
        b.set_style(
            indicatif::ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {percent:>3}% sim {msg} eta {eta}")
                .expect("static template")
                .progress_chars("=> "),
        );
        *bar = Some(b);
    }
    if let Some(b) = bar {
        b.set_position(done);
        b.set_message(format!("{:.0} ms", done as f64 * dt_ms));
    }
}
