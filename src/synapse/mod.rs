//! Synapses: projections between populations, assembled from independent parts — connectivity,
//! transmission filters (all / events / bursts), short-term plasticity (Tsodyks-Markram), weights
//! (per projection or per synapse) and, from [`crate::plasticity`], a learning rule.

pub mod connectivity;
pub mod projection;
pub mod stp;
pub mod transmission;
pub mod weights;

pub use connectivity::{Connect, Csr};
pub use projection::{CombinationError, Projection, ProjectionConfig, SynapseValues};
pub use stp::{Stp, StpIncrement, StpParams};
pub use transmission::{Transmission, Transmit};
pub use weights::Weights;

/// Default axonal delay of ordinary projections, ms (spec 0.3: MINDELAY = 8 steps of 0.1 ms).
pub const DEFAULT_DELAY_MS: f64 = 0.8;
