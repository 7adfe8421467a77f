//! `burstsim bench NAME`: speed and memory figures of the benchmark networks (DESIGN.md
//! "Benchmarks", issue 11 item 2), one line per (benchmark, thread count) with the minimum and the
//! median of `--runs` runs.
//!
//! Every measurement runs in a child process of the same binary (`bench NAME --child run|build`,
//! hidden options): the peak resident memory (VmHWM) is only measurable per process, so one child
//! per run keeps each figure its own and runs from contaminating each other (allocator caches,
//! the previous run's peak). The child prints one line of `key=value` pairs on standard output;
//! the parent parses it, interleaves the thread counts run by run (so drift in the machine's load
//! hits them alike) and prints the summary lines.

use crate::model::{self, ModelError, Overrides};
use crate::rate::RateError;
use crate::run::{self, RunError, RunOptions};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The benchmarks of `burstsim bench`, in the order `all` runs them: name and model file (none
/// for the rate-level `mnist_epoch`).
pub const BENCHMARKS: &[(&str, Option<&str>)] = &[
    ("coba", Some("models/coba.toml")),
    ("coba40k", Some("models/coba40k.toml")),
    ("multiplexing", Some("models/multiplexing.toml")),
    ("plastic", Some("models/plasticity_rule.toml")),
    ("xor", Some("models/xor.toml")),
    ("mnist_epoch", None),
];

/// Simulated time of a benchmark whose model runs for hours, ms: the XOR protocol's burn-in, its
/// test before training and its first training epoch (70 s of 16 070 s, with four learning
/// windows), unless `--duration-ms` says otherwise.
fn default_duration_ms(name: &str) -> Option<f64> {
    (name == "xor").then_some(70_000.0)
}

/// Arguments of `burstsim bench`.
#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// Which benchmark: coba (models/coba.toml), coba40k (models/coba40k.toml), multiplexing (the
    /// Fig. 3 network, models/multiplexing.toml), plastic (models/plasticity_rule.toml, 170 s), xor
    /// (models/xor.toml, spec 7.4: its first 70 s, burn-in, test and one epoch), mnist_epoch
    /// (one epoch of rate-level BurstCCN training on MNIST; one line per thread count, one run), or
    /// all (each in that order).
    pub name: String,
    /// MNIST directory (mnist_epoch).
    #[arg(long, default_value = "../shared/data/mnist")]
    pub data: PathBuf,
    /// Model file replacing the benchmark's own (one spiking benchmark only).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Thread counts to measure, e.g. 1,2.
    #[arg(long, value_delimiter = ',', default_values_t = vec![1usize, 2],
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024))]
    pub threads: Vec<usize>,
    /// Runs per thread count; each line gives the minimum and the median over them.
    #[arg(long, default_value_t = 3, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub runs: usize,
    /// Simulated time in ms (default: the model's).
    #[arg(long = "duration-ms")]
    pub duration_ms: Option<f64>,
    /// Internal: do one measurement in this process and print it as `key=value` pairs.
    #[arg(long, hide = true, value_enum)]
    pub child: Option<ChildMode>,
    /// Internal (`--child build`): multiply every connection probability by this factor.
    #[arg(long = "p-scale", hide = true, default_value_t = 1.0)]
    pub p_scale: f64,
}

/// What a child process measures.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildMode {
    /// Build the model and run it (one thread count), recording to a temporary file.
    Run,
    /// Build the model and exit, without stepping.
    Build,
}

/// A benchmark that failed.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// Occurs when the name is not one of [`BENCHMARKS`] or `all`.
    #[error("unknown benchmark `{0}`; expected one of: {list}, all", list = BENCHMARKS.iter().map(|b| b.0).collect::<Vec<_>>().join(", "))]
    Unknown(String),
    /// Occurs when the options do not fit together.
    #[error("{0}")]
    Usage(String),
    /// Occurs when the model file is not valid.
    #[error(transparent)]
    Model(Box<ModelError>),
    /// Occurs when a run fails.
    #[error(transparent)]
    Run(Box<RunError>),
    /// Occurs in the rate-level benchmark, and when standard output cannot be written.
    #[error(transparent)]
    Rate(#[from] RateError),
    /// Occurs when a child process cannot start, fails or prints no figures.
    #[error("bench {name}: the {what} process failed: {reason}")]
    Child {
        /// The benchmark.
        name: String,
        /// What it measured ("run, 2 threads", "build").
        what: String,
        /// Exit status and the end of its standard error.
        reason: String,
    },
}

