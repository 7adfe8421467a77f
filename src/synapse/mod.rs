//! Synapses: projections between populations (sparse connectivity, delays, targets), short-term
//! plasticity and event/burst transmission filters.

pub mod projection;
pub mod stp;

pub use projection::{Connect, PostSpikes, Projection, ProjectionConfig, Transmit};
pub use stp::{Stp, StpIncrement, StpParams};
