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
//! trace (+1 per event, decay tau_pre, not normalised, kept by [`super::Plasticity`]), Ebar_i and
//! Bbar_i the postsynaptic event and burst averages (+1 each, decay tau_avg; Hz = trace / tau_avg),
//! shared by every projection onto the population ([`super::estimates`]). Discretely, in the learn
//! phase of a step (spec 0.2 step 2), in this order:
//!
//! * **(a)** [`PlasticityRule::on_pre_event`], for each presynaptic event j (after delivery):
//!   `w_ij += eta * (theta_min - r_i)` when `r_i < theta_min` (homeostatic potentiation), clip;
//!   **then** `E_pre_j += 1`.
//! * **(b)** for each postsynaptic event i: `v = -min(P_bar_i, 1)` with P_bar from the estimate
//!   *before* this event, apply (c); for each postsynaptic burst i: (c) with `v = +1` (Ebar_i
//!   already holds the event that began the burst); **then** the estimates count this step's
//!   events and bursts.
//! * **(c)** `h = -(ER_i - theta_max) / ER_i` if `ER_i = Ebar_i / tau_avg > theta_max`, else 0;
//!   for every synapse j -> i: `w_ij += eta * (v + h) * E_pre_j`, clip to [w_min, w_max].
//!
//! Then, in the relax phase (spec 0.2 step 4, 5.1 (d)), the homeostatic spike trace takes the
//! step's postsynaptic spikes and every trace decays by exp(-dt/tau).
//!
//! (a) runs before (b): the reference's `AdaptiveEBCPConnection::propagate` calls
//! `compute_presyn_event_rate()` (pre events, (a)) before `compute_burst_rate()` (post spikes, (b)),
//! so a postsynaptic update sees E_pre including the presynaptic events of the same step (P11).
//!
//! Weight changes are gated by the `stdp_active` flag ([`super::Plasticity::set_enabled`]); all
//! traces keep updating while it is off (spec 5.2).
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

use super::estimates::{AverageId, Estimates, EventBurstAverage, SpikeRateId};
use super::PlasticityRule;

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

/// The burst-dependent rule (spec 5.1) of one projection: its parameters and the handles of the
/// shared postsynaptic estimates it reads.
#[derive(Clone, Debug)]
pub struct BurstRule {
    params: BurstRuleParams,
    /// Ebar, Bbar with tau_avg.
    average: AverageId,
    /// r_hom (reference homeostasis only, P8).
    spike_rate: Option<SpikeRateId>,
}

impl BurstRule {
    /// The rule onto a population with estimates `post`, time step `dt_ms`.
    pub fn new(params: BurstRuleParams, post: &mut Estimates, dt_ms: f64) -> Self {
        let average = post.average(params.tau_avg_ms, dt_ms);
        let spike_rate = match params.homeostasis {
            Homeostasis::Reference => Some(post.spike_rate(params.tau_hom_ms, params.r_hom_init_hz, dt_ms)),
            Homeostasis::EventRate => None,
        };
        BurstRule { params, average, spike_rate }
    }

    /// The parameters.
    pub fn params(&self) -> &BurstRuleParams {
        &self.params
    }

    /// The homeostatic trace the rule reads (reference homeostasis only).
    pub fn spike_rate(&self) -> Option<SpikeRateId> {
        self.spike_rate
    }

    /// h = -(ER_i - theta_max) / ER_i when ER_i = Ebar_i / tau_avg > theta_max, else 0.
    fn relative_depression(&self, i: u32, avg: &EventBurstAverage) -> f64 {
        let rate = avg.event_rate_hz(i);
        let t = self.params.theta_max_hz;
        if rate > t {
            -(rate - t) / rate
        } else {
            0.0
        }
    }
}

impl PlasticityRule for BurstRule {
    fn name(&self) -> &'static str {
        "burst"
    }

    fn describe(&self) -> String {
        let p = &self.params;
        format!(
            "burst rule (spec 5.1): eta {}, tau_pre {} ms, tau_avg {} ms, w in [{}, {}], theta {}/{} Hz",
            p.eta, p.tau_pre_ms, p.tau_avg_ms, p.w_min, p.w_max, p.theta_min_hz, p.theta_max_hz
        )
    }

    fn tau_pre_ms(&self) -> f64 {
        self.params.tau_pre_ms
    }

    fn bounds(&self) -> (f64, f64) {
        (self.params.w_min, self.params.w_max)
    }

    fn average(&self) -> Option<AverageId> {
        Some(self.average)
    }

    /// (a): for each synapse j -> i, if r_i < theta_min, w_ij += eta (theta_min - r_i), clipped.
    /// r_i = r_hom_i / tau_hom (reference, P8) or Ebar_i / tau_avg.
    fn on_pre_event(&self, targets: &[u32], weights: &mut [f32], post: &Estimates) {
        let p = &self.params;
        let rate = |i: u32| match self.spike_rate {
            Some(r) => post.get_spike_rate(r).rate_hz(i),
            None => post.get_average(self.average).event_rate_hz(i),
        };
        for (&i, w) in targets.iter().zip(weights.iter_mut()) {
            let r = rate(i);
            if r < p.theta_min_hz {
                let x = *w as f64 + p.eta * (p.theta_min_hz - r);
                *w = x.clamp(p.w_min, p.w_max) as f32;
            }
        }
    }

    /// (b) for an event: v = -min(P_bar_i, 1) with the estimate before this event (for Ebar_i = 0
    /// see [`EmptyEstimate`]), a = eta (v + h).
    fn post_event(&self, i: u32, post: &Estimates) -> f64 {
        let avg = post.get_average(self.average);
        let (e, b) = (avg.e_bar(i), avg.b_bar(i));
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
        self.params.eta * (v + self.relative_depression(i, avg))
    }

    /// (b) for a burst: v = +1, a = eta (1 + h).
    fn post_burst(&self, i: u32, post: &Estimates) -> f64 {
        let avg = post.get_average(self.average);
        self.params.eta * (1.0 + self.relative_depression(i, avg))
    }
}
