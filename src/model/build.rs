//! From the raw schema to a validated [`Network`]: every range, unit and reference is checked here,
//! each failure naming the file, the section, the key, the value and what was expected.

use super::error::{hint_for, ModelError};
use super::schema::{InputSpec, KindName, ModelFile, PhaseSpec, PopulationSpec, ProjectionSpec, ProtocolFile};
use crate::burst::{BurstDetector, BurstRule, BURST_TAU_MS};
use crate::engine::{Action, Network, PopulationSlot, Protocol, SpikeHistory, MAX_DELAY_MS};
use crate::neuron::adex::{AdexParams, ExpKind};
use crate::neuron::burst_poisson::{self, BurstTiming};
use crate::neuron::lif::{InitialConductances, LifParams};
use crate::neuron::pyramidal::{DendriticDrivingForce, PyramidalParams};
use crate::neuron::{Adex, BurstPoisson, Compartment, InitialVoltage, Lif, Poisson, Population, Pyramidal, Receptor};
use crate::plasticity::{BurstRuleParams, EmptyEstimate, Homeostasis};
use crate::rng::{stream_rng, Stream};
use crate::stimulus::{file as stimfile, CurrentInput, Waveform};
use crate::synapse::projection::Csr;
use crate::synapse::{Connect, Projection, ProjectionConfig, StpIncrement, StpParams, Transmit, DEFAULT_DELAY_MS};
use crate::PopulationId;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Default rate bin, ms (Fig. 3 uses 50 ms, spec 2.2).
pub const DEFAULT_RATE_BIN_MS: f64 = 50.0;

/// Command-line overrides applied before building (they change wiring and noise).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// Replaces `[simulation] seed`.
    pub seed: Option<u64>,
    /// Replaces `[simulation] duration_ms`.
    pub duration_ms: Option<f64>,
}

/// What to record, resolved.
#[derive(Clone, Debug)]
pub struct OutputConfig {
    /// Output path as given (or derived from the model name).
    pub file: String,
    /// Indices of recorded populations.
    pub populations: Vec<usize>,
    /// Record spikes.
    pub spikes: bool,
    /// Record events and bursts.
    pub events_bursts: bool,
    /// Rate bin in steps.
    pub rate_bin_steps: u64,
    /// Deflate compression.
    pub compression: bool,
    /// Weight snapshots.
    pub weights: Option<WeightsConfig>,
}

/// What `[output.weights]` asks for, resolved.
#[derive(Clone, Debug)]
pub struct WeightsConfig {
    /// Snapshot period, steps.
    pub every_steps: u64,
    /// Projection indices.
    pub projections: Vec<usize>,
    /// Every synapse's weight at each snapshot.
    pub full: bool,
    /// Record the plasticity estimates of the first N postsynaptic neurons.
    pub estimates_of_first: usize,
}

/// Adds a named current input to the names table.
fn register_input(
    cx: &Ctx,
    names: &mut BTreeMap<String, usize>,
    name: &Option<String>,
    index: usize,
    k: usize,
) -> Result<(), ModelError> {
    if let Some(n) = name {
        if names.insert(n.clone(), index).is_some() {
            return Err(cx.invalid(
                &format!("input {k}"),
                "name",
                format!("\"{n}\""),
                "a name not used by another input",
            ));
        }
    }
    Ok(())
}

/// A built model: the network plus run settings.
#[derive(Debug)]
pub struct Model {
    /// The network.
    pub network: Network,
    /// Steps to run.
    pub n_steps: u64,
    /// Seed used.
    pub seed: u64,
    /// Threads requested in the file.
    pub threads: Option<usize>,
    /// Title.
    pub title: Option<String>,
    /// Recording.
    pub output: OutputConfig,
    /// The model text, stored in the output.
    pub text: String,
}

struct Ctx<'a> {
    file: &'a str,
    /// Folder against which stimulus files are resolved (the model file's).
    base: PathBuf,
}

impl Ctx<'_> {
    fn invalid(
        &self,
        section: &str,
        key: &str,
        value: impl std::fmt::Display,
        expected: impl Into<String>,
    ) -> ModelError {
        ModelError::Invalid {
            file: self.file.to_string(),
            section: section.to_string(),
            key: key.to_string(),
            value: value.to_string(),
            expected: expected.into(),
        }
    }

    fn positive(&self, section: &str, key: &str, v: f64, what: &str) -> Result<f64, ModelError> {
        if v.is_finite() && v > 0.0 {
            Ok(v)
        } else {
            Err(self.invalid(section, key, v, format!("a positive {what}")))
        }
    }

    fn non_negative(&self, section: &str, key: &str, v: f64, what: &str) -> Result<f64, ModelError> {
        if v.is_finite() && v >= 0.0 {
            Ok(v)
        } else {
            Err(self.invalid(section, key, v, format!("{what} >= 0")))
        }
    }

    fn finite(&self, section: &str, key: &str, v: f64, what: &str) -> Result<f64, ModelError> {
        if v.is_finite() {
            Ok(v)
        } else {
            Err(self.invalid(section, key, v, format!("a finite {what}")))
        }
    }

    /// A time in ms converted to whole steps; must be a multiple of dt (to 1e-6 of a step).
    fn steps(&self, section: &str, key: &str, ms: f64, dt: f64) -> Result<u64, ModelError> {
        self.non_negative(section, key, ms, "time in ms")?;
        let s = ms / dt;
        if (s - s.round()).abs() > 1e-6 {
            return Err(self.invalid(section, key, ms, format!("a multiple of dt = {dt} ms")));
        }
        Ok(s.round() as u64)
    }
}

