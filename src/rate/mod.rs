//! The rate-level BurstCCN: the population limit of the spiking circuit, trained on MNIST.
//!
//! Follows the project's spec `burstccn-rate.md`: the discrete mini-batch BurstCCN ([`burstccn`]),
//! with backprop and feedback alignment computed in the same pass ([`reference`]), the burstprop
//! baseline ([`burstprop`]), the continuous-time single-phase version ([`continuous`]), an IDX
//! reader for MNIST ([`idx`]), TOML configs ([`config`]), the training loop ([`trainer`]), HDF5
//! checkpoints ([`checkpoint`]), per-step traces of the continuous model ([`trace_file`]) and the
//! command-line entry points ([`cli`]).

pub mod burstccn;
pub mod burstprop;
pub mod checkpoint;
pub mod cli;
pub mod config;
pub mod continuous;
pub mod error;
pub mod estimate;
pub mod idx;
pub mod learner;
pub mod linalg;
pub mod network;
pub mod optim;
pub mod reference;
pub mod trace_file;
pub mod trainer;

pub use error::RateError;