impl From<ModelError> for BenchError {
    fn from(e: ModelError) -> Self {
        BenchError::Model(Box::new(e))
    }
}

impl From<RunError> for BenchError {
    fn from(e: RunError) -> Self {
        BenchError::Run(Box::new(e))
    }
}

/// `burstsim bench`.
pub fn bench(args: &BenchArgs) -> Result<(), BenchError> {
    if let Some(mode) = args.child {
        return child(args, mode);
    }
    let names: Vec<&str> = if args.name == "all" {
        BENCHMARKS.iter().map(|b| b.0).collect()
    } else {
        vec![BENCHMARKS.iter().find(|b| b.0 == args.name).ok_or_else(|| BenchError::Unknown(args.name.clone()))?.0]
    };
    if args.model.is_some() && (names.len() != 1 || names[0] == "mnist_epoch") {
        return Err(BenchError::Usage("--model replaces the model file of one spiking benchmark, not of `all`".into()));
    }
    for name in names {
        match model_path(args, name) {
            Some(path) => bench_spiking(args, name, &path)?,
            None => crate::rate::cli::bench_mnist_epoch(&args.data, &args.threads, args.runs, false)?,
        }
    }
    Ok(())
}

/// The model file of benchmark `name`: `--model`, or the benchmark's own; none for mnist_epoch.
fn model_path(args: &BenchArgs, name: &str) -> Option<PathBuf> {
    let own = BENCHMARKS.iter().find(|b| b.0 == name).and_then(|b| b.1)?;
    Some(args.model.clone().unwrap_or_else(|| PathBuf::from(own)))
}

/// One spiking benchmark: the two build children for bytes per synapse, then `runs` run children
/// per thread count, then one line per thread count.
fn bench_spiking(args: &BenchArgs, name: &str, path: &Path) -> Result<(), BenchError> {
    let mut seen = HashSet::new();
    let per_synapse = bytes_per_synapse(name, path, &mut seen)?;
    let mut runs: BTreeMap<usize, Vec<Figures>> = BTreeMap::new();
    for _ in 0..args.runs {
        for &t in &args.threads {
            let mut extra = vec!["--threads".to_string(), t.to_string()];
            if let Some(d) = args.duration_ms.or(default_duration_ms(name)) {
                extra.extend(["--duration-ms".to_string(), d.to_string()]);
            }
            let out = spawn(name, path, ChildMode::Run, &extra, &format!("run, {t} threads"), &mut seen)?;
            runs.entry(t).or_default().push(Figures::from_child(&out, name, t)?);
        }
    }
    for (t, figs) in &runs {
        let f = |get: fn(&Figures) -> f64| {
            let v: Vec<f64> = figs.iter().map(get).collect();
            (min(&v), median(&v))
        };
        let (rtf_min, rtf_med) = f(|x| x.wall_s / x.sim_s);
        let (ev_min, ev_med) = f(|x| x.syn_events / x.wall_s);
        let (nu_min, nu_med) = f(|x| x.neuron_updates / x.wall_s);
        let (rss_min, rss_med) = f(|x| x.peak_rss_kib / 1024.0);
        let per_syn = match &per_synapse {
            Ok(b) => format!("bytes_per_synapse={b:.2}"),
            Err(why) => format!("bytes_per_synapse=n/a  # {why}"),
        };
        crate::outln!(
            "{name} threads={t} runs={} sim_s={:.3} rtf_min={rtf_min:.4} rtf_med={rtf_med:.4} \
             syn_events_per_s_min={ev_min:.3e} syn_events_per_s_med={ev_med:.3e} \
             neuron_updates_per_s_min={nu_min:.3e} neuron_updates_per_s_med={nu_med:.3e} \
             peak_rss_mib_min={rss_min:.1} peak_rss_mib_med={rss_med:.1} synapses={} {per_syn}",
            figs.len(),
            figs[0].sim_s,
            figs[0].synapses
        )?;
    }
    Ok(())
}

