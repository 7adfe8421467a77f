//! Population kinds. Each kind owns its state as structure of arrays and exposes one `step`; nothing
//! else knows its equations. Adding a kind: its file, one variant of [`Population`], one arm in each
//! match below, and one arm in `model::build`.

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

/// The first non-finite value among named state vectors, as (neuron, variable, value).
pub fn first_non_finite(vars: &[(&'static str, &[f32])]) -> Option<(usize, &'static str, f32)> {
    vars.iter().find_map(|&(name, v)| v.iter().position(|x| !x.is_finite()).map(|i| (i, name, v[i])))
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

/// A population of one kind.
// A network holds a handful of populations, so the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Population {
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

impl Population {
    /// Number of neurons (or sources).
    pub fn len(&self) -> usize {
        match self {
            Population::Pyramidal(p) => p.len(),
            Population::BurstPoisson(p) => p.len(),
            Population::Adex(p) => p.len(),
            Population::Lif(p) => p.len(),
            Population::Poisson(p) => p.len(),
        }
    }

    /// True for a population of size zero.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The kind's name as written in model files.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Population::Pyramidal(_) => "pyramidal",
            Population::BurstPoisson(_) => "burst_poisson",
            Population::Adex(_) => "adex",
            Population::Lif(_) => "lif",
            Population::Poisson(_) => "poisson",
        }
    }

    /// Evolve phase: integrate and threshold-check, appending spiking indices in increasing order.
    pub fn step(&mut self, spikes: &mut Vec<u32>) {
        match self {
            Population::Pyramidal(p) => p.step(spikes),
            Population::BurstPoisson(p) => p.step(spikes),
            Population::Adex(p) => p.step(spikes),
            Population::Lif(p) => p.step(spikes),
            Population::Poisson(p) => p.step(spikes),
        }
    }

    /// The conductance vector that synapses with this compartment and receptor increment, or
    /// `None` when the kind has no such synapses (a Poisson source, a point neuron's dendrite).
    pub fn conductance_mut(&mut self, c: Compartment, r: Receptor) -> Option<&mut [f32]> {
        match self {
            Population::Pyramidal(p) => Some(p.g.get_mut(c, r)),
            Population::BurstPoisson(p) => Some(p.g.get_mut(c, r)),
            Population::Adex(p) => p.g.get_mut(c, r),
            Population::Lif(p) => p.g.get_mut(c, r),
            Population::Poisson(_) => None,
        }
    }

    /// True when currents can be injected into compartment `c`.
    pub fn accepts_current(&self, c: Compartment) -> bool {
        match self {
            Population::Pyramidal(_) | Population::BurstPoisson(_) => true,
            Population::Adex(_) | Population::Lif(_) => c == Compartment::Soma,
            Population::Poisson(_) => false,
        }
    }

    /// Device phase: inject `current` into compartment `c` (V += dt I / C; the builder checked
    /// that the kind has that compartment).
    pub fn inject(&mut self, c: Compartment, current: Current) {
        match self {
            Population::Pyramidal(p) => p.inject(c, current),
            Population::BurstPoisson(p) => p.inject(c, current),
            Population::Adex(p) => p.inject(current),
            Population::Lif(p) => p.inject(current),
            Population::Poisson(_) => {}
        }
    }

    /// The first non-finite state variable, as (neuron, variable, value).
    pub fn first_non_finite(&self) -> Option<(usize, &'static str, f32)> {
        match self {
            Population::Pyramidal(p) => p.first_non_finite(),
            Population::BurstPoisson(p) => p.first_non_finite(),
            Population::Adex(p) => p.first_non_finite(),
            Population::Lif(p) => p.first_non_finite(),
            Population::Poisson(_) => None,
        }
    }

    /// Bytes of per-neuron state (for `burstsim check`).
    pub fn state_bytes(&self) -> usize {
        match self {
            Population::Pyramidal(p) => p.len() * 10 * 4,
            Population::BurstPoisson(p) => p.len() * 11 * 4,
            Population::Adex(p) => p.len() * 5 * 4,
            Population::Lif(p) => p.len() * 4 * 4,
            Population::Poisson(p) => p.chunk_bytes(),
        }
    }
}
