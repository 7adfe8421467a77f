//! State files (`burstsim run --save-state S.h5`, `--restore S.h5`): the dynamic state of a run
//! ([`crate::persist`]) as HDF5 datasets under `/state`, one group per path component, with root
//! attributes that say where it came from (model text, seed, dt, step, version).
//!
//! A state file is written beside its name and renamed over it when complete, so an interrupted
//! save leaves the previous state whole, and a file that exists when the run starts is replaced
//! only with `--force`.

use super::destination::{Destination, DestinationError};
use super::RecordError;
use crate::persist::Array;
use h5::types::{FloatSize, IntSize, TypeDescriptor, VarLenUnicode};
use hdf5_metno as h5;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Root attribute `kind` of a state file.
pub const STATE_KIND: &str = "burstsim state";
const GROUP: &str = "state";

/// Where a saved state came from.
#[derive(Clone, Debug, PartialEq)]
pub struct StateMeta {
    /// The clock when saved (steps done).
    pub step: u64,
    /// Time step, ms.
    pub dt_ms: f64,
    /// The run's seed.
    pub seed: u64,
    /// The model text of the run.
    pub model_text: String,
    /// The burstsim version that saved it.
    pub version: String,
}

/// A state file read back.
#[derive(Debug)]
pub struct SavedState {
    /// The file.
    pub path: String,
    /// Its root attributes.
    pub meta: StateMeta,
    /// Its arrays, by key.
    pub arrays: BTreeMap<String, Array>,
}

impl SavedState {
    /// Time of the clock when saved, ms.
    pub fn t_ms(&self) -> f64 {
        self.meta.step as f64 * self.meta.dt_ms
    }
}

/// The path a run saves its state to, checked before the run starts.
#[derive(Debug)]
pub struct StateTarget {
    path: PathBuf,
}

impl StateTarget {
    /// Refuses `path` when it is one of `inputs` or exists and `replace` is false (as an output
    /// file, [`Destination`]).
    pub fn new(path: &str, inputs: &[PathBuf], replace: bool) -> Result<Self, DestinationError> {
        Destination::new(path, inputs, replace)?;
        Ok(StateTarget { path: PathBuf::from(path) })
    }

    /// The state file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `arrays` with `meta` beside the target, then renames it over the target.
    pub fn save(&self, arrays: &BTreeMap<String, Array>, meta: &StateMeta) -> Result<(), RecordError> {
        let target = self.path.display().to_string();
        let name = self.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let temp = self.path.with_file_name(format!(".{name}.saving-{}", std::process::id()));
        let _ = std::fs::remove_file(&temp); // a leftover of this process id: ours to replace
        write(&temp, arrays, meta).map_err(RecordError::hdf5(&target, "cannot write the state file"))?;
        std::fs::rename(&temp, &self.path).map_err(|e| RecordError::Format {
            file: target.clone(),
            what: format!("cannot move the saved state into place ({e}); it is in {}", temp.display()),
        })
    }
}

fn vlu(s: &str) -> VarLenUnicode {
    s.parse().unwrap_or_default()
}

fn write(path: &Path, arrays: &BTreeMap<String, Array>, meta: &StateMeta) -> h5::Result<()> {
    let file = h5::File::create_excl(path)?;
    file.new_attr::<VarLenUnicode>().create("kind")?.write_scalar(&vlu(STATE_KIND))?;
    file.new_attr::<VarLenUnicode>().create(crate::names::ATTR_VERSION)?.write_scalar(&vlu(&meta.version))?;
    file.new_attr::<VarLenUnicode>().create(crate::names::ATTR_MODEL)?.write_scalar(&vlu(&meta.model_text))?;
    file.new_attr::<u64>().create(crate::names::ATTR_SEED)?.write_scalar(&meta.seed)?;
    file.new_attr::<f64>().create(crate::names::ATTR_DT)?.write_scalar(&meta.dt_ms)?;
    file.new_attr::<u64>().create("step")?.write_scalar(&meta.step)?;
    file.new_attr::<f64>().create("t_ms")?.write_scalar(&(meta.step as f64 * meta.dt_ms))?;
    let root = file.create_group(GROUP)?;
    let mut groups: BTreeMap<String, h5::Group> = BTreeMap::new();
    for (key, array) in arrays {
        let (dir, leaf) = key.rsplit_once('/').unwrap_or(("", key));
        let mut g = root.clone();
        let mut at = String::new();
        for part in dir.split('/').filter(|p| !p.is_empty()) {
            at = if at.is_empty() { part.to_string() } else { format!("{at}/{part}") };
            g = match groups.get(&at) {
                Some(x) => x.clone(),
                None => {
                    let x = g.create_group(part)?;
                    groups.insert(at.clone(), x.clone());
                    x
                }
            };
        }
        let b = g.new_dataset_builder();
        match array {
            Array::F32(v) => b.with_data(v).create(leaf)?,
            Array::F64(v) => b.with_data(v).create(leaf)?,
            Array::U32(v) => b.with_data(v).create(leaf)?,
            Array::U64(v) => b.with_data(v).create(leaf)?,
            Array::U8(v) => b.with_data(v).create(leaf)?,
        };
    }
    file.flush()?;
    Ok(())
}

