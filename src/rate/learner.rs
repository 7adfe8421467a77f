//! A network together with its learning rule, optimiser state and buffers: one training step.

use super::burstccn::{self, FeedbackState};
use super::burstprop::{self, RecurrentSpec, RecurrentState};
use super::linalg::{angle_deg, gemm, Mat};
use super::network::{FeedbackSpec, Network};
use super::optim::{self, DecayMode, Momentum, SgdParams};
use super::reference;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// The learning rule that updates W.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// BurstCCN (spec 1): δ_l = −(b_l − p_b e_l) from a single teacher-on feedback pass.
    Burstccn,
    /// Burstprop (spec 3): δ_l = −(b_t,l − b_l) from a teacher and a no-teacher sweep.
    Burstprop,
    /// Backprop for ½‖e_L − t‖² (spec 1.7).
    Backprop,
    /// Feedback alignment with Y as the fixed feedback matrix (spec 1.7).
    FeedbackAlignment,
}

/// Everything needed to build a [`Learner`].
#[derive(Debug, Clone, PartialEq)]
pub struct LearnerSpec {
    /// Layer widths, input first.
    pub sizes: Vec<usize>,
    /// Learning rule.
    pub rule: Rule,
    /// Baseline burst probability p_b.
    pub p_b: f32,
    /// Xavier gain of W (reference 3.6).
    pub w_gain: f32,
    /// Feedback modes.
    pub feedback: FeedbackSpec,
    /// Optimiser.
    pub sgd: SgdParams,
    /// Burstprop's learned recurrent input (spec 3), if any.
    pub recurrent: Option<RecurrentSpec>,
}

/// What one training step reports.
#[derive(Debug, Clone, Default)]
pub struct StepStats {
    /// Misclassified examples of the batch (forward pass before the update).
    pub errors: usize,
    /// Sum over batch × outputs of (e_L − t)².
    pub sq_error: f64,
    /// Per weight layer, angle (degrees) between this rule's G_W and backprop's, if requested.
    pub angles: Option<Vec<f64>>,
}

/// Network + rule + optimiser state + reusable buffers.
#[derive(Debug, Clone)]
pub struct Learner {
    /// The weights.
    pub net: Network,
    /// The settings.
    pub spec: LearnerSpec,
    /// Momentum buffers of W (one per layer).
    pub mom_w: Vec<Momentum>,
    /// Momentum buffers of c (one per layer).
    pub mom_c: Vec<Momentum>,
    /// Momentum buffers of Y (one per hidden layer; burstprop's Y learning only).
    pub mom_y: Vec<Momentum>,
    /// Forward rates of the last batch.
    pub e: Vec<Mat>,
    /// Feedback state of the last batch (teacher sweep).
    pub fs: FeedbackState,
    base: FeedbackState,
    bp_delta: Vec<Mat>,
    /// Weight gradients of the last step (of this rule).
    pub gw: Vec<Mat>,
    /// Bias gradients of the last step.
    pub gc: Vec<Vec<f32>>,
    gw_ref: Vec<Mat>,
    gc_ref: Vec<Vec<f32>>,
    scratch: Mat,
    target: Mat,
    feedback_stale: bool,
    rec: RecurrentState,
}

impl Learner {
    /// Builds the network (drawing from `rng`) and zeroed optimiser state.
    pub fn new(spec: LearnerSpec, rng: &mut impl Rng) -> Self {
        let mut net = Network::new(&spec.sizes, spec.w_gain, spec.p_b, &spec.feedback, rng);
        if let (Rule::Burstprop, Some(r)) = (spec.rule, spec.recurrent) {
            // drawn after W, Y and Q
            let s = &spec.sizes;
            net.r = (1..s.len() - 1).map(|i| Mat::randn(s[i], s[i], r.init_std, rng)).collect();
        }
        Self::from_network(net, spec)
    }

    /// Wraps an existing network.
    pub fn from_network(net: Network, spec: LearnerSpec) -> Self {
        let nl = net.n_layers();
        Learner {
            net,
            spec,
            mom_w: vec![Momentum::default(); nl],
            mom_c: vec![Momentum::default(); nl],
            mom_y: vec![Momentum::default(); nl.saturating_sub(1)],
            e: Vec::new(),
            fs: FeedbackState::default(),
            base: FeedbackState::default(),
            bp_delta: Vec::new(),
            gw: Vec::new(),
            gc: Vec::new(),
            gw_ref: Vec::new(),
            gc_ref: Vec::new(),
            scratch: Mat::zeros(0, 0),
            target: Mat::zeros(0, 0),
            feedback_stale: false,
            rec: RecurrentState::default(),
        }
    }

