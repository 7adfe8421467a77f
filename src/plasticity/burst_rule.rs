//! The burst-dependent plasticity rule (spec section 5.1, the reference's `AdaptiveEBCPConnection`).
//!
//! Per projection pre -> post, with weights w_ij in [w_min, w_max]:
//!
//! ```text
//!   dW_ij/dt = eta * [ B_i(t) - P_bar_i(t) * E_i(t) ] * E_pre_j(t)          (paper's rule)
//!   P_bar_i  = Bbar_i / Ebar_i                                               (spec 2.3)
//! ```
//!
//! E_i and B_i are the postsynaptic event and burst trains (spec 2.1), E_pre_j the presynaptic event
//! trace (+1 per event, decay tau_pre, not normalised), Ebar_i and Bbar_i the postsynaptic event and
//! burst traces (+1 each, decay tau_avg; rates in Hz are trace / tau_avg). Discretely, within the
//! propagate phase of a step (spec 0.2 step 2), in this order:
//!
//! * **(a)** [`BurstRule::on_pre_event`], for each presynaptic event j (after delivery):
//!   `w_ij += eta * (theta_min - r_i)` when `r_i < theta_min` (homeostatic potentiation), clip;
//!   **then** `E_pre_j += 1`.
//! * **(b)** [`BurstRule::on_post_event`], for each postsynaptic event i: `v = -min(P_bar_i, 1)`
//!   with P_bar from the estimate *before* this event, apply (c), **then** `Ebar_i += 1`.
//!   [`BurstRule::on_post_burst`], for each postsynaptic burst i: `Bbar_i += 1`, then (c) with
//!   `v = +1` (Ebar_i already holds the event that began the burst).
//! * **(c)** `h = -(ER_i - theta_max) / ER_i` if `ER_i = Ebar_i / tau_avg > theta_max`, else 0;
//!   for every synapse j -> i: `w_ij += eta * (v + h) * E_pre_j`, clip to [w_min, w_max].
//!
//! Then, in the relax phase (spec 0.2 step 4, 5.1 (d)), [`BurstRule::relax`] lets the homeostatic
//! spike trace take the step's postsynaptic spikes and decays every trace by exp(-dt/tau).
//!
//! (a) runs before (b): the reference's `AdaptiveEBCPConnection::propagate` calls
//! `compute_presyn_event_rate()` (pre events, (a)) before `compute_burst_rate()` (post spikes, (b)),
//! so a postsynaptic update sees E_pre including the presynaptic events of the same step (P11).
//!
//! Weight changes are gated by the `stdp_active` flag ([`BurstRule::set_enabled`]); all traces keep
//! updating while it is off (spec 5.2).
//!
//! Two reference quirks are reproduced by default and have a clean alternative:
//! * [`Homeostasis`]: the homeostatic potentiation uses a 30 s trace of *all* postsynaptic spikes
//!   starting at 0.1 Hz, not Ebar (pitfall P8);
//! * [`EmptyEstimate`]: before the first postsynaptic event P_bar = 0/0 and the valence is -1
//!   (pitfall P9).
//!
//! **Precision.** Weights are `f32` (owned by the projection); traces are `f64`. The reference
//! stores traces in `f32`, but with tau_hom = 30 s and dt = 0.1 ms, 1 - exp(-dt/tau) = 3.3e-6, and
//! an `f32` decay factor would carry up to ~2% error on the effective time constant. `f64` traces cost
//! 8 bytes per neuron, negligible next to the per-synapse index, and make tau exact. Each weight
//! update is computed in `f64` from the `f32` weight and rounded once.

