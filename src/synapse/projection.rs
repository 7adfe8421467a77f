//! A projection: conductance synapses from one population onto one compartment and receptor of
//! another (spec 0.4-0.5), assembled from independent parts:
//!
//! * connectivity ([`Csr`], by presynaptic neuron),
//! * transmission ([`Transmission`]: all spikes, events only or bursts only, spec 4.5),
//! * short-term plasticity (none or Tsodyks-Markram, [`Stp`], spec 4.1),
//! * weights (one per projection or one per synapse, [`Weights`]),
//! * long-term plasticity (none or a rule, [`Plasticity`], spec 5),
//!
//! plus a delay. Any transmission combines with any STP, any delay and any rule; the one
//! combination refused is a rule on a shared weight ([`CombinationError`]).
//!
//! Weights are dimensionless conductance jumps in units of the target compartment's leak
//! conductance (spec 0.4, P2): a transmitted spike adds `w * release` to g (release = u x with
//! STP, else 1), and the target integrates (dt/tau) g (E - V).

use super::connectivity::Csr;
use super::stp::{Stp, StpParams};
use super::transmission::{Transmission, Transmit};
use super::weights::Weights;
use crate::neuron::{Compartment, Receptor};
use crate::plasticity::{Estimates, Plasticity, RuleParams};
use crate::PopulationId;

mod drive;

/// What a projection is made of (everything but its connectivity), as validated by the builder.
#[derive(Clone, Debug)]
pub struct ProjectionConfig {
    /// Name (for messages, protocols and recording), e.g. "bg_exc->pyr.soma.exc".
    pub name: String,
    /// Source population.
    pub from: PopulationId,
    /// Target population.
    pub to: PopulationId,
    /// Target compartment.
    pub target: Compartment,
    /// Receptor.
    pub receptor: Receptor,
    /// Initial weight, in units of the target compartment's leak conductance.
    pub weight: f32,
    /// One weight per synapse (required by plasticity) instead of one per projection.
    pub per_synapse: bool,
    /// Delay from emission to delivery, steps (8 = 0.8 ms for ordinary projections; the
    /// reference's filtered and plastic ones have 0, spec 0.3).
    pub delay_steps: u32,
    /// Spike filter.
    pub transmit: Transmit,
    /// Delay of the spikes feeding the presynaptic detector's trace, steps (8 in the reference,
    /// P7; 0 gives the clean 16 ms threshold).
    pub trace_delay: u32,
    /// Short-term plasticity.
    pub stp: Option<StpParams>,
    /// Long-term plasticity rule.
    pub plasticity: Option<RuleParams>,
    /// Whether the rule is on at the start (the reference keeps it off during warm-up, 5.2).
    pub plasticity_on: bool,
}

/// Occurs when the parts of a projection do not combine.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CombinationError {
    /// A plasticity rule changes each synapse's weight, so it needs one weight per synapse.
    #[error("a plasticity rule needs one weight per synapse (weights = \"synapse\"), not one per projection")]
    PlasticSharedWeight,
    /// A rule reads each presynaptic event when it arrives, at one delay for the whole row.
    #[error("one delay for the whole projection: a plasticity rule reads each presynaptic event at one delay")]
    PlasticSynapseDelays,
}

impl ProjectionConfig {
    /// Refuses combinations that cannot work (see [`CombinationError`]).
    pub fn validate(&self) -> Result<(), CombinationError> {
        if self.plasticity.is_some() && !self.per_synapse {
            return Err(CombinationError::PlasticSharedWeight);
        }
        Ok(())
    }
}

/// A presynaptic spike selected at emission, waiting for its delay.
#[derive(Clone, Copy, Debug)]
struct Queued {
    pre: u32,
    /// STP release factor (1 without STP; unused when not transmitted).
    release: f32,
    /// Reaches the synapses.
    transmitted: bool,
    /// Is a presynaptic event (plastic projections).
    event: bool,
}

/// Per-synapse delays: each row of the CSR is ordered by delay (then post) and split into groups
/// of equal delay, so delivery walks, for each distinct delay, the spikes of that many steps ago
/// and their group's part of the row.
#[derive(Clone, Debug)]
struct DelayGroups {
    /// The distinct delays, steps, increasing.
    delays: Vec<u32>,
    /// Start of group g of row i at `starts[i * (G + 1) + g]`, the row's end at g = G.
    starts: Vec<usize>,
}

