//! The clock-driven engine: a [`Network`] of populations, projections and current inputs advanced in
//! lock-step with one integer clock and one dt.
//!
//! The order of operations inside one step is written once, in [`SCHEDULE`] and in
//! [`Network::step`], and follows the reference's `System::run` (spec 0.2).

pub mod history;
pub mod protocol;
pub mod team;

use crate::burst::BurstDetector;
use crate::neuron::Population;
use crate::stimulus::CurrentInput;
use crate::synapse::{PostSpikes, Projection};
pub use history::SpikeHistory;
pub use protocol::{Action, Protocol};
use std::sync::Arc;
use std::time::{Duration, Instant};
use team::{partition, Team};

/// Longest accepted delay, ms (the delay ring holds one spike list per step).
pub const MAX_DELAY_MS: f64 = 1000.0;

/// One phase of a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Phase {
    /// Short name.
    pub name: &'static str,
    /// What happens, and why it sits where it does.
    pub what: &'static str,
}

/// The schedule of one step (spec 0.2), printed by `burstsim check`.
pub const SCHEDULE: [Phase; 6] = [
    Phase {
        name: "protocol",
        what: "[[phase]] changes due at this step take effect (plasticity on/off, weights, rates, currents)",
    },
    Phase {
        name: "integrate",
        what: "every population integrates its dynamics and threshold-checks (registration order); \
               spikes are classified as event / burst / other by the 16 ms detector",
    },
    Phase {
        name: "deliver",
        what: "every projection (file order) adds weight x release to the target conductances for the \
               spikes emitted `delay` steps ago (8 steps = 0.8 ms by default); STP projections compute \
               the release and event/burst filters select spikes at emission (zero delay); plastic \
               projections then update weights (presynaptic events, then postsynaptic events and \
               bursts); conductances first move V at the next step",
    },
    Phase {
        name: "currents",
        what: "injected currents add dt*I/C to V_s or V_d: after this step's threshold check, so they \
               first matter at the next one; monitors record here",
    },
    Phase {
        name: "relax",
        what: "burst-detector traces add this step's spikes, then decay by exp(-dt/16 ms); STP x and u \
               relax (Euler); filters' presynaptic traces take the spikes of 0.8 ms ago; plasticity \
               traces (E_pre, E_bar, B_bar, r_hom) decay",
    },
    Phase { name: "clock", what: "step <- step + 1; t = step * dt" },
];

/// A population with its name and event/burst detector.
#[derive(Clone, Debug)]
pub struct PopulationSlot {
    /// Name from the model file (or generated for an `[[input]]` Poisson drive).
    pub name: String,
    /// True for sources generated from an `[[input]]` entry (not recorded by default).
    pub generated: bool,
    /// The neurons.
    pub pop: Population,
    /// Event/burst detector (spiking neurons only).
    pub detector: Option<BurstDetector>,
    /// Spikes of recent steps (delay buffer).
    pub history: SpikeHistory,
    /// Events detected this step.
    pub events: Vec<u32>,
    /// Bursts detected this step (neuron indices).
    pub bursts: Vec<u32>,
    /// Onset step of each burst in `bursts` (the step of the event that began it).
    pub burst_onsets: Vec<u64>,
}

impl PopulationSlot {
    /// Integration and classification of one population for `step` (phase "integrate").
    fn integrate(&mut self, step: u64) {
        let spikes = self.history.begin(step);
        self.pop.step(spikes);
        self.events.clear();
        self.bursts.clear();
        self.burst_onsets.clear();
        if let Some(det) = &mut self.detector {
            det.classify(step, self.history.at(step), &mut self.events, &mut self.bursts, &mut self.burst_onsets);
        }
    }
}

