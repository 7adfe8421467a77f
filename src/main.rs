//! The `burstsim` command line: parses arguments, calls the library, prints errors.

use anyhow::Context;
use burstsim::engine::SCHEDULE;
use burstsim::memory::{Bytes, Limit};
use burstsim::model::{self, Overrides};
use burstsim::rate::error::write_stdout;
use burstsim::rate::RateError;
use burstsim::record::inspect;
use burstsim::run::{self, RunOptions};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Parser)]
#[command(name = "burstsim", version, about = "Simulator for cortical circuits that learn with bursts")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a model file and write spikes, events, bursts and rates to HDF5.
    Run {
        /// The model file (TOML).
        model: PathBuf,
        /// Output file (default: the model's [output] file, or MODEL_NAME.h5).
        #[arg(long)]
        out: Option<String>,
        /// Master seed (overrides [simulation] seed).
        #[arg(long)]
        seed: Option<u64>,
        /// Simulated time in ms (overrides [simulation] duration_ms).
        #[arg(long = "duration-ms")]
        duration_ms: Option<f64>,
        /// Threads (default: [simulation] threads, or 1). Output does not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
        /// Print the wall time of each phase of a step.
        #[arg(long)]
        timings: bool,
        /// Replace the output file if it exists (the old one stays whole until the run ends).
        #[arg(long)]
        force: bool,
        /// Refuse, before allocating, a model whose estimated memory is above SIZE (8G, 512M;
        /// default: the machine's available memory).
        #[arg(long = "max-memory", value_name = "SIZE", value_parser = burstsim::memory::parse_size)]
        max_memory: Option<u64>,
        /// Save the run's state to FILE at its end (also when stopped early), to continue it with
        /// --restore: every neuron, synapse, weight, estimate, queued spike and random stream.
        #[arg(long = "save-state", value_name = "FILE")]
        save_state: Option<String>,
        /// With --save-state: also save every T ms of simulated time (the file is replaced each time).
        #[arg(long = "save-every-ms", value_name = "T", requires = "save_state")]
        save_every_ms: Option<f64>,
        /// Continue the run saved in FILE (by --save-state), bit-identically, with the model file it
        /// was saved from and its seed; --duration-ms then is the time to add (default: on to the
        /// model's duration_ms).
        #[arg(long, value_name = "FILE", conflicts_with = "weights_from")]
        restore: Option<String>,
        /// Start a new run from the learned weights in FILE (a state file, or an output file with
        /// [output.weights] full = true), matched by projection name; wiring and sizes must match.
        #[arg(long = "weights-from", value_name = "FILE")]
        weights_from: Option<String>,
    },
    /// Train a rate-level BurstCCN (or a baseline) from a config (see docs/rate.md).
    Train(burstsim::rate::cli::TrainArgs),
    /// Measure a population's ER, BR and BP against constant somatic and dendritic currents under
    /// its model's background, and fit the rate model's transfer functions.
    Transfer(burstsim::meanfield::cli::TransferArgs),
    /// The stationary ER and BP of every population and the drift of every plastic projection
    /// from transfer functions and wiring, without spikes (optionally beside a spiking run).
    Meanfield(burstsim::meanfield::cli::MeanfieldArgs),
    /// Print speed and memory figures (see DESIGN.md "Benchmarks").
    Bench(burstsim::bench::BenchArgs),
    /// Validate a model file and print a summary (neurons, synapses, memory, the step schedule).
    Check {
        /// The model file (TOML).
        model: PathBuf,
        /// Refuse, before building, a model whose estimated memory is above SIZE (8G, 512M;
        /// default: the machine's available memory).
        #[arg(long = "max-memory", value_name = "SIZE", value_parser = burstsim::memory::parse_size)]
        max_memory: Option<u64>,
        /// Print every parameter value in effect instead (defaults and the file's overrides, per
        /// population and projection, with units) and the [[phase]] entries.
        #[arg(long)]
        params: bool,
    },
    /// Print per-population spike, event and burst statistics of an output file.
    Inspect {
        /// A file written by `burstsim run`.
        file: String,
        /// Print how the file was made instead: version, command line, overrides, seed, duration,
        /// threads, the model text and every file it referred to (name, hash, text).
        #[arg(long)]
        provenance: bool,
    },
    /// Draw a raster, rates, state or weights of an output file into a PNG.
    Plot(burstsim::plot::PlotArgs),
}

