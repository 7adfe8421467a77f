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

        fn persist_recordables(&mut self, io: &mut $crate::persist::StateIo) {
            $( io.slice(stringify!($name), &mut self.$($field).+[..]); )*
            let _ = io;
        }
    };
}

pub mod adex;
pub mod burst_poisson;
pub mod gaps;
pub mod lif;
pub mod params;
pub mod poisson;
pub mod pyramidal;
mod recordable;
pub mod refractory;
pub mod replay;
mod synapse_model;
mod synapses;

use crate::rng::{stream_rng, Stream};
pub use adex::Adex;
pub use burst_poisson::BurstPoisson;
pub use lif::Lif;
pub use poisson::Poisson;
pub use pyramidal::Pyramidal;
use rand_distr::{Distribution, Normal};
pub use recordable::{recordable_bytes, Recordable, StateVector};
pub use replay::Replay;
pub use synapse_model::SynapseModel;
pub use synapses::{PointSynapses, TwoCompartmentSynapses};

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
        add_current(crate::fastmath::Simd::detected(), self, v, dt_over_c);
    }

    /// [`Current::add_to`] with one dt / C per neuron (a capacitance given per neuron).
    pub fn add_to_each(self, v: &mut [f32], dt_over_c: &[f32]) {
        match self {
            Current::Uniform(i) => v.iter_mut().zip(dt_over_c).for_each(|(x, &k)| *x += k * i),
            Current::PerNeuron(is) => v.iter_mut().zip(is).zip(dt_over_c).for_each(|((x, &i), &k)| *x += k * i),
        }
    }
}