fn number(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Float(f) => Some(*f),
        toml::Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

/// Builds the network from the parsed file.
pub fn build(raw: ModelFile, text: &str, file: &str, stem: &str, ov: &Overrides) -> Result<Model, ModelError> {
    let base = Path::new(file).parent().map(Path::to_path_buf).unwrap_or_default();
    let cx = Ctx { file, base };
    let sim = &raw.simulation;
    let dt = cx.positive("[simulation]", "dt_ms", sim.dt_ms, "time step in ms")?;
    if dt > 10.0 {
        return Err(cx.invalid("[simulation]", "dt_ms", dt, "a time step in ms of at most 10 (0.1 in the reference)"));
    }
    let duration = ov.duration_ms.unwrap_or(sim.duration_ms);
    let dkey = if ov.duration_ms.is_some() { "--duration-ms" } else { "duration_ms" };
    cx.positive("[simulation]", dkey, duration, "duration in ms")?;
    let n_steps = (duration / dt).round() as u64;
    let seed = ov.seed.unwrap_or(sim.seed);
    let threads = match sim.threads {
        None => None,
        Some(t) if (1..=1024).contains(&t) => Some(t as usize),
        Some(t) => return Err(cx.invalid("[simulation]", "threads", t, "an integer from 1 to 1024")),
    };
    let burst_rule = match raw.output.burst_rule.as_deref() {
        None | Some("trace") => BurstRule::Trace,
        Some("isi") => BurstRule::Isi,
        Some(o) => return Err(cx.invalid("[output]", "burst_rule", format!("\"{o}\""), "\"trace\" or \"isi\"")),
    };

    // Populations.
    let mut slots: Vec<PopulationSlot> = Vec::new();
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    for (k, spec) in raw.populations.iter().enumerate() {
        let section = format!("population {k} (\"{}\")", spec.name);
        if spec.name.is_empty() {
            return Err(cx.invalid(&format!("population {k}"), "name", "\"\"", "a non-empty name"));
        }
        if names.contains_key(&spec.name) {
            return Err(cx.invalid(
                &section,
                "name",
                format!("\"{}\"", spec.name),
                "a name not used by another population",
            ));
        }
        if spec.size <= 0 || spec.size > u32::MAX as i64 {
            return Err(cx.invalid(&section, "size", spec.size, "a positive number of neurons"));
        }
        let pop = build_population(&cx, &section, spec, dt, seed, k as u64)?;
        names.insert(spec.name.clone(), slots.len());
        slots.push(new_slot(spec.name.clone(), false, pop, dt, burst_rule));
    }
    let n_declared = slots.len();
    let known = |names: &BTreeMap<String, usize>| names.keys().cloned().collect::<Vec<_>>().join(", ");
    let lookup = |names: &BTreeMap<String, usize>, section: &str, key: &str, name: &str| -> Result<usize, ModelError> {
        names.get(name).copied().ok_or_else(|| {
            cx.invalid(
                section,
                key,
                format!("\"{name}\""),
                format!("the name of a population (known: {})", known(names)),
            )
        })
    };

    // Projections.
    let mut projections = Vec::new();
    for (k, spec) in raw.projections.iter().enumerate() {
        let section = format!("projection {k} ({} -> {})", spec.from, spec.to);
        let from = lookup(&names, &section, "from", &spec.from)?;
        let to = lookup(&names, &section, "to", &spec.to)?;
        let connect = parse_connect(&cx, &section, &spec.connect)?;
        projections.push(build_projection(&cx, &section, spec, connect, from, to, &mut slots, dt, seed, k as u64)?);
    }

    // Inputs.
    let mut currents = Vec::new();
    let mut input_names: BTreeMap<String, usize> = BTreeMap::new();
    for (k, spec) in raw.inputs.iter().enumerate() {
        match spec {
            InputSpec::ConstantCurrent { name, target, compartment, current_pa, start_ms, stop_ms } => {
                let section = format!("input {k} (constant_current -> {target})");
                let t = lookup(&names, &section, "target", target)?;
                check_current_target(&cx, &section, &slots[t], *compartment)?;
                let current_pa = cx.finite(&section, "current_pa", *current_pa, "current in pA")?;
                let (start_step, stop_step) = window(&cx, &section, *start_ms, *stop_ms, dt)?;
                register_input(&cx, &mut input_names, name, currents.len(), k)?;
                currents.push(CurrentInput {
                    target: PopulationId(t as u32),
                    compartment: *compartment,
                    waveform: Waveform::Constant { current_pa },
                    start_step,
                    stop_step,
                });
            }
            InputSpec::SineCurrent {
                name,
                target,
                compartment,
                amplitude_pa,
                period_ms,
                phase_deg,
                offset_pa,
                start_ms,
                stop_ms,
            } => {
                let section = format!("input {k} (sine_current -> {target})");
                let t = lookup(&names, &section, "target", target)?;
                check_current_target(&cx, &section, &slots[t], *compartment)?;
                let (start_step, stop_step) = window(&cx, &section, *start_ms, *stop_ms, dt)?;
                register_input(&cx, &mut input_names, name, currents.len(), k)?;
                currents.push(CurrentInput {
                    target: PopulationId(t as u32),
                    compartment: *compartment,
                    waveform: Waveform::Sine {
                        amplitude_pa: cx.finite(&section, "amplitude_pa", *amplitude_pa, "amplitude in pA")?,
                        period_ms: cx.positive(&section, "period_ms", *period_ms, "period in ms")?,
                        phase_rad: cx
                            .finite(&section, "phase_deg", phase_deg.unwrap_or(0.0), "phase in degrees")?
                            .to_radians(),
                        offset_pa: cx.finite(&section, "offset_pa", offset_pa.unwrap_or(0.0), "offset in pA")?,
                    },
                    start_step,
                    stop_step,
                });
            }
            InputSpec::FileCurrent { name, target, compartment, file: stim, loop_ms, scale, start_ms, stop_ms } => {
                let section = format!("input {k} (file_current -> {target})");
                let t = lookup(&names, &section, "target", target)?;
                check_current_target(&cx, &section, &slots[t], *compartment)?;
                let (start_step, stop_step) = window(&cx, &section, *start_ms, *stop_ms, dt)?;
                let scale = cx.finite(&section, "scale", scale.unwrap_or(1.0), "factor")?;
                let mut series = stimfile::read_piecewise(&cx.base.join(stim), *loop_ms)
                    .map_err(|e| ModelError::Stimulus { file: file.to_string(), section: section.clone(), cause: e })?;
                series.values_pa.iter_mut().for_each(|v| *v *= scale);
                register_input(&cx, &mut input_names, name, currents.len(), k)?;
                currents.push(CurrentInput {
                    target: PopulationId(t as u32),
                    compartment: *compartment,
                    waveform: Waveform::Piecewise(series),
                    start_step,
                    stop_step,
                });
            }
            InputSpec::NeuronCurrents { name, target, compartment, values_pa, file: stim, start_ms, stop_ms } => {
                let section = format!("input {k} (neuron_currents -> {target})");
                let t = lookup(&names, &section, "target", target)?;
                check_current_target(&cx, &section, &slots[t], *compartment)?;
                let (start_step, stop_step) = window(&cx, &section, *start_ms, *stop_ms, dt)?;
                let n = slots[t].pop.len();
                let values = match (values_pa, stim) {
                    (Some(v), None) => {
                        if v.len() != n {
                            return Err(cx.invalid(
                                &section,
                                "values_pa",
                                format!("{} values", v.len()),
                                format!("one current per neuron ({n})"),
                            ));
                        }
                        if let Some(x) = v.iter().find(|x| !x.is_finite()) {
                            return Err(cx.invalid(&section, "values_pa", x, "finite currents in pA"));
                        }
                        v.iter().map(|&x| x as f32).collect()
                    }
                    (None, Some(f)) => stimfile::read_per_neuron(&cx.base.join(f), n).map_err(|e| {
                        ModelError::Stimulus { file: file.to_string(), section: section.clone(), cause: e }
                    })?,
                    _ => {
                        return Err(cx.invalid(
                            &section,
                            "values_pa",
                            "(both or neither given)",
                            "either values_pa or file",
                        ))
                    }
                };
                register_input(&cx, &mut input_names, name, currents.len(), k)?;
                currents.push(CurrentInput {
                    target: PopulationId(t as u32),
                    compartment: *compartment,
                    waveform: Waveform::PerNeuron(values),
                    start_step,
                    stop_step,
                });
            }
            InputSpec::Poisson { name, target, compartment, receptor, rate_hz, weight, delay_ms } => {
                let section = format!("input {k} (poisson -> {target})");
                let t = lookup(&names, &section, "target", target)?;
                let rate = poisson_rate(&cx, &section, *rate_hz, dt)?;
                let n = slots[t].pop.len();
                let src_name = name.clone().unwrap_or_else(|| {
                    format!("{target}.{}.{}.input{k}", comp_name(*compartment), rec_name(*receptor))
                });
                if names.contains_key(&src_name) {
                    return Err(cx.invalid(
                        &section,
                        "name",
                        format!("\"{src_name}\""),
                        "a name not used by another population",
                    ));
                }
                // Generated source populations take indices after the declared ones, so adding an
                // input does not change the random streams of declared populations.
                let index = (n_declared + k) as u64 + (1 << 32);
                let pop = Population::Poisson(Poisson::new(n, rate, dt, seed, index));
                names.insert(src_name.clone(), slots.len());
                let from = slots.len();
                slots.push(new_slot(src_name.clone(), true, pop, dt, burst_rule));
                let pspec = ProjectionSpec {
                    name: Some(format!("{src_name}->{target}")),
                    from: src_name,
                    to: target.clone(),
                    target: *compartment,
                    receptor: *receptor,
                    connect: toml::Value::String("one_to_one".into()),
                    weight: *weight,
                    delay_ms: *delay_ms,
                    stp: None,
                    transmit: None,
                    transmit_trace: None,
                    plasticity: None,
                };
                let pk = raw.projections.len() as u64 + k as u64;
                projections.push(build_projection(
                    &cx,
                    &section,
                    &pspec,
                    Connect::OneToOne,
                    from,
                    t,
                    &mut slots,
                    dt,
                    seed,
                    pk,
                )?);
            }
        }
    }

    // Output.
    let out = &raw.output;
    let populations = match &out.populations {
        Some(list) => {
            let mut v = Vec::new();
            for n in list {
                v.push(lookup(&names, "[output]", "populations", n)?);
            }
            v
        }
        None => (0..n_declared).filter(|&i| !matches!(slots[i].pop, Population::Poisson(_))).collect(),
    };
    let bin = out.rate_bin_ms.unwrap_or(DEFAULT_RATE_BIN_MS);
    cx.positive("[output]", "rate_bin_ms", bin, "bin in ms")?;
    let rate_bin_steps = cx.steps("[output]", "rate_bin_ms", bin, dt)?;
    let file_name = match &out.file {
        Some(f) if f.is_empty() => return Err(cx.invalid("[output]", "file", "\"\"", "a file name")),
        Some(f) => f.clone(),
        None => format!("{stem}.h5"),
    };
    let output = OutputConfig {
        file: file_name,
        populations,
        spikes: out.spikes.unwrap_or(true),
        events_bursts: out.events_bursts.unwrap_or(true),
        rate_bin_steps,
        compression: out.compression.unwrap_or(false),
        weights: None,
    };
    // Weight snapshots.
    let weights = match &out.weights {
        None => None,
        Some(w) => {
            let sec = "[output.weights]";
            let every_steps =
                cx.steps(sec, "every_ms", cx.positive(sec, "every_ms", w.every_ms, "period in ms")?, dt)?;
            let proj_names: BTreeMap<&str, usize> =
                projections.iter().enumerate().map(|(i, p)| (p.name(), i)).collect();
            let list = match &w.projections {
                Some(list) => {
                    let mut v = Vec::new();
                    for n in list {
                        v.push(*proj_names.get(n.as_str()).ok_or_else(|| {
                            cx.invalid(
                                sec,
                                "projections",
                                format!("\"{n}\""),
                                format!(
                                    "a projection name (known: {})",
                                    proj_names.keys().cloned().collect::<Vec<_>>().join(", ")
                                ),
                            )
                        })?);
                    }
                    v
                }
                None => (0..projections.len()).filter(|&i| projections[i].rule.is_some()).collect(),
            };
            let first = w.estimates_of_first.unwrap_or(0);
            if first < 0 {
                return Err(cx.invalid(sec, "estimates_of_first", first, "a number of neurons >= 0"));
            }
            Some(WeightsConfig {
                every_steps,
                projections: list,
                full: w.full.unwrap_or(false),
                estimates_of_first: first as usize,
            })
        }
    };
    // Protocol: the model's [[phase]] entries, then those of the protocol file.
    let mut phases: Vec<(String, PhaseSpec)> = raw.phases.iter().map(|p| (file.to_string(), p.clone())).collect();
    if let Some(pf) = &sim.protocol_file {
        let path = cx.base.join(pf);
        let label = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|e| {
            let expected = format!("a readable TOML file of [[phase]] entries ({label}: {e})");
            cx.invalid("[simulation]", "protocol_file", format!("\"{pf}\""), expected)
        })?;
        let de = toml::Deserializer::new(&text);
        let pfile: ProtocolFile = serde_path_to_error::deserialize(de).map_err(|e| ModelError::Parse {
            file: label.clone(),
            line: String::new(),
            key: format!("{}: ", e.path()),
            message: e.into_inner().message().trim().to_string(),
        })?;
        phases.extend(pfile.phases.into_iter().map(|p| (label.clone(), p)));
    }
    let pop_names = names.clone();
    let mut actions = Vec::new();
    for (k, (src, ph)) in phases.iter().enumerate() {
        let pcx = Ctx { file: src, base: cx.base.clone() };
        let sec = format!("phase {k} (at {} ms)", ph.at_ms);
        let step = pcx.steps(&sec, "at_ms", ph.at_ms, dt)?;
        let proj_index = |key: &str, name: &str| -> Result<usize, ModelError> {
            projections.iter().position(|p| p.name() == name).ok_or_else(|| {
                pcx.invalid(
                    &sec,
                    key,
                    format!("\"{name}\""),
                    format!(
                        "a projection name (known: {})",
                        projections.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ")
                    ),
                )
            })
        };
        for (name, &on) in &ph.plasticity {
            let i = proj_index("plasticity", name)?;
            if projections[i].rule.is_none() {
                return Err(pcx.invalid(&sec, "plasticity", format!("\"{name}\""), "a plastic projection"));
            }
            actions.push((step, Action::Plasticity { projection: i, on }));
        }
        for (name, &scale) in &ph.weight_scale {
            // A projection by name, or a Poisson [[input]] drive by its name (its generated
            // one-to-one projection).
            let drive = pop_names
                .get(name)
                .filter(|&&p| slots[p].generated)
                .and_then(|&p| projections.iter().position(|q| q.cfg.from.0 as usize == p));
            let i = match drive {
                Some(i) => i,
                None => proj_index("weight_scale", name)?,
            };
            pcx.non_negative(&sec, &format!("weight_scale.{name}"), scale, "factor")?;
            if projections[i].rule.is_some() {
                return Err(pcx.invalid(
                    &sec,
                    "weight_scale",
                    format!("\"{name}\""),
                    "a static projection (plastic weights belong to the rule)",
                ));
            }
            actions.push((step, Action::WeightScale { projection: i, scale }));
        }
        for (name, &hz) in &ph.rate_hz {
            let Some(&i) = pop_names.get(name).filter(|&&i| matches!(slots[i].pop, Population::Poisson(_))) else {
                return Err(pcx.invalid(
                    &sec,
                    "rate_hz",
                    format!("\"{name}\""),
                    "the name of a Poisson population or of a Poisson [[input]]",
                ));
            };
            poisson_rate(&pcx, &sec, hz, dt)?;
            actions.push((step, Action::Rate { population: i, hz }));
        }
        for (name, &pa) in &ph.current_pa {
            let Some(&i) = input_names.get(name) else {
                return Err(pcx.invalid(
                    &sec,
                    "current_pa",
                    format!("\"{name}\""),
                    format!(
                        "the name of a constant or sine current [[input]] (known: {})",
                        input_names.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                ));
            };
            if !matches!(currents[i].waveform, Waveform::Constant { .. } | Waveform::Sine { .. }) {
                return Err(pcx.invalid(&sec, "current_pa", format!("\"{name}\""), "a constant or sine current"));
            }
            pcx.finite(&sec, &format!("current_pa.{name}"), pa, "current in pA")?;
            actions.push((step, Action::Current { input: i, pa }));
        }
    }
    let output = OutputConfig { weights, ..output };
    let mut network = Network::new(dt, slots, projections, currents);
    network.protocol = Protocol::new(actions);
    Ok(Model { network, n_steps, seed, threads, title: sim.title.clone(), output, text: text.to_string() })
}

fn comp_name(c: Compartment) -> &'static str {
    match c {
        Compartment::Soma => "soma",
        Compartment::Dendrite => "dendrite",
    }
}