impl DelayGroups {
    /// The part of row `i` with the `g`-th delay.
    #[inline]
    fn range(&self, i: u32, g: usize) -> std::ops::Range<usize> {
        let k = i as usize * (self.delays.len() + 1) + g;
        self.starts[k]..self.starts[k + 1]
    }
}

/// Per-synapse values given at construction (drawn from distributions or read from an edge
/// file), in the CSR's order.
#[derive(Clone, Debug, Default)]
pub struct SynapseValues {
    /// One weight per synapse (the projection then keeps per-synapse weights).
    pub weights: Option<Vec<f32>>,
    /// One delay per synapse, steps.
    pub delays: Option<Vec<u32>>,
}

/// A projection between two populations.
#[derive(Clone, Debug)]
pub struct Projection {
    cfg: ProjectionConfig,
    csr: Csr,
    transmission: Transmission,
    stp: Option<Stp>,
    weights: Weights,
    plasticity: Option<Plasticity>,
    /// Spikes selected at emission (classified, STP release computed), one list per step in a
    /// ring of delay + 1; empty for plain projections, which read the source's delay buffer.
    queue: Vec<Vec<Queued>>,
    /// Size of the target population: every entry of `csr.targets` is below it (checked in
    /// [`Projection::new`]; the CSR cannot change afterwards), which lets delivery index the
    /// target's conductances without bounds checks.
    n_post: usize,
    /// The CSR is one-to-one (row i holds target i only): delivery then adds to g[i] directly,
    /// the same additions in the same order without the row lookups (Poisson drives).
    identity: bool,
    /// Per-synapse delays, when the synapses of a row do not share one (`cfg.delay_steps` is
    /// then the largest).
    groups: Option<DelayGroups>,
}

impl Projection {
    /// Assembles a projection from `n_pre` neurons onto `n_post` neurons whose shared estimates
    /// are `post` (a rule asks them for what it reads).
    pub fn new(
        cfg: ProjectionConfig,
        csr: Csr,
        n_pre: usize,
        n_post: usize,
        dt_ms: f64,
        post: &mut Estimates,
    ) -> Result<Self, CombinationError> {
        Self::with_values(cfg, csr, SynapseValues::default(), n_pre, n_post, dt_ms, post)
    }

    /// [`Projection::new`] with per-synapse weights or delays (in the CSR's order). Delays that
    /// are all equal become the projection's one delay; otherwise each row is reordered by delay
    /// (its values following) and `cfg.delay_steps` is ignored.
    pub fn with_values(
        mut cfg: ProjectionConfig,
        mut csr: Csr,
        values: SynapseValues,
        n_pre: usize,
        n_post: usize,
        dt_ms: f64,
        post: &mut Estimates,
    ) -> Result<Self, CombinationError> {
        let SynapseValues { weights: mut synapse_weights, delays } = values;
        let mut groups = None;
        if let Some(d) = delays {
            assert_eq!(d.len(), csr.targets.len(), "projection {}: one delay per synapse", cfg.name);
            let first = d.first().copied().unwrap_or(cfg.delay_steps);
            if d.iter().all(|&x| x == first) {
                cfg.delay_steps = first;
            } else {
                if cfg.plasticity.is_some() {
                    return Err(CombinationError::PlasticSynapseDelays);
                }
                let g = group_by_delay(&mut csr, &d, synapse_weights.as_deref_mut());
                cfg.delay_steps = *g.delays.last().expect("two delays at least");
                groups = Some(g);
            }
        }
        if synapse_weights.is_some() {
            cfg.per_synapse = true;
        }
        cfg.validate()?;
        // The proof behind the unchecked indexing of `scatter_shared` and `scatter_each` (a max,
        // which vectorises: the wiring itself never draws a target outside the population).
        assert!(
            csr.targets.iter().copied().max().is_none_or(|j| (j as usize) < n_post),
            "projection {}: a target index is not below the target population's size {n_post}",
            cfg.name
        );
        let stp = cfg.stp.map(|p| Stp::new(n_pre, p, dt_ms));
        let transmission = Transmission::new(cfg.transmit, cfg.plasticity.is_some(), n_pre, cfg.trace_delay, dt_ms);
        let plain = stp.is_none() && !transmission.classifies();
        let queue = if plain { Vec::new() } else { vec![Vec::new(); cfg.delay_steps as usize + 1] };
        let weights = if let Some(w) = synapse_weights {
            assert_eq!(w.len(), csr.targets.len(), "projection {}: one weight per synapse", cfg.name);
            Weights::PerSynapse(w)
        } else if cfg.per_synapse {
            Weights::PerSynapse(vec![cfg.weight; csr.targets.len()])
        } else {
            Weights::Shared { weight: cfg.weight, scale: 1.0 }
        };
        let plasticity = cfg
            .plasticity
            .clone()
            .map(|p| Plasticity::new(p, &csr.row_start, &csr.targets, n_post, post, dt_ms, cfg.plasticity_on));
        let identity = groups.is_none()
            && csr.targets.len() == n_pre
            && csr.row_start.iter().enumerate().all(|(i, &r)| r == i)
            && csr.targets.iter().enumerate().all(|(i, &j)| j as usize == i);
        Ok(Projection { cfg, csr, transmission, stp, weights, plasticity, queue, n_post, identity, groups })
    }

