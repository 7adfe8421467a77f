//! `burstsim transfer` and `burstsim meanfield`: arguments, runs, printed tables.

use super::efficacy::{self, TrainShape};
use super::fit::Fit;
use super::solve::{self, Circuit, Lookup, Transfer};
use super::transfer::{self, Grid, SweepSpec, TransferTable};
use super::{learn, table_io, MeanfieldError};
use crate::model::{self, Overrides};
use crate::record::Destination;
use crate::synapse::StpParams;
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A list of currents, pA.
#[derive(Clone, Debug, PartialEq)]
pub struct Currents(pub Vec<f64>);

/// A list of currents: `a:b:step` (inclusive) or `v1,v2,...`, pA.
fn parse_grid(s: &str) -> Result<Currents, String> {
    let num = |x: &str| x.trim().parse::<f64>().map_err(|_| format!("{x:?} is not a number of pA"));
    let v: Vec<f64> = if s.contains(':') {
        let parts: Vec<&str> = s.split(':').collect();
        let [a, b, step] = parts[..] else { return Err(format!("{s:?}: expected FIRST:LAST:STEP or a comma list")) };
        let (a, b, step) = (num(a)?, num(b)?, num(step)?);
        if step.is_nan() || step <= 0.0 || b < a {
            return Err(format!("{s:?}: expected FIRST <= LAST and STEP > 0"));
        }
        let n = ((b - a) / step + 1e-9).floor() as usize + 1;
        (0..n).map(|i| a + step * i as f64).collect()
    } else {
        s.split(',').map(num).collect::<Result<_, _>>()?
    };
    if v.is_empty() || v.len() > 200 {
        return Err(format!("{s:?}: expected 1 to 200 currents"));
    }
    if v.windows(2).any(|w| w[1] <= w[0]) {
        return Err(format!("{s:?}: the currents must increase"));
    }
    Ok(Currents(v))
}