/// Bytes per synapse from two sizes: the peak resident memory of two child processes that build
/// the model and exit without stepping, once as written and once with every connection
/// probability doubled, divided into the difference of their synapse counts:
/// (RSS2 - RSS1) / (syn2 - syn1). The difference cancels what does not grow with the synapses (the
/// process and its libraries, the neurons and sources, one-to-one and all-to-all projections,
/// spike histories), so the figure is what one more synapse of a probability-connected projection
/// costs at its peak while building (CSR rows and weights, plus any per-synapse plasticity state
/// and the builder's transient buffers), averaged over this model's projections. Doubling p rather
/// than the population sizes keeps the neurons fixed, which would otherwise add their state to the
/// difference. `Err` says why two sizes are not meaningful for this model.
fn bytes_per_synapse(name: &str, path: &Path, seen: &mut HashSet<String>) -> Result<Result<f64, String>, BenchError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ModelError::Read { file: path.display().to_string(), reason: e.to_string() })?;
    if let Err(why) = scale_connection_probability(&text, 2.0) {
        return Ok(Err(why));
    }
    let mut build = |scale: f64| -> Result<Figures, BenchError> {
        let extra = ["--p-scale".to_string(), scale.to_string()];
        let out = spawn(name, path, ChildMode::Build, &extra, &format!("build (p x {scale})"), seen)?;
        Figures::from_child(&out, name, 0)
    };
    let (one, two) = (build(1.0)?, build(2.0)?);
    if two.synapses <= one.synapses {
        return Ok(Err("doubling p added no synapses".into()));
    }
    Ok(Ok((two.peak_rss_kib - one.peak_rss_kib) * 1024.0 / (two.synapses - one.synapses) as f64))
}

/// `text` with every `connect = { p = .. }` of a `[[projection]]` multiplied by `factor`; `Err`
/// when no projection has a connection probability (one-to-one and all-to-all do not scale) or
/// one would exceed 1.
pub fn scale_connection_probability(text: &str, factor: f64) -> Result<String, String> {
    let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.message().to_string())?;
    let mut scaled = 0;
    if let Some(toml::Value::Array(projections)) = table.get_mut("projection") {
        for (i, proj) in projections.iter_mut().enumerate() {
            let Some(toml::Value::Table(connect)) = proj.get_mut("connect") else { continue };
            let Some(p) = connect.get_mut("p") else { continue };
            let old = match p {
                toml::Value::Float(x) => *x,
                toml::Value::Integer(x) => *x as f64,
                _ => continue,
            };
            if old * factor > 1.0 {
                return Err(format!(
                    "two sizes not meaningful: projection {} has p = {old}, above 1 x {factor}",
                    i + 1
                ));
            }
            *p = toml::Value::Float(old * factor);
            scaled += 1;
        }
    }
    if scaled == 0 {
        return Err("two sizes not meaningful: no projection is connected with a probability p".into());
    }
    toml::to_string(&table).map_err(|e| e.to_string())
}

