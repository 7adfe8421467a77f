//! The raw model file, mirroring the TOML (DESIGN.md "Model files"). Only structure, types and the
//! names of string options are checked here; ranges and references are checked in `build`.
//!
//! String options are enums declared with `choice!`; the options of
//! `[[projection]]` that take a string or a table (`connect`, `stp`) or a table tagged by a key
//! (`plasticity`) have their own `Deserialize`, in `projection` (see [`super::de`] for why).

mod projection;
mod value;

pub use value::{Dist, Law, Varying, VARYING_FORMS};

pub use projection::{
    BurstCcnPlasticity, BurstPlasticity, Connect, ConnectRule, EmptyEstimate, Homeostasis, Plasticity, PlasticityRule,
    ProjectionSpec, Stp, StpIncrement, StpPreset, StpTable, Transmit, TransmitTrace, WeightsMode,
};

use super::de::choice;
use crate::neuron::{Compartment, Receptor};
use serde::de::{self, Deserializer};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    /// `[simulation]`.
    pub simulation: SimulationSpec,
    /// `[[population]]` entries.
    #[serde(default, rename = "population")]
    pub populations: Vec<PopulationSpec>,
    /// `[[projection]]` entries.
    #[serde(default, rename = "projection")]
    pub projections: Vec<ProjectionSpec>,
    /// `[[input]]` entries.
    #[serde(default, rename = "input")]
    pub inputs: Vec<InputSpec>,
    /// `[output]`.
    #[serde(default)]
    pub output: OutputSpec,
    /// `[[phase]]` entries: timed changes (a protocol).
    #[serde(default, rename = "phase")]
    pub phases: Vec<PhaseSpec>,
    /// `[[teacher]]` entries: online teacher currents.
    #[serde(default, rename = "teacher")]
    pub teachers: Vec<TeacherSpec>,
    /// `[protocol]`: example presentation (patterns, epochs, prediction and learning windows),
    /// expanded into timed changes.
    #[serde(default)]
    pub protocol: Option<ExamplesSpec>,
}

/// `[[teacher]]`: a current into `compartment` of every neuron of `target`, computed from the
/// neuron's moving-average event rate (tau_avg_ms) and the current example's target.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeacherSpec {
    /// Name (`[[protocol.pattern]] target` keys and `[[phase]] teacher` refer to it).
    pub name: String,
    /// Target population.
    pub target: String,
    /// Compartment the current goes into.
    pub compartment: Compartment,
    /// Time constant of the event average read, ms (shared with plastic projections onto the
    /// target that use the same tau_avg_ms).
    pub tau_avg_ms: f64,
    /// Event rate that codes target 0, Hz (e_min).
    pub rate_0_hz: f64,
    /// Event rate that codes target 1, Hz (e_max).
    pub rate_1_hz: f64,
    /// Error-to-current function.
    pub error: ErrorKind,
    /// `error = "reference"`: base current, pA.
    #[serde(default)]
    pub base_pa: Option<f64>,
    /// `error = "reference"`: tolerance, Hz.
    #[serde(default)]
    pub tolerance_hz: Option<f64>,
    /// `error = "linear"`: pA per Hz of rate error.
    #[serde(default)]
    pub gain_pa_per_hz: Option<f64>,
    /// `error = "linear"`: largest |current|, pA.
    #[serde(default)]
    pub max_pa: Option<f64>,
    /// When the current is computed (default "on_switch", the reference).
    #[serde(default)]
    pub update: TeacherUpdate,
}

choice! {
    /// `[[teacher]] error`: the error-to-current function.
    pub enum ErrorKind {
        /// The reference's `generate_error` (spec 7.4): base_pa, tolerance_hz.
        Reference = "reference" ("spec 7.4 generate_error"),
        /// gain_pa_per_hz (target rate - Ebar), clipped to max_pa.
        Linear = "linear",
    }
}

choice! {
    /// `[[teacher]] update`: when the current is computed from the estimate.
    #[derive(Default)]
    pub enum TeacherUpdate {
        /// Once when switched on, then held (reference, spec 7.4). Default.
        #[default]
        OnSwitch = "on_switch" ("reference, spec 7.4"),
        /// At every step.
        EveryStep = "every_step",
    }
}

