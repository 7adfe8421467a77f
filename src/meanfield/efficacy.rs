//! Steady-state transmission of short-term-plastic synapses as a function of the presynaptic
//! event rate and burst probability (issue 13 item 2; spec 4.1, 4.4).
//!
//! A depressing synapse transmits about U per event and little of a burst's later spikes, a
//! facilitating one little of an event and much of a burst's second spike: what a projection
//! delivers per presynaptic neuron and second, R = rate x mean release u x, is a function of
//! ER and BP. It is computed here for a model of the presynaptic train, and `transfer` checks it
//! against the release that the project's own [`Stp`](crate::synapse::stp::Stp) gives on the
//! spikes of simulated neurons.
//!
//! **Train model.** Events form a renewal process: after the last spike of the previous event
//! (or burst), a dead time d, then an exponential wait, its mean set so that the event rate is
//! ER. With probability BP an event starts a burst of n extra spikes (n: the measured mean
//! spikes per burst minus one, rounded at random), each an interval uniform on [0.5, 1.5] x the
//! measured mean intra-burst interval after the one before. (With [`TrainShape::burst_poisson`],
//! one extra spike 4.9-14.8 ms after the event, this is the stochastic-burst cell of spec 1.7 up to
//! its event statistics; for the Naud cell, whose bursts are 3-5 spikes, an approximation.)
//!
//! **STP.** Between spikes x and u relax towards 1 and U with the engine's per-step Euler factors
//! (1 - dt/tau)^steps, written as exponentials of the equivalent rate -ln(1 - dt/tau)/dt; at a
//! spike r = u x, x -= r, u += k (1 - u), k = U (the reference, P6 note) or f (eTM). The mean over
//! a long train (common random numbers: the same seed for every rate) is the steady state.

use crate::rng::{stream_rng, Stream};
use crate::synapse::stp::{StpIncrement, StpParams};
use rand::RngExt as _;

/// The shape of a population's spike trains beyond ER and BP.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainShape {
    /// Shortest time from the last spike of an event (or burst) to the next event, ms.
    pub dead_ms: f64,
    /// Mean extra spikes per burst (spikes per burst - 1), at least 1.
    pub extra_spikes: f64,
    /// Mean interval between consecutive spikes of a burst, ms.
    pub intraburst_isi_ms: f64,
}

impl TrainShape {
    /// The stochastic-burst cell (spec 1.7): refractory 20 ms, one extra spike 4.9-14.8 ms later.
    pub fn burst_poisson() -> Self {
        TrainShape { dead_ms: 20.0, extra_spikes: 1.0, intraburst_isi_ms: 9.85 }
    }
}

/// Events in a long train (after a burn-in of [`BURN_IN`]): the Monte-Carlo error of the mean
/// release is ~1/sqrt(EVENTS) relative, 0.5 %.
const EVENTS: usize = 40_000;
const BURN_IN: usize = 500;

/// Mean release per presynaptic neuron and second (Hz x release fraction) of a synapse with
/// `stp` whose source fires events at `er_hz` with burst probability `bp`, trains of `shape`,
/// integrated at `dt_ms` as the engine does.
pub fn release_rate_hz(stp: &StpParams, er_hz: f64, bp: f64, shape: &TrainShape, dt_ms: f64) -> f64 {
    release_rate_n(stp, er_hz, bp, shape, dt_ms, EVENTS)
}

