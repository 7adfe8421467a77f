//! From the raw schema to a validated [`Network`]: every range, unit and reference is checked here,
//! each failure naming the file, the section, the key, the value and what was expected.
//!
//! [`build`] runs the parts of the file in order, each in its own module: `[simulation]` (here),
//! `population`, `projection`, `input` (which may add Poisson sources and their
//! projections), `output` and `protocol`. The network under construction is a `Parts`; the
//! context and the value checks they share are in `checks`.

mod checks;
mod examples;
mod input;
mod memory;
mod output;
mod population;
mod projection;
mod protocol;
mod sources;
mod state;
mod teacher;
mod timescales;
mod varying;

pub use memory::{estimate, MemoryEstimate};
pub use output::{OutputConfig, WeightsConfig, DEFAULT_RATE_BIN_MS};
pub use state::{StateConfig, StateSource};

/// The name a `[[projection]]` entry's projection has in the network (its `name`, or
/// "from->to.target.receptor").
pub fn projection_name(spec: &schema::ProjectionSpec) -> String {
    spec.name.clone().unwrap_or_else(|| projection::default_name(spec))
}

use super::error::ModelError;
use super::schema::{self, ModelFile};
use crate::burst::BurstRule;
use crate::engine::{Network, NetworkBuilder};
use crate::memory::Limit;
use crate::neuron::{Compartment, Population, Receptor};
use crate::PopulationId;
use checks::Ctx;
use std::collections::BTreeMap;
use std::path::Path;

/// Command-line overrides applied before building (they change wiring and noise).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// Replaces `[simulation] seed`.
    pub seed: Option<u64>,
    /// Replaces `[simulation] duration_ms`.
    pub duration_ms: Option<f64>,
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
    /// The text of `[simulation] protocol_file` (its `[[phase]]` entries), stored in the output
    /// beside the model text; `None` without one.
    pub protocol_text: Option<String>,
    /// What the model does that is legal but probably not meant (dt coarse against a time
    /// constant, phases after the end), one message each; `run` prints them and stores them in
    /// the root attribute `warnings`.
    pub warnings: Vec<String>,
    /// The files the model was read from (the model file, its protocol file, its stimulus
    /// files), as given: a run never writes over them.
    pub sources: Vec<std::path::PathBuf>,
    /// Every file the model refers to (not the model file itself), in file order, for the
    /// output's provenance attributes.
    pub referenced: Vec<Referenced>,
    /// The memory estimate made before building (issue 10 item 3).
    pub memory: MemoryEstimate,
    /// One line per `[[layer]]` and `[[pathway]]` template the file expanded (for `check`).
    pub template: Vec<String>,
}

/// A file that a model refers to.
#[derive(Clone, Debug, PartialEq)]
pub struct Referenced {
    /// The key that names it, e.g. `[simulation] protocol_file` or `input 2 (file_current) file`.
    pub role: String,
    /// The name as written in the model.
    pub name: String,
    /// The path it was read from (relative to the model file's folder).
    pub path: std::path::PathBuf,
}

/// The files `raw` refers to: the protocol file, stimulus files, per-neuron current files and
/// replayed spike files. One list, so that the run's guard against writing over an input and the
/// output's provenance cannot disagree about what the model read.
fn referenced_files(cx: &Ctx, raw: &ModelFile) -> Vec<Referenced> {
    let mut out = Vec::new();
    let mut add = |role: String, name: &str| {
        out.push(Referenced { role, name: name.to_string(), path: cx.base.join(name) });
    };
    if let Some(f) = &raw.simulation.protocol_file {
        add("[simulation] protocol_file".into(), f);
    }
    for (k, p) in raw.populations.iter().enumerate() {
        for key in ["file", "rate_file"] {
            if let Some(toml::Value::String(f)) = p.rest.get(key) {
                add(format!("population {k} ({:?}) {key}", p.name), f);
            }
        }
    }
    for (k, input) in raw.inputs.iter().enumerate() {
        match input {
            schema::InputSpec::FileCurrent { file, .. } => add(format!("input {k} (file_current) file"), file),
            schema::InputSpec::NeuronCurrents { file: Some(file), .. } => {
                add(format!("input {k} (neuron_currents) file"), file)
            }
            schema::InputSpec::Poisson { rate_file: Some(file), .. } => {
                add(format!("input {k} (poisson) rate_file"), file)
            }
            _ => {}
        }
    }
    out
}

