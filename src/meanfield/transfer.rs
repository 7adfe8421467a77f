//! Transfer functions of a spiking population, measured (issue 13 item 1): ER, BR, BP (and the
//! spike rate, mean potentials and STP release) as functions of constant somatic and dendritic
//! currents, under the background the model file gives the population.
//!
//! **One run per seed.** The population is copied once per grid point (N neurons each, side by
//! side in one population of N x points), each copy given its own pair of constant currents by
//! per-neuron `neuron_currents` inputs. Its *background* is kept exactly as in the model: private
//! Poisson `[[input]]`s and projections from Poisson populations (sources shared by all copies,
//! as by the neurons of the original population). Everything else that reaches it, projections
//! from spiking populations (the network) and currents (the stimulus the sweep replaces), is left
//! out and listed. Several seeds run side by side on threads; the standard error over seeds goes
//! with every value.
//!
//! **STP release.** Every spike of every neuron also drives a depressing and a facilitating
//! [`Stp`] (the engine's own, spec 4.2 parameters, started at the steady utilisation u = U), so
//! the table holds what a projection of each kind would transmit per presynaptic neuron and
//! second, beside the train model of [`super::efficacy`].

use super::MeanfieldError;
use crate::model::{self, Overrides};
use crate::neuron::StateVector;
use crate::synapse::stp::{Stp, StpParams};
use std::sync::atomic::{AtomicUsize, Ordering};
use toml::{Table, Value};

/// The currents swept and how long each seed measures: what a sweep is and its table records.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// Somatic currents, pA.
    pub soma_pa: Vec<f64>,
    /// Dendritic currents, pA (just `[0]` for point neurons).
    pub dend_pa: Vec<f64>,
    /// Neurons per grid point.
    pub neurons: usize,
    /// Measured time after the warm-up, ms.
    pub duration_ms: f64,
    /// Warm-up before measuring, ms (adaptation, thresholds and STP settle).
    pub warmup_ms: f64,
    /// Seeds, one run each.
    pub seeds: Vec<u64>,
}

/// What to sweep.
#[derive(Clone, Debug)]
pub struct SweepSpec {
    /// The population.
    pub population: String,
    /// The grid and the runs.
    pub grid: Grid,
    /// Runs at a time.
    pub threads: usize,
    /// The population's name inside the sweep (default its own): populations with the same kind,
    /// parameters and background then give the same sweep model, which the mean field runs once.
    pub as_name: Option<String>,
}

/// The sweep's model: the population with its background and the grid's currents.
#[derive(Clone, Debug)]
pub struct SweepModel {
    /// TOML text of the generated model.
    pub text: String,
    /// The population's kind, as written.
    pub kind: String,
    /// Background kept (one line each).
    pub kept: Vec<String>,
    /// Inputs of the population in the model left out (one line each).
    pub dropped: Vec<String>,
    /// Time step, ms.
    pub dt_ms: f64,
}

/// Per grid point (soma-major: index = i_soma * n_dend + i_dend), mean over seeds and its
/// standard error.
#[derive(Clone, Debug, Default)]
pub struct Table2 {
    /// Means.
    pub mean: Vec<f64>,
    /// Standard errors over seeds (0 with one seed).
    pub se: Vec<f64>,
}

/// The measured transfer table.
#[derive(Clone, Debug)]
pub struct TransferTable {
    /// Model file the sweep came from.
    pub model: String,
    /// Population.
    pub population: String,
    /// Kind.
    pub kind: String,
    /// The grid and the runs it was measured with.
    pub grid: Grid,
    /// Time step, ms.
    pub dt_ms: f64,
    /// Background kept and inputs left out.
    pub kept: Vec<String>,
    /// Left out.
    pub dropped: Vec<String>,
    /// Event rate, Hz.
    pub er: Table2,
    /// Burst rate, Hz.
    pub br: Table2,
    /// Burst probability BR/ER (NaN where there were no events).
    pub bp: Table2,
    /// Spike rate, Hz.
    pub sr: Table2,
    /// Mean somatic potential, mV (NaN for kinds without one).
    pub v_s: Table2,
    /// Mean dendritic potential, mV (NaN for point neurons).
    pub v_d: Table2,
    /// Mean interval from a burst's second spike (the detector's burst) to the spike before it,
    /// ms (NaN without bursts).
    pub isi_burst: Table2,
    /// Release per neuron and second through a depressing synapse (spec 4.2), Hz.
    pub release_std: Table2,
    /// The same through a facilitating synapse, Hz.
    pub release_stf: Table2,
}

