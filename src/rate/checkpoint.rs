//! HDF5 checkpoints of a [`Learner`]: weights, biases, feedback, momentum buffers, and the number
//! of completed epochs (the shuffling of epoch k depends only on the seed and k, so nothing else
//! is needed to resume identically).
//!
//! Layout: root attributes `epoch` (u64), `seed` (u64), `burstsim_version` and `config` (the config
//! text, strings); datasets `w{i}` (`n_{i+1} × n_i`), `c{i}`, `y{i}`, `q{i}` (hidden layers),
//! `mom_w{i}`, `mom_c{i}`, `mom_y{i}` (only when momentum is used; `mom_y` with burstprop's Y learning), `r{i}` (burstprop's recurrent input, when
//! used), all f32. The file is written to
//! `NAME.tmp` and renamed, so an interrupted write never leaves a half checkpoint.

use super::error::RateError;
use super::learner::Learner;
use hdf5::types::VarLenUnicode;
use hdf5_metno as hdf5;
use std::path::Path;
use std::str::FromStr;

/// What a checkpoint holds besides the tensors.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointInfo {
    /// Completed epochs.
    pub epoch: u64,
    /// Seed of the run.
    pub seed: u64,
    /// The config text of the run.
    pub config: String,
}

pub(super) fn err(path: &Path, e: impl std::fmt::Display) -> RateError {
    RateError::Checkpoint { path: path.to_path_buf(), message: e.to_string() }
}

pub(super) fn write_vec<T: hdf5::H5Type>(
    f: &hdf5::File,
    name: &str,
    shape: &[usize],
    data: &[T],
    path: &Path,
) -> Result<(), RateError> {
    let ds = f.new_dataset::<T>().shape(shape).create(name).map_err(|e| err(path, format!("dataset {name}: {e}")))?;
    ds.write_raw(data).map_err(|e| err(path, format!("dataset {name}: {e}")))
}

pub(super) fn write_str(f: &hdf5::File, name: &str, s: &str, path: &Path) -> Result<(), RateError> {
    let v = VarLenUnicode::from_str(s).map_err(|e| err(path, format!("attribute {name}: {e}")))?;
    f.new_attr::<VarLenUnicode>()
        .create(name)
        .and_then(|a| a.write_scalar(&v))
        .map_err(|e| err(path, format!("attribute {name}: {e}")))
}

pub(super) fn write_u64(f: &hdf5::File, name: &str, v: u64, path: &Path) -> Result<(), RateError> {
    f.new_attr::<u64>()
        .create(name)
        .and_then(|a| a.write_scalar(&v))
        .map_err(|e| err(path, format!("attribute {name}: {e}")))
}

