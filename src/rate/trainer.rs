//! The MNIST training loop (spec 1.10): shuffled mini-batches, one update per batch, a test pass
//! without plasticity after each epoch, and per-epoch reports.
//!
//! Train error is the running error of the forward passes made during the epoch (before each
//! batch's update), as in the reference's running train accuracy. Angles to backprop are measured
//! every `angle_every` batches on the batch being trained (the model is noiseless, so this equals
//! the reference's separate pass) and averaged over the epoch.

use super::error::RateError;
use super::idx::{LabelledImages, Mnist};
use super::learner::{count_errors, Learner};
use super::linalg::Mat;
use super::optim::LrPlan;
use indicatif::{ProgressBar, ProgressStyle};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::time::Instant;

/// One epoch's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochReport {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Running training error, percent.
    pub train_error_pct: f64,
    /// Test error after the epoch, percent.
    pub test_error_pct: f64,
    /// Mean over batch × outputs of (e_L − t)² during training.
    pub train_mse: f64,
    /// Test MSE.
    pub test_mse: f64,
    /// Error (percent) and MSE on the validation split after the epoch, if there is one.
    pub val: Option<(f64, f64)>,
    /// Wall time of the training part of the epoch (seconds; test pass excluded).
    pub seconds: f64,
    /// Per weight layer, mean angle (degrees) between the rule's update and backprop's (NaN if
    /// none was measured).
    pub angles: Vec<f64>,
}

/// Loop settings.
#[derive(Debug, Clone)]
pub struct LoopSettings {
    /// Mini-batch size.
    pub batch_size: usize,
    /// Test batch size.
    pub test_batch: usize,
    /// Angle measurement period in batches (0 = never).
    pub angle_every: usize,
    /// Seed of the shuffling (one stream per epoch, so a resumed run shuffles identically).
    pub seed: u64,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// The learning rate batch by batch (None: leave the learner's rate as it is).
    pub lr: Option<LrPlan>,
}

/// The permutation of `n` training examples used in epoch `epoch` (1-based): Fisher–Yates with a
/// generator seeded from (seed, epoch), so it does not depend on earlier epochs.
pub fn epoch_order(n: usize, seed: u64, epoch: usize) -> Vec<usize> {
    let mut rng =
        Xoshiro256PlusPlus::seed_from_u64(seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17));
    let mut idx: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        idx.swap(i, j);
    }
    idx
}

/// Copies the examples `rows` of `set` into `x` (`rows.len() × dim`) and their labels.
pub fn gather(set: &LabelledImages, rows: &[usize], x: &mut Mat, labels: &mut Vec<u8>) {
    x.reshape(rows.len(), set.dim);
    labels.clear();
    for (k, &r) in rows.iter().enumerate() {
        x.as_mut_slice()[k * set.dim..(k + 1) * set.dim].copy_from_slice(&set.pixels[r * set.dim..(r + 1) * set.dim]);
        labels.push(set.labels[r]);
    }
}

/// Test error (percent) and MSE of the learner on `set`, no plasticity.
pub fn evaluate(learner: &Learner, set: &LabelledImages, batch: usize) -> (f64, f64) {
    let (mut x, mut labels, mut e) = (Mat::zeros(0, 0), Vec::new(), Vec::new());
    let (mut errors, mut sq) = (0usize, 0.0f64);
    let rows: Vec<usize> = (0..set.len).collect();
    for chunk in rows.chunks(batch.max(1)) {
        gather(set, chunk, &mut x, &mut labels);
        learner.net.forward(&x, &mut e);
        let out = &e[e.len() - 1];
        errors += count_errors(out, &labels);
        for (i, &l) in labels.iter().enumerate() {
            for (j, &v) in out.row(i).iter().enumerate() {
                let t = if j == l as usize { 1.0 } else { 0.0 };
                sq += ((v - t) as f64).powi(2);
            }
        }
    }
    let n = set.len.max(1) as f64;
    (100.0 * errors as f64 / n, sq / (n * 10.0))
}

/// Trains one epoch (1-based `epoch`) and tests; returns its report.
pub fn run_epoch(
    learner: &mut Learner,
    data: &Mnist,
    s: &LoopSettings,
    epoch: usize,
) -> Result<EpochReport, RateError> {
    let t0 = Instant::now();
    let order = epoch_order(data.train.len, s.seed, epoch);
    let n_batches = data.train.len.div_ceil(s.batch_size);
    let bar = if s.progress {
        let b = ProgressBar::new(n_batches as u64);
        b.set_style(
            ProgressStyle::with_template("epoch {prefix} {bar:40} {pos}/{len} batches {elapsed}<{eta} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b.set_prefix(epoch.to_string());
        b
    } else {
        ProgressBar::hidden()
    };
    let (mut x, mut labels) = (Mat::zeros(0, 0), Vec::new());
    let (mut errors, mut sq) = (0usize, 0.0f64);
    let nl = learner.net.n_layers();
    let (mut ang_sum, mut n_ang) = (vec![0.0f64; nl], 0usize);
    for (bi, rows) in order.chunks(s.batch_size).enumerate() {
        if let Some(plan) = &s.lr {
            learner.spec.sgd.lr = plan.at(epoch, bi as f64 / n_batches as f64);
        }
        gather(&data.train, rows, &mut x, &mut labels);
        let want = s.angle_every > 0 && bi % s.angle_every == 0;
        let st = learner.train_batch(&x, &labels, want);
        if !st.sq_error.is_finite() {
            bar.finish_and_clear();
            return Err(RateError::Diverged { what: "output rate".into(), epoch, batch: bi });
        }
        errors += st.errors;
        sq += st.sq_error;
        if let Some(a) = st.angles {
            for (s, v) in ang_sum.iter_mut().zip(a) {
                *s += v;
            }
            n_ang += 1;
        }
        if bi % 50 == 0 {
            bar.set_message(format!(
                "train err {:.2}%",
                100.0 * errors as f64 / ((bi + 1) * s.batch_size).min(data.train.len) as f64
            ));
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let seconds = t0.elapsed().as_secs_f64();
    let (test_error_pct, test_mse) = evaluate(learner, &data.test, s.test_batch);
    let val = data.val.as_ref().map(|v| evaluate(learner, v, s.test_batch));
    let n = data.train.len.max(1) as f64;
    Ok(EpochReport {
        epoch,
        train_error_pct: 100.0 * errors as f64 / n,
        test_error_pct,
        train_mse: sq / (n * 10.0),
        test_mse,
        val,
        seconds,
        angles: ang_sum.iter().map(|s| if n_ang > 0 { s / n_ang as f64 } else { f64::NAN }).collect(),
    })
}