    /// The delay of every synapse, steps, in CSR order.
    pub fn synapse_delays(&self) -> Vec<u32> {
        let mut out = vec![self.cfg.delay_steps; self.csr.targets.len()];
        if let Some(g) = &self.groups {
            for i in 0..self.csr.row_start.len() as u32 - 1 {
                for (k, &d) in g.delays.iter().enumerate() {
                    out[g.range(i, k)].fill(d);
                }
            }
        }
        out
    }

    /// The smallest and largest delay, steps.
    pub fn delay_range(&self) -> (u32, u32) {
        match &self.groups {
            Some(g) => (g.delays[0], *g.delays.last().expect("non-empty")),
            None => (self.cfg.delay_steps, self.cfg.delay_steps),
        }
    }

    /// The projection's settings.
    pub fn config(&self) -> &ProjectionConfig {
        &self.cfg
    }

    /// The projection's name.
    pub fn name(&self) -> &str {
        &self.cfg.name
    }

    /// Source population.
    pub fn from(&self) -> PopulationId {
        self.cfg.from
    }

    /// Target population.
    pub fn to(&self) -> PopulationId {
        self.cfg.to
    }

    /// Connectivity.
    pub fn csr(&self) -> &Csr {
        &self.csr
    }

    /// Weights.
    pub fn weights(&self) -> &Weights {
        &self.weights
    }

    /// Short-term plasticity state.
    pub fn stp(&self) -> Option<&Stp> {
        self.stp.as_ref()
    }

    /// The plastic part.
    pub fn plasticity(&self) -> Option<&Plasticity> {
        self.plasticity.as_ref()
    }

    /// Number of synapses.
    pub fn n_synapses(&self) -> usize {
        self.csr.targets.len()
    }

    /// Mean weight.
    pub fn mean_weight(&self) -> f64 {
        self.weights.mean()
    }

    /// Steps of the source's spike history this projection reads: its delay when it reads the
    /// delay buffer, else the delay of its detector's trace feed.
    pub fn history_depth(&self) -> u32 {
        match (self.queue.is_empty(), self.transmission.classifies()) {
            (true, _) => self.cfg.delay_steps,
            (false, true) => self.transmission.trace_delay(),
            (false, false) => 0,
        }
    }

    /// Sets the factor on the file's weight (protocol phases); shared weights only (checked by
    /// the model builder; a no-op otherwise).
    pub fn set_weight_scale(&mut self, factor: f32) {
        if let Weights::Shared { scale, .. } = &mut self.weights {
            *scale = factor;
        }
    }