/// [`release_rate_hz`] over a train of `events` events (Monte-Carlo error ~1/sqrt(events)).
pub fn release_rate_n(stp: &StpParams, er_hz: f64, bp: f64, shape: &TrainShape, dt_ms: f64, events: usize) -> f64 {
    if er_hz <= 0.0 {
        return 0.0;
    }
    let bp = bp.clamp(0.0, 1.0);
    // the engine's Euler relaxation, x += dt/tau (1 - x) per step, as a continuous rate
    let rate = |tau: f64| -(1.0 - dt_ms / tau).max(1e-12).ln() / dt_ms;
    let (kd, kf) = (rate(stp.tau_d_ms), rate(stp.tau_f_ms));
    let jump = match stp.increment {
        StpIncrement::Reference => stp.u,
        StpIncrement::Etm => stp.f,
    };
    let mean_burst_ms = bp * shape.extra_spikes * shape.intraburst_isi_ms;
    // mean wait after the dead time so that the mean interval between event onsets is 1/ER
    let wait_ms = (1000.0 / er_hz - shape.dead_ms - mean_burst_ms).max(1e-3);
    let mut rng = stream_rng(0, Stream::Efficacy, &[]);
    let (mut x, mut u) = (1.0f64, stp.u);
    let (mut released, mut t_ms, mut t0_ms) = (0.0, 0.0, 0.0);
    let mut spike = |gap_ms: f64, count: bool, x: &mut f64, u: &mut f64| {
        *x = 1.0 - (1.0 - *x) * (-kd * gap_ms).exp();
        *u = stp.u + (*u - stp.u) * (-kf * gap_ms).exp();
        let r = *u * *x;
        *x -= r;
        *u += jump * (1.0 - *u);
        if count {
            released += r;
        }
    };
    for k in 0..BURN_IN + events {
        let count = k >= BURN_IN;
        if k == BURN_IN {
            t0_ms = t_ms;
        }
        let gap = shape.dead_ms - wait_ms * (1.0 - rng.random::<f64>()).ln();
        t_ms += gap;
        spike(gap, count, &mut x, &mut u);
        if rng.random::<f64>() < bp {
            let n = shape.extra_spikes.floor() as usize + (rng.random::<f64>() < shape.extra_spikes.fract()) as usize;
            for _ in 0..n.max(1) {
                let isi = shape.intraburst_isi_ms * (0.5 + rng.random::<f64>());
                t_ms += isi;
                spike(isi, count, &mut x, &mut u);
            }
        }
    }
    released / ((t_ms - t0_ms) * 1e-3)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(mut p: StpParams) -> StpParams {
        p.u_init = p.u;
        p
    }

    #[test]
    fn depression_of_a_poisson_train_without_bursts_matches_the_closed_form() {
        // U = 1 with the reference increment keeps u = 1, so r = x and x -> 0 at every spike: x
        // before a spike is 1 - exp(-T/tau_D) with T exponential of rate E, whose mean is
        // 1 / (1 + E tau_D) (a dt of 1e-6 ms makes the Euler factors exact exponentials).
        let p = StpParams {
            u: 1.0,
            f: 0.0,
            tau_d_ms: 20.0,
            tau_f_ms: 100.0,
            u_init: 1.0,
            increment: StpIncrement::Reference,
        };
        let shape = TrainShape { dead_ms: 0.0, extra_spikes: 1.0, intraburst_isi_ms: 5.0 };
        for e in [2.0, 10.0, 40.0] {
            let got = release_rate_hz(&p, e, 0.0, &shape, 1e-6);
            let want = e / (1.0 + e * 0.02);
            // 40 000 events: Monte-Carlo error ~0.5 %; 2 % is 4 sigma
            assert!((got / want - 1.0).abs() < 0.02, "E {e}: {got} vs {want}");
        }
    }

    #[test]
    fn depressing_synapses_carry_events_and_facilitating_ones_bursts() {
        // spec 4.4: at a fixed event rate, making every event a burst adds the second spike's
        // release: ~0.27 x U per event for STD (depleted), ~5x the event's for STF
        let shape = TrainShape::burst_poisson();
        let std = clean(StpParams::depressing());
        let stf = clean(StpParams::facilitating());
        let (d0, d1) = (release_rate_hz(&std, 5.0, 0.0, &shape, 0.1), release_rate_hz(&std, 5.0, 1.0, &shape, 0.1));
        let (f0, f1) = (release_rate_hz(&stf, 5.0, 0.0, &shape, 0.1), release_rate_hz(&stf, 5.0, 1.0, &shape, 0.1));
        assert!(d1 / d0 < 1.45, "STD: bursts add {} of the event's release", d1 / d0 - 1.0);
        assert!(f1 / f0 > 2.5, "STF: bursts multiply the release by {}", f1 / f0);
        // and release grows with the event rate for both
        assert!(release_rate_hz(&std, 10.0, 0.0, &shape, 0.1) > d0);
        assert!(release_rate_hz(&stf, 10.0, 0.0, &shape, 0.1) > f0);
        assert_eq!(release_rate_hz(&std, 0.0, 0.5, &shape, 0.1), 0.0);
    }
}
