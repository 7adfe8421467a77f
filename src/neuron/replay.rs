//! Replayed spike trains (`kind = "spike_file"`): a source population that emits, at each step,
//! the spikes a file lists for it (read and rounded to steps by the stimulus module's spike lists), so
//! that recorded or hand-made trains can drive projections like any other population.

use super::{Compartment, Current, NeuronKind, Receptor};

/// A population of `n` sources replaying a fixed list of (step, id) spikes.
#[derive(Clone, Debug)]
pub struct Replay {
    n: usize,
    /// (step, id), sorted, at most one per id and step.
    spikes: Vec<(u64, u32)>,
    /// Index of the first spike not yet emitted.
    next: usize,
    /// The step the next call to `step` integrates.
    step: u64,
}

impl Replay {
    /// `n` sources emitting `spikes` ((step, id), sorted by step then id, ids below `n`).
    pub fn new(n: usize, spikes: Vec<(u64, u32)>) -> Self {
        debug_assert!(spikes.windows(2).all(|w| w[0] < w[1]) && spikes.iter().all(|s| (s.1 as usize) < n));
        Replay { n, spikes, next: 0, step: 0 }
    }

    /// Number of spikes in the list (all of them, also those after the end of a run).
    pub fn n_spikes(&self) -> usize {
        self.spikes.len()
    }
}

impl NeuronKind for Replay {
    fn kind_name(&self) -> &'static str {
        "spike_file"
    }

    fn len(&self) -> usize {
        self.n
    }

    fn min_interval_steps(&self) -> Option<u32> {
        None
    }

    /// Evolve phase: the listed spikes of this step, in increasing id order.
    fn step(&mut self, spikes: &mut Vec<u32>) {
        while let Some(&(s, id)) = self.spikes.get(self.next) {
            if s != self.step {
                break;
            }
            spikes.push(id);
            self.next += 1;
        }
        self.step += 1;
    }

    /// A replayed train has no synapses.
    fn conductance_mut(&mut self, _c: Compartment, _r: Receptor) -> Option<&mut [f32]> {
        None
    }

    /// A replayed train takes no current.
    fn accepts_current(&self, _c: Compartment) -> bool {
        false
    }

    fn inject(&mut self, _c: Compartment, _current: Current) {}

    recordables! {}

    /// The cursor into the list (the list itself comes from the file).
    fn persist(&mut self, io: &mut crate::persist::StateIo) {
        io.index("next", &mut self.next);
        io.value("step", &mut self.step);
    }

    /// Bytes of the spike list.
    fn state_bytes(&self) -> usize {
        std::mem::size_of_val(&self.spikes[..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emits_each_spike_at_its_step() {
        let mut r = Replay::new(3, vec![(0, 1), (2, 0), (2, 2), (5, 1)]);
        let mut got = Vec::new();
        for _ in 0..7 {
            let mut s = Vec::new();
            r.step(&mut s);
            got.push(s);
        }
        assert_eq!(got, vec![vec![1], vec![], vec![0, 2], vec![], vec![], vec![1], vec![]]);
    }
}
