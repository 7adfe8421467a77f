//! A projection: static conductance synapses from one population onto one compartment and receptor
//! of another (spec 0.4-0.5).
//!
//! Weights are dimensionless conductance jumps in units of the target compartment's leak
//! conductance (spec 0.4, P2): a spike adds `weight` to g, and the target integrates
//! (dt/tau) g (E - V). Connectivity is stored as CSR by presynaptic neuron (u32 targets), so
//! delivery walks one contiguous row per spike.

use super::stp::{Stp, StpParams};
use crate::burst::{BurstDetector, BurstRule, SpikeClass, BURST_TAU_MS};
use crate::engine::SpikeHistory;
use crate::neuron::{Compartment, Receptor};
use crate::plasticity::{BurstRule as PlasticRule, BurstRuleParams};
use crate::rng::{uniform_open0, Rng};
use crate::PopulationId;

/// How pairs are connected.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Connect {
    /// Each pair independently with probability p; no self-connections when source = target.
    Probability(f64),
    /// Neuron i to neuron i (sizes must match).
    OneToOne,
    /// Every pair (no self-connections when source = target).
    AllToAll,
}

/// Sparse connectivity, CSR by presynaptic neuron.
#[derive(Clone, Debug, Default)]
pub struct Csr {
    /// Row start of each presynaptic neuron in `targets`; length n_pre + 1.
    pub row_start: Vec<usize>,
    /// Postsynaptic indices, increasing within a row.
    pub targets: Vec<u32>,
}

impl Csr {
    /// Draws connectivity between `n_pre` and `n_post` neurons. `same_population` excludes
    /// self-connections (i -> i). Probabilistic wiring walks the pre x post matrix row by row with
    /// geometric skips (the reference's `connect_block_random`), so its cost is proportional to the
    /// number of synapses, not of pairs.
    pub fn generate(connect: Connect, n_pre: usize, n_post: usize, same_population: bool, rng: &mut Rng) -> Csr {
        let mut row_start = Vec::with_capacity(n_pre + 1);
        let mut targets = Vec::new();
        row_start.push(0);
        match connect {
            Connect::OneToOne => {
                for i in 0..n_pre {
                    if i < n_post && !same_population {
                        targets.push(i as u32);
                    }
                    row_start.push(targets.len());
                }
            }
            Connect::AllToAll => {
                for i in 0..n_pre {
                    targets.extend((0..n_post as u32).filter(|&j| !(same_population && j as usize == i)));
                    row_start.push(targets.len());
                }
            }
            Connect::Probability(p) => {
                let total = (n_pre as u64) * (n_post as u64);
                targets.reserve((total as f64 * p * 1.05) as usize + 16);
                // log(1 - p): a skip of k pairs has probability (1-p)^k p.
                let ln_q = (-p).ln_1p();
                let mut pos: u64 = if p >= 1.0 { 0 } else { skip(rng, ln_q) };
                for i in 0..n_pre as u64 {
                    let row_end = (i + 1) * n_post as u64;
                    while pos < row_end {
                        let j = (pos - i * n_post as u64) as u32;
                        if !(same_population && j as u64 == i) {
                            targets.push(j);
                        }
                        pos += if p >= 1.0 { 1 } else { 1 + skip(rng, ln_q) };
                    }
                    row_start.push(targets.len());
                }
            }
        }
        Csr { row_start, targets }
    }

    /// Targets of presynaptic neuron `i`.
    #[inline]
    pub fn row(&self, i: u32) -> &[u32] {
        &self.targets[self.row_start[i as usize]..self.row_start[i as usize + 1]]
    }
}

/// Number of pairs skipped before the next connection: Geometric(p) on {0, 1, ...}.
#[inline]
fn skip(rng: &mut Rng, ln_q: f64) -> u64 {
    if ln_q == 0.0 {
        return u64::MAX / 2; // p = 0: never connect
    }
    let k = uniform_open0(rng).ln() / ln_q;
    if k >= (u64::MAX / 4) as f64 {
        u64::MAX / 4
    } else {
        k as u64
    }
}

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

