//! The order of operations in one step, as data (spec 0.2; STYLE 3): [`SCHEDULE`] drives
//! `Network::step`, names the per-phase timers and is what `burstsim check` prints.

use std::time::{Duration, Instant};

/// One phase of a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// `[[phase]]` changes due at this step take effect.
    Protocol,
    /// Every population integrates and threshold-checks; the detector classifies the spikes.
    Integrate,
    /// Where a distributed run swaps this step's spikes between processes.
    Exchange,
    /// Projections deliver conductances.
    Deliver,
    /// Plastic projections update weights; the shared estimates count the step's events.
    Learn,
    /// Injected currents act.
    Currents,
    /// Traces, STP variables and averages relax.
    Relax,
    /// Monitors sample.
    Record,
    /// The clock advances.
    Clock,
}

/// The schedule of one step (spec 0.2), in order.
pub const SCHEDULE: [Phase; 9] = [
    Phase::Protocol,
    Phase::Integrate,
    Phase::Exchange,
    Phase::Deliver,
    Phase::Learn,
    Phase::Currents,
    Phase::Relax,
    Phase::Record,
    Phase::Clock,
];

impl Phase {
    /// Short name (timers, `check`).
    pub fn name(self) -> &'static str {
        match self {
            Phase::Protocol => "protocol",
            Phase::Integrate => "integrate",
            Phase::Exchange => "exchange",
            Phase::Deliver => "deliver",
            Phase::Learn => "learn",
            Phase::Currents => "currents",
            Phase::Relax => "relax",
            Phase::Record => "record",
            Phase::Clock => "clock",
        }
    }

    /// What happens, and why it sits where it does.
    pub fn what(self) -> &'static str {
        match self {
            Phase::Protocol => {
                "[[phase]] changes due at this step take effect (plasticity on/off, weights, rates, currents)"
            }
            Phase::Integrate => {
                "every population integrates its dynamics and threshold-checks (file order); spikes are \
                 classified as event / burst / other by the population's 16 ms detector before its trace \
                 takes them"
            }
            Phase::Exchange => {
                "spikes of this step cross to other processes (a distributed run; nothing on one process)"
            }
            Phase::Deliver => {
                "every projection adds weight x release to its target's conductances (file order within a \
                 target): plain projections for the spikes emitted `delay` steps ago (8 = 0.8 ms by default); \
                 filtering, STP and plastic projections classify and weigh this step's spikes at emission \
                 (their own presynaptic detector, STP release from the state before the spike) and queue \
                 them for their delay (0 by default); conductances first move V at the next step"
            }
            Phase::Learn => {
                "plastic projections: presynaptic events arriving now (pre-triggered terms, then E_pre += 1), \
                 then the target's events and bursts of this step update the incoming weights, reading the \
                 target's shared estimates from before this step; then the estimates count the step's \
                 events and bursts (spec 5.1, P11)"
            }
            Phase::Currents => {
                "injected currents add dt*I/C to V_s or V_d: after this step's threshold check, so they \
                 first matter at the next one"
            }
            Phase::Relax => {
                "detector traces add this step's spikes, then decay by exp(-dt/16 ms); STP x and u relax \
                 (Euler); projections' detector traces take the spikes of 0.8 ms ago; E_pre, E_bar, B_bar \
                 and r_hom decay (r_hom after taking the step's spikes)"
            }
            Phase::Record => {
                "monitors sample the state at the end of the step (spikes, events, bursts and rates of \
                 the step, state variables, weights), stamped t = step x dt"
            }
            Phase::Clock => "step <- step + 1; t = step * dt",
        }
    }
}

/// Wall time spent in each phase of [`SCHEDULE`] (with `--timings`).
#[derive(Clone, Debug, Default)]
pub struct PhaseTimers {
    spent: Option<[Duration; SCHEDULE.len()]>,
}

impl PhaseTimers {
    /// Starts accounting.
    pub fn enable(&mut self) {
        self.spent = Some([Duration::ZERO; SCHEDULE.len()]);
    }

    /// The clock to measure a phase from (`None` when off: no system call).
    #[inline]
    pub(super) fn start(&self) -> Option<Instant> {
        self.spent.as_ref().map(|_| Instant::now())
    }

    /// Adds the time since `t0` to phase number `k` of the schedule.
    #[inline]
    pub(super) fn stop(&mut self, k: usize, t0: Option<Instant>) {
        if let (Some(t0), Some(acc)) = (t0, self.spent.as_mut()) {
            acc[k] += t0.elapsed();
        }
    }

    /// (phase name, seconds) in schedule order, when enabled.
    pub fn seconds(&self) -> Option<Vec<(&'static str, f64)>> {
        self.spent.as_ref().map(|a| SCHEDULE.iter().zip(a).map(|(p, d)| (p.name(), d.as_secs_f64())).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_the_reference_order_holds() {
        let names: Vec<&str> = SCHEDULE.iter().map(|p| p.name()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        let pos = |p: Phase| SCHEDULE.iter().position(|&q| q == p).unwrap();
        // Spec 0.2: evolve, propagate (deliver + learn), devices, evolve connections, clock.
        assert!(pos(Phase::Integrate) < pos(Phase::Deliver));
        assert!(pos(Phase::Deliver) < pos(Phase::Learn));
        assert!(pos(Phase::Learn) < pos(Phase::Currents));
        assert!(pos(Phase::Currents) < pos(Phase::Relax));
        assert_eq!(SCHEDULE.last(), Some(&Phase::Clock));
    }
}
