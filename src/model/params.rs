//! `burstsim check MODEL --params`: every parameter value in effect, per population (the kind's
//! table with its defaults and the file's overrides, the kind's options, the leak conductance
//! that relative weights are in units of) and per projection (the built values: weight in g_L
//! and nS, delay, transmission, STP, plasticity), with units; then the `[[phase]]` entries.
//!
//! Kinds are shown as the file writes them (`pv`, `sst`, not the `adex` they are built as): the
//! report reads the parsed file for kinds and overrides and the built network for the rest.

use super::build::{projection_name, Model};
use super::schema::{KindName, ModelFile, PhaseSpec, PopulationSpec, ProjectionSpec, ProtocolFile};
use super::ModelError;
use crate::neuron::adex::AdexParams;
use crate::neuron::burst_poisson::{self, BurstTiming};
use crate::neuron::lif::LifParams;
use crate::neuron::pyramidal::PyramidalParams;
use crate::neuron::{Compartment, Receptor};
use std::fmt::Write as _;

/// The unit of a parameter, from the suffix of its key (STYLE: units in key names).
pub fn unit_of(key: &str) -> &'static str {
    const SUFFIXES: [(&str, &str); 7] =
        [("_mv", "mV"), ("_ms", "ms"), ("_pf", "pF"), ("_pa", "pA"), ("_ns", "nS"), ("_hz", "Hz"), ("_rad", "rad")];
    // the initial conductances of `lif` are in units of the leak conductance, as weights are
    if key.starts_with("g_") && key.contains("_init_") {
        return "g_L";
    }
    SUFFIXES.iter().find(|(s, _)| key.ends_with(s)).map_or("1", |(_, u)| u)
}

/// The kind as the file writes it.
fn kind_name(k: KindName) -> &'static str {
    match k {
        KindName::Pyramidal => "pyramidal",
        KindName::BurstPoisson => "burst_poisson",
        KindName::Pv => "pv",
        KindName::Sst => "sst",
        KindName::Adex => "adex",
        KindName::Lif => "lif",
        KindName::Poisson => "poisson",
        KindName::SpikeFile => "spike_file",
    }
}

/// The default parameter table of a kind with the file's overrides applied: (key, value, set in
/// the file). The model was built, so every override is a valid value of a known key.
fn table(spec: &PopulationSpec) -> Vec<(&'static str, f64, bool)> {
    let rest = &spec.rest;
    let num = |k: &str| rest.get(k).and_then(number);
    let entries = match spec.kind {
        KindName::Pyramidal | KindName::BurstPoisson => {
            let bursty = spec.kind == KindName::BurstPoisson;
            let mut p = if bursty { burst_poisson::default_params() } else { PyramidalParams::default() };
            overrides(rest, |k, v| p.set(k, v));
            let unused = ["g_s_pa", "g_d_pa", "c_bap_pa", "bap_ms"];
            let mut e: Vec<_> = p.entries().into_iter().filter(|(k, _)| !bursty || !unused.contains(k)).collect();
            if bursty {
                let t = BurstTiming::default();
                e.push(("refractory_ms", num("refractory_ms").unwrap_or(t.refractory_ms)));
                e.push(("burst_delay_min_ms", num("burst_delay_min_ms").unwrap_or(t.burst_delay_min_ms)));
                e.push(("burst_delay_span_ms", num("burst_delay_span_ms").unwrap_or(t.burst_delay_span_ms)));
            }
            e
        }
        KindName::Pv | KindName::Sst | KindName::Adex => {
            let mut p = if spec.kind == KindName::Sst { AdexParams::sst() } else { AdexParams::pv() };
            overrides(rest, |k, v| p.set(k, v));
            p.entries()
        }
        KindName::Lif => {
            let mut p = LifParams::default();
            overrides(rest, |k, v| p.set(k, v));
            let mut e = p.entries();
            for k in ["g_exc_init_mean", "g_exc_init_sd", "g_inh_init_mean", "g_inh_init_sd"] {
                e.push((k, num(k).unwrap_or(0.0)));
            }
            e
        }
        KindName::Poisson | KindName::SpikeFile => Vec::new(),
    };
    entries.into_iter().map(|(k, v)| (k, v, rest.contains_key(k))).collect()
}