/// Runs this binary as `bench NAME --child MODE --model PATH EXTRA..` and returns its standard
/// output. Lines of its standard error not yet in `seen` (warnings about the model) are passed on
/// once, labelled with the benchmark.
fn spawn(
    name: &str,
    path: &Path,
    mode: ChildMode,
    extra: &[String],
    what: &str,
    seen: &mut HashSet<String>,
) -> Result<String, BenchError> {
    let fail = |reason: String| BenchError::Child { name: name.into(), what: what.into(), reason };
    let exe = std::env::current_exe().map_err(|e| fail(format!("cannot find this program: {e}")))?;
    let mode = match mode {
        ChildMode::Run => "run",
        ChildMode::Build => "build",
    };
    let out = Command::new(exe)
        .args(["bench", name, "--child", mode, "--model"])
        .arg(path)
        .args(extra)
        .output()
        .map_err(|e| fail(format!("cannot start: {e}")))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect::<Vec<_>>().into_iter().rev().collect();
        return Err(fail(format!("{}: {}", out.status, tail.join("\n"))));
    }
    for line in stderr.lines() {
        if seen.insert(line.to_string()) {
            eprintln!("{name}: {line}");
        }
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The figures of one child process.
#[derive(Clone, Debug)]
struct Figures {
    /// Simulated time, s (0 for a build).
    sim_s: f64,
    /// Wall time of the step loop (recording included, building excluded), s.
    wall_s: f64,
    /// Synaptic events delivered.
    syn_events: f64,
    /// Neurons other than sources times steps.
    neuron_updates: f64,
    /// Peak resident memory of the process (VmHWM), KiB.
    peak_rss_kib: f64,
    /// Synapses of the network.
    synapses: u64,
}

impl Figures {
    /// Parses the child's last line of `key=value` pairs.
    fn from_child(stdout: &str, name: &str, threads: usize) -> Result<Figures, BenchError> {
        let line = stdout.lines().last().unwrap_or("");
        let kv: BTreeMap<&str, f64> = line
            .split_whitespace()
            .filter_map(|w| w.split_once('='))
            .filter_map(|(k, v)| Some((k, v.parse().ok()?)))
            .collect();
        let get = |k: &str| {
            kv.get(k).copied().ok_or_else(|| BenchError::Child {
                name: name.into(),
                what: format!("measurement ({threads} threads)"),
                reason: format!("no `{k}` in its output `{line}`"),
            })
        };
        Ok(Figures {
            sim_s: get("sim_s")?,
            wall_s: get("wall_s")?,
            syn_events: get("syn_events")?,
            neuron_updates: get("neuron_updates")?,
            peak_rss_kib: get("peak_rss_kib")?,
            synapses: get("synapses")? as u64,
        })
    }
}

/// `--child`: one measurement in this process, printed as one line of `key=value` pairs.
fn child(args: &BenchArgs, mode: ChildMode) -> Result<(), BenchError> {
    let path = model_path(args, &args.name).ok_or_else(|| BenchError::Unknown(args.name.clone()))?;
    match mode {
        ChildMode::Build => {
            let file = path.display().to_string();
            let mut text = std::fs::read_to_string(&path)
                .map_err(|e| ModelError::Read { file: file.clone(), reason: e.to_string() })?;
            if args.p_scale != 1.0 {
                text = scale_connection_probability(&text, args.p_scale).map_err(BenchError::Usage)?;
            }
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            let m = model::from_str(&text, &file, &stem, &Overrides::default())?;
            crate::outln!(
                "sim_s=0 wall_s=0 syn_events=0 neuron_updates=0 peak_rss_kib={} synapses={}",
                crate::memory::peak_rss_kib(),
                m.network.n_synapses()
            )?;
        }
        ChildMode::Run => {
            let [threads] = args.threads[..] else {
                return Err(BenchError::Usage("--child run measures one thread count".into()));
            };
            let m = model::load(&path, &Overrides { seed: None, duration_ms: args.duration_ms })?;
            let net = &m.network;
            let neurons: usize = (0..net.n_populations())
                .map(|i| net.population(i))
                .filter(|p| p.kind_name() != "poisson")
                .map(|p| p.len())
                .sum();
            let synapses = net.n_synapses();
            let out = std::env::temp_dir().join(format!("burstsim-bench-{}.h5", std::process::id()));
            let opts = RunOptions {
                out: Some(out.to_string_lossy().into_owned()),
                threads: Some(threads),
                quiet: true,
                stop: None,
                timings: false,
                force: true,
                invocation: Default::default(),
                ..Default::default()
            };
            let result = run::run(m, opts);
            let _ = std::fs::remove_file(&out);
            let s = result?;
            crate::outln!(
                "sim_s={} wall_s={} syn_events={} neuron_updates={} peak_rss_kib={} synapses={}",
                s.t_ms * 1e-3,
                s.wall_s,
                s.synaptic_events,
                neurons as u64 * s.steps,
                crate::memory::peak_rss_kib(),
                synapses
            )?;
        }
    }
    Ok(())
}

fn min(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

/// The median (the mean of the two middle values for an even count).
fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        0.5 * (s[n / 2 - 1] + s[n / 2])
    }
}