crate::simd_kernel! {
    /// The body of [`Current::add_to`], compiled per SIMD level (identical results).
    fn add_current(current: Current<'_>, v: &mut [f32], dt_over_c: f32) {
        match current {
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

    /// The fewest steps between two spikes of one neuron that the kind's dynamics allow on
    /// average under unbounded drive (1 without a refractory period), or `None` for sources,
    /// whose rate is set rather than driven. `run` warns when a population fires at half this
    /// limit or faster (issue 10 item 5: weights or currents that saturate it).
    fn min_interval_steps(&self) -> Option<u32>;

    /// True for a population of size zero.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Evolve phase (spec 0.2 step 1): integrate one dt and threshold-check, appending the indices
    /// of the neurons that spiked to `spikes`, in increasing order.
    fn step(&mut self, spikes: &mut Vec<u32>);

    /// Splits the population into parts of `chunk` neurons (the last one may be shorter), appended
    /// to `parts` in neuron order, so that a step can be shared between threads: stepping every
    /// part once, in any order and on any threads, each into its own spike list, and joining the
    /// lists in part order leaves the state and gives the spikes that [`step`](NeuronKind::step)
    /// would. Returns false, appending nothing, for a kind that steps as a whole (by default: for
    /// example when its random streams do not line up with the chunks).
    fn split<'a>(&'a mut self, chunk: usize, parts: &mut Vec<Part<'a>>) -> bool {
        let _ = (chunk, parts);
        false
    }

    /// The conductance vector (units of the compartment's leak conductance) that synapses with this
    /// compartment and receptor increment, or `None` when the kind has no such synapses (a Poisson
    /// source, a point neuron's dendrite).
    fn conductance_mut(&mut self, c: Compartment, r: Receptor) -> Option<&mut [f32]>;

    /// How the conductance of compartment `c` and receptor `r` acts on the membrane (for the mean
    /// field, which turns a mean conductance into a current), or `None` when there is none.
    fn synapse_model(&self, _c: Compartment, _r: Receptor) -> Option<SynapseModel> {
        None
    }

    /// True when currents can be injected into compartment `c`.
    fn accepts_current(&self, c: Compartment) -> bool;

    /// Device phase (spec 0.2 step 3): V += dt I / C on compartment `c`. A compartment for which
    /// [`accepts_current`](NeuronKind::accepts_current) is false (the builder rejects it) is ignored.
    fn inject(&mut self, c: Compartment, current: Current);

    /// The kind's recordable state variables, one per stored state vector (empty for sources).
    fn recordables(&self) -> &'static [Recordable];

    /// Saves or restores the recordable vectors, each under its name (written by `recordables!`).
    fn persist_recordables(&mut self, io: &mut crate::persist::StateIo);

    /// Saves or restores the kind's dynamic state (`run --save-state`, `--restore`): by default
    /// the recordable vectors, which are all of a kind's state vectors; kinds with other state
    /// (random streams, a cursor) add it.
    fn persist(&mut self, io: &mut crate::persist::StateIo) {
        self.persist_recordables(io);
    }

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

/// Consecutive neurons of a population, their state borrowed, that step on their own (made by
/// [`NeuronKind::split`]; `Send`, so that another thread can step them).
#[derive(Debug)]
pub enum Part<'a> {
    /// Of a [`Pyramidal`] population.
    Pyramidal(pyramidal::Part<'a>),
    /// Of an [`Adex`] population.
    Adex(adex::Part<'a>),
    /// Of a [`Lif`] population.
    Lif(lif::Part<'a>),
}

impl Part<'_> {
    /// Integrates these neurons one dt and threshold-checks, appending the (population) indices of
    /// those that spiked to `spikes`, in increasing order.
    pub fn step(&mut self, spikes: &mut Vec<u32>) {
        match self {
            Part::Pyramidal(p) => p.step(spikes),
            Part::Adex(p) => p.step(spikes),
            Part::Lif(p) => p.step(spikes),
        }
    }
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
    /// Spike trains replayed from a file (`kind = "spike_file"`).
    Replay(Replay),
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

    /// See [`NeuronKind::min_interval_steps`].
    pub fn min_interval_steps(&self) -> Option<u32> {
        self.kind().min_interval_steps()
    }

    /// The kind's name as written in model files.
    pub fn kind_name(&self) -> &'static str {
        self.kind().kind_name()
    }

    /// Evolve phase: integrate and threshold-check, appending spiking indices in increasing order.
    pub fn step(&mut self, spikes: &mut Vec<u32>) {
        self.kind_mut().step(spikes)
    }

    /// See [`NeuronKind::split`].
    pub fn split<'a>(&'a mut self, chunk: usize, parts: &mut Vec<Part<'a>>) -> bool {
        self.kind_mut().split(chunk, parts)
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

    /// How this compartment's conductance of receptor `r` acts ([`NeuronKind::synapse_model`]).
    pub fn synapse_model(&self, c: Compartment, r: Receptor) -> Option<SynapseModel> {
        self.kind().synapse_model(c, r)
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

    /// Saves or restores the neurons' dynamic state.
    pub fn persist(&mut self, io: &mut crate::persist::StateIo) {
        self.kind_mut().persist(io)
    }
}

#[cfg(test)]
mod tests {
    //! The trait and its tables, through [`Population`] (the path the engine and the monitors use):
    //! every table entry reads the vector it names, bit for bit.
    use super::adex::{AdexParams, ExpKind};
    use super::burst_poisson::{self, BurstTiming};
    use super::lif::{InitialConductances, LifParams};
    use super::pyramidal::{DendriticDrivingForce, PyramidalParams};
    use super::*;

    const DT: f64 = 0.1;

    /// Spread-out initial potentials, so that neurons differ.
    fn v_init(mean_mv: f64) -> InitialVoltage {
        InitialVoltage { mean_mv, sd_mv: 6.0, fixed_seed: false }
    }

    /// One population of each kind, `n` neurons each.
    fn all_kinds(n: usize) -> Vec<Population> {
        let df = DendriticDrivingForce::Soma;
        let g0 = InitialConductances { exc: (0.5, 0.2), inh: (1.0, 0.3) };
        vec![
            Population::Pyramidal(Pyramidal::new(n, PyramidalParams::default(), df, v_init(-60.0), DT, 3, 0)),
            Population::BurstPoisson(BurstPoisson::new(
                n,
                burst_poisson::default_params(),
                BurstTiming::default(),
                df,
                v_init(-60.0),
                DT,
                3,
                1,
            )),
            Population::Adex(Adex::new(n, AdexParams::pv(), ExpKind::Fast, v_init(-60.0), DT, 3, 2)),
            Population::Lif(Lif::new(n, LifParams::default(), v_init(-55.0), g0, DT, 3, 3)),
            Population::Poisson(Poisson::new(n, 200.0, DT, 3, 4)),
        ]
    }

    /// `steps` steps of synaptic kicks and strong currents (each neuron its own sizes), so that the
    /// neurons spike and every variable moves; returns the number of spikes.
    fn drive(pop: &mut Population, steps: usize) -> usize {
        let mut n_spikes = 0;
        for k in 0..steps {
            for (c, r) in [
                (Compartment::Soma, Receptor::Exc),
                (Compartment::Soma, Receptor::Inh),
                (Compartment::Dendrite, Receptor::Exc),
                (Compartment::Dendrite, Receptor::Inh),
            ] {
                if let Some(g) = pop.conductance_mut(c, r) {
                    g.iter_mut().enumerate().filter(|(i, _)| (i + k) % 3 == 0).for_each(|(i, g)| *g += 0.05 * i as f32);
                }
            }
            let mut spikes = vec![];
            pop.step(&mut spikes);
            n_spikes += spikes.len();
            let currents: Vec<f32> = (0..pop.len()).map(|i| 500.0 + 37.0 * i as f32).collect();
            for c in [Compartment::Soma, Compartment::Dendrite] {
                if pop.accepts_current(c) {
                    pop.inject(c, Current::PerNeuron(&currents));
                }
            }
        }
        n_spikes
    }

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    fn as_f32(v: &[u32]) -> Vec<f32> {
        v.iter().map(|&x| x as f32).collect()
    }

    /// The kind's table lists exactly `expect` (names, in order), and `sample` of each entry returns
    /// the expected vector bit for bit, for all neurons and for a repeating, unordered subset.
    fn assert_samples(pop: &Population, expect: &[(&str, Vec<f32>)]) {
        let names: Vec<_> = pop.recordables().iter().map(|r| r.name).collect();
        assert_eq!(names, expect.iter().map(|e| e.0).collect::<Vec<_>>(), "{}", pop.kind_name());
        let n = pop.len() as u32;
        let all: Vec<u32> = (0..n).collect();
        let subset = [n - 1, 0, 2, 2];
        for (name, values) in expect {
            let var = pop.recordable_index(name).unwrap();
            let mut out = vec![1.0]; // sample appends
            pop.sample(var, &all, &mut out);
            assert_eq!(bits(&out[1..]), bits(values), "{} {name}", pop.kind_name());
            out.clear();
            pop.sample(var, &subset, &mut out);
            let want: Vec<f32> = subset.iter().map(|&i| values[i as usize]).collect();
            assert_eq!(bits(&out), bits(&want), "{} {name} subset", pop.kind_name());
        }
    }

    #[test]
    fn recordable_tables_have_unique_identifier_names_and_units() {
        for pop in all_kinds(4) {
            let table = pop.recordables();
            for (k, r) in table.iter().enumerate() {
                let mut chars = r.name.chars();
                let first = chars.next().unwrap();
                assert!(first.is_ascii_alphabetic() || first == '_', "{}", r.name);
                assert!(chars.all(|c| c.is_ascii_alphanumeric() || c == '_'), "{}", r.name);
                assert!(!r.units.is_empty() && !r.what.is_empty(), "{}", r.name);
                assert!(table[..k].iter().all(|o| o.name != r.name), "{} twice in {}", r.name, pop.kind_name());
                assert_eq!(pop.recordable_index(r.name), Some(k));
                assert_eq!(pop.kind().state(k).bytes(), 4 * pop.len(), "{}: one 4-byte value per neuron", r.name);
            }
            assert_eq!(pop.recordable_index("no_such_variable"), None);
        }
        // The required variables and their units.
        let units = |pop: &Population, name: &str| pop.recordables()[pop.recordable_index(name).unwrap()].units;
        let [pyr, bp, adex, lif, poisson] = <[Population; 5]>::try_from(all_kinds(2)).unwrap();
        for pop in [&pyr, &bp] {
            for (name, u) in [("V_s", "mV"), ("V_d", "mV"), ("w_s", "1"), ("w_d", "mV"), ("threshold", "mV")] {
                assert_eq!(units(pop, name), u, "{} {name}", pop.kind_name());
            }
            for name in ["g_exc_soma", "g_inh_soma", "g_exc_dend", "g_inh_dend"] {
                assert_eq!(units(pop, name), "g_L");
            }
        }
        for pop in [&adex, &lif] {
            assert_eq!((units(pop, "V"), units(pop, "g_exc"), units(pop, "g_inh")), ("mV", "g_L", "g_L"));
        }
        assert_eq!(units(&adex, "w"), "mV", "stored as current / g_L");
        assert!(poisson.recordables().is_empty());
    }

    #[test]
    fn samples_are_the_state_vectors_of_each_kind() {
        for mut pop in all_kinds(7) {
            let n_spikes = drive(&mut pop, 200);
            assert!(n_spikes > 0, "{} must spike", pop.kind_name());
            let expect: Vec<(&str, Vec<f32>)> = match &pop {
                Population::Pyramidal(p) => vec![
                    ("V_s", p.v_s.clone()),
                    ("V_d", p.v_d.clone()),
                    ("w_s", p.w_s.clone()),
                    ("w_d", p.w_d.clone()),
                    ("threshold", p.thr.clone()),
                    ("bap_steps", as_f32(&p.bap)),
                    ("g_exc_soma", p.g.e_s.clone()),
                    ("g_inh_soma", p.g.i_s.clone()),
                    ("g_exc_dend", p.g.e_d.clone()),
                    ("g_inh_dend", p.g.i_d.clone()),
                ],
                Population::BurstPoisson(p) => vec![
                    ("V_s", p.v_s.clone()),
                    ("V_d", p.v_d.clone()),
                    ("w_s", p.w_s.clone()),
                    ("w_d", p.w_d.clone()),
                    ("threshold", p.thr.clone()),
                    ("refractory_steps", as_f32(&p.refractory)),
                    ("burst_countdown", as_f32(&p.burst)),
                    ("g_exc_soma", p.g.e_s.clone()),
                    ("g_inh_soma", p.g.i_s.clone()),
                    ("g_exc_dend", p.g.e_d.clone()),
                    ("g_inh_dend", p.g.i_d.clone()),
                ],
                Population::Adex(p) => vec![
                    ("V", p.v.clone()),
                    ("w", p.w.clone()),
                    ("refractory_steps", as_f32(&p.refractory)),
                    ("g_exc", p.g.e.clone()),
                    ("g_inh", p.g.i.clone()),
                ],
                Population::Lif(p) => vec![
                    ("V", p.v.clone()),
                    ("refractory_steps", as_f32(&p.refractory)),
                    ("g_exc", p.g.e.clone()),
                    ("g_inh", p.g.i.clone()),
                ],
                Population::Poisson(_) | Population::Replay(_) => vec![],
            };
            if let Some((_, v)) = expect.first() {
                assert!(v.windows(2).any(|w| w[0] != w[1]), "{}: neurons differ", pop.kind_name());
            }
            assert_samples(&pop, &expect);
        }
    }

    #[test]
    fn sampled_conductances_are_the_vectors_synapses_increment() {
        let targets = [
            (Compartment::Soma, Receptor::Exc, ["g_exc_soma", "g_exc"]),
            (Compartment::Soma, Receptor::Inh, ["g_inh_soma", "g_inh"]),
            (Compartment::Dendrite, Receptor::Exc, ["g_exc_dend", "g_exc_dend"]),
            (Compartment::Dendrite, Receptor::Inh, ["g_inh_dend", "g_inh_dend"]),
        ];
        for mut pop in all_kinds(5) {
            drive(&mut pop, 30);
            let two_compartments = pop.recordable_index("V_d").is_some();
            let all: Vec<u32> = (0..pop.len() as u32).collect();
            for (c, r, names) in targets {
                let name = names[if two_compartments { 0 } else { 1 }];
                let var = pop.recordable_index(name);
                let Some(g) = pop.conductance_mut(c, r).map(|g| g.to_vec()) else {
                    assert_eq!(var, None, "{}: {name} recordable without synapses", pop.kind_name());
                    continue;
                };
                let mut out = vec![];
                pop.sample(var.unwrap(), &all, &mut out);
                assert_eq!(bits(&out), bits(&g), "{} {name}", pop.kind_name());
                // The same storage: an increment through conductance_mut shows in the sample.
                pop.conductance_mut(c, r).unwrap()[1] += 1.0;
                out.clear();
                pop.sample(var.unwrap(), &[1], &mut out);
                assert_eq!(out, [g[1] + 1.0], "{} {name}", pop.kind_name());
            }
        }
    }

    #[test]
    fn pyramidal_v_s_sampled_after_a_spike_is_v_reset_exactly() {
        let mut p = Pyramidal::new(
            3,
            PyramidalParams::default(),
            DendriticDrivingForce::Soma,
            InitialVoltage::at(-70.0),
            DT,
            1,
            0,
        );
        p.v_s[1] = -40.0; // above the -50 mV threshold after one step; neurons 0 and 2 at rest
        let mut pop = Population::Pyramidal(p);
        let mut spikes = vec![];
        pop.step(&mut spikes);
        assert_eq!(spikes, [1]);
        let (v_s, thr) = (pop.recordable_index("V_s").unwrap(), pop.recordable_index("threshold").unwrap());
        let mut out = vec![];
        pop.sample(v_s, &[1, 0], &mut out);
        assert_eq!(out[0], -70.0, "V_reset, no refractory clamp");
        assert_eq!(out[0], PyramidalParams::default().v_reset_mv as f32);
        assert_ne!(out[1], -70.0, "the resting neuron drifts (sigmoid tail)");
        out.clear();
        pop.sample(thr, &[1, 2], &mut out);
        assert_eq!(out, [-48.0, -50.0], "theta + 2 mV for the spiking neuron only");
    }

    /// Sets neuron `i` of the first (`first`) or the last variable of the kind's table to `x`;
    /// returns that variable's name (`None` for a kind without state).
    fn poison(pop: &mut Population, first: bool, i: usize, x: f32) -> Option<&'static str> {
        let (head, tail) = match pop {
            Population::Pyramidal(p) => (("V_s", &mut p.v_s), ("g_inh_dend", &mut p.g.i_d)),
            Population::BurstPoisson(p) => (("V_s", &mut p.v_s), ("g_inh_dend", &mut p.g.i_d)),
            Population::Adex(p) => (("V", &mut p.v), ("g_inh", &mut p.g.i)),
            Population::Lif(p) => (("V", &mut p.v), ("g_inh", &mut p.g.i)),
            Population::Poisson(_) | Population::Replay(_) => return None,
        };
        let (name, v) = if first { head } else { tail };
        v[i] = x;
        Some(name)
    }

    #[test]
    fn first_non_finite_names_the_table_entry_in_table_order() {
        for mut pop in all_kinds(4) {
            drive(&mut pop, 10);
            assert_eq!(pop.first_non_finite(), None, "{}", pop.kind_name());
            let Some(last) = poison(&mut pop, false, 2, f32::NAN) else { continue };
            assert_eq!(pop.recordables().last().unwrap().name, last);
            let (i, name, value) = pop.first_non_finite().unwrap();
            assert_eq!((i, name), (2, last), "{}", pop.kind_name());
            assert!(value.is_nan());
            // A later neuron in an earlier variable is reported first.
            let first = poison(&mut pop, true, 3, f32::INFINITY).unwrap();
            assert_eq!(pop.recordables()[0].name, first);
            assert_eq!(pop.first_non_finite(), Some((3, first, f32::INFINITY)), "{}", pop.kind_name());
        }
    }

    #[test]
    fn state_bytes_count_the_real_vectors() {
        // Hand counts of the state vectors (all 4-byte values) per neuron, as before the table.
        let n = 5000;
        for pop in all_kinds(n) {
            let per_neuron = match &pop {
                Population::Pyramidal(_) => 10,
                Population::BurstPoisson(_) => 11,
                Population::Adex(_) => 5,
                Population::Lif(_) => 4,
                Population::Poisson(_) | Population::Replay(_) => 0,
            };
            let extra = match &pop {
                // Two random streams (5000 neurons, chunks of 4096) with their positions.
                Population::BurstPoisson(_) => 2 * std::mem::size_of::<crate::rng::Rng>(),
                Population::Poisson(p) => {
                    // two chunks of generator state, and the two 256-entry gap tables of a 200 Hz
                    // source (9 bytes an entry)
                    let tables = 2 * 256 * 9;
                    assert!(pop.state_bytes() > tables && pop.state_bytes() < tables + 1000, "{}", pop.state_bytes());
                    assert_eq!(p.rate_hz(), 200.0);
                    pop.state_bytes()
                }
                _ => 0,
            };
            assert_eq!(pop.state_bytes(), n * per_neuron * 4 + extra, "{}", pop.kind_name());
        }
    }

    #[test]
    fn population_forwards_to_its_kind() {
        let names: Vec<_> = all_kinds(3).iter().map(|p| p.kind_name()).collect();
        assert_eq!(names, ["pyramidal", "burst_poisson", "adex", "lif", "poisson"]);
        for pop in all_kinds(3) {
            assert_eq!((pop.len(), pop.is_empty()), (3, false));
            let two = matches!(pop, Population::Pyramidal(_) | Population::BurstPoisson(_));
            let source = matches!(pop, Population::Poisson(_));
            assert_eq!(pop.accepts_current(Compartment::Soma), !source, "{}", pop.kind_name());
            assert_eq!(pop.accepts_current(Compartment::Dendrite), two, "{}", pop.kind_name());
        }
    }

    #[test]
    fn point_neurons_ignore_a_dendritic_current() {
        for mut pop in all_kinds(3).into_iter().filter(|p| matches!(p, Population::Adex(_) | Population::Lif(_))) {
            let before = pop.clone();
            pop.inject(Compartment::Dendrite, Current::Uniform(1000.0));
            let (mut a, mut b) = (vec![], vec![]);
            pop.sample(0, &[0, 1, 2], &mut a);
            before.sample(0, &[0, 1, 2], &mut b);
            assert_eq!(a, b, "{}", pop.kind_name());
            pop.inject(Compartment::Soma, Current::Uniform(1000.0));
            a.clear();
            pop.sample(0, &[0], &mut a);
            assert!(a[0] > b[0], "{}", pop.kind_name());
        }
    }

    #[test]
    fn size_zero_populations() {
        for mut pop in all_kinds(0) {
            assert!(pop.is_empty());
            let mut spikes = vec![];
            pop.step(&mut spikes);
            pop.inject(Compartment::Soma, Current::Uniform(100.0));
            assert!(spikes.is_empty());
            assert_eq!((pop.first_non_finite(), pop.state_bytes()), (None, 0), "{}", pop.kind_name());
            let mut out = vec![];
            for var in 0..pop.recordables().len() {
                pop.sample(var, &[], &mut out);
            }
            assert!(out.is_empty());
        }
    }
}
