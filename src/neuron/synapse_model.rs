//! How a compartment's conductance acts on its membrane, for code outside the kinds that turns
//! a mean conductance into a current (the mean field, `meanfield::solve`).

use super::{Compartment, Receptor};

/// A conductance synapse as the membrane sees it: I = g_L g (E - V_drive), with g (units of g_L)
/// decaying with tau (spec 0.4).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SynapseModel {
    /// Leak conductance of the target compartment, nS (what weights are in units of).
    pub g_leak_ns: f64,
    /// Decay time constant of the conductance, ms.
    pub tau_ms: f64,
    /// Reversal potential, mV.
    pub e_rev_mv: f64,
    /// The compartment whose potential sets the driving force (the soma for dendritic synapses
    /// of pyramidal kinds by default, P1).
    pub drive: Compartment,
}

impl SynapseModel {
    /// The synapse of a compartment with leak conductance `g_leak_ns` and the receptor's tau and
    /// reversal from (AMPA, GABA) pairs.
    pub fn of(g_leak_ns: f64, r: Receptor, ampa: (f64, f64), gaba: (f64, f64), drive: Compartment) -> Self {
        let (tau_ms, e_rev_mv) = match r {
            Receptor::Exc => ampa,
            Receptor::Inh => gaba,
        };
        SynapseModel { g_leak_ns, tau_ms, e_rev_mv, drive }
    }
}
