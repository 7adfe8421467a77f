//! The population limit (issue 13; spec 8, burstccn-rate.md 1-2): the rate model that a spiking
//! circuit's populations converge to as they grow, built from measured pieces.
//!
//! * [`transfer`]: ER, BR and BP of one population against constant somatic and dendritic
//!   currents under its model's background (`burstsim transfer`), and [`fit`] the rate model's
//!   functions to them;
//! * [`efficacy`]: what depressing and facilitating synapses transmit per presynaptic neuron as
//!   a function of ER and BP;
//! * [`solve`]: the stationary ER and BP of every population of a model and the drift of every
//!   plastic projection, from those pieces and the wiring, without simulating spikes
//!   (`burstsim meanfield`);
//! * [`learn`]: a `[protocol]`'s training run in the mean field (`burstsim meanfield --learn`);
//! * [`table_io`]: the transfer table in HDF5, and the spiking run's values read back for
//!   comparison.

pub mod cli;
pub mod efficacy;
pub mod fit;
pub mod learn;
pub mod solve;
pub mod table_io;
pub mod transfer;

pub use transfer::{SweepSpec, TransferTable};

/// Occurs when a sweep or a mean-field solution cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum MeanfieldError {
    /// The model file is invalid.
    #[error(transparent)]
    Model(Box<crate::model::ModelError>),
    /// The sweep cannot be built from this model.
    #[error("{file}: {what}")]
    Sweep {
        /// Model file.
        file: String,
        /// What is wrong.
        what: String,
    },
    /// A file cannot be read or written.
    #[error("{file}: {what}")]
    File {
        /// The file.
        file: String,
        /// What failed.
        what: String,
    },
    /// The output path would lose data.
    #[error(transparent)]
    Destination(#[from] crate::record::DestinationError),
    /// The model has something the mean field does not describe.
    #[error("{file}: {what}")]
    Unsupported {
        /// Model file.
        file: String,
        /// What.
        what: String,
    },
}

impl From<crate::model::ModelError> for MeanfieldError {
    fn from(e: crate::model::ModelError) -> Self {
        MeanfieldError::Model(Box::new(e))
    }
}
