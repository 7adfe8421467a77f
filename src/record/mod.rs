//! Recording: the HDF5 writer ([`hdf5`]: SONATA spikes plus events, bursts and binned rates) and the
//! reader behind `burstsim inspect` ([`inspect`]); state monitors write `/state` (`state`).

pub mod destination;
pub mod hdf5;
pub mod inspect;
mod state;

pub use self::destination::{Destination, DestinationError};
pub use self::hdf5::{H5Recorder, RecordError};
