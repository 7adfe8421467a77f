//! The burst-dependent plasticity rule (spec 5.1) driven by hand, hook by hook, with expected weights
//! computed in each test from the equations, and under the Burst-Poisson pairing protocol (spec 7.1).
//!
//! Weights are `f32`; the rule computes each update in `f64` and rounds once. Expected values are
//! computed in `f64` from closed forms (e.g. exp(-k dt / tau) where the rule multiplies k decay
//! factors), so a comparison allows the `f32` rounding of the result: half an ulp, plus the
//! difference between the closed form and the product (~1e-16 relative). A wrong decay count (1%
//! at dt/tau_pre = 0.01) or a wrong valence is many orders of magnitude larger.

use burstsim::burst::{BurstDetector, BurstRule as DetectorRule};
use burstsim::plasticity::{BurstRuleParams, EmptyEstimate, Homeostasis, StandaloneRule as BurstRule};
use burstsim::rng::{stream_rng, uniform_open0, Stream};
use rand::RngExt as _;

const DT: f64 = 1.0; // ms
const TAU_PRE: f64 = 100.0; // ms
const TAU_AVG: f64 = 5000.0; // ms
const ETA: f64 = 0.01;
const W0: f32 = 0.5;

/// One pre onto one post: CSR row_start and targets.
const ONE_RS: [usize; 2] = [0, 1];
const ONE_T: [u32; 1] = [0];

/// Reference parameters; `hom` false switches both homeostatic terms off (theta_min = 0,
/// theta_max = inf) so that only the valence term acts.
fn params(hom: bool) -> BurstRuleParams {
    let mut p = BurstRuleParams::reference(ETA, TAU_PRE, TAU_AVG);
    if !hom {
        p.theta_min_hz = 0.0;
        p.theta_max_hz = f64::INFINITY;
    }
    p
}

fn one_to_one(p: BurstRuleParams) -> BurstRule {
    BurstRule::burst(&ONE_RS, &ONE_T, 1, p, DT)
}

/// All-to-all CSR, n_pre x n_post.
fn all_to_all(n_pre: usize, n_post: usize) -> (Vec<usize>, Vec<u32>) {
    let rs = (0..=n_pre).map(|j| j * n_post).collect();
    let t = (0..n_pre).flat_map(|_| 0..n_post as u32).collect();
    (rs, t)
}

/// `actual` is `expected` rounded to f32 (see the file header).
#[track_caller]
fn assert_w(actual: f32, expected: f64) {
    let tol = expected.abs() * f32::EPSILON as f64 + 1e-12;
    assert!((actual as f64 - expected).abs() <= tol, "weight {actual} != expected {expected} (tolerance {tol:e})");
}

/// `a` equals `b` to 1e-12 relative (f64 traces: product of decays vs closed form).
#[track_caller]
fn assert_close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-12 * b.abs().max(1e-300), "{a} != {b}");
}

