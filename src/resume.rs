//! Saving a run and continuing it (issue 15 item 4): `run --save-state S.h5` writes the network's
//! and the recorder's dynamic state ([`crate::persist`]) at the end of the run (and every
//! `--save-every-ms`); `run --restore S.h5` rebuilds the network from the model file and the saved
//! seed, then puts the saved state back, so that the continued run steps exactly as the first run
//! would have gone on; `run --weights-from F.h5` starts a new run from the learned weights of an
//! earlier one.

use crate::engine::Network;
use crate::persist::StateIo;
use crate::record::state_file::{Learned, SavedState, StateMeta, StateTarget, Wiring};
use crate::record::{H5Recorder, RecordError};

/// A state or a set of weights that does not fit the model.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {what}")]
pub struct ResumeError {
    /// The state or weights file.
    pub file: String,
    /// What does not fit.
    pub what: String,
}

/// Saves `net` and `rec` to `target`.
pub fn save(
    target: &StateTarget,
    net: &mut Network,
    rec: &mut H5Recorder,
    meta: &StateMeta,
) -> Result<(), RecordError> {
    let mut io = StateIo::saving();
    io.scope("network", |io| net.persist(io));
    io.scope("recorder", |io| rec.persist(io));
    target.save(io.arrays(), meta)
}

/// The problems of a restore, as one error (the first few named).
fn check(io: &StateIo, file: &str) -> Result<(), ResumeError> {
    let p = io.problems();
    if p.is_empty() {
        return Ok(());
    }
    const SHOWN: usize = 5;
    let more = if p.len() > SHOWN { format!("; and {} more", p.len() - SHOWN) } else { String::new() };
    Err(ResumeError {
        file: file.to_string(),
        what: format!(
            "the saved state does not fit the model (was it saved from another model file?): {}{more}",
            p[..p.len().min(SHOWN)].join("; ")
        ),
    })
}

/// Puts the saved network state back into `net` (built from the same model and seed).
pub fn restore_network(net: &mut Network, saved: &SavedState) -> Result<(), ResumeError> {
    let mut io = StateIo::restoring(saved.arrays.clone());
    io.scope("network", |io| net.persist(io));
    check(&io, &saved.path)
}

/// Puts the saved recorder state (the examples scored so far) back into `rec`.
pub fn restore_recorder(rec: &mut H5Recorder, saved: &SavedState) -> Result<(), ResumeError> {
    let mut io = StateIo::restoring(saved.arrays.clone());
    io.scope("recorder", |io| rec.persist(io));
    check(&io, &saved.path)
}

/// Replaces the weights of every projection of `net` named in `learned` (read from `file`): the
/// number of synapses and their wiring must match. Returns one note per projection of either side
/// left alone (weights for a projection the model lacks; a per-synapse projection the file lacks).
pub fn apply_weights(net: &mut Network, learned: &[Learned], file: &str) -> Result<Vec<String>, ResumeError> {
    let err = |what: String| ResumeError { file: file.to_string(), what };
    let mut notes = Vec::new();
    let mut taken = vec![false; net.projections().len()];
    for l in learned {
        let Some(k) = net.projections().iter().position(|p| p.name() == l.name) else {
            notes.push(format!("{file}: has weights for projection {:?}, which the model lacks (ignored)", l.name));
            continue;
        };
        let p = &net.projections()[k];
        if p.weights().per_synapse().is_none() {
            return Err(err(format!(
                "projection {:?} has one shared weight in the model, {} learned ones in the file \
                 (give it per-synapse weights: plasticity, or weights = \"synapse\")",
                l.name,
                l.weights.len()
            )));
        }
        if p.n_synapses() != l.weights.len() {
            return Err(err(format!(
                "projection {:?}: {} weights in the file, {} synapses in the model: wired otherwise than \
                 the model's (another seed or connection rule)",
                l.name,
                l.weights.len(),
                p.n_synapses()
            )));
        }
        let same = match &l.wiring {
            Wiring::Hash(h) => *h == p.wiring_hash(),
            Wiring::Pairs(pre, post) => {
                let csr = p.csr();
                let pairs = (0..csr.row_start.len().saturating_sub(1))
                    .flat_map(|j| (csr.row_start[j]..csr.row_start[j + 1]).map(move |s| (j as u64, s)));
                pairs.zip(pre.iter().zip(post)).all(|((j, s), (&a, &b))| j == a && csr.targets[s] as u64 == b)
            }
        };
        if !same {
            return Err(err(format!(
                "projection {:?}: the file's synapses are wired otherwise than the model's (another seed \
                 or connection rule); learned weights only carry over to the same wiring",
                l.name
            )));
        }
        net.set_weights(k, &l.weights);
        taken[k] = true;
    }
    if !taken.iter().any(|&t| t) {
        return Err(err("none of its projections is in the model".into()));
    }
    for (p, _) in net.projections().iter().zip(&taken).filter(|(p, &t)| !t && p.weights().per_synapse().is_some()) {
        notes.push(format!("projection {:?} is not in {file}: it starts from the model's weights", p.name()));
    }
    Ok(notes)
}