fn rec_name(r: Receptor) -> &'static str {
    match r {
        Receptor::Exc => "exc",
        Receptor::Inh => "inh",
    }
}

fn new_slot(name: String, generated: bool, pop: Population, dt: f64, rule: BurstRule) -> PopulationSlot {
    let detector = match pop {
        Population::Poisson(_) => None,
        _ => Some(BurstDetector::new(pop.len(), BURST_TAU_MS, dt, rule)),
    };
    PopulationSlot {
        name,
        generated,
        pop,
        detector,
        history: SpikeHistory::new(0),
        events: Vec::new(),
        bursts: Vec::new(),
        burst_onsets: Vec::new(),
    }
}

fn poisson_rate(cx: &Ctx, section: &str, rate: f64, dt: f64) -> Result<f64, ModelError> {
    let max = 1000.0 / dt;
    if !(rate.is_finite() && rate >= 0.0 && rate < max) {
        return Err(cx.invalid(section, "rate_hz", rate, format!("a rate in Hz >= 0 and below 1/dt = {max} Hz")));
    }
    Ok(rate)
}

fn check_current_target(cx: &Ctx, section: &str, slot: &PopulationSlot, c: Compartment) -> Result<(), ModelError> {
    if slot.pop.accepts_current(c) {
        Ok(())
    } else {
        Err(cx.invalid(
            section,
            "compartment",
            format!("\"{}\"", comp_name(c)),
            format!(
                "a compartment of population \"{}\" (kind {}) that takes currents",
                slot.name,
                slot.pop.kind_name()
            ),
        ))
    }
}

