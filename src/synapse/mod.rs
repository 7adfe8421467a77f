//! Synapses: projections between populations (sparse connectivity, delays, targets), short-term
//! plasticity and event/burst transmission filters.

pub mod projection;
pub mod stp;

pub use projection::{Connect, PostSpikes, Projection, ProjectionConfig, Transmit};
pub use stp::{Stp, StpIncrement, StpParams};

/// Default axonal delay of ordinary projections, ms (spec 0.3: MINDELAY = 8 steps).
pub const DEFAULT_DELAY_MS: f64 = 0.8;