impl TransferTable {
    /// True when (soma, dend) lies inside the measured grid.
    pub fn covers(&self, soma: f64, dend: f64) -> bool {
        let inside = |g: &[f64], x: f64| g.len() == 1 || (g[0]..=g[g.len() - 1]).contains(&x);
        inside(&self.grid.soma_pa, soma) && inside(&self.grid.dend_pa, dend)
    }

    /// Grid points.
    pub fn points(&self) -> usize {
        self.grid.soma_pa.len() * self.grid.dend_pa.len()
    }

    /// (soma, dend) current of grid point `k`.
    pub fn at(&self, k: usize) -> (f64, f64) {
        (self.grid.soma_pa[k / self.grid.dend_pa.len()], self.grid.dend_pa[k % self.grid.dend_pa.len()])
    }

    /// Bilinear interpolation of `t` at (soma, dend), clamped to the grid's edges.
    pub fn interpolate(&self, t: &Table2, soma: f64, dend: f64) -> f64 {
        let (i, fi) = bracket(&self.grid.soma_pa, soma);
        let (j, fj) = bracket(&self.grid.dend_pa, dend);
        let nd = self.grid.dend_pa.len();
        let v = |a: usize, b: usize| t.mean[a * nd + b];
        let (i1, j1) = ((i + 1).min(self.grid.soma_pa.len() - 1), (j + 1).min(nd - 1));
        let lo = v(i, j) * (1.0 - fj) + v(i, j1) * fj;
        let hi = v(i1, j) * (1.0 - fj) + v(i1, j1) * fj;
        lo * (1.0 - fi) + hi * fi
    }
}

/// Index and fraction of `x` in the sorted grid `g`, clamped.
fn bracket(g: &[f64], x: f64) -> (usize, f64) {
    if g.len() < 2 || x.is_nan() || x <= g[0] {
        return (0, 0.0);
    }
    let last = g.len() - 1;
    if x >= g[last] {
        return (last, 0.0);
    }
    let i = g.partition_point(|&v| v <= x) - 1;
    (i, (x - g[i]) / (g[i + 1] - g[i]))
}

