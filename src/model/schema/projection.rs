//! `[[projection]]` and its options: `connect`, `stp`, `transmit`, `transmit_trace` and
//! `plasticity`.

use super::value::Varying;
use crate::model::de::{choice, Choice, Table};
use crate::model::error::value_message;
use crate::neuron::{Compartment, Receptor};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// `[[projection]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectionSpec {
    /// Optional name (default "from->to.target.receptor").
    #[serde(default)]
    pub name: Option<String>,
    /// Source population.
    pub from: String,
    /// Target population.
    pub to: String,
    /// Target compartment.
    pub target: Compartment,
    /// Receptor.
    pub receptor: Receptor,
    /// A rule (`{ p = 0.05 }`, `"one_to_one"`, `{ rule = "fixed_indegree", indegree = 80 }`,
    /// ...) or an edge file.
    pub connect: Connect,
    /// Weight in units of the target compartment's leak conductance: a number or a distribution
    /// (one value per synapse). Required unless `weight_ns` or the edge file gives the weights.
    #[serde(default)]
    pub weight: Option<Varying>,
    /// Weight as a conductance in nS instead of `weight` (a number), converted with the target
    /// compartment's leak conductance.
    #[serde(default)]
    pub weight_ns: Option<f64>,
    /// Axonal delay, ms (default 0.8, spec 0.3; 0 for event/burst-filtered projections): a
    /// number or a distribution (per synapse, rounded to steps).
    #[serde(default)]
    pub delay_ms: Option<Varying>,
    /// Short-term plasticity (default none).
    #[serde(default)]
    pub stp: Option<Stp>,
    /// Which spikes are delivered (default "all"; plastic projections: "events").
    #[serde(default)]
    pub transmit: Option<Transmit>,
    /// Which spikes feed a filter's presynaptic trace (default "delayed").
    #[serde(default)]
    pub transmit_trace: TransmitTrace,
    /// Long-term plasticity (default none).
    #[serde(default)]
    pub plasticity: Option<Plasticity>,
    /// One weight per projection or per synapse (default: per synapse for plastic projections,
    /// which need it, else per projection).
    #[serde(default)]
    pub weights: Option<WeightsMode>,
}

choice! {
    /// `weights`: how many weights a projection keeps.
    pub enum WeightsMode {
        /// One shared weight (scalable by `[[phase]]` weight_scale).
        Projection = "projection" ("one shared weight"),
        /// One weight per synapse (required by a plasticity rule).
        Synapse = "synapse" ("one weight per synapse"),
    }
}

choice! {
    /// `transmit`: which presynaptic spikes a projection delivers (spec 4.5).
    pub enum Transmit {
        /// Every spike.
        All = "all",
        /// Events: isolated spikes and the first spike of each burst.
        Events = "events",
        /// The second spike of each burst.
        Bursts = "bursts",
    }
}

choice! {
    /// `transmit_trace`: which spikes feed the presynaptic trace of an event/burst filter.
    #[derive(Default)]
    pub enum TransmitTrace {
        /// Spikes 0.8 ms late, so the threshold is 16.8 ms (the reference, P7). Default.
        #[default]
        Delayed = "delayed" ("reference, P7"),
        /// Spikes of the step itself (threshold 16 ms).
        Immediate = "immediate",
    }
}

/// `connect`: a rule (`{ p = 0.05 }`, `"one_to_one"`, `"all_to_all"`, `{ rule = "fixed_indegree",
/// indegree = 80 }`, ...) or an edge file (`{ file = "edges.csv" }`, `{ sonata = "edges.h5",
/// population = "name" }`), with NEST's `allow_autapses` and `allow_multapses`.
#[derive(Clone, Debug, PartialEq)]
pub struct Connect {
    /// Which pairs are connected.
    pub rule: ConnectRule,
    /// Whether i -> i is allowed when source = target (default false: burstsim has always left
    /// self-connections out, NEST's default is true).
    pub allow_autapses: Option<bool>,
    /// Whether a pair may be connected more than once (degree and total-number rules; NEST's
    /// default true).
    pub allow_multapses: Option<bool>,
}

/// The connection rules and edge files (counts are checked to be whole numbers in `build`).
#[derive(Clone, Debug, PartialEq)]
pub enum ConnectRule {
    /// Each pair independently with probability p (NEST's `pairwise_bernoulli`).
    Probability(f64),
    /// Neuron i to neuron i.
    OneToOne,
    /// Every pair.
    AllToAll,
    /// Every target gets this many sources, drawn uniformly.
    FixedIndegree(f64),
    /// Every source gets this many targets, drawn uniformly.
    FixedOutdegree(f64),
    /// This many synapses, pairs drawn uniformly.
    FixedTotal(f64),
    /// Edges listed in a CSV file: pre, post[, weight[, delay_ms]].
    Csv(String),
    /// Edges of a SONATA edges file (HDF5).
    Sonata {
        /// The file.
        file: String,
        /// The edge population (`/edges/<population>`); may be left out when there is one.
        population: Option<String>,
    },
}

