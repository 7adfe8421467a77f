//! Which presynaptic spikes a projection transmits (spec 4.5) and the presynaptic detector that
//! decides it.
//!
//! The reference's filtering and plastic connections classify each presynaptic spike with a
//! detector of their own (spec 2.1), armed at the start, whose trace is fed the spikes of
//! `trace_delay` steps ago (0.8 ms in the reference, so its event threshold is 16.8 ms, P7). A
//! projection has such a detector when it filters (events / bursts) or is plastic (its rule is
//! gated by presynaptic *events*, whatever it transmits).

use crate::burst::{BurstDetector, BurstRule, SpikeClass, BURST_TAU_MS};

/// Which presynaptic spikes a projection transmits (spec 4.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Transmit {
    /// Every spike.
    #[default]
    All,
    /// Only events (isolated spikes and the first spike of each burst): `TransmitEvent`.
    Events,
    /// Only the second spike of each burst: `TransmitBurst`.
    Bursts,
}

impl Transmit {
    /// The name used in model files.
    pub fn name(self) -> &'static str {
        match self {
            Transmit::All => "all",
            Transmit::Events => "events",
            Transmit::Bursts => "bursts",
        }
    }
}

/// The transmission part of a projection: the filter and, when needed, its presynaptic detector.
#[derive(Clone, Debug)]
pub struct Transmission {
    mode: Transmit,
    /// The projection's own presynaptic detector (starts armed, as the reference's connections).
    detector: Option<BurstDetector>,
    /// Delay of the spikes feeding the detector's trace, steps.
    trace_delay: u32,
}

/// What the transmission part makes of one presynaptic spike.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Selected {
    /// The spike reaches the synapses.
    pub transmitted: bool,
    /// The spike is a presynaptic event (for plasticity).
    pub event: bool,
}

impl Transmission {
    /// The projection's own presynaptic detector, if it has one (for saving its state).
    pub fn detector_mut(&mut self) -> Option<&mut BurstDetector> {
        self.detector.as_mut()
    }

    /// The part for `n_pre` presynaptic neurons; `classify` asks for a detector even when every
    /// spike is transmitted (plastic projections need presynaptic events).
    pub fn new(mode: Transmit, classify: bool, n_pre: usize, trace_delay: u32, dt_ms: f64) -> Self {
        let detector = (classify || mode != Transmit::All)
            .then(|| BurstDetector::new(n_pre, BURST_TAU_MS, dt_ms, BurstRule::Trace).armed_at_start());
        Transmission { mode, detector, trace_delay }
    }

    /// The filter.
    pub fn mode(&self) -> Transmit {
        self.mode
    }

    /// True when spikes are classified (a filter or plasticity): they then go through the
    /// projection's queue instead of the source's delay buffer.
    pub fn classifies(&self) -> bool {
        self.detector.is_some()
    }

    /// Delay of the detector's trace feed, steps.
    pub fn trace_delay(&self) -> u32 {
        self.trace_delay
    }

    /// Classifies a spike of presynaptic neuron `i` at `step` (must run in emission order, before
    /// [`Transmission::relax`] of the same step).
    #[inline]
    pub fn select(&mut self, step: u64, i: u32) -> Selected {
        let class = match &mut self.detector {
            Some(det) => det.classify_one(step, i as usize),
            None => return Selected { transmitted: true, event: false },
        };
        let transmitted = match self.mode {
            Transmit::All => true,
            Transmit::Events => class == SpikeClass::Event,
            Transmit::Bursts => class == SpikeClass::Burst,
        };
        Selected { transmitted, event: class == SpikeClass::Event }
    }

    /// Relax phase: the detector's trace takes `fed` (the source's spikes of `trace_delay` steps
    /// ago), then decays.
    pub fn relax(&mut self, fed: &[u32]) {
        if let Some(det) = &mut self.detector {
            det.relax(fed);
        }
    }

    /// Bytes of state.
    pub fn bytes(&self) -> usize {
        self.detector.as_ref().map_or(0, |d| d.bytes())
    }
}