/// Grid and run options shared by both commands.
#[derive(clap::Args, Debug, Clone)]
pub struct SweepArgs {
    /// Somatic currents, pA: FIRST:LAST:STEP or a comma list.
    #[arg(long = "soma-pa", default_value = "-200:600:100", value_parser = parse_grid, allow_hyphen_values = true)]
    pub soma_pa: Currents,
    /// Dendritic currents, pA (ignored for point neurons).
    #[arg(long = "dend-pa", default_value = "-200:600:100", value_parser = parse_grid, allow_hyphen_values = true)]
    pub dend_pa: Currents,
    /// Neurons per grid point.
    #[arg(long, default_value_t = 100, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=100_000))]
    pub neurons: usize,
    /// Measured time per seed, ms (after the warm-up).
    #[arg(long = "duration-ms", alias = "sweep-ms", default_value_t = 2000.0)]
    pub sweep_ms: f64,
    /// Warm-up before measuring, ms.
    #[arg(long = "warmup-ms", default_value_t = 500.0)]
    pub warmup_ms: f64,
    /// Seeds (one run each; the standard error is over them).
    #[arg(long, default_value_t = 3, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1000))]
    pub seeds: usize,
    /// First seed (default: the model's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Runs at a time (default: the machine's cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Arguments of `burstsim transfer`.
#[derive(clap::Args, Debug, Clone)]
pub struct TransferArgs {
    /// The model file.
    pub model: PathBuf,
    /// The population to measure.
    #[arg(long)]
    pub population: String,
    /// Grid and runs.
    #[command(flatten)]
    pub sweep: SweepArgs,
    /// Output file (default: MODEL_STEM.transfer.POPULATION.h5).
    #[arg(long)]
    pub out: Option<String>,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `burstsim meanfield`.
#[derive(clap::Args, Debug, Clone)]
pub struct MeanfieldArgs {
    /// The model file.
    pub model: PathBuf,
    /// A transfer file for a population, POPULATION=FILE.h5 (repeatable); the others are swept
    /// here with the grid options.
    #[arg(long = "transfer", value_name = "POP=FILE")]
    pub transfer: Vec<String>,
    /// ER and BP from the fitted functions (fit, the rate model) or the measured table (table).
    #[arg(long, default_value = "fit", value_parser = ["fit", "table"])]
    pub lookup: String,
    /// Drift of the plastic weights over this time, ms (with --compare: the run's window).
    #[arg(long = "drift-ms", default_value_t = 20_000.0)]
    pub drift_ms: f64,
    /// The weights move in steps of this, ms (the state is solved again after each).
    #[arg(long = "step-ms", default_value_t = 250.0)]
    pub step_ms: f64,
    /// A spiking run of the model to compare with (its events, bursts and weight snapshots).
    #[arg(long)]
    pub compare: Option<String>,
    /// Start of the compared window, ms (rates from here to the run's end; the weight drift from
    /// the first snapshot at or after it).
    #[arg(long = "from-ms", default_value_t = 0.0)]
    pub from_ms: f64,
    /// Also write the table as tab-separated values to this file.
    #[arg(long)]
    pub tsv: Option<String>,
    /// Replace the --tsv file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Leave these projections out (comma list), e.g. the feedback, for a unit's resting BP.
    #[arg(long, value_delimiter = ',')]
    pub without: Vec<String>,
    /// PROJECTION:UNIT=BP: set the projection's weight so that the unit's stationary BP is BP
    /// (repeatable; solved together), e.g. the SST inhibition that cancels a feedback.
    #[arg(long, value_name = "PROJ:UNIT=BP")]
    pub calibrate: Vec<String>,
    /// Train as the model's [protocol] does (its examples in the run's order, teachers on in the
    /// learning windows), the weights drifting quasi-statically; prints the output units' ER per
    /// pattern over the epochs (the --tsv file then holds one row per example).
    #[arg(long)]
    pub learn: bool,
    /// With --learn: each BurstCCN rule's p_b is set to its unit's mean-field BP without a
    /// teacher (the mean over the patterns at the initial weights), as the spiking model's p_b
    /// are its own circuit's.
    #[arg(long = "own-baselines", requires = "learn")]
    pub own_baselines: bool,
    /// Grid and runs of the sweeps made here.
    #[command(flatten)]
    pub sweep: SweepArgs,
}

fn read_model(path: &Path) -> Result<(String, String), MeanfieldError> {
    let file = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|e| MeanfieldError::File { file: file.clone(), what: e.to_string() })?;
    Ok((text, file))
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Refuses sweep options that cannot give a table to fit, before anything runs.
fn check_sweep(args: &SweepArgs) -> anyhow::Result<()> {
    if !(args.sweep_ms.is_finite() && args.sweep_ms > 0.0) {
        anyhow::bail!("--duration-ms {}: expected the measured time of each seed in ms, > 0", args.sweep_ms);
    }
    if !(args.warmup_ms.is_finite() && args.warmup_ms >= 0.0) {
        anyhow::bail!("--warmup-ms {}: expected a warm-up in ms, >= 0", args.warmup_ms);
    }
    if args.soma_pa.0.len() < 3 {
        anyhow::bail!(
            "--soma-pa: {} current(s): expected at least 3 (the fits have up to 5 parameters)",
            args.soma_pa.0.len()
        );
    }
    if let Some(0) = args.threads {
        anyhow::bail!("--threads 0: expected at least 1");
    }
    Ok(())
}

/// The sweep of `population` with the grid options (`as_name` for shared sweeps).
fn spec_for(
    args: &SweepArgs,
    population: &str,
    model_seed: u64,
    point_neuron: bool,
    as_name: Option<String>,
) -> SweepSpec {
    let first = args.seed.unwrap_or(model_seed);
    SweepSpec {
        population: population.to_string(),
        grid: Grid {
            soma_pa: args.soma_pa.0.clone(),
            dend_pa: if point_neuron { vec![0.0] } else { args.dend_pa.0.clone() },
            neurons: args.neurons,
            duration_ms: args.sweep_ms,
            warmup_ms: args.warmup_ms,
            seeds: (0..args.seeds as u64).map(|k| first + k).collect(),
        },
        threads: args.threads.unwrap_or_else(default_threads),
        as_name,
    }
}

/// Runs a sweep with a progress bar.
fn measure(text: &str, file: &str, spec: &SweepSpec, quiet: bool) -> Result<TransferTable, MeanfieldError> {
    let total_steps = (spec.grid.seeds.len() as f64 * (spec.grid.warmup_ms + spec.grid.duration_ms) / 0.1) as u64;
    let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(total_steps);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{bar:40}] {percent:>3}% sweep of {msg} eta {eta}",
            )
            .expect("static template")
            .progress_chars("=> "),
        );
        b.set_message(spec.population.clone());
        b
    });
    let tick = |n: u64| {
        if let Some(b) = &bar {
            b.inc(n);
        }
    };
    let t = transfer::measure(text, file, spec, &tick);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    t
}