/// Occurs when a state variable stops being finite (STYLE 11).
#[derive(Debug, thiserror::Error)]
#[error("numerical instability: population \"{population}\", neuron {neuron}, variable {variable} is {value} at t = {t_ms} ms")]
pub struct Instability {
    /// Population name.
    pub population: String,
    /// Neuron index.
    pub neuron: usize,
    /// Variable name.
    pub variable: &'static str,
    /// The value found.
    pub value: f32,
    /// Time, ms.
    pub t_ms: f64,
}

/// A built network, ready to step.
#[derive(Clone, Debug)]
pub struct Network {
    /// Time step, ms.
    pub dt_ms: f64,
    /// Populations in registration (file) order.
    pub populations: Vec<PopulationSlot>,
    /// Projections in file order.
    pub projections: Vec<Projection>,
    /// Current inputs in file order.
    pub currents: Vec<CurrentInput>,
    /// Timed changes.
    pub protocol: Protocol,
    step: u64,
    synaptic_events: u64,
    /// Worker threads and the fixed split of the parallel phases between them.
    team: TeamSlot,
    timings: Option<[Duration; 5]>,
}

impl Network {
    /// Assembles a network. Projection and current indices must be valid (checked by the builder).
    pub fn new(
        dt_ms: f64,
        populations: Vec<PopulationSlot>,
        projections: Vec<Projection>,
        currents: Vec<CurrentInput>,
    ) -> Self {
        Network {
            dt_ms,
            populations,
            projections,
            currents,
            protocol: Protocol::default(),
            step: 0,
            synaptic_events: 0,
            team: TeamSlot(None),
            timings: None,
        }
    }

    /// Steps done so far (the clock).
    pub fn steps_done(&self) -> u64 {
        self.step
    }

    /// Synaptic events delivered so far (one per synapse per transmitted spike).
    pub fn synaptic_events(&self) -> u64 {
        self.synaptic_events
    }

    /// Time of the clock, ms.
    pub fn t_ms(&self) -> f64 {
        self.step as f64 * self.dt_ms
    }

    /// Spikes emitted by population `p` in the last completed step.
    pub fn last_spikes(&self, p: usize) -> &[u32] {
        self.populations[p].history.at(self.step.wrapping_sub(1))
    }

    /// Advances the network by one step, in the order of [`SCHEDULE`]: a list of phase calls.
    pub fn step(&mut self) {
        let step = self.step;
        let mut clock = self.timings.as_ref().map(|_| Instant::now());
        self.phase_protocol(step);
        self.lap(&mut clock, 0);
        self.phase_integrate(step);
        self.lap(&mut clock, 1);
        self.phase_deliver(step);
        self.lap(&mut clock, 2);
        self.phase_currents(step);
        self.lap(&mut clock, 3);
        self.phase_relax(step);
        self.lap(&mut clock, 4);
        // Phase "clock".
        self.step += 1;
    }

    /// Accumulates the wall time since `clock` into phase `k` (with `--timings`).
    #[inline]
    fn lap(&mut self, clock: &mut Option<Instant>, k: usize) {
        if let (Some(t), Some(acc)) = (clock.as_mut(), self.timings.as_mut()) {
            let now = Instant::now();
            acc[k] += now - *t;
            *t = now;
        }
    }

    /// Phase "protocol": changes take effect before anything else of this step.
    fn phase_protocol(&mut self, step: u64) {
        if !self.protocol.is_empty() {
            for action in self.protocol.due(step) {
                self.apply(&action);
            }
        }
    }

    /// Phase "integrate": each population integrates and threshold-checks; the detector classifies
    /// the new spikes *before* its trace takes them. Populations are independent here (each owns its
    /// state and random streams), so with a team each member integrates a fixed set of whole
    /// populations, with identical results.
    fn phase_integrate(&mut self, step: u64) {
        let Some(plan) = self.team.0.clone() else {
            self.populations.iter_mut().for_each(|slot| slot.integrate(step));
            return;
        };
        let pops = SyncPtr(self.populations.as_mut_ptr());
        plan.team.run(&|m| {
            for &i in &plan.integrate[m] {
                // Safety: the plan gives each population to exactly one member, and nothing else
                // touches the populations until `run` returns.
                unsafe { (*pops.get().add(i)).integrate(step) };
            }
        });
    }

