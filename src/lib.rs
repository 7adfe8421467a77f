//! burstsim: a clock-driven simulator for cortical circuits that learn with bursts.
//!
//! Module map (DESIGN.md): [`model`] reads and validates model files into an [`engine::Network`];
//! [`neuron`] holds the population kinds, [`synapse`] the projections, [`burst`] the event/burst
//! detector, [`stimulus`] the injected currents, [`engine`] the clock and the order of a step, and
//! [`record`] the HDF5 output ([`plot`] draws it); [`meanfield`] is the population limit (transfer
//! functions, the mean field of a model) and [`rate`] the rate-level BurstCCN.
#![warn(missing_docs)]

pub mod bench;
pub mod burst;
pub mod engine;
pub mod fastmath;
pub mod meanfield;
pub mod memory;
pub mod model;
pub mod names;
pub mod neuron;
pub mod persist;
pub mod plasticity;
pub mod plot;
pub mod rate;
pub mod record;
pub mod resume;
pub mod rng;
pub mod run;
pub mod series;
pub mod stimulus;
pub mod synapse;

/// Index of a population in a network (file order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PopulationId(pub u32);

/// The crate version, written into every output file.
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
