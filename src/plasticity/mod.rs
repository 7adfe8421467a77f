//! Long-term plasticity of projections: the plastic part of a projection and its rules.
//!
//! Every rule here is *post-triggered and gated by a presynaptic event trace*:
//!
//! ```text
//!   dW_ij/dt = a_event(i) E_i(t) E_pre_j(t) + a_burst(i) B_i(t) E_pre_j(t)  [+ pre-triggered terms]
//! ```
//!
//! with E_i, B_i the postsynaptic event and burst trains (spec 2.1), E_pre_j the presynaptic event
//! trace (+1 per event, decay tau_pre) and the factors a set by the rule from the postsynaptic
//! estimates it reads ([`estimates`], shared per target population). [`Plasticity`] owns what every
//! rule needs (the E_pre trace, a by-post index of the synapses, the on/off switch) and applies the
//! updates; a rule only says how much (trait [`PlasticityRule`]).
//!
//! Rules: [`burst_rule`], the reference's burst-dependent rule (spec 5.1, moving-average P_bar);
//! [`burstccn`], the BurstCCN rule with a fixed baseline (burstccn-rate.md 1.4 at the spiking
//! level). A new rule = its file + one line in the `rules!` list below + one schema variant and
//! builder arm in `model`.
//!
//! Order within a step (spec 0.2, P11), driven by the engine's learn phase: presynaptic events
//! (pre-triggered terms, then E_pre_j += 1) before postsynaptic events and bursts, so that a
//! postsynaptic update sees the presynaptic events of the same step; the target's estimates count
//! this step's events and bursts only after every projection onto it has learned.

pub mod burst_rule;
pub mod burstccn;
pub mod estimates;
pub mod standalone;

pub use burst_rule::{BurstRule, BurstRuleParams, EmptyEstimate, Homeostasis};
pub use burstccn::{BurstCcnParams, BurstCcnRule};
pub use estimates::{AverageId, Estimates, EventBurstAverage, SpikeRateId, SpikeRateTrace};
pub use standalone::StandaloneRule;

/// What a rule decides; the weights, traces and indices belong to [`Plasticity`].
pub trait PlasticityRule {
    /// Name as written in model files (`rule = "..."`).
    fn name(&self) -> &'static str;
    /// One line for `burstsim check`.
    fn describe(&self) -> String;
    /// Time constant of the presynaptic event trace E_pre, ms.
    fn tau_pre_ms(&self) -> f64;
    /// Weight bounds (w_min, w_max); every update is clipped to them.
    fn bounds(&self) -> (f64, f64);
    /// The postsynaptic event/burst average the rule reads, if any (recorded as its estimates).
    fn average(&self) -> Option<AverageId> {
        None
    }
    /// Pre-triggered change at a presynaptic event, before E_pre_j += 1: `targets` and
    /// `weights` are the synapses of the presynaptic neuron (same order). Default: none.
    fn on_pre_event(&self, _targets: &[u32], _weights: &mut [f32], _post: &Estimates) {}
    /// Factor a_event(i): at an event of post `i`, w_ij += a E_pre_j for every synapse j -> i.
    fn post_event(&self, i: u32, post: &Estimates) -> f64;
    /// Factor a_burst(i): at a burst of post `i`, w_ij += a E_pre_j for every synapse j -> i.
    fn post_burst(&self, i: u32, post: &Estimates) -> f64;
}