/// `[protocol]`: examples presented in epochs, each a prediction window (plasticity and teachers
/// off) followed by a learning window (plasticity of `plastic` and the pattern's teachers on),
/// with optional tests (each pattern once, no learning) before and after training.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExamplesSpec {
    /// Time before the first example, plasticity off, ms.
    pub burn_in_ms: f64,
    /// Duration of one example, ms.
    pub example_ms: f64,
    /// The last part of each training example, ms: plasticity and teachers on.
    pub learning_ms: f64,
    /// Training epochs (each pattern once per epoch).
    pub epochs: i64,
    /// Order of the patterns within an epoch (default "fixed": file order).
    #[serde(default)]
    pub order: ExampleOrder,
    /// Present every pattern once (file order, no learning) before training (default true).
    #[serde(default = "yes")]
    pub test_before: bool,
    /// The same after training (default true).
    #[serde(default = "yes")]
    pub test_after: bool,
    /// Projections whose plasticity the learning windows switch on (default: every plastic
    /// projection); they are off from t = 0.
    #[serde(default)]
    pub plastic: Option<Vec<String>>,
    /// The patterns.
    #[serde(rename = "pattern")]
    pub patterns: Vec<PatternSpec>,
}

fn yes() -> bool {
    true
}

choice! {
    /// `[protocol] order`.
    #[derive(Default)]
    pub enum ExampleOrder {
        /// File order in every epoch (reference, spec 7.4). Default.
        #[default]
        Fixed = "fixed" ("reference, spec 7.4"),
        /// A new random permutation in every epoch (drawn from the run seed).
        Shuffled = "shuffled",
    }
}

/// `[[protocol.pattern]]`: one example.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternSpec {
    /// Name (stored in the output).
    pub name: String,
    /// Named current `[[input]]` -> its current (constant) or amplitude (sine) during the example, pA.
    #[serde(default)]
    pub current_pa: BTreeMap<String, f64>,
    /// Teacher name -> target (0 or 1 for the reference error function).
    #[serde(default)]
    pub target: BTreeMap<String, f64>,
}

/// A protocol file: `[[phase]]` entries only (referenced by `[simulation] protocol_file`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtocolFile {
    /// The entries.
    #[serde(default, rename = "phase")]
    pub phases: Vec<PhaseSpec>,
}

/// `[[phase]]`: at `at_ms`, apply every change listed (tables keyed by name).
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct PhaseSpec {
    /// When, ms.
    pub at_ms: f64,
    /// Projection name -> plasticity on (true) or off (false).
    #[serde(default)]
    pub plasticity: BTreeMap<String, bool>,
    /// Projection name -> factor on the weight given in the file (static projections).
    #[serde(default)]
    pub weight_scale: BTreeMap<String, f64>,
    /// Poisson population (or named Poisson `[[input]]`) -> new rate, Hz.
    #[serde(default)]
    pub rate_hz: BTreeMap<String, f64>,
    /// Named current `[[input]]` -> new current (constant) or amplitude (sine), pA.
    #[serde(default)]
    pub current_pa: BTreeMap<String, f64>,
    /// Teacher name -> target (switches it on), or false (switches it off).
    #[serde(default)]
    pub teacher: BTreeMap<String, toml::Value>,
}

/// `[simulation]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationSpec {
    /// A one-line description (printed by `check`).
    #[serde(default)]
    pub title: Option<String>,
    /// Time step, ms (default 0.1, spec 0.1).
    #[serde(default = "default_dt")]
    pub dt_ms: f64,
    /// Simulated time, ms (may be left out with a `[protocol]`: then its length).
    #[serde(default)]
    pub duration_ms: Option<f64>,
    /// Master seed (default 1).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Threads (default 1).
    #[serde(default)]
    pub threads: Option<i64>,
    /// A TOML file of `[[phase]]` entries, relative to the model file's folder, added to the
    /// model's own.
    #[serde(default)]
    pub protocol_file: Option<String>,
    /// Which rule calls spikes events and bursts in every population's detector: what is recorded
    /// and what plasticity reads as postsynaptic events and bursts (default "trace"; `transmit`
    /// filters always use the trace).
    #[serde(default)]
    pub burst_rule: BurstRule,
}

fn default_dt() -> f64 {
    0.1
}
fn default_seed() -> u64 {
    1
}

/// Population kinds known to model files.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum KindName {
    /// Naud two-compartment pyramidal neuron.
    Pyramidal,
    /// Stochastic-burst pyramidal neuron (spec 1.7).
    BurstPoisson,
    /// AdEx with the PV column of spec 3.1.
    Pv,
    /// AdEx with the SOM column of spec 3.1.
    Sst,
    /// AdEx, every parameter explicit (defaults: PV).
    Adex,
    /// Conductance-based LIF (the COBA benchmark's point neuron).
    Lif,
    /// Poisson sources.
    Poisson,
    /// Spike trains replayed from a file (CSV of `id, time_ms` or SONATA).
    SpikeFile,
}