/// Builds the sweep's model from the model file's text (see the module documentation).
pub fn sweep_model(text: &str, file: &str, spec: &SweepSpec) -> Result<SweepModel, MeanfieldError> {
    let bad = |what: String| MeanfieldError::Sweep { file: file.to_string(), what };
    // the file must be a valid model first: its own errors are clearer than the sweep's
    let text = &model::expanded_text(text, file)?;
    model::parse(text, file)?;
    let doc: Table = text.parse().map_err(|e| bad(format!("not TOML: {e}")))?;
    let entries = |key: &str| -> Vec<Table> {
        doc.get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_table().cloned()).collect())
            .unwrap_or_default()
    };
    let str_of = |t: &Table, k: &str| t.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let pops = entries("population");
    let p = &spec.population;
    let Some(target) = pops.iter().find(|t| str_of(t, "name") == *p).cloned() else {
        let names: Vec<String> = pops.iter().map(|t| str_of(t, "name")).collect();
        return Err(bad(format!("no population {p:?} (the model has {})", names.join(", "))));
    };
    let kind = str_of(&target, "kind");
    if kind == "poisson" {
        return Err(bad(format!("population {p:?} is a Poisson source: it has no transfer function")));
    }
    let kind_of = |name: &str| pops.iter().find(|t| str_of(t, "name") == name).map(|t| str_of(t, "kind"));
    let old_size = target.get("size").and_then(Value::as_integer).unwrap_or(0);
    let points = spec.grid.soma_pa.len() * spec.grid.dend_pa.len();
    let size = (spec.grid.neurons * points) as i64;
    let (mut kept, mut dropped) = (Vec::new(), Vec::new());
    let mut out_pops = vec![Table::from_iter(target.clone().into_iter().map(|(k, v)| match k.as_str() {
        "size" => (k, Value::Integer(size)),
        _ => (k, v),
    }))];
    let mut projections = Vec::new();
    for (i, pr) in entries("projection").into_iter().enumerate() {
        if str_of(&pr, "to") != *p {
            continue;
        }
        let from = str_of(&pr, "from");
        let label =
            format!("projection {} ({from} -> {p}, {})", i, pr.get("target").and_then(Value::as_str).unwrap_or("?"));
        if kind_of(&from).as_deref() != Some("poisson") {
            dropped.push(format!("{label}: from a spiking population (network input)"));
            continue;
        }
        kept.push(label);
        if !out_pops.iter().any(|t| str_of(t, "name") == from) {
            let mut src = pops.iter().find(|t| str_of(t, "name") == from).cloned().expect("kind_of found it");
            if pr.get("connect").and_then(Value::as_str) == Some("one_to_one") {
                src.insert("size".into(), Value::Integer(size));
            }
            out_pops.push(src);
        }
        projections.push(Value::Table(pr));
    }
    let mut inputs = Vec::new();
    for (i, inp) in entries("input").into_iter().enumerate() {
        if str_of(&inp, "target") != *p {
            continue;
        }
        let k = str_of(&inp, "kind");
        let label = format!("input {i} ({k} -> {p}, {})", str_of(&inp, "compartment"));
        if k == "poisson" {
            kept.push(label);
            inputs.push(Value::Table(inp));
        } else {
            dropped.push(format!("{label}: a current (the sweep sets the currents)"));
        }
    }
    if old_size == 0 {
        return Err(bad(format!("population {p:?} has no size")));
    }
    for (compartment, grid, index) in [("soma", &spec.grid.soma_pa, 0usize), ("dendrite", &spec.grid.dend_pa, 1)] {
        if grid.iter().all(|&v| v == 0.0) {
            continue;
        }
        let mut values = Vec::with_capacity(size as usize);
        for k in 0..points {
            let v = if index == 0 { grid[k / spec.grid.dend_pa.len()] } else { grid[k % spec.grid.dend_pa.len()] };
            values.extend(std::iter::repeat_n(Value::Float(v), spec.grid.neurons));
        }
        let mut t = Table::new();
        t.insert("kind".into(), Value::String("neuron_currents".into()));
        t.insert("target".into(), Value::String(p.clone()));
        t.insert("compartment".into(), Value::String(compartment.into()));
        t.insert("values_pa".into(), Value::Array(values));
        inputs.push(Value::Table(t));
    }
    for (key, what) in [("phase", "[[phase]] entries"), ("teacher", "[[teacher]] entries"), ("protocol", "[protocol]")]
    {
        if doc.contains_key(key) {
            dropped.push(format!("{what}: the sweep holds every input constant"));
        }
    }
    let mut sim = doc.get("simulation").and_then(Value::as_table).cloned().unwrap_or_default();
    for k in ["duration_ms", "protocol_file", "threads", "title"] {
        sim.remove(k);
    }
    sim.insert("duration_ms".into(), Value::Float(spec.grid.warmup_ms + spec.grid.duration_ms));
    let dt_ms = sim.get("dt_ms").and_then(|v| v.as_float().or(v.as_integer().map(|i| i as f64))).unwrap_or(0.1);
    let mut out = Table::new();
    out.insert("simulation".into(), Value::Table(sim));
    out.insert("population".into(), Value::Array(out_pops.into_iter().map(Value::Table).collect()));
    if !projections.is_empty() {
        out.insert("projection".into(), Value::Array(projections));
    }
    if !inputs.is_empty() {
        out.insert("input".into(), Value::Array(inputs));
    }
    if let Some(new) = &spec.as_name {
        rename(&mut out, p, new);
    }
    let name = spec.as_name.clone().unwrap_or_else(|| p.clone());
    let mut output = Table::new();
    output.insert("populations".into(), Value::Array(vec![Value::String(name)]));
    out.insert("output".into(), Value::Table(output));
    let text = toml::to_string(&out).map_err(|e| bad(format!("cannot write the sweep model: {e}")))?;
    Ok(SweepModel { text, kind, kept, dropped, dt_ms })
}

/// Renames population `old` to `new` in the sweep model (its entry, the inputs' targets, the
/// projections' targets; generated projection names follow).
fn rename(doc: &mut Table, old: &str, new: &str) {
    for (key, field) in [("population", "name"), ("input", "target"), ("projection", "to")] {
        if let Some(Value::Array(a)) = doc.get_mut(key) {
            for t in a.iter_mut().filter_map(Value::as_table_mut) {
                if t.get(field).and_then(Value::as_str) == Some(old) {
                    t.insert(field.into(), Value::String(new.into()));
                }
            }
        }
    }
}