/// Settings of a projection (everything but its connectivity).
#[derive(Clone, Debug)]
pub struct ProjectionConfig {
    /// Name (for messages and recording), e.g. "bg_exc->pyr.soma.exc".
    pub name: String,
    /// Source population.
    pub from: PopulationId,
    /// Target population.
    pub to: PopulationId,
    /// Target compartment.
    pub target: Compartment,
    /// Receptor.
    pub receptor: Receptor,
    /// Weight, in units of the target compartment's leak conductance.
    pub weight: f32,
    /// Delay from emission to delivery, steps (8 = 0.8 ms for ordinary projections, 0 for
    /// event/burst-filtered ones, spec 0.3).
    pub delay_steps: u32,
    /// Spike filter.
    pub transmit: Transmit,
    /// Short-term plasticity.
    pub stp: Option<StpParams>,
    /// Delay of the spikes feeding the filter's presynaptic trace, steps: the reference's pre
    /// trace sees spikes 0.8 ms late, so its event threshold is 16.8 ms (spec 2.1, P7); 0 gives
    /// the clean 16 ms.
    pub filter_trace_delay: u32,
    /// Burst-dependent plasticity (spec 5.1): per-synapse weights starting at `weight`, events-only
    /// transmission with zero delay (P7).
    pub plasticity: Option<BurstRuleParams>,
    /// Whether plasticity is on at the start (the reference keeps it off during warm-up, 5.2).
    pub plasticity_on: bool,
}

/// The postsynaptic population's classified spikes of this step, read by plastic projections.
#[derive(Clone, Copy, Debug, Default)]
pub struct PostSpikes<'a> {
    /// Every spike.
    pub spikes: &'a [u32],
    /// Events (spec 2.1 detector of the target population).
    pub events: &'a [u32],
    /// Bursts (second spikes).
    pub bursts: &'a [u32],
}

/// A projection between two populations.
#[derive(Clone, Debug)]
pub struct Projection {
    /// Settings.
    pub cfg: ProjectionConfig,
    /// Connectivity.
    pub csr: Csr,
    /// Short-term plasticity state.
    pub stp: Option<Stp>,
    /// The filter's own presynaptic detector (starts armed, as the reference's connections).
    filter: Option<BurstDetector>,
    /// Spikes selected at emission with their release factors, waiting for their delay: one
    /// list per step in a ring of delay + 1 (empty for plain projections, which read the
    /// source's delay buffer directly).
    pending: Vec<Vec<(u32, f32)>>,
    /// Factor on `cfg.weight` set by protocol phases (`weight_scale`), 1 by default.
    scale: f32,
    /// Per-synapse weights in CSR order (plastic projections only).
    pub weights: Option<Vec<f32>>,
    /// The plasticity rule's traces (plastic projections only).
    pub rule: Option<PlasticRule>,
}

impl Projection {
    /// A projection from `n_pre` neurons with connectivity `csr`.
    pub fn new(cfg: ProjectionConfig, csr: Csr, n_pre: usize, n_post: usize, dt_ms: f64) -> Self {
        let stp = cfg.stp.map(|p| Stp::new(n_pre, p, dt_ms));
        let filter = match cfg.transmit {
            Transmit::All => None,
            _ => Some(BurstDetector::new(n_pre, BURST_TAU_MS, dt_ms, BurstRule::Trace).armed_at_start()),
        };
        let plain = stp.is_none() && filter.is_none();
        let pending = if plain { Vec::new() } else { vec![Vec::new(); cfg.delay_steps as usize + 1] };
        let (weights, rule) = match &cfg.plasticity {
            Some(params) => {
                let mut rule = PlasticRule::new(&csr.row_start, &csr.targets, n_post, params.clone(), dt_ms);
                rule.set_enabled(cfg.plasticity_on);
                (Some(vec![cfg.weight; csr.targets.len()]), Some(rule))
            }
            None => (None, None),
        };
        Projection { cfg, csr, stp, filter, pending, scale: 1.0, weights, rule }
    }

    /// Sets the factor on the file's weight (protocol phases); static projections only.
    pub fn set_weight_scale(&mut self, scale: f32) {
        self.scale = scale;
    }

    /// Switches plasticity on or off (no effect on static projections).
    pub fn set_plasticity(&mut self, on: bool) {
        if let Some(r) = &mut self.rule {
            r.set_enabled(on);
        }
    }

    /// Mean weight (per-synapse weights for plastic projections, else the scaled weight).
    pub fn mean_weight(&self) -> f64 {
        match &self.weights {
            Some(w) if !w.is_empty() => w.iter().map(|&x| x as f64).sum::<f64>() / w.len() as f64,
            Some(_) => 0.0,
            None => (self.cfg.weight * self.scale) as f64,
        }
    }

    /// The projection's name.
    pub fn name(&self) -> &str {
        &self.cfg.name
    }

    /// Number of synapses.
    pub fn n_synapses(&self) -> usize {
        self.csr.targets.len()
    }