/// Lets `k` steps pass without spikes.
fn quiet(r: &mut BurstRule, k: usize) {
    for _ in 0..k {
        r.relax(&[]);
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Pre event, then a post event k steps later.

#[test]
fn pre_then_post_event_depresses_by_eta_times_decayed_pre_trace() {
    for k in [0usize, 1, 37] {
        // Reference empty estimate: Ebar = 0, P_bar = 0/0 = NaN, v = -1 (P9).
        // dw = eta * v * E_pre = eta * (-1) * exp(-k dt / tau_pre); h = 0 (Ebar = 0 < theta_max).
        let mut r = one_to_one(params(false));
        let mut w = [W0];
        r.on_pre_event(0, &ONE_RS, &ONE_T, &mut w);
        assert_eq!(w[0], W0, "no homeostatic term when theta_min = 0");
        if k > 0 {
            r.relax(&[]);
            quiet(&mut r, k - 1);
        }
        assert_close(r.pre_trace(0), (-(k as f64) * DT / TAU_PRE).exp());
        assert!(r.p_bar(0).is_nan());
        r.on_post_event(0, &mut w);
        assert_w(w[0], W0 as f64 - ETA * (-(k as f64) * DT / TAU_PRE).exp());
        // The event is counted after the update: Ebar = 1, rate 1 / tau_avg = 0.2 Hz.
        assert_close(r.event_rate_hz(0), 1000.0 / TAU_AVG);

        // EmptyEstimate::Skip: no valence while Ebar = 0, so no change; the event is still counted.
        let mut p = params(false);
        p.empty_estimate = EmptyEstimate::Skip;
        let mut r = one_to_one(p);
        let mut w = [W0];
        r.on_pre_event(0, &ONE_RS, &ONE_T, &mut w);
        quiet(&mut r, k);
        r.on_post_event(0, &mut w);
        assert_eq!(w[0], W0);
        assert_close(r.event_rate_hz(0), 1000.0 / TAU_AVG);
        // The second event has an estimate (P_bar = 0/1 = 0): v = -0, still no change ...
        r.on_post_event(0, &mut w);
        assert_eq!(w[0], W0);
        // ... and a burst then potentiates by eta * E_pre.
        r.on_post_burst(0, &mut w);
        assert_w(w[0], W0 as f64 + ETA * (-(k as f64) * DT / TAU_PRE).exp());
    }
}

// ---------------------------------------------------------------------------------------------
// 2. A postsynaptic burst: event, then the burst spike a few steps later.

#[test]
fn burst_gives_event_depression_then_full_potentiation() {
    let (k_ev, k_b) = (10usize, 15usize);
    let mut r = one_to_one(params(false));
    // Start estimate: ER 5 Hz, P_bar 0.2 -> Ebar = 5 Hz * 5 s = 25, Bbar = 5.
    r.set_estimates(0, 5.0, 0.2);
    assert_close(r.p_bar(0), 0.2);
    let mut w = [W0];
    r.on_pre_event(0, &ONE_RS, &ONE_T, &mut w); // step 0
    quiet(&mut r, k_ev);
    // Step k_ev, event: Ebar and Bbar decayed by the same factor, so P_bar is still 0.2;
    // dw1 = eta * (-0.2) * exp(-k_ev dt / tau_pre).
    let d_avg = (-DT / TAU_AVG).exp();
    let (e0, b0) = (25.0 * d_avg.powi(k_ev as i32), 5.0 * d_avg.powi(k_ev as i32));
    let w1 = W0 as f64 - ETA * (b0 / e0) * (-(k_ev as f64) * DT / TAU_PRE).exp();
    r.on_post_event(0, &mut w);
    assert_w(w[0], w1);
    let w1 = w1 as f32; // the rule continues from the rounded weight
    r.relax(&[0]);
    quiet(&mut r, k_b - k_ev - 1);
    // Step k_b, burst: v = +1, dw2 = eta * exp(-k_b dt / tau_pre) (h = 0: ER about 5 Hz < 12 Hz).
    r.on_post_burst(0, &mut w);
    assert_w(w[0], w1 as f64 + ETA * (-(k_b as f64) * DT / TAU_PRE).exp());
    // Net change: eta (exp(-15/100) - 0.2 exp(-10/100)) > 0.
    assert!(w[0] > W0);
    // The estimate after the burst: Bbar = 5 d^15 + 1, Ebar = 25 d^15 + d^5.
    let d15 = d_avg.powi(k_b as i32);
    assert_close(r.p_bar(0), (5.0 * d15 + 1.0) / (25.0 * d15 + d_avg.powi((k_b - k_ev) as i32)));
}

// ---------------------------------------------------------------------------------------------
// 3. The valence of an event is -min(P_bar, 1).

#[test]
fn event_valence_is_capped_at_minus_one() {
    for (bp, v) in [(1.5, -1.0), (1.0, -1.0), (0.3, -(0.3 * 25.0) / 25.0), (0.0, 0.0)] {
        let mut r = one_to_one(params(false));
        r.set_estimates(0, 5.0, bp); // Ebar = 25, Bbar = 25 bp
        assert_close(r.p_bar(0), bp * 25.0 / 25.0);
        let mut w = [W0];
        r.on_pre_event(0, &ONE_RS, &ONE_T, &mut w);
        r.on_post_event(0, &mut w); // same step: E_pre = 1
        assert_w(w[0], W0 as f64 + ETA * v);
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Bounds.

#[test]
fn weights_never_leave_bounds() {
    for (w_min, w_max) in [(0.0, 1.0), (0.2, 0.7)] {
        let mut p = params(true);
        p.eta = 0.3;
        p.w_min = w_min;
        p.w_max = w_max;
        let (rs, t) = all_to_all(3, 2);
        let mut r = BurstRule::burst(&rs, &t, 2, p, DT);
        let mut w = vec![0.45f32; t.len()];
        let in_bounds = |w: &[f32]| w.iter().all(|&x| x as f64 >= w_min && x as f64 <= w_max);
        // Up: pre events (homeostatic potentiation 0.3 * 1.9 per event) and bursts.
        for _ in 0..20 {
            for j in 0..3 {
                r.on_pre_event(j, &rs, &t, &mut w);
                assert!(in_bounds(&w));
            }
            r.on_post_burst(0, &mut w);
            r.on_post_burst(1, &mut w);
            assert!(in_bounds(&w));
            r.relax(&[]);
        }
        assert!(w.iter().all(|&x| x == w_max as f32), "{w:?}");
        // Down: events with P_bar capped at 1, and the relative depression at 50 Hz (h = -0.76).
        r.set_estimates(0, 5.0, 1.0);
        r.set_estimates(1, 50.0, 0.0);
        for _ in 0..20 {
            r.on_post_event(0, &mut w);
            r.on_post_event(1, &mut w);
            assert!(in_bounds(&w));
            r.relax(&[]);
        }
        assert!(w.iter().all(|&x| x == w_min as f32), "{w:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Homeostatic terms.

#[test]
fn reference_homeostasis_uses_the_30s_spike_trace_starting_at_0_1_hz() {
    let (rs, t) = all_to_all(1, 3);
    let mut r = BurstRule::burst(&rs, &t, 3, params(true), DT);
    assert_close(r.hom_rate_hz(0), 0.1);
    let mut w = vec![W0; 3];
    // First pre event: r_hom = 0.1 Hz < theta_min = 2 Hz: dw = eta (2 - 0.1) on every synapse.
    r.on_pre_event(0, &rs, &t, &mut w);
    let w1 = (W0 as f64 + ETA * (2.0 - 0.1)) as f32;
    assert_eq!(w, vec![w1; 3]);

    // One step in which post 0 spikes (any spike counts, events or not): its trace is
    // (30 s * 0.1 Hz + 1) * exp(-dt / 30 s), i.e. r = 4 exp(-dt/tau_hom) / 30 Hz; posts 1 and 2
    // decay to 0.1 exp(-dt/tau_hom) Hz.
    let d_hom = (-DT / 30_000.0).exp();
    r.relax(&[0]);
    let r0 = 4.0 * d_hom / 30.0;
    let r1 = 0.1 * d_hom;
    assert_close(r.hom_rate_hz(0), r0);
    assert_close(r.hom_rate_hz(1), r1);
    r.on_pre_event(0, &rs, &t, &mut w);
    assert_w(w[0], w1 as f64 + ETA * (2.0 - r0));
    assert_w(w[1], w1 as f64 + ETA * (2.0 - r1));

    // Post 2 spikes in 60 consecutive steps: r_hom > 2 Hz, no more potentiation on its synapse.
    for _ in 0..60 {
        r.relax(&[2]);
    }
    assert!(r.hom_rate_hz(2) > 2.0);
    let before = w[2];
    r.on_pre_event(0, &rs, &t, &mut w);
    assert_eq!(w[2], before);
    assert!(w[0] > w1 && w[1] > w1);
}

#[test]
fn event_rate_homeostasis_uses_ebar() {
    let mut p = params(true);
    p.homeostasis = Homeostasis::EventRate;
    let (rs, t) = all_to_all(1, 3);
    let mut r = BurstRule::burst(&rs, &t, 3, p, DT);
    r.set_estimates(0, 1.0, 0.0); // 1 Hz: dw = eta (2 - 1)
    r.set_estimates(1, 3.0, 0.0); // 3 Hz > theta_min: no change
    let mut w = vec![W0; 3]; //      post 2: Ebar = 0, 0 Hz: dw = eta * 2
    r.on_pre_event(0, &rs, &t, &mut w);
    let er0 = 1.0 * 5.0 / 5.0; // Ebar / tau_avg as the rule computes it
    assert_w(w[0], W0 as f64 + ETA * (2.0 - er0));
    assert_eq!(w[1], W0);
    assert_w(w[2], W0 as f64 + ETA * 2.0);
}

#[test]
fn relative_depression_above_theta_max() {
    // ER = 20 Hz > theta_max = 12 Hz: h = -(20 - 12) / 20 = -0.4, on events and on bursts.
    let p = {
        let mut p = params(true);
        p.theta_min_hz = 0.0; // isolate the depression from the pre-event potentiation
        p
    };
    let er = 20.0 * 5.0 / 5.0; // Ebar / tau_avg after set_estimates(20 Hz)
    let h = -(er - 12.0) / er;
    assert_eq!(h, -0.4);
    // Event, P_bar = 0: v = -0, dw = eta (0 + h) * 1.
    let mut r = one_to_one(p.clone());
    r.set_estimates(0, 20.0, 0.0);
    let mut w = [W0];
    r.on_pre_event(0, &ONE_RS, &ONE_T, &mut w);
    r.on_post_event(0, &mut w);
    assert_w(w[0], W0 as f64 + ETA * h);
    // Burst: v = +1, dw = eta (1 + h) * 1 (Ebar unchanged by the burst).
    let mut r = one_to_one(p.clone());
    r.set_estimates(0, 20.0, 0.0);
    let mut w = [W0];
    r.on_pre_event(0, &ONE_RS, &ONE_T, &mut w);
    r.on_post_burst(0, &mut w);
    assert_w(w[0], W0 as f64 + ETA * (1.0 + h));
    // Exactly at theta_max (12 Hz): no depression (strict >).
    let mut r = one_to_one(p);
    r.set_estimates(0, 12.0, 0.0);
    let mut w = [W0];
    r.on_pre_event(0, &ONE_RS, &ONE_T, &mut w);
    r.on_post_burst(0, &mut w);
    assert_w(w[0], W0 as f64 + ETA);
}

// ---------------------------------------------------------------------------------------------
// 6. Plasticity off: no weight change, identical traces.

#[test]
fn disabled_rule_keeps_weights_and_evolves_traces_like_enabled_twin() {
    let (rs, t) = all_to_all(3, 4);
    let mut on = BurstRule::burst(&rs, &t, 4, params(true), DT);
    let mut off = BurstRule::burst(&rs, &t, 4, params(true), DT);
    assert!(on.enabled());
    off.set_enabled(false);
    assert!(!off.enabled());
    let mut w_on = vec![W0; t.len()];
    let mut w_off = w_on.clone();
    let mut rng = stream_rng(11, Stream::Poisson, &[6]);
    let mut spikes = vec![];
    for _ in 0..3000 {
        for j in 0..3 {
            if rng.random::<f64>() < 0.02 {
                on.on_pre_event(j, &rs, &t, &mut w_on);
                off.on_pre_event(j, &rs, &t, &mut w_off);
            }
        }
        spikes.clear();
        for i in 0..4 {
            let u = rng.random::<f64>();
            if u < 0.01 {
                on.on_post_event(i, &mut w_on);
                off.on_post_event(i, &mut w_off);
            } else if u < 0.015 {
                on.on_post_burst(i, &mut w_on);
                off.on_post_burst(i, &mut w_off);
            }
            if u < 0.03 {
                spikes.push(i); // any spike feeds r_hom, classified or not
            }
        }
        on.relax(&spikes);
        off.relax(&spikes);
        for j in 0..3 {
            assert_eq!(on.pre_trace(j), off.pre_trace(j));
        }
        for i in 0..4 {
            assert_eq!(on.event_rate_hz(i), off.event_rate_hz(i));
            assert_eq!(on.burst_rate_hz(i), off.burst_rate_hz(i));
            assert_eq!(on.hom_rate_hz(i), off.hom_rate_hz(i));
            assert_eq!(on.p_bar(i).to_bits(), off.p_bar(i).to_bits());
        }
    }
    assert!(w_off.iter().all(|&w| w == W0));
    assert!(w_on.iter().all(|&w| w != W0), "{w_on:?}");
    assert!(off.event_rate_hz(0) > 0.0 && off.burst_rate_hz(0) > 0.0 && off.pre_trace(0) > 0.0);
    // Switched back on, the same call changes weights.
    off.set_enabled(true);
    off.on_post_burst(0, &mut w_off);
    assert!(w_off[0] > W0);
}

// ---------------------------------------------------------------------------------------------
// 7. Order within a step (P11).

#[test]
fn pre_event_phase_runs_before_post_phase_of_the_same_step() {
    // Spec 5.1 and the reference (`AdaptiveEBCPConnection::propagate` calls
    // `compute_presyn_event_rate` before `compute_burst_rate`): the pre event of a step is handled
    // first. Its homeostatic term uses r_hom (0.1 Hz), then E_pre = 1; the post event of the same
    // step then sees E_pre = 1 and depresses by eta * (-1) * 1 (empty estimate).
    let mut r = one_to_one(params(true));
    let mut w = [W0];
    r.on_pre_event(0, &ONE_RS, &ONE_T, &mut w);
    let w1 = (W0 as f64 + ETA * (2.0 - 0.1)) as f32;
    assert_eq!(w[0], w1);
    assert_eq!(r.pre_trace(0), 1.0); // incremented after the weight update
    r.on_post_event(0, &mut w);
    let pre_first = (w1 as f64 - ETA * 1.0) as f32;
    assert_eq!(w[0], pre_first);

    // The other order would give a different weight: the post event sees E_pre = 0 (no change),
    // then the pre event's homeostatic term alone.
    let mut r = one_to_one(params(true));
    let mut w = [W0];
    r.on_post_event(0, &mut w);
    assert_eq!(w[0], W0);
    r.on_pre_event(0, &ONE_RS, &ONE_T, &mut w);
    assert_eq!(w[0], w1);
    assert_ne!(w1, pre_first);
}

// ---------------------------------------------------------------------------------------------
// 8. Burst-Poisson protocol (spec 7.1, `simulate_burstpoissonprotocol.py`, adapted).

const BP_N_PRE: usize = 10;
const BP_N_POST: usize = 40;
const BP_T_MS: f64 = 100_000.0;
const BP_TAU_AVG: f64 = 100_000.0; // ms
const BP_TAU_PRE: f64 = 50.0; // ms, as in spec 7.1
const BP_ETA: f64 = 1e-3;
const BP_ER: f64 = 5.0; // Hz, post event rate and pre Poisson rate

/// Spike steps of one post neuron: inter-event intervals 20 ms + Exp(lambda), lambda chosen so
/// that the mean interval is 1/ER (lambda = ER / (1 - 20 ms ER)); with probability `p` a second spike
/// 2 ms + U(0, 10) ms after the event.
fn burst_poisson_train(p: f64, rng: &mut burstsim::rng::Rng) -> Vec<u64> {
    let lambda_per_ms = BP_ER / 1000.0 / (1.0 - 20.0 * BP_ER / 1000.0);
    let mut out = vec![];
    let mut t = 0.0;
    loop {
        t += 20.0 - uniform_open0(rng).ln() / lambda_per_ms;
        if t >= BP_T_MS {
            return out;
        }
        out.push((t / DT) as u64);
        if rng.random::<f64>() < p {
            let tb = t + 2.0 + 10.0 * rng.random::<f64>();
            if tb < BP_T_MS {
                out.push((tb / DT) as u64);
            }
        }
    }
}

/// Runs the protocol at burst probability `p`; returns, per post neuron, the mean over its incoming
/// synapses of dW / eta, and the mean number of classified post events per neuron.
fn burst_poisson_run(p: f64, label: u64) -> (Vec<f64>, f64) {
    let mut prm = BurstRuleParams::reference(BP_ETA, BP_TAU_PRE, BP_TAU_AVG);
    prm.theta_min_hz = 0.0; // the trace-level rule has no homeostatic terms (spec 5.4)
    prm.theta_max_hz = f64::INFINITY;
    let (rs, t) = all_to_all(BP_N_PRE, BP_N_POST);
    let mut rule = BurstRule::burst(&rs, &t, BP_N_POST, prm, DT);
    for i in 0..BP_N_POST as u32 {
        rule.set_estimates(i, BP_ER, 0.2); // start estimate (ER, 0.2 ER)
    }
    let mut w = vec![W0; t.len()];
    let mut det = BurstDetector::new(BP_N_POST, 16.0, DT, DetectorRule::Trace);
    let trains: Vec<Vec<u64>> = (0..BP_N_POST as u64)
        .map(|i| burst_poisson_train(p, &mut stream_rng(2, Stream::Poisson, &[label, i])))
        .collect();
    let mut next = vec![0usize; BP_N_POST];
    let mut pre_rng = stream_rng(2, Stream::Poisson, &[label, 1_000_000]);
    let (mut spikes, mut events, mut bursts, mut onsets) = (vec![], vec![], vec![], vec![]);
    let mut n_events = 0usize;
    for step in 0..(BP_T_MS / DT) as u64 {
        spikes.clear();
        for (i, train) in trains.iter().enumerate() {
            if next[i] < train.len() && train[next[i]] == step {
                spikes.push(i as u32);
                next[i] += 1;
            }
        }
        events.clear();
        bursts.clear();
        det.classify(step, &spikes, &mut events, &mut bursts, &mut onsets);
        // (a) pre events (Poisson, at most one per step), then (b) post events and bursts.
        for j in 0..BP_N_PRE as u32 {
            if pre_rng.random::<f64>() < BP_ER * DT / 1000.0 {
                rule.on_pre_event(j, &rs, &t, &mut w);
            }
        }
        for &i in &events {
            rule.on_post_event(i, &mut w);
        }
        for &i in &bursts {
            rule.on_post_burst(i, &mut w);
        }
        n_events += events.len();
        det.relax(&spikes);
        rule.relax(&spikes);
    }
    let per_post = (0..BP_N_POST)
        .map(|i| (0..BP_N_PRE).map(|j| (w[j * BP_N_POST + i] - W0) as f64).sum::<f64>() / BP_N_PRE as f64 / BP_ETA)
        .collect();
    (per_post, n_events as f64 / BP_N_POST as f64)
}

#[test]
fn burst_poisson_protocol_sign_flips_where_p_crosses_the_estimate() {
    // Pre and post trains are independent, so E[dW/eta] = sum over post events k of
    // E[E_pre] (P(burst) - P_bar(t_k)), with E[E_pre] = r dt / (1 - exp(-dt/tau_pre)) (a pre event
    // of the step is counted before the post phase) and P_bar(t) = 0.2 e^(-t/tau_avg)
    // + p (1 - e^(-t/tau_avg)) (Ebar stays near ER tau_avg), so p - P_bar(t) = (p - 0.2) e^(-t/tau_avg).
    // Averaged over the run: (p - 0.2) (tau_avg/T)(1 - e^(-T/tau_avg)) = 0.632 (p - 0.2) at T = tau_avg.
    let e_pre = BP_ER * DT / 1000.0 / (1.0 - (-DT / BP_TAU_PRE).exp());
    let gain = BP_TAU_AVG / BP_T_MS * (1.0 - (-BP_T_MS / BP_TAU_AVG).exp());
    let mut means = vec![];
    for k in 0..10 {
        let p = 0.05 * k as f64;
        let (dw, n_ev) = burst_poisson_run(p, k as u64);
        let n = dw.len() as f64;
        let mean = dw.iter().sum::<f64>() / n;
        let sd = (dw.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let se = sd / n.sqrt();
        let predicted = n_ev * e_pre * gain * (p - 0.2);
        println!("p {p:.2}: dW/eta {mean:8.3} +- {se:.3} (predicted {predicted:8.3}), {n_ev:.0} events/neuron");
        if p <= 0.1 + 1e-9 {
            assert!(mean + 4.0 * se < 0.0, "p = {p}: dW/eta = {mean} +- {se} should be clearly < 0");
        }
        if p >= 0.3 - 1e-9 {
            assert!(mean - 4.0 * se > 0.0, "p = {p}: dW/eta = {mean} +- {se} should be clearly > 0");
        }
        // The magnitude follows the expectation above (4 standard errors, plus 10% for the
        // approximations: Ebar drifts slightly because the cumulative-trace detector drops a few
        // events that follow a burst, P10).
        assert!(
            (mean - predicted).abs() < 4.0 * se + 0.1 * predicted.abs(),
            "p = {p}: dW/eta = {mean} +- {se}, predicted {predicted}"
        );
        means.push((mean, se));
    }
    // The sign flips between p = 0.15 and p = 0.25, where p crosses the estimate P_bar = 0.2.
    let ((m15, se15), (m25, se25)) = (means[3], means[5]);
    assert!(m15 + 4.0 * se15 < 0.0 && m25 - 4.0 * se25 > 0.0, "{means:?}");
}