choice! {
    /// The rules named by a string: `connect = "one_to_one"`.
    pub enum NamedRule {
        /// Neuron i to neuron i.
        OneToOne = "one_to_one",
        /// Every pair.
        AllToAll = "all_to_all",
    }
}

impl NamedRule {
    fn rule(self) -> ConnectRule {
        match self {
            NamedRule::OneToOne => ConnectRule::OneToOne,
            NamedRule::AllToAll => ConnectRule::AllToAll,
        }
    }
}

/// The rule names of `connect = { rule = ... }` (NEST's).
const RULES: &str = "\"pairwise_bernoulli\" (with p), \"fixed_indegree\" (indegree), \"fixed_outdegree\" (outdegree), \
                     \"fixed_total_number\" (n), \"one_to_one\" or \"all_to_all\"";

impl Connect {
    /// Every accepted form, as messages list them.
    fn forms() -> String {
        format!(
            "{{ p = <probability> }}, {}, {{ rule = ..., ... }}, {{ file = \"edges.csv\" }} or {{ sonata = \"edges.h5\", \
             population = \"name\" }}",
            NamedRule::expected()
        )
    }

    /// A rule with the default flags.
    pub fn rule(rule: ConnectRule) -> Self {
        Connect { rule, allow_autapses: None, allow_multapses: None }
    }

    fn from_table<E: de::Error>(t: &Table) -> Result<Connect, E> {
        let flags = ["allow_autapses", "allow_multapses"];
        let keys = |own: &[&'static str]| [own, &flags[..]].concat();
        let rule = if t.has("file") {
            t.only(&["file"])?;
            ConnectRule::Csv(t.string("file")?.unwrap_or_default())
        } else if t.has("sonata") {
            t.only(&["sonata", "population"])?;
            ConnectRule::Sonata { file: t.string("sonata")?.unwrap_or_default(), population: t.string("population")? }
        } else {
            let name = t.string::<E>("rule")?;
            let count = |key: &str| {
                t.number(key)?.ok_or_else(|| E::custom(value_message(key, "(missing)", "a whole number >= 0")))
            };
            match name.as_deref() {
                None | Some("pairwise_bernoulli") => {
                    t.only(&keys(&["rule", "p"]))?;
                    let p = t.number("p")?;
                    ConnectRule::Probability(
                        p.ok_or_else(|| E::custom(value_message("p", "(missing)", "a probability between 0 and 1")))?,
                    )
                }
                Some("fixed_indegree") => {
                    t.only(&keys(&["rule", "indegree"]))?;
                    ConnectRule::FixedIndegree(count("indegree")?)
                }
                Some("fixed_outdegree") => {
                    t.only(&keys(&["rule", "outdegree"]))?;
                    ConnectRule::FixedOutdegree(count("outdegree")?)
                }
                Some("fixed_total_number") => {
                    t.only(&keys(&["rule", "n"]))?;
                    ConnectRule::FixedTotal(count("n")?)
                }
                Some("one_to_one") => {
                    t.only(&["rule"])?;
                    ConnectRule::OneToOne
                }
                Some("all_to_all") => {
                    t.only(&keys(&["rule"]))?;
                    ConnectRule::AllToAll
                }
                Some(other) => return Err(E::custom(value_message("rule", format!("\"{other}\""), RULES))),
            }
        };
        Ok(Connect {
            rule,
            allow_autapses: t.boolean("allow_autapses")?,
            allow_multapses: t.boolean("allow_multapses")?,
        })
    }
}

impl<'de> Deserialize<'de> for Connect {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Connect;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(&Connect::forms())
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Connect, E> {
                NamedRule::from_name(s)
                    .map(|r| Connect::rule(r.rule()))
                    .ok_or_else(|| E::custom(value_message("", format!("\"{s}\""), Connect::forms())))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Connect, A::Error> {
                Connect::from_table(&Table::read(map)?)
            }
        }
        d.deserialize_any(V)
    }
}

choice! {
    /// STP parameter sets of spec 4.2.
    pub enum StpPreset {
        /// The depressing (STD) set (`StpParams::depressing`).
        Depressing = "depressing",
        /// The facilitating (STF) set (`StpParams::facilitating`).
        Facilitating = "facilitating",
    }
}

