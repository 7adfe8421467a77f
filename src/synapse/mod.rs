//! Synapses: projections between populations (sparse connectivity, delays, targets).

pub mod projection;

pub use projection::{Connect, Projection};