fn window(cx: &Ctx, section: &str, start: Option<f64>, stop: Option<f64>, dt: f64) -> Result<(u64, u64), ModelError> {
    let a = cx.steps(section, "start_ms", start.unwrap_or(0.0), dt)?;
    let b = match stop {
        None => u64::MAX,
        Some(s) => cx.steps(section, "stop_ms", s, dt)?,
    };
    if b < a {
        return Err(cx.invalid(section, "stop_ms", stop.unwrap_or(0.0), "a time after start_ms"));
    }
    Ok((a, b))
}

fn parse_connect(cx: &Ctx, section: &str, v: &toml::Value) -> Result<Connect, ModelError> {
    let expected = "{ p = <probability> }, \"one_to_one\" or \"all_to_all\"";
    match v {
        toml::Value::String(s) if s == "one_to_one" => Ok(Connect::OneToOne),
        toml::Value::String(s) if s == "all_to_all" => Ok(Connect::AllToAll),
        toml::Value::Table(t) => {
            if let Some(k) = t.keys().find(|k| *k != "p") {
                return Err(ModelError::UnknownKey {
                    file: cx.file.to_string(),
                    section: format!("{section}: connect"),
                    key: k.clone(),
                    allowed: "p".into(),
                    hint: String::new(),
                });
            }
            let p = t.get("p").ok_or_else(|| cx.invalid(section, "connect", v, expected))?;
            let p = number(p).ok_or_else(|| cx.invalid(section, "connect.p", p, "a probability (number)"))?;
            if !(0.0..=1.0).contains(&p) {
                return Err(cx.invalid(section, "connect.p", p, "a probability between 0 and 1"));
            }
            Ok(Connect::Probability(p))
        }
        other => Err(cx.invalid(section, "connect", other, expected)),
    }
}

