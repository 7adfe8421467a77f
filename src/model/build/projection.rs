//! `[[projection]]` entries (and the one-to-one projections of Poisson `[[input]]` drives):
//! connectivity, delay, event/burst filters, weights, short-term and long-term plasticity.

use super::checks::Ctx;
use super::timescales::{self, Scale};
use super::varying;
use super::{comp_name, rec_name, Parts, Sim};
use crate::engine::MAX_DELAY_MS;
use crate::model::de::Choice;
use crate::model::error::ModelError;
use crate::model::schema::{self, ConnectRule, Dist, Plasticity, ProjectionSpec, Varying};
use crate::plasticity::{BurstCcnParams, BurstRuleParams, EmptyEstimate, Homeostasis, RuleParams};
use crate::rng::{stream_rng, Stream};
use crate::synapse::{CombinationError, Csr, SynapseValues};
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
    let (n_pre, n_post) = (parts.pop(from).len(), parts.pop(to).len());
    let wiring = wiring(cx, section, &spec.connect, from, to, n_pre, n_post)?;
    // The weight: the file's, or the `weight` key (a number or a distribution), not both.
    let file_weights = matches!(&wiring, Wiring::Edges(e) if e.weights.is_some());
    // `weight_ns` is the same number in nS (issue 15 item 7), converted with the target's g_L
    let given = match (&spec.weight, spec.weight_ns) {
        (Some(_), Some(_)) => {
            return Err(cx.invalid(
                section,
                "weight_ns",
                "(both weight and weight_ns given)",
                "exactly one of weight (units of the target compartment's leak conductance) and weight_ns (nS)",
            ))
        }
        (None, Some(ns)) => Some(Varying::Fixed(weight_from_ns(cx, parts, section, spec, to, ns)?)),
        (w, None) => w.clone(),
    };
    let weight = match (&given, file_weights) {
        (Some(_), true) => {
            return Err(cx.invalid(
                section,
                "weight",
                "(given)",
                "no `weight` key: the edge file gives every synapse's weight (leave one of them out)",
            ))
        }
        (None, true) => None,
        (None, false) => {
            return Err(cx.invalid(
                section,
                "weight",
                "(missing)",
                "a conductance >= 0 in units of the target's leak conductance, a distribution, weight_ns (nS), or a weight column in the edge file",
            ))
        }
        (Some(Varying::File(f)), false) => {
            return Err(cx.invalid(
                section,
                "weight",
                format!("{{ file = {f:?} }}"),
                "a number or a distribution (per-synapse weights from a file go in the edge file's weight column)",
            ))
        }
        (Some(w), false) => Some(w.clone()),
    };
    if let Some(Varying::Dist(d)) = &weight {
        varying::check_dist(cx, section, "weight", d, Some(0.0))?;
    }
    // The weight the rule's bounds and messages see: the number, a distribution's mean, or the
    // file's mean (every per-synapse weight is checked against the bounds below).
    let weight_value = match &weight {
        Some(Varying::Fixed(w)) => *w,
        Some(_) => 0.0,
        None => 0.0,
    };
    if !(weight_value.is_finite() && weight_value >= 0.0) {
        return Err(cx.invalid(
            section,
            "weight",
            weight_value,
            "a conductance >= 0 in units of the target's leak conductance (the receptor sets the sign)",
        ));
    }
    let varied = !matches!(weight, Some(Varying::Fixed(_)));
    let plasticity = match &spec.plasticity {
        None => None,
        Some(Plasticity::Burst(p)) => Some(RuleParams::Burst(burst_rule(cx, section, p, weight_value, !varied)?)),
        Some(Plasticity::BurstCcn(p)) => {
            Some(RuleParams::BurstCcn(burstccn_rule(cx, section, p, weight_value, !varied)?))
        }
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
    let varied_weights = varied;
    let per_synapse = match spec.weights {
        None => plasticity.is_some() || varied_weights,
        Some(schema::WeightsMode::Synapse) => true,
        Some(schema::WeightsMode::Projection) if varied_weights => {
            return Err(cx.invalid(
                section,
                "weights",
                "\"projection\"",
                "\"synapse\": the weights differ between synapses (a distribution or the edge file's)",
            ))
        }
        Some(schema::WeightsMode::Projection) => false,
    };
    // Filtering and plastic projections read the immediate spike list: zero delay by default
    // (spec 0.3, P7); any delay is allowed.
    let default_delay = if transmit == Transmit::All && plasticity.is_none() { DEFAULT_DELAY_MS } else { 0.0 };
    let file_delays = matches!(&wiring, Wiring::Edges(e) if e.delays_ms.is_some());
    let delay_key = match (&spec.delay_ms, file_delays) {
        (Some(_), true) => {
            return Err(cx.invalid(
                section,
                "delay_ms",
                "(given)",
                "no `delay_ms` key: the edge file gives every synapse's delay (leave one of them out)",
            ))
        }
        (Some(Varying::File(f)), _) => {
            return Err(cx.invalid(
                section,
                "delay_ms",
                format!("{{ file = {f:?} }}"),
                "a number or a distribution (per-synapse delays from a file go in the edge file's delay_ms column)",
            ))
        }
        (d, _) => d.clone(),
    };
    let delay_ms = match &delay_key {
        Some(Varying::Fixed(x)) => *x,
        Some(Varying::Dist(d)) => {
            varying::check_dist(cx, section, "delay_ms", d, Some(0.0))?;
            if let Some(m) = d.max.or(match d.law {
                schema::Law::Uniform { high, .. } => Some(high),
                _ => None,
            }) {
                if m > MAX_DELAY_MS {
                    return Err(cx.invalid(section, "delay_ms", d, format!("delays of at most {MAX_DELAY_MS} ms")));
                }
            }
            default_delay
        }
        _ => default_delay,
    };
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
    if spec.connect.rule == ConnectRule::OneToOne && n_pre != n_post {
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
    let expected_syn = match &wiring {
        Wiring::Rule(Connect::Probability(p)) => pairs * p,
        Wiring::Rule(Connect::OneToOne) => n_pre as f64,
        Wiring::Rule(Connect::AllToAll) => pairs,
        Wiring::Rule(Connect::FixedIndegree { k, .. }) => *k as f64 * n_post as f64,
        Wiring::Rule(Connect::FixedOutdegree { k, .. }) => *k as f64 * n_pre as f64,
        Wiring::Rule(Connect::FixedTotal { n, .. }) => *n as f64,
        Wiring::Edges(e) => e.pairs.len() as f64,
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
        weight: weight_value as f32,
        per_synapse,
        delay_steps: delay,
        transmit,
        trace_delay,
        stp,
        plasticity_on: spec.plasticity.as_ref().is_some_and(|p| p.on()),
        plasticity,
    };
    let seed = parts.net.seed();
    let (csr, mut values) = match wiring {
        Wiring::Rule(connect) => {
            (Csr::wire(connect, n_pre, n_post, no_self(&spec.connect, from, to), seed, index), SynapseValues::default())
        }
        Wiring::Edges(e) => {
            let (csr, order) = Csr::from_pairs(n_pre, &e.pairs);
            let weights = e.weights.map(|w| order.iter().map(|&k| w[k] as f32).collect());
            let delays = e.delays_ms.as_ref().map(|d| order.iter().map(|&k| (d[k] / dt).round() as u32).collect());
            if let Some(d) = &e.delays_ms {
                if let Some(x) = d.iter().find(|&&x| x > MAX_DELAY_MS) {
                    return Err(cx.invalid(
                        section,
                        "connect",
                        format!("a delay of {x} ms in the edge file"),
                        format!("delays of at most {MAX_DELAY_MS} ms"),
                    ));
                }
            }
            (csr, SynapseValues { weights, delays })
        }
    };
    // Weights and delays are not negative: a distribution is clipped at 0 unless its `min` is
    // higher (a normal weight thus has an atom at 0, as NEST's clipped normal).
    let at_least_0 = |d: &Dist| Dist { min: Some(d.min.unwrap_or(0.0)), ..*d };
    if let Some(Varying::Dist(d)) = &weight {
        let d = at_least_0(d);
        values.weights = Some(draw_per_synapse(&csr, &d, seed, index, 0).map(|x| x as f32).collect());
    }
    if let Some(Varying::Dist(d)) = &delay_key {
        let d = &at_least_0(d);
        // rounded to whole steps, within [0, MAX_DELAY_MS]
        let max = (MAX_DELAY_MS / dt).floor();
        values.delays =
            Some(draw_per_synapse(&csr, d, seed, index, 1).map(|x| (x / dt).round().clamp(0.0, max) as u32).collect());
    }
    if let (Some(w), Some(r)) = (&values.weights, &cfg.plasticity) {
        let (lo, hi) = match r {
            RuleParams::Burst(b) => (b.w_min, b.w_max),
            RuleParams::BurstCcn(b) => (b.w_min, b.w_max),
        };
        if let Some(x) = w.iter().map(|&x| x as f64).find(|&x| x < lo || x > hi) {
            return Err(cx.invalid(
                section,
                "weight",
                format!("a synapse weight of {x}"),
                format!("weights within [w_min, w_max] = [{lo}, {hi}] (clip the distribution with min and max)"),
            ));
        }
    }
    parts.net.add_projection_wired(cfg, csr, values).map_err(|e| match e {
        CombinationError::PlasticSynapseDelays => cx.invalid(section, "delay_ms", "(one per synapse)", e.to_string()),
        CombinationError::PlasticSharedWeight => {
            let given = spec.weights.map_or("projection", |w| w.name());
            cx.invalid(section, "weights", format!("\"{given}\""), e.to_string())
        }
    })?;
    parts.proj_entries.insert(name, section.to_string());
    Ok(())
}

/// How a projection is wired: a rule drawn by [`Csr::wire`], or edges read from a file.
enum Wiring {
    Rule(Connect),
    Edges(varying::Edges),
}

/// Whether self-connections (i -> i) are left out: within one population unless
/// `allow_autapses = true` (burstsim has always left them out; NEST allows them by default).
fn no_self(connect: &schema::Connect, from: usize, to: usize) -> bool {
    from == to && connect.allow_autapses != Some(true)
}

/// The values of one synapse each, drawn row by row (presynaptic neuron by neuron, each from a
/// stream of its own: labels projection `index`, `what` (0 weights, 1 delays), the neuron), so a
/// row's values do not depend on the other rows.
fn draw_per_synapse<'a>(csr: &'a Csr, d: &'a Dist, seed: u64, index: u64, what: u64) -> impl Iterator<Item = f64> + 'a {
    (0..csr.row_start.len() - 1).flat_map(move |i| {
        let mut rng = stream_rng(seed, Stream::SynapseValues, &[index, what, i as u64]);
        let n = csr.row_start[i + 1] - csr.row_start[i];
        (0..n).map(move |_| varying::sample(d, &mut rng)).collect::<Vec<_>>()
    })
}

/// `connect` checked: a rule with its counts (whole numbers, within what the populations allow
/// without multapses), or the edges of a file (ids checked against the sizes).
fn wiring(
    cx: &Ctx,
    section: &str,
    c: &schema::Connect,
    from: usize,
    to: usize,
    n_pre: usize,
    n_post: usize,
) -> Result<Wiring, ModelError> {
    let multapses = c.allow_multapses.unwrap_or(true);
    let is_file = matches!(c.rule, ConnectRule::Csv(_) | ConnectRule::Sonata { .. });
    let degree_rule =
        matches!(c.rule, ConnectRule::FixedIndegree(_) | ConnectRule::FixedOutdegree(_) | ConnectRule::FixedTotal(_));
    if c.allow_multapses.is_some() && !degree_rule {
        return Err(cx.invalid(
            section,
            "connect.allow_multapses",
            c.allow_multapses.unwrap_or(true),
            "no such key for this rule: only fixed_indegree, fixed_outdegree and fixed_total_number draw pairs that can repeat",
        ));
    }
    if c.allow_autapses.is_some() && (is_file || c.rule == ConnectRule::OneToOne) {
        return Err(cx.invalid(
            section,
            "connect.allow_autapses",
            c.allow_autapses.unwrap_or(false),
            "no such key for this rule (an edge file lists its synapses; one_to_one is only i -> i)",
        ));
    }
    let count = |key: &str, x: f64| -> Result<usize, ModelError> {
        if x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x <= 2e9 {
            Ok(x as usize)
        } else {
            Err(cx.invalid(section, &format!("connect.{key}"), x, "a whole number from 0 to 2e9"))
        }
    };
    let connect = match &c.rule {
        ConnectRule::Probability(p) => Connect::Probability(cx.probability(section, "connect.p", *p)?),
        ConnectRule::OneToOne => Connect::OneToOne,
        ConnectRule::AllToAll => Connect::AllToAll,
        ConnectRule::FixedIndegree(k) => Connect::FixedIndegree { k: count("indegree", *k)?, multapses },
        ConnectRule::FixedOutdegree(k) => Connect::FixedOutdegree { k: count("outdegree", *k)?, multapses },
        ConnectRule::FixedTotal(n) => Connect::FixedTotal { n: count("n", *n)?, multapses },
        ConnectRule::Csv(f) => {
            return varying::read_csv_edges(cx, section, "connect.file", f, n_pre, n_post).map(Wiring::Edges)
        }
        ConnectRule::Sonata { file, population } => {
            return varying::read_sonata_edges(
                cx,
                section,
                "connect.sonata",
                file,
                population.as_deref(),
                n_pre,
                n_post,
            )
            .map(Wiring::Edges)
        }
    };
    let no_self = no_self(c, from, to);
    if let Some(cap) = connect.capacity(n_pre, n_post, no_self) {
        let (key, k, what) = match connect {
            Connect::FixedIndegree { k, .. } => {
                ("connect.indegree", k, format!("sources per target (the source population has {n_pre} neurons"))
            }
            Connect::FixedOutdegree { k, .. } => {
                ("connect.outdegree", k, format!("targets per source (the target population has {n_post} neurons"))
            }
            Connect::FixedTotal { n, .. } => ("connect.n", n, format!("synapses ({n_pre} x {n_post} pairs")),
            _ => unreachable!("only the count rules have a capacity"),
        };
        let selfs = if no_self { ", less the self-connections" } else { "" };
        if !multapses && k > cap {
            return Err(cx.invalid(
                section,
                key,
                k,
                format!("at most {cap} {what}{selfs}) with allow_multapses = false (each pair at most once)"),
            ));
        }
        if multapses && k > 0 && cap == 0 {
            return Err(cx.invalid(section, key, k, format!("0: there is no pair to connect ({what}{selfs})")));
        }
    }
    Ok(Wiring::Rule(connect))
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
    fixed: bool,
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
    if fixed {
        bounds_hold(cx, section, r.w_min, r.w_max, w0)?;
    }
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
fn burst_rule(
    cx: &Ctx,
    section: &str,
    p: &schema::BurstPlasticity,
    w0: f64,
    fixed: bool,
) -> Result<BurstRuleParams, ModelError> {
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
    if fixed {
        bounds_hold(cx, section, r.w_min, r.w_max, w0)?;
    }
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

/// `weight_ns` as a relative weight: nS / the target compartment's leak conductance.
fn weight_from_ns(
    cx: &Ctx,
    parts: &Parts,
    section: &str,
    spec: &ProjectionSpec,
    to: usize,
    ns: f64,
) -> Result<f64, ModelError> {
    if !(ns.is_finite() && ns >= 0.0) {
        return Err(cx.invalid(section, "weight_ns", ns, "a conductance >= 0 in nS (the receptor sets the sign)"));
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
