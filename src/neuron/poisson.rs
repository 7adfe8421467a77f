//! Poisson spike sources (spec 6, the reference's `PoissonGroup`).
//!
//! The reference runs one pooled "exponential jump" process over the flattened (step, neuron) grid:
//! from a spike at slot x the next spike is at x + floor(E/(lambda dt) + 1.5), E ~ Exp(1), with the
//! rate corrected to lambda = 1/(1/r - dt). The gap is at least one slot, so a source spikes at most
//! once per step, and the mean gap is 1/(r dt) slots, so each source fires at r (to 1e-4 relative at
//! 500 Hz). We run the same process, in fixed chunks of [`CHUNK`] sources, each chunk with its own
//! random stream, so the output does not depend on the number of threads. The gaps of a fast
//! source are drawn from their own (discrete) law by table rather than through E (`gaps`): the
//! same process, with other random numbers than the reference's.

use super::gaps::Gaps;
use super::{Compartment, Current, NeuronKind, Receptor};
use crate::rng::{stream_rng, Rng, Stream};
use rand::RngExt as _;

/// Sources per independent random stream.
pub const CHUNK: usize = 4096;

#[derive(Clone, Debug)]
struct Chunk {
    start: u32,
    len: u32,
    rng: Rng,
    /// Next spike slot, counted from the first source of this chunk in the current step.
    next: u64,
}

/// A time-varying rate common to all sources of a population.
#[derive(Clone, Debug, PartialEq)]
pub enum RateProfile {
    /// max(0, rate_hz + amplitude_hz sin(2 pi t / period_ms + phase_rad)), t the absolute time.
    Sine {
        /// Mean rate, Hz.
        rate_hz: f64,
        /// Amplitude, Hz.
        amplitude_hz: f64,
        /// Period, ms.
        period_ms: f64,
        /// Phase at t = 0, radians.
        phase_rad: f64,
    },
    /// A piecewise-linear series of rates read from a stimulus file (the series type of current
    /// files, reused with its interpolation and looping: its `values_pa` hold rates in Hz here).
    Piecewise(crate::series::Piecewise),
}

impl RateProfile {
    /// The rate at `t_ms`, Hz (clipped at 0).
    pub fn at(&self, t_ms: f64) -> f64 {
        match self {
            RateProfile::Sine { rate_hz, amplitude_hz, period_ms, phase_rad } => {
                let x = std::f64::consts::TAU * t_ms / period_ms + phase_rad;
                (rate_hz + amplitude_hz * x.sin()).max(0.0)
            }
            RateProfile::Piecewise(p) => p.at(t_ms).max(0.0),
        }
    }

    /// One line for `burstsim check --params`.
    pub fn describe(&self) -> String {
        match self {
            RateProfile::Sine { rate_hz, amplitude_hz, period_ms, phase_rad } => format!(
                "{rate_hz} Hz + {amplitude_hz} Hz sin(2 pi t / {period_ms} ms + {phase_rad} rad), clipped at 0 Hz"
            ),
            RateProfile::Piecewise(p) => format!(
                "piecewise linear, {} points from {} to {} ms, {} to {} Hz{}",
                p.times_ms.len(),
                p.times_ms[0],
                p.times_ms[p.times_ms.len() - 1],
                p.values_pa.iter().fold(f64::INFINITY, |m, &v| m.min(v)),
                self.max_hz(),
                p.loop_ms.map_or(String::new(), |l| format!(", repeated every {l} ms"))
            ),
        }
    }

    /// The largest rate the profile reaches, Hz (a linear interpolation never leaves the range of
    /// its samples).
    pub fn max_hz(&self) -> f64 {
        match self {
            RateProfile::Sine { rate_hz, amplitude_hz, .. } => (rate_hz + amplitude_hz.abs()).max(0.0),
            RateProfile::Piecewise(p) => p.values_pa.iter().fold(0.0, |m, &v| m.max(v)),
        }
    }
}

