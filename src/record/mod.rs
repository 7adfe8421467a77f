//! Recording: the HDF5 writer ([`hdf5`]: SONATA spikes plus events, bursts and binned rates) and the
//! reader behind `burstsim inspect` ([`inspect`]); state monitors write `/state` (`state`).

pub mod destination;
pub mod hdf5;
pub mod inspect;
mod state;

pub use self::destination::{Destination, DestinationError};
pub use self::hdf5::{H5Recorder, RecordError};
/// Values per block of a state monitor (for the memory estimate).
pub(crate) use self::state::BLOCK_VALUES as STATE_BLOCK_VALUES;
