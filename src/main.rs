//! The `burstsim` command line: parses arguments, calls the library, prints errors.

use anyhow::Context;
use burstsim::engine::SCHEDULE;
use burstsim::model::{self, Overrides};
use burstsim::record::inspect;
use burstsim::run::{self, RunOptions};
use burstsim::synapse::Transmit;
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
        /// Worker threads (default: [simulation] threads, or all cores). Output does not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Validate a model file and print a summary (neurons, synapses, memory, the step schedule).
    Check {
        /// The model file (TOML).
        model: PathBuf,
    },
    /// Print per-population spike, event and burst statistics of an output file.
    Inspect {
        /// A file written by `burstsim run`.
        file: String,
    },
}

static STOP: AtomicBool = AtomicBool::new(false);

fn main() -> ExitCode {
    match real_main() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn real_main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { model: path, out, seed, duration_ms, threads, quiet } => {
            if threads == Some(0) {
                anyhow::bail!("--threads must be at least 1");
            }
            let m = model::load(&path, &Overrides { seed, duration_ms })?;
            // Ctrl-C / SIGTERM stop the loop; the file is then closed with what was recorded.
            ctrlc::set_handler(|| STOP.store(true, Ordering::Relaxed)).context("cannot install the signal handler")?;
            let summary = run::run(m, RunOptions { out, threads, quiet, stop: Some(&STOP) })?;
            if !quiet {
                eprintln!(
                    "{}: {:.1} ms simulated in {:.2} s ({:.3} x real time){}",
                    summary.file,
                    summary.t_ms,
                    summary.wall_s,
                    summary.wall_s / (summary.t_ms * 1e-3).max(1e-12),
                    if summary.complete { "" } else { ", interrupted" }
                );
            }
            Ok(if summary.complete { ExitCode::SUCCESS } else { ExitCode::from(130) })
        }
        Command::Check { model: path } => {
            let m = model::load(&path, &Overrides::default())?;
            print!("{}", check_summary(&m));
            Ok(ExitCode::SUCCESS)
        }
        Command::Inspect { file } => {
            let stats = inspect::inspect(&file)?;
            print!("{}", inspect::format_table(&stats));
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn check_summary(m: &model::Model) -> String {
    let net = &m.network;
    let mut s = String::new();
    if let Some(t) = &m.title {
        s += &format!("{t}\n");
    }
    s += &format!("dt {} ms, {} steps ({} ms), seed {}\n", net.dt_ms, m.n_steps, m.n_steps as f64 * net.dt_ms, m.seed);
    s += "populations:\n";
    let mut neurons = 0;
    for p in &net.populations {
        s += &format!(
            "  {:<32} {:<10} {:>8}{}\n",
            p.name,
            p.pop.kind_name(),
            p.pop.len(),
            if p.generated { "  (from [[input]])" } else { "" }
        );
        neurons += p.pop.len();
    }
    s += "projections:\n";
    for p in &net.projections {
        let c = &p.cfg;
        let stp = match &c.stp {
            None => String::new(),
            Some(s) => {
                format!(", stp U {} f {} tau_D {} ms tau_F {} ms u0 {}", s.u, s.f, s.tau_d_ms, s.tau_f_ms, s.u_init)
            }
        };
        let transmit = match c.transmit {
            Transmit::All => "",
            Transmit::Events => ", events only",
            Transmit::Bursts => ", bursts only",
        };
        s += &format!(
            "  {:<48} {:>10} synapses, w {}, delay {} steps{stp}{transmit}\n",
            p.name(),
            p.n_synapses(),
            c.weight,
            c.delay_steps
        );
    }
    s += &format!("currents: {}\n", net.currents.len());
    s += &format!("total: {} neurons and sources, {} synapses\n", neurons, net.n_synapses());
    s += &format!("estimated memory: {:.1} MiB\n", net.state_bytes() as f64 / (1 << 20) as f64);
    s += "schedule of one step:\n";
    for (i, ph) in SCHEDULE.iter().enumerate() {
        s += &format!("  {}. {:<9} {}\n", i + 1, ph.name, ph.what);
    }
    s
}
