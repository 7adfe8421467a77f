//! burstsim: a clock-driven simulator for cortical circuits that learn with bursts.
#![warn(missing_docs)]

pub mod rate;

/// The crate version, written into every output file.
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
