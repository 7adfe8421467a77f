//! The clock-driven engine: a [`Network`] of populations, projections and current inputs advanced in
//! lock-step with one integer clock and one dt.
//!
//! The order of operations inside one step is data: [`SCHEDULE`] (spec 0.2), which
//! [`Network::step_observed`] walks phase by phase. The network keeps the neurons' state
//! ([`Population`]) apart from their spikes ([`SpikeState`]) and from the postsynaptic estimates
//! shared by plastic projections ([`Estimates`]), so delivery writes a target's conductances while
//! reading every source's spikes with ordinary borrows; its fields are private, so nothing outside
//! can break the indices that tie them together.

pub mod builder;
pub mod history;
mod parallel;
pub mod protocol;
pub mod schedule;
pub mod spikes;
pub mod team;

pub use builder::NetworkBuilder;
pub use history::SpikeHistory;
pub use protocol::{Action, Example, ExampleKind, ExampleSchedule, Protocol};
pub use schedule::{Phase, PhaseTimers, SCHEDULE};
pub use spikes::SpikeState;

use crate::neuron::{Part, Population};
use crate::plasticity::Estimates;
use crate::stimulus::{CurrentInput, Teacher};
use crate::synapse::Projection;
use parallel::Claims;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use team::Team;

/// Neurons per integrate task of a population that a team splits (see [`NeuronKind::split`]): a
/// constant, so that the parts, and the order in which their spikes are joined, do not depend on
/// the number of threads. 2048 splits a 4000-neuron layer in two; each part is some microseconds
/// of work, far above the cost of claiming it.
///
/// [`NeuronKind::split`]: crate::neuron::NeuronKind::split
pub const SPLIT_CHUNK: usize = 2048;

/// Longest accepted delay, ms (the delay ring holds one spike list per step).
pub const MAX_DELAY_MS: f64 = 1000.0;

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

/// Name and origin of a population.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PopulationInfo {
    /// Name from the model file (or generated for an `[[input]]` Poisson drive).
    pub name: String,
    /// True for sources generated from an `[[input]]` entry (not recorded by default).
    pub generated: bool,
}

/// What runs in the [`Phase::Record`] phase: monitors that read the network.
pub trait Observer {
    /// What can go wrong while recording.
    type Error;
    /// Samples the network at the end of `step` (before the clock advances).
    fn observe(&mut self, net: &Network, step: u64) -> Result<(), Self::Error>;
}