/// A population of independent Poisson sources at a common rate, constant or time-varying.
///
/// A time-varying rate r(t) is made by thinning: the pooled process runs at the profile's largest
/// rate r_max, and each of its spikes in the step starting at t is kept with probability
/// r(t) / r_max (one uniform draw from the chunk's stream). Thinning an independent process
/// leaves it independent, with a mean of r(t) dt per source and step, and it keeps the chunked
/// streams, so the output still does not depend on the number of threads.
#[derive(Clone, Debug)]
pub struct Poisson {
    rate_hz: f64,
    /// Mean gap between spikes in slots minus one: 1/(r dt) - 1 (infinite at rate 0).
    mean_extra: f64,
    /// How the gaps are drawn at this rate (`gaps`).
    gaps: Gaps,
    chunks: Vec<Chunk>,
    dt_ms: f64,
    /// The time-varying rate (None: constant `rate_hz`); the process then runs at its maximum.
    profile: Option<RateProfile>,
    /// The step of the process the next call to `step` makes (for the profile's time).
    step: u64,
    /// Steps by which the process runs behind the clock: the delay of the projection it is fused
    /// into (see [`Poisson::fuse`]; 0 when it runs with the clock).
    lag: u32,
    /// Rate changes made at clock steps that a lagging process has not reached yet: (step, Hz).
    pending: Vec<(u64, f64)>,
}

impl Poisson {
    /// `n` sources at `rate_hz`, random streams labelled by `seed` and `pop_index`.
    pub fn new(n: usize, rate_hz: f64, dt_ms: f64, seed: u64, pop_index: u64) -> Self {
        let chunks = (0..n.div_ceil(CHUNK))
            .map(|c| {
                let start = c * CHUNK;
                Chunk {
                    start: start as u32,
                    len: (n - start).min(CHUNK) as u32,
                    rng: stream_rng(seed, Stream::Poisson, &[pop_index, c as u64]),
                    next: 0,
                }
            })
            .collect();
        let mut p = Poisson {
            rate_hz: 0.0,
            mean_extra: f64::INFINITY,
            gaps: Gaps::Never,
            chunks,
            dt_ms,
            profile: None,
            step: 0,
            lag: 0,
            pending: Vec::new(),
        };
        p.set_rate(rate_hz);
        p
    }

    /// `n` sources whose rate follows `profile` (its maximum validated < 1/dt by the caller).
    pub fn with_profile(n: usize, profile: RateProfile, dt_ms: f64, seed: u64, pop_index: u64) -> Self {
        let mut p = Poisson::new(n, profile.max_hz(), dt_ms, seed, pop_index);
        p.profile = Some(profile);
        p
    }

    /// The time-varying rate, if any.
    pub fn profile(&self) -> Option<&RateProfile> {
        self.profile.as_ref()
    }

    /// Firing rate, Hz (with a time-varying rate: its maximum).
    pub fn rate_hz(&self) -> f64 {
        self.rate_hz
    }

    /// Changes the rate (validated >= 0 and < 1/dt by the caller) and redraws the first gap, as the
    /// reference's `set_rate`. A time-varying rate is replaced by this constant one (a `[[phase]]`
    /// change of rate sets the rate from then on).
    pub fn set_rate(&mut self, rate_hz: f64) {
        self.profile = None;
        self.rate_hz = rate_hz;
        let p_step = rate_hz * self.dt_ms * 1e-3;
        self.mean_extra = if p_step > 0.0 { 1.0 / p_step - 1.0 } else { f64::INFINITY };
        self.gaps = Gaps::new(self.mean_extra);
        for c in &mut self.chunks {
            c.next = self.gaps.draw(&mut c.rng).saturating_sub(1);
        }
    }

    /// Changes the rate from clock step `clock` on (a `[[phase]]` change, in the protocol phase
    /// of that step): at once, or, for a process that runs behind the clock, when it reaches
    /// that step, so that the spikes emitted from `clock` on follow the new rate either way.
    pub fn change_rate(&mut self, clock: u64, rate_hz: f64) {
        if self.lag == 0 {
            self.set_rate(rate_hz);
        } else {
            self.pending.push((clock, rate_hz));
        }
    }