/// Declares the rules: one line per rule (its variant, state type and parameter type). Generates
/// [`RuleParams`], [`Rule`] and their dispatch, so nothing else lists the rules.
macro_rules! rules {
    ($($(#[$doc:meta])* $variant:ident($rule:ty, $params:ty)),* $(,)?) => {
        /// A rule's parameters, as validated by the model builder.
        #[derive(Clone, Debug, PartialEq)]
        pub enum RuleParams {
            $($(#[$doc])* $variant($params),)*
        }

        /// A rule's state.
        #[derive(Clone, Debug)]
        pub enum Rule {
            $($(#[$doc])* $variant($rule),)*
        }

        impl Rule {
            /// Builds a rule onto a population whose estimates are `post` (the rule asks them for
            /// the averages it reads).
            pub fn new(params: RuleParams, post: &mut Estimates, dt_ms: f64) -> Rule {
                match params {
                    $(RuleParams::$variant(p) => Rule::$variant(<$rule>::new(p, post, dt_ms)),)*
                }
            }

            /// The rule as a trait object.
            pub fn get(&self) -> &dyn PlasticityRule {
                match self {
                    $(Rule::$variant(r) => r,)*
                }
            }
        }
    };
}

rules! {
    /// The reference's burst-dependent rule (spec 5.1).
    Burst(BurstRule, BurstRuleParams),
    /// The BurstCCN rule with a fixed baseline p_b (burstccn-rate.md 1.4).
    BurstCcn(BurstCcnRule, BurstCcnParams),
}

/// The incoming synapses of each postsynaptic neuron, as indices into a CSR-by-presynaptic
/// connectivity (a CSC view), so a postsynaptic update touches only that neuron's synapses.
#[derive(Clone, Debug)]
pub struct ByPost {
    /// Entries `start[i]..start[i + 1]` of `syn` and `pre` belong to post i; length n_post + 1.
    start: Vec<usize>,
    /// Synapse index (into the CSR arrays and the weights), increasing pre within a post.
    syn: Vec<u32>,
    /// Presynaptic neuron of each entry.
    pre: Vec<u32>,
}

impl ByPost {
    /// The by-post index of a CSR (`row_start` of length n_pre + 1, `targets` below `n_post`), by
    /// a counting sort. Cost O(n_pre + n_post + n_synapses).
    ///
    /// Panics if there are more than `u32::MAX` synapses (the index stores `u32`).
    pub fn new(row_start: &[usize], targets: &[u32], n_post: usize) -> Self {
        assert!(targets.len() <= u32::MAX as usize, "a plastic projection holds at most 2^32 - 1 synapses");
        let n_pre = row_start.len().saturating_sub(1);
        let mut start = vec![0usize; n_post + 1];
        for &i in targets {
            start[i as usize + 1] += 1;
        }
        for i in 0..n_post {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut syn = vec![0u32; targets.len()];
        let mut pre = vec![0u32; targets.len()];
        for j in 0..n_pre {
            for s in row_start[j]..row_start[j + 1] {
                let slot = &mut fill[targets[s] as usize];
                syn[*slot] = s as u32;
                pre[*slot] = j as u32;
                *slot += 1;
            }
        }
        ByPost { start, syn, pre }
    }

    /// (synapse, presynaptic neuron) of every synapse onto post `i`.
    #[inline]
    pub fn incoming(&self, i: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
        let r = self.start[i as usize]..self.start[i as usize + 1];
        self.syn[r.clone()].iter().copied().zip(self.pre[r].iter().copied())
    }

    fn bytes(&self) -> usize {
        std::mem::size_of::<usize>() * self.start.len() + 4 * (self.syn.len() + self.pre.len())
    }
}

/// The plastic part of a projection: a rule, the presynaptic event trace E_pre, the by-post index
/// and the on/off switch (the reference's `stdp_active`; traces keep evolving while off, 5.2).
#[derive(Clone, Debug)]
pub struct Plasticity {
    rule: Rule,
    enabled: bool,
    /// E_pre_j (+1 per presynaptic event; dimensionless, not normalised), f64: see burst_rule.rs
    /// "Precision".
    e_pre: Vec<f64>,
    /// exp(-dt / tau_pre).
    decay_pre: f64,
    by_post: ByPost,
}

impl Plasticity {
    /// The plastic part of a projection with CSR-by-pre connectivity onto `n_post` neurons whose
    /// shared estimates are `post`.
    pub fn new(
        params: RuleParams,
        row_start: &[usize],
        targets: &[u32],
        n_post: usize,
        post: &mut Estimates,
        dt_ms: f64,
        enabled: bool,
    ) -> Self {
        let rule = Rule::new(params, post, dt_ms);
        let n_pre = row_start.len().saturating_sub(1);
        let decay_pre = (-dt_ms / rule.get().tau_pre_ms()).exp();
        Plasticity {
            rule,
            enabled,
            e_pre: vec![0.0; n_pre],
            decay_pre,
            by_post: ByPost::new(row_start, targets, n_post),
        }
    }

    /// Saves or restores the switch and the presynaptic traces (the rule reads the target's
    /// shared estimates, saved with its population).
    pub fn persist(&mut self, io: &mut crate::persist::StateIo) {
        io.flag("enabled", &mut self.enabled);
        io.slice("e_pre", &mut self.e_pre);
    }

    /// The rule.
    pub fn rule(&self) -> &dyn PlasticityRule {
        self.rule.get()
    }

    /// Whether weight changes are on.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Switches weight changes on or off; traces keep updating either way (spec 5.2).
    pub fn set_enabled(&mut self, on: bool) {
        self.enabled = on;
    }

    /// E_pre_j.
    pub fn pre_trace(&self, j: u32) -> f64 {
        self.e_pre[j as usize]
    }

    /// A presynaptic event of neuron `j` (learn phase, before the postsynaptic updates): the
    /// rule's pre-triggered term on j's synapses (`row` = their range in the CSR), then
    /// E_pre_j += 1, so the term used the trace before this event (P11).
    pub fn on_pre_event(
        &mut self,
        j: u32,
        row: std::ops::Range<usize>,
        targets: &[u32],
        weights: &mut [f32],
        post: &Estimates,
    ) {
        if self.enabled {
            self.rule.get().on_pre_event(&targets[row.clone()], &mut weights[row], post);
        }
        self.e_pre[j as usize] += 1.0;
    }

    /// The postsynaptic events and bursts of this step (learn phase, after the presynaptic events;
    /// `post` not yet counting them): events first, then bursts, each updating every synapse onto
    /// the neuron.
    pub fn on_post(&self, events: &[u32], bursts: &[u32], weights: &mut [f32], post: &Estimates) {
        if !self.enabled {
            return;
        }
        let rule = self.rule.get();
        for &i in events {
            self.update_incoming(i, rule.post_event(i, post), weights);
        }
        for &i in bursts {
            self.update_incoming(i, rule.post_burst(i, post), weights);
        }
    }

    /// w_ij += a E_pre_j on every synapse j -> i, clipped to the rule's bounds; each update is
    /// computed in f64 from the f32 weight and rounded once.
    fn update_incoming(&self, i: u32, a: f64, weights: &mut [f32]) {
        if a == 0.0 {
            return; // nothing to add (weights are kept in bounds by every update)
        }
        let (lo, hi) = self.rule.get().bounds();
        for (s, j) in self.by_post.incoming(i) {
            let w = weights[s as usize] as f64 + a * self.e_pre[j as usize];
            weights[s as usize] = w.clamp(lo, hi) as f32;
        }
    }

    /// Relax phase: E_pre decays by one step.
    pub fn relax(&mut self) {
        let d = self.decay_pre;
        self.e_pre.iter_mut().for_each(|x| *x *= d);
    }

    /// Bytes of state (the weights belong to the projection).
    pub fn bytes(&self) -> usize {
        8 * self.e_pre.len() + self.by_post.bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_post_index_lists_each_synapse_once_under_its_target() {
        // 3 pre x 4 post, irregular: 0 -> {0, 2, 3}, 1 -> {}, 2 -> {1, 2}.
        let b = ByPost::new(&[0, 3, 3, 5], &[0, 2, 3, 1, 2], 4);
        assert_eq!(b.start, vec![0, 1, 2, 4, 5]);
        assert_eq!(b.syn, vec![0, 3, 1, 4, 2]);
        assert_eq!(b.pre, vec![0, 2, 0, 2, 0]);
        assert_eq!(b.incoming(2).collect::<Vec<_>>(), vec![(1, 0), (4, 2)]);
        assert_eq!(b.bytes(), std::mem::size_of::<usize>() * 5 + 4 * 10);
    }
}
