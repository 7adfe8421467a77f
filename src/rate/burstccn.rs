//! The BurstCCN feedback pass (spec 1.2, 1.3, 1.11 general p_b, 1.12).
//!
//! After the forward pass, the output layer's burst probability is nudged by the teacher, and
//! bursts travel down through Y (excitatory) while events travel down through Q (inhibitory). Each
//! layer's learning signal is its burst rate's deviation from the baseline p_b·e:
//! δ_l = −(b_l − p_b e_l), so that G_W = mean(δ_l e_{l−1}ᵀ) and W ← W − η G_W.

use super::linalg::{gemm, sigmoid, Mat};
use super::network::{Network, ROW_BLOCK};
use rayon::prelude::*;

/// Buffers of one feedback pass: per layer p, b, δ (all layers) and a (hidden layers).
#[derive(Debug, Clone, Default)]
pub struct FeedbackState {
    /// Burst probabilities p_l, `B × n_l`.
    pub p: Vec<Mat>,
    /// Burst rates b_l = p_l ⊙ e_l.
    pub b: Vec<Mat>,
    /// Apical potentials a_l of the hidden layers.
    pub a: Vec<Mat>,
    /// Learning signals δ_l = −(b_l − p_b e_l).
    pub delta: Vec<Mat>,
}

impl FeedbackState {
    /// Sizes the per-layer vectors for `n_layers` weight layers.
    pub fn ensure(&mut self, n_layers: usize) {
        let z = Mat::zeros(0, 0);
        self.p.resize(n_layers, z.clone());
        self.b.resize(n_layers, z.clone());
        self.delta.resize(n_layers, z.clone());
        self.a.resize(n_layers.saturating_sub(1), z);
    }
}

/// Output teaching signal (spec 1.2):
/// p_L = p_b [1 + (t − e_L) ⊙ (1 − e_L)], b_L = p_L ⊙ e_L.
/// Without a teacher, t := e_L, so p_L = p_b exactly.
pub fn output_bursts(e: &Mat, t: Option<&Mat>, p_b: f32, p: &mut Mat, b: &mut Mat) {
    p.reshape(e.rows(), e.cols());
    b.reshape(e.rows(), e.cols());
    for k in 0..e.as_slice().len() {
        let ek = e.as_slice()[k];
        let tk = t.map_or(ek, |t| t.as_slice()[k]);
        let pk = p_b * (1.0 + (tk - ek) * (1.0 - ek));
        p.as_mut_slice()[k] = pk;
        b.as_mut_slice()[k] = pk * ek;
    }
}

/// Hidden burst probability, general p_b (spec 1.3 and 1.11):
/// p = 2 p_b σ((2/p_b) · a ⊙ (1 − e)), b = p ⊙ e.
/// For p_b = 0.5 this is exactly the reference's σ(4 a (1 − e)) (the factors 1 and 4 are exact).
/// The resting value (a = 0) is p_b and the slope in a(1 − e) at rest is 1. Note p < 2 p_b, so
/// for p_b > 0.5 "probabilities" above 1 are possible, as in the later reference code.
pub fn hidden_bursts(a: &Mat, e: &Mat, p_b: f32, p: &mut Mat, b: &mut Mat) {
    p.reshape(e.rows(), e.cols());
    b.reshape(e.rows(), e.cols());
    let (amp, beta) = (2.0 * p_b, 2.0 / p_b);
    // element-wise, in fixed blocks of rows: any thread count gives the same bits
    let blk = e.cols().max(1) * ROW_BLOCK;
    p.as_mut_slice()
        .par_chunks_mut(blk)
        .zip(b.as_mut_slice().par_chunks_mut(blk))
        .zip(a.as_slice().par_chunks(blk).zip(e.as_slice().par_chunks(blk)))
        .for_each(|((p, b), (a, e))| {
            for k in 0..e.len() {
                let ek = e[k];
                let pk = amp * sigmoid(beta * a[k] * (1.0 - ek));
                p[k] = pk;
                b[k] = pk * ek;
            }
        });
}

/// δ = −(b − p_b e): the burst-dependent learning signal (spec 1.4).
pub fn burst_delta(b: &Mat, e: &Mat, p_b: f32, delta: &mut Mat) {
    delta.reshape(e.rows(), e.cols());
    for k in 0..e.as_slice().len() {
        delta.as_mut_slice()[k] = -(b.as_slice()[k] - p_b * e.as_slice()[k]);
    }
}

/// Runs the BurstCCN feedback pass given the forward rates `e` (spec 1.12, "output" and "down").
///
/// Apical potential a_l = Y_lᵀ b_{l+1} − Q_lᵀ e_{l+1}, computed as two products (so that with
/// Q = p_b Y, p_b = 0.5 and no teacher, a = 0 bit-exactly). When `q_is_pb_y` is set (Q = p_b Y is
/// guaranteed by the feedback modes), the equal expression a_l = Y_lᵀ (b_{l+1} − p_b e_{l+1}) is
/// used instead: one product instead of two, and still exactly 0 without a teacher.
pub fn feedback(
    net: &Network,
    e: &[Mat],
    t: Option<&Mat>,
    p_b: f32,
    q_is_pb_y: bool,
    fs: &mut FeedbackState,
    scratch: &mut Mat,
) {
    let nl = net.n_layers();
    fs.ensure(nl);
    let top = nl - 1;
    output_bursts(&e[top], t, p_b, &mut fs.p[top], &mut fs.b[top]);
    burst_delta(&fs.b[top], &e[top], p_b, &mut fs.delta[top]);
    for l in (0..top).rev() {
        if q_is_pb_y {
            // b_{l+1} − p_b e_{l+1} = −δ_{l+1}; a_l = (−δ_{l+1}) · Y_l
            gemm(-1.0, fs.delta[l + 1].v(), net.y_eff(l).v(), 0.0, &mut fs.a[l]);
        } else {
            // a_l = b_{l+1} · Y_l − e_{l+1} · Q_l   (batch-major form of Yᵀb − Qᵀe)
            gemm(1.0, fs.b[l + 1].v(), net.y_eff(l).v(), 0.0, &mut fs.a[l]);
            gemm(1.0, e[l + 1].v(), net.q[l].v(), 0.0, scratch);
            for (a, &s) in fs.a[l].as_mut_slice().iter_mut().zip(scratch.as_slice()) {
                *a -= s;
            }
        }
        let (p, b) = (&mut fs.p[l], &mut fs.b[l]);
        hidden_bursts(&fs.a[l], &e[l], p_b, p, b);
        burst_delta(&fs.b[l], &e[l], p_b, &mut fs.delta[l]);
    }
}
