//! HDF5 checkpoints of a [`Learner`]: weights, biases, feedback, momentum buffers, and the number
//! of completed epochs (the shuffling of epoch k depends only on the seed and k, so nothing else
//! is needed to resume identically).
//!
//! Layout: root attributes `epoch` (u64), `seed` (u64), `burstsim_version`, `config` (the config
//! text), `model` (the config's `model`) and, when there were any, `warnings` (one a line; strings); datasets `w{i}` (`n_{i+1} × n_i`), `c{i}`, `y{i}`, `q{i}` (hidden layers),
//! `mom_w{i}`, `mom_c{i}`, `mom_y{i}` (only when momentum is used; `mom_y` with burstprop's Y learning), `r{i}` (burstprop's recurrent input, when
//! used), all f32. The file is written to
//! `NAME.tmp` and renamed, so an interrupted write never leaves a half checkpoint.

use super::error::RateError;
use super::learner::{Learner, Rule};
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
    /// The warnings of the run (attribute `warnings`, one per line; empty when there were none).
    pub warnings: Vec<String>,
}

/// The largest epoch a checkpoint may record: above it the counter is taken for corruption.
pub const MAX_EPOCH: u64 = 1_000_000_000;

/// The `model` of a learner's rule, as written in configs and in the checkpoint's `model`
/// attribute.
pub fn model_name(rule: Rule) -> &'static str {
    match rule {
        Rule::Burstccn => "burstccn",
        Rule::Burstprop => "burstprop",
        Rule::Backprop => "backprop",
        Rule::FeedbackAlignment => "feedback_alignment",
    }
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
        write_str(&f, "model", model_name(learner.spec.rule), path)?;
        if !info.warnings.is_empty() {
            write_str(&f, "warnings", &info.warnings.join("\n"), path)?;
        }
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

fn shape_text(shape: &[usize]) -> String {
    shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(" x ")
}