/// The `[simulation]` settings every part needs, checked.
struct Sim {
    /// Time step, ms.
    dt: f64,
    /// Master seed (after `--seed`).
    seed: u64,
    /// Steps of the run (after `--duration-ms`).
    n_steps: u64,
    /// Warnings found while building (shown on stderr and stored in the output file's root
    /// attribute `warnings`, issue 10 item 5).
    warnings: std::cell::RefCell<Vec<String>>,
}

impl Sim {
    /// Records a warning about the model (the message names the file, section and key).
    fn warn(&self, message: String) {
        self.warnings.borrow_mut().push(message);
    }
}

/// The network under construction (the engine's builder) and the names later parts refer to.
struct Parts {
    /// Populations (declared then generated), projections, currents, protocol changes.
    net: NetworkBuilder,
    /// Population name -> index.
    names: BTreeMap<String, usize>,
    /// Named current input -> index among the currents.
    input_names: BTreeMap<String, usize>,
    /// The entry that made each population (`population 0 ("pyr")`, `input 2 (poisson -> pyr)`),
    /// for messages about names used twice.
    pop_entries: Vec<String>,
    /// Projection name (given or generated) -> the entry that made it.
    proj_entries: BTreeMap<String, String>,
    /// Input name (currents and Poisson inputs) -> its entry.
    input_entries: BTreeMap<String, String>,
    /// Teacher name -> index.
    teacher_names: BTreeMap<String, usize>,
}

impl Parts {
    /// Population number `i`.
    fn pop(&self, i: usize) -> &Population {
        self.net.population(PopulationId(i as u32))
    }

    /// Name of population number `i`.
    fn pop_name(&self, i: usize) -> &str {
        &self.net.info(PopulationId(i as u32)).name
    }

    /// The index of population `name`, which `key` of `section` refers to.
    fn population(&self, cx: &Ctx, section: &str, key: &str, name: &str) -> Result<usize, ModelError> {
        self.names.get(name).copied().ok_or_else(|| {
            cx.unknown_name(section, key, name, "the name of a population", self.names.keys().map(String::as_str))
        })
    }
}