    /// Phase "deliver": must run after every population has integrated this step, so that a
    /// delivered conductance first acts at the next step (spec 0.3). Projections run in file order
    /// within each target population, so conductance sums are formed in the same order whatever
    /// the thread count; with a team, each member handles a fixed set of target populations.
    fn phase_deliver(&mut self, step: u64) {
        let Some(plan) = self.team.0.clone() else {
            for k in 0..self.projections.len() {
                // Safety: exclusive access to everything here (single thread).
                self.synaptic_events +=
                    unsafe { deliver(&mut self.projections[k], self.populations.as_mut_ptr(), step) };
            }
            return;
        };
        let pops = SyncPtr(self.populations.as_mut_ptr());
        let projs = SyncPtr(self.projections.as_mut_ptr());
        let counts: Vec<std::sync::atomic::AtomicU64> =
            (0..plan.team.size()).map(|_| std::sync::atomic::AtomicU64::new(0)).collect();
        plan.team.run(&|m| {
            let mut n = 0;
            for &k in &plan.deliver[m] {
                // Safety: the plan gives each projection, and every projection onto a given target
                // population, to exactly one member; during delivery the other fields read
                // (delay buffers, events, bursts) are not written by anyone.
                n += unsafe { deliver(&mut *projs.get().add(k), pops.get(), step) };
            }
            counts[m].store(n, std::sync::atomic::Ordering::Relaxed);
        });
        self.synaptic_events += counts.iter().map(|c| c.load(std::sync::atomic::Ordering::Relaxed)).sum::<u64>();
    }

    /// Phase "currents": after this step's threshold check (spec 0.2 step 3).
    fn phase_currents(&mut self, step: u64) {
        for c in &self.currents {
            c.apply(step, self.dt_ms, &mut self.populations[c.target.0 as usize].pop);
        }
    }

    /// Phase "relax": detector traces take this step's spikes, then decay; STP variables, the
    /// filters' presynaptic traces and the plasticity traces relax. Sequential: this is a few
    /// streaming passes whose total cost (~10 % of a step on the Fig. 3 network) is below that of a
    /// fork-join per step (measured: 0.22 s sequential vs 0.74 s parallel over a 4 s run).
    fn phase_relax(&mut self, step: u64) {
        for slot in &mut self.populations {
            if let Some(det) = &mut slot.detector {
                det.relax(slot.history.at(step));
            }
        }
        let pops = &self.populations;
        for proj in &mut self.projections {
            let post = pops[proj.cfg.to.0 as usize].history.at(step);
            proj.relax(step, &pops[proj.cfg.from.0 as usize].history, post);
        }
    }

    /// Runs the integrate and deliver phases on `threads` threads (persistent workers; 1 = none).
    /// Work is split once, by cost: whole populations for integration (neurons, Poisson sources
    /// count a tenth), whole target populations for delivery (synapses).
    pub fn set_threads(&mut self, threads: usize) -> std::io::Result<()> {
        if threads <= 1 {
            self.team = TeamSlot(None);
            return Ok(());
        }
        let team = Team::new(threads)?;
        let pop_costs: Vec<f64> = self
            .populations
            .iter()
            .map(|s| s.pop.len() as f64 * if matches!(s.pop, Population::Poisson(_)) { 0.1 } else { 1.0 })
            .collect();
        let integrate = partition(&pop_costs, threads);
        let mut target_costs = vec![0.0; self.populations.len()];
        for p in &self.projections {
            target_costs[p.cfg.to.0 as usize] += p.n_synapses() as f64 + p.csr.row_start.len() as f64;
        }
        let deliver = partition(&target_costs, threads)
            .into_iter()
            .map(|targets| {
                (0..self.projections.len())
                    .filter(|&k| targets.contains(&(self.projections[k].cfg.to.0 as usize)))
                    .collect()
            })
            .collect();
        self.team = TeamSlot(Some(Arc::new(TeamPlan { team, integrate, deliver })));
        Ok(())
    }