impl Observer for () {
    type Error = std::convert::Infallible;
    fn observe(&mut self, _: &Network, _: u64) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// A built network, ready to step (made by [`NetworkBuilder`]).
#[derive(Clone, Debug)]
pub struct Network {
    dt_ms: f64,
    info: Vec<PopulationInfo>,
    /// Neuron state, in registration (file) order.
    populations: Vec<Population>,
    /// Spike state, one per population.
    spikes: Vec<SpikeState>,
    /// Shared postsynaptic estimates, one set per population.
    estimates: Vec<Estimates>,
    /// Projections in file order.
    projections: Vec<Projection>,
    /// Projection indices onto each population, in file order.
    by_target: Vec<Vec<usize>>,
    /// Populations with plastic projections onto them (their estimates are counted in learn).
    learners: Vec<usize>,
    /// Per population: a Poisson source fused into the one projection that reads it (see
    /// [`Network::fuse_drives`]); it is stepped in that projection's delivery, not in integrate.
    /// A projection's drive is fused exactly when its source is.
    fused_source: Vec<bool>,
    currents: Vec<CurrentInput>,
    /// Teacher currents, in file order (after the current inputs in the currents phase).
    teachers: Vec<Teacher>,
    protocol: Protocol,
    /// The examples of a `[protocol]` (empty without one).
    examples: ExampleSchedule,
    step: u64,
    synaptic_events: u64,
    /// Worker threads and the fixed split of the parallel phases between them.
    team: TeamSlot,
    timers: PhaseTimers,
}

impl Network {
    /// Time step, ms.
    pub fn dt_ms(&self) -> f64 {
        self.dt_ms
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

    /// Number of populations.
    pub fn n_populations(&self) -> usize {
        self.populations.len()
    }

    /// Population `p`'s neurons.
    pub fn population(&self, p: usize) -> &Population {
        &self.populations[p]
    }

    /// Population `p`'s name and origin.
    pub fn info(&self, p: usize) -> &PopulationInfo {
        &self.info[p]
    }

    /// Population `p`'s spikes.
    pub fn spikes(&self, p: usize) -> &SpikeState {
        &self.spikes[p]
    }

    /// Population `p`'s shared postsynaptic estimates.
    pub fn estimates(&self, p: usize) -> &Estimates {
        &self.estimates[p]
    }

    /// Index of the population named `name`.
    pub fn population_index(&self, name: &str) -> Option<usize> {
        self.info.iter().position(|i| i.name == name)
    }

    /// Projections, in file order.
    pub fn projections(&self) -> &[Projection] {
        &self.projections
    }

    /// Current inputs, in file order.
    pub fn currents(&self) -> &[CurrentInput] {
        &self.currents
    }

    /// Teachers, in file order.
    pub fn teachers(&self) -> &[Teacher] {
        &self.teachers
    }

    /// The examples of a `[protocol]` (empty without one).
    pub fn examples(&self) -> &ExampleSchedule {
        &self.examples
    }

    /// The timed changes.
    pub fn protocol(&self) -> &Protocol {
        &self.protocol
    }

    /// Spikes emitted by population `p` in the last completed step.
    pub fn last_spikes(&self, p: usize) -> &[u32] {
        self.spikes[p].at(self.step.wrapping_sub(1))
    }

    /// Advances the network by one step with no monitor.
    pub fn step(&mut self) {
        let Ok(()) = self.step_observed(&mut ());
    }

    /// Advances the network by one step, walking [`SCHEDULE`]; `obs` samples in the record phase.
    /// On an observer error the step is left before the clock advances.
    pub fn step_observed<O: Observer>(&mut self, obs: &mut O) -> Result<(), O::Error> {
        let step = self.step;
        for (k, phase) in SCHEDULE.iter().enumerate() {
            let t0 = self.timers.start();
            match phase {
                Phase::Protocol => self.phase_protocol(step),
                Phase::Integrate => self.phase_integrate(step),
                Phase::Exchange => {} // one process: every spike is already local
                Phase::Deliver => self.phase_deliver(step),
                Phase::Learn => self.phase_learn(step),
                Phase::Currents => self.phase_currents(step),
                Phase::Relax => self.phase_relax(step),
                Phase::Record => obs.observe(self, step)?,
                Phase::Clock => self.step += 1,
            }
            self.timers.stop(k, t0);
        }
        Ok(())
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
    /// the new spikes *before* its trace takes them (relax). Populations are independent here (each
    /// owns its state and random streams), and so are the parts of a population that a team splits
    /// ([`SPLIT_CHUNK`] neurons): with a team each population or part is one task, whichever member
    /// runs it, and a split population's spikes are joined in part order, so results are identical.
    fn phase_integrate(&mut self, step: u64) {
        let integrate = |pop: &mut Population, sp: &mut SpikeState| {
            pop.step(sp.begin(step));
            sp.classify(step);
        };
        let Some(plan) = &mut self.team.0 else {
            let all = self.populations.iter_mut().zip(self.spikes.iter_mut()).zip(&self.fused_source);
            all.filter(|(_, &fused)| !fused).for_each(|((p, s), _)| integrate(p, s));
            return;
        };
        let mut tasks: Vec<Task<'_>> = recycle(std::mem::take(&mut plan.tasks));
        let mut parts: Vec<Part<'_>> = recycle(std::mem::take(&mut plan.parts));
        {
            let pops = Claims::new(&mut self.populations, &mut plan.population_flags);
            let spikes = Claims::new(&mut self.spikes, &mut plan.spike_flags);
            let part_spikes = Claims::new(&mut plan.part_spikes, &mut plan.part_spike_flags);
            for &p in &plan.integrate {
                let (pop, buffers) = (pops.take(p), part_spikes.take(p));
                if buffers.is_empty() {
                    tasks.push(Task::Whole(pop, spikes.take(p)));
                    continue;
                }
                let split = pop.split(SPLIT_CHUNK, &mut parts);
                assert!(split && parts.len() == buffers.len(), "the split of set_threads");
                tasks.extend(parts.drain(..).zip(buffers.iter_mut()).map(|(part, out)| Task::Part(part, out)));
            }
            let claims = Claims::new(&mut tasks, &mut plan.task_flags);
            plan.team.run(claims.len(), &|t| match claims.take(t) {
                Task::Whole(pop, sp) => integrate(pop, sp),
                Task::Part(part, out) => {
                    out.clear();
                    part.step(out);
                }
            });
        }
        plan.tasks = recycle(tasks);
        plan.parts = recycle(parts);
        // The split populations' spikes, each part's in turn (part order is neuron order).
        for (sp, buffers) in self.spikes.iter_mut().zip(&plan.part_spikes) {
            if !buffers.is_empty() {
                let out = sp.begin(step);
                buffers.iter().for_each(|b| out.extend_from_slice(b));
                sp.classify(step);
            }
        }
    }

    /// Phase "deliver": must run after every population has integrated this step, so that a
    /// delivered conductance first acts at the next step (spec 0.3). Within each target population
    /// projections run in file order, so conductance sums are formed in the same order whatever the
    /// thread count; with a team, each target population (with every projection onto it) is one task.
    fn phase_deliver(&mut self, step: u64) {
        let spikes = &self.spikes;
        let n = match &mut self.team.0 {
            None => {
                let mut n = 0;
                for (t, ks) in self.by_target.iter().enumerate() {
                    for &k in ks {
                        let proj = &mut self.projections[k];
                        n += if self.fused_source[proj.from().0 as usize] {
                            let (pop, src) = two_mut(&mut self.populations, t, proj.from().0 as usize);
                            deliver_drive(proj, pop, src, step)
                        } else {
                            deliver(proj, &mut self.populations[t], spikes, step)
                        };
                    }
                }
                n
            }
            Some(plan) => {
                // One task per target population: it and the projections onto it (file order).
                let pops = Claims::new(&mut self.populations, &mut plan.population_flags);
                let projs = Claims::new(&mut self.projections, &mut plan.projection_flags);
                let (order, by_target, fused) = (&plan.deliver, &self.by_target, &self.fused_source);
                let total = AtomicU64::new(0);
                plan.team.run(order.len(), &|t| {
                    let target = order[t];
                    let pop = pops.take(target);
                    let mut n = 0;
                    for &k in &by_target[target] {
                        let proj = projs.take(k);
                        // a fused source is read by this projection only, so only this task takes it
                        n += match fused[proj.from().0 as usize] {
                            true => deliver_drive(proj, pop, pops.take(proj.from().0 as usize), step),
                            false => deliver(proj, pop, spikes, step),
                        };
                    }
                    total.fetch_add(n, Ordering::Relaxed);
                });
                total.into_inner()
            }
        };
        self.synaptic_events += n;
    }

    /// Phase "learn": for each population with plastic projections onto it, every such projection
    /// learns (file order) from the estimates as they were before this step's spikes, then the
    /// estimates count this step's events and bursts (spec 5.1, P11). Sequential: plastic
    /// networks are small next to their delivery.
    fn phase_learn(&mut self, step: u64) {
        for &t in &self.learners {
            let sp = &self.spikes[t];
            for &k in &self.by_target[t] {
                self.projections[k].learn(step, sp.events(), sp.bursts(), &self.estimates[t]);
            }
            self.estimates[t].count(sp.events(), sp.bursts());
        }
    }

    /// Phase "currents": after this step's threshold check (spec 0.2 step 3).
    fn phase_currents(&mut self, step: u64) {
        for c in &self.currents {
            c.apply(step, self.dt_ms, &mut self.populations[c.target.0 as usize]);
        }
        // Teachers read their population's estimates as counted in this step's learn phase.
        for t in &mut self.teachers {
            let p = t.target.0 as usize;
            t.apply(&self.estimates[p], &mut self.populations[p]);
        }
    }

    /// Phase "relax": detector traces take this step's spikes, then decay; the estimates' spike
    /// traces take them too (sequential: one short pass per population); then STP variables, the
    /// projections' detectors and E_pre relax, with a team one projection per task (each owns its
    /// state and only reads spike lists; on the Fig. 3 network at 2 threads, 9 interleaved pairs:
    /// median 0.92 of the wall time with this phase sequential).
    fn phase_relax(&mut self, step: u64) {
        for (sp, est) in self.spikes.iter_mut().zip(&mut self.estimates) {
            sp.relax(step);
            if !est.is_empty() {
                est.relax(sp.at(step));
            }
        }
        let spikes = &self.spikes;
        let relax = |proj: &mut Projection| {
            let fed = spikes[proj.from().0 as usize].delayed(step, proj.trace_delay());
            proj.relax(fed);
        };
        match &mut self.team.0 {
            None => self.projections.iter_mut().for_each(relax),
            // each projection's state is its own: one task each (those with any), costliest first
            Some(plan) => {
                let projs = Claims::new(&mut self.projections, &mut plan.projection_flags);
                let order = &plan.relax;
                plan.team.run(order.len(), &|t| relax(projs.take(order[t])));
            }
        }
    }

    /// Applies one protocol change (indices validated by the model builder; an out-of-range index
    /// panics).
    pub fn apply(&mut self, action: &Action) {
        protocol::apply(
            action,
            self.step,
            &mut self.projections,
            &mut self.populations,
            &mut self.currents,
            &mut self.teachers,
            &self.estimates,
        );
    }

    /// Replaces projection `k`'s per-synapse weights (see [`Projection::set_weights`]).
    pub fn set_weights(&mut self, k: usize, w: &[f32]) -> bool {
        self.projections[k].set_weights(w)
    }

    /// Saves or restores the whole dynamic state of the network (see [`crate::persist`]): the
    /// clock, the protocol's place, and per population, projection, current input and teacher
    /// everything that changes while it runs. A restored network steps on exactly as the saved
    /// one would have, whatever the number of threads of either.
    pub fn persist(&mut self, io: &mut crate::persist::StateIo) {
        io.value("step", &mut self.step);
        io.value("synaptic_events", &mut self.synaptic_events);
        let mut dt = self.dt_ms;
        io.value("dt_ms", &mut dt);
        if dt != self.dt_ms {
            io.problem("dt_ms", format!("the state was saved at dt = {dt} ms, the model's dt is {} ms", self.dt_ms));
        }
        io.scope("protocol", |io| self.protocol.persist(io));
        for (p, info) in self.info.iter().enumerate() {
            io.scope("populations", |io| {
                io.scope(&info.name, |io| {
                    let mut n = self.populations[p].len() as u64;
                    io.value("n", &mut n);
                    if n != self.populations[p].len() as u64 {
                        let m = self.populations[p].len();
                        io.problem("n", format!("the saved population has {n} neurons, the model's {m}"));
                        return;
                    }
                    io.scope("neurons", |io| self.populations[p].persist(io));
                    io.scope("spikes", |io| self.spikes[p].persist(io));
                    io.scope("estimates", |io| self.estimates[p].persist(io));
                })
            });
        }
        for proj in &mut self.projections {
            let name = proj.name().to_string();
            io.scope("projections", |io| io.scope(&name, |io| proj.persist(io)));
        }
        for (k, c) in self.currents.iter_mut().enumerate() {
            io.scope("currents", |io| io.scope(&k.to_string(), |io| c.persist(io)));
        }
        for t in &mut self.teachers {
            let name = t.name.clone();
            io.scope("teachers", |io| io.scope(&name, |io| t.persist(io)));
        }
    }

    /// Fuses every Poisson source made by an `[[input]]` (a drive) into the one projection that
    /// reads it, unless the source is in `recorded` (the populations whose spikes are written):
    /// its spikes are then generated in that projection's deliver phase, `delay` steps after
    /// their emission, and added straight to the targets' conductances, instead of being listed,
    /// kept in a delay ring and read back (Brian2's `PoissonInput` idea, but with the same
    /// process and random streams, so the output is bit-identical). A fused source lists no
    /// spikes. Called before the first step and before [`Network::set_threads`].
    pub fn fuse_drives(&mut self, recorded: &[usize]) {
        assert!(self.step == 0 && self.team.0.is_none(), "drives are fused before the run");
        for p in 0..self.populations.len() {
            let Population::Poisson(src) = &mut self.populations[p] else { continue };
            let mut readers = self.projections.iter().filter(|q| q.from().0 as usize == p);
            let (Some(proj), None) = (readers.next(), readers.next()) else { continue };
            if self.info[p].generated && !recorded.contains(&p) && proj.can_fuse_source() {
                src.fuse(proj.config().delay_steps);
                self.fused_source[p] = true;
            }
        }
    }

    /// True when population `p` is a Poisson source fused into its projection (it lists no spikes).
    pub fn is_fused(&self, p: usize) -> bool {
        self.fused_source[p]
    }

    /// Runs the integrate and deliver phases on `threads` threads (persistent workers; 1 = none).
    /// The tasks (whole populations for integration, whole target populations for delivery) are
    /// listed once, costliest first (neurons, Poisson sources count a tenth; synapses), so that the
    /// members, claiming them in that order, end close together.
    pub fn set_threads(&mut self, threads: usize) -> std::io::Result<()> {
        if threads <= 1 {
            self.team = TeamSlot(None);
            return Ok(());
        }
        let team = Team::new(threads)?;
        let pop_costs: Vec<f64> = self
            .populations
            .iter()
            .map(|p| p.len() as f64 * if matches!(p, Population::Poisson(_)) { 0.1 } else { 1.0 })
            .collect();
        let mut target_costs = vec![0.0; self.populations.len()];
        for p in &self.projections {
            target_costs[p.to().0 as usize] += p.n_synapses() as f64 + p.csr().row_start.len() as f64;
            if self.fused_source[p.from().0 as usize] {
                // its source is generated in this delivery
                target_costs[p.to().0 as usize] += pop_costs[p.from().0 as usize];
            }
        }
        let relax_costs: Vec<f64> =
            self.projections.iter().map(|p| self.populations[p.from().0 as usize].len() as f64).collect();
        let costliest_first = |costs: &[f64], keep: &dyn Fn(usize) -> bool| {
            let mut order: Vec<usize> = (0..costs.len()).filter(|&i| keep(i)).collect();
            order.sort_by(|&a, &b| costs[b].total_cmp(&costs[a]).then(a.cmp(&b)));
            order
        };
        // Populations of more than one chunk whose kind splits are stepped in parts, each part's
        // spikes into its own list.
        let part_spikes: Vec<Vec<Vec<u32>>> = self
            .populations
            .iter_mut()
            .map(|pop| {
                let mut parts = Vec::new();
                if pop.len() > SPLIT_CHUNK && pop.split(SPLIT_CHUNK, &mut parts) {
                    parts.iter().map(|_| Vec::new()).collect()
                } else {
                    Vec::new()
                }
            })
            .collect();
        let n_tasks: usize = part_spikes.iter().map(|b| b.len().max(1)).sum();
        let flags = |n: usize| (0..n).map(|_| AtomicBool::new(false)).collect::<Vec<_>>();
        self.team = TeamSlot(Some(TeamPlan {
            team,
            integrate: costliest_first(&pop_costs, &|p| !self.fused_source[p]),
            deliver: costliest_first(&target_costs, &|t| !self.by_target[t].is_empty()),
            relax: costliest_first(&relax_costs, &|k| self.projections[k].relaxes()),
            population_flags: flags(self.populations.len()),
            spike_flags: flags(self.spikes.len()),
            projection_flags: flags(self.projections.len()),
            part_spike_flags: flags(part_spikes.len()),
            task_flags: flags(n_tasks),
            tasks: Vec::with_capacity(n_tasks),
            parts: Vec::new(),
            part_spikes,
        }));
        Ok(())
    }

    /// Turns per-phase wall-time accounting on (see [`Network::timings`]).
    pub fn enable_timings(&mut self) {
        self.timers.enable();
    }

    /// Wall time spent in each phase of [`SCHEDULE`], seconds, when enabled.
    pub fn timings(&self) -> Option<Vec<(&'static str, f64)>> {
        self.timers.seconds()
    }

    /// Checks every population's state for NaN or infinity.
    pub fn check_finite(&self) -> Result<(), Instability> {
        for (info, pop) in self.info.iter().zip(&self.populations) {
            if let Some((neuron, variable, value)) = pop.first_non_finite() {
                return Err(Instability { population: info.name.clone(), neuron, variable, value, t_ms: self.t_ms() });
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
        let pops: usize = self.populations.iter().map(|p| p.state_bytes()).sum();
        let spikes: usize = self.spikes.iter().map(|s| s.bytes()).sum();
        let est: usize = self.estimates.iter().map(|e| e.bytes()).sum();
        let syn: usize = self.projections.iter().map(|p| p.bytes()).sum();
        pops + spikes + est + syn
    }
}

/// Delivers one projection onto its target population `pop`, reading its source's spikes.
fn deliver(proj: &mut Projection, pop: &mut Population, spikes: &[SpikeState], step: u64) -> u64 {
    let src = &spikes[proj.from().0 as usize];
    let cfg = proj.config();
    let g = pop.conductance_mut(cfg.target, cfg.receptor).expect("target compartment validated by the builder");
    proj.deliver(step, |d| src.delayed(step, d), g)
}

/// Delivers a projection whose Poisson source `src` is fused into it (see [`Network::fuse_drives`]).
fn deliver_drive(proj: &mut Projection, pop: &mut Population, src: &mut Population, step: u64) -> u64 {
    let Population::Poisson(source) = src else { unreachable!("only Poisson sources are fused") };
    let cfg = proj.config();
    let g = pop.conductance_mut(cfg.target, cfg.receptor).expect("target compartment validated by the builder");
    proj.deliver_drive(step, source, g)
}

/// Exclusive borrows of two distinct elements.
fn two_mut<T>(v: &mut [T], a: usize, b: usize) -> (&mut T, &mut T) {
    assert_ne!(a, b, "two distinct elements");
    if a < b {
        let (lo, hi) = v.split_at_mut(b);
        (&mut lo[a], &mut hi[0])
    } else {
        let (lo, hi) = v.split_at_mut(a);
        (&mut hi[0], &mut lo[b])
    }
}

/// The network's team, if any. A clone of the network gets none (call `set_threads` on it): the
/// workers belong to one network, and `Team::run` takes `&mut self`, so no two steps share them.
#[derive(Debug, Default)]
struct TeamSlot(Option<TeamPlan>);

impl Clone for TeamSlot {
    fn clone(&self) -> Self {
        TeamSlot(None)
    }
}

/// A team and the tasks of the parallel phases, with the buffers they reuse every step.
#[derive(Debug)]
struct TeamPlan {
    team: Team,
    /// The integrate tasks: populations, costliest first.
    integrate: Vec<usize>,
    /// The deliver tasks: target populations with projections onto them, costliest first.
    deliver: Vec<usize>,
    /// The relax tasks: projections with state to relax, largest source first.
    relax: Vec<usize>,
    /// Which populations, spike states and projections a phase's tasks have taken (see
    /// [`Claims`]): kept here so that a step allocates nothing.
    population_flags: Vec<AtomicBool>,
    spike_flags: Vec<AtomicBool>,
    projection_flags: Vec<AtomicBool>,
    part_spike_flags: Vec<AtomicBool>,
    task_flags: Vec<AtomicBool>,
    /// The integrate tasks of a step, kept empty between steps for their allocation.
    tasks: Vec<Task<'static>>,
    /// The parts of a split population, likewise.
    parts: Vec<Part<'static>>,
    /// Per population, one spike list per part when the team splits it (empty otherwise).
    part_spikes: Vec<Vec<Vec<u32>>>,
}

/// One integrate task: a whole population, or a part of a split one with its spike list.
#[derive(Debug)]
enum Task<'a> {
    Whole(&'a mut Population, &'a mut SpikeState),
    Part(Part<'a>, &'a mut Vec<u32>),
}

/// An empty vector with the allocation of `v`, for items of another lifetime, so that the task
/// lists of a step are kept across steps without allocating: collecting a vector's own iterator
/// into a vector of a type of the same size and alignment reuses its allocation (the counting
/// allocator of tests/step_allocations.rs checks that it does).
fn recycle<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter().map(|_| unreachable!("the vector is empty")).collect()
}
