//! Population kinds. Each kind owns its state as structure of arrays and implements [`NeuronKind`]
//! (step, conductances, injection, recordable state, finite check); nothing else knows its
//! equations. [`Population`] is the one dispatch list over the kinds; how to add a kind is written
//! on [`NeuronKind`].

/// Declares, inside an `impl NeuronKind`, the kind's table of recordable variables and
/// [`NeuronKind::state`], the accessor from a table index to the stored vector, from one list, so
/// that the table and the vectors cannot drift apart. One entry per state vector:
/// `NAME: "units", "description" => field.path,` where NAME is the HDF5 dataset name (an
/// identifier, checked by the compiler) and the field is a `Vec<f32>` or a `Vec<u32>`.
macro_rules! recordables {
    ($( $name:ident : $units:literal, $what:literal => $($field:ident).+ ),* $(,)?) => {
        fn recordables(&self) -> &'static [$crate::neuron::Recordable] {
            const TABLE: &[$crate::neuron::Recordable] = &[$(
                $crate::neuron::Recordable { name: stringify!($name), units: $units, what: $what },
            )*];
            TABLE
        }

        fn state(&self, var: usize) -> $crate::neuron::StateVector<'_> {
            let vars: &[$crate::neuron::StateVector<'_>] = &[$( (&self.$($field).+[..]).into() ),*];
            vars[var]
        }
    };
}

pub mod adex;
pub mod burst_poisson;
pub mod lif;
pub mod params;
pub mod poisson;
pub mod pyramidal;

use crate::rng::{stream_rng, Stream};
pub use adex::Adex;
pub use burst_poisson::BurstPoisson;
pub use lif::Lif;
pub use poisson::Poisson;
pub use pyramidal::Pyramidal;
use rand_distr::{Distribution, Normal};

/// The compartment a synapse or a current targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compartment {
    /// The soma (or the single compartment of a point neuron).
    Soma,
    /// The apical dendrite of a two-compartment neuron.
    Dendrite,
}

/// The receptor of a synapse: which conductance it opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Receptor {
    /// AMPA, tau 5 ms, reversal 0 mV.
    Exc,
    /// GABA, tau 10 ms, reversal -80 mV.
    Inh,
}

/// An injected current: one value for every neuron, or one per neuron (pA).
#[derive(Clone, Copy, Debug)]
pub enum Current<'a> {
    /// The same current into every neuron.
    Uniform(f32),
    /// One current per neuron.
    PerNeuron(&'a [f32]),
}

impl Current<'_> {
    /// Device phase (spec 0.2 step 3, the reference's `CurrentInjector`): V += (dt / C) I.
    pub fn add_to(self, v: &mut [f32], dt_over_c: f32) {
        match self {
            Current::Uniform(i) => {
                let dv = dt_over_c * i;
                v.iter_mut().for_each(|x| *x += dv);
            }
            Current::PerNeuron(is) => v.iter_mut().zip(is).for_each(|(x, &i)| *x += dt_over_c * i),
        }
    }
}

/// Initial (somatic) membrane potentials: Gaussian(mean, sd) in mV; sd = 0 puts every neuron at the
/// mean. With `fixed_seed` the draws come from a generator seeded with 42 whatever the run seed, so
/// every population of the same size starts from the same vector (the reference's `random_mem`,
/// spec P13); otherwise from the run seed and the population index.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InitialVoltage {
    /// Mean, mV.
    pub mean_mv: f64,
    /// Standard deviation, mV (validated >= 0).
    pub sd_mv: f64,
    /// Use the reference's fixed seed 42.
    pub fixed_seed: bool,
}

impl InitialVoltage {
    /// Every neuron at `v_mv`.
    pub fn at(v_mv: f64) -> Self {
        InitialVoltage { mean_mv: v_mv, sd_mv: 0.0, fixed_seed: true }
    }

    /// The potentials of `n` neurons of population `pop_index` under run `seed`.
    pub fn draw(&self, n: usize, seed: u64, pop_index: u64) -> Vec<f32> {
        let mut rng = if self.fixed_seed {
            stream_rng(42, Stream::InitialState, &[])
        } else {
            stream_rng(seed, Stream::InitialState, &[pop_index])
        };
        let normal = Normal::new(self.mean_mv, self.sd_mv.max(0.0)).expect("validated sd");
        (0..n).map(|_| normal.sample(&mut rng) as f32).collect()
    }
}

