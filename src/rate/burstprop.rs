//! The burstprop baseline (Payeur et al. 2021) as coded in the reference's discrete model (spec 3).
//!
//! No Q pathway and no constant baseline: two feedback sweeps with the same Y, one without teacher
//! (output p = p_b) and one with the teacher (output p_t = p_b[1 + (t − e)(1 − e)]). In both, the
//! hidden burst probability is p_l = σ((Y_lᵀ b_{l+1}) ⊙ (1 − e_l)) (no factor 4), b_l = p_l e_l.
//! The learning signal is the difference of the two sweeps: δ_l = −(b_t,l − b_l).
//! The optional learned recurrent input R (spec 3, item 2) is not implemented.

use super::burstccn::{output_bursts, FeedbackState};
use super::linalg::{gemm, sigmoid, Mat};
use super::network::Network;

/// One top-down sweep: output bursts from the (optional) teacher, then p_l = σ(u_l ⊙ (1 − e_l))
/// with u_l = Y_lᵀ b_{l+1} (stored in `fs.a`).
pub fn sweep(net: &Network, e: &[Mat], t: Option<&Mat>, p_b: f32, fs: &mut FeedbackState) {
    let nl = net.n_layers();
    fs.ensure(nl);
    let top = nl - 1;
    output_bursts(&e[top], t, p_b, &mut fs.p[top], &mut fs.b[top]);
    for l in (0..top).rev() {
        gemm(1.0, fs.b[l + 1].v(), net.y_eff(l).v(), 0.0, &mut fs.a[l]);
        let (p, b) = (&mut fs.p[l], &mut fs.b[l]);
        p.reshape(e[l].rows, e[l].cols);
        b.reshape(e[l].rows, e[l].cols);
        for k in 0..p.data.len() {
            let ek = e[l].data[k];
            let pk = sigmoid(fs.a[l].data[k] * (1.0 - ek));
            p.data[k] = pk;
            b.data[k] = pk * ek;
        }
    }
}

/// Both sweeps, then δ_l = −(b_t,l − b_l) into `teach.delta` (`base` holds the no-teacher sweep).
pub fn feedback(
    net: &Network,
    e: &[Mat],
    t: &Mat,
    p_b: f32,
    base: &mut FeedbackState,
    teach: &mut FeedbackState,
) {
    sweep(net, e, None, p_b, base);
    sweep(net, e, Some(t), p_b, teach);
    for (l, el) in e.iter().enumerate().take(net.n_layers()) {
        let d = &mut teach.delta[l];
        d.reshape(el.rows, el.cols);
        for k in 0..d.data.len() {
            d.data[k] = -(teach.b[l].data[k] - base.b[l].data[k]);
        }
    }
}
