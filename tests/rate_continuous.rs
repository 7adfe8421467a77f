//! The continuous-time single-phase BurstCCN (spec 2) and its teacher–student task.

use burstsim::rate::continuous::{ContinuousBurstCcn, ContinuousParams};
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
        let want: Vec<f32> = (0..m.w[l].rows)
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
        for j in 0..m.w[l].rows {
            let post = (m.p[l][j] - 0.5) * m.e[l][j];
            for (i, &xp) in pre.iter().enumerate() {
                let dw = m.w[l].row(j)[i] - bl.row(j)[i];
                assert!((dw - eta * post * xp).abs() < 1e-7, "layer {l} ({j},{i}): {dw} vs {}", eta * post * xp);
            }
        }
    }
    // weight transport after a teaching step: Y = W_{l+1}, Q = p_b W_{l+1}
    assert_eq!(m.y[0].data, m.w[1].data);
    assert!(m.q[0].data.iter().zip(&m.w[1].data).all(|(q, w)| *q == 0.5 * w));
}
