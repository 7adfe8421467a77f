//! Postsynaptic estimates shared by every plastic projection onto a population (spec 2.3, 5.1).
//!
//! A rule reads these moving averages of its *postsynaptic* neurons; they depend only on the
//! population's spikes and a time constant, so they are kept once per population and time
//! constant, not once per projection:
//!
//! ```text
//!   dEbar_i/dt = -Ebar_i / tau_avg + E_i(t)        (+1 per event;  Hz = Ebar / tau_avg)
//!   dBbar_i/dt = -Bbar_i / tau_avg + B_i(t)        (+1 per burst;  Hz = Bbar / tau_avg)
//!   P_bar_i    = Bbar_i / Ebar_i
//!   dr_i/dt    = -r_i / tau_hom + S_i(t)           (+1 per spike;  Hz = r / tau_hom; P8)
//! ```
//!
//! Timing within a step (spec 0.2): the rules read the estimates in the learn phase *before*
//! this step's events and bursts are counted (the reference increments its traces after the
//! weight update, P11); [`Estimates::count`] then adds them, after every projection onto the
//! population has learned; [`Estimates::relax`] lets the spike trace take the step's spikes and
//! decays everything in the relax phase. Sharing is exact: every projection sees the values it
//! would have computed on its own.

/// The event and burst moving averages of one population for one time constant tau_avg.
#[derive(Clone, Debug)]
pub struct EventBurstAverage {
    tau_ms: f64,
    /// tau_avg in seconds (trace / tau_s = Hz).
    tau_s: f64,
    /// exp(-dt / tau_avg).
    decay: f64,
    /// Ebar_i (+1 per event).
    e_bar: Vec<f64>,
    /// Bbar_i (+1 per burst).
    b_bar: Vec<f64>,
}

impl EventBurstAverage {
    fn new(n: usize, tau_ms: f64, dt_ms: f64) -> Self {
        EventBurstAverage {
            tau_ms,
            tau_s: tau_ms / 1000.0,
            decay: (-dt_ms / tau_ms).exp(),
            e_bar: vec![0.0; n],
            b_bar: vec![0.0; n],
        }
    }

    /// tau_avg, ms.
    pub fn tau_ms(&self) -> f64 {
        self.tau_ms
    }

    /// The raw event trace Ebar_i (events, not Hz).
    #[inline]
    pub fn e_bar(&self, i: u32) -> f64 {
        self.e_bar[i as usize]
    }

    /// The raw burst trace Bbar_i.
    #[inline]
    pub fn b_bar(&self, i: u32) -> f64 {
        self.b_bar[i as usize]
    }

    /// Moving-average event rate Ebar_i / tau_avg, Hz.
    #[inline]
    pub fn event_rate_hz(&self, i: u32) -> f64 {
        self.e_bar[i as usize] / self.tau_s
    }

    /// Moving-average burst rate Bbar_i / tau_avg, Hz.
    pub fn burst_rate_hz(&self, i: u32) -> f64 {
        self.b_bar[i as usize] / self.tau_s
    }

    /// P_bar_i = Bbar_i / Ebar_i (NaN when Ebar_i = 0; may exceed 1).
    pub fn p_bar(&self, i: u32) -> f64 {
        self.b_bar[i as usize] / self.e_bar[i as usize]
    }

    /// Sets neuron `i`'s estimate so that its event rate is `event_rate_hz` and P_bar is
    /// `burst_prob` (the pairing protocols' starting estimate, spec 7.1).
    pub fn set(&mut self, i: u32, event_rate_hz: f64, burst_prob: f64) {
        let e = event_rate_hz * self.tau_s;
        self.e_bar[i as usize] = e;
        self.b_bar[i as usize] = burst_prob * e;
    }
}

/// A trace of every spike of one population (tau_hom), the reference's homeostatic rate (P8).
#[derive(Clone, Debug)]
pub struct SpikeRateTrace {
    tau_ms: f64,
    init_hz: f64,
    tau_s: f64,
    decay: f64,
    r: Vec<f64>,
}

impl SpikeRateTrace {
    fn new(n: usize, tau_ms: f64, init_hz: f64, dt_ms: f64) -> Self {
        let tau_s = tau_ms / 1000.0;
        SpikeRateTrace { tau_ms, init_hz, tau_s, decay: (-dt_ms / tau_ms).exp(), r: vec![init_hz * tau_s; n] }
    }

    /// Spike rate r_i / tau_hom, Hz.
    #[inline]
    pub fn rate_hz(&self, i: u32) -> f64 {
        self.r[i as usize] / self.tau_s
    }
}

/// Handle of an [`EventBurstAverage`] within a population's [`Estimates`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AverageId(pub(crate) u32);

/// Handle of a [`SpikeRateTrace`] within a population's [`Estimates`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpikeRateId(pub(crate) u32);