/// Which homeostatic potentiation term runs on presynaptic events (spec 5.1, pitfall P8).
///
/// Either way, on each presynaptic event of j and for each synapse j -> i:
/// `w_ij += eta * (theta_min - r_i)` when `r_i < theta_min` (Hz), then clip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Homeostasis {
    /// The term that actually runs in the reference (`BCPConnection::on_pre`, because
    /// `AdaptiveEBCPConnection::on_pre` is not virtual): r_i is `r_hom`, a trace of **all**
    /// postsynaptic spikes with tau_hom = 30 s, normalised to Hz, starting at `r_hom_init_hz`
    /// (0.1 Hz). Default.
    #[default]
    Reference,
    /// The intended design: r_i is the event rate estimate Ebar_i / tau_avg (Hz).
    EventRate,
}

/// What the estimate P_bar = Bbar/Ebar means when Ebar_i = 0, i.e. before the first postsynaptic
/// event (pitfall P9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum EmptyEstimate {
    /// The reference: P_bar = 0/0 = NaN, the test `P_bar < 1` fails, so the valence is v = -1 (full
    /// depression at the first event). Default.
    #[default]
    Reference,
    /// No valence update while Ebar_i = 0: v = 0, only the homeostatic depression h applies (and h is
    /// 0 when Ebar_i = 0, so nothing changes).
    Skip,
}

/// Parameters of the burst-dependent rule (spec 5.1). Validated by the model builder, not here.
#[derive(Clone, Debug, PartialEq)]
pub struct BurstRuleParams {
    /// Learning rate eta (dimensionless, weight units per unit of E_pre). Reference: 3.5e-3 in
    /// Fig. 2E-G; 8e-3 input->hidden and 4e-3 hidden->output in XOR.
    pub eta: f64,
    /// Time constant of the presynaptic event trace E_pre, ms. Reference: 100 ms (Fig. 2E-G, XOR).
    pub tau_pre_ms: f64,
    /// Time constant tau_avg ("alpha") of the postsynaptic moving averages Ebar and Bbar, ms
    /// (spec 2.3). Reference: 5 s (Fig. 2E-G), 2 s (XOR).
    pub tau_avg_ms: f64,
    /// Lower weight bound. Reference: 0.
    pub w_min: f64,
    /// Upper weight bound. Reference: 1.
    pub w_max: f64,
    /// theta_min, Hz: homeostatic potentiation below this rate (`min_rate`). Reference: 2 Hz.
    pub theta_min_hz: f64,
    /// theta_max, Hz: relative homeostatic depression above this event rate (`max_rate`).
    /// Reference: 12 Hz (AdaptiveEBCP constructor); XOR uses 10 Hz.
    pub theta_max_hz: f64,
    /// Time constant of the homeostatic spike trace r_hom, ms. Reference: 30 000 ms.
    pub tau_hom_ms: f64,
    /// Initial value of r_hom, Hz. Reference: 0.1 Hz (`tr_hom->set_all(30.0*min_rate)` while
    /// `min_rate` is still BCP's 0.1 Hz).
    pub r_hom_init_hz: f64,
    /// Which homeostatic potentiation runs (default: the reference's, pitfall P8).
    pub homeostasis: Homeostasis,
    /// P_bar before the first event (default: the reference's v = -1, pitfall P9).
    pub empty_estimate: EmptyEstimate,
}

impl BurstRuleParams {
    /// The reference's constants (spec 5.1) around the given learning rate and time constants:
    /// w in [0, 1], theta_min 2 Hz, theta_max 12 Hz, tau_hom 30 s, r_hom starting at 0.1 Hz, and the
    /// reference variants of [`Homeostasis`] and [`EmptyEstimate`].
    pub fn reference(eta: f64, tau_pre_ms: f64, tau_avg_ms: f64) -> Self {
        BurstRuleParams {
            eta,
            tau_pre_ms,
            tau_avg_ms,
            w_min: 0.0,
            w_max: 1.0,
            theta_min_hz: 2.0,
            theta_max_hz: 12.0,
            tau_hom_ms: 30_000.0,
            r_hom_init_hz: 0.1,
            homeostasis: Homeostasis::Reference,
            empty_estimate: EmptyEstimate::Reference,
        }
    }
}

