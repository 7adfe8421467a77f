//! The spike state of one population: its delay buffer and this step's classified spikes. Kept
//! apart from the neurons' state, so that delivery can write a target's conductances while it
//! reads every source's spikes, with plain borrows.

use super::history::SpikeHistory;
use crate::burst::BurstDetector;

/// Spikes of one population: recent steps, and this step's events and bursts.
#[derive(Clone, Debug)]
pub struct SpikeState {
    history: SpikeHistory,
    /// Event/burst detector (spiking neurons only; not for Poisson sources).
    detector: Option<BurstDetector>,
    events: Vec<u32>,
    bursts: Vec<u32>,
    burst_onsets: Vec<u64>,
}

impl SpikeState {
    /// A population's spike state keeping `depth` steps of history.
    pub(super) fn new(detector: Option<BurstDetector>, depth: u32) -> Self {
        SpikeState {
            history: SpikeHistory::new(depth),
            detector,
            events: Vec::new(),
            bursts: Vec::new(),
            burst_onsets: Vec::new(),
        }
    }

    /// Saves or restores the history, the detector and this step's classification.
    pub(super) fn persist(&mut self, io: &mut crate::persist::StateIo) {
        self.history.persist(io);
        io.vec("events", &mut self.events);
        io.vec("bursts", &mut self.bursts);
        io.vec("burst_onsets", &mut self.burst_onsets);
        let mut has = self.detector.is_some();
        io.flag("has_detector", &mut has);
        match &mut self.detector {
            Some(d) if has => io.scope("detector", |io| d.persist(io)),
            None if !has => {}
            _ => io.problem("has_detector", "the saved population and the model's differ in having a burst detector"),
        }
    }

    /// The (cleared) spike list of `step`, for the population's integration.
    pub(super) fn begin(&mut self, step: u64) -> &mut Vec<u32> {
        self.history.begin(step)
    }

    /// Classifies this step's spikes (integrate phase, after the population's step and before
    /// the detector's trace takes them in relax).
    pub(super) fn classify(&mut self, step: u64) {
        self.events.clear();
        self.bursts.clear();
        self.burst_onsets.clear();
        if let Some(det) = &mut self.detector {
            det.classify(step, self.history.at(step), &mut self.events, &mut self.bursts, &mut self.burst_onsets);
        }
    }

    /// Relax phase: the detector's trace takes the spikes of `step`, then decays.
    pub(super) fn relax(&mut self, step: u64) {
        if let Some(det) = &mut self.detector {
            det.relax(self.history.at(step));
        }
    }

    /// Spikes emitted at `step` (within the history's depth).
    pub fn at(&self, step: u64) -> &[u32] {
        self.history.at(step)
    }

    /// Spikes emitted `delay` steps before `step` (empty before the start).
    pub fn delayed(&self, step: u64, delay: u32) -> &[u32] {
        self.history.delayed(step, delay)
    }

    /// Events detected this step (neuron indices).
    pub fn events(&self) -> &[u32] {
        &self.events
    }

    /// Bursts detected this step (neuron indices; the burst's second spike).
    pub fn bursts(&self) -> &[u32] {
        &self.bursts
    }

    /// Onset step (the step of the event that began it) of each burst in [`SpikeState::bursts`].
    pub fn burst_onsets(&self) -> &[u64] {
        &self.burst_onsets
    }

    /// The detector's event/burst rule (`None` for Poisson sources).
    pub fn burst_rule(&self) -> Option<crate::burst::BurstRule> {
        self.detector.as_ref().map(|d| d.rule())
    }

    /// True for populations whose spikes are classified (not Poisson sources).
    pub fn has_detector(&self) -> bool {
        self.detector.is_some()
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.history.bytes() + self.detector.as_ref().map_or(0, |d| d.bytes())
    }
}
