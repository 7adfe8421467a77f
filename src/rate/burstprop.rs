//! The burstprop baseline (Payeur et al. 2021) as coded in the reference's discrete model (spec 3).
//!
//! No Q pathway and no constant baseline: two feedback sweeps with the same Y, one without teacher
//! (output p = p_b) and one with the teacher (output p_t = p_b[1 + (t − e)(1 − e)]). In both, the
//! hidden burst probability is p_l = σ((Y_lᵀ b_{l+1}) ⊙ (1 − e_l) − R_l b_pre,l) (no factor 4),
//! b_l = p_l e_l. The learning signal is the difference of the two sweeps: δ_l = −(b_t,l − b_l).
//!
//! Optional learned recurrent input (spec 3, item 2): b_pre,l = σ(Y_lᵀ b_{l+1}) ⊙ e_l from the
//! no-teacher feedback, subtracted through R_l in both sweeps, and R_l ← R_l + η_R Σ_batch u_l
//! b_pre,lᵀ with u_l the no-teacher apical drive (sum over the batch, as in the reference). With
//! R = ∅ the recurrent term is absent.

use super::burstccn::{output_bursts, FeedbackState};
use super::linalg::{gemm, sigmoid, Mat};
use super::network::Network;

/// Settings of the learned recurrent input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecurrentSpec {
    /// η_R (reference 1e-4).
    pub lr: f32,
    /// Std of the initial R ~ N(0, std²) (reference 0.01).
    pub init_std: f32,
}

/// Per hidden layer: b_pre and its recurrent inhibition b_pre Rᵀ (empty without R).
#[derive(Debug, Clone, Default)]
pub struct RecurrentState {
    /// b_pre,l = σ(Y_lᵀ b_{l+1}) ⊙ e_l from the no-teacher feedback.
    pub b_pre: Vec<Mat>,
    /// The subtracted drive R_l b_pre,l (batch-major: b_pre Rᵀ).
    pub inh: Vec<Mat>,
}

/// One top-down sweep: output bursts from the (optional) teacher, then
/// p_l = σ(u_l) with u_l = (Y_lᵀ b_{l+1}) ⊙ (1 − e_l) − R_l b_pre,l (stored in `fs.a`).
/// The no-teacher sweep (`t = None`) computes b_pre and the inhibition into `rec` when R exists;
/// the teacher sweep reuses them.
pub fn sweep(net: &Network, e: &[Mat], t: Option<&Mat>, p_b: f32, fs: &mut FeedbackState, rec: &mut RecurrentState) {
    let nl = net.n_layers();
    fs.ensure(nl);
    let top = nl - 1;
    let recurrent = !net.r.is_empty();
    if recurrent && t.is_none() {
        rec.b_pre.resize(top, Mat::zeros(0, 0));
        rec.inh.resize(top, Mat::zeros(0, 0));
    }
    output_bursts(&e[top], t, p_b, &mut fs.p[top], &mut fs.b[top]);
    for l in (0..top).rev() {
        // Y_lᵀ b_{l+1} (batch-major)
        gemm(1.0, fs.b[l + 1].v(), net.y_eff(l).v(), 0.0, &mut fs.a[l]);
        if recurrent && t.is_none() {
            // b_pre = σ(Yᵀb) ⊙ e ; inh = b_pre Rᵀ
            let bp = &mut rec.b_pre[l];
            bp.reshape(e[l].rows(), e[l].cols());
            for (k, x) in bp.as_mut_slice().iter_mut().enumerate() {
                *x = sigmoid(fs.a[l].as_slice()[k]) * e[l].as_slice()[k];
            }
            gemm(1.0, rec.b_pre[l].v(), net.r[l].t(), 0.0, &mut rec.inh[l]);
        }
        let (p, b, a) = (&mut fs.p[l], &mut fs.b[l], &mut fs.a[l]);
        p.reshape(e[l].rows(), e[l].cols());
        b.reshape(e[l].rows(), e[l].cols());
        for k in 0..p.as_slice().len() {
            let ek = e[l].as_slice()[k];
            let inh = if recurrent { rec.inh[l].as_slice()[k] } else { 0.0 };
            let u = a.as_slice()[k] * (1.0 - ek) - inh;
            a.as_mut_slice()[k] = u;
            let pk = sigmoid(u);
            p.as_mut_slice()[k] = pk;
            b.as_mut_slice()[k] = pk * ek;
        }
    }
}

/// Both sweeps, then δ_l = −(b_t,l − b_l) into `teach.delta` (`base` holds the no-teacher sweep,
/// whose `a` is the drive u used by the R rule).
pub fn feedback(
    net: &Network,
    e: &[Mat],
    t: &Mat,
    p_b: f32,
    base: &mut FeedbackState,
    teach: &mut FeedbackState,
    rec: &mut RecurrentState,
) {
    sweep(net, e, None, p_b, base, rec);
    sweep(net, e, Some(t), p_b, teach, rec);
    for (l, el) in e.iter().enumerate().take(net.n_layers()) {
        let d = &mut teach.delta[l];
        d.reshape(el.rows(), el.cols());
        for k in 0..d.as_slice().len() {
            d.as_mut_slice()[k] = -(teach.b[l].as_slice()[k] - base.b[l].as_slice()[k]);
        }
    }
}

/// The recurrent rule: R_l ← R_l + η_R Σ_batch u_l b_pre,lᵀ (u from the no-teacher sweep).
pub fn update_recurrent(net: &mut Network, base: &FeedbackState, rec: &RecurrentState, lr: f32) {
    for l in 0..net.r.len() {
        gemm(lr, base.a[l].t(), rec.b_pre[l].v(), 1.0, &mut net.r[l]);
    }
}