/// The train model's release at each grid point (its measured ER and BP), STD and STF.
fn model_release(t: &TransferTable, shape: &TrainShape) -> (Vec<f64>, Vec<f64>) {
    let at = |stp: StpParams| -> Vec<f64> {
        let stp = StpParams { u_init: stp.u, ..stp };
        (0..t.points())
            .map(|k| {
                let bp = if t.bp.mean[k].is_finite() { t.bp.mean[k] } else { 0.0 };
                efficacy::release_rate_hz(&stp, t.er.mean[k], bp, shape, t.dt_ms)
            })
            .collect()
    };
    (at(StpParams::depressing()), at(StpParams::facilitating()))
}

/// Relative RMS difference of `model` from `measured` over points where the measured release
/// is above 1 % of its largest value.
fn rel_rms(model: &[f64], measured: &[f64]) -> f64 {
    let top = measured.iter().cloned().fold(0.0, f64::max);
    let d: Vec<f64> =
        model.iter().zip(measured).filter(|(_, &m)| m > 0.01 * top).map(|(a, m)| ((a - m) / m).powi(2)).collect();
    (d.iter().sum::<f64>() / d.len().max(1) as f64).sqrt()
}

/// Dead time of a kind's event trains, ms: the detector's 16 ms, or the refractory period.
fn dead_ms(kind: &str) -> f64 {
    if kind == "burst_poisson" {
        20.0
    } else {
        16.0
    }
}

/// `burstsim transfer`.
pub fn transfer(args: &TransferArgs) -> anyhow::Result<()> {
    check_sweep(&args.sweep)?;
    let (text, file) = read_model(&args.model)?;
    let built = model::load(&args.model, &Overrides { seed: None, duration_ms: Some(1.0) })?;
    let p = built.network.population_index(&args.population).ok_or_else(|| MeanfieldError::Sweep {
        file: file.clone(),
        what: format!("no population {:?}", args.population),
    })?;
    let point = !built.network.population(p).accepts_current(crate::neuron::Compartment::Dendrite);
    let spec = spec_for(&args.sweep, &args.population, built.seed, point, None);
    let out = args.out.clone().unwrap_or_else(|| default_out(&args.model, &args.population).display().to_string());
    let dest = Destination::new(&out, std::slice::from_ref(&args.model), args.force)?;
    let t = measure(&text, &file, &spec, args.sweep.quiet)?;
    let (er_fits, bp_fits) = solve::fits(&t);
    let tr = Transfer::new(t.clone(), dead_ms(&t.kind))?;
    let shape = tr.shape;
    let (std_m, stf_m) = model_release(&t, &shape);
    table_io::write(
        &dest.writing().to_string_lossy(),
        &t,
        (&std_m, &stf_m),
        (&er_fits, &bp_fits),
        (&tr.er, tr.bp.as_ref()),
    )?;
    dest.commit()?;
    print!("{}", describe(&t, &er_fits, &bp_fits));
    println!("used by meanfield: ER {}", tr.er.describe("kappa", "Hz"));
    if let Some(bp) = &tr.bp {
        println!("used by meanfield: BP {}", bp.describe("lambda", ""));
    }
    println!(
        "STP release per neuron (train model: dead time {} ms, {:.2} extra spikes per burst {:.1} ms apart) vs measured: \
         depressing rms {:.1} %, facilitating rms {:.1} %",
        shape.dead_ms,
        shape.extra_spikes,
        shape.intraburst_isi_ms,
        100.0 * rel_rms(&std_m, &t.release_std.mean),
        100.0 * rel_rms(&stf_m, &t.release_stf.mean)
    );
    println!("wrote {out}");
    Ok(())
}