    /// Propagate phase (spec 0.2 step 2). Plain projections deliver the source's spikes of
    /// `delay` steps ago. Filtered or STP projections first select this step's spikes (the
    /// filter classifies each with its own presynaptic trace; STP computes each release from
    /// the state before the spike), queue them with their factors, then deliver the queue of
    /// `delay` steps ago. Must run after every population's integration of this step (the
    /// conductance first moves V at the next step, spec 0.3). Returns the synaptic events
    /// delivered.
    pub fn propagate(&mut self, step: u64, history: &SpikeHistory, g: &mut [f32], post: PostSpikes) -> u64 {
        let w = self.cfg.weight * self.scale;
        if self.pending.is_empty() {
            let spikes = history.delayed(step, self.cfg.delay_steps);
            let mut n = 0;
            for &i in spikes {
                let row = self.csr.row(i);
                n += row.len() as u64;
                for &j in row {
                    g[j as usize] += w;
                }
            }
            return n;
        }
        let ring = self.pending.len() as u64;
        let slot = &mut self.pending[(step % ring) as usize];
        slot.clear();
        for &i in history.at(step) {
            let keep = match (&mut self.filter, self.cfg.transmit) {
                (Some(det), Transmit::Events) => det.classify_one(step, i as usize) == SpikeClass::Event,
                (Some(det), Transmit::Bursts) => det.classify_one(step, i as usize) == SpikeClass::Burst,
                _ => true,
            };
            if keep {
                let factor = match &mut self.stp {
                    Some(stp) => stp.release(i),
                    None => 1.0,
                };
                slot.push((i, factor));
            }
        }
        if let (Some(weights), Some(rule)) = (&mut self.weights, &mut self.rule) {
            // Plastic (spec 5.1; zero delay, events only): (a) each presynaptic event delivers its
            // current weights, then the homeostatic pre update and E_pre += 1; then (b) the
            // postsynaptic events and bursts of this step update every incoming synapse.
            let mut n = 0;
            for &(j, _) in &self.pending[(step % ring) as usize] {
                let range = self.csr.row_start[j as usize]..self.csr.row_start[j as usize + 1];
                n += range.len() as u64;
                for s in range {
                    g[self.csr.targets[s] as usize] += weights[s];
                }
                rule.on_pre_event(j, &self.csr.row_start, &self.csr.targets, weights);
            }
            for &i in post.events {
                rule.on_post_event(i, weights);
            }
            for &i in post.bursts {
                rule.on_post_burst(i, weights);
            }
            return n;
        }
        let Some(src_step) = step.checked_sub(self.cfg.delay_steps as u64) else {
            return 0;
        };
        let mut n = 0;
        for &(i, factor) in &self.pending[(src_step % ring) as usize] {
            let row = self.csr.row(i);
            n += row.len() as u64;
            let wr = w * factor;
            for &j in row {
                g[j as usize] += wr;
            }
        }
        n
    }

    /// Relax phase (spec 0.2 step 4): STP variables relax; the filter's presynaptic trace takes
    /// the spikes of `filter_trace_delay` steps ago, then decays.
    pub fn relax(&mut self, step: u64, history: &SpikeHistory, post_spikes: &[u32]) {
        if let Some(stp) = &mut self.stp {
            stp.relax();
        }
        if let Some(rule) = &mut self.rule {
            rule.relax(post_spikes);
        }
        if let Some(det) = &mut self.filter {
            det.relax(history.delayed(step, self.cfg.filter_trace_delay));
        }
    }

