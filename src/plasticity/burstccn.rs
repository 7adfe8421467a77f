//! The BurstCCN rule with a fixed baseline, at the spiking level (burstccn-rate.md 1.4).
//!
//! The rate-level update of a feed-forward weight is dW = eta (b - p_b e) e_pre^T, with b the
//! burst rate, e the event rate and p_b the fixed baseline burst probability of the
//! postsynaptic layer. With the spike trains of spec 2.1 in place of the rates:
//!
//! ```text
//!   dW_ij/dt = eta * [ B_i(t) - p_b * E_i(t) ] * E_pre_j(t)
//! ```
//!
//! i.e. w_ij += eta E_pre_j at each postsynaptic burst and w_ij -= eta p_b E_pre_j at each
//! postsynaptic event, with E_pre_j the presynaptic event trace (+1 per event, decay tau_pre).
//! Averaged over time the drift is eta (BR_i - p_b ER_i) E_pre_j = eta ER_i (BP_i - p_b) E_pre_j:
//! potentiation when the neuron bursts more often than the baseline, depression when less, none at
//! BP = p_b. Unlike the reference rule (spec 5.1) the baseline does not follow the neuron's own
//! average, so a sustained burst-probability signal keeps moving the weights. No homeostatic terms.
//!
//! Bounds: weights are conductances, so the lower bound defaults to 0 (a negative conductance jump
//! would turn an excitatory synapse into a silent current sink); the upper bound defaults to none.

use super::estimates::Estimates;
use super::PlasticityRule;

/// Parameters of the BurstCCN rule. Validated by the model builder, not here.
#[derive(Clone, Debug, PartialEq)]
pub struct BurstCcnParams {
    /// Learning rate eta (weight units per unit of E_pre per postsynaptic burst).
    pub eta: f64,
    /// Time constant of the presynaptic event trace E_pre, ms.
    pub tau_pre_ms: f64,
    /// The fixed baseline burst probability p_b (0..1).
    pub p_baseline: f64,
    /// Lower weight bound (default 0: conductances are not negative).
    pub w_min: f64,
    /// Upper weight bound (default +infinity: none).
    pub w_max: f64,
}

impl BurstCcnParams {
    /// The rule with default bounds [0, +inf).
    pub fn new(eta: f64, tau_pre_ms: f64, p_baseline: f64) -> Self {
        BurstCcnParams { eta, tau_pre_ms, p_baseline, w_min: 0.0, w_max: f64::INFINITY }
    }
}

/// The BurstCCN rule of one projection. It reads no postsynaptic estimate.
#[derive(Clone, Debug)]
pub struct BurstCcnRule {
    params: BurstCcnParams,
}

impl BurstCcnRule {
    /// The rule (the estimates and time step are not needed: a fixed baseline).
    pub fn new(params: BurstCcnParams, _post: &mut Estimates, _dt_ms: f64) -> Self {
        BurstCcnRule { params }
    }

    /// The parameters.
    pub fn params(&self) -> &BurstCcnParams {
        &self.params
    }
}

impl PlasticityRule for BurstCcnRule {
    fn name(&self) -> &'static str {
        "burstccn"
    }

    fn describe(&self) -> String {
        let p = &self.params;
        format!(
            "BurstCCN rule (dw = eta (B - p_b E) E_pre): eta {}, tau_pre {} ms, p_b {}, w in [{}, {}]",
            p.eta, p.tau_pre_ms, p.p_baseline, p.w_min, p.w_max
        )
    }

    fn tau_pre_ms(&self) -> f64 {
        self.params.tau_pre_ms
    }

    fn bounds(&self) -> (f64, f64) {
        (self.params.w_min, self.params.w_max)
    }

    /// -eta p_b at every event.
    fn post_event(&self, _i: u32, _post: &Estimates) -> f64 {
        -self.params.eta * self.params.p_baseline
    }

    /// +eta at every burst.
    fn post_burst(&self, _i: u32, _post: &Estimates) -> f64 {
        self.params.eta
    }
}