/// The printed summary of a table and its fits.
pub fn describe(t: &TransferTable, er: &[Fit], bp: &[Fit]) -> String {
    let mut s = format!(
        "transfer of {:?} ({}) in {}: {} somatic x {} dendritic currents, {} neurons per point, {} seeds x {} ms \
         (after {} ms warm-up)\n",
        t.population,
        t.kind,
        t.model,
        t.grid.soma_pa.len(),
        t.grid.dend_pa.len(),
        t.grid.neurons,
        t.grid.seeds.len(),
        t.grid.duration_ms,
        t.grid.warmup_ms
    );
    for k in &t.kept {
        s += &format!("  background: {k}\n");
    }
    for k in &t.dropped {
        s += &format!("  left out: {k}\n");
    }
    let nd = t.grid.dend_pa.len();
    for (title, table, digits) in [("event rate, Hz", &t.er, 2usize), ("burst probability", &t.bp, 3)] {
        s += &format!("{title} (rows: soma pA; columns: dendrite pA)\n{:>8}", "");
        for d in &t.grid.dend_pa {
            s += &format!("{d:>9.0}");
        }
        s += "\n";
        for (i, soma) in t.grid.soma_pa.iter().enumerate() {
            s += &format!("{soma:>8.0}");
            for j in 0..nd {
                s += &format!("{:>9.digits$}", table.mean[i * nd + j]);
            }
            s += "\n";
        }
    }
    let se_er = mean_finite(&t.er.se);
    let se_bp = mean_finite(&t.bp.se);
    s += &format!("seed-to-seed standard error: ER {se_er:.3} Hz, BP {se_bp:.4} (means over the grid)\n");
    s += "event rate fits (x = I_s + kappa I_d), best first by BIC:\n";
    for f in er {
        s += &format!("  {}\n", f.describe("kappa", "Hz"));
    }
    if bp.is_empty() {
        s += "burst probability: no bursts, nothing fitted\n";
    } else {
        s += "burst probability fits (y = I_d + lambda I_s), best first by BIC:\n";
        for f in bp {
            s += &format!("  {}\n", f.describe("lambda", ""));
        }
    }
    s
}

fn mean_finite(v: &[f64]) -> f64 {
    let f: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    f.iter().sum::<f64>() / f.len().max(1) as f64
}