/// Reads the state file `path`, refusing with a message that names it a missing file, an HDF5 file
/// that is not a state file (an output file, say), and a dataset of a type burstsim does not write.
pub fn read(path: &str) -> Result<SavedState, RecordError> {
    let fmt = |what: String| RecordError::Format { file: path.to_string(), what };
    if !Path::new(path).exists() {
        return Err(fmt("no such state file".into()));
    }
    let file = h5::File::open(path).map_err(RecordError::hdf5(path, "cannot open the state file"))?;
    let kind: Option<String> =
        file.attr("kind").and_then(|a| a.read_scalar::<VarLenUnicode>()).ok().map(|s| s.as_str().to_string());
    if kind.as_deref() != Some(STATE_KIND) {
        return Err(fmt(format!(
            "not a state file (no root attribute kind = \"{STATE_KIND}\"): state files are written by \
             `burstsim run --save-state`"
        )));
    }
    let herr = |what: &str| RecordError::hdf5(path, what);
    let text = |name: &str| -> Result<String, RecordError> {
        Ok(file
            .attr(name)
            .and_then(|a| a.read_scalar::<VarLenUnicode>())
            .map_err(herr(&format!("no attribute {name}")))?
            .as_str()
            .to_string())
    };
    let meta = StateMeta {
        step: file.attr("step").and_then(|a| a.read_scalar()).map_err(herr("no attribute step"))?,
        dt_ms: file.attr(crate::names::ATTR_DT).and_then(|a| a.read_scalar()).map_err(herr("no attribute dt_ms"))?,
        seed: file.attr(crate::names::ATTR_SEED).and_then(|a| a.read_scalar()).map_err(herr("no attribute seed"))?,
        model_text: text(crate::names::ATTR_MODEL)?,
        version: text(crate::names::ATTR_VERSION)?,
    };
    let root = file.group(GROUP).map_err(herr("no /state group"))?;
    let mut arrays = BTreeMap::new();
    let mut pending = vec![(root, String::new())];
    while let Some((g, prefix)) = pending.pop() {
        for name in g.member_names().map_err(herr("cannot list /state"))? {
            let key = if prefix.is_empty() { name.clone() } else { format!("{prefix}/{name}") };
            if let Ok(sub) = g.group(&name) {
                pending.push((sub, key));
                continue;
            }
            let d = g.dataset(&name).map_err(herr(&format!("cannot open /state/{key}")))?;
            let t = d
                .dtype()
                .and_then(|t| t.to_descriptor())
                .map_err(herr(&format!("cannot read the type of /state/{key}")))?;
            let rerr = herr(&format!("cannot read /state/{key}"));
            let a = match t {
                TypeDescriptor::Float(FloatSize::U4) => Array::F32(d.read_raw().map_err(rerr)?),
                TypeDescriptor::Float(FloatSize::U8) => Array::F64(d.read_raw().map_err(rerr)?),
                TypeDescriptor::Unsigned(IntSize::U4) => Array::U32(d.read_raw().map_err(rerr)?),
                TypeDescriptor::Unsigned(IntSize::U8) => Array::U64(d.read_raw().map_err(rerr)?),
                TypeDescriptor::Unsigned(IntSize::U1) => Array::U8(d.read_raw().map_err(rerr)?),
                other => {
                    return Err(fmt(format!("/state/{key} holds {other:?} values, which burstsim does not write")))
                }
            };
            arrays.insert(key, a);
        }
    }
    Ok(SavedState { path: path.to_string(), meta, arrays })
}