fn number(v: &toml::Value) -> Option<f64> {
    v.as_float().or_else(|| v.as_integer().map(|i| i as f64))
}

/// Applies the file's numeric keys to a parameter table (`set` ignores the keys it does not know).
fn overrides(
    rest: &std::collections::BTreeMap<String, toml::Value>,
    mut set: impl FnMut(&str, f64) -> Result<bool, &'static str>,
) {
    for (k, v) in rest {
        if let Some(x) = number(v) {
            let _ = set(k, x);
        }
    }
}

/// A kind's string and initial-state options: (key, value as shown, set in the file).
fn options(spec: &PopulationSpec, e_l: Option<f64>) -> Vec<(String, String, bool)> {
    let rest = &spec.rest;
    let mut out = Vec::new();
    let mut opt = |key: &str, default: String| {
        let (v, set) = match rest.get(key) {
            Some(v) => (v.to_string(), true),
            None => (default, false),
        };
        out.push((key.to_string(), v, set));
    };
    match spec.kind {
        KindName::Pyramidal | KindName::BurstPoisson => opt("dendritic_driving_force", "\"soma\"".into()),
        KindName::Pv | KindName::Sst | KindName::Adex => opt("exp", "\"fast\"".into()),
        _ => {}
    }
    if let Some(e_l) = e_l {
        opt("v_init_mean_mv", format!("{e_l} (E_L)"));
        opt("v_init_sd_mv", "0".into());
        opt("v_init_seed", "\"fixed\"".into());
    }
    // source kinds: their keys as written (they have no defaults)
    if matches!(spec.kind, KindName::Poisson | KindName::SpikeFile) {
        for (k, v) in rest {
            out.push((k.clone(), v.to_string(), true));
        }
    }
    out
}

fn tag(set: bool) -> &'static str {
    if set {
        "(set)"
    } else {
        "(default)"
    }
}

fn value_unit(v: impl std::fmt::Display, unit: &str) -> String {
    if unit == "1" {
        v.to_string()
    } else {
        format!("{v} {unit}")
    }
}