/// `burstsim meanfield`.
pub fn meanfield(args: &MeanfieldArgs) -> anyhow::Result<()> {
    check_sweep(&args.sweep)?;
    let (text, file) = read_model(&args.model)?;
    // --learn reads the protocol's whole schedule; otherwise one step is built
    let duration_ms = if args.learn { None } else { Some(1.0) };
    let built = model::load(&args.model, &Overrides { seed: args.sweep.seed, duration_ms })?;
    let net = &built.network;
    let mut given: BTreeMap<String, String> = BTreeMap::new();
    for t in &args.transfer {
        let (pop, f) =
            t.split_once('=').ok_or_else(|| anyhow::anyhow!("--transfer {t:?}: expected POPULATION=FILE.h5"))?;
        let Some(p) = net.population_index(pop) else {
            anyhow::bail!("--transfer {t:?}: {file} has no population {pop:?}");
        };
        if !net.spikes(p).has_detector() {
            anyhow::bail!("--transfer {t:?}: {pop:?} is a Poisson source (it has no transfer function)");
        }
        if given.insert(pop.to_string(), f.to_string()).is_some() {
            anyhow::bail!("--transfer {t:?}: {pop:?} was given a transfer file already");
        }
    }
    // every spiking population's transfer: given, or swept here (one sweep per distinct sweep
    // model: populations of the same kind, parameters and background share it)
    let mut by_pop: BTreeMap<String, Arc<Transfer>> = BTreeMap::new();
    let mut by_sweep: BTreeMap<String, Arc<Transfer>> = BTreeMap::new();
    for p in 0..net.n_populations() {
        if !net.spikes(p).has_detector() {
            continue;
        }
        let name = net.info(p).name.clone();
        let point = !net.population(p).accepts_current(crate::neuron::Compartment::Dendrite);
        let spec = spec_for(&args.sweep, &name, built.seed, point, Some("unit".into()));
        let sweep = transfer::sweep_model(&text, &file, &spec)?;
        // the kind as the file writes it (pv, sst), as transfer files record it
        let kind = sweep.kind.as_str();
        let t = if let Some(f) = given.get(&name) {
            let table = table_io::read(f)?;
            if table.kind != kind {
                anyhow::bail!(
                    "--transfer {name}={f}: the table is of a {} population ({:?} in {}), {name:?} is {kind}",
                    table.kind,
                    table.population,
                    table.model
                );
            }
            Arc::new(Transfer::new(table, dead_ms(kind))?)
        } else {
            match by_sweep.get(&sweep.text) {
                Some(t) => t.clone(),
                None => {
                    if !args.sweep.quiet {
                        eprintln!(
                            "sweeping {name} ({kind}): {} points x {} neurons",
                            spec.grid.soma_pa.len() * spec.grid.dend_pa.len(),
                            spec.grid.neurons
                        );
                    }
                    let mut table = measure(&text, &file, &spec, args.sweep.quiet)?;
                    table.population = name.clone();
                    let t = Arc::new(Transfer::new(table, dead_ms(kind))?);
                    by_sweep.insert(sweep.text, t.clone());
                    t
                }
            }
        };
        by_pop.insert(name, t);
    }
    let lookup = if args.lookup == "table" { Lookup::Table } else { Lookup::Fit };
    let missing = Mutex::new(None);
    let c = solve::circuit(
        &text,
        &file,
        &built,
        &|name| {
            by_pop.get(name).cloned().unwrap_or_else(|| {
                *missing.lock().expect("not poisoned") = Some(name.to_string());
                by_pop.values().next().expect("at least one unit").clone()
            })
        },
        lookup,
    )?;
    if let Some(name) = missing.into_inner().expect("not poisoned") {
        anyhow::bail!("{file}: population {name:?} has no transfer function");
    }
    let mut c = c;
    let unknown = c.remove_links(&args.without);
    if !unknown.is_empty() {
        anyhow::bail!("--without: {file} has no projection between spiking populations named {}", unknown.join(", "));
    }
    if !args.calibrate.is_empty() {
        let targets = calibration_targets(&c, &args.calibrate, &file)?;
        let w = c.calibrate(&targets).map_err(|k| {
            anyhow::anyhow!(
                "--calibrate: no weight >= 0 of {:?} brings {} to its BP (the unit's BP does not cross it)",
                c.links[k].name,
                c.units[targets.iter().find(|t| t.0 == k).expect("a target").1].name
            )
        })?;
        for &(k, u, bp) in &targets {
            println!("calibrated: {} weight = {:.6} (BP of {} = {bp})", c.links[k].name, w[k], c.units[u].name);
        }
    }
    if args.learn {
        return train(&mut c, &built, &text, &file, args);
    }
    let compare = args.compare.as_deref().map(|f| compare_window(f, args.from_ms, &text, &file)).transpose()?;
    // the drift over the run's weight snapshots (from the first at or after --from-ms to the last)
    let mut duration = compare.as_ref().map_or(args.drift_ms, |w| w.1 - w.0);
    if let (Some(f), Some(l)) = (&args.compare, c.links.iter().find(|l| l.rule.is_some())) {
        let (t0, _, t1, _) = table_io::weight_change(f, &l.name, args.from_ms)?;
        duration = t1 - t0;
    }
    let sol = c.integrate(duration, args.step_ms);
    let rows = report(&c, &sol, args, compare.as_ref())?;
    print!("{}", format_rows(&c, &sol, &rows, args.compare.is_some()));
    if let Some(path) = &args.tsv {
        let dest = Destination::new(path, std::slice::from_ref(&args.model), args.force)?;
        let mut out = String::from("kind\tname\tquantity\tmeanfield\tspiking\n");
        for r in &rows {
            out += &format!("{}\t{}\t{}\t{}\t{}\n", r.kind, r.name, r.quantity, r.meanfield, r.spiking);
        }
        std::fs::write(dest.writing(), out)
            .map_err(|e| MeanfieldError::File { file: path.clone(), what: e.to_string() })?;
        dest.commit()?;
    }
    Ok(())
}