/// Conductances of a point neuron (soma only), in units of its leak conductance.
#[derive(Clone, Debug)]
pub struct PointSynapses {
    /// AMPA.
    pub e: Vec<f32>,
    /// GABA.
    pub i: Vec<f32>,
}

impl PointSynapses {
    /// The vector a synapse with receptor `r` increments; `None` for the dendrite it lacks.
    pub fn get_mut(&mut self, c: Compartment, r: Receptor) -> Option<&mut [f32]> {
        match (c, r) {
            (Compartment::Soma, Receptor::Exc) => Some(&mut self.e),
            (Compartment::Soma, Receptor::Inh) => Some(&mut self.i),
            (Compartment::Dendrite, _) => None,
        }
    }
}

/// Conductances of a two-compartment cell, in units of each compartment's leak conductance.
#[derive(Clone, Debug)]
pub struct TwoCompartmentSynapses {
    /// Somatic AMPA.
    pub e_s: Vec<f32>,
    /// Somatic GABA.
    pub i_s: Vec<f32>,
    /// Dendritic AMPA.
    pub e_d: Vec<f32>,
    /// Dendritic GABA.
    pub i_d: Vec<f32>,
}

impl TwoCompartmentSynapses {
    /// All closed, for `n` neurons.
    pub fn new(n: usize) -> Self {
        TwoCompartmentSynapses { e_s: vec![0.0; n], i_s: vec![0.0; n], e_d: vec![0.0; n], i_d: vec![0.0; n] }
    }

    /// The vector a synapse onto compartment `c` with receptor `r` increments.
    pub fn get_mut(&mut self, c: Compartment, r: Receptor) -> &mut [f32] {
        match (c, r) {
            (Compartment::Soma, Receptor::Exc) => &mut self.e_s,
            (Compartment::Soma, Receptor::Inh) => &mut self.i_s,
            (Compartment::Dendrite, Receptor::Exc) => &mut self.e_d,
            (Compartment::Dendrite, Receptor::Inh) => &mut self.i_d,
        }
    }
}

/// One recordable state variable of a neuron kind: an entry of the kind's static table
/// ([`NeuronKind::recordables`]), the single source of the names used by state monitors, HDF5
/// datasets (`/state/<population>/<name>`), the finite-state guard and the docs (STYLE.md 15).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recordable {
    /// Variable name, an identifier usable as an HDF5 dataset name (`V_s`, `g_exc_soma`).
    pub name: &'static str,
    /// Units of the stored value (`mV`, `pA`, `g_L` for conductances in units of the compartment's
    /// leak conductance, `steps` for countdowns, `1` for dimensionless).
    pub units: &'static str,
    /// One-line description.
    pub what: &'static str,
}

/// A borrowed state vector, as the kind stores it; one value per neuron.
#[derive(Clone, Copy, Debug)]
pub enum StateVector<'a> {
    /// Continuous state (potentials, adaptation, conductances).
    F32(&'a [f32]),
    /// Integer state (countdowns in steps).
    U32(&'a [u32]),
}

impl StateVector<'_> {
    /// The value of neuron `i`, integer state converted to f32 (exact below 2^24).
    #[inline]
    pub fn get(&self, i: usize) -> f32 {
        match self {
            StateVector::F32(v) => v[i],
            StateVector::U32(v) => v[i] as f32,
        }
    }

    /// Bytes held by the vector's values.
    pub fn bytes(&self) -> usize {
        match self {
            StateVector::F32(v) => std::mem::size_of_val(*v),
            StateVector::U32(v) => std::mem::size_of_val(*v),
        }
    }
}

impl<'a> From<&'a [f32]> for StateVector<'a> {
    fn from(v: &'a [f32]) -> Self {
        StateVector::F32(v)
    }
}

impl<'a> From<&'a [u32]> for StateVector<'a> {
    fn from(v: &'a [u32]) -> Self {
        StateVector::U32(v)
    }
}