/// Plastic state of one projection under the burst-dependent rule (spec 5.1).
///
/// The weights live outside, in a `Vec<f32>` in the projection's CSR-by-presynaptic order: synapse
/// `s` in `row_start[j]..row_start[j + 1]` goes from pre `j` to post `targets[s]` and has weight
/// `weights[s]`. This struct keeps the traces (E_pre per presynaptic neuron; Ebar, Bbar and r_hom per
/// postsynaptic neuron) and a by-post index into that CSR, so a postsynaptic update touches only the
/// neuron's incoming synapses. The CSR must not change after [`BurstRule::new`].
#[derive(Clone, Debug)]
pub struct BurstRule {
    params: BurstRuleParams,
    /// stdp_active: weight changes on/off (traces update either way, spec 5.2).
    enabled: bool,
    /// Presynaptic event trace E_pre_j (dimensionless, +1 per event), per presynaptic neuron.
    e_pre: Vec<f64>,
    /// Postsynaptic event trace Ebar_i (+1 per event; Hz = Ebar / tau_avg).
    e_bar: Vec<f64>,
    /// Postsynaptic burst trace Bbar_i (+1 per burst; Hz = Bbar / tau_avg).
    b_bar: Vec<f64>,
    /// Homeostatic spike trace (+1 per spike, any spike; Hz = trace / tau_hom).
    r_hom: Vec<f64>,
    /// exp(-dt / tau_pre).
    decay_pre: f64,
    /// exp(-dt / tau_avg).
    decay_avg: f64,
    /// exp(-dt / tau_hom).
    decay_hom: f64,
    /// tau_avg in seconds (trace / tau_avg_s = Hz).
    tau_avg_s: f64,
    /// tau_hom in seconds.
    tau_hom_s: f64,
    /// By-post index: the incoming synapses of post i are entries `in_start[i]..in_start[i + 1]`
    /// of `in_syn` and `in_pre`; length n_post + 1.
    in_start: Vec<usize>,
    /// Synapse index (into the CSR arrays and the weights) of each incoming synapse, grouped by post,
    /// increasing pre within a group.
    in_syn: Vec<u32>,
    /// Presynaptic neuron of each entry of `in_syn`.
    in_pre: Vec<u32>,
}

impl BurstRule {
    /// Builds the rule's state for a projection with CSR-by-pre connectivity (`row_start` of length
    /// n_pre + 1, `targets` the postsynaptic index of each synapse) onto `n_post` neurons, with time
    /// step `dt_ms`. Traces start at 0, except r_hom at `r_hom_init_hz`; plasticity starts enabled
    /// (the reference's `stdp_active = true`). Cost O(n_pre + n_post + n_synapses).
    ///
    /// Panics if there are more than `u32::MAX` synapses (the by-post index stores `u32`).
    pub fn new(row_start: &[usize], targets: &[u32], n_post: usize, params: BurstRuleParams, dt_ms: f64) -> Self {
        debug_assert!(!row_start.is_empty() && *row_start.last().unwrap() == targets.len());
        debug_assert!(row_start.windows(2).all(|w| w[0] <= w[1]));
        debug_assert!(targets.iter().all(|&i| (i as usize) < n_post));
        debug_assert!(params.eta.is_finite() && params.w_min <= params.w_max);
        debug_assert!(params.tau_pre_ms > 0.0 && params.tau_avg_ms > 0.0 && params.tau_hom_ms > 0.0 && dt_ms > 0.0);
        assert!(targets.len() <= u32::MAX as usize, "a plastic projection holds at most 2^32 - 1 synapses");
        let n_pre = row_start.len().saturating_sub(1);

        // Counting sort of the synapses by target: CSC view of the CSR, pre increasing within a post.
        let mut in_start = vec![0usize; n_post + 1];
        for &i in targets {
            in_start[i as usize + 1] += 1;
        }
        for i in 0..n_post {
            in_start[i + 1] += in_start[i];
        }
        let mut fill = in_start.clone();
        let mut in_syn = vec![0u32; targets.len()];
        let mut in_pre = vec![0u32; targets.len()];
        for j in 0..n_pre {
            for s in row_start[j]..row_start[j + 1] {
                let slot = &mut fill[targets[s] as usize];
                in_syn[*slot] = s as u32;
                in_pre[*slot] = j as u32;
                *slot += 1;
            }
        }

        let tau_hom_s = params.tau_hom_ms / 1000.0;
        BurstRule {
            enabled: true,
            e_pre: vec![0.0; n_pre],
            e_bar: vec![0.0; n_post],
            b_bar: vec![0.0; n_post],
            r_hom: vec![params.r_hom_init_hz * tau_hom_s; n_post],
            decay_pre: (-dt_ms / params.tau_pre_ms).exp(),
            decay_avg: (-dt_ms / params.tau_avg_ms).exp(),
            decay_hom: (-dt_ms / params.tau_hom_ms).exp(),
            tau_avg_s: params.tau_avg_ms / 1000.0,
            tau_hom_s,
            in_start,
            in_syn,
            in_pre,
            params,
        }
    }