/// Every estimate kept for one population: one average per tau_avg, one spike trace per
/// (tau_hom, initial rate), each shared by every rule that asks for it.
#[derive(Clone, Debug, Default)]
pub struct Estimates {
    n: usize,
    averages: Vec<EventBurstAverage>,
    spike_rates: Vec<SpikeRateTrace>,
}

impl Estimates {
    /// No estimates yet, for a population of `n` neurons.
    pub fn new(n: usize) -> Self {
        Estimates { n, averages: Vec::new(), spike_rates: Vec::new() }
    }

    /// Saves or restores every average and spike-rate trace (in creation order, which the model
    /// fixes).
    pub fn persist(&mut self, io: &mut crate::persist::StateIo) {
        for (k, a) in self.averages.iter_mut().enumerate() {
            io.scope(&format!("average_{k}"), |io| {
                io.slice("e_bar", &mut a.e_bar);
                io.slice("b_bar", &mut a.b_bar);
            });
        }
        for (k, r) in self.spike_rates.iter_mut().enumerate() {
            io.scope(&format!("spike_rate_{k}"), |io| io.slice("r", &mut r.r));
        }
    }

    /// The event/burst average with time constant `tau_ms`, created on first request.
    pub fn average(&mut self, tau_ms: f64, dt_ms: f64) -> AverageId {
        let k = match self.averages.iter().position(|a| a.tau_ms == tau_ms) {
            Some(k) => k,
            None => {
                self.averages.push(EventBurstAverage::new(self.n, tau_ms, dt_ms));
                self.averages.len() - 1
            }
        };
        AverageId(k as u32)
    }

    /// The spike-rate trace with time constant `tau_ms` starting at `init_hz`, created on first
    /// request.
    pub fn spike_rate(&mut self, tau_ms: f64, init_hz: f64, dt_ms: f64) -> SpikeRateId {
        let k = match self.spike_rates.iter().position(|r| r.tau_ms == tau_ms && r.init_hz == init_hz) {
            Some(k) => k,
            None => {
                self.spike_rates.push(SpikeRateTrace::new(self.n, tau_ms, init_hz, dt_ms));
                self.spike_rates.len() - 1
            }
        };
        SpikeRateId(k as u32)
    }

    /// The average behind a handle.
    pub fn get_average(&self, id: AverageId) -> &EventBurstAverage {
        &self.averages[id.0 as usize]
    }

    /// The average behind a handle, mutably (starting estimates, tests).
    pub fn get_average_mut(&mut self, id: AverageId) -> &mut EventBurstAverage {
        &mut self.averages[id.0 as usize]
    }

    /// The spike trace behind a handle.
    pub fn get_spike_rate(&self, id: SpikeRateId) -> &SpikeRateTrace {
        &self.spike_rates[id.0 as usize]
    }

    /// True when no rule asked for anything.
    pub fn is_empty(&self) -> bool {
        self.averages.is_empty() && self.spike_rates.is_empty()
    }

    /// Learn phase, after every projection onto the population has learned: this step's events
    /// and bursts enter the averages (Ebar_i += 1, Bbar_i += 1).
    pub fn count(&mut self, events: &[u32], bursts: &[u32]) {
        for a in &mut self.averages {
            for &i in events {
                a.e_bar[i as usize] += 1.0;
            }
            for &i in bursts {
                a.b_bar[i as usize] += 1.0;
            }
        }
    }

    /// Relax phase: the spike traces take this step's spikes (all of them, P8), then every trace
    /// decays by exp(-dt/tau).
    pub fn relax(&mut self, spikes: &[u32]) {
        for a in &mut self.averages {
            let d = a.decay;
            a.e_bar.iter_mut().for_each(|x| *x *= d);
            a.b_bar.iter_mut().for_each(|x| *x *= d);
        }
        for r in &mut self.spike_rates {
            for &i in spikes {
                r.r[i as usize] += 1.0;
            }
            let d = r.decay;
            r.r.iter_mut().for_each(|x| *x *= d);
        }
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        8 * self.n * (2 * self.averages.len() + self.spike_rates.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_set_per_time_constant_and_exact_decay() {
        let mut e = Estimates::new(3);
        let a = e.average(2000.0, 0.1);
        assert_eq!(e.average(2000.0, 0.1), a, "same tau: shared");
        let b = e.average(5000.0, 0.1);
        assert_ne!(a, b);
        let r = e.spike_rate(30_000.0, 0.1, 0.1);
        assert_eq!(e.spike_rate(30_000.0, 0.1, 0.1), r);
        // r starts at 0.1 Hz.
        assert!((e.get_spike_rate(r).rate_hz(0) - 0.1).abs() < 1e-12);
        e.count(&[1], &[2]);
        e.relax(&[1]);
        let d = (-0.1f64 / 2000.0).exp();
        assert_eq!(e.get_average(a).e_bar(1), d);
        assert_eq!(e.get_average(a).b_bar(2), d);
        assert_eq!(e.get_average(a).e_bar(0), 0.0);
        assert!(e.get_average(a).p_bar(0).is_nan());
        assert_eq!(e.bytes(), 8 * 3 * 5);
    }
}