/// `meanfield --learn`: the protocol's training run in the mean field.
fn train(c: &mut Circuit, built: &model::Model, text: &str, file: &str, args: &MeanfieldArgs) -> anyhow::Result<()> {
    let raw: crate::model::schema::ModelFile = model::parse(&model::expanded_text(text, file)?, file)?;
    let Some(protocol) = &raw.protocol else {
        anyhow::bail!("--learn: {file} has no [protocol] to train with");
    };
    let schedule = built.network.examples();
    let currents: Vec<_> = protocol.patterns.iter().map(|p| p.current_pa.clone()).collect();
    let drives = learn::pattern_drives(c, &currents);
    if args.own_baselines {
        for (k, old, new) in learn::own_baselines(c, &drives) {
            println!(
                "{}: p_b {old:.4} -> {new:.4} (the mean field's BP of {} without a teacher)",
                c.links[k].name, c.units[c.links[k].to].name
            );
        }
    }
    let bar = (!args.sweep.quiet && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(schedule.examples.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} examples eta {eta}")
                .expect("static template")
                .progress_chars("=> "),
        );
        b
    });
    let t0 = std::time::Instant::now();
    let shown =
        learn::learn(c, schedule, &drives, (protocol.example_ms, protocol.learning_ms), args.step_ms, &mut |i, _| {
            if let Some(b) = &bar {
                b.set_position(i as u64)
            }
        });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let secs = t0.elapsed().as_secs_f64();
    print!("{}", learn::summary(c, schedule, &shown));
    println!("{} examples in {secs:.1} s", shown.len());
    if shown.iter().any(|p| !p.converged) {
        println!("note: some stationary solves did not converge (their last iterate was used)");
    }
    if let Some(path) = &args.tsv {
        let dest = Destination::new(path, std::slice::from_ref(&args.model), args.force)?;
        std::fs::write(dest.writing(), learn::tsv(c, schedule, &shown))
            .map_err(|e| MeanfieldError::File { file: path.clone(), what: e.to_string() })?;
        dest.commit()?;
    }
    Ok(())
}

/// `PROJ:UNIT=BP` entries as (link, unit, BP).
fn calibration_targets(c: &Circuit, specs: &[String], file: &str) -> anyhow::Result<Vec<(usize, usize, f64)>> {
    let mut out = Vec::new();
    for s in specs {
        let parse = || -> Option<(String, String, f64)> {
            let (proj, rest) = s.split_once(':')?;
            let (unit, bp) = rest.split_once('=')?;
            Some((proj.to_string(), unit.to_string(), bp.trim().parse().ok()?))
        };
        let (proj, unit, bp) = parse().ok_or_else(|| {
            anyhow::anyhow!("--calibrate {s:?}: expected PROJECTION:UNIT=BP, e.g. q_sst0_hidden0:hidden0=0.1")
        })?;
        let k = c.links.iter().position(|l| l.name == proj).ok_or_else(|| {
            anyhow::anyhow!("--calibrate {s:?}: {file} has no projection {proj:?} between spiking populations")
        })?;
        let u = c
            .units
            .iter()
            .position(|x| x.name == unit)
            .ok_or_else(|| anyhow::anyhow!("--calibrate {s:?}: {file} has no spiking population {unit:?}"))?;
        if !(0.0..=1.0).contains(&bp) {
            anyhow::bail!("--calibrate {s:?}: expected a burst probability from 0 to 1");
        }
        out.push((k, u, bp));
    }
    Ok(out)
}