    /// Switches weight changes on or off (the reference's `stdp_active`, spec 5.2). Traces keep
    /// updating while off.
    pub fn set_enabled(&mut self, on: bool) {
        self.enabled = on;
    }

    /// Whether weight changes are on (`stdp_active`).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The parameters.
    pub fn params(&self) -> &BurstRuleParams {
        &self.params
    }

    /// Phase (a) for a presynaptic **event** of neuron `j` (spec 5.1 (a)). The engine has classified
    /// the spike as an event and delivered its conductance. `row_start`, `targets` and `weights` are
    /// the projection's CSR and weights (the same CSR as given to [`BurstRule::new`]).
    ///
    /// Must run before the postsynaptic hooks of the same step (the reference's
    /// `compute_presyn_event_rate` precedes `compute_burst_rate`), so they see this event in E_pre.
    pub fn on_pre_event(&mut self, j: u32, row_start: &[usize], targets: &[u32], weights: &mut [f32]) {
        let j = j as usize;
        if self.enabled {
            // For each synapse j -> i: if r_i < theta_min, w_ij += eta (theta_min - r_i); clip to
            // [w_min, w_max]. r_i = r_hom_i / tau_hom (reference, P8) or Ebar_i / tau_avg.
            let p = &self.params;
            let (trace, tau_s) = match p.homeostasis {
                Homeostasis::Reference => (&self.r_hom, self.tau_hom_s),
                Homeostasis::EventRate => (&self.e_bar, self.tau_avg_s),
            };
            for s in row_start[j]..row_start[j + 1] {
                let rate = trace[targets[s] as usize] / tau_s;
                if rate < p.theta_min_hz {
                    let w = weights[s] as f64 + p.eta * (p.theta_min_hz - rate);
                    weights[s] = w.clamp(p.w_min, p.w_max) as f32;
                }
            }
        }
        // Then E_pre_j += 1: the update above used the trace before this event (P11).
        self.e_pre[j] += 1.0;
    }

    /// Phase (b) for a postsynaptic **event** of neuron `i` (spec 5.1 (b)):
    /// `v = -min(P_bar_i, 1)` with `P_bar_i = Bbar_i / Ebar_i` read **before** this event is counted
    /// (for Ebar_i = 0 see [`EmptyEstimate`]); apply (c) if enabled; then `Ebar_i += 1`.
    pub fn on_post_event(&mut self, i: u32, weights: &mut [f32]) {
        let i = i as usize;
        let (e, b) = (self.e_bar[i], self.b_bar[i]);
        let v = match self.params.empty_estimate {
            EmptyEstimate::Skip if e == 0.0 => 0.0,
            // Reference: `if (P < 1) v = -P else v = -1`; NaN (0/0) and inf fail the test -> -1.
            _ => {
                let p_bar = b / e;
                if p_bar < 1.0 {
                    -p_bar
                } else {
                    -1.0
                }
            }
        };
        if self.enabled {
            self.update_incoming(i, v, weights);
        }
        // Then Ebar_i += 1: the estimate used above excludes this event (P11).
        self.e_bar[i] += 1.0;
    }

