//! What a neuron kind can record: its table of state variables ([`Recordable`], declared with
//! `recordables!` in each kind) and borrowed views of the stored vectors ([`StateVector`]), read by
//! state monitors, the finite-state guard and the memory accounting.

use super::NeuronKind;

/// One recordable state variable of a neuron kind: an entry of the kind's static table
/// ([`NeuronKind::recordables`]), the single source of the names used by state monitors, HDF5
/// datasets (`/state/<population>/<name>`), the finite-state guard and the docs (STYLE.md 15).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recordable {
    /// Variable name, an identifier usable as an HDF5 dataset name (`V_s`, `g_exc_soma`).
    pub name: &'static str,
    /// Units of the stored value (`mV`, `pA`, `g_L` for conductances in units of the compartment's
    /// leak conductance, `steps` for countdowns, `1` for dimensionless).
    pub units: &'static str,
    /// One-line description.
    pub what: &'static str,
}

/// A borrowed state vector, as the kind stores it; one value per neuron.
#[derive(Clone, Copy, Debug)]
pub enum StateVector<'a> {
    /// Continuous state (potentials, adaptation, conductances).
    F32(&'a [f32]),
    /// Integer state (countdowns in steps).
    U32(&'a [u32]),
}

impl StateVector<'_> {
    /// The value of neuron `i`, integer state converted to f32 (exact below 2^24).
    #[inline]
    pub fn get(&self, i: usize) -> f32 {
        match self {
            StateVector::F32(v) => v[i],
            StateVector::U32(v) => v[i] as f32,
        }
    }

    /// Bytes held by the vector's values.
    pub fn bytes(&self) -> usize {
        match self {
            StateVector::F32(v) => std::mem::size_of_val(*v),
            StateVector::U32(v) => std::mem::size_of_val(*v),
        }
    }
}

impl<'a> From<&'a [f32]> for StateVector<'a> {
    fn from(v: &'a [f32]) -> Self {
        StateVector::F32(v)
    }
}

impl<'a> From<&'a [u32]> for StateVector<'a> {
    fn from(v: &'a [u32]) -> Self {
        StateVector::U32(v)
    }
}

/// Bytes held by the recordable state vectors of `kind`.
pub fn recordable_bytes<K: NeuronKind + ?Sized>(kind: &K) -> usize {
    (0..kind.recordables().len()).map(|var| kind.state(var).bytes()).sum()
}