    /// Floats held by the learner's buffers (lengths, not capacities): the parameters, the
    /// optimiser state and the buffers of the last batch. Checks [`super::estimate`].
    pub fn allocated_floats(&self) -> usize {
        let mats = |v: &[Mat]| v.iter().map(|m| m.as_slice().len()).sum::<usize>();
        let vecs = |v: &[Vec<f32>]| v.iter().map(Vec::len).sum::<usize>();
        let fs = |f: &FeedbackState| mats(&f.p) + mats(&f.b) + mats(&f.a) + mats(&f.delta);
        let moms = |v: &[Momentum]| v.iter().map(|m| m.buf.len()).sum::<usize>();
        let n = &self.net;
        mats(&n.w)
            + vecs(&n.c)
            + mats(&n.y)
            + mats(&n.q)
            + mats(&n.r)
            + moms(&self.mom_w)
            + moms(&self.mom_c)
            + moms(&self.mom_y)
            + mats(&self.e)
            + fs(&self.fs)
            + fs(&self.base)
            + mats(&self.bp_delta)
            + mats(&self.gw)
            + vecs(&self.gc)
            + mats(&self.gw_ref)
            + vecs(&self.gc_ref)
            + self.scratch.as_slice().len()
            + self.target.as_slice().len()
            + mats(&self.rec.b_pre)
            + mats(&self.rec.inh)
    }

    /// One-hot targets of `labels` into the internal target buffer.
    fn set_targets(&mut self, labels: &[u8]) {
        let n_out = *self.spec.sizes.last().unwrap_or(&0);
        self.target.reshape(labels.len(), n_out);
        self.target.as_mut_slice().fill(0.0);
        for (i, &l) in labels.iter().enumerate() {
            self.target.as_mut_slice()[i * n_out + l as usize] = 1.0;
        }
    }

    /// Forward pass, then this rule's feedback and gradients (no update). `t = None` runs the
    /// BurstCCN feedback without a teacher (other rules need a teacher and ignore `None` by
    /// producing zero gradients).
    pub fn compute_gradients(&mut self, x: &Mat, t: Option<&Mat>) {
        self.compute_deltas(x, t);
        reference::gradients(x, &self.e, &self.fs.delta, &mut self.gw, &mut self.gc);
    }

    /// Forward pass and this rule's feedback: fills `e` and `fs.delta`, no gradients.
    pub fn compute_deltas(&mut self, x: &Mat, t: Option<&Mat>) {
        self.net.forward(x, &mut self.e);
        let p_b = self.spec.p_b;
        match (self.spec.rule, t) {
            (Rule::Burstccn, _) => {
                let fused = self.spec.feedback.q_is_pb_y();
                burstccn::feedback(&self.net, &self.e, t, p_b, fused, &mut self.fs, &mut self.scratch);
            }
            (Rule::Burstprop, Some(t)) => {
                burstprop::feedback(&self.net, &self.e, t, p_b, &mut self.base, &mut self.fs, &mut self.rec);
            }
            (Rule::Backprop | Rule::FeedbackAlignment, Some(t)) => {
                let fa = self.spec.rule == Rule::FeedbackAlignment;
                self.fs.ensure(self.net.n_layers());
                reference::deltas(&self.net, &self.e, t, fa, &mut self.fs.delta);
            }
            (_, None) => {
                self.fs.ensure(self.net.n_layers());
                for (d, e) in self.fs.delta.iter_mut().zip(&self.e) {
                    d.reshape(e.rows(), e.cols());
                    d.as_mut_slice().fill(0.0);
                }
            }
        }
    }

    /// True when W can be updated straight from the deltas, W ← (1 − λ) W − (η/B) δᵀ e_pre,
    /// without forming G_W: plain SGD (μ = 0) with no or reference-style weight decay. Same
    /// equation as `apply_update` (W + U − λW), evaluated as one product with β = 1 − λ.
    fn can_fuse_update(&self) -> bool {
        let p = &self.spec.sgd;
        p.momentum == 0.0 && (p.weight_decay == 0.0 || p.decay_mode == DecayMode::Reference)
    }