    /// A 64-bit FNV-1a hash of the wiring (row starts and targets), which a restored state must
    /// match: the same model and seed wire the same synapses, an edited model or another seed
    /// does not.
    pub fn wiring_hash(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |x: u64| {
            for b in x.to_le_bytes() {
                h = (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
            }
        };
        self.csr.row_start.iter().for_each(|&r| eat(r as u64));
        self.csr.targets.iter().for_each(|&t| eat(t as u64));
        h
    }

    /// Saves or restores what changes while the network runs: the weights (or the protocol's
    /// factor on a shared one), the STP variables, the detector, the rule's presynaptic traces and
    /// switch, and the spikes queued for delivery; the wiring is checked, not restored.
    pub fn persist(&mut self, io: &mut crate::persist::StateIo) {
        let (mut hash, mut n_syn) = (self.wiring_hash(), self.csr.targets.len() as u64);
        let (model_hash, model_n) = (hash, n_syn);
        io.value("n_synapses", &mut n_syn);
        io.value("wiring_hash", &mut hash);
        if !io.is_saving() && (hash, n_syn) != (model_hash, model_n) {
            io.problem(
                "wiring_hash",
                format!(
                    "the saved projection has {n_syn} synapses wired otherwise than the model's {model_n} \
                     (another seed, or an edited connection rule)"
                ),
            );
            return;
        }
        match &mut self.weights {
            Weights::Shared { scale, .. } => io.value("weight_scale", scale),
            Weights::PerSynapse(w) => io.slice("weights", w),
        }
        if let Some(stp) = &mut self.stp {
            io.scope("stp", |io| {
                io.slice("x", &mut stp.x);
                io.slice("u", &mut stp.u);
            });
        }
        if let Some(d) = self.transmission.detector_mut() {
            io.scope("detector", |io| d.persist(io));
        }
        if let Some(p) = &mut self.plasticity {
            io.scope("plasticity", |io| p.persist(io));
        }
        if !self.queue.is_empty() {
            let mut pre: Vec<Vec<u32>> = self.queue.iter().map(|q| q.iter().map(|x| x.pre).collect()).collect();
            let mut release: Vec<Vec<f32>> = self.queue.iter().map(|q| q.iter().map(|x| x.release).collect()).collect();
            let flags = |f: fn(&Queued) -> bool| -> Vec<Vec<u8>> {
                self.queue.iter().map(|q| q.iter().map(|x| f(x).into()).collect()).collect()
            };
            let (mut transmitted, mut event) = (flags(|q| q.transmitted), flags(|q| q.event));
            io.scope("queue", |io| {
                io.lists("pre", &mut pre);
                io.lists("release", &mut release);
                io.lists("transmitted", &mut transmitted);
                io.lists("event", &mut event);
            });
            for (k, slot) in self.queue.iter_mut().enumerate() {
                let (p, r, t, e) = (&pre[k], &release[k], &transmitted[k], &event[k]);
                if p.len() != r.len() || p.len() != t.len() || p.len() != e.len() {
                    io.problem("queue", "its lists differ in length");
                    return;
                }
                slot.clear();
                slot.extend((0..p.len()).map(|i| Queued {
                    pre: p[i],
                    release: r[i],
                    transmitted: t[i] != 0,
                    event: e[i] != 0,
                }));
            }
        }
    }

    /// Replaces the per-synapse weights by `w` (same order and length, checked by the caller);
    /// false, changing nothing, for a projection with one shared weight or another length.
    pub fn set_weights(&mut self, w: &[f32]) -> bool {
        match &mut self.weights {
            Weights::PerSynapse(v) if v.len() == w.len() => {
                v.copy_from_slice(w);
                true
            }
            _ => false,
        }
    }

    /// Switches plasticity on or off (no effect on static projections).
    pub fn set_plasticity(&mut self, on: bool) {
        if let Some(p) = &mut self.plasticity {
            p.set_enabled(on);
        }
    }

    /// Deliver phase (spec 0.2 step 2): `now` are the source's spikes of this step, `delayed`
    /// those of `delay` steps ago. Plain projections deliver `delayed`. The others first select
    /// this step's spikes (their detector classifies each, STP computes its release from the
    /// state before the spike), queue them, then deliver the queue of `delay` steps ago. Must run
    /// after every population's integration of this step (the conductance first moves V at the
    /// next step, spec 0.3). Returns the synaptic events delivered.
    pub fn deliver<'s>(&mut self, step: u64, history: impl Fn(u32) -> &'s [u32], g: &mut [f32]) -> u64 {
        // With the check of `new`, every target indexes `g`: the scatters rely on it.
        assert!(
            g.len() >= self.n_post,
            "projection {}: {} conductances for {} targets",
            self.cfg.name,
            g.len(),
            self.n_post
        );
        let csr = &self.csr;
        let rows = |i: u32| csr.row_start[i as usize]..csr.row_start[i as usize + 1];
        if self.queue.is_empty() {
            if let Some(groups) = &self.groups {
                // each delay's part of the rows, with the spikes of that many steps ago
                let mut n = 0;
                for (k, &d) in groups.delays.iter().enumerate() {
                    let spikes = history(d).iter().map(|&i| (groups.range(i, k), 1.0));
                    n += self.weights.scatter(csr, spikes, false, g);
                }
                return n;
            }
            let delayed = history(self.cfg.delay_steps);
            if self.identity {
                // Row i is [i]: g[i] += w (or w_i), spike by spike as the general path.
                match &self.weights {
                    Weights::Shared { weight, scale } => {
                        let w = weight * scale;
                        for &i in delayed {
                            g[i as usize] += w;
                        }
                    }
                    Weights::PerSynapse(w) => {
                        for &i in delayed {
                            g[i as usize] += w[i as usize];
                        }
                    }
                }
                return delayed.len() as u64;
            }
            return self.weights.scatter(csr, delayed.iter().map(|&i| (rows(i), 1.0)), false, g);
        }
        let ring = self.queue.len() as u64;
        let plastic = self.plasticity.is_some();
        let slot = &mut self.queue[(step % ring) as usize];
        slot.clear();
        for &i in history(0) {
            let sel = self.transmission.select(step, i);
            if sel.transmitted || (plastic && sel.event) {
                // STP sees the transmitted spikes only: they are the ones that release.
                let release = match (&mut self.stp, sel.transmitted) {
                    (Some(stp), true) => stp.release(i),
                    _ => 1.0,
                };
                slot.push(Queued { pre: i, release, transmitted: sel.transmitted, event: sel.event });
            }
        }
        let with_release = self.stp.is_some();
        if let Some(groups) = &self.groups {
            let mut n = 0;
            for (k, &d) in groups.delays.iter().enumerate() {
                let Some(src) = step.checked_sub(d as u64) else { continue };
                let queued = self.queue[(src % ring) as usize].iter().filter(|q| q.transmitted);
                n += self.weights.scatter(csr, queued.map(|q| (groups.range(q.pre, k), q.release)), with_release, g);
            }
            return n;
        }
        let Some(src) = step.checked_sub(self.cfg.delay_steps as u64) else {
            return 0;
        };
        let arriving =
            self.queue[(src % ring) as usize].iter().filter(|q| q.transmitted).map(|q| (rows(q.pre), q.release));
        self.weights.scatter(csr, arriving, with_release, g)
    }