    /// Bytes of connectivity and state.
    pub fn bytes(&self) -> usize {
        self.csr.targets.len() * 4
            + self.csr.row_start.len() * 8
            + self.stp.as_ref().map_or(0, |s| s.x.len() * 8)
            + self.filter.as_ref().map_or(0, |d| d.bytes())
            + self.weights.as_ref().map_or(0, |w| w.len() * 4)
            + self.rule.as_ref().map_or(0, |r| r.bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{stream_rng, Stream};

    fn rng() -> Rng {
        stream_rng(5, Stream::Wiring, &[0])
    }

    #[test]
    fn probability_wiring_matches_p_and_skips_self() {
        // 1000 x 1000 pairs minus the diagonal at p = 0.05: mean 49 950, sd sqrt(n p (1-p)) = 218.
        let c = Csr::generate(Connect::Probability(0.05), 1000, 1000, true, &mut rng());
        let n = c.targets.len() as f64;
        assert!((n - 49_950.0).abs() < 4.0 * 218.0, "{n}");
        for i in 0..1000u32 {
            let r = c.row(i);
            assert!(!r.contains(&i), "self-connection at {i}");
            assert!(r.windows(2).all(|w| w[0] < w[1]));
            assert!(r.iter().all(|&j| j < 1000));
        }
        // In-degree spread: mean 50 per neuron, every target reached by some source.
        let mut indeg = vec![0; 1000];
        for &j in &c.targets {
            indeg[j as usize] += 1;
        }
        assert!(indeg.iter().all(|&d| d > 20 && d < 90));
    }

    #[test]
    fn deterministic_structures() {
        let o = Csr::generate(Connect::OneToOne, 5, 5, false, &mut rng());
        assert_eq!(o.targets, vec![0, 1, 2, 3, 4]);
        let a = Csr::generate(Connect::AllToAll, 3, 3, true, &mut rng());
        assert_eq!(a.targets, vec![1, 2, 0, 2, 0, 1]);
        let a = Csr::generate(Connect::AllToAll, 2, 3, false, &mut rng());
        assert_eq!(a.row(1), &[0, 1, 2]);
        let p1 = Csr::generate(Connect::Probability(1.0), 3, 3, true, &mut rng());
        assert_eq!(p1.targets, a_to_a(3));
        let p0 = Csr::generate(Connect::Probability(0.0), 30, 30, false, &mut rng());
        assert!(p0.targets.is_empty() && p0.row_start.len() == 31);
    }

    fn cfg(transmit: Transmit, stp: Option<StpParams>, delay: u32) -> ProjectionConfig {
        ProjectionConfig {
            name: "t".into(),
            from: PopulationId(0),
            to: PopulationId(1),
            target: Compartment::Soma,
            receptor: Receptor::Exc,
            weight: 0.25,
            delay_steps: delay,
            transmit,
            stp,
            filter_trace_delay: 8,
            plasticity: None,
            plasticity_on: false,
        }
    }

    /// One presynaptic neuron firing at the given steps (0.1 ms), one-to-one onto one target;
    /// returns the conductance added at each step.
    fn deliveries(transmit: Transmit, stp: Option<StpParams>, spike_steps: &[u64], steps: u64) -> Vec<f32> {
        let mut p = Projection::new(
            cfg(transmit, stp, 0),
            Csr::generate(Connect::OneToOne, 1, 1, false, &mut rng()),
            1,
            1,
            0.1,
        );
        let mut h = SpikeHistory::new(8);
        let mut out = vec![];
        for s in 0..steps {
            let list = h.begin(s);
            if spike_steps.contains(&s) {
                list.push(0);
            }
            let mut g = vec![0.0];
            p.propagate(s, &h, &mut g, PostSpikes::default());
            out.push(g[0]);
            p.relax(s, &h, &[]);
        }
        out
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
        let mut p = Projection::new(
            cfg(Transmit::All, Some(d), 8),
            Csr::generate(Connect::OneToOne, 1, 1, false, &mut rng()),
            1,
            1,
            0.1,
        );
        let mut h = SpikeHistory::new(8);
        let mut got = vec![];
        for s in 0..70u64 {
            let l = h.begin(s);
            if s == 0 || s == 50 {
                l.push(0);
            }
            let mut g = vec![0.0];
            p.propagate(s, &h, &mut g, PostSpikes::default());
            got.push(g[0]);
            p.relax(s, &h, &[]);
        }
        // Releases 0.9 and 0.2964 (paired pulse at 5 ms with the reference increment u += U (1 - u))
        // times w = 0.25, 8 steps late.
        assert!((got[8] - 0.25 * 0.9).abs() < 1e-6);
        assert!((got[58] - 0.25 * 0.2964).abs() < 3e-4, "{}", got[58]);
        assert_eq!(got.iter().filter(|&&g| g > 0.0).count(), 2);
    }

    fn a_to_a(n: u32) -> Vec<u32> {
        (0..n).flat_map(|i| (0..n).filter(move |&j| j != i)).collect()
    }

    #[test]
    fn deliver_adds_weight_once_per_synapse_per_spike() {
        let csr = Csr::generate(Connect::AllToAll, 2, 3, false, &mut rng());
        let mut p = Projection::new(cfg(Transmit::All, None, 8), csr, 2, 3, 0.1);
        let mut h = SpikeHistory::new(8);
        let mut g = vec![0.0; 3];
        for step in 0..=9u64 {
            let l = h.begin(step);
            match step {
                0 => l.extend([0, 1]),
                1 => l.push(1),
                _ => {}
            }
            let n = p.propagate(step, &h, &mut g, PostSpikes::default());
            match step {
                8 => assert_eq!((n, g.clone()), (6, vec![0.5; 3]), "spikes of step 0 arrive at step 8"),
                9 => assert_eq!((n, g.clone()), (3, vec![0.75; 3])),
                _ => assert_eq!((n, g.clone()), (0, vec![0.0; 3]), "nothing before the delay (step {step})"),
            }
        }
    }
}
