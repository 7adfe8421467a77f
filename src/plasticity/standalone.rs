//! A rule outside a network: one projection's [`Plasticity`] with private postsynaptic estimates,
//! driven spike by spike. For pairing protocols (spec 7.1) and for testing a rule's arithmetic;
//! in a network the engine drives the same objects in its learn and relax phases.

use super::estimates::Estimates;
use super::{BurstCcnParams, BurstRuleParams, Plasticity, Rule, RuleParams};

/// A rule with its own estimates, connectivity given at each call (CSR by presynaptic neuron).
#[derive(Clone, Debug)]
pub struct StandaloneRule {
    plasticity: Plasticity,
    post: Estimates,
}

impl StandaloneRule {
    /// Any rule on a projection with `row_start` (length n_pre + 1) and `targets` onto `n_post`
    /// neurons; plasticity starts enabled.
    pub fn new(params: RuleParams, row_start: &[usize], targets: &[u32], n_post: usize, dt_ms: f64) -> Self {
        let mut post = Estimates::new(n_post);
        let plasticity = Plasticity::new(params, row_start, targets, n_post, &mut post, dt_ms, true);
        StandaloneRule { plasticity, post }
    }

    /// The reference burst rule (spec 5.1).
    pub fn burst(row_start: &[usize], targets: &[u32], n_post: usize, p: BurstRuleParams, dt_ms: f64) -> Self {
        Self::new(RuleParams::Burst(p), row_start, targets, n_post, dt_ms)
    }

    /// The BurstCCN rule.
    pub fn burstccn(row_start: &[usize], targets: &[u32], n_post: usize, p: BurstCcnParams, dt_ms: f64) -> Self {
        Self::new(RuleParams::BurstCcn(p), row_start, targets, n_post, dt_ms)
    }

    /// Switches weight changes on or off.
    pub fn set_enabled(&mut self, on: bool) {
        self.plasticity.set_enabled(on);
    }

    /// Whether weight changes are on.
    pub fn enabled(&self) -> bool {
        self.plasticity.enabled()
    }

    /// A presynaptic event of `j` (pre-triggered term, then E_pre_j += 1).
    pub fn on_pre_event(&mut self, j: u32, row_start: &[usize], targets: &[u32], weights: &mut [f32]) {
        let row = row_start[j as usize]..row_start[j as usize + 1];
        self.plasticity.on_pre_event(j, row, targets, weights, &self.post);
    }

    /// A postsynaptic event of `i`: the update with the estimate before it, then it is counted.
    pub fn on_post_event(&mut self, i: u32, weights: &mut [f32]) {
        self.plasticity.on_post(&[i], &[], weights, &self.post);
        self.post.count(&[i], &[]);
    }

    /// A postsynaptic burst of `i`: the update, then it is counted.
    pub fn on_post_burst(&mut self, i: u32, weights: &mut [f32]) {
        self.plasticity.on_post(&[], &[i], weights, &self.post);
        self.post.count(&[], &[i]);
    }

    /// End of a step: the spike trace takes `post_spikes` (all postsynaptic spikes of the step),
    /// then every trace decays.
    pub fn relax(&mut self, post_spikes: &[u32]) {
        self.plasticity.relax();
        self.post.relax(post_spikes);
    }

    fn rule_average(&self) -> &super::EventBurstAverage {
        let id = self.plasticity.rule().average().expect("the rule keeps an event/burst average");
        self.post.get_average(id)
    }

    /// Sets the starting estimate of post `i`: event rate `event_rate_hz`, P_bar = `burst_prob`
    /// (spec 7.1). Panics for a rule without an event/burst average.
    pub fn set_estimates(&mut self, i: u32, event_rate_hz: f64, burst_prob: f64) {
        let id = self.plasticity.rule().average().expect("the rule keeps an event/burst average");
        self.post.get_average_mut(id).set(i, event_rate_hz, burst_prob);
    }

    /// P_bar_i (NaN before the first event).
    pub fn p_bar(&self, i: u32) -> f64 {
        self.rule_average().p_bar(i)
    }

    /// Ebar_i / tau_avg, Hz.
    pub fn event_rate_hz(&self, i: u32) -> f64 {
        self.rule_average().event_rate_hz(i)
    }

    /// Bbar_i / tau_avg, Hz.
    pub fn burst_rate_hz(&self, i: u32) -> f64 {
        self.rule_average().burst_rate_hz(i)
    }

    /// The homeostatic spike rate r_hom_i / tau_hom, Hz (reference burst rule only).
    pub fn hom_rate_hz(&self, i: u32) -> f64 {
        let id = match &self.plasticity.rule {
            Rule::Burst(r) => r.spike_rate().expect("reference homeostasis keeps a spike trace"),
            _ => panic!("this rule keeps no homeostatic trace"),
        };
        self.post.get_spike_rate(id).rate_hz(i)
    }

    /// E_pre_j.
    pub fn pre_trace(&self, j: u32) -> f64 {
        self.plasticity.pre_trace(j)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burstccn_exact_weight_changes_for_a_scripted_sequence() {
        // One synapse 0 -> 0, eta 0.01, p_b 0.25, tau_pre 100 ms, dt 0.1 ms, w0 0.5.
        // Step 0: pre event (E_pre = 1 after it). Steps 1..=100: quiet (E_pre = d^100 at step 100
        // after its relax... see below). Step 100: post event: w -= eta p_b E_pre;
        // step 150: post burst: w += eta E_pre.
        let (rs, t) = ([0usize, 1], [0u32]);
        let mut r = StandaloneRule::burstccn(&rs, &t, 1, BurstCcnParams::new(0.01, 100.0, 0.25), 0.1);
        let d = (-0.1f64 / 100.0).exp();
        let mut w = [0.5f32];
        let mut expected = 0.5f32;
        for step in 0..=150u32 {
            if step == 0 {
                r.on_pre_event(0, &rs, &t, &mut w);
            }
            if step == 100 {
                r.on_post_event(0, &mut w);
                // E_pre decayed 100 times since the event.
                expected = (expected as f64 - 0.01 * 0.25 * d.powi(100)) as f32;
                assert_eq!(w[0], expected);
            }
            if step == 150 {
                r.on_post_burst(0, &mut w);
                expected = (expected as f64 + 0.01 * d.powi(150)) as f32;
                assert_eq!(w[0], expected);
            }
            r.relax(&[]);
        }
        assert!(expected < 0.5 + 0.01 && expected > 0.5, "net potentiation: burst outweighs p_b event");
        // Lower bound 0: a huge depression clips at 0.
        let mut p = BurstCcnParams::new(10.0, 100.0, 1.0);
        p.w_min = 0.0;
        let mut r = StandaloneRule::burstccn(&rs, &t, 1, p, 0.1);
        let mut w = [0.5f32];
        r.on_pre_event(0, &rs, &t, &mut w);
        r.on_post_event(0, &mut w);
        assert_eq!(w[0], 0.0);
    }
}
