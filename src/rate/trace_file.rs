//! The per-step trace of a continuous run as HDF5 (`burstsim train CONFIG --trace FILE.h5`), for
//! the figures of spec 2.4 / 6.1 item 2: output against target before and after learning, the
//! loss and the angle of each update to the gradient over time.
//!
//! Layout: root attributes `every` (steps between records), `config` (the config text),
//! `burstsim_version`; datasets of T recorded steps: `step` (u64), `phase` (u8: 0 before training,
//! 1 training phase, 2 after), `teach` (u8: 1 when the step taught and learned), `output`,
//! `target`, `burst_prob_out` (f32, T × n_out), `loss` (f32, Σ(e − t)² before the step's update),
//! `angle_grad_deg` (f32, T × layers, NaN on steps without learning). Written to `NAME.tmp` and
//! renamed, so an interrupted write never leaves a half file.

use super::checkpoint::{err, write_str, write_u64, write_vec};
use super::continuous::Trace;
use super::error::RateError;
use hdf5_metno as hdf5;
use std::path::Path;

/// Writes `trace` (outputs of width `n_out`, `n_layers` weight layers) with the config text.
pub fn save(path: &Path, trace: &Trace, n_out: usize, n_layers: usize, config: &str) -> Result<(), RateError> {
    let tmp = path.with_extension("h5.tmp");
    let n = trace.step.len();
    {
        let f = hdf5::File::create(&tmp).map_err(|e| err(&tmp, e))?;
        write_u64(&f, "every", trace.every as u64, path)?;
        write_str(&f, "config", config, path)?;
        write_str(&f, "burstsim_version", crate::version(), path)?;
        write_vec(&f, "step", &[n], &trace.step, path)?;
        write_vec(&f, "phase", &[n], &trace.phase, path)?;
        write_vec(&f, "teach", &[n], &trace.teach, path)?;
        write_vec(&f, "output", &[n, n_out], &trace.output, path)?;
        write_vec(&f, "target", &[n, n_out], &trace.target, path)?;
        write_vec(&f, "burst_prob_out", &[n, n_out], &trace.burst_prob, path)?;
        write_vec(&f, "loss", &[n], &trace.loss, path)?;
        write_vec(&f, "angle_grad_deg", &[n, n_layers], &trace.angles, path)?;
        f.flush().map_err(|e| err(&tmp, e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| RateError::io(path, e))
}