    /// Learn phase (spec 0.2 step 2, after every delivery of the step): the presynaptic events
    /// arriving now (emitted `delay` steps ago) update the rule and E_pre, then the target's
    /// events and bursts of this step update the incoming weights. `post` holds the target's
    /// estimates, not yet counting this step's events. No-op for static projections.
    pub fn learn(&mut self, step: u64, post_events: &[u32], post_bursts: &[u32], post: &Estimates) {
        let (Some(pl), Weights::PerSynapse(w)) = (&mut self.plasticity, &mut self.weights) else {
            return;
        };
        if let Some(src) = step.checked_sub(self.cfg.delay_steps as u64) {
            let ring = self.queue.len() as u64;
            for q in self.queue[(src % ring) as usize].iter().filter(|q| q.event) {
                let row = self.csr.row_start[q.pre as usize]..self.csr.row_start[q.pre as usize + 1];
                pl.on_pre_event(q.pre, row, &self.csr.targets, w, post);
            }
        }
        pl.on_post(post_events, post_bursts, w, post);
    }

    /// Relax phase (spec 0.2 step 4): STP variables relax, E_pre decays, and the detector's trace
    /// takes `fed` (the source's spikes of `trace_delay` steps ago), then decays.
    pub fn relax(&mut self, fed: &[u32]) {
        if let Some(stp) = &mut self.stp {
            stp.relax();
        }
        if let Some(p) = &mut self.plasticity {
            p.relax();
        }
        self.transmission.relax(fed);
    }