static STOP: AtomicBool = AtomicBool::new(false);

fn main() -> ExitCode {
    match real_main() {
        Ok(code) => code,
        // the reader of standard output has gone (`| head -1`): it has all it wanted, so the
        // run ends quietly, as a program killed by SIGPIPE would, but with code 0
        Err(e) if e.chain().any(|c| c.downcast_ref::<RateError>().is_some_and(RateError::is_broken_pipe)) => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn real_main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            model: path,
            out,
            seed,
            duration_ms,
            threads,
            quiet,
            timings,
            force,
            max_memory,
            save_state,
            save_every_ms,
            restore,
            weights_from,
        } => {
            if let Some(t) = threads {
                check_threads(t)?;
            }
            if let Some(x) = save_every_ms {
                if !(x.is_finite() && x > 0.0) {
                    anyhow::bail!("--save-every-ms {x}: expected a positive period in ms");
                }
            }
            let restored = restore.as_deref().map(burstsim::record::state_file::read).transpose()?;
            let overrides = match &restored {
                None => Overrides { seed, duration_ms },
                Some(s) => {
                    if let Some(x) = seed.filter(|&x| x != s.meta.seed) {
                        anyhow::bail!(
                            "--seed {x}: the state in {} was saved by a run with seed {}, which a continued run keeps \
                             (its wiring and random streams come from it)",
                            s.path,
                            s.meta.seed
                        );
                    }
                    let dt = s.meta.dt_ms;
                    if let Some(x) =
                        duration_ms.filter(|x| !(x.is_finite() && *x > 0.0 && (x / dt - (x / dt).round()).abs() < 1e-6))
                    {
                        anyhow::bail!(
                            "--duration-ms {x}: expected a positive time to add, in ms, a multiple of dt = {dt} ms"
                        );
                    }
                    // --duration-ms adds to the saved time (the model is built for the whole run, so
                    // that its protocol covers it); without it the run goes on to the model's duration
                    let end = duration_ms.map(|x| (s.meta.step + (x / dt).round() as u64) as f64 * dt);
                    Overrides { seed: Some(s.meta.seed), duration_ms: end }
                }
            };
            let limit = Limit::new(max_memory).with_threads(threads);
            let m = model::load_limited(&path, &overrides, &limit)?;
            let estimated = m.memory.total(threads.or(m.threads).unwrap_or(1));
            // Ctrl-C / SIGTERM stop the loop; the file is then closed with what was recorded.
            ctrlc::set_handler(|| STOP.store(true, Ordering::Relaxed)).context("cannot install the signal handler")?;
            let mut invocation = invocation(&out, seed, duration_ms, threads);
            for (flag, v) in [("--restore", &restore), ("--weights-from", &weights_from)] {
                if let Some(v) = v {
                    invocation.overrides.push(format!("{flag} {v}"));
                }
            }
            let opts = RunOptions {
                out,
                threads,
                quiet,
                stop: Some(&STOP),
                timings,
                force,
                invocation,
                save_state,
                save_every_ms,
                restore: restored,
                weights_from,
            };
            let summary = run::run(m, opts)?;
            if let Some(t) = &summary.timings {
                let total: f64 = t.iter().map(|x| x.1).sum();
                for (name, secs) in t {
                    eprintln!("  {name:<10} {secs:8.3} s  {:5.1} %", 100.0 * secs / total.max(1e-12));
                }
            }
            if !quiet {
                eprintln!(
                    "{}: {:.1} ms simulated in {:.2} s ({:.3} x real time), peak memory {} (estimated {}){}",
                    summary.file,
                    summary.t_ms,
                    summary.wall_s,
                    summary.wall_s / (summary.t_ms * 1e-3).max(1e-12),
                    Bytes(burstsim::memory::peak_rss_kib() as f64 * 1024.0),
                    Bytes(estimated),
                    if summary.complete { "" } else { ", interrupted" }
                );
            }
            Ok(if summary.complete { ExitCode::SUCCESS } else { ExitCode::from(130) })
        }
        Command::Transfer(args) => {
            burstsim::meanfield::cli::transfer(&args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Meanfield(args) => {
            burstsim::meanfield::cli::meanfield(&args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Train(args) => {
            burstsim::rate::cli::train(&args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(args) => {
            // a closed standard output stays a RateError, which `main` ends quietly on
            burstsim::bench::bench(&args).map_err(|e| match e {
                burstsim::bench::BenchError::Rate(r) => anyhow::Error::from(r),
                e => e.into(),
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { model: path, max_memory, params } => {
            let m = model::load_limited(&path, &Overrides::default(), &Limit::new(max_memory))?;
            for w in &m.warnings {
                eprintln!("warning: {w}");
            }
            if params {
                print_stdout(&model::params::report(&m, &path.display().to_string())?)?;
                return Ok(ExitCode::SUCCESS);
            }
            print_stdout(&check_summary(&m, &model::params::as_written(&m, &path.display().to_string())?))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Plot(args) => {
            let s = burstsim::plot::plot(&args)?;
            print_stdout(&format!("{}: {} x {} pixels: {}\n", s.png.display(), s.size.0, s.size.1, s.what))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Inspect { file, provenance: true } => {
            print_stdout(&burstsim::record::provenance::format(&burstsim::record::provenance::read(&file)?))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Inspect { file, provenance: false } => {
            let stats = inspect::inspect(&file)?;
            print_stdout(&inspect::format_table(&stats))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The command line of this process and the options of `run` that replace a value of the model
/// file, for the output's provenance (an argument that is not UTF-8 is stored lossily).
fn invocation(
    out: &Option<String>,
    seed: Option<u64>,
    duration_ms: Option<f64>,
    threads: Option<usize>,
) -> burstsim::record::Invocation {
    let mut overrides = Vec::new();
    if let Some(o) = out {
        overrides.push(format!("--out {o}"));
    }
    if let Some(x) = seed {
        overrides.push(format!("--seed {x}"));
    }
    if let Some(x) = duration_ms {
        overrides.push(format!("--duration-ms {x}"));
    }
    if let Some(x) = threads {
        overrides.push(format!("--threads {x}"));
    }
    let command_line = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
    burstsim::record::Invocation { command_line, overrides }
}

/// Writes `text` to standard output: a write error (closed pipe, full device) is returned, as a
/// [`RateError::Stdout`], instead of making `print!` panic.
fn print_stdout(text: &str) -> anyhow::Result<()> {
    Ok(write_stdout(format_args!("{text}"))?)
}

/// `--threads`: 1 to 1024, the range of the model key `[simulation] threads`; a warning above the
/// number of cores, where the per-step barriers wait on the scheduler (issue 10 item 7).
fn check_threads(t: usize) -> anyhow::Result<()> {
    if !(1..=1024).contains(&t) {
        anyhow::bail!("--threads {t}: expected an integer from 1 to 1024");
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if t > cores {
        eprintln!(
            "warning: --threads {t} is above the {cores} cores of this machine: the run will be slower, not faster"
        );
    }
    Ok(())
}

/// The `[protocol]` in a few lines (not one per change): the windows, the epochs, what switches.
fn protocol_summary(net: &burstsim::engine::Network) -> String {
    use burstsim::engine::ExampleKind;
    let sched = net.examples();
    let Some(first) = sched.examples.first() else {
        return format!("timed changes: {}\n", net.protocol().len());
    };
    let dt = net.dt_ms();
    let count = |k: ExampleKind| sched.examples.iter().filter(|e| e.kind == k).count();
    let training = sched.examples.iter().find(|e| e.kind == ExampleKind::Training);
    let mut s = format!(
        "protocol: {} patterns ({}); burn-in {} ms; {} test examples before, {} training examples ({} epochs), \
         {} after\n",
        sched.patterns.len(),
        sched.patterns.join(", "),
        first.start_step as f64 * dt,
        count(ExampleKind::TestBefore),
        count(ExampleKind::Training),
        sched.epochs,
        count(ExampleKind::TestAfter),
    );
    if let Some(e) = training {
        let l = e.learn_step.unwrap_or(e.end_step);
        s += &format!(
            "  each training example: {} ms prediction (plasticity and teachers off), then {} ms learning \
             (plasticity on, teachers on with the pattern's targets)\n",
            (l - e.start_step) as f64 * dt,
            (e.end_step - l) as f64 * dt
        );
    }
    if let Some(last) = sched.examples.last() {
        s += &format!(
            "  examples end at {} ms; {} timed changes in all\n",
            last.end_step as f64 * dt,
            net.protocol().len()
        );
    }
    s
}

fn check_summary(m: &model::Model, written: &model::params::AsWritten) -> String {
    let net = &m.network;
    let mut s = String::new();
    if let Some(t) = &m.title {
        s += &format!("{t}\n");
    }
    let dt = net.dt_ms();
    s += &format!("dt {} ms, {} steps ({} ms), seed {}\n", dt, m.n_steps, m.n_steps as f64 * dt, m.seed);
    if !m.template.is_empty() {
        s += "template:\n";
        for line in &m.template {
            s += &format!("  {line}\n");
        }
    }
    s += "populations:\n";
    let mut neurons = 0;
    for i in 0..net.n_populations() {
        let (info, pop) = (net.info(i), net.population(i));
        s += &format!(
            "  {:<32} {:<10} {:>8}{}\n",
            info.name,
            // the kind as the file writes it (pv and sst build AdEx populations)
            written.kinds.get(&info.name).copied().unwrap_or(pop.kind_name()),
            pop.len(),
            if info.generated { "  (from [[input]])" } else { "" }
        );
        neurons += pop.len();
    }
    s += "projections:\n";
    for p in net.projections() {
        let connect = written.connect.get(p.name()).map(|c| format!(", {c}")).unwrap_or_default();
        s += &format!("  {:<48} {:>10} synapses{connect}, {}\n", p.name(), p.n_synapses(), p.describe());
    }
    s += &format!("currents: {}\n", net.currents().len());
    for t in net.teachers() {
        s += &format!(
            "teacher {:?}: into the {} of {:?}: {}\n",
            t.name,
            format!("{:?}", t.compartment).to_lowercase(),
            net.info(t.target.0 as usize).name,
            t.describe()
        );
    }
    s += &protocol_summary(net);
    s += &format!("total: {} neurons and sources, {} synapses\n", neurons, net.n_synapses());
    let est = &m.memory;
    s += &format!(
        "estimated memory: {} (peak, incl. process), of which network state {}, recording {}{}\n",
        Bytes(est.total(m.threads.unwrap_or(1))),
        Bytes(est.network_bytes()),
        Bytes(est.recording),
        est.largest().map(|(name, b)| format!("; largest part: {name}, {}", Bytes(*b))).unwrap_or_default()
    );
    s += "recordable state ([[output.state]] variables, units):\n";
    let mut kinds: Vec<&str> = Vec::new();
    for i in 0..net.n_populations() {
        let pop = net.population(i);
        if kinds.contains(&pop.kind_name()) || pop.recordables().is_empty() {
            continue;
        }
        kinds.push(pop.kind_name());
        let vars: Vec<String> = pop.recordables().iter().map(|r| format!("{} ({})", r.name, r.units)).collect();
        s += &format!("  {:<14} {}\n", pop.kind_name(), vars.join(", "));
    }
    if net.projections().iter().any(|p| p.stp().is_some()) {
        let vars: Vec<String> =
            burstsim::synapse::Stp::recordables().iter().map(|r| format!("{} ({})", r.name, r.units)).collect();
        s += &format!("  {:<14} {} (per presynaptic neuron)\n", "stp projection", vars.join(", "));
    }
    s += "schedule of one step:\n";
    for (i, ph) in SCHEDULE.iter().enumerate() {
        s += &format!("  {}. {:<9} {}\n", i + 1, ph.name(), ph.what());
    }
    s
}