/// The compared window of a run file: (from, end) ms.
fn compare_window(path: &str, from_ms: f64, text: &str, model: &str) -> Result<(f64, f64), MeanfieldError> {
    let f =
        hdf5_metno::File::open(path).map_err(|e| MeanfieldError::File { file: path.into(), what: e.to_string() })?;
    let stored: String = f
        .attr(crate::names::ATTR_MODEL)
        .and_then(|a| a.read_scalar::<hdf5_metno::types::VarLenUnicode>())
        .map(|v| v.as_str().to_string())
        .map_err(|_| MeanfieldError::File {
            file: path.into(),
            what: "not a burstsim run (no `model` attribute)".into(),
        })?;
    if stored != text {
        return Err(MeanfieldError::File {
            file: path.into(),
            what: format!(
                "the run was made from another model text than {model} (compare a run with the model it ran)"
            ),
        });
    }
    let end: f64 = f
        .attr(crate::names::ATTR_T_STOP)
        .and_then(|a| a.read_scalar())
        .map_err(|_| MeanfieldError::File { file: path.into(), what: "not a burstsim run (no t_stop_ms)".into() })?;
    if from_ms >= end {
        return Err(MeanfieldError::File {
            file: path.into(),
            what: format!("--from-ms {from_ms} is not before the run's end, {end} ms"),
        });
    }
    Ok((from_ms, end))
}

/// One row of the comparison.
struct Row {
    kind: &'static str,
    name: String,
    quantity: &'static str,
    meanfield: f64,
    spiking: f64,
}

fn report(
    c: &Circuit,
    sol: &solve::Solution,
    args: &MeanfieldArgs,
    window: Option<&(f64, f64)>,
) -> Result<Vec<Row>, MeanfieldError> {
    let mut rows = Vec::new();
    let run = args.compare.as_deref();
    for (u, unit) in c.units.iter().enumerate() {
        let m = match (run, window) {
            (Some(f), Some(w)) => Some(table_io::measured(f, &unit.name, unit.size, w.0, w.1)?),
            _ => None,
        };
        rows.push(Row {
            kind: "unit",
            name: unit.name.clone(),
            quantity: "er_hz",
            meanfield: sol.er_avg_hz[u],
            spiking: m.as_ref().map_or(f64::NAN, |m| m.er_hz),
        });
        rows.push(Row {
            kind: "unit",
            name: unit.name.clone(),
            quantity: "bp",
            meanfield: sol.bp_avg[u],
            spiking: m.as_ref().map_or(f64::NAN, |m| m.bp),
        });
    }
    for (k, l) in c.links.iter().enumerate() {
        if l.rule.is_none() {
            continue;
        }
        let sim = match run {
            Some(f) => {
                let (_, w0, _, w1) = table_io::weight_change(f, &l.name, args.from_ms)?;
                w1 - w0
            }
            None => f64::NAN,
        };
        rows.push(Row {
            kind: "projection",
            name: l.name.clone(),
            quantity: "dw",
            meanfield: sol.w_end[k] - sol.w0[k],
            spiking: sim,
        });
        // relative to the initial weight: the same for every member of a family whose weights
        // scale as 1/N
        rows.push(Row {
            kind: "projection",
            name: l.name.clone(),
            quantity: "dw_rel",
            meanfield: (sol.w_end[k] - sol.w0[k]) / sol.w0[k],
            spiking: sim / sol.w0[k],
        });
    }
    Ok(rows)
}