    /// True when [`Projection::relax`] has state to relax (STP, a rule's traces, a detector).
    pub fn relaxes(&self) -> bool {
        self.stp.is_some() || self.plasticity.is_some() || self.transmission.classifies()
    }

    /// Delay of the detector's trace feed, steps.
    pub fn trace_delay(&self) -> u32 {
        self.transmission.trace_delay()
    }

    /// One line of its parts, for `burstsim check`.
    pub fn describe(&self) -> String {
        let c = &self.cfg;
        let mut s = format!("w {}", c.weight);
        if c.per_synapse {
            s += " per synapse";
        }
        match self.delay_range() {
            (lo, hi) if lo != hi => s += &format!(", delays {lo}-{hi} steps per synapse"),
            _ => s += &format!(", delay {} steps", c.delay_steps),
        }
        if let Weights::PerSynapse(w) = &self.weights {
            if w.iter().any(|&x| x != c.weight) {
                s += &format!(" (weights per synapse, mean {:.4})", self.weights.mean());
            }
        }
        if c.transmit != Transmit::All {
            s += &format!(", {} only", c.transmit.name());
        }
        if let Some(p) = &c.stp {
            s += &format!(", stp U {} f {} tau_D {} ms tau_F {} ms u0 {}", p.u, p.f, p.tau_d_ms, p.tau_f_ms, p.u_init);
        }
        if let Some(p) = &self.plasticity {
            s += &format!(", {}{}", p.rule().describe(), if p.enabled() { "" } else { " (off at start)" });
        }
        s
    }

    /// Bytes of connectivity and state.
    pub fn bytes(&self) -> usize {
        self.csr.targets.len() * 4
            + self.csr.row_start.len() * 8
            + self.stp.as_ref().map_or(0, |s| s.x.len() * 8)
            + self.transmission.bytes()
            + self.weights.bytes()
            + self.plasticity.as_ref().map_or(0, |p| p.bytes())
    }
}

/// Orders each row of `csr` by delay (then post, stably), `weights` following, and returns the
/// groups of equal delay.
fn group_by_delay(csr: &mut Csr, delays: &[u32], mut weights: Option<&mut [f32]>) -> DelayGroups {
    let mut distinct = delays.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let n_pre = csr.row_start.len() - 1;
    let g = distinct.len();
    let mut starts = Vec::with_capacity(n_pre * (g + 1));
    for i in 0..n_pre {
        let (lo, hi) = (csr.row_start[i], csr.row_start[i + 1]);
        let mut order: Vec<usize> = (lo..hi).collect();
        order.sort_by_key(|&k| (delays[k], csr.targets[k]));
        let targets: Vec<u32> = order.iter().map(|&k| csr.targets[k]).collect();
        csr.targets[lo..hi].copy_from_slice(&targets);
        if let Some(w) = weights.as_deref_mut() {
            let ws: Vec<f32> = order.iter().map(|&k| w[k]).collect();
            w[lo..hi].copy_from_slice(&ws);
        }
        let row_delays: Vec<u32> = order.iter().map(|&k| delays[k]).collect();
        for &d in &distinct {
            starts.push(lo + row_delays.partition_point(|&x| x < d));
        }
        starts.push(hi);
    }
    DelayGroups { delays: distinct, starts }
}

impl Weights {
    /// Adds `w * release` (or `w` when `with_release` is false, which keeps the reference's sums
    /// exact) to g of every synapse in each range of `csr`; returns the synaptic events. Every
    /// target of `csr` must be below `g.len()` ([`Projection::new`] and [`Projection::deliver`]
    /// check it).
    #[inline]
    fn scatter(
        &self,
        csr: &Csr,
        spikes: impl Iterator<Item = (std::ops::Range<usize>, f32)>,
        with_release: bool,
        g: &mut [f32],
    ) -> u64 {
        match self {
            Weights::Shared { weight, scale } => scatter_shared(csr, spikes, weight * scale, with_release, g),
            Weights::PerSynapse(w) => scatter_each(csr, spikes, w, with_release, g),
        }
    }
}