#[allow(clippy::too_many_arguments)] // one call site per entry kind; grouping would only rename them
fn build_projection(
    cx: &Ctx,
    section: &str,
    spec: &ProjectionSpec,
    connect: Connect,
    from: usize,
    to: usize,
    slots: &mut [PopulationSlot],
    dt: f64,
    seed: u64,
    index: u64,
) -> Result<Projection, ModelError> {
    let weight = spec.weight;
    if !(weight.is_finite() && weight >= 0.0) {
        return Err(cx.invalid(
            section,
            "weight",
            weight,
            "a conductance >= 0 in units of the target's leak conductance (the receptor sets the sign)",
        ));
    }
    let plasticity = match &spec.plasticity {
        None => None,
        Some(v) => Some(parse_plasticity(cx, section, v, weight)?),
    };
    let transmit = match spec.transmit.as_deref() {
        // Plastic projections transmit events only (the reference's AdaptiveEBCP, P7).
        None if plasticity.is_some() => Transmit::Events,
        Some(t) if plasticity.is_some() && t != "events" => {
            return Err(cx.invalid(
                section,
                "transmit",
                format!("\"{t}\""),
                "\"events\" (or nothing): plastic projections transmit events only (spec 5.1, P7)",
            ))
        }
        None | Some("all") => Transmit::All,
        Some("events") => Transmit::Events,
        Some("bursts") => Transmit::Bursts,
        Some(o) => {
            return Err(cx.invalid(section, "transmit", format!("\"{o}\""), "\"all\", \"events\" or \"bursts\""))
        }
    };
    let filter_trace_delay = match spec.transmit_trace.as_deref() {
        None | Some("delayed") => (DEFAULT_DELAY_MS / dt).round() as u32,
        Some("immediate") => 0,
        Some(o) => {
            return Err(cx.invalid(
                section,
                "transmit_trace",
                format!("\"{o}\""),
                "\"delayed\" (reference, P7) or \"immediate\"",
            ))
        }
    };
    let stp = match &spec.stp {
        None => None,
        Some(v) => Some(parse_stp(cx, section, v)?),
    };
    if stp.is_some() && transmit != Transmit::All {
        return Err(cx.invalid(
            section,
            "transmit",
            format!("\"{}\"", spec.transmit.as_deref().unwrap_or("")),
            "\"all\" when stp is set (the reference filters static synapses only)",
        ));
    }
    // Filtered projections read the immediate spike list: zero delay (spec 0.3, P7).
    let default_delay = if transmit == Transmit::All { DEFAULT_DELAY_MS } else { 0.0 };
    let delay_ms = spec.delay_ms.unwrap_or(default_delay);
    if delay_ms > MAX_DELAY_MS {
        return Err(cx.invalid(section, "delay_ms", delay_ms, format!("a delay of at most {MAX_DELAY_MS} ms")));
    }
    let delay = cx.steps(section, "delay_ms", delay_ms, dt)? as u32;
    if plasticity.is_some() && delay != 0 {
        return Err(cx.invalid(section, "delay_ms", delay_ms, "0 (plastic projections act in the emission step, P7)"));
    }
    if slots[to].pop.conductance_mut(spec.target, spec.receptor).is_none() {
        return Err(cx.invalid(
            section,
            "target",
            format!("\"{}\"", comp_name(spec.target)),
            format!(
                "a compartment with synapses; population \"{}\" (kind {}) has none there",
                slots[to].name,
                slots[to].pop.kind_name()
            ),
        ));
    }
    let (n_pre, n_post) = (slots[from].pop.len(), slots[to].pop.len());
    if connect == Connect::OneToOne && n_pre != n_post {
        return Err(cx.invalid(
            section,
            "connect",
            "\"one_to_one\"",
            format!(
                "populations of equal size (\"{}\" has {n_pre}, \"{}\" has {n_post})",
                slots[from].name, slots[to].name
            ),
        ));
    }
    let pairs = n_pre as f64 * n_post as f64;
    let expected_syn = match connect {
        Connect::Probability(p) => pairs * p,
        Connect::OneToOne => n_pre as f64,
        Connect::AllToAll => pairs,
    };
    if expected_syn > 2e9 {
        return Err(cx.invalid(
            section,
            "connect",
            format!("{expected_syn:.3e} synapses"),
            "at most 2e9 synapses per projection",
        ));
    }
    let mut rng = stream_rng(seed, Stream::Wiring, &[index]);
    let csr = Csr::generate(connect, n_pre, n_post, from == to, &mut rng);
    // The source keeps spikes long enough for its longest outgoing delay (and, for filters, for
    // the delayed feed of their presynaptic trace).
    let depth = if transmit == Transmit::All { delay } else { delay.max(filter_trace_delay) };
    if slots[from].history_depth() < depth {
        slots[from].history = SpikeHistory::new(depth);
    }
    let name = spec.name.clone().unwrap_or_else(|| {
        format!("{}->{}.{}.{}", spec.from, spec.to, comp_name(spec.target), rec_name(spec.receptor))
    });
    let cfg = ProjectionConfig {
        name,
        from: PopulationId(from as u32),
        to: PopulationId(to as u32),
        target: spec.target,
        receptor: spec.receptor,
        weight: weight as f32,
        delay_steps: delay,
        transmit,
        stp,
        filter_trace_delay,
        plasticity_on: plasticity.as_ref().is_some_and(|p| p.1),
        plasticity: plasticity.map(|p| p.0),
    };
    Ok(Projection::new(cfg, csr, n_pre, n_post, dt))
}

