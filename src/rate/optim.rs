//! SGD with momentum and the reference's weight-decay semantics (spec 1.4, 3 item 4).

use super::linalg::Mat;
use rayon::prelude::*;

/// Elements per unit of parallel work in the element-wise update.
const CHUNK: usize = 1 << 15;
use serde::{Deserialize, Serialize};

/// How weight decay λ is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecayMode {
    /// The NeurIPS reference: W ← W + U − λW, a per-step shrink not scaled by η (spec 1.4).
    Reference,
    /// L2 added to the gradient, G ← G + λW (torch SGD `weight_decay`, the journal code).
    L2,
}

/// How the learning rate changes from epoch to epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LrSchedule {
    /// η every epoch (the reference).
    #[default]
    Constant,
    /// Cosine annealing over the run: epoch k of E uses η (1 + cos(π (k − 1) / E)) / 2.
    Cosine,
    /// η until `lr_decay_start` epochs are done, then a linear decay, batch by batch, to
    /// `lr_final` at the end of the run: a high constant rate explores, the decay lets the
    /// weights settle into the basin instead of jumping around it (the classic "anneal at the
    /// end" of SGD; the final test error no longer depends on where the last epoch happened to
    /// land).
    Linear,
}

/// A learning rate over a whole run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LrPlan {
    /// The schedule.
    pub schedule: LrSchedule,
    /// Base rate η.
    pub lr: f32,
    /// Epochs of linear warm-up from 0 to the schedule's rate (0 = none): a large η applied to
    /// the freshly initialised sigmoid network drives every output to 0 (9 of the 10 one-hot
    /// targets are 0) and learning stalls on the flat part of σ for epochs.
    pub warmup: f64,
    /// `Linear`: epochs done before the decay starts.
    pub decay_start: f64,
    /// `Linear`: the rate at the end of the run.
    pub lr_final: f32,
    /// Epochs of the run (the config's, or `--epochs`).
    pub epochs: usize,
}

impl LrPlan {
    /// The rate in 1-based `epoch` when the fraction `frac` (0..1) of its batches is done.
    pub fn at(&self, epoch: usize, frac: f64) -> f32 {
        let t = epoch.saturating_sub(1) as f64 + frac;
        let rate = self.scheduled(epoch, frac);
        if t < self.warmup {
            (rate as f64 * t / self.warmup) as f32
        } else {
            rate
        }
    }

    /// The rate without warm-up.
    fn scheduled(&self, epoch: usize, frac: f64) -> f32 {
        let lr = self.lr as f64;
        let total = self.epochs.max(1) as f64;
        match self.schedule {
            LrSchedule::Constant => self.lr,
            LrSchedule::Cosine => {
                let x = (epoch.saturating_sub(1)) as f64 / total;
                (lr * 0.5 * (1.0 + (std::f64::consts::PI * x).cos())) as f32
            }
            LrSchedule::Linear => {
                let t = epoch.saturating_sub(1) as f64 + frac;
                if t <= self.decay_start || self.decay_start >= total {
                    return self.lr;
                }
                let x = ((t - self.decay_start) / (total - self.decay_start)).min(1.0);
                (lr + (self.lr_final as f64 - lr) * x) as f32
            }
        }
    }
}

/// Optimiser settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdParams {
    /// Learning rate η (the same for every layer, as in the reference).
    pub lr: f32,
    /// Momentum μ: M ← μM + G, U = −ηM (no dampening). 0 = plain SGD.
    pub momentum: f32,
    /// Weight decay λ.
    pub weight_decay: f32,
    /// How λ is applied.
    pub decay_mode: DecayMode,
    /// Whether λ also shrinks the biases (BurstCCN reference: yes; burstprop reference: no).
    pub decay_biases: bool,
}

/// Momentum buffers for one parameter tensor.
#[derive(Debug, Clone, Default)]
pub struct Momentum {
    /// The buffer M (empty until first used, or when μ = 0).
    pub buf: Vec<f32>,
}