/// `[[population]]`: common keys; kind-specific keys are collected in `rest` and checked by the
/// kind's builder (serde cannot deny unknown keys of a flattened table).
#[derive(Debug, Deserialize)]
pub struct PopulationSpec {
    /// Unique name.
    pub name: String,
    /// Kind.
    pub kind: KindName,
    /// Number of neurons.
    pub size: i64,
    /// Parameter overrides and kind options.
    #[serde(flatten)]
    pub rest: BTreeMap<String, toml::Value>,
}

/// `[[input]]`: currents and private Poisson drives.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum InputSpec {
    /// A constant current into one compartment of every neuron.
    ConstantCurrent {
        /// Name, for `[[phase]]` changes.
        #[serde(default)]
        name: Option<String>,
        /// Target population.
        target: String,
        /// Compartment.
        compartment: Compartment,
        /// Current, pA.
        current_pa: f64,
        /// Switch-on time, ms (default 0).
        #[serde(default)]
        start_ms: Option<f64>,
        /// Switch-off time, ms (default never).
        #[serde(default)]
        stop_ms: Option<f64>,
    },
    /// offset + amplitude sin(2 pi t / period + phase), absolute time t.
    SineCurrent {
        /// Name, for `[[phase]]` changes.
        #[serde(default)]
        name: Option<String>,
        /// Target population.
        target: String,
        /// Compartment.
        compartment: Compartment,
        /// Amplitude, pA.
        amplitude_pa: f64,
        /// Period, ms.
        period_ms: f64,
        /// Phase at t = 0, degrees (default 0).
        #[serde(default)]
        phase_deg: Option<f64>,
        /// Offset, pA (default 0).
        #[serde(default)]
        offset_pa: Option<f64>,
        /// Switch-on time, ms (default 0).
        #[serde(default)]
        start_ms: Option<f64>,
        /// Switch-off time, ms (default never).
        #[serde(default)]
        stop_ms: Option<f64>,
    },
    /// A piecewise-linear current from a stimulus file (time in ms, current in pA).
    FileCurrent {
        /// Name, for `[[phase]]` changes.
        #[serde(default)]
        name: Option<String>,
        /// Target population.
        target: String,
        /// Compartment.
        compartment: Compartment,
        /// CSV file, relative to the model file's folder.
        file: String,
        /// Repeat the series with this period, ms (default: hold the last value).
        #[serde(default)]
        loop_ms: Option<f64>,
        /// Multiply every value (default 1).
        #[serde(default)]
        scale: Option<f64>,
        /// Switch-on time, ms (default 0).
        #[serde(default)]
        start_ms: Option<f64>,
        /// Switch-off time, ms (default never).
        #[serde(default)]
        stop_ms: Option<f64>,
    },
    /// A constant current per neuron, inline (`values_pa`) or from a file (one value per line).
    NeuronCurrents {
        /// Name, for `[[phase]]` changes.
        #[serde(default)]
        name: Option<String>,
        /// Target population.
        target: String,
        /// Compartment.
        compartment: Compartment,
        /// One current per neuron, pA.
        #[serde(default)]
        values_pa: Option<Vec<f64>>,
        /// Or a file with one current per line, relative to the model file's folder.
        #[serde(default)]
        file: Option<String>,
        /// Switch-on time, ms (default 0).
        #[serde(default)]
        start_ms: Option<f64>,
        /// Switch-off time, ms (default never).
        #[serde(default)]
        stop_ms: Option<f64>,
    },
    /// One private Poisson source per target neuron (one-to-one), as the Fig. 3 background.
    Poisson {
        /// Optional name of the generated source population.
        #[serde(default)]
        name: Option<String>,
        /// Target population.
        target: String,
        /// Compartment.
        compartment: Compartment,
        /// Receptor.
        receptor: Receptor,
        /// Rate of each source, Hz (the mean rate under `modulation`; or give `rate_file`).
        #[serde(default)]
        rate_hz: Option<f64>,
        /// A sine modulation of the rate: `{ amplitude_hz, period_ms, phase_rad }`.
        #[serde(default)]
        modulation: Option<toml::Value>,
        /// A piecewise-linear rate from a stimulus file of `time_ms, rate_hz` rows.
        #[serde(default)]
        rate_file: Option<String>,
        /// With `rate_file`: repeat the series with this period, ms.
        #[serde(default)]
        loop_ms: Option<f64>,
        /// Weight in units of the target compartment's leak conductance (or give `weight_ns`).
        #[serde(default)]
        weight: Option<f64>,
        /// Weight as a conductance in nS.
        #[serde(default)]
        weight_ns: Option<f64>,
        /// Delay, ms (default 0.8).
        #[serde(default)]
        delay_ms: Option<f64>,
    },
}