/// `plasticity = { rule = "burst", eta, tau_pre_ms, tau_avg_ms, w_min, w_max, theta_min_hz,
/// theta_max_hz, tau_hom_ms, r_hom_init_hz, homeostasis, empty_estimate, on }`: the rule's parameters
/// (defaults: the reference's constants, spec 5.1) and whether it starts on.
fn parse_plasticity(cx: &Ctx, section: &str, v: &toml::Value, w0: f64) -> Result<(BurstRuleParams, bool), ModelError> {
    let toml::Value::Table(t) = v else {
        return Err(cx.invalid(
            section,
            "plasticity",
            v,
            "a table { rule = \"burst\", eta = .., tau_pre_ms = .., tau_avg_ms = .. }",
        ));
    };
    let allowed = [
        "rule",
        "eta",
        "tau_pre_ms",
        "tau_avg_ms",
        "w_min",
        "w_max",
        "theta_min_hz",
        "theta_max_hz",
        "tau_hom_ms",
        "r_hom_init_hz",
        "homeostasis",
        "empty_estimate",
        "on",
    ];
    if let Some(k) = t.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(ModelError::UnknownKey {
            file: cx.file.to_string(),
            section: format!("{section}: plasticity"),
            key: k.clone(),
            allowed: allowed.join(", "),
            hint: hint_for(k, &allowed),
        });
    }
    match t.get("rule") {
        Some(toml::Value::String(r)) if r == "burst" => {}
        Some(o) => return Err(cx.invalid(section, "plasticity.rule", o, "\"burst\" (spec 5.1)")),
        None => return Err(cx.invalid(section, "plasticity.rule", "(missing)", "\"burst\" (spec 5.1)")),
    }
    let num = |key: &str| -> Result<Option<f64>, ModelError> {
        match t.get(key) {
            None => Ok(None),
            Some(x) => {
                number(x).map(Some).ok_or_else(|| cx.invalid(section, &format!("plasticity.{key}"), x, "a number"))
            }
        }
    };
    let need = |key: &str| -> Result<f64, ModelError> {
        num(key)?.ok_or_else(|| cx.invalid(section, &format!("plasticity.{key}"), "(missing)", "a number"))
    };
    let eta = need("eta")?;
    cx.non_negative(section, "plasticity.eta", eta, "learning rate")?;
    let tau_pre = cx.positive(section, "plasticity.tau_pre_ms", need("tau_pre_ms")?, "time constant in ms")?;
    let tau_avg = cx.positive(section, "plasticity.tau_avg_ms", need("tau_avg_ms")?, "time constant in ms")?;
    let mut p = BurstRuleParams::reference(eta, tau_pre, tau_avg);
    if let Some(x) = num("w_min")? {
        p.w_min = cx.finite(section, "plasticity.w_min", x, "weight")?;
    }
    if let Some(x) = num("w_max")? {
        p.w_max = cx.finite(section, "plasticity.w_max", x, "weight")?;
    }
    if !(p.w_min <= w0 && w0 <= p.w_max) {
        return Err(cx.invalid(
            section,
            "weight",
            w0,
            format!("an initial weight within [w_min, w_max] = [{}, {}]", p.w_min, p.w_max),
        ));
    }
    if let Some(x) = num("theta_min_hz")? {
        p.theta_min_hz = cx.non_negative(section, "plasticity.theta_min_hz", x, "rate in Hz")?;
    }
    if let Some(x) = num("theta_max_hz")? {
        p.theta_max_hz = cx.positive(section, "plasticity.theta_max_hz", x, "rate in Hz")?;
    }
    if let Some(x) = num("tau_hom_ms")? {
        p.tau_hom_ms = cx.positive(section, "plasticity.tau_hom_ms", x, "time constant in ms")?;
    }
    if let Some(x) = num("r_hom_init_hz")? {
        p.r_hom_init_hz = cx.non_negative(section, "plasticity.r_hom_init_hz", x, "rate in Hz")?;
    }
    let string = |key: &str| match t.get(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s.as_str())),
        Some(o) => Err(cx.invalid(section, &format!("plasticity.{key}"), o, "a string")),
    };
    p.homeostasis = match string("homeostasis")? {
        None | Some("reference") => Homeostasis::Reference,
        Some("event_rate") => Homeostasis::EventRate,
        Some(o) => {
            return Err(cx.invalid(
                section,
                "plasticity.homeostasis",
                format!("\"{o}\""),
                "\"reference\" (P8) or \"event_rate\"",
            ))
        }
    };
    p.empty_estimate = match string("empty_estimate")? {
        None | Some("reference") => EmptyEstimate::Reference,
        Some("skip") => EmptyEstimate::Skip,
        Some(o) => {
            return Err(cx.invalid(
                section,
                "plasticity.empty_estimate",
                format!("\"{o}\""),
                "\"reference\" (P9) or \"skip\"",
            ))
        }
    };
    let on = match t.get("on") {
        None => true,
        Some(toml::Value::Boolean(b)) => *b,
        Some(o) => return Err(cx.invalid(section, "plasticity.on", o, "true or false")),
    };
    Ok((p, on))
}