    /// Makes the process run `delay` steps behind the clock, its spikes going straight into the
    /// one projection that reads them, `delay` steps late (see [`Poisson::step_into`]). Called
    /// before the first step.
    pub fn fuse(&mut self, delay: u32) {
        assert_eq!(self.step, 0, "a source is fused before it steps");
        self.lag = delay;
    }

    /// The delay of the projection this source is fused into (see [`Poisson::fuse`]), if any.
    pub fn fused_lag(&self) -> u32 {
        self.lag
    }

    /// The deliver phase of clock step `clock` for a fused source: generates the spikes that it
    /// emitted `lag` steps ago (none before the run is `lag` steps old) and calls `hit(i)` for
    /// each, in increasing order; returns their number. The process, its random streams and its
    /// rate changes are those of an unfused source emitting in the integrate phase, so the
    /// spikes are the same, only generated when they arrive: no spike list, no delay ring.
    #[inline]
    pub fn step_into(&mut self, clock: u64, hit: impl FnMut(u32)) -> u64 {
        let Some(emitted) = clock.checked_sub(self.lag as u64) else {
            return 0;
        };
        debug_assert_eq!(self.step, emitted, "a fused source generates each step once, in order");
        self.generate(hit)
    }

    /// One step of the pooled process (the spikes of the step `self.step`), after the rate
    /// changes due then; calls `hit` for each spiking source, in increasing order.
    #[inline(always)]
    fn generate(&mut self, mut hit: impl FnMut(u32)) -> u64 {
        while self.pending.first().is_some_and(|&(at, _)| at <= self.step) {
            let (_, hz) = self.pending.remove(0);
            self.set_rate(hz);
        }
        let step = self.step;
        self.step += 1;
        if !self.mean_extra.is_finite() {
            return 0;
        }
        let gaps = &self.gaps;
        // the share of the maximum-rate spikes kept in this step (1 for a constant rate)
        let keep = match &self.profile {
            None => None,
            Some(p) => Some(p.at(step as f64 * self.dt_ms) / self.rate_hz),
        };
        let mut n = 0;
        for c in &mut self.chunks {
            // The stream and the slot as locals, so that they stay in registers while `hit`
            // writes memory (a conductance it cannot alias, which the compiler does not see).
            let (mut rng, mut next, len) = (c.rng.clone(), c.next, c.len as u64);
            let mut hits = 0u32;
            while next < len {
                if keep.is_none_or(|k| rng.random::<f64>() < k) {
                    hit(c.start + next as u32);
                    hits += 1;
                }
                next += gaps.draw(&mut rng);
            }
            (c.rng, c.next) = (rng, next - len);
            n += hits as u64;
        }
        n
    }
}