fn format_rows(c: &Circuit, sol: &solve::Solution, rows: &[Row], compare: bool) -> String {
    let mut s = String::new();
    for n in &c.notes {
        s += &format!("note: {n}\n");
    }
    if !sol.converged {
        s += "warning: the fixed-point iteration did not converge everywhere (the values are its last iterate)\n";
    }
    for (u, unit) in c.units.iter().enumerate() {
        let (i_s, i_d) = (sol.initial.soma_pa[u], sol.initial.dend_pa[u]);
        let t = &unit.transfer.table;
        if !t.covers(i_s, i_d) {
            s += &format!(
                "warning: {}'s inputs ({i_s:.0} pA soma, {i_d:.0} pA dendrite) lie outside its measured grid \
                 ({:.0}..{:.0} x {:.0}..{:.0} pA): its values are extrapolated; sweep a wider grid\n",
                unit.name,
                t.grid.soma_pa[0],
                t.grid.soma_pa[t.grid.soma_pa.len() - 1],
                t.grid.dend_pa[0],
                t.grid.dend_pa[t.grid.dend_pa.len() - 1]
            );
        }
    }
    s += &format!(
        "mean field ({} units, {} projections between them{}):\n",
        c.units.len(),
        c.links.len(),
        if sol.duration_ms > 0.0 && c.links.iter().any(|l| l.rule.is_some()) {
            format!("; rates averaged over {} ms of weight drift", sol.duration_ms)
        } else {
            String::new()
        }
    );
    s += &format!(
        "  {:<12} {:>10} {:>10} {:>10} {:>10}{}\n",
        "unit",
        "I_s pA",
        "I_d pA",
        "ER Hz",
        "BP",
        if compare { "   run ER Hz    run BP" } else { "" }
    );
    for (u, unit) in c.units.iter().enumerate() {
        let er = &rows[2 * u];
        let bp = &rows[2 * u + 1];
        s += &format!(
            "  {:<12} {:>10.1} {:>10.1} {:>10.3} {:>10.4}{}\n",
            unit.name,
            sol.initial.soma_pa[u],
            sol.initial.dend_pa[u],
            er.meanfield,
            bp.meanfield,
            if compare { format!(" {:>11.3} {:>9.4}", er.spiking, bp.spiking) } else { String::new() }
        );
    }
    let plastic: Vec<&Row> = rows.iter().filter(|r| r.quantity == "dw").collect();
    if !plastic.is_empty() {
        s += &format!(
            "  {:<28} {:>10} {:>12} {:>12}{}\n",
            "plastic projection",
            "w0",
            "dw/dt 1/s",
            "dw",
            if compare { "       run dw" } else { "" }
        );
        for r in plastic {
            let k = c.links.iter().position(|l| l.name == r.name).expect("a link");
            s += &format!(
                "  {:<28} {:>10.5} {:>12.3e} {:>12.3e}{}\n",
                r.name,
                sol.w0[k],
                sol.drift0_per_s[k],
                r.meanfield,
                if compare { format!(" {:>12.3e}", r.spiking) } else { String::new() }
            );
        }
    }
    s
}

/// Where a default transfer file goes.
pub fn default_out(model: &Path, population: &str) -> PathBuf {
    let stem = model.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "model".into());
    PathBuf::from(format!("{stem}.transfer.{population}.h5"))
}

#[cfg(test)]
mod tests {
    use super::parse_grid;

    #[test]
    fn grids_parse_as_ranges_and_lists_and_bad_ones_are_refused() {
        assert_eq!(parse_grid("-200:200:100").unwrap().0, vec![-200.0, -100.0, 0.0, 100.0, 200.0]);
        assert_eq!(parse_grid("0, 50,300").unwrap().0, vec![0.0, 50.0, 300.0]);
        assert!(parse_grid("1:0:1").unwrap_err().contains("FIRST <= LAST"));
        assert!(parse_grid("0,0").unwrap_err().contains("increase"));
        assert!(parse_grid("a,1").unwrap_err().contains("not a number"));
        assert!(parse_grid("0:1:0").is_err());
    }
}