/// `stp = "depressing" | "facilitating" | { u, tau_d_ms, tau_f_ms, f, u_init, increment } |
/// { preset = "...", u_init = ..., increment = ... }`. `increment = "reference"` (default: u jumps
/// by U, what the reference runs) or `"etm"` (u jumps by f, the eTM model of spec 4.1).
fn parse_stp(cx: &Ctx, section: &str, v: &toml::Value) -> Result<StpParams, ModelError> {
    let expected =
        "\"depressing\", \"facilitating\", { u, tau_d_ms, tau_f_ms, f, u_init, increment } or { preset, ... }";
    let preset = |name: &str| match name {
        "depressing" => Ok(StpParams::depressing()),
        "facilitating" => Ok(StpParams::facilitating()),
        o => Err(cx.invalid(section, "stp", format!("\"{o}\""), expected)),
    };
    let table = match v {
        toml::Value::String(s) => return preset(s),
        toml::Value::Table(t) => t,
        o => return Err(cx.invalid(section, "stp", o, expected)),
    };
    let allowed = ["preset", "u", "f", "tau_d_ms", "tau_f_ms", "u_init", "increment"];
    if let Some(k) = table.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(ModelError::UnknownKey {
            file: cx.file.to_string(),
            section: format!("{section}: stp"),
            key: k.clone(),
            allowed: allowed.join(", "),
            hint: hint_for(k, &allowed),
        });
    }
    let num = |key: &str| -> Result<Option<f64>, ModelError> {
        match table.get(key) {
            None => Ok(None),
            Some(x) => number(x).map(Some).ok_or_else(|| cx.invalid(section, &format!("stp.{key}"), x, "a number")),
        }
    };
    let mut p = match table.get("preset") {
        Some(toml::Value::String(s)) => preset(s)?,
        Some(o) => return Err(cx.invalid(section, "stp.preset", o, "\"depressing\" or \"facilitating\"")),
        None => {
            let missing = ["u", "tau_d_ms", "tau_f_ms"].into_iter().find(|k| !table.contains_key(*k));
            if let Some(k) = missing {
                return Err(cx.invalid(
                    section,
                    &format!("stp.{k}"),
                    "(missing)",
                    "explicit STP needs u, tau_d_ms and tau_f_ms (and f with increment = \"etm\")",
                ));
            }
            StpParams::depressing()
        }
    };
    let unit = |key: &str, x: f64| -> Result<f64, ModelError> {
        if (0.0..=1.0).contains(&x) {
            Ok(x)
        } else {
            Err(cx.invalid(section, &format!("stp.{key}"), x, "a fraction between 0 and 1"))
        }
    };
    if let Some(x) = num("u")? {
        p.u = unit("u", x)?;
    }
    if let Some(x) = num("f")? {
        p.f = unit("f", x)?;
    }
    if let Some(x) = num("tau_d_ms")? {
        p.tau_d_ms = cx.positive(section, "stp.tau_d_ms", x, "time constant in ms")?;
    }
    if let Some(x) = num("tau_f_ms")? {
        p.tau_f_ms = cx.positive(section, "stp.tau_f_ms", x, "time constant in ms")?;
    }
    if let Some(x) = num("u_init")? {
        p.u_init = unit("u_init", x)?;
    }
    p.increment = match table.get("increment") {
        None => StpIncrement::Reference,
        Some(toml::Value::String(s)) if s == "reference" => StpIncrement::Reference,
        Some(toml::Value::String(s)) if s == "etm" => StpIncrement::Etm,
        Some(o) => {
            return Err(cx.invalid(
                section,
                "stp.increment",
                o,
                "\"reference\" (u += U (1 - u), as the reference runs) or \"etm\" (u += f (1 - u))",
            ))
        }
    };
    Ok(p)
}