/// Builds the network from the parsed file, first refusing (before allocating) a model whose
/// memory estimate is above `limit`.
pub fn build(
    raw: ModelFile,
    text: &str,
    file: &str,
    stem: &str,
    ov: &Overrides,
    limit: &Limit,
) -> Result<Model, ModelError> {
    let base = Path::new(file).parent().map(Path::to_path_buf).unwrap_or_default();
    let cx = Ctx { file, base };
    let spec = &raw.simulation;
    let dt = cx.positive("[simulation]", "dt_ms", spec.dt_ms, "time step in ms")?;
    // 1 us to 10 ms: below 1 us the delay rings (one spike list per step) of any model would hold
    // millions of slots; above 10 ms every time constant of the model is resolved badly.
    if !(0.001..=10.0).contains(&dt) {
        return Err(cx.invalid(
            "[simulation]",
            "dt_ms",
            dt,
            "a time step in ms from 0.001 (1 us) to 10 (0.1 in the reference)",
        ));
    }
    // the file's duration, else (with a [protocol]) the protocol's length
    let duration = match (ov.duration_ms, spec.duration_ms, &raw.protocol) {
        (Some(d), _, _) | (None, Some(d), _) => d,
        (None, None, Some(p)) => examples::length_ms(&cx, dt, p)?,
        (None, None, None) => {
            return Err(cx.invalid(
                "[simulation]",
                "duration_ms",
                "(missing)",
                "the simulated time in ms (required unless a [protocol] gives it)",
            ))
        }
    };
    let dkey = if ov.duration_ms.is_some() { "--duration-ms" } else { "duration_ms" };
    cx.positive("[simulation]", dkey, duration, "duration in ms")?;
    // A whole number of steps, at least one (a silently rounded duration is not what was asked).
    let n_steps = cx.steps("[simulation]", dkey, duration, dt)?;
    if raw.populations.is_empty() {
        return Err(cx.invalid("[simulation]", "[[population]]", "(none)", "at least one [[population]] entry"));
    }
    let threads = match spec.threads {
        None => None,
        Some(t) if (1..=1024).contains(&t) => Some(t as usize),
        Some(t) => return Err(cx.invalid("[simulation]", "threads", t, "an integer from 1 to 1024")),
    };
    let burst_rule = match spec.burst_rule {
        schema::BurstRule::Trace => BurstRule::Trace,
        schema::BurstRule::Isi => BurstRule::Isi,
    };
    let sim = Sim { dt, seed: ov.seed.unwrap_or(spec.seed), n_steps, warnings: Default::default() };
    let memory = memory::estimate_in(&raw, dt, &cx.base);
    // the threads of the run: `--threads` when given, else the file's
    memory::refuse_above(&memory, limit, limit.threads.or(threads).unwrap_or(1), file)?;

    let mut parts = Parts {
        net: NetworkBuilder::new(dt, sim.seed, burst_rule),
        names: BTreeMap::new(),
        input_names: BTreeMap::new(),
        pop_entries: Vec::new(),
        proj_entries: BTreeMap::new(),
        input_entries: BTreeMap::new(),
        teacher_names: BTreeMap::new(),
    };
    for (k, spec) in raw.populations.iter().enumerate() {
        let section = format!("population {k} ({:?})", spec.name);
        cx.user_name(&section, "name", &spec.name)?;
        if let Some(&other) = parts.names.get(&spec.name) {
            return Err(cx.name_taken(&section, "name", &spec.name, "population", &parts.pop_entries[other]));
        }
        if spec.size <= 0 || spec.size > u32::MAX as i64 {
            return Err(cx.invalid(&section, "size", spec.size, "a positive number of neurons"));
        }
        let pop = population::build_population(&cx, &sim, &section, spec, k as u64)?;
        let id = parts.net.add_population(spec.name.clone(), false, pop);
        parts.names.insert(spec.name.clone(), id.0 as usize);
        parts.pop_entries.push(section);
    }
    let n_declared = parts.names.len();
    for (k, spec) in raw.projections.iter().enumerate() {
        let section = format!("projection {k} ({} -> {})", spec.from, spec.to);
        // the populations first: a name of the form "from->to" is judged against them
        parts.population(&cx, &section, "from", &spec.from)?;
        parts.population(&cx, &section, "to", &spec.to)?;
        if let Some(name) = &spec.name {
            // A plain name, or the projection's own "from->to" or "from->to.target.receptor" (the
            // forms of the generated names, which model files use too).
            let own = format!("{}->{}", spec.from, spec.to);
            let full = projection::default_name(spec);
            if *name != own && *name != full && !checks::is_plain_name(name) {
                return Err(cx.invalid(
                    &section,
                    "name",
                    format!("{name:?}"),
                    format!("{} (or the projection's own \"{own}\" or \"{full}\")", checks::NAME_RULE),
                ));
            }
        }
        projection::add_projection(&cx, &sim, &mut parts, &section, spec, k as u64, false)?;
    }
    input::add_inputs(&cx, &sim, &mut parts, &raw.inputs, n_declared, raw.projections.len())?;
    let output = output::output(&cx, dt, &raw.output, &parts, n_declared, stem)?;
    teacher::add_teachers(&cx, &sim, &mut parts, &raw.teachers)?;
    let phases = protocol::protocol(&cx, &sim, &raw.phases, spec.protocol_file.as_deref(), &parts)?;
    let protocol_text = phases.protocol_text;
    for (step, action) in phases.actions {
        parts.net.add_action(step, action);
    }
    if let Some(p) = &raw.protocol {
        let (actions, schedule) = examples::expand(&cx, &sim, p, &parts)?;
        for (step, action) in actions {
            parts.net.add_action(step, action);
        }
        parts.net.set_examples(schedule);
    }
    let mut network: Network = parts.net.finish();
    network.fuse_drives(&output.populations);
    let referenced = referenced_files(&cx, &raw);
    let mut sources = vec![Path::new(file).to_path_buf()];
    sources.extend(referenced.iter().map(|r| r.path.clone()));
    Ok(Model {
        network,
        n_steps,
        seed: sim.seed,
        threads,
        title: spec.title.clone(),
        output,
        text: text.to_string(),
        protocol_text,
        sources,
        referenced,
        warnings: sim.warnings.into_inner(),
        memory,
        template: Vec::new(),
    })
}

/// A compartment as the file names it.
fn comp_name(c: Compartment) -> &'static str {
    match c {
        Compartment::Soma => "soma",
        Compartment::Dendrite => "dendrite",
    }
}

/// A receptor as the file names it.
fn rec_name(r: Receptor) -> &'static str {
    match r {
        Receptor::Exc => "exc",
        Receptor::Inh => "inh",
    }
}
