//! The online event/burst detector (spec section 2.1), one per recorded or plastic population.
//!
//! Each neuron keeps a cumulative spike trace `x` with tau_b = 16 ms: `x` jumps by 1 per spike and is
//! multiplied by exp(-dt/tau_b) every step. When the neuron spikes, `x` is read *before* this spike is
//! added:
//! * `x < e^-1`: the spike is an **event** (an isolated spike or the first spike of a burst); the
//!   neuron is armed;
//! * otherwise, if `x > e^-1` and the neuron is armed: the spike is the second spike of a **burst**;
//!   one burst is counted and the neuron is disarmed. Later spikes of the same burst count as nothing.
//!
//! For a single earlier spike, `x < e^-1` exactly when it was more than 16 ms ago. With several recent
//! spikes the exponentials add up, so a spike can be neither (spec P10). The monitor semantics of the
//! reference (`BurstRateMonitor`) are used: neurons start disarmed.
//!
//! Timing (spec 0.2): spikes of step n are classified in step n against a trace holding the spikes of
//! steps < n; the trace takes step n's spikes in the relax phase ([`BurstDetector::relax`]).

use crate::fastmath::Simd;
use crate::simd_kernel;

/// Time constant tau_b of the event/burst detector, ms (spec 2.1).
pub const BURST_TAU_MS: f64 = 16.0;

/// What a spike was, according to the detector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpikeClass {
    /// First spike after at least tau_b of quiet.
    Event,
    /// Second spike of a burst.
    Burst,
    /// Third or later spike of a burst, or a spike the cumulative trace cannot call an event.
    Other,
}

/// Which rule decides events and bursts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum BurstRule {
    /// The reference's cumulative 16 ms trace (spec 2.1). Default.
    #[default]
    Trace,
    /// The offline ISI rule of the reference's Python analysis (spec 2.4): a spike more than tau_b
    /// after the previous one (or the first spike) is an event; the next spike within tau_b of it a
    /// burst.
    Isi,
}

/// Per-neuron event/burst detector (structure of arrays).
#[derive(Clone, Debug)]
pub struct BurstDetector {
    rule: BurstRule,
    /// Cumulative spike trace x (dimensionless), used by [`BurstRule::Trace`].
    trace: Vec<f32>,
    /// Step of the previous spike, used by [`BurstRule::Isi`] (`u64::MAX` = none yet).
    last_spike: Vec<u64>,
    /// Step of the last event of each neuron (the onset of a burst it starts).
    event_step: Vec<u64>,
    /// Armed flag: the last event has not been followed by a burst yet.
    armed: Vec<bool>,
    /// exp(-dt / tau_b).
    decay: f32,
    /// tau_b in steps (ISI rule: an ISI of more than this many steps makes an event).
    tau_steps: f64,
    threshold: f32,
}

impl BurstDetector {
    /// A detector for `n` neurons with time constant `tau_b_ms` (16 ms in the reference).
    pub fn new(n: usize, tau_b_ms: f64, dt_ms: f64, rule: BurstRule) -> Self {
        BurstDetector {
            rule,
            trace: vec![0.0; n],
            last_spike: vec![u64::MAX; n],
            armed: vec![false; n],
            event_step: vec![0; n],
            decay: (-dt_ms / tau_b_ms).exp() as f32,
            tau_steps: tau_b_ms / dt_ms,
            threshold: (-1.0f64).exp() as f32,
        }
    }

    /// Saves or restores the trace, the last spike and event steps and the armed flags.
    pub fn persist(&mut self, io: &mut crate::persist::StateIo) {
        io.slice("trace", &mut self.trace);
        io.slice("last_spike", &mut self.last_spike);
        io.slice("event_step", &mut self.event_step);
        io.flags("armed", &mut self.armed);
    }

    /// Starts every neuron armed, as the reference's filtering and plastic connections do (they
    /// store 0 = armed initially, spec 2.1); the monitor starts disarmed.
    pub fn armed_at_start(mut self) -> Self {
        self.armed.iter_mut().for_each(|a| *a = true);
        self
    }

    /// Classifies the spikes of this step (neuron indices, any order) and appends the neuron
    /// indices of events and bursts to `events` and `bursts`, and the onset step of each burst (the
    /// step of the event that began it) to `burst_onsets`. Must run after the populations'
    /// integration of step `step` and before [`BurstDetector::relax`] of the same step.
    pub fn classify(
        &mut self,
        step: u64,
        spikes: &[u32],
        events: &mut Vec<u32>,
        bursts: &mut Vec<u32>,
        burst_onsets: &mut Vec<u64>,
    ) {
        for &i in spikes {
            match self.classify_one(step, i as usize) {
                SpikeClass::Event => events.push(i),
                SpikeClass::Burst => {
                    bursts.push(i);
                    burst_onsets.push(self.event_step[i as usize]);
                }
                SpikeClass::Other => {}
            }
        }
    }

    /// Bytes of state.
    pub fn bytes(&self) -> usize {
        self.trace.len() * (4 + 8 + 8 + 1)
    }