/// `[output]`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    /// Output file (default: the model file's stem + ".h5" in the current directory).
    #[serde(default)]
    pub file: Option<String>,
    /// Populations to record (default: every population from `[[population]]` except Poisson ones).
    #[serde(default)]
    pub populations: Option<Vec<String>>,
    /// Record spikes (default true).
    #[serde(default)]
    pub spikes: Option<bool>,
    /// Record events and bursts (default true).
    #[serde(default)]
    pub events_bursts: Option<bool>,
    /// Bin of the event/burst rates, ms (default 50).
    #[serde(default)]
    pub rate_bin_ms: Option<f64>,
    /// Deflate-compress the datasets (default false: some SONATA readers fail on deflate).
    #[serde(default)]
    pub compression: Option<bool>,
    /// Refused: the event/burst rule moved to `[simulation] burst_rule`.
    #[serde(default, deserialize_with = "moved_to_simulation")]
    pub burst_rule: Option<Moved>,
    /// Weight snapshots of plastic (or any) projections.
    #[serde(default)]
    pub weights: Option<WeightsSpec>,
    /// `[[output.state]]`: state variables of chosen neurons (or STP variables of a projection).
    #[serde(default)]
    pub state: Vec<StateSpec>,
}

/// `[[output.state]]`: sample state variables of some neurons every `every_ms`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateSpec {
    /// The population whose neurons are sampled (or give `projection`).
    #[serde(default)]
    pub population: Option<String>,
    /// A projection with STP whose u and x (per presynaptic neuron) are sampled.
    #[serde(default)]
    pub projection: Option<String>,
    /// Variable names from the kind's table (`burstsim check` lists them), or `["all"]`.
    pub variables: Vec<String>,
    /// `"all"` (default), a range `"first..end"` (end excluded) or a list of indices.
    #[serde(default)]
    pub neurons: Option<toml::Value>,
    /// Sampling period, ms (default: every step).
    #[serde(default)]
    pub every_ms: Option<f64>,
}

/// `[output.weights]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightsSpec {
    /// Snapshot period, ms.
    pub every_ms: f64,
    /// Projections to record (default: every plastic projection).
    #[serde(default)]
    pub projections: Option<Vec<String>>,
    /// Also write every synapse's weight at each snapshot (small projections only).
    #[serde(default)]
    pub full: Option<bool>,
    /// Record P_bar, Ebar and Bbar (as rates) of the first N postsynaptic neurons.
    #[serde(default)]
    pub estimates_of_first: Option<i64>,
}

/// A key that moved to another table: it never deserialises (the message says where it went).
#[derive(Debug)]
pub enum Moved {}

/// `[output] burst_rule` is refused: the rule changes learning, not only recording.
fn moved_to_simulation<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Moved>, D::Error> {
    let value = toml::Value::deserialize(d)?;
    Err(de::Error::custom(format!(
        "`burst_rule = {value}` moved to [simulation] (the rule changes learning, not only recording)"
    )))
}

choice! {
    /// `[simulation] burst_rule`: which rule calls spikes events and bursts.
    #[derive(Default)]
    pub enum BurstRule {
        /// The reference's cumulative 16 ms trace (spec 2.1). Default.
        #[default]
        Trace = "trace" ("reference, spec 2.1"),
        /// The offline ISI rule of the reference's Python analysis (spec 2.4).
        Isi = "isi" ("the Python analysis, spec 2.4"),
    }
}

// Kind options of `[[population]]`, read from its flattened keys in `build`.

choice! {
    /// `dendritic_driving_force` of pyramidal kinds: which potential drives dendritic synapses.
    #[derive(Default)]
    pub enum DendriticDrivingForce {
        /// The somatic potential (the reference, P1). Default.
        #[default]
        Soma = "soma" ("reference, P1"),
        /// The dendritic potential.
        Dendrite = "dendrite",
    }
}

choice! {
    /// `exp` of AdEx kinds: how the exponential term is computed.
    #[derive(Default)]
    pub enum Exp {
        /// The reference's (1 + x/256)^256 (P5). Default.
        #[default]
        Fast = "fast" ("reference (1 + x/256)^256, P5"),
        /// The exact exponential.
        Exact = "exact",
    }
}

choice! {
    /// `v_init_seed`: which seed draws the initial potentials.
    #[derive(Default)]
    pub enum VInitSeed {
        /// The reference's fixed seed 42 (P13). Default.
        #[default]
        Fixed = "fixed" ("reference seed 42, P13"),
        /// The run's seed.
        Run = "run",
    }
}