choice! {
    /// `stp.increment`: how much u jumps at a spike.
    #[derive(Default)]
    pub enum StpIncrement {
        /// u += U (1 - u), what the reference runs. Default.
        #[default]
        Reference = "reference" ("u += U (1 - u), as the reference runs"),
        /// u += f (1 - u), the eTM model of spec 4.1.
        Etm = "etm" ("u += f (1 - u)"),
    }
}

/// `stp`: `"depressing"`, `"facilitating"`, or a table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stp {
    /// A preset by name.
    Preset(StpPreset),
    /// Explicit parameters, or a preset with changes.
    Table(StpTable),
}

/// `stp = { u, f, tau_d_ms, tau_f_ms, u_init, increment }` or `{ preset = "...", ... }`. Without
/// a preset, u, tau_d_ms and tau_f_ms are required (checked in `build`).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct StpTable {
    /// The preset the other keys change.
    pub preset: Option<StpPreset>,
    /// Utilisation increment U (fraction).
    pub u: Option<f64>,
    /// Facilitation increment f (fraction, used with increment = "etm").
    pub f: Option<f64>,
    /// Recovery time constant, ms.
    pub tau_d_ms: Option<f64>,
    /// Facilitation time constant, ms.
    pub tau_f_ms: Option<f64>,
    /// Initial utilisation (fraction; default 0.01, P6).
    pub u_init: Option<f64>,
    /// How u jumps.
    pub increment: StpIncrement,
}

impl StpTable {
    /// The keys of the table.
    pub const KEYS: [&'static str; 7] = ["preset", "u", "f", "tau_d_ms", "tau_f_ms", "u_init", "increment"];
}

impl Stp {
    /// Every accepted form, as messages list them.
    fn forms() -> String {
        let presets = StpPreset::NAMES.iter().map(|(n, _, _)| format!("\"{n}\"")).collect::<Vec<_>>().join(", ");
        format!("{presets}, {{ u, tau_d_ms, tau_f_ms, f, u_init, increment }} or {{ preset, ... }}")
    }
}

impl<'de> Deserialize<'de> for Stp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Stp;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(&Stp::forms())
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Stp, E> {
                let preset = StpPreset::from_name(s).map(Stp::Preset);
                preset.ok_or_else(|| E::custom(value_message("", format!("\"{s}\""), Stp::forms())))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Stp, A::Error> {
                let t = Table::read(map)?;
                t.only(&StpTable::KEYS)?;
                Ok(Stp::Table(StpTable {
                    preset: t.choice("preset")?,
                    u: t.number("u")?,
                    f: t.number("f")?,
                    tau_d_ms: t.number("tau_d_ms")?,
                    tau_f_ms: t.number("tau_f_ms")?,
                    u_init: t.number("u_init")?,
                    increment: t.choice("increment")?.unwrap_or_default(),
                }))
            }
        }
        d.deserialize_any(V)
    }
}

choice! {
    /// `plasticity.rule`: the long-term plasticity rules, one [`Plasticity`] variant each.
    pub enum PlasticityRule {
        /// The burst-dependent rule (spec 5.1).
        Burst = "burst" ("spec 5.1"),
        /// The BurstCCN rule with a fixed baseline (burstccn-rate.md 1.4).
        Burstccn = "burstccn" ("dw = eta (B - p_b E) E_pre"),
    }
}

/// `plasticity = { rule = "...", ... }`: a table tagged by `rule`, one variant per rule. A rule
/// is added as a [`PlasticityRule`] name, a variant here with its table, and one arm below.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Plasticity {
    /// `rule = "burst"`.
    Burst(BurstPlasticity),
    /// `rule = "burstccn"`.
    BurstCcn(BurstCcnPlasticity),
}

impl Plasticity {
    /// Learning on from the start.
    pub fn on(&self) -> bool {
        match self {
            Plasticity::Burst(p) => p.on,
            Plasticity::BurstCcn(p) => p.on,
        }
    }
}

impl<'de> Deserialize<'de> for Plasticity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Plasticity;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "a table {{ rule = {}, ... }}", PlasticityRule::expected())
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Plasticity, A::Error> {
                let t = Table::read(map)?;
                let rule = t
                    .choice::<PlasticityRule, _>("rule")?
                    .ok_or_else(|| de::Error::custom(value_message("rule", "(missing)", PlasticityRule::expected())))?;
                match rule {
                    PlasticityRule::Burst => {
                        t.only(&BurstPlasticity::KEYS)?;
                        BurstPlasticity::read(&t).map(Plasticity::Burst)
                    }
                    PlasticityRule::Burstccn => {
                        t.only(&BurstCcnPlasticity::KEYS)?;
                        BurstCcnPlasticity::read(&t).map(Plasticity::BurstCcn)
                    }
                }
            }
        }
        d.deserialize_map(V)
    }
}