/// Sums over the measured steps of one seed, per neuron.
struct SeedSums {
    events: Vec<u32>,
    bursts: Vec<u32>,
    spikes: Vec<u32>,
    v_s: Vec<f64>,
    v_d: Vec<f64>,
    samples: u64,
    isi_sum: Vec<f64>,
    isi_n: Vec<u32>,
    release_std: Vec<f64>,
    release_stf: Vec<f64>,
}

/// Steps between potential samples (1 ms at dt 0.1 ms).
const SAMPLE_EVERY: u64 = 10;

/// Runs one seed of the sweep.
fn run_seed(
    sweep: &SweepModel,
    file: &str,
    spec: &SweepSpec,
    seed: u64,
    tick: &dyn Fn(u64),
) -> Result<SeedSums, MeanfieldError> {
    let m = model::from_str(&sweep.text, file, "transfer", &Overrides { seed: Some(seed), duration_ms: None })?;
    let mut net = m.network;
    net.set_threads(1).map_err(|e| MeanfieldError::Sweep { file: file.into(), what: e.to_string() })?;
    let name = spec.as_name.as_deref().unwrap_or(&spec.population);
    let p = net.population_index(name).expect("the sweep model has the population");
    let n = net.population(p).len();
    let var = |name: &str| net.population(p).recordable_index(name);
    let (iv_s, iv_d) = (var("V_s").or(var("V")), var("V_d"));
    let clean = |mut s: StpParams| {
        s.u_init = s.u;
        s
    };
    let mut std = Stp::new(n, clean(StpParams::depressing()), sweep.dt_ms);
    let mut stf = Stp::new(n, clean(StpParams::facilitating()), sweep.dt_ms);
    let warm = (spec.grid.warmup_ms / sweep.dt_ms).round() as u64;
    let total = m.n_steps;
    let mut s = SeedSums {
        events: vec![0; n],
        bursts: vec![0; n],
        spikes: vec![0; n],
        v_s: vec![0.0; n],
        v_d: vec![0.0; n],
        samples: 0,
        isi_sum: vec![0.0; n],
        isi_n: vec![0; n],
        release_std: vec![0.0; n],
        release_stf: vec![0.0; n],
    };
    let mut last = vec![u64::MAX; n];
    let mut is_burst = vec![false; n];
    for step in 0..total {
        net.step();
        let measuring = step >= warm;
        let sp = net.spikes(p);
        for &i in sp.bursts() {
            is_burst[i as usize] = true;
        }
        for &i in net.last_spikes(p) {
            let i = i as usize;
            let (rd, rf) = (std.release(i as u32), stf.release(i as u32));
            if measuring {
                s.spikes[i] += 1;
                s.release_std[i] += rd as f64;
                s.release_stf[i] += rf as f64;
                // the interval to a burst's second spike (the detector's burst), not to the later
                // spikes it merges into bursts
                if is_burst[i] && last[i] != u64::MAX {
                    s.isi_sum[i] += (step - last[i]) as f64 * sweep.dt_ms;
                    s.isi_n[i] += 1;
                }
            }
            last[i] = step;
        }
        for &i in sp.events() {
            if measuring {
                s.events[i as usize] += 1;
            }
        }
        for &i in sp.bursts() {
            is_burst[i as usize] = false;
            if measuring {
                s.bursts[i as usize] += 1;
            }
        }
        std.relax();
        stf.relax();
        if measuring && (step - warm).is_multiple_of(SAMPLE_EVERY) {
            s.samples += 1;
            let pop = net.population(p);
            for (idx, sum) in [(iv_s, &mut s.v_s), (iv_d, &mut s.v_d)] {
                if let Some(var) = idx {
                    if let StateVector::F32(v) = pop.kind().state(var) {
                        for (a, &x) in sum.iter_mut().zip(v) {
                            *a += x as f64;
                        }
                    }
                }
            }
        }
        if step % 1000 == 999 {
            tick(1000);
        }
    }
    if iv_s.is_none() {
        s.v_s.fill(f64::NAN);
    }
    if iv_d.is_none() {
        s.v_d.fill(f64::NAN);
    }
    Ok(s)
}