    /// The rule that decides events and bursts.
    pub fn rule(&self) -> BurstRule {
        self.rule
    }

    /// Classifies one spike of neuron `i` at `step` (see the module documentation).
    pub fn classify_one(&mut self, step: u64, i: usize) -> SpikeClass {
        let quiet = match self.rule {
            BurstRule::Trace => {
                let x = self.trace[i];
                if x < self.threshold {
                    Some(true)
                } else if x > self.threshold {
                    Some(false)
                } else {
                    None
                }
            }
            BurstRule::Isi => {
                let last = self.last_spike[i];
                self.last_spike[i] = step;
                Some(last == u64::MAX || (step - last) as f64 > self.tau_steps)
            }
        };
        match quiet {
            Some(true) => {
                self.armed[i] = true;
                self.event_step[i] = step;
                SpikeClass::Event
            }
            Some(false) if self.armed[i] => {
                self.armed[i] = false;
                SpikeClass::Burst
            }
            _ => SpikeClass::Other,
        }
    }

    /// Relax phase (spec 0.2 step 4): add this step's spikes to the trace, then decay it by one step.
    pub fn relax(&mut self, spikes: &[u32]) {
        if self.rule == BurstRule::Trace {
            for &i in spikes {
                self.trace[i as usize] += 1.0;
            }
            decay_all(Simd::detected(), &mut self.trace, self.decay);
        }
    }
}

simd_kernel! {
    /// Every trace times `factor`, flushed to 0 below [`crate::fastmath::FLUSH_BELOW`]; compiled
    /// per SIMD level (identical results).
    fn decay_all(trace: &mut [f32], factor: f32) {
        for x in trace.iter_mut() {
            *x = crate::fastmath::decay(*x, factor);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a spike train (times in ms) of one neuron through the detector with dt = 0.1 ms and
    /// returns the class of each spike.
    fn classes(times_ms: &[f64], rule: BurstRule) -> Vec<SpikeClass> {
        let dt = 0.1;
        let mut d = BurstDetector::new(1, 16.0, dt, rule);
        let steps: Vec<u64> = times_ms.iter().map(|t| (t / dt).round() as u64).collect();
        let last = *steps.last().unwrap();
        let mut out = vec![];
        for s in 0..=last {
            let spiking = steps.contains(&s);
            if spiking {
                out.push(d.classify_one(s, 0));
            }
            d.relax(if spiking { &[0] } else { &[] });
        }
        out
    }

    use SpikeClass::*;

    #[test]
    fn isolated_spike_is_an_event() {
        for rule in [BurstRule::Trace, BurstRule::Isi] {
            assert_eq!(classes(&[10.0], rule), vec![Event]);
            assert_eq!(classes(&[10.0, 200.0], rule), vec![Event, Event]);
        }
    }

    #[test]
    fn doublets_within_16ms_are_bursts_and_at_17ms_two_events() {
        for rule in [BurstRule::Trace, BurstRule::Isi] {
            assert_eq!(classes(&[10.0, 15.0], rule), vec![Event, Burst], "5 ms, {rule:?}");
            assert_eq!(classes(&[10.0, 25.0], rule), vec![Event, Burst], "15 ms, {rule:?}");
            assert_eq!(classes(&[10.0, 27.0], rule), vec![Event, Event], "17 ms, {rule:?}");
        }
    }

    #[test]
    fn triplet_counts_one_event_one_burst() {
        for rule in [BurstRule::Trace, BurstRule::Isi] {
            assert_eq!(classes(&[10.0, 15.0, 20.0], rule), vec![Event, Burst, Other]);
        }
    }

    #[test]
    fn spike_after_a_burst() {
        // 20 ms after the second spike of a 5 ms doublet: the ISI rule sees 20 ms of quiet and calls
        // it an event, while the cumulative trace still holds e^(-25/16) + e^(-20/16) = 0.496 > e^-1
        // and, being disarmed, calls it nothing (spec 2.1, P10).
        assert_eq!(classes(&[10.0, 15.0, 35.0], BurstRule::Isi), vec![Event, Burst, Event]);
        assert_eq!(classes(&[10.0, 15.0, 35.0], BurstRule::Trace), vec![Event, Burst, Other]);
        // Long after the burst both rules see an event again, and a new doublet is a new burst.
        for rule in [BurstRule::Trace, BurstRule::Isi] {
            assert_eq!(classes(&[10.0, 15.0, 100.0, 104.0], rule), vec![Event, Burst, Event, Burst]);
        }
    }

    #[test]
    fn trace_threshold_sits_at_16ms_for_a_single_spike() {
        // x after k steps of decay is exp(-k dt / 16 ms); below e^-1 iff k > 160.
        assert_eq!(classes(&[0.0, 15.9], BurstRule::Trace), vec![Event, Burst]);
        assert_eq!(classes(&[0.0, 16.1], BurstRule::Trace), vec![Event, Event]);
    }
}