impl NeuronKind for Poisson {
    fn kind_name(&self) -> &'static str {
        "poisson"
    }

    fn min_interval_steps(&self) -> Option<u32> {
        None
    }

    fn len(&self) -> usize {
        self.chunks.iter().map(|c| c.len as usize).sum()
    }

    /// Evolve phase: appends the sources spiking this step (increasing order) to `spikes`.
    fn step(&mut self, spikes: &mut Vec<u32>) {
        debug_assert_eq!(self.lag, 0, "a fused source steps in its projection's delivery");
        self.generate(|i| spikes.push(i));
    }

    /// A source has no synapses.
    fn conductance_mut(&mut self, _c: Compartment, _r: Receptor) -> Option<&mut [f32]> {
        None
    }

    /// A source takes no current.
    fn accepts_current(&self, _c: Compartment) -> bool {
        false
    }

    fn inject(&mut self, _c: Compartment, _current: Current) {}

    recordables! {}

    /// The rate (a `[[phase]]` may have changed it, and dropped a time-varying profile), the
    /// clock, and each chunk's random stream and next spike slot.
    fn persist(&mut self, io: &mut crate::persist::StateIo) {
        io.value("rate_hz", &mut self.rate_hz);
        io.value("mean_extra", &mut self.mean_extra);
        self.gaps = Gaps::new(self.mean_extra);
        io.value("step", &mut self.step);
        let mut lag = self.lag as u64;
        io.value("lag_steps", &mut lag);
        if lag != self.lag as u64 {
            io.problem(
                "lag_steps",
                format!("the saved source ran {lag} steps behind the clock, the model's {}", self.lag),
            );
        }
        let mut at: Vec<u64> = self.pending.iter().map(|p| p.0).collect();
        let mut hz: Vec<f64> = self.pending.iter().map(|p| p.1).collect();
        io.vec("pending_rate_steps", &mut at);
        io.vec("pending_rate_hz", &mut hz);
        self.pending = at.into_iter().zip(hz).collect();
        let mut varying = self.profile.is_some();
        io.flag("time_varying", &mut varying);
        if !varying {
            self.profile = None;
        } else if self.profile.is_none() {
            io.problem("time_varying", "the saved rate varies in time, the model's is constant");
        }
        let mut rngs: Vec<_> = self.chunks.iter().map(|c| c.rng.clone()).collect();
        let mut next: Vec<u64> = self.chunks.iter().map(|c| c.next).collect();
        io.rngs("chunk_rngs", &mut rngs);
        io.slice("chunk_next", &mut next);
        for ((c, r), n) in self.chunks.iter_mut().zip(rngs).zip(next) {
            (c.rng, c.next) = (r, n);
        }
    }

    /// Bytes of generator state (one random stream and position per chunk of sources).
    fn state_bytes(&self) -> usize {
        // (an empty population draws no gaps: its tables are not counted)
        std::mem::size_of_val(&self.chunks[..]) + if self.chunks.is_empty() { 0 } else { self.gaps.bytes() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(n: usize, rate: f64, steps: usize, seed: u64) -> (usize, Vec<u32>) {
        let mut p = Poisson::new(n, rate, 0.1, seed, 0);
        let mut total = 0;
        let mut per = vec![0u32; n];
        let mut s = vec![];
        for _ in 0..steps {
            s.clear();
            p.step(&mut s);
            assert!(s.windows(2).all(|w| w[0] < w[1]), "at most one spike per source per step");
            total += s.len();
            for &i in &s {
                per[i as usize] += 1;
            }
        }
        (total, per)
    }

    #[test]
    fn rate_within_three_sigma() {
        // 10 000 sources x 1 s at 5 Hz: 50 000 expected spikes, Poisson sd 224; 3 sigma = 671.
        let (total, per) = count(10_000, 5.0, 10_000, 7);
        assert!((total as f64 - 50_000.0).abs() < 3.0 * 50_000f64.sqrt(), "total {total}");
        // Every chunk fires (no chunk left silent by an indexing slip).
        assert!(per[..4096].iter().sum::<u32>() > 0 && per[8192..].iter().sum::<u32>() > 0);
        // 500 Hz (the Fig. 3 private drive), 1000 sources x 1 s: 500 000 expected; the rounding
        // correction of the pooled process leaves a bias of ~1e-4, well inside 3 sigma (2121).
        // Spikes at most once per step make the count sub-Poisson, so 3 Poisson sigma is generous
        // only in the right direction.
        let (total, _) = count(1000, 500.0, 10_000, 8);
        assert!((total as f64 - 500_000.0).abs() < 3.0 * 500_000f64.sqrt(), "total {total}");
    }

    #[test]
    fn zero_rate_is_silent_and_same_seed_repeats() {
        assert_eq!(count(100, 0.0, 1000, 1).0, 0);
        assert_eq!(count(5000, 20.0, 500, 3).1, count(5000, 20.0, 500, 3).1);
        assert_ne!(count(5000, 20.0, 500, 3).1, count(5000, 20.0, 500, 4).1);
    }
}