    /// Turns per-phase wall-time accounting on (see [`Network::timings`]).
    pub fn enable_timings(&mut self) {
        self.timings = Some([Duration::ZERO; 5]);
    }

    /// Wall time spent in each phase of [`SCHEDULE`] (protocol, integrate, deliver, currents,
    /// relax), when enabled.
    pub fn timings(&self) -> Option<&[Duration; 5]> {
        self.timings.as_ref()
    }

    /// Checks every population's state for NaN or infinity.
    pub fn check_finite(&self) -> Result<(), Instability> {
        for slot in &self.populations {
            if let Some((neuron, variable, value)) = slot.pop.first_non_finite() {
                return Err(Instability { population: slot.name.clone(), neuron, variable, value, t_ms: self.t_ms() });
            }
        }
        Ok(())
    }

    /// Total number of synapses.
    pub fn n_synapses(&self) -> usize {
        self.projections.iter().map(|p| p.n_synapses()).sum()
    }

    /// Rough memory held by the network state, bytes.
    pub fn state_bytes(&self) -> usize {
        let pops: usize = self
            .populations
            .iter()
            .map(|s| s.pop.state_bytes() + s.history.bytes() + s.detector.as_ref().map_or(0, |d| d.bytes()))
            .sum();
        let syn: usize = self.projections.iter().map(|p| p.csr.targets.len() * 4 + p.csr.row_start.len() * 8).sum();
        pops + syn
    }
}

/// The network's team, if any. A clone of the network gets none (call `set_threads` on it): two
/// networks must not drive the same team, whose `run` is not reentrant across threads.
#[derive(Debug, Default)]
struct TeamSlot(Option<Arc<TeamPlan>>);

impl Clone for TeamSlot {
    fn clone(&self) -> Self {
        TeamSlot(None)
    }
}

/// A team and the fixed split of the parallel phases between its members.
#[derive(Debug)]
struct TeamPlan {
    team: Team,
    /// Population indices integrated by each member.
    integrate: Vec<Vec<usize>>,
    /// Projection indices delivered by each member (all projections onto the same target go to the
    /// same member, in file order).
    deliver: Vec<Vec<usize>>,
}

/// A raw pointer that may cross to the team's threads; what it points to is split between them by a
/// [`TeamPlan`].
struct SyncPtr<T>(*mut T);
impl<T> Clone for SyncPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for SyncPtr<T> {}
unsafe impl<T> Send for SyncPtr<T> {}
unsafe impl<T> Sync for SyncPtr<T> {}
impl<T> SyncPtr<T> {
    fn get(self) -> *mut T {
        self.0
    }
}

/// Delivers one projection: reads the source's delay buffer, writes the target's conductances.
///
/// # Safety
/// `pops` points to the network's populations; no one else may access the target population's
/// neuron state (`pop`) during the call, and no one may write any delay buffer, event or burst list.
unsafe fn deliver(proj: &mut Projection, pops: *mut PopulationSlot, step: u64) -> u64 {
    let (from, to) = (proj.cfg.from.0 as usize, proj.cfg.to.0 as usize);
    let (target, receptor) = (proj.cfg.target, proj.cfg.receptor);
    // Field-level borrows: the target's neuron state mutably, delay buffers and spike lists shared
    // (for a recurrent projection source and target are the same slot, different fields).
    let dst = pops.add(to);
    let src_history = &(*pops.add(from)).history;
    let post = PostSpikes { spikes: (*dst).history.at(step), events: &(*dst).events, bursts: &(*dst).bursts };
    let g = (*dst).pop.conductance_mut(target, receptor).expect("validated target");
    proj.propagate(step, src_history, g, post)
}