/// How the synapses of a set of learned weights were wired, to check against the new model's.
#[derive(Clone, Debug, PartialEq)]
pub enum Wiring {
    /// The projection's wiring hash (a state file).
    Hash(u64),
    /// Each synapse's presynaptic and postsynaptic neuron (an output file's `/weights`).
    Pairs(Vec<u64>, Vec<u64>),
}

/// One projection's learned weights, read by [`learned_weights`].
#[derive(Clone, Debug, PartialEq)]
pub struct Learned {
    /// Projection name.
    pub name: String,
    /// One weight per synapse, in the projection's order.
    pub weights: Vec<f32>,
    /// Its wiring.
    pub wiring: Wiring,
    /// The time they are from, ms.
    pub t_ms: f64,
}

/// The per-synapse weights in `path` by projection: from a state file, the saved weights; from
/// an output file, the last snapshot of every projection recorded with `[output.weights] full`.
pub fn learned_weights(path: &str) -> Result<Vec<Learned>, RecordError> {
    let fmt = |what: String| RecordError::Format { file: path.to_string(), what };
    if !Path::new(path).exists() {
        return Err(fmt("no such file".into()));
    }
    let herr = |what: &str| RecordError::hdf5(path, what);
    let file = h5::File::open(path).map_err(herr("cannot open it"))?;
    let is_state =
        file.attr("kind").and_then(|a| a.read_scalar::<VarLenUnicode>()).is_ok_and(|s| s.as_str() == STATE_KIND);
    drop(file);
    let mut out = Vec::new();
    if is_state {
        let s = read(path)?;
        let t_ms = s.t_ms();
        for (key, a) in &s.arrays {
            let Some(name) = key.strip_prefix("network/projections/").and_then(|k| k.strip_suffix("/weights")) else {
                continue;
            };
            let (Array::F32(w), Some(Array::U64(h))) =
                (a, s.arrays.get(&format!("network/projections/{name}/wiring_hash")))
            else {
                return Err(fmt(format!("/state/{key}: f32 weights and a wiring_hash expected")));
            };
            out.push(Learned { name: name.to_string(), weights: w.clone(), wiring: Wiring::Hash(h[0]), t_ms });
        }
        return Ok(out);
    }
    let file = h5::File::open(path).map_err(herr("cannot open it"))?;
    let Ok(group) = file.group(crate::names::WEIGHTS) else {
        return Err(fmt(
            "neither a state file (run --save-state) nor an output file with /weights ([output.weights] full = true)"
                .into(),
        ));
    };
    for name in group.member_names().map_err(herr("cannot list /weights"))? {
        let g = group.group(&name).map_err(herr("cannot open a /weights group"))?;
        let Ok(values) = g.dataset(crate::names::WEIGHT_VALUES) else { continue };
        let shape = values.shape();
        let (k, n) = (shape[0], shape.get(1).copied().unwrap_or(0));
        if k == 0 {
            continue;
        }
        let rerr = |what: &str| herr(&format!("cannot read /weights/{name}/{what}"));
        let w: ndarray::Array1<f32> = values.read_slice_1d((k - 1, ..)).map_err(rerr("values"))?;
        let pre: Vec<u64> = g.dataset(crate::names::WEIGHT_PRE).and_then(|d| d.read_raw()).map_err(rerr("pre"))?;
        let post: Vec<u64> = g.dataset(crate::names::WEIGHT_POST).and_then(|d| d.read_raw()).map_err(rerr("post"))?;
        let times: Vec<f64> = g.dataset(crate::names::TIME_MS).and_then(|d| d.read_raw()).map_err(rerr("time_ms"))?;
        if pre.len() != n || post.len() != n {
            return Err(fmt(format!("/weights/{name}: {n} weights but {} pre and {} post ids", pre.len(), post.len())));
        }
        out.push(Learned {
            name,
            weights: w.to_vec(),
            wiring: Wiring::Pairs(pre, post),
            t_ms: times.get(k - 1).copied().unwrap_or(f64::NAN),
        });
    }
    if out.is_empty() {
        return Err(fmt("its /weights holds no per-synapse values ([output.weights] full = true records them)".into()));
    }
    Ok(out)
}