/// A neuron kind: a population of neurons (or sources) of one model, state as structure of arrays.
///
/// Every kind implements this trait, and [`Population`] forwards to it through one dispatch list.
/// The trait is object safe ([`Population::kind`] gives a `&dyn NeuronKind`); the hot loops stay
/// inside each kind's `step`, so the dynamic call costs one indirect call per population and step.
///
/// # Adding a kind
/// 1. Its file in `src/neuron/` (`pub mod` and `pub use` in `neuron/mod.rs`): `Params` from
///    [`param_table!`](crate::param_table), the state vectors, a constructor, and
///    `impl NeuronKind`, whose recordable table and [`state`](NeuronKind::state) accessor come from
///    one `recordables! { NAME: "units", "what" => field, ... }` list.
/// 2. One line in the `populations!` list in `neuron/mod.rs` (the variant of [`Population`]).
/// 3. One schema variant (`kind = "..."`) in `src/model/schema.rs`.
/// 4. One builder arm in `src/model/build.rs` that validates the parameters and constructs it.
///
/// Nothing else names the kinds: the engine, stimuli, the finite-state guard and state monitors go
/// through this trait, and the compiler points at any `match` on [`Population`] left incomplete.
pub trait NeuronKind {
    /// The kind's name as written in model files (and printed by `burstsim check`).
    fn kind_name(&self) -> &'static str;

    /// Number of neurons (or sources).
    fn len(&self) -> usize;

    /// True for a population of size zero.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Evolve phase (spec 0.2 step 1): integrate one dt and threshold-check, appending the indices
    /// of the neurons that spiked to `spikes`, in increasing order.
    fn step(&mut self, spikes: &mut Vec<u32>);

    /// The conductance vector (units of the compartment's leak conductance) that synapses with this
    /// compartment and receptor increment, or `None` when the kind has no such synapses (a Poisson
    /// source, a point neuron's dendrite).
    fn conductance_mut(&mut self, c: Compartment, r: Receptor) -> Option<&mut [f32]>;

    /// True when currents can be injected into compartment `c`.
    fn accepts_current(&self, c: Compartment) -> bool;

    /// Device phase (spec 0.2 step 3): V += dt I / C on compartment `c`. A compartment for which
    /// [`accepts_current`](NeuronKind::accepts_current) is false (the builder rejects it) is ignored.
    fn inject(&mut self, c: Compartment, current: Current);

    /// The kind's recordable state variables, one per stored state vector (empty for sources).
    fn recordables(&self) -> &'static [Recordable];

    /// The stored vector of recordable `var` (an index into
    /// [`recordables`](NeuronKind::recordables)). Panics when `var` is out of range.
    fn state(&self, var: usize) -> StateVector<'_>;

    /// The index of the recordable variable called `name`, if the kind has one.
    fn recordable_index(&self, name: &str) -> Option<usize> {
        self.recordables().iter().position(|r| r.name == name)
    }

    /// Appends the current value of recordable `var` of each neuron in `neurons` to `out`, in that
    /// order (integer state converted to f32). Panics when `var` or a neuron is out of range (the
    /// builder validates both).
    fn sample(&self, var: usize, neurons: &[u32], out: &mut Vec<f32>) {
        let v = self.state(var);
        out.extend(neurons.iter().map(|&i| v.get(i as usize)));
    }

    /// The first non-finite state value (STYLE.md 11), as (neuron, variable, value), looking at the
    /// recordable variables in table order.
    fn first_non_finite(&self) -> Option<(usize, &'static str, f32)> {
        self.recordables().iter().enumerate().find_map(|(var, r)| match self.state(var) {
            StateVector::F32(v) => v.iter().position(|x| !x.is_finite()).map(|i| (i, r.name, v[i])),
            StateVector::U32(_) => None,
        })
    }

    /// Bytes of per-neuron state (for `burstsim check`): by default the recordable vectors, which
    /// are all of a kind's state vectors; kinds with other state (random streams) add it.
    fn state_bytes(&self) -> usize {
        recordable_bytes(self)
    }
}

