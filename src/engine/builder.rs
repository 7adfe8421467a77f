//! Building a [`Network`] from validated parts: the API that the TOML layer calls (and layer
//! templates or a Python package could call), so that nothing outside the engine assembles the
//! network's internal indices.

use super::protocol::{Action, ExampleSchedule, Protocol};
use super::spikes::SpikeState;
use super::{Network, PopulationInfo, TeamSlot};
use crate::burst::{BurstDetector, BurstRule, BURST_TAU_MS};
use crate::neuron::Population;
use crate::plasticity::AverageId;
use crate::plasticity::Estimates;
use crate::stimulus::{CurrentInput, Teacher};
use crate::synapse::{CombinationError, Connect, Csr, Projection, ProjectionConfig, SynapseValues};
use crate::PopulationId;

/// Collects populations, projections, currents and protocol changes, then makes a [`Network`].
#[derive(Debug)]
pub struct NetworkBuilder {
    dt_ms: f64,
    seed: u64,
    burst_rule: BurstRule,
    info: Vec<PopulationInfo>,
    populations: Vec<Population>,
    estimates: Vec<Estimates>,
    projections: Vec<Projection>,
    currents: Vec<CurrentInput>,
    teachers: Vec<Teacher>,
    examples: ExampleSchedule,
    actions: Vec<(u64, Action)>,
}

impl NetworkBuilder {
    /// A builder for time step `dt_ms`, run `seed` (wiring streams) and the event/burst rule of
    /// every population's detector.
    pub fn new(dt_ms: f64, seed: u64, burst_rule: BurstRule) -> Self {
        NetworkBuilder {
            dt_ms,
            seed,
            burst_rule,
            info: Vec::new(),
            populations: Vec::new(),
            estimates: Vec::new(),
            projections: Vec::new(),
            currents: Vec::new(),
            teachers: Vec::new(),
            examples: ExampleSchedule::default(),
            actions: Vec::new(),
        }
    }

    /// Time step, ms.
    pub fn dt_ms(&self) -> f64 {
        self.dt_ms
    }

    /// Adds a population; `generated` marks sources made from an `[[input]]` entry.
    pub fn add_population(&mut self, name: String, generated: bool, pop: Population) -> PopulationId {
        self.estimates.push(Estimates::new(pop.len()));
        self.info.push(PopulationInfo { name, generated });
        self.populations.push(pop);
        PopulationId(self.populations.len() as u32 - 1)
    }

    /// A population added so far.
    pub fn population(&self, id: PopulationId) -> &Population {
        &self.populations[id.0 as usize]
    }

    /// A population added so far, mutably (the builder's caller checks its synapse targets).
    pub fn population_mut(&mut self, id: PopulationId) -> &mut Population {
        &mut self.populations[id.0 as usize]
    }

    /// Name and origin of a population added so far.
    pub fn info(&self, id: PopulationId) -> &PopulationInfo {
        &self.info[id.0 as usize]
    }

    /// Adds a projection, wiring it with `connect` from the run seed and the stream label
    /// `stream` (the projection's place in the model, so adding one does not rewire others).
    /// The model layer has checked the populations, the target compartment and the sizes.
    pub fn add_projection(
        &mut self,
        cfg: ProjectionConfig,
        connect: Connect,
        stream: u64,
    ) -> Result<usize, CombinationError> {
        cfg.validate()?;
        let (from, to) = (cfg.from.0 as usize, cfg.to.0 as usize);
        let (n_pre, n_post) = (self.populations[from].len(), self.populations[to].len());
        let csr = Csr::wire(connect, n_pre, n_post, from == to, self.seed, stream);
        self.add_projection_wired(cfg, csr, SynapseValues::default())
    }

    /// Adds a projection with the given connectivity (from an edge file, or wired with
    /// [`Csr::wire`] by the caller) and per-synapse weights or delays in its order. The model
    /// layer has checked every index against the populations' sizes.
    pub fn add_projection_wired(
        &mut self,
        cfg: ProjectionConfig,
        csr: Csr,
        values: SynapseValues,
    ) -> Result<usize, CombinationError> {
        let (from, to) = (cfg.from.0 as usize, cfg.to.0 as usize);
        let (n_pre, n_post) = (self.populations[from].len(), self.populations[to].len());
        let p = Projection::with_values(cfg, csr, values, n_pre, n_post, self.dt_ms, &mut self.estimates[to])?;
        self.projections.push(p);
        Ok(self.projections.len() - 1)
    }

    /// The run seed (wiring and per-synapse values are drawn from its streams).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Projections added so far.
    pub fn projections(&self) -> &[Projection] {
        &self.projections
    }

    /// Adds a current input (its target validated by the caller).
    pub fn add_current(&mut self, input: CurrentInput) -> usize {
        self.currents.push(input);
        self.currents.len() - 1
    }

    /// The event average with time constant `tau_ms` of population `target` (shared with its
    /// plastic projections of the same time constant), for a teacher.
    pub fn average(&mut self, target: PopulationId, tau_ms: f64) -> AverageId {
        self.estimates[target.0 as usize].average(tau_ms, self.dt_ms)
    }

    /// Adds a teacher; returns its index (protocol actions refer to it).
    pub fn add_teacher(&mut self, teacher: Teacher) -> usize {
        self.teachers.push(teacher);
        self.teachers.len() - 1
    }

    /// Sets the examples of a `[protocol]` (the recorder scores them).
    pub fn set_examples(&mut self, examples: ExampleSchedule) {
        self.examples = examples;
    }

    /// Teachers added so far.
    pub fn teachers(&self) -> &[Teacher] {
        &self.teachers
    }

    /// Current inputs added so far.
    pub fn currents(&self) -> &[CurrentInput] {
        &self.currents
    }

    /// Schedules a protocol change at `step` (indices from this builder).
    pub fn add_action(&mut self, step: u64, action: Action) {
        self.actions.push((step, action));
    }

    /// The network. Each source keeps spikes long enough for its projections (their delay, or
    /// the delay of their detector's trace feed).
    pub fn finish(self) -> Network {
        let n = self.populations.len();
        let mut depth = vec![0u32; n];
        let mut by_target = vec![Vec::new(); n];
        for (k, p) in self.projections.iter().enumerate() {
            let from = p.from().0 as usize;
            depth[from] = depth[from].max(p.history_depth());
            by_target[p.to().0 as usize].push(k);
        }
        let spikes = self
            .populations
            .iter()
            .zip(&depth)
            .map(|(pop, &d)| {
                let detector = match pop {
                    Population::Poisson(_) => None,
                    _ => Some(BurstDetector::new(pop.len(), BURST_TAU_MS, self.dt_ms, self.burst_rule)),
                };
                SpikeState::new(detector, d)
            })
            .collect();
        // Estimates exist only where a plastic projection or a teacher asked for them: those
        // populations count their events and bursts in the learn phase.
        let learners = by_target
            .iter()
            .enumerate()
            .filter(|(t, ks)| {
                ks.iter().any(|&k| self.projections[k].plasticity().is_some())
                    || self.teachers.iter().any(|th| th.target.0 as usize == *t)
            })
            .map(|(t, _)| t)
            .collect();
        Network {
            dt_ms: self.dt_ms,
            info: self.info,
            populations: self.populations,
            spikes,
            estimates: self.estimates,
            projections: self.projections,
            by_target,
            learners,
            fused_source: vec![false; n],
            currents: self.currents,
            teachers: self.teachers,
            examples: self.examples,
            protocol: Protocol::new(self.actions),
            step: 0,
            synaptic_events: 0,
            team: TeamSlot(None),
            timers: Default::default(),
        }
    }
}