/// Writes a checkpoint of `learner` after `info.epoch` completed epochs.
pub fn save(path: &Path, learner: &mut Learner, info: &CheckpointInfo) -> Result<(), RateError> {
    learner.sync_feedback();
    let tmp = path.with_extension("h5.tmp");
    {
        let f = hdf5::File::create(&tmp).map_err(|e| err(&tmp, e))?;
        write_u64(&f, "epoch", info.epoch, path)?;
        write_u64(&f, "seed", info.seed, path)?;
        write_str(&f, "config", &info.config, path)?;
        write_str(&f, "burstsim_version", crate::version(), path)?;
        let net = &learner.net;
        for (i, w) in net.w.iter().enumerate() {
            write_vec(&f, &format!("w{i}"), &[w.rows(), w.cols()], w.as_slice(), path)?;
            write_vec(&f, &format!("c{i}"), &[net.c[i].len()], &net.c[i], path)?;
            let mw = &learner.mom_w[i].buf;
            if !mw.is_empty() {
                write_vec(&f, &format!("mom_w{i}"), &[w.rows(), w.cols()], mw, path)?;
            }
            let mc = &learner.mom_c[i].buf;
            if !mc.is_empty() {
                write_vec(&f, &format!("mom_c{i}"), &[mc.len()], mc, path)?;
            }
        }
        for (i, (y, q)) in net.y.iter().zip(&net.q).enumerate() {
            write_vec(&f, &format!("y{i}"), &[y.rows(), y.cols()], y.as_slice(), path)?;
            write_vec(&f, &format!("q{i}"), &[q.rows(), q.cols()], q.as_slice(), path)?;
            let my = &learner.mom_y[i].buf;
            if !my.is_empty() {
                write_vec(&f, &format!("mom_y{i}"), &[y.rows(), y.cols()], my, path)?;
            }
        }
        for (i, r) in net.r.iter().enumerate() {
            write_vec(&f, &format!("r{i}"), &[r.rows(), r.cols()], r.as_slice(), path)?;
        }
        f.flush().map_err(|e| err(&tmp, e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| RateError::io(path, e))
}

fn read_into(f: &hdf5::File, name: &str, dst: &mut [f32], path: &Path) -> Result<(), RateError> {
    let ds = f.dataset(name).map_err(|e| err(path, format!("dataset {name}: {e}")))?;
    let v: Vec<f32> = ds.read_raw().map_err(|e| err(path, format!("dataset {name}: {e}")))?;
    if v.len() != dst.len() {
        return Err(err(
            path,
            format!("dataset {name} has {} values, the config's network needs {}", v.len(), dst.len()),
        ));
    }
    dst.copy_from_slice(&v);
    Ok(())
}

/// Loads a checkpoint into `learner` (whose shapes come from the config) and returns its info.
pub fn load(path: &Path, learner: &mut Learner) -> Result<CheckpointInfo, RateError> {
    if !path.exists() {
        return Err(RateError::io(path, std::io::Error::new(std::io::ErrorKind::NotFound, "no such file")));
    }
    let f = hdf5::File::open(path).map_err(|e| err(path, e))?;
    if !f.attr_names().map_err(|e| err(path, e))?.iter().any(|n| n == "epoch") {
        return Err(err(path, "not a burstsim training checkpoint (no `epoch` attribute)"));
    }
    let rd_u64 = |name: &str| -> Result<u64, RateError> {
        f.attr(name).and_then(|a| a.read_scalar::<u64>()).map_err(|e| err(path, format!("attribute {name}: {e}")))
    };
    let epoch = rd_u64("epoch")?;
    let seed = rd_u64("seed")?;
    let config = f
        .attr("config")
        .and_then(|a| a.read_scalar::<VarLenUnicode>())
        .map_err(|e| err(path, format!("attribute config: {e}")))?
        .to_string();
    let nl = learner.net.n_layers();
    for i in 0..nl {
        read_into(&f, &format!("w{i}"), learner.net.w[i].as_mut_slice(), path)?;
        read_into(&f, &format!("c{i}"), &mut learner.net.c[i], path)?;
        let mname = format!("mom_w{i}");
        if f.link_exists(&mname) {
            learner.mom_w[i].buf = vec![0.0; learner.net.w[i].as_slice().len()];
            read_into(&f, &mname, &mut learner.mom_w[i].buf, path)?;
        }
        let cname = format!("mom_c{i}");
        if f.link_exists(&cname) {
            learner.mom_c[i].buf = vec![0.0; learner.net.c[i].len()];
            read_into(&f, &cname, &mut learner.mom_c[i].buf, path)?;
        }
    }
    for i in 0..learner.net.y.len() {
        read_into(&f, &format!("y{i}"), learner.net.y[i].as_mut_slice(), path)?;
        read_into(&f, &format!("q{i}"), learner.net.q[i].as_mut_slice(), path)?;
        let yname = format!("mom_y{i}");
        if f.link_exists(&yname) {
            learner.mom_y[i].buf = vec![0.0; learner.net.y[i].as_slice().len()];
            read_into(&f, &yname, &mut learner.mom_y[i].buf, path)?;
        }
    }
    for i in 0..learner.net.r.len() {
        read_into(&f, &format!("r{i}"), learner.net.r[i].as_mut_slice(), path)?;
    }
    if f.link_exists(&format!("w{nl}")) {
        return Err(err(path, format!("the checkpoint has more than the config's {nl} weight layers")));
    }
    Ok(CheckpointInfo { epoch, seed, config })
}