/// Reads dataset `name` into `dst`, whose shape (`shape`, from the config) the dataset must have
/// exactly: equal element counts of another shape (a transposed layer) are refused too.
fn read_into(f: &hdf5::File, name: &str, shape: &[usize], dst: &mut [f32], path: &Path) -> Result<(), RateError> {
    if !f.link_exists(name) {
        return Err(err(
            path,
            format!("dataset {name} is missing: the config's network needs it (shape {})", shape_text(shape)),
        ));
    }
    let ds = f.dataset(name).map_err(|e| err(path, format!("dataset {name}: {e}")))?;
    let found = ds.shape();
    if found != shape {
        return Err(err(
            path,
            format!(
                "dataset {name} has shape {}, the config's network needs {}: the checkpoint is of another network",
                shape_text(&found),
                shape_text(shape)
            ),
        ));
    }
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

/// The model kind a checkpoint was written for: its `model` attribute, or for checkpoints written
/// before it existed, the `model` key of the config text it holds.
fn checkpoint_model(f: &hdf5::File, config: &str) -> Option<String> {
    if let Ok(v) = f.attr("model").and_then(|a| a.read_scalar::<VarLenUnicode>()) {
        return Some(v.to_string());
    }
    let t: toml::Table = toml::from_str(config).ok()?;
    t.get("model")?.as_str().map(str::to_string)
}

/// Loads a checkpoint into `learner` (whose shapes come from the config) and returns its info.
/// Refused: a checkpoint of another model kind, any dataset whose shape differs from the
/// config's network, an epoch counter outside 1..=[`MAX_EPOCH`], and missing momentum buffers
/// when the config trains with momentum (resuming would silently restart them from zero).
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
    if !(1..=MAX_EPOCH).contains(&epoch) {
        return Err(err(
            path,
            format!(
                "attribute epoch = {epoch} is out of range: a checkpoint is written after an epoch from 1 to {MAX_EPOCH}; the file is corrupt"
            ),
        ));
    }
    let seed = rd_u64("seed")?;
    let config = f
        .attr("config")
        .and_then(|a| a.read_scalar::<VarLenUnicode>())
        .map_err(|e| err(path, format!("attribute config: {e}")))?
        .to_string();
    let warnings = match f.attr("warnings").and_then(|a| a.read_scalar::<VarLenUnicode>()) {
        Ok(w) => w.as_str().lines().map(str::to_string).collect(),
        Err(_) => Vec::new(),
    };
    let want = model_name(learner.spec.rule);
    if let Some(kind) = checkpoint_model(&f, &config) {
        if kind != want {
            return Err(err(
                path,
                format!(
                    "written by a model = \"{kind}\" run; the config has model = \"{want}\": resume only from a checkpoint of the same model"
                ),
            ));
        }
    }
    let momentum = learner.spec.sgd.momentum;
    let nl = learner.net.n_layers();
    let need_mom = |f: &hdf5::File, name: &str| -> Result<bool, RateError> {
        match (f.link_exists(name), momentum != 0.0) {
            (true, _) => Ok(true),
            (false, true) => Err(err(
                path,
                format!(
                    "dataset {name} is missing: the config trains with training.momentum = {momentum}, but the checkpoint \
                     holds no momentum buffers (written by a run without momentum?); resuming would restart them from zero"
                ),
            )),
            (false, false) => Ok(false),
        }
    };
    let mut unused_momentum = false;
    for i in 0..nl {
        let (rows, cols) = (learner.net.w[i].rows(), learner.net.w[i].cols());
        read_into(&f, &format!("w{i}"), &[rows, cols], learner.net.w[i].as_mut_slice(), path)?;
        let n = learner.net.c[i].len();
        read_into(&f, &format!("c{i}"), &[n], &mut learner.net.c[i], path)?;
        let mname = format!("mom_w{i}");
        if need_mom(&f, &mname)? {
            learner.mom_w[i].buf = vec![0.0; rows * cols];
            read_into(&f, &mname, &[rows, cols], &mut learner.mom_w[i].buf, path)?;
            unused_momentum |= momentum == 0.0;
        }
        let cname = format!("mom_c{i}");
        if need_mom(&f, &cname)? {
            learner.mom_c[i].buf = vec![0.0; n];
            read_into(&f, &cname, &[n], &mut learner.mom_c[i].buf, path)?;
            unused_momentum |= momentum == 0.0;
        }
    }
    let y_follows_w = learner.spec.feedback.y_follows_w;
    for i in 0..learner.net.y.len() {
        let shape = [learner.net.y[i].rows(), learner.net.y[i].cols()];
        read_into(&f, &format!("y{i}"), &shape, learner.net.y[i].as_mut_slice(), path)?;
        read_into(&f, &format!("q{i}"), &shape, learner.net.q[i].as_mut_slice(), path)?;
        let yname = format!("mom_y{i}");
        if (f.link_exists(&yname) || y_follows_w) && need_mom(&f, &yname)? {
            learner.mom_y[i].buf = vec![0.0; shape[0] * shape[1]];
            read_into(&f, &yname, &shape, &mut learner.mom_y[i].buf, path)?;
            unused_momentum |= momentum == 0.0;
        }
    }
    for i in 0..learner.net.r.len() {
        let shape = [learner.net.r[i].rows(), learner.net.r[i].cols()];
        read_into(&f, &format!("r{i}"), &shape, learner.net.r[i].as_mut_slice(), path)?;
    }
    if learner.net.r.is_empty() && f.link_exists("r0") {
        return Err(err(
            path,
            "holds burstprop's recurrent input (dataset r0), which the config does not use \
             (feedback.recurrent_input = true in the run that wrote it)",
        ));
    }
    if f.link_exists(&format!("w{nl}")) {
        return Err(err(path, format!("the checkpoint has more than the config's {nl} weight layers")));
    }
    if unused_momentum {
        eprintln!(
            "warning: checkpoint {} holds momentum buffers, but the config has training.momentum = 0: they are not used",
            path.display()
        );
    }
    Ok(CheckpointInfo { epoch, seed, config, warnings })
}