/// Runs the sweep: every seed (up to `spec.threads` at a time), then the table of means and
/// standard errors. `progress` is told of steps done (for a progress bar).
pub fn measure(
    text: &str,
    file: &str,
    spec: &SweepSpec,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<TransferTable, MeanfieldError> {
    let sweep = sweep_model(text, file, spec)?;
    let next = AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<Result<SeedSums, MeanfieldError>>>> =
        spec.grid.seeds.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|sc| {
        for _ in 0..spec.threads.clamp(1, spec.grid.seeds.len().max(1)) {
            sc.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= spec.grid.seeds.len() {
                    break;
                }
                let r = run_seed(&sweep, file, spec, spec.grid.seeds[k], progress);
                *results[k].lock().expect("no panics while held") = Some(r);
            });
        }
    });
    let mut sums = Vec::new();
    for r in results {
        sums.push(r.into_inner().expect("no panics while held").expect("every seed ran")?);
    }
    Ok(tabulate(&sweep, file, spec, &sums))
}

/// Per grid point and seed values, then means and standard errors over seeds.
fn tabulate(sweep: &SweepModel, file: &str, spec: &SweepSpec, sums: &[SeedSums]) -> TransferTable {
    let points = spec.grid.soma_pa.len() * spec.grid.dend_pa.len();
    let nn = spec.grid.neurons;
    let t_s = spec.grid.duration_ms * 1e-3;
    let per_point = |f: &dyn Fn(&SeedSums, std::ops::Range<usize>) -> f64| -> Table2 {
        let mut t = Table2::default();
        for k in 0..points {
            let vals: Vec<f64> = sums.iter().map(|s| f(s, k * nn..(k + 1) * nn)).collect();
            let (m, se) = mean_se(&vals);
            t.mean.push(m);
            t.se.push(se);
        }
        t
    };
    let count = |v: &[u32], r: std::ops::Range<usize>| v[r].iter().map(|&c| c as f64).sum::<f64>();
    let sum = |v: &[f64], r: std::ops::Range<usize>| v[r].iter().sum::<f64>();
    let rate = |c: f64| c / (nn as f64 * t_s);
    TransferTable {
        model: file.to_string(),
        population: spec.population.clone(),
        kind: sweep.kind.clone(),
        grid: spec.grid.clone(),
        dt_ms: sweep.dt_ms,
        kept: sweep.kept.clone(),
        dropped: sweep.dropped.clone(),
        er: per_point(&|s, r| rate(count(&s.events, r))),
        br: per_point(&|s, r| rate(count(&s.bursts, r))),
        bp: per_point(&|s, r| {
            let e = count(&s.events, r.clone());
            if e > 0.0 {
                count(&s.bursts, r) / e
            } else {
                f64::NAN
            }
        }),
        sr: per_point(&|s, r| rate(count(&s.spikes, r))),
        v_s: per_point(&|s, r| sum(&s.v_s, r) / (nn as f64 * s.samples.max(1) as f64)),
        v_d: per_point(&|s, r| sum(&s.v_d, r) / (nn as f64 * s.samples.max(1) as f64)),
        isi_burst: per_point(&|s, r| {
            let c = count(&s.isi_n, r.clone());
            if c > 0.0 {
                sum(&s.isi_sum, r) / c
            } else {
                f64::NAN
            }
        }),
        release_std: per_point(&|s, r| rate(sum(&s.release_std, r))),
        release_stf: per_point(&|s, r| rate(sum(&s.release_stf, r))),
    }
}

/// Mean and standard error of the mean of the finite values (NaN when none).
fn mean_se(v: &[f64]) -> (f64, f64) {
    let f: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if f.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let n = f.len() as f64;
    let m = f.iter().sum::<f64>() / n;
    if f.len() < 2 {
        return (m, 0.0);
    }
    let var = f.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bracket_and_interpolation_are_exact_on_a_plane() {
        assert_eq!(bracket(&[0.0, 10.0, 20.0], 15.0), (1, 0.5));
        assert_eq!(bracket(&[0.0, 10.0, 20.0], -5.0), (0, 0.0));
        assert_eq!(bracket(&[0.0, 10.0, 20.0], 25.0), (2, 0.0));
        let (m, se) = mean_se(&[1.0, 3.0, f64::NAN]);
        assert_eq!((m, se), (2.0, 1.0));
    }
}
