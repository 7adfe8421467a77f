//! Running a built model: the step loop with recording, progress, interruption and the finite-state
//! guard around it. The loop itself is a list of calls; all physics lives in `engine`.

use crate::engine::Instability;
use crate::model::Model;
use crate::record::provenance::{self, Stamp};
use crate::record::state_file::{SavedState, StateMeta, StateTarget};
use crate::record::{Destination, DestinationError, H5Recorder, Invocation, RecordError};
use crate::resume::{self, ResumeError};
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
    /// Save the run's state here at its end (also when stopped early), and every
    /// `save_every_ms` (replaced each time).
    pub save_state: Option<String>,
    /// Period of the saves, ms of simulated time (`None`: at the end only).
    pub save_every_ms: Option<f64>,
    /// Continue from this saved state (the model built with its seed, and for the whole run: its
    /// duration is where the continued run ends).
    pub restore: Option<SavedState>,
    /// Start from the learned weights of this file (a state file or an output file with full
    /// weights).
    pub weights_from: Option<String>,
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
    /// Occurs when a saved state or learned weights do not fit the model.
    #[error(transparent)]
    Resume(#[from] ResumeError),
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

/// Runs `model` to its end (or until `opts.stop` is set), writing the HDF5 output; with
/// `opts.restore`, from the saved state on.
pub fn run(mut model: Model, opts: RunOptions) -> Result<RunSummary, RunError> {
    // One thread unless asked: a step of a network of this project's size (~50 us) is too short
    // for more threads to pay off reliably (see `burstsim bench`), and on a busy machine the
    // per-step barriers cost more than they save.
    let threads = opts.threads.or(model.threads).unwrap_or(1);
    let path = opts.out.clone().unwrap_or_else(|| model.output.file.clone());
    let dt = model.network.dt_ms();
    let file = model.sources.first().map(|p| p.display().to_string()).unwrap_or_default();
    let mut warnings = model.warnings.clone();
    // The run's inputs are never written over: the model's files, and the state it resumes from
    // (which its own --save-state may replace, when asked with --force).
    let mut inputs = model.sources.clone();
    inputs.extend(opts.restore.iter().map(|s| s.path.clone().into()));
    inputs.extend(opts.weights_from.iter().map(Into::into));
    let state_target = match &opts.save_state {
        Some(s) if crate::record::destination::same_file(s, &path) => {
            return Err(ResumeError {
                file: s.clone(),
                what: "--save-state names the output file; give it a file of its own".into(),
            }
            .into())
        }
        Some(s) => Some(StateTarget::new(s, &model.sources, opts.force)?),
        None => None,
    };
    let dest = Destination::new(&path, &inputs, opts.force)?;
    if let Some(saved) = &opts.restore {
        resume::restore_network(&mut model.network, saved)?;
        if saved.meta.model_text != model.text {
            warnings.push(format!(
                "{}: the model file differs from the one this state was saved with; the run goes on with \
                 the new file's parameters (not a continuation of the saved run)",
                saved.path
            ));
        }
    }
    if let Some(f) = &opts.weights_from {
        let learned = crate::record::state_file::learned_weights(f)?;
        warnings.extend(resume::apply_weights(&mut model.network, &learned, f)?);
    }
    let start_step = model.network.steps_done();
    let end_step = model.n_steps;
    if end_step <= start_step {
        return Err(ResumeError {
            file: opts.restore.as_ref().map_or(String::new(), |s| s.path.clone()),
            what: format!(
                "the state was saved at {} ms, at or after the model's duration {} ms: pass --duration-ms T \
                 to run T ms more",
                start_step as f64 * dt,
                model.n_steps as f64 * dt
            ),
        }
        .into());
    }
    let save_every = opts.save_every_ms.map_or(0, |ms| ((ms / dt).round() as u64).max(1));
    let writing = dest.writing().to_string_lossy().into_owned();
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let mut referenced = model.referenced.clone();
    if let Some(s) = &opts.restore {
        referenced.push(crate::model::Referenced {
            role: "--restore".into(),
            name: s.path.clone(),
            path: s.path.clone().into(),
        });
    }
    if let Some(f) = &opts.weights_from {
        referenced.push(crate::model::Referenced { role: "--weights-from".into(), name: f.clone(), path: f.into() });
    }
    let stamp = Stamp { inputs: provenance::input_files(&referenced)?, threads, invocation: opts.invocation };
    let n_steps = end_step - start_step;
    let mut rec = H5Recorder::create(&writing, &model, n_steps as f64 * dt, &warnings, &stamp)?;
    if let Some(saved) = &opts.restore {
        resume::restore_recorder(&mut rec, saved)?;
    }
    let meta = StateMeta {
        step: 0,
        dt_ms: dt,
        seed: model.seed,
        model_text: model.text.clone(),
        version: crate::version().to_string(),
    };
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
        for step in start_step..end_step {
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
            let done = step + 1 - start_step;
            if done.is_multiple_of(CHECK_EVERY) || step + 1 == end_step {
                net.check_finite().map_err(|cause| RunError::Instability { file: file.clone(), dt_ms: dt, cause })?;
                if show_progress {
                    progress(&mut bar, start, done, n_steps, dt);
                }
            }
            if let Some(t) = &state_target {
                if save_every > 0 && done.is_multiple_of(save_every) && step + 1 < end_step {
                    net.check_finite().map_err(|cause| RunError::Instability {
                        file: file.clone(),
                        dt_ms: dt,
                        cause,
                    })?;
                    resume::save(t, net, &mut rec, &StateMeta { step: step + 1, ..meta.clone() })?;
                }
            }
        }
        Ok(())
    })();
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let t_ms = (net.steps_done() - start_step) as f64 * dt;
    let complete = result.is_ok() && !stopped;
    for w in saturated(net, &counts, net.steps_done() - start_step) {
        eprintln!("warning: {w}");
        warnings.push(w);
    }
    // The state at the end (also of an interrupted run: it can go on from there), unless the run
    // failed, when it may not be finite.
    let saved = match (&state_target, &result) {
        (Some(t), Ok(())) => resume::save(t, net, &mut rec, &StateMeta { step: net.steps_done(), ..meta }),
        _ => Ok(()),
    };
    // Close the file whatever happened, so it stays readable; report the first error.
    let closed = rec.finish(net, net.t_ms(), complete, &warnings);
    if closed.is_ok() {
        dest.commit()?;
    }
    result?;
    closed?;
    saved?;
    Ok(RunSummary {
        file: path,
        steps: net.steps_done() - start_step,
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
/// saturation experiment is legitimate). `counts` holds the spikes of each population over the
/// `steps` steps of this run.
fn saturated(net: &crate::engine::Network, counts: &[u64], steps: u64) -> Vec<String> {
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
