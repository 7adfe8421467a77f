//! The layered network: feed-forward weights W, biases c, and the two top-down pathways Y (bursts,
//! excitatory) and Q (events, inhibitory) of each hidden layer (spec sections 1.1, 1.5, 1.6).
//!
//! Indexing is 0-based: weight layer `i` (0..L) maps `sizes[i]` → `sizes[i+1]`, `w[i]` is
//! `sizes[i+1] × sizes[i]`. Hidden layer `i` (0..L−1) has `y[i]` and `q[i]`, both of the shape of
//! `w[i+1]` (they are stored on the lower layer, as in the reference).

use super::linalg::{gemm_map, sigmoid, Mat};
use rand::Rng;

/// Rows per unit of parallel work in element-wise layer operations.
pub const ROW_BLOCK: usize = 8;
use serde::{Deserialize, Serialize};

/// How the burst feedback Y is set (spec 1.5, `--Y_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum YMode {
    /// Y_i = s_Y · W_{i+1}, re-copied after every update (weight transport, backprop-like).
    Tied,
    /// Y_i = s_Y · W_{i+1} at initialisation only.
    SymmetricInit,
    /// Y_i ~ N(0, s_Y²) i.i.d. (feedback alignment).
    Random,
}

/// How the event feedback Q is set (spec 1.5, `--Q_mode`). Learning is a separate flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QMode {
    /// Q_i = p_b · Y_i, re-copied after every update (after Y is re-tied).
    Tied,
    /// Q_i = p_b · Y_i at initialisation only.
    SymmetricInit,
    /// Q_i ~ N(0, s_Q²) i.i.d.
    Random,
}

/// The feedback configuration of a network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeedbackSpec {
    /// Y mode.
    pub y_mode: YMode,
    /// s_Y: scale of Y (std if random, factor on W otherwise). Reference default 1.0.
    pub y_scale: f32,
    /// Q mode.
    pub q_mode: QMode,
    /// s_Q: std of a random Q. Reference default 1.0.
    pub q_scale: f32,
    /// Learning rate of Y's rule G_Y = mean(e_{l+1} a_lᵀ), `None` = Y fixed.
    pub y_lr: Option<f32>,
    /// Learning rate of Q's rule G_Q = −mean(e_{l+1} a_lᵀ), `None` = Q fixed.
    pub q_lr: Option<f32>,
    /// Burstprop's Y learning (spec 3 item 3): Y_l receives exactly W_{l+1}'s update (same
    /// gradient, η, momentum and weight decay; Kolen–Pollack-like, so Y and W converge).
    pub y_follows_w: bool,
}

impl FeedbackSpec {
    /// True when Q = p_b·Y holds exactly at every step, so that a = Yᵀ(b − p_b e) may be used.
    pub fn q_is_pb_y(&self) -> bool {
        match self.q_mode {
            QMode::Tied => true,
            QMode::SymmetricInit => {
                self.y_mode != YMode::Tied && self.y_lr.is_none() && self.q_lr.is_none() && !self.y_follows_w
            }
            QMode::Random => false,
        }
    }
}

/// Weights of a layered sigmoid network with top-down feedback.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    /// Layer widths, input first: `[784, 500, 500, 500, 10]`.
    pub sizes: Vec<usize>,
    /// Feed-forward weights, `w[i]` is `sizes[i+1] × sizes[i]`.
    pub w: Vec<Mat>,
    /// Biases, `c[i]` has `sizes[i+1]` entries.
    pub c: Vec<Vec<f32>>,
    /// Burst feedback of hidden layer i, shape of `w[i+1]`.
    pub y: Vec<Mat>,
    /// Event feedback of hidden layer i, shape of `w[i+1]`.
    pub q: Vec<Mat>,
    /// Burstprop's learned recurrent input R of hidden layer i (`n_{i+1} × n_{i+1}`); empty when
    /// unused.
    pub r: Vec<Mat>,
    /// True when Y is tied with scale 1, so Y_i ≡ W_{i+1}: the feedback passes then read W
    /// directly (see [`Network::y_eff`]) and the stored `y` is refreshed only by `retie`.
    pub y_is_w: bool,
}