/// The leak conductance of each compartment that takes synapses, nS (the unit of its weights).
fn leak_line(pop: &crate::neuron::Population) -> Option<String> {
    let parts: Vec<String> = [(Compartment::Soma, "soma"), (Compartment::Dendrite, "dendrite")]
        .iter()
        .filter_map(|&(c, name)| pop.synapse_model(c, Receptor::Exc).map(|m| format!("{name} {} nS", m.g_leak_ns)))
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn phase_line(p: &PhaseSpec) -> String {
    let mut parts = Vec::new();
    let mut list = |what: &str, unit: &str, items: Vec<(String, String)>| {
        if !items.is_empty() {
            let body: Vec<String> = items.into_iter().map(|(k, v)| format!("{k} = {}", value_unit(v, unit))).collect();
            parts.push(format!("{what} {{ {} }}", body.join(", ")));
        }
    };
    list("plasticity", "1", p.plasticity.iter().map(|(k, v)| (k.clone(), v.to_string())).collect());
    list("weight_scale", "1", p.weight_scale.iter().map(|(k, v)| (k.clone(), v.to_string())).collect());
    list("rate_hz", "Hz", p.rate_hz.iter().map(|(k, v)| (k.clone(), v.to_string())).collect());
    list("current_pa", "pA", p.current_pa.iter().map(|(k, v)| (k.clone(), v.to_string())).collect());
    list("teacher", "1", p.teacher.iter().map(|(k, v)| (k.clone(), v.to_string())).collect());
    format!("  at {} ms: {}\n", p.at_ms, if parts.is_empty() { "(no change)".into() } else { parts.join("; ") })
}

/// How the file writes each declared population's kind (pv, sst: not the adex they build) and
/// each `[[projection]]`'s connection (rule, edge file), by name, for `burstsim check`.
pub struct AsWritten {
    /// Population name -> kind as written.
    pub kinds: std::collections::BTreeMap<String, &'static str>,
    /// Projection name -> its `connect`, in words.
    pub connect: std::collections::BTreeMap<String, String>,
}

/// [`AsWritten`] of a built model.
pub fn as_written(m: &Model, file: &str) -> Result<AsWritten, ModelError> {
    let text = super::expanded_text(&m.text, file)?;
    let raw: ModelFile = super::parse(&text, file).map_err(super::error::without_line)?;
    let kinds = raw.populations.iter().map(|p| (p.name.clone(), kind_name(p.kind))).collect();
    let connect =
        raw.projections.iter().map(|p| (super::build::projection_name(p), connect_words(&p.connect))).collect();
    Ok(AsWritten { kinds, connect })
}

/// A `connect` entry in words: the rule and its number, or the edge file.
pub fn connect_words(c: &super::schema::Connect) -> String {
    use super::schema::ConnectRule as R;
    let rule = match &c.rule {
        R::Probability(p) => format!("p {p}"),
        R::OneToOne => "one_to_one".into(),
        R::AllToAll => "all_to_all".into(),
        R::FixedIndegree(k) => format!("fixed_indegree {k}"),
        R::FixedOutdegree(k) => format!("fixed_outdegree {k}"),
        R::FixedTotal(n) => format!("fixed_total_number {n}"),
        R::Csv(f) => format!("edges from {f}"),
        R::Sonata { file, population: Some(p) } => format!("edges from {file} (/edges/{p})"),
        R::Sonata { file, population: None } => format!("edges from {file}"),
    };
    let mut flags = Vec::new();
    if let Some(a) = c.allow_autapses {
        flags.push(format!("autapses {}", if a { "allowed" } else { "not allowed" }));
    }
    if let Some(m) = c.allow_multapses {
        flags.push(format!("multapses {}", if m { "allowed" } else { "not allowed" }));
    }
    if flags.is_empty() {
        rule
    } else {
        format!("{rule} ({})", flags.join(", "))
    }
}

/// The report for a built model `m` read from `file`.
pub fn report(m: &Model, file: &str) -> Result<String, ModelError> {
    let text = super::expanded_text(&m.text, file)?;
    let raw: ModelFile = super::parse(&text, file).map_err(super::error::without_line)?;
    let net = &m.network;
    let mut s = String::new();
    let _ = writeln!(s, "parameters in effect (value, unit; (set) in the file, (default) otherwise):");
    let _ = writeln!(
        s,
        "[simulation]: dt_ms = {} ms, duration {} ms, seed {}",
        net.dt_ms(),
        m.n_steps as f64 * net.dt_ms(),
        m.seed
    );
    for (i, spec) in raw.populations.iter().enumerate() {
        let pop = net.population(i);
        let _ = writeln!(s, "population {:?}: kind {}, size {}", spec.name, kind_name(spec.kind), spec.size);
        let t = table(spec);
        for (k, v, set) in &t {
            let _ = writeln!(s, "  {k:<24} {:<20} {}", value_unit(v, unit_of(k)), tag(*set));
        }
        let e_l = t.iter().find(|(k, _, _)| *k == "e_l_mv").map(|x| x.1);
        for (k, v, set) in options(spec, e_l) {
            let _ = writeln!(s, "  {k:<24} {v:<20} {}", tag(set));
        }
        if let Some(g) = leak_line(pop) {
            let _ = writeln!(s, "  leak conductance (the unit g_L of weights onto it): {g}");
        }
    }
    // populations made by [[input]] entries (Poisson drives), after the declared ones
    for i in raw.populations.len()..net.n_populations() {
        let (info, pop) = (net.info(i), net.population(i));
        let _ =
            writeln!(s, "population {:?}: kind {}, size {} (from [[input]])", info.name, pop.kind_name(), pop.len());
        if let crate::neuron::Population::Poisson(p) = pop {
            match p.profile() {
                None => writeln!(s, "  {:<24} {} Hz", "rate_hz", p.rate_hz()),
                Some(profile) => writeln!(s, "  {:<24} {}", "rate (time-varying)", profile.describe()),
            }
            .ok();
        }
    }
    let specs: Vec<(String, &ProjectionSpec)> = raw.projections.iter().map(|p| (projection_name(p), p)).collect();
    for p in net.projections() {
        let c = p.config();
        let to = net.population(c.to.0 as usize);
        let g_l = to.synapse_model(c.target, c.receptor).map(|m| m.g_leak_ns);
        let spec = specs.iter().find(|(n, _)| n == p.name()).map(|x| x.1);
        let _ = writeln!(
            s,
            "projection {:?}: {} -> {}, {} {}, {} synapses",
            p.name(),
            net.info(c.from.0 as usize).name,
            net.info(c.to.0 as usize).name,
            if c.target == Compartment::Soma { "soma" } else { "dendrite" },
            if c.receptor == Receptor::Exc { "exc" } else { "inh" },
            p.n_synapses()
        );
        // the value as the builder computed it in f64 (the network keeps an f32 copy)
        let weight = match (spec.and_then(|s| s.weight.as_ref()), spec.and_then(|s| s.weight_ns), g_l) {
            (Some(crate::model::schema::Varying::Fixed(w)), _, _) => *w,
            (None, Some(ns), Some(g)) => ns / g,
            _ => c.weight as f64,
        };
        let w = match (spec.and_then(|s| s.weight_ns), g_l) {
            (Some(ns), Some(g)) => format!("{weight} g_L (set as weight_ns = {ns} nS; g_L = {g} nS)"),
            (_, Some(g)) => format!("{weight} g_L (= {} nS; g_L = {g} nS)", weight * g),
            (_, None) => format!("{weight} g_L"),
        };
        let _ = writeln!(s, "  {:<24} {w}{}", "weight", if c.per_synapse { ", one per synapse" } else { "" });
        // a projection of an [[input]] has no entry of its own to set things in
        let written = |b: bool| if spec.is_some() { tag(b) } else { "(from [[input]])" };
        let delay_set = spec.is_some_and(|s| s.delay_ms.is_some());
        let _ = writeln!(s, "  {:<24} {} ms {}", "delay_ms", c.delay_steps as f64 * net.dt_ms(), written(delay_set));
        let transmit_set = spec.is_some_and(|s| s.transmit.is_some());
        let _ = writeln!(s, "  {:<24} {} {}", "transmit", c.transmit.name(), written(transmit_set));
        if let Some(st) = &c.stp {
            let _ = writeln!(
                s,
                "  {:<24} u {}, f {}, tau_d_ms {} ms, tau_f_ms {} ms, u_init {}",
                "stp", st.u, st.f, st.tau_d_ms, st.tau_f_ms, st.u_init
            );
        }
        if let Some(pl) = p.plasticity() {
            let _ = writeln!(
                s,
                "  {:<24} {}{}",
                "plasticity",
                pl.rule().describe(),
                if pl.enabled() { "" } else { " (off at start)" }
            );
        }
    }
    let from_file = match &m.protocol_text {
        Some(t) => super::parse_as::<ProtocolFile>(t, "protocol file").map(|p| p.phases).unwrap_or_default(),
        None => Vec::new(),
    };
    let _ = writeln!(s, "[[phase]] entries: {}", raw.phases.len() + from_file.len());
    for p in &raw.phases {
        s += &phase_line(p);
    }
    if !from_file.is_empty() {
        let name = raw.simulation.protocol_file.as_deref().unwrap_or("");
        let _ = writeln!(s, " from the protocol file {name:?}:");
        for p in &from_file {
            s += &phase_line(p);
        }
    }
    Ok(s)
}