    /// The fused form of `apply_update` (see `can_fuse_update`): W ← W − (η/B) δᵀ e_pre in one
    /// product per layer, c ← c − η mean(δ), then Y/Q learning and re-tying as in `apply_update`.
    fn apply_fused_update(&mut self, x: &Mat) {
        let sgd = self.spec.sgd;
        let (lr, lam) = (sgd.lr, sgd.weight_decay);
        let lam_c = if sgd.decay_biases { lam } else { 0.0 };
        let bsz = x.rows() as f32;
        for l in 0..self.net.n_layers() {
            let pre = if l == 0 { x } else { &self.e[l - 1] };
            // W ← (1 − λ) W − (η/B) δᵀ e_pre
            gemm(-lr / bsz, self.fs.delta[l].t(), pre.v(), 1.0 - lam, &mut self.net.w[l]);
            let n = self.fs.delta[l].cols();
            let mut gc = vec![0.0f32; n];
            for row in self.fs.delta[l].as_slice().chunks_exact(n) {
                for (s, &d) in gc.iter_mut().zip(row) {
                    *s += d;
                }
            }
            for (c, g) in self.net.c[l].iter_mut().zip(gc) {
                let c0 = *c;
                *c = c0 - lr * (g / bsz) - lam_c * c0;
            }
            if l > 0 && self.spec.feedback.y_follows_w {
                // Y_{l−1} has W_l's shape and gets W_l's update (spec 3 item 3)
                gemm(-lr / bsz, self.fs.delta[l].t(), pre.v(), 1.0 - lam, &mut self.net.y[l - 1]);
            }
        }
        self.feedback_update();
    }

    /// BP (`fa = false`) or FA (`fa = true`) weight gradients for the current forward pass.
    pub fn reference_gradients(&mut self, x: &Mat, t: &Mat, fa: bool) -> &[Mat] {
        reference::deltas(&self.net, &self.e, t, fa, &mut self.bp_delta);
        reference::gradients(x, &self.e, &self.bp_delta, &mut self.gw_ref, &mut self.gc_ref);
        &self.gw_ref
    }

    /// Applies the last gradients (spec 1.5 order): optimiser step on W and c; Y and Q learning
    /// from this batch's a_l and e_{l+1}; re-tie Y and Q.
    pub fn apply_update(&mut self) {
        let p = self.spec.sgd;
        for l in 0..self.net.n_layers() {
            optim::step(self.net.w[l].as_mut_slice(), self.gw[l].as_slice(), &mut self.mom_w[l], &p, true);
            optim::step(&mut self.net.c[l], &self.gc[l], &mut self.mom_c[l], &p, p.decay_biases);
            if l > 0 && self.spec.feedback.y_follows_w {
                // Y_{l−1} has W_l's shape and gets W_l's update (spec 3 item 3)
                optim::step(self.net.y[l - 1].as_mut_slice(), self.gw[l].as_slice(), &mut self.mom_y[l - 1], &p, true);
            }
        }
        self.feedback_update();
    }

    /// Y and Q learning from this batch's a_l and e_{l+1} (BurstCCN only), then re-tying.
    fn feedback_update(&mut self) {
        if let (Rule::Burstprop, Some(r)) = (self.spec.rule, self.spec.recurrent) {
            burstprop::update_recurrent(&mut self.net, &self.base, &self.rec, r.lr);
        }
        let fb = self.spec.feedback;
        if self.spec.rule == Rule::Burstccn && (fb.y_lr.is_some() || fb.q_lr.is_some()) {
            let bsz = self.e[0].rows() as f32;
            for l in 0..self.net.y.len() {
                // G_Y = (1/B) e_{l+1}ᵀ a_l ; Y ← Y − η_Y G_Y
                if let Some(lr) = fb.y_lr {
                    gemm(-lr / bsz, self.e[l + 1].t(), self.fs.a[l].v(), 1.0, &mut self.net.y[l]);
                }
                // G_Q = −G_Y ; Q ← Q + η_Q (1/B) e_{l+1}ᵀ a_l
                if let Some(lr) = fb.q_lr {
                    gemm(lr / bsz, self.e[l + 1].t(), self.fs.a[l].v(), 1.0, &mut self.net.q[l]);
                }
            }
        }
        // With Y ≡ W (tied, scale 1) the passes read W directly and a tied Q is never read (Q = p_b Y
        // selects the one-product apical form), so the copies can wait until someone looks.
        if self.net.y_is_w {
            self.feedback_stale = true;
        } else {
            self.net.retie(&fb, self.spec.p_b);
        }
    }

