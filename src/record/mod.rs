//! Recording: the HDF5 writer ([`hdf5`]: SONATA spikes plus events, bursts and binned rates) and the
//! reader behind `burstsim inspect` ([`inspect`]); state monitors write `/state` (`state`), the
//! example log of a `[protocol]` writes `/protocol` (`examples`).

pub mod destination;
mod examples;
pub mod hdf5;
pub mod inspect;
pub mod provenance;
mod state;
pub mod state_file;

pub use self::destination::{Destination, DestinationError};
pub use self::hdf5::{H5Recorder, RecordError};
pub use self::provenance::Invocation;
