//! Delay buffers: the spikes of the last D steps of one population, in a ring (Auryn's delayed
//! spike queue, spec 0.3). A projection with delay d reads the list written d steps ago.

/// Ring of per-step spike lists.
#[derive(Clone, Debug)]
pub struct SpikeHistory {
    slots: Vec<Vec<u32>>,
}

impl SpikeHistory {
    /// Keeps the spikes of the current step and the `max_delay` steps before it.
    pub fn new(max_delay: u32) -> Self {
        SpikeHistory { slots: vec![Vec::new(); max_delay as usize + 1] }
    }

    /// The (cleared) list for `step`, to be filled by the population's integration.
    pub fn begin(&mut self, step: u64) -> &mut Vec<u32> {
        let n = self.slots.len() as u64;
        let s = &mut self.slots[(step % n) as usize];
        s.clear();
        s
    }

    /// Spikes emitted at `step`.
    pub fn at(&self, step: u64) -> &[u32] {
        &self.slots[(step % self.slots.len() as u64) as usize]
    }

    /// Spikes emitted `delay` steps before `step` (empty before the start of the run).
    pub fn delayed(&self, step: u64, delay: u32) -> &[u32] {
        debug_assert!((delay as usize) < self.slots.len());
        match step.checked_sub(delay as u64) {
            Some(s) => self.at(s),
            None => &[],
        }
    }

    /// Saves or restores the ring's lists (the spikes that delayed projections still have to read).
    pub fn persist(&mut self, io: &mut crate::persist::StateIo) {
        io.lists("spikes", &mut self.slots);
    }

    /// Bytes held (capacity of all slots).
    pub fn bytes(&self) -> usize {
        self.slots.iter().map(|s| s.capacity() * 4).sum::<usize>() + self.slots.len() * 24
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delayed_lists_come_back_after_exactly_d_steps() {
        let mut h = SpikeHistory::new(8);
        for step in 0..20u64 {
            h.begin(step).push(step as u32);
            assert_eq!(h.delayed(step, 0), &[step as u32]);
            if step >= 8 {
                assert_eq!(h.delayed(step, 8), &[(step - 8) as u32]);
            } else {
                assert!(h.delayed(step, 8).is_empty());
            }
        }
    }
}