    /// Brings the stored Y and Q up to date (after lazy re-tying; see `feedback_update`).
    pub fn sync_feedback(&mut self) {
        if self.feedback_stale {
            self.net.retie(&self.spec.feedback, self.spec.p_b);
            self.feedback_stale = false;
        }
    }

    /// One training step on a batch: forward, feedback, gradients, optional angles to BP, update.
    pub fn train_batch(&mut self, x: &Mat, labels: &[u8], angles: bool) -> StepStats {
        self.set_targets(labels);
        let t = std::mem::replace(&mut self.target, Mat::zeros(0, 0));
        let fuse = !angles && self.can_fuse_update();
        if fuse {
            self.compute_deltas(x, Some(&t));
        } else {
            self.compute_gradients(x, Some(&t));
        }
        let top = self.net.n_layers() - 1;
        let (errors, sq_error) = score(&self.e[top], labels, &t);
        let angles = if angles {
            let gw_rule = std::mem::take(&mut self.gw);
            let bp = self.reference_gradients(x, &t, false);
            let a = gw_rule.iter().zip(bp).map(|(g, r)| angle_deg(g.as_slice(), r.as_slice())).collect();
            self.gw = gw_rule;
            Some(a)
        } else {
            None
        };
        self.target = t;
        if fuse {
            self.apply_fused_update(x);
        } else {
            self.apply_update();
        }
        StepStats { errors, sq_error, angles }
    }
}

/// (misclassified count, Σ (e − t)²) of outputs `out` against `labels` / one-hot `t`.
pub fn score(out: &Mat, labels: &[u8], t: &Mat) -> (usize, f64) {
    let errors = count_errors(out, labels);
    let sq = out.as_slice().iter().zip(t.as_slice()).map(|(&e, &t)| ((e - t) as f64).powi(2)).sum();
    (errors, sq)
}

/// Number of rows of `out` whose argmax (first maximum) differs from the label.
pub fn count_errors(out: &Mat, labels: &[u8]) -> usize {
    labels
        .iter()
        .enumerate()
        .filter(|&(i, &l)| {
            let row = out.row(i);
            let mut best = 0;
            for (j, &v) in row.iter().enumerate() {
                if v > row[best] {
                    best = j;
                }
            }
            best != l as usize
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rate::estimate::learner_floats;
    use crate::rate::network::{QMode, YMode};
    use rand::SeedableRng;

    fn spec(rule: Rule, momentum: f32, q_mode: QMode) -> LearnerSpec {
        LearnerSpec {
            sizes: vec![784, 40, 30, 10],
            rule,
            p_b: 0.5,
            w_gain: 3.6,
            feedback: FeedbackSpec {
                y_mode: YMode::Random,
                y_scale: 1.0,
                q_mode,
                q_scale: 1.0,
                y_lr: None,
                q_lr: None,
                y_follows_w: false,
            },
            sgd: SgdParams {
                lr: 0.1,
                momentum,
                weight_decay: 0.0,
                decay_mode: DecayMode::Reference,
                decay_biases: true,
            },
            recurrent: (rule == Rule::Burstprop).then_some(RecurrentSpec { lr: 1e-4, init_std: 0.01 }),
        }
    }

    /// The estimate made before allocating is within 25 % of the floats a small learner really
    /// holds after a training step with angles (the batch, the test batch and its rates added).
    #[test]
    fn memory_estimate_is_within_25_percent_of_the_allocated_floats() {
        let (b, tb) = (16usize, 50usize);
        for s in [
            spec(Rule::Burstccn, 0.0, QMode::SymmetricInit),
            spec(Rule::Burstccn, 0.9, QMode::Random),
            spec(Rule::Burstprop, 0.0, QMode::SymmetricInit),
            spec(Rule::Backprop, 0.9, QMode::SymmetricInit),
        ] {
            let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
            let mut l = Learner::new(s.clone(), &mut rng);
            let x = Mat::randn(b, 784, 1.0, &mut rng);
            let labels: Vec<u8> = (0..b as u8).map(|i| i % 10).collect();
            l.train_batch(&x, &labels, true);
            // the trainer's batch x, the test batch and its forward rates
            let units: usize = s.sizes[1..].iter().sum();
            let actual = (l.allocated_floats() + x.as_slice().len() + tb * 784 + tb * units) as f64;
            let est = learner_floats(&s, b, tb, true);
            let ratio = est / actual;
            assert!((0.75..=1.25).contains(&ratio), "{:?}: estimate {est}, allocated {actual}", s.rule);
        }
    }
}