    /// Phase (b) for a postsynaptic **burst** (second spike of a burst) of neuron `i`
    /// (spec 5.1 (b)): `Bbar_i += 1`, then (c) with `v = +1` if enabled. Ebar_i already includes the
    /// event that began this burst.
    pub fn on_post_burst(&mut self, i: u32, weights: &mut [f32]) {
        let i = i as usize;
        self.b_bar[i] += 1.0;
        if self.enabled {
            self.update_incoming(i, 1.0, weights);
        }
    }

    /// Update (c) on every synapse j -> i, with valence `v`:
    /// h = -(ER_i - theta_max)/ER_i if ER_i = Ebar_i/tau_avg > theta_max, else 0;
    /// w_ij += eta (v + h) E_pre_j, clipped to [w_min, w_max].
    fn update_incoming(&self, i: usize, v: f64, weights: &mut [f32]) {
        let p = &self.params;
        let rate = self.e_bar[i] / self.tau_avg_s;
        let h = if rate > p.theta_max_hz { -(rate - p.theta_max_hz) / rate } else { 0.0 };
        let a = p.eta * (v + h);
        if a == 0.0 {
            return; // nothing to add (weights are kept in bounds by every update)
        }
        let range = self.in_start[i]..self.in_start[i + 1];
        for (&s, &j) in self.in_syn[range.clone()].iter().zip(&self.in_pre[range]) {
            let w = weights[s as usize] as f64 + a * self.e_pre[j as usize];
            weights[s as usize] = w.clamp(p.w_min, p.w_max) as f32;
        }
    }

    /// Relax phase (spec 0.2 step 4, 5.1 (d)): the homeostatic trace takes this step's
    /// postsynaptic spikes (`post_spikes`: **all** spikes, not only events, neuron indices), then
    /// every trace decays by one step: `x *= exp(-dt/tau)` for E_pre (tau_pre), Ebar and Bbar
    /// (tau_avg) and r_hom (tau_hom). Must run after all (a)/(b) hooks of the step.
    pub fn relax(&mut self, post_spikes: &[u32]) {
        for &i in post_spikes {
            self.r_hom[i as usize] += 1.0;
        }
        let d = self.decay_pre;
        self.e_pre.iter_mut().for_each(|x| *x *= d);
        let d = self.decay_avg;
        self.e_bar.iter_mut().for_each(|x| *x *= d);
        self.b_bar.iter_mut().for_each(|x| *x *= d);
        let d = self.decay_hom;
        self.r_hom.iter_mut().for_each(|x| *x *= d);
    }

    /// Moving-average burst probability P_bar_i = Bbar_i / Ebar_i (NaN when Ebar_i = 0; may exceed 1,
    /// the valence caps it).
    pub fn p_bar(&self, i: u32) -> f64 {
        self.b_bar[i as usize] / self.e_bar[i as usize]
    }

    /// Moving-average event rate of post `i`, Ebar_i / tau_avg, in Hz (spec 2.3).
    pub fn event_rate_hz(&self, i: u32) -> f64 {
        self.e_bar[i as usize] / self.tau_avg_s
    }

    /// Moving-average burst rate of post `i`, Bbar_i / tau_avg, in Hz (spec 2.3).
    pub fn burst_rate_hz(&self, i: u32) -> f64 {
        self.b_bar[i as usize] / self.tau_avg_s
    }

    /// Homeostatic spike rate of post `i`, r_hom_i / tau_hom, in Hz (spec 5.1, P8).
    pub fn hom_rate_hz(&self, i: u32) -> f64 {
        self.r_hom[i as usize] / self.tau_hom_s
    }

    /// Presynaptic event trace E_pre_j (dimensionless: +1 per event, not normalised).
    pub fn pre_trace(&self, j: u32) -> f64 {
        self.e_pre[j as usize]
    }