/// Builds one declared population: the single registration point of population kinds.
fn build_population(
    cx: &Ctx,
    section: &str,
    spec: &PopulationSpec,
    dt: f64,
    seed: u64,
    index: u64,
) -> Result<Population, ModelError> {
    let n = spec.size as usize;
    let mut rest = Keys { cx, section, map: &spec.rest, used: Vec::new() };
    let pop = match spec.kind {
        KindName::Pyramidal | KindName::BurstPoisson => {
            let bursty = spec.kind == KindName::BurstPoisson;
            let mut params = if bursty { burst_poisson::default_params() } else { PyramidalParams::default() };
            // Terms the stochastic-burst cell does not have (spec 1.7): refuse rather than ignore.
            let unused: &[&str] = if bursty { &["g_s_pa", "g_d_pa", "c_bap_pa", "bap_ms"] } else { &[] };
            for key in unused {
                if spec.rest.contains_key(*key) {
                    return Err(cx.invalid(
                        section,
                        key,
                        &spec.rest[*key],
                        "no value: kind burst_poisson has no such term (spec 1.7)",
                    ));
                }
            }
            rest.params(|k, v| params.set(k, v), PyramidalParams::KEYS)?;
            let driving_force = match rest.string("dendritic_driving_force")?.as_deref() {
                None | Some("soma") => DendriticDrivingForce::Soma,
                Some("dendrite") => DendriticDrivingForce::Dendrite,
                Some(o) => {
                    return Err(cx.invalid(
                        section,
                        "dendritic_driving_force",
                        format!("\"{o}\""),
                        "\"soma\" (reference, P1) or \"dendrite\"",
                    ))
                }
            };
            let v_init = rest.v_init(params.e_l_mv)?;
            let mut extra = vec!["dendritic_driving_force", "v_init_mean_mv", "v_init_sd_mv", "v_init_seed"];
            if bursty {
                let mut t = BurstTiming::default();
                if let Some(x) = rest.number("refractory_ms")? {
                    t.refractory_ms = cx.non_negative(section, "refractory_ms", x, "time in ms")?;
                }
                if let Some(x) = rest.number("burst_delay_min_ms")? {
                    t.burst_delay_min_ms = cx.positive(section, "burst_delay_min_ms", x, "time in ms")?;
                }
                if let Some(x) = rest.number("burst_delay_span_ms")? {
                    t.burst_delay_span_ms = cx.non_negative(section, "burst_delay_span_ms", x, "time in ms")?;
                }
                extra.extend(["refractory_ms", "burst_delay_min_ms", "burst_delay_span_ms"]);
                let keys: Vec<&str> = PyramidalParams::KEYS.iter().copied().filter(|k| !unused.contains(k)).collect();
                rest.finish(&[&["name", "kind", "size"], &extra[..], &keys[..]].concat())?;
                Population::BurstPoisson(BurstPoisson::new(n, params, t, driving_force, v_init, dt, seed, index))
            } else {
                rest.finish(&[&["name", "kind", "size"], &extra[..], PyramidalParams::KEYS].concat())?;
                Population::Pyramidal(Pyramidal::new(n, params, driving_force, v_init, dt, seed, index))
            }
        }
        KindName::Pv | KindName::Sst | KindName::Adex => {
            let mut params = if spec.kind == KindName::Sst { AdexParams::sst() } else { AdexParams::pv() };
            rest.params(|k, v| params.set(k, v), AdexParams::KEYS)?;
            let exp_kind = match rest.string("exp")?.as_deref() {
                None | Some("fast") => ExpKind::Fast,
                Some("exact") => ExpKind::Exact,
                Some(o) => {
                    return Err(cx.invalid(
                        section,
                        "exp",
                        format!("\"{o}\""),
                        "\"fast\" (reference (1 + x/256)^256, P5) or \"exact\"",
                    ))
                }
            };
            let v_init = rest.v_init(params.e_l_mv)?;
            let extra = ["exp", "v_init_mean_mv", "v_init_sd_mv", "v_init_seed"];
            rest.finish(&[&["name", "kind", "size"], &extra[..], AdexParams::KEYS].concat())?;
            if params.v_min_mv >= params.v_max_mv {
                return Err(cx.invalid(section, "v_min_mv", params.v_min_mv, "a lower clip below v_max_mv"));
            }
            Population::Adex(Adex::new(n, params, exp_kind, v_init, dt, seed, index))
        }
        KindName::Lif => {
            let mut params = LifParams::default();
            rest.params(|k, v| params.set(k, v), LifParams::KEYS)?;
            let v_init = rest.v_init(params.e_l_mv)?;
            let mut g = InitialConductances::default();
            for (key, slot) in [
                ("g_exc_init_mean", &mut g.exc.0),
                ("g_exc_init_sd", &mut g.exc.1),
                ("g_inh_init_mean", &mut g.inh.0),
                ("g_inh_init_sd", &mut g.inh.1),
            ] {
                if let Some(x) = rest.number(key)? {
                    *slot = cx.non_negative(section, key, x, "conductance in units of g_L")?;
                }
            }
            let extra = [
                "v_init_mean_mv",
                "v_init_sd_mv",
                "v_init_seed",
                "g_exc_init_mean",
                "g_exc_init_sd",
                "g_inh_init_mean",
                "g_inh_init_sd",
            ];
            rest.finish(&[&["name", "kind", "size"], &extra[..], LifParams::KEYS].concat())?;
            Population::Lif(Lif::new(n, params, v_init, g, dt, seed, index))
        }
        KindName::Poisson => {
            let rate =
                rest.number("rate_hz")?.ok_or_else(|| cx.invalid(section, "rate_hz", "(missing)", "a rate in Hz"))?;
            let rate = poisson_rate(cx, section, rate, dt)?;
            rest.finish(&["name", "kind", "size", "rate_hz"])?;
            Population::Poisson(Poisson::new(n, rate, dt, seed, index))
        }
    };
    Ok(pop)
}

/// Kind-specific keys of a population table, with unknown-key detection.
struct Keys<'a> {
    cx: &'a Ctx<'a>,
    section: &'a str,
    map: &'a BTreeMap<String, toml::Value>,
    used: Vec<String>,
}

impl Keys<'_> {
    /// Applies every numeric key that `set` knows (a parameter table), checking its value.
    fn params(
        &mut self,
        mut set: impl FnMut(&str, f64) -> Result<bool, &'static str>,
        keys: &[&str],
    ) -> Result<(), ModelError> {
        for (key, value) in self.map {
            let Some(v) = number(value) else {
                if keys.contains(&key.as_str()) {
                    return Err(self.cx.invalid(self.section, key, value, "a number"));
                }
                continue;
            };
            match set(key, v) {
                Ok(true) => self.used.push(key.clone()),
                Ok(false) => {}
                Err(expected) => return Err(self.cx.invalid(self.section, key, v, expected)),
            }
        }
        Ok(())
    }

    /// Initial somatic potential: (mean, sd, fixed seed 42?) from v_init_mean_mv (default E_L),
    /// v_init_sd_mv (default 0) and v_init_seed = "fixed" (reference, P13) | "run".
    fn v_init(&mut self, e_l: f64) -> Result<InitialVoltage, ModelError> {
        let mean = self.number("v_init_mean_mv")?.unwrap_or(e_l);
        self.cx.finite(self.section, "v_init_mean_mv", mean, "potential in mV")?;
        let sd = self.number("v_init_sd_mv")?.unwrap_or(0.0);
        self.cx.non_negative(self.section, "v_init_sd_mv", sd, "standard deviation in mV")?;
        let fixed = match self.string("v_init_seed")?.as_deref() {
            None | Some("fixed") => true,
            Some("run") => false,
            Some(o) => {
                return Err(self.cx.invalid(
                    self.section,
                    "v_init_seed",
                    format!("\"{o}\""),
                    "\"fixed\" (reference seed 42, P13) or \"run\"",
                ))
            }
        };
        Ok(InitialVoltage { mean_mv: mean, sd_mv: sd, fixed_seed: fixed })
    }

    fn number(&mut self, key: &str) -> Result<Option<f64>, ModelError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(v) => {
                self.used.push(key.into());
                number(v).map(Some).ok_or_else(|| self.cx.invalid(self.section, key, v, "a number"))
            }
        }
    }

    fn string(&mut self, key: &str) -> Result<Option<String>, ModelError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => {
                self.used.push(key.into());
                Ok(Some(s.clone()))
            }
            Some(v) => Err(self.cx.invalid(self.section, key, v, "a string")),
        }
    }

    fn finish(&self, allowed: &[&str]) -> Result<(), ModelError> {
        for key in self.map.keys() {
            if !self.used.contains(key) {
                return Err(ModelError::UnknownKey {
                    file: self.cx.file.to_string(),
                    section: self.section.to_string(),
                    key: key.clone(),
                    allowed: allowed.join(", "),
                    hint: hint_for(key, allowed),
                });
            }
        }
        Ok(())
    }
}

impl PopulationSlot {
    /// Longest delay the delay buffer can serve, steps.
    pub fn history_depth(&self) -> u32 {
        self.history.depth()
    }
}
