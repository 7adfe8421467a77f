//! Recording: the HDF5 writer ([`hdf5`]: SONATA spikes plus events, bursts and binned rates) and the
//! reader behind `burstsim inspect` ([`inspect`]).

pub mod hdf5;
pub mod inspect;

pub use self::hdf5::{H5Recorder, RecordError};