    /// Sets the starting estimate of post `i` (the pairing protocols' "start estimate", spec 7.1):
    /// Ebar_i = rate * tau_avg, Bbar_i = p * Ebar_i, so that the event rate is `event_rate_hz` and
    /// P_bar_i = `burst_prob`.
    pub fn set_estimates(&mut self, i: u32, event_rate_hz: f64, burst_prob: f64) {
        let e = event_rate_hz * self.tau_avg_s;
        self.e_bar[i as usize] = e;
        self.b_bar[i as usize] = burst_prob * e;
    }

    /// Bytes of state (traces and the by-post index; the weights belong to the projection).
    pub fn bytes(&self) -> usize {
        8 * (self.e_pre.len() + self.e_bar.len() + self.b_bar.len() + self.r_hom.len())
            + std::mem::size_of::<usize>() * self.in_start.len()
            + 4 * (self.in_syn.len() + self.in_pre.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 3 pre x 4 post, irregular: 0 -> {0, 2, 3}, 1 -> {}, 2 -> {1, 2}; post 0..3.
    fn csr() -> (Vec<usize>, Vec<u32>) {
        (vec![0, 3, 3, 5], vec![0, 2, 3, 1, 2])
    }

    fn params() -> BurstRuleParams {
        BurstRuleParams::reference(0.01, 100.0, 5000.0)
    }

    #[test]
    fn by_post_index_lists_each_synapse_once_under_its_target() {
        let (rs, t) = csr();
        let r = BurstRule::new(&rs, &t, 4, params(), 0.1);
        assert_eq!(r.in_start, vec![0, 1, 2, 4, 5]);
        // post 0: syn 0 (pre 0); post 1: syn 3 (pre 2); post 2: syn 1 (pre 0), syn 4 (pre 2);
        // post 3: syn 2 (pre 0).
        assert_eq!(r.in_syn, vec![0, 3, 1, 4, 2]);
        assert_eq!(r.in_pre, vec![0, 2, 0, 2, 0]);
        // 3 pre + 3 x 4 post traces in f64, 5 offsets, 2 x 5 u32 entries.
        assert_eq!(r.bytes(), 8 * 15 + std::mem::size_of::<usize>() * 5 + 4 * 10);
    }

    #[test]
    fn post_update_touches_only_incoming_synapses() {
        let (rs, t) = csr();
        let mut p = params();
        p.theta_min_hz = 0.0; // no homeostatic potentiation
        let mut r = BurstRule::new(&rs, &t, 4, p, 0.1);
        let mut w = vec![0.5f32; 5];
        r.on_pre_event(0, &rs, &t, &mut w);
        r.on_pre_event(2, &rs, &t, &mut w);
        assert_eq!(w, vec![0.5; 5]);
        // Burst of post 2: synapses 1 (0 -> 2) and 4 (2 -> 2) gain eta * 1 * E_pre = 0.01.
        r.on_post_burst(2, &mut w);
        let up = (0.5f64 + 0.01) as f32;
        assert_eq!(w, vec![0.5, up, 0.5, 0.5, up]);
    }

    #[test]
    fn size_zero_projections() {
        let mut r = BurstRule::new(&[0], &[], 0, params(), 0.1);
        r.relax(&[]);
        assert_eq!(r.bytes(), std::mem::size_of::<usize>());
        // Post neurons without incoming synapses, pre neurons without targets.
        let mut r = BurstRule::new(&[0, 0, 0], &[], 3, params(), 0.1);
        let mut w: Vec<f32> = vec![];
        r.on_pre_event(1, &[0, 0, 0], &[], &mut w);
        r.on_post_event(2, &mut w);
        r.on_post_burst(2, &mut w);
        r.relax(&[0, 2]);
        assert!(r.pre_trace(1) > 0.0 && r.event_rate_hz(2) > 0.0 && r.burst_rate_hz(2) > 0.0);
    }
}