impl Network {
    /// Builds a network: W Xavier-normal with `gain` (std = gain·√(2/(fan_in+fan_out)), spec 1.6),
    /// c = 0, then Y and Q from `fb` (spec 1.5). Draw order: all W, then all Y, then all Q.
    pub fn new(sizes: &[usize], gain: f32, p_b: f32, fb: &FeedbackSpec, rng: &mut impl Rng) -> Self {
        let nl = sizes.len() - 1;
        let w: Vec<Mat> = (0..nl)
            .map(|i| {
                let std = gain * (2.0 / (sizes[i] + sizes[i + 1]) as f32).sqrt();
                Mat::randn(sizes[i + 1], sizes[i], std, rng)
            })
            .collect();
        let c = (0..nl).map(|i| vec![0.0; sizes[i + 1]]).collect();
        let y: Vec<Mat> = (0..nl.saturating_sub(1))
            .map(|i| match fb.y_mode {
                YMode::Random => Mat::randn(sizes[i + 2], sizes[i + 1], fb.y_scale, rng),
                YMode::Tied | YMode::SymmetricInit => scaled(&w[i + 1], fb.y_scale),
            })
            .collect();
        let q = (0..nl.saturating_sub(1))
            .map(|i| match fb.q_mode {
                QMode::Random => Mat::randn(sizes[i + 2], sizes[i + 1], fb.q_scale, rng),
                QMode::Tied | QMode::SymmetricInit => scaled(&y[i], p_b),
            })
            .collect();
        Network {
            sizes: sizes.to_vec(),
            w,
            c,
            y,
            q,
            r: Vec::new(),
            y_is_w: fb.y_mode == YMode::Tied && fb.y_scale == 1.0,
        }
    }

    /// The burst feedback of hidden layer i as the feedback passes must see it: W_{i+1} when Y is
    /// tied with scale 1 (identical values, no copy needed), the stored Y_i otherwise.
    pub fn y_eff(&self, i: usize) -> &Mat {
        if self.y_is_w {
            &self.w[i + 1]
        } else {
            &self.y[i]
        }
    }

    /// Number of weight layers L.
    pub fn n_layers(&self) -> usize {
        self.w.len()
    }

    /// Forward pass (spec 1.1): v_i = W_i e_{i−1} + c_i, e_i = σ(v_i), e_{−1} = x.
    /// `x` is `B × sizes[0]`; `e[i]` receives layer i's rates (`B × sizes[i+1]`).
    pub fn forward(&self, x: &Mat, e: &mut Vec<Mat>) {
        e.resize(self.n_layers(), Mat::zeros(0, 0));
        for i in 0..self.n_layers() {
            let (before, rest) = e.split_at_mut(i);
            let input = if i == 0 { x } else { &before[i - 1] };
            let out = &mut rest[0];
            // V = E_pre · Wᵀ, then e = σ(V + c) on each finished block (element-wise, so the
            // split across threads does not change a bit)
            let c = &self.c[i];
            let act = |j0: usize, seg: &mut [f32]| {
                for (v, &c) in seg.iter_mut().zip(&c[j0..]) {
                    *v = sigmoid(*v + c);
                }
            };
            gemm_map(1.0, input.v(), self.w[i].t(), 0.0, out, Some(&act));
        }
    }

    /// Re-ties the feedback after a weight update (spec 1.5, step 3): Y_i ← s_Y W_{i+1} if Y is
    /// tied, then Q_i ← p_b Y_i if Q is tied.
    pub fn retie(&mut self, fb: &FeedbackSpec, p_b: f32) {
        for i in 0..self.y.len() {
            if fb.y_mode == YMode::Tied {
                copy_scaled(&self.w[i + 1], fb.y_scale, &mut self.y[i]);
            }
            if fb.q_mode == QMode::Tied {
                copy_scaled(&self.y[i], p_b, &mut self.q[i]);
            }
        }
    }
}

/// s·M as a new matrix.
fn scaled(m: &Mat, s: f32) -> Mat {
    let mut out = m.clone();
    for x in out.as_mut_slice().iter_mut() {
        *x *= s;
    }
    out
}

/// dst ← s·src (same shape).
fn copy_scaled(src: &Mat, s: f32, dst: &mut Mat) {
    dst.reshape(src.rows(), src.cols());
    if s == 1.0 {
        dst.as_mut_slice().copy_from_slice(src.as_slice());
    } else {
        for (d, &x) in dst.as_mut_slice().iter_mut().zip(src.as_slice()) {
            *d = s * x;
        }
    }
}
