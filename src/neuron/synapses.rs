//! The synaptic conductance vectors of the neuron kinds: one per compartment and receptor, in
//! units of the compartment's leak conductance, which delivery increments and each kind's step
//! decays.

use super::{Compartment, Receptor};

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
    /// Test input for the SIMD-level comparisons of the two-compartment kinds: adds to every
    /// neuron's four conductances a deterministic spread of values (kick `k`), up to `e_d_max` for
    /// the dendritic AMPA one and 0.6 / 0.2 / 0.2 for the others.
    #[cfg(test)]
    pub(crate) fn kick_for_tests(&mut self, k: u64, e_d_max: f32) {
        use crate::fastmath::level_tests::spread;
        for i in 0..self.e_s.len() {
            self.e_s[i] += spread(i, 10 + k, 0.0, 0.6);
            self.e_d[i] += spread(i, 20 + k, 0.0, e_d_max);
            self.i_s[i] += spread(i, 30 + k, 0.0, 0.2);
            self.i_d[i] += spread(i, 40 + k, 0.0, 0.2);
        }
    }
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
