//! The continuous-time single-phase BurstCCN (spec 2) and its teacher–student task.

use burstsim::rate::continuous::{ContinuousBurstCcn, ContinuousParams, ContinuousRule};
use burstsim::rate::linalg::sigmoid;

/// Teaching at every step (no second phase) makes the student follow the teacher: the mean loss
/// of the prediction-only window after training is at least 10× below the one before.
#[test]
fn learns_the_teacher_student_task_single_phase() {
    let p = ContinuousParams { train_steps: 500_000, report_every: 10_000, ..ContinuousParams::default() };
    let mut m = ContinuousBurstCcn::new(p);
    let w = m.run_task(|_| {});
    let mean = |phase: &str| {
        let v: Vec<f64> = w.iter().filter(|w| w.phase == phase).map(|w| w.mean_loss).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let (before, after) = (mean("before"), mean("after"));
    assert!(after * 10.0 < before, "loss before {before}, after {after}");
    // the applied update stays aligned with the true gradient (spec 6.1: well below 90°)
    let train: Vec<&_> = w.iter().filter(|w| w.phase == "train").collect();
    for win in train {
        assert!(win.angles.iter().all(|&a| a < 10.0), "{:?}", win.angles);
    }
}

/// With dt = τ_v the soma is instantaneous: after one step, e = σ(W e_pre + c) layer by layer.
#[test]
fn dt_equal_tau_gives_the_instantaneous_forward_pass() {
    let mut m = ContinuousBurstCcn::new(ContinuousParams::default());
    let x = [0.3f32, -0.7, 0.9];
    m.step(&x, None);
    let mut pre = x.to_vec();
    for l in 0..m.w.len() {
        let want: Vec<f32> = (0..m.w[l].rows())
            .map(|j| sigmoid(m.w[l].row(j).iter().zip(&pre).map(|(a, b)| a * b).sum::<f32>() + m.c[l][j]))
            .collect();
        for (a, b) in m.e[l].iter().zip(&want) {
            assert!((a - b).abs() < 1e-6);
        }
        pre = want;
    }
    // no teacher, first step: output p = p_b exactly
    assert!(m.p[m.w.len() - 1].iter().all(|&p| p == 0.5));
}

/// One teaching step applies ΔW_l = (dt/τ_W) ((p_l − p_b) ⊙ e_l) e_{l−1}ᵀ (spec 6.2).
#[test]
fn one_teaching_step_applies_the_burst_rule() {
    let mut m = ContinuousBurstCcn::new(ContinuousParams::default());
    let x = [0.2f32, 0.5, -0.4];
    m.step(&x, None);
    let before = m.w.clone();
    m.step(&x, Some(&[0.9]));
    let eta = 0.1 / 100.0;
    for (l, bl) in before.iter().enumerate() {
        let pre: Vec<f32> = if l == 0 { x.to_vec() } else { m.e[l - 1].clone() };
        for j in 0..m.w[l].rows() {
            let post = (m.p[l][j] - 0.5) * m.e[l][j];
            for (i, &xp) in pre.iter().enumerate() {
                let dw = m.w[l].row(j)[i] - bl.row(j)[i];
                assert!((dw - eta * post * xp).abs() < 1e-7, "layer {l} ({j},{i}): {dw} vs {}", eta * post * xp);
            }
        }
    }
    // weight transport after a teaching step: Y = W_{l+1}, Q = p_b W_{l+1}
    assert_eq!(m.y[0].as_slice(), m.w[1].as_slice());
    assert!(m.q[0].as_slice().iter().zip(m.w[1].as_slice()).all(|(q, w)| *q == 0.5 * w));
}

/// Mean loss of the prediction windows before and after training, and the mean angle (degrees)
/// between ΔW and −∇W over the teaching windows, all layers.
fn before_after(p: ContinuousParams) -> (f64, f64, f64) {
    let w = ContinuousBurstCcn::new(p).run_task(|_| {});
    let mean = |phase: &str| {
        let v: Vec<f64> = w.iter().filter(|w| w.phase == phase).map(|w| w.mean_loss).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let a: Vec<f64> = w.iter().filter(|w| w.phase == "train").flat_map(|w| w.angles.clone()).collect();
    (mean("before"), mean("after"), a.iter().sum::<f64>() / a.len() as f64)
}

/// The paper's single-phase claim (spec 6.1 item 2): with the teacher always on, BurstCCN learns
/// the task, while burstprop, whose baseline is a moving average of its own bursts, does not:
/// the average catches up with the teacher-driven bursts within τ_avg, what remains of p − p̄ is
/// a lagged signal nearly orthogonal to the gradient (~81° at the start, > 90° later) and after a
/// slow descent the loss runs away (measured: 0.021 → 0.0096 at 350k steps → 0.226 at 1M). Give
/// burstprop teacher-off periods (50 predict + 5 teach steps per cycle, the reference's two-phase
/// timing) and it learns (0.021 → 0.0097, teaching on 1/11 of the steps). BurstCCN: 0.021 →
/// 0.0015 in 300k steps with updates within 10° of the gradient. Thresholds sit well inside
/// these deterministic (fixed-seed) figures.
#[test]
fn burstprop_needs_two_phases_where_burstccn_learns_in_one() {
    let base = ContinuousParams { train_steps: 300_000, report_every: 10_000, ..ContinuousParams::default() };
    let (b0, b1, ba) = before_after(base.clone());
    assert!(b1 * 10.0 < b0, "BurstCCN single phase: loss {b0} -> {b1}");
    assert!(ba < 10.0, "BurstCCN angle to the gradient {ba}°");
    let bp = ContinuousParams {
        rule: ContinuousRule::Burstprop,
        beta: 1.0,
        train_steps: 1_000_000,
        report_every: 50_000,
        ..ContinuousParams::default()
    };
    let (p0, p1, pa) = before_after(bp.clone());
    assert_eq!(p0, b0, "same task and initial weights before training");
    assert!(p1 > p0, "burstprop single phase should fail: loss {p0} -> {p1}");
    assert!(pa > 60.0, "burstprop single phase angle to the gradient {pa}°");
    let (q0, q1, _) = before_after(ContinuousParams { teach_cycle: 55, teach_steps: 5, ..bp });
    assert!(q1 * 1.5 < q0, "burstprop two phases should learn: loss {q0} -> {q1}");
}

/// Burstprop's baseline is the moving average p̄ = b̄/ē of the steps before: after the averages
/// have converged on a constant input without teacher (4000 steps = 80 τ_avg), one teaching step
/// changes W_l by (dt/τ_W)((p_l − p̄_l) ⊙ e_l) e_{l−1}ᵀ with p̄_l the resting burst probability;
/// at the output that is (dt/τ_W) p_b (t − e)(1 − e) e e_preᵀ.
#[test]
fn burstprop_learns_from_burst_probability_above_its_average() {
    // τ_W = 1 (η = 0.1 per step) so that a single step is well above f32 resolution
    let p = ContinuousParams { rule: ContinuousRule::Burstprop, beta: 1.0, tau_w: 1.0, ..ContinuousParams::default() };
    let mut m = ContinuousBurstCcn::new(p);
    let x = [0.2f32, 0.5, -0.4];
    for _ in 0..4000 {
        m.step(&x, None);
    }
    let rest = m.p.clone();
    let e_rest = m.e.clone();
    let before = m.w.clone();
    m.step(&x, Some(&[0.9]));
    let eta = 0.1 / 1.0;
    let e_out = e_rest[1][0];
    // the output's teaching signal uses the averaged rate, equal to e here
    assert!((m.p[1][0] - (0.5 + 0.5 * (0.9 - e_out) * (1.0 - e_out))).abs() < 1e-6);
    assert!(rest[0].iter().all(|&p| p != 0.5), "hidden resting p differs from p_b without Q");
    for (l, bl) in before.iter().enumerate() {
        let pre: Vec<f32> = if l == 0 { x.to_vec() } else { m.e[l - 1].clone() };
        let mut largest = 0.0f32;
        for (j, &p_rest) in rest[l].iter().enumerate() {
            let post = (m.p[l][j] - p_rest) * m.e[l][j];
            for (i, &xp) in pre.iter().enumerate() {
                let dw = m.w[l].row(j)[i] - bl.row(j)[i];
                // f32 weights of order 0.1-1 resolve steps down to ~1e-8: tolerance 1e-7 (as above)
                assert!((dw - eta * post * xp).abs() < 1e-7, "layer {l} ({j},{i}): {dw} vs {}", eta * post * xp);
                largest = largest.max(dw.abs());
            }
        }
        assert!(largest > 1e-5, "layer {l}: largest step {largest}, too small to test against 1e-7");
    }
}