choice! {
    /// `plasticity.homeostasis`: the rate the homeostatic term compares with theta_min.
    #[derive(Default)]
    pub enum Homeostasis {
        /// A 30 s trace of all postsynaptic spikes (the reference, P8). Default.
        #[default]
        Reference = "reference" ("P8"),
        /// The event rate estimate.
        EventRate = "event_rate",
    }
}

choice! {
    /// `plasticity.empty_estimate`: the valence before the first postsynaptic event.
    #[derive(Default)]
    pub enum EmptyEstimate {
        /// P_bar = 0/0, valence -1 (the reference, P9). Default.
        #[default]
        Reference = "reference" ("P9"),
        /// No valence update.
        Skip = "skip",
    }
}

/// `plasticity = { rule = "burst", eta, tau_pre_ms, tau_avg_ms, ... }` (spec 5.1): the keys of
/// `BurstRuleParams`, whose docs give units and the reference's values. The optional keys default
/// to the reference's constants (`BurstRuleParams::reference`, applied in `build`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BurstPlasticity {
    /// Learning rate eta.
    pub eta: f64,
    /// Time constant of the presynaptic event trace, ms.
    pub tau_pre_ms: f64,
    /// Time constant of the postsynaptic averages Ebar and Bbar, ms.
    pub tau_avg_ms: f64,
    /// Lower weight bound.
    pub w_min: Option<f64>,
    /// Upper weight bound.
    pub w_max: Option<f64>,
    /// Homeostatic potentiation below this rate, Hz.
    pub theta_min_hz: Option<f64>,
    /// Homeostatic depression above this event rate, Hz.
    pub theta_max_hz: Option<f64>,
    /// Time constant of the homeostatic spike trace r_hom, ms.
    pub tau_hom_ms: Option<f64>,
    /// Initial value of r_hom, Hz.
    pub r_hom_init_hz: Option<f64>,
    /// Which homeostatic potentiation runs.
    pub homeostasis: Homeostasis,
    /// The valence before the first postsynaptic event.
    pub empty_estimate: EmptyEstimate,
    /// Learning on from the start (default true).
    pub on: bool,
}

impl BurstPlasticity {
    /// The keys of the table (with the tag).
    pub const KEYS: [&'static str; 13] = [
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

    fn read<E: de::Error>(t: &Table) -> Result<Self, E> {
        Ok(BurstPlasticity {
            eta: t.required_number("eta")?,
            tau_pre_ms: t.required_number("tau_pre_ms")?,
            tau_avg_ms: t.required_number("tau_avg_ms")?,
            w_min: t.number("w_min")?,
            w_max: t.number("w_max")?,
            theta_min_hz: t.number("theta_min_hz")?,
            theta_max_hz: t.number("theta_max_hz")?,
            tau_hom_ms: t.number("tau_hom_ms")?,
            r_hom_init_hz: t.number("r_hom_init_hz")?,
            homeostasis: t.choice("homeostasis")?.unwrap_or_default(),
            empty_estimate: t.choice("empty_estimate")?.unwrap_or_default(),
            on: t.boolean("on")?.unwrap_or(true),
        })
    }
}

/// `plasticity = { rule = "burstccn", eta, tau_pre_ms, p_baseline, w_min, w_max, on }`: the keys of
/// `BurstCcnParams` (bounds default to [0, inf), applied in `build`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BurstCcnPlasticity {
    /// Learning rate eta.
    pub eta: f64,
    /// Time constant of the presynaptic event trace, ms.
    pub tau_pre_ms: f64,
    /// The fixed baseline burst probability p_b.
    pub p_baseline: f64,
    /// Lower weight bound.
    pub w_min: Option<f64>,
    /// Upper weight bound.
    pub w_max: Option<f64>,
    /// Learning on from the start (default true).
    pub on: bool,
}

impl BurstCcnPlasticity {
    /// The keys of the table (with the tag).
    pub const KEYS: [&'static str; 7] = ["rule", "eta", "tau_pre_ms", "p_baseline", "w_min", "w_max", "on"];

    fn read<E: de::Error>(t: &Table) -> Result<Self, E> {
        Ok(BurstCcnPlasticity {
            eta: t.required_number("eta")?,
            tau_pre_ms: t.required_number("tau_pre_ms")?,
            p_baseline: t.required_number("p_baseline")?,
            w_min: t.number("w_min")?,
            w_max: t.number("w_max")?,
            on: t.boolean("on")?.unwrap_or(true),
        })
    }
}
