//! Memory estimates of training, made from the config alone, before anything is allocated, so
//! that `train` can refuse a model that would not fit (issue 10 item 3). All arithmetic is in f64:
//! absurd layer widths give a huge estimate instead of an overflow.
//!
//! What is counted (f32 unless said): the learner's parameters (W, c, Y, Q, burstprop's R), the
//! momentum buffers, the per-batch activations and feedback buffers of its rule, the gradients
//! (one set for the rule, one for backprop when angles are measured), the batch and the test
//! batch; the data set as f32 pixels and u8 labels, and while the IDX files are read, the bytes
//! of one file twice (decompressed and copied). The continuous model: W, Y, Q, its per-layer
//! vectors, the two outer products of a teaching step and, with `--trace`, the trace.

use super::continuous::ContinuousParams;
use super::learner::{LearnerSpec, Rule};

const F32: f64 = 4.0;

/// Floats a learner of `spec` holds while training on batches of `batch` (measuring angles to
/// backprop when `angles`) and testing on batches of `test_batch`.
pub fn learner_floats(spec: &LearnerSpec, batch: usize, test_batch: usize, angles: bool) -> f64 {
    let s: Vec<f64> = spec.sizes.iter().map(|&n| n as f64).collect();
    if s.len() < 2 {
        return 0.0;
    }
    let nl = s.len() - 1;
    let (b, tb) = (batch as f64, test_batch as f64);
    let w: f64 = (0..nl).map(|i| s[i + 1] * s[i]).sum();
    let units: f64 = s[1..].iter().sum();
    let hidden_units: f64 = s[1..nl].iter().sum();
    let max_hidden = s[1..nl].iter().copied().fold(0.0, f64::max);
    let feedback: f64 = (0..nl - 1).map(|i| s[i + 2] * s[i + 1]).sum();
    let recurrent = matches!((spec.rule, spec.recurrent), (Rule::Burstprop, Some(_)));
    let r: f64 = if recurrent { s[1..nl].iter().map(|n| n * n).sum() } else { 0.0 };
    let params = w + units + 2.0 * feedback + r;
    let momentum =
        if spec.sgd.momentum != 0.0 { w + units + if spec.feedback.y_follows_w { feedback } else { 0.0 } } else { 0.0 };
    // one feedback pass: p, b, δ of every layer and a of the hidden layers
    let pass = 3.0 * b * units + b * hidden_units;
    let rule_buffers = match spec.rule {
        Rule::Burstccn => pass + if spec.feedback.q_is_pb_y() { 0.0 } else { b * max_hidden },
        Rule::Burstprop => 2.0 * pass + if recurrent { 2.0 * b * hidden_units } else { 0.0 },
        Rule::Backprop | Rule::FeedbackAlignment => b * units,
    };
    let p = &spec.sgd;
    let fused = p.momentum == 0.0 && (p.weight_decay == 0.0 || p.decay_mode == super::optim::DecayMode::Reference);
    let gradients = if fused && !angles { 0.0 } else { w + units };
    let reference = if angles { w + units + b * units } else { 0.0 };
    let n_out = s[nl];
    let batch_buffers = b * s[0] + b * units + b * n_out + rule_buffers;
    let test = tb * s[0] + tb * units;
    params + momentum + batch_buffers + gradients + reference + test
}

/// Bytes of a learner (see [`learner_floats`]).
pub fn learner_bytes(spec: &LearnerSpec, batch: usize, test_batch: usize, angles: bool) -> f64 {
    F32 * learner_floats(spec, batch, test_batch, angles)
}

/// Bytes of labelled image sets held in memory: `sets` gives (examples in the file, pixels per
/// image) of each file read. The pixels stay allocated for the whole file even when a limit keeps
/// fewer examples; while a file is read, its bytes exist twice more (decompressed, and copied out
/// of the header).
pub fn data_bytes(sets: &[(usize, usize)]) -> (f64, f64) {
    let held: f64 = sets.iter().map(|&(n, d)| n as f64 * (d as f64 * F32 + 1.0)).sum();
    let reading = sets.iter().map(|&(n, d)| 2.0 * n as f64 * d as f64).fold(0.0, f64::max);
    (held, reading)
}

/// Bytes of the continuous model and, when `trace_every` is given, of its per-step trace.
pub fn continuous_bytes(p: &ContinuousParams, trace_every: Option<u64>) -> f64 {
    let s: Vec<f64> = p.layers.iter().map(|&n| n as f64).collect();
    if s.len() < 2 {
        return 0.0;
    }
    let nl = s.len() - 1;
    let w: f64 = (0..nl).map(|i| s[i + 1] * s[i]).sum();
    let largest = (0..nl).map(|i| s[i + 1] * s[i]).fold(0.0, f64::max);
    let feedback: f64 = (1..nl).map(|i| s[i + 1] * s[i]).sum();
    let units: f64 = s[1..].iter().sum();
    // W, Y, Q; c, v, e, u, p, b, ē, b̄; the outer products ΔW and ∇W of a teaching step
    let model = w + 2.0 * feedback + 8.0 * units + 2.0 * largest;
    let n_out = s[nl];
    let h = p.teacher_hidden as f64;
    let teacher = h * s[0] + h + n_out * h + n_out;
    let trace = trace_every.map_or(0.0, |every| {
        let steps = p.predict_before as f64 + p.train_steps as f64 + p.predict_after as f64;
        let rows = (steps / every.max(1) as f64).ceil();
        // u64 step, u8 phase and teach flags, f32 output, target, burst probability, loss, angles;
        // a Vec grows by doubling: up to twice what it holds
        2.0 * rows * (8.0 + 2.0 + F32 * (3.0 * n_out + 1.0 + nl as f64))
    });
    F32 * (model + teacher) + trace
}
