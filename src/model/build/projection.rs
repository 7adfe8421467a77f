//! `[[projection]]` entries (and the one-to-one projections of Poisson `[[input]]` drives):
//! connectivity, delay, event/burst filters, short-term and long-term plasticity.

use super::checks::{number, Ctx};
use super::{comp_name, rec_name, Parts, Sim};
use crate::engine::{SpikeHistory, MAX_DELAY_MS};
use crate::model::error::ModelError;
use crate::model::schema::ProjectionSpec;
use crate::plasticity::{BurstRuleParams, EmptyEstimate, Homeostasis};
use crate::rng::{stream_rng, Stream};
use crate::synapse::projection::Csr;
use crate::synapse::{Connect, Projection, ProjectionConfig, StpIncrement, StpParams, Transmit, DEFAULT_DELAY_MS};
use crate::PopulationId;

/// Builds the projection `spec` (the `index`-th, which seeds its wiring) and adds it to `parts`.
pub(super) fn add_projection(
    cx: &Ctx,
    sim: &Sim,
    parts: &mut Parts,
    section: &str,
    spec: &ProjectionSpec,
    index: u64,
) -> Result<(), ModelError> {
    let dt = sim.dt;
    let from = parts.population(cx, section, "from", &spec.from)?;
    let to = parts.population(cx, section, "to", &spec.to)?;
    let connect = parse_connect(cx, section, &spec.connect)?;
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
    let slots = &mut parts.slots;
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
    let mut rng = stream_rng(sim.seed, Stream::Wiring, &[index]);
    let csr = Csr::generate(connect, n_pre, n_post, from == to, &mut rng);
    // The source keeps spikes long enough for its longest outgoing delay (and, for filters, for
    // the delayed feed of their presynaptic trace).
    let depth = if transmit == Transmit::All { delay } else { delay.max(filter_trace_delay) };
    if slots[from].history.depth() < depth {
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
    parts.projections.push(Projection::new(cfg, csr, n_pre, n_post, dt));
    Ok(())
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
            Ok(Connect::Probability(cx.probability(section, "connect.p", p)?))
        }
        other => Err(cx.invalid(section, "connect", other, expected)),
    }
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
        return Err(cx.unknown_key(&format!("{section}: plasticity"), k, &allowed));
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
        return Err(cx.unknown_key(&format!("{section}: stp"), k, &allowed));
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
    if let Some(x) = num("u")? {
        p.u = cx.fraction(section, "stp.u", x)?;
    }
    if let Some(x) = num("f")? {
        p.f = cx.fraction(section, "stp.f", x)?;
    }
    if let Some(x) = num("tau_d_ms")? {
        p.tau_d_ms = cx.positive(section, "stp.tau_d_ms", x, "time constant in ms")?;
    }
    if let Some(x) = num("tau_f_ms")? {
        p.tau_f_ms = cx.positive(section, "stp.tau_f_ms", x, "time constant in ms")?;
    }
    if let Some(x) = num("u_init")? {
        p.u_init = cx.fraction(section, "stp.u_init", x)?;
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