/// [`Weights::scatter`] with one weight for every synapse.
#[inline]
fn scatter_shared(
    csr: &Csr,
    spikes: impl Iterator<Item = (std::ops::Range<usize>, f32)>,
    w: f32,
    with_release: bool,
    g: &mut [f32],
) -> u64 {
    let mut n = 0;
    for (range, release) in spikes {
        let row = &csr.targets[range];
        n += row.len() as u64;
        let wr = if with_release { w * release } else { w };
        for &j in row {
            debug_assert!((j as usize) < g.len());
            // SAFETY: every target is below n_post <= g.len() (Projection::new, deliver).
            unsafe { *g.get_unchecked_mut(j as usize) += wr };
        }
    }
    n
}

/// [`Weights::scatter`] with one weight per synapse.
#[inline]
fn scatter_each(
    csr: &Csr,
    spikes: impl Iterator<Item = (std::ops::Range<usize>, f32)>,
    w: &[f32],
    with_release: bool,
    g: &mut [f32],
) -> u64 {
    let mut n = 0;
    for (range, release) in spikes {
        n += range.len() as u64;
        let (targets, w) = (&csr.targets[range.clone()], &w[range]);
        if with_release {
            for (&j, &w) in targets.iter().zip(w) {
                debug_assert!((j as usize) < g.len());
                // SAFETY: every target is below n_post <= g.len() (Projection::new, deliver).
                unsafe { *g.get_unchecked_mut(j as usize) += w * release };
            }
        } else {
            for (&j, &w) in targets.iter().zip(w) {
                debug_assert!((j as usize) < g.len());
                // SAFETY: as above.
                unsafe { *g.get_unchecked_mut(j as usize) += w };
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::super::connectivity::Connect;
    use super::*;
    fn cfg(transmit: Transmit, stp: Option<StpParams>, delay: u32) -> ProjectionConfig {
        ProjectionConfig {
            name: "t".into(),
            from: PopulationId(0),
            to: PopulationId(1),
            target: Compartment::Soma,
            receptor: Receptor::Exc,
            weight: 0.25,
            per_synapse: false,
            delay_steps: delay,
            transmit,
            trace_delay: 8,
            stp,
            plasticity: None,
            plasticity_on: false,
        }
    }

    /// Drives `p` (one presynaptic neuron onto one target) with spikes at the given steps and a
    /// source history of 8 steps; returns the conductance added at each step.
    fn drive(mut p: Projection, spike_steps: &[u64], steps: u64) -> Vec<f32> {
        let mut hist: Vec<Vec<u32>> = Vec::new();
        let mut out = vec![];
        for s in 0..steps {
            hist.push(if spike_steps.contains(&s) { vec![0] } else { vec![] });
            let at = |d: u32| s.checked_sub(d as u64).map_or(&[][..], |k| &hist[k as usize][..]);
            let mut g = vec![0.0];
            p.deliver(s, at, &mut g);
            out.push(g[0]);
            p.relax(at(p.trace_delay()));
        }
        out
    }

    fn one(c: ProjectionConfig) -> Projection {
        let csr = Csr::wire(Connect::OneToOne, 1, 1, false, 5, 0);
        Projection::new(c, csr, 1, 1, 0.1, &mut Estimates::new(1)).unwrap()
    }

    fn deliveries(transmit: Transmit, stp: Option<StpParams>, spike_steps: &[u64], steps: u64) -> Vec<f32> {
        drive(one(cfg(transmit, stp, 0)), spike_steps, steps)
    }

    #[test]
    fn events_only_and_bursts_only_split_a_burst() {
        // An isolated spike, then a burst (two spikes 5 ms apart) 100 ms later.
        let spikes = [0, 1000, 1050];
        let ev = deliveries(Transmit::Events, None, &spikes, 1200);
        let bu = deliveries(Transmit::Bursts, None, &spikes, 1200);
        assert_eq!((ev[0], ev[1000], ev[1050]), (0.25, 0.25, 0.0));
        assert_eq!((bu[0], bu[1000], bu[1050]), (0.0, 0.0, 0.25));
        // Zero delay: delivered in the emission step, and nowhere else.
        assert_eq!(ev.iter().filter(|&&g| g > 0.0).count(), 2);
        assert_eq!(bu.iter().filter(|&&g| g > 0.0).count(), 1);
    }

    #[test]
    fn presynaptic_trace_sees_spikes_0_8_ms_late() {
        // The reference's pre trace is fed with 0.8 ms delayed spikes (P7): a second spike
        // 16.5 ms after a first one still finds x = e^(-15.7/16) > e^-1 and makes a burst; at
        // 17 ms x = e^(-16.2/16) < e^-1 and it is an event.
        let bu = deliveries(Transmit::Bursts, None, &[0, 165], 300);
        assert_eq!(bu[165], 0.25);
        let ev = deliveries(Transmit::Events, None, &[0, 170], 300);
        assert_eq!((ev[0], ev[170]), (0.25, 0.25));
        let ev = deliveries(Transmit::Events, None, &[0, 165], 300);
        assert_eq!(ev[165], 0.0);
    }

    #[test]
    fn stp_release_travels_with_the_spike_through_the_delay() {
        let mut d = StpParams::depressing();
        d.u_init = d.u;
        let got = drive(one(cfg(Transmit::All, Some(d), 8)), &[0, 50], 70);
        // Releases 0.9 and 0.2964 (paired pulse at 5 ms with the reference increment u += U (1 - u))
        // times w = 0.25, 8 steps late.
        assert!((got[8] - 0.25 * 0.9).abs() < 1e-6);
        assert!((got[58] - 0.25 * 0.2964).abs() < 3e-4, "{}", got[58]);
        assert_eq!(got.iter().filter(|&&g| g > 0.0).count(), 2);
    }

    #[test]
    fn stp_on_a_filter_sees_only_transmitted_spikes() {
        // Bursts only + depressing STP from rest: the first transmitted spike (the second of the
        // burst at step 1050) releases u x = U = 0.9, because the isolated spike and the burst's
        // first spike were not transmitted and did not deplete x.
        let mut d = StpParams::depressing();
        d.u_init = d.u;
        let got = drive(one(cfg(Transmit::Bursts, Some(d), 3)), &[0, 1000, 1050], 1100);
        assert!((got[1053] - 0.25 * 0.9).abs() < 1e-6, "{}", got[1053]);
        assert_eq!(got.iter().filter(|&&g| g > 0.0).count(), 1);
    }

    #[test]
    fn deliver_adds_weight_once_per_synapse_per_spike() {
        let csr = Csr::wire(Connect::AllToAll, 2, 3, false, 5, 0);
        let mut p = Projection::new(cfg(Transmit::All, None, 8), csr, 2, 3, 0.1, &mut Estimates::new(3)).unwrap();
        let hist: [&[u32]; 2] = [&[0, 1], &[1]];
        let mut g = vec![0.0; 3];
        for step in 0..=9u64 {
            let at = |d: u32| step.checked_sub(d as u64).and_then(|k| hist.get(k as usize).copied()).unwrap_or(&[]);
            let n = p.deliver(step, at, &mut g);
            match step {
                8 => assert_eq!((n, g.clone()), (6, vec![0.5; 3]), "spikes of step 0 arrive at step 8"),
                9 => assert_eq!((n, g.clone()), (3, vec![0.75; 3])),
                _ => assert_eq!((n, g.clone()), (0, vec![0.0; 3]), "nothing before the delay (step {step})"),
            }
        }
    }

    #[test]
    fn plasticity_on_a_shared_weight_is_refused() {
        let mut c = cfg(Transmit::All, None, 0);
        c.plasticity = Some(RuleParams::BurstCcn(crate::plasticity::BurstCcnParams::new(0.01, 100.0, 0.2)));
        let csr = Csr::wire(Connect::OneToOne, 1, 1, false, 5, 0);
        let e = Projection::new(c, csr, 1, 1, 0.1, &mut Estimates::new(1)).unwrap_err();
        assert_eq!(e, CombinationError::PlasticSharedWeight);
        assert!(e.to_string().contains("weights = \"synapse\""));
    }
}