/// One step on parameters `w` with gradient `g` (same length):
/// [L2: G ← G + λW]; M ← μM + G; U = −ηM (or −ηG when μ = 0); W ← W + U [− λW if Reference].
pub fn step(w: &mut [f32], g: &[f32], m: &mut Momentum, p: &SgdParams, decay: bool) {
    let lam = if decay { p.weight_decay } else { 0.0 };
    let l2 = p.decay_mode == DecayMode::L2 && lam != 0.0;
    let shrink = if p.decay_mode == DecayMode::Reference { lam } else { 0.0 };
    if p.momentum != 0.0 && m.buf.len() != w.len() {
        m.buf = vec![0.0; w.len()];
    }
    // element-wise, so chunks may run on any thread without changing a single bit
    let mom = p.momentum != 0.0;
    let n_chunks = w.len().div_ceil(CHUNK);
    let mb = if mom { &mut m.buf[..] } else { &mut [][..] };
    let mut mchunks: Vec<&mut [f32]> =
        if mom { mb.chunks_mut(CHUNK).collect() } else { (0..n_chunks).map(|_| &mut [][..]).collect() };
    w.par_chunks_mut(CHUNK)
        .zip(g.par_chunks(CHUNK))
        .zip(mchunks.par_iter_mut())
        .for_each(|((w, g), m)| step_chunk(w, g, m, p, lam, l2, shrink));
}

/// `step` on one chunk (`m` empty when μ = 0).
fn step_chunk(w: &mut [f32], g: &[f32], m: &mut [f32], p: &SgdParams, lam: f32, l2: bool, shrink: f32) {
    for k in 0..w.len() {
        let mut gk = g[k];
        if l2 {
            gk += lam * w[k];
        }
        let dir = if p.momentum != 0.0 {
            let mk = p.momentum * m[k] + gk;
            m[k] = mk;
            mk
        } else {
            gk
        };
        let wk = w[k];
        w[k] = wk - p.lr * dir - shrink * wk;
    }
}

/// Convenience: a step on a matrix.
pub fn step_mat(w: &mut Mat, g: &Mat, m: &mut Momentum, p: &SgdParams) {
    step(w.as_mut_slice(), g.as_slice(), m, p, true);
}

#[cfg(test)]
mod tests {
    use super::{LrPlan, LrSchedule};

    #[test]
    fn cosine_schedule_starts_at_lr_halves_midway_and_ends_near_zero() {
        let plan = |schedule| LrPlan { schedule, lr: 0.6, warmup: 0.0, decay_start: 0.0, lr_final: 0.0, epochs: 20 };
        let c = plan(LrSchedule::Cosine);
        assert_eq!(c.at(1, 0.0), 0.6);
        assert!((c.at(11, 0.0) - 0.3).abs() < 1e-6, "{}", c.at(11, 0.0));
        assert!(c.at(20, 0.0) < 0.6 * 0.01 && c.at(20, 0.0) > 0.0);
        assert!((1..20).all(|e| c.at(e + 1, 0.0) < c.at(e, 0.0)));
        // per epoch: the same rate throughout an epoch
        assert_eq!(c.at(7, 0.9), c.at(7, 0.0));
        assert_eq!(plan(LrSchedule::Constant).at(17, 0.3), 0.6);
    }

    #[test]
    fn linear_schedule_holds_then_decays_batch_by_batch_to_the_final_rate() {
        let p =
            LrPlan { schedule: LrSchedule::Linear, lr: 1.0, warmup: 0.0, decay_start: 10.0, lr_final: 0.1, epochs: 20 };
        assert_eq!(p.at(1, 0.0), 1.0);
        assert_eq!(p.at(10, 0.999), 1.0);
        assert_eq!(p.at(11, 0.0), 1.0);
        // halfway through the 10 decay epochs: (1 + 0.1) / 2
        assert!((p.at(16, 0.0) - 0.55).abs() < 1e-6, "{}", p.at(16, 0.0));
        assert!((p.at(20, 1.0) - 0.1).abs() < 1e-6);
        assert!(p.at(13, 0.5) < p.at(13, 0.25));
        // a start at or past the end never decays
        assert_eq!(LrPlan { decay_start: 20.0, ..p }.at(20, 0.9), 1.0);
        // warm-up: linear from 0 over the first 2 epochs, then the schedule
        let w = LrPlan { warmup: 2.0, ..p };
        assert_eq!(w.at(1, 0.0), 0.0);
        assert!((w.at(1, 0.5) - 0.25).abs() < 1e-6);
        assert!((w.at(2, 0.5) - 0.75).abs() < 1e-6);
        assert_eq!(w.at(3, 0.0), 1.0);
        assert_eq!(w.at(16, 0.0), p.at(16, 0.0));
    }
}