/// Bytes held by the recordable state vectors of `kind`.
pub fn recordable_bytes<K: NeuronKind + ?Sized>(kind: &K) -> usize {
    (0..kind.recordables().len()).map(|var| kind.state(var).bytes()).sum()
}

/// Generates [`Population`], one variant per kind, and its conversion to the kind's
/// [`NeuronKind`]; every forwarding method goes through that conversion, so the list below is the
/// only place that names all kinds.
macro_rules! populations {
    ($( $(#[$doc:meta])* $variant:ident($kind:ty) ),* $(,)?) => {
        /// A population of one kind; the methods forward to the kind's [`NeuronKind`].
        // A network holds a handful of populations, so the size of the largest variant does not matter.
        #[allow(clippy::large_enum_variant)]
        #[derive(Clone, Debug)]
        pub enum Population {
            $( $(#[$doc])* $variant($kind), )*
        }

        impl Population {
            /// The population as its kind.
            pub fn kind(&self) -> &dyn NeuronKind {
                match self {
                    $( Population::$variant(p) => p, )*
                }
            }

            /// The population as its kind, mutably.
            pub fn kind_mut(&mut self) -> &mut dyn NeuronKind {
                match self {
                    $( Population::$variant(p) => p, )*
                }
            }
        }
    };
}

populations! {
    /// Naud two-compartment pyramidal neurons (spec 1.1-1.6).
    Pyramidal(Pyramidal),
    /// Stochastic-burst pyramidal neurons (spec 1.7).
    BurstPoisson(BurstPoisson),
    /// AdEx interneurons (spec 3.1): `pv`, `sst` and generic `adex` populations.
    Adex(Adex),
    /// Conductance-based LIF point neurons (the COBA benchmark).
    Lif(Lif),
    /// Independent Poisson sources (spec 6).
    Poisson(Poisson),
}

/// Forwarding methods, so that callers need not import [`NeuronKind`]; see the trait for the docs.
impl Population {
    /// Number of neurons (or sources).
    pub fn len(&self) -> usize {
        self.kind().len()
    }

    /// True for a population of size zero.
    pub fn is_empty(&self) -> bool {
        self.kind().is_empty()
    }

    /// The kind's name as written in model files.
    pub fn kind_name(&self) -> &'static str {
        self.kind().kind_name()
    }

    /// Evolve phase: integrate and threshold-check, appending spiking indices in increasing order.
    pub fn step(&mut self, spikes: &mut Vec<u32>) {
        self.kind_mut().step(spikes)
    }

    /// The conductance vector that synapses with this compartment and receptor increment, or
    /// `None` when the kind has no such synapses (a Poisson source, a point neuron's dendrite).
    pub fn conductance_mut(&mut self, c: Compartment, r: Receptor) -> Option<&mut [f32]> {
        self.kind_mut().conductance_mut(c, r)
    }

    /// True when currents can be injected into compartment `c`.
    pub fn accepts_current(&self, c: Compartment) -> bool {
        self.kind().accepts_current(c)
    }

    /// Device phase: inject `current` into compartment `c` (V += dt I / C; the builder checked
    /// that the kind has that compartment).
    pub fn inject(&mut self, c: Compartment, current: Current) {
        self.kind_mut().inject(c, current)
    }

    /// The kind's recordable state variables.
    pub fn recordables(&self) -> &'static [Recordable] {
        self.kind().recordables()
    }

    /// The index of the recordable variable called `name`.
    pub fn recordable_index(&self, name: &str) -> Option<usize> {
        self.kind().recordable_index(name)
    }

    /// Appends the value of recordable `var` of each neuron in `neurons` to `out`.
    pub fn sample(&self, var: usize, neurons: &[u32], out: &mut Vec<f32>) {
        self.kind().sample(var, neurons, out)
    }

    /// The first non-finite state variable, as (neuron, variable, value).
    pub fn first_non_finite(&self) -> Option<(usize, &'static str, f32)> {
        self.kind().first_non_finite()
    }

    /// Bytes of per-neuron state (for `burstsim check`).
    pub fn state_bytes(&self) -> usize {
        self.kind().state_bytes()
    }
}
