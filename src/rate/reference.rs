//! The reference learners computed in the same pass (spec 1.7): backprop (BP) and feedback
//! alignment (FA), for the MSE loss ½‖e_L − t‖² through the sigmoid output.

use super::linalg::{gemm, Mat};
use super::network::Network;

/// Computes the BP (`use_y = false`) or FA (`use_y = true`) deltas into `delta`:
/// δ_L = (e_L − t) ⊙ e_L(1 − e_L), δ_l = (M_lᵀ δ_{l+1}) ⊙ e_l(1 − e_l) with M_l = W_{l+1} (BP) or
/// Y_l (FA, Y plays the fixed random matrix B).
pub fn deltas(net: &Network, e: &[Mat], t: &Mat, use_y: bool, delta: &mut Vec<Mat>) {
    let nl = net.n_layers();
    delta.resize(nl, Mat::zeros(0, 0));
    let top = nl - 1;
    let d = &mut delta[top];
    d.reshape(e[top].rows(), e[top].cols());
    for k in 0..d.as_slice().len() {
        let ek = e[top].as_slice()[k];
        d.as_mut_slice()[k] = (ek - t.as_slice()[k]) * ek * (1.0 - ek);
    }
    for l in (0..top).rev() {
        let (lo, hi) = delta.split_at_mut(l + 1);
        let m = if use_y { net.y_eff(l) } else { &net.w[l + 1] };
        // δ_l = (δ_{l+1} · M) ⊙ σ'(v_l)
        gemm(1.0, hi[0].v(), m.v(), 0.0, &mut lo[l]);
        for (d, &ek) in lo[l].as_mut_slice().iter_mut().zip(e[l].as_slice()) {
            *d *= ek * (1.0 - ek);
        }
    }
}

/// Batch-mean gradients (spec 1.4): G_W,l = (1/B) δ_lᵀ e_{l−1}, G_c,l = (1/B) Σ_batch δ_l.
pub fn gradients(x: &Mat, e: &[Mat], delta: &[Mat], gw: &mut Vec<Mat>, gc: &mut Vec<Vec<f32>>) {
    let nl = delta.len();
    gw.resize(nl, Mat::zeros(0, 0));
    gc.resize(nl, Vec::new());
    let bsz = x.rows() as f32;
    for l in 0..nl {
        let pre = if l == 0 { x } else { &e[l - 1] };
        gemm(1.0 / bsz, delta[l].t(), pre.v(), 0.0, &mut gw[l]);
        let n = delta[l].cols();
        let g = &mut gc[l];
        g.clear();
        g.resize(n, 0.0);
        for row in delta[l].as_slice().chunks_exact(n) {
            for (s, &d) in g.iter_mut().zip(row) {
                *s += d;
            }
        }
        for s in g.iter_mut() {
            *s /= bsz;
        }
    }
}
