//! `[[projection]]` entries (and the one-to-one projections of Poisson `[[input]]` drives):
//! connectivity, delay, event/burst filters, weights, short-term and long-term plasticity.

use super::checks::Ctx;
use super::timescales::{self, Scale};
use super::{comp_name, rec_name, Parts, Sim};
use crate::engine::MAX_DELAY_MS;
use crate::model::de::Choice;
use crate::model::error::ModelError;
use crate::model::schema::{self, Plasticity, ProjectionSpec};
use crate::plasticity::{BurstCcnParams, BurstRuleParams, EmptyEstimate, Homeostasis, RuleParams};
use crate::synapse::{Connect, ProjectionConfig, StpIncrement, StpParams, Transmit, DEFAULT_DELAY_MS};
use crate::PopulationId;

/// Builds the projection `spec` (the `index`-th, which labels its wiring streams) and adds it to
/// `parts`; `generated` when it is the projection of a Poisson `[[input]]` (its name made from
/// the input's). Its name (given or default) must be new. Every combination of transmission, STP, weights and rule builds, except a rule on a
/// shared weight.
pub(super) fn add_projection(
    cx: &Ctx,
    sim: &Sim,
    parts: &mut Parts,
    section: &str,
    spec: &ProjectionSpec,
    index: u64,
    generated: bool,
) -> Result<(), ModelError> {
    let dt = sim.dt;
    let from = parts.population(cx, section, "from", &spec.from)?;
    let to = parts.population(cx, section, "to", &spec.to)?;
    let connect = match spec.connect {
        schema::Connect::Probability(p) => Connect::Probability(cx.probability(section, "connect.p", p)?),
        schema::Connect::OneToOne => Connect::OneToOne,
        schema::Connect::AllToAll => Connect::AllToAll,
    };
    let weight = relative_weight(cx, parts, section, spec, to)?;
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
        Some(Plasticity::Burst(p)) => Some(RuleParams::Burst(burst_rule(cx, section, p, weight)?)),
        Some(Plasticity::BurstCcn(p)) => Some(RuleParams::BurstCcn(burstccn_rule(cx, section, p, weight)?)),
    };
    let rule_scales: Vec<(&str, f64)> = match &plasticity {
        None => vec![],
        Some(RuleParams::Burst(r)) => {
            vec![
                ("plasticity.tau_pre_ms", r.tau_pre_ms),
                ("plasticity.tau_avg_ms", r.tau_avg_ms),
                ("plasticity.tau_hom_ms", r.tau_hom_ms),
            ]
        }
        Some(RuleParams::BurstCcn(r)) => vec![("plasticity.tau_pre_ms", r.tau_pre_ms)],
    };
    for (key, ms) in rule_scales {
        timescales::check(cx, sim, section, key, ms, Scale::TimeConstant)?;
    }
    let transmit = match spec.transmit {
        // Plastic projections transmit events by default (the reference's AdaptiveEBCP, P7).
        None if plasticity.is_some() => Transmit::Events,
        None | Some(schema::Transmit::All) => Transmit::All,
        Some(schema::Transmit::Events) => Transmit::Events,
        Some(schema::Transmit::Bursts) => Transmit::Bursts,
    };
    let trace_delay = match spec.transmit_trace {
        schema::TransmitTrace::Delayed => (DEFAULT_DELAY_MS / dt).round() as u32,
        schema::TransmitTrace::Immediate => 0,
    };
    let stp = match &spec.stp {
        None => None,
        Some(s) => Some(stp(cx, section, s)?),
    };
    if let Some(p) = &stp {
        timescales::check(cx, sim, section, "stp.tau_d_ms", p.tau_d_ms, Scale::TimeConstant)?;
        timescales::check(cx, sim, section, "stp.tau_f_ms", p.tau_f_ms, Scale::TimeConstant)?;
    }
    let per_synapse = match spec.weights {
        None => plasticity.is_some(),
        Some(schema::WeightsMode::Synapse) => true,
        Some(schema::WeightsMode::Projection) => false,
    };
    // Filtering and plastic projections read the immediate spike list: zero delay by default
    // (spec 0.3, P7); any delay is allowed.
    let default_delay = if transmit == Transmit::All && plasticity.is_none() { DEFAULT_DELAY_MS } else { 0.0 };
    let delay_ms = spec.delay_ms.unwrap_or(default_delay);
    if delay_ms > MAX_DELAY_MS {
        return Err(cx.invalid(section, "delay_ms", delay_ms, format!("a delay of at most {MAX_DELAY_MS} ms")));
    }
    let delay = cx.steps(section, "delay_ms", delay_ms, dt)? as u32;
    let (src, dst) = (PopulationId(from as u32), PopulationId(to as u32));
    if parts.net.population_mut(dst).conductance_mut(spec.target, spec.receptor).is_none() {
        return Err(cx.invalid(
            section,
            "target",
            format!("\"{}\"", comp_name(spec.target)),
            format!(
                "a compartment with synapses; population \"{}\" (kind {}) has none there",
                parts.pop_name(to),
                parts.pop(to).kind_name()
            ),
        ));
    }
    let (n_pre, n_post) = (parts.pop(from).len(), parts.pop(to).len());
    if connect == Connect::OneToOne && n_pre != n_post {
        return Err(cx.invalid(
            section,
            "connect",
            "\"one_to_one\"",
            format!(
                "populations of equal size (\"{}\" has {n_pre}, \"{}\" has {n_post})",
                parts.pop_name(from),
                parts.pop_name(to)
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
    let name = spec.name.clone().unwrap_or_else(|| default_name(spec));
    if let Some(owner) = parts.proj_entries.get(&name) {
        let given = match (&spec.name, generated) {
            (None, _) => format!("{name:?} (the default name, from->to.target.receptor)"),
            (Some(_), true) => format!("{name:?} (the name of the input's projection, source->target)"),
            (Some(_), false) => format!("{name:?}"),
        };
        return Err(cx.invalid(
            section,
            "name",
            given,
            format!(
                "a name not used by another projection (already used by {owner}); give one of them a unique `name`"
            ),
        ));
    }
    let cfg = ProjectionConfig {
        name: name.clone(),
        from: src,
        to: dst,
        target: spec.target,
        receptor: spec.receptor,
        weight: weight as f32,
        per_synapse,
        delay_steps: delay,
        transmit,
        trace_delay,
        stp,
        plasticity_on: spec.plasticity.as_ref().is_some_and(|p| p.on()),
        plasticity,
    };
    parts.net.add_projection(cfg, connect, index).map_err(|e| {
        let given = spec.weights.map_or("projection", |w| w.name());
        cx.invalid(section, "weights", format!("\"{given}\""), e.to_string())
    })?;
    parts.proj_entries.insert(name, section.to_string());
    Ok(())
}

/// The name of a projection without `name`: "from->to.target.receptor".
pub(super) fn default_name(spec: &ProjectionSpec) -> String {
    format!("{}->{}.{}.{}", spec.from, spec.to, comp_name(spec.target), rec_name(spec.receptor))
}

/// `plasticity = { rule = "burstccn", ... }`: eta, tau_pre, the baseline p_b and the bounds
/// (default [0, inf): conductances are not negative), checked against the initial weight `w0`.
fn burstccn_rule(
    cx: &Ctx,
    section: &str,
    p: &schema::BurstCcnPlasticity,
    w0: f64,
) -> Result<BurstCcnParams, ModelError> {
    let eta = cx.non_negative(section, "plasticity.eta", p.eta, "learning rate")?;
    let tau_pre = cx.positive(section, "plasticity.tau_pre_ms", p.tau_pre_ms, "time constant in ms")?;
    let p_b = cx.fraction(section, "plasticity.p_baseline", p.p_baseline)?;
    let mut r = BurstCcnParams::new(eta, tau_pre, p_b);
    if let Some(x) = p.w_min {
        r.w_min = cx.finite(section, "plasticity.w_min", x, "weight")?;
    }
    if let Some(x) = p.w_max {
        if x.is_nan() {
            return Err(cx.invalid(section, "plasticity.w_max", x, "a weight (or inf for no bound)"));
        }
        r.w_max = x;
    }
    bounds_hold(cx, section, r.w_min, r.w_max, w0)?;
    Ok(r)
}

/// The initial weight lies within the rule's bounds.
fn bounds_hold(cx: &Ctx, section: &str, lo: f64, hi: f64, w0: f64) -> Result<(), ModelError> {
    if lo <= w0 && w0 <= hi {
        Ok(())
    } else {
        Err(cx.invalid(section, "weight", w0, format!("an initial weight within [w_min, w_max] = [{lo}, {hi}]")))
    }
}

/// `plasticity = { rule = "burst", ... }`: the rule's parameters (defaults: the reference's
/// constants, spec 5.1), checked against the initial weight `w0`.
fn burst_rule(cx: &Ctx, section: &str, p: &schema::BurstPlasticity, w0: f64) -> Result<BurstRuleParams, ModelError> {
    let eta = cx.non_negative(section, "plasticity.eta", p.eta, "learning rate")?;
    let tau_pre = cx.positive(section, "plasticity.tau_pre_ms", p.tau_pre_ms, "time constant in ms")?;
    let tau_avg = cx.positive(section, "plasticity.tau_avg_ms", p.tau_avg_ms, "time constant in ms")?;
    let mut r = BurstRuleParams::reference(eta, tau_pre, tau_avg);
    if let Some(x) = p.w_min {
        r.w_min = cx.finite(section, "plasticity.w_min", x, "weight")?;
    }
    if let Some(x) = p.w_max {
        r.w_max = cx.finite(section, "plasticity.w_max", x, "weight")?;
    }
    bounds_hold(cx, section, r.w_min, r.w_max, w0)?;
    if let Some(x) = p.theta_min_hz {
        r.theta_min_hz = cx.non_negative(section, "plasticity.theta_min_hz", x, "rate in Hz")?;
    }
    if let Some(x) = p.theta_max_hz {
        r.theta_max_hz = cx.positive(section, "plasticity.theta_max_hz", x, "rate in Hz")?;
    }
    if let Some(x) = p.tau_hom_ms {
        r.tau_hom_ms = cx.positive(section, "plasticity.tau_hom_ms", x, "time constant in ms")?;
    }
    if let Some(x) = p.r_hom_init_hz {
        r.r_hom_init_hz = cx.non_negative(section, "plasticity.r_hom_init_hz", x, "rate in Hz")?;
    }
    r.homeostasis = match p.homeostasis {
        schema::Homeostasis::Reference => Homeostasis::Reference,
        schema::Homeostasis::EventRate => Homeostasis::EventRate,
    };
    r.empty_estimate = match p.empty_estimate {
        schema::EmptyEstimate::Reference => EmptyEstimate::Reference,
        schema::EmptyEstimate::Skip => EmptyEstimate::Skip,
    };
    Ok(r)
}

/// `stp = "depressing" | "facilitating" | { u, tau_d_ms, tau_f_ms, f, u_init, increment } |
/// { preset = "...", u_init = ..., increment = ... }`. `increment = "reference"` (default: u jumps
/// by U, what the reference runs) or `"etm"` (u jumps by f, the eTM model of spec 4.1).
fn stp(cx: &Ctx, section: &str, s: &schema::Stp) -> Result<StpParams, ModelError> {
    let preset = |p: schema::StpPreset| match p {
        schema::StpPreset::Depressing => StpParams::depressing(),
        schema::StpPreset::Facilitating => StpParams::facilitating(),
    };
    let t = match s {
        schema::Stp::Preset(p) => return Ok(preset(*p)),
        schema::Stp::Table(t) => t,
    };
    let mut p = match t.preset {
        Some(name) => preset(name),
        None => {
            let given = [("u", t.u), ("tau_d_ms", t.tau_d_ms), ("tau_f_ms", t.tau_f_ms)];
            if let Some((k, _)) = given.into_iter().find(|(_, v)| v.is_none()) {
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
    if let Some(x) = t.u {
        p.u = cx.fraction(section, "stp.u", x)?;
    }
    if let Some(x) = t.f {
        p.f = cx.fraction(section, "stp.f", x)?;
    }
    if let Some(x) = t.tau_d_ms {
        p.tau_d_ms = cx.positive(section, "stp.tau_d_ms", x, "time constant in ms")?;
    }
    if let Some(x) = t.tau_f_ms {
        p.tau_f_ms = cx.positive(section, "stp.tau_f_ms", x, "time constant in ms")?;
    }
    if let Some(x) = t.u_init {
        p.u_init = cx.fraction(section, "stp.u_init", x)?;
    }
    p.increment = match t.increment {
        schema::StpIncrement::Reference => StpIncrement::Reference,
        schema::StpIncrement::Etm => StpIncrement::Etm,
    };
    Ok(p)
}

/// The weight in units of the target compartment's leak conductance: `weight` as written, or
/// `weight_ns` / g_L (nS / nS, so a value taken from a paper in nS needs no hand conversion);
/// exactly one of the two.
fn relative_weight(
    cx: &Ctx,
    parts: &Parts,
    section: &str,
    spec: &ProjectionSpec,
    to: usize,
) -> Result<f64, ModelError> {
    match (spec.weight, spec.weight_ns) {
        (Some(w), None) => Ok(w),
        (None, Some(ns)) => {
            if !(ns.is_finite() && ns >= 0.0) {
                return Err(cx.invalid(
                    section,
                    "weight_ns",
                    ns,
                    "a conductance >= 0 in nS (the receptor sets the sign)",
                ));
            }
            let pop = parts.pop(to);
            match pop.synapse_model(spec.target, spec.receptor) {
                Some(m) => Ok(ns / m.g_leak_ns),
                None => Err(cx.invalid(
                    section,
                    "target",
                    format!("\"{}\"", super::comp_name(spec.target)),
                    format!(
                        "a compartment of population \"{}\" (kind {}) that has synapses and a leak conductance",
                        parts.pop_name(to),
                        pop.kind_name()
                    ),
                )),
            }
        }
        (Some(_), Some(_)) => Err(cx.invalid(
            section,
            "weight_ns",
            "(both weight and weight_ns given)",
            "exactly one of weight (units of the target compartment's leak conductance) and weight_ns (nS)",
        )),
        (None, None) => Err(cx.invalid(
            section,
            "weight",
            "(missing)",
            "a weight (units of the target compartment's leak conductance), or weight_ns (nS)",
        )),
    }
}
