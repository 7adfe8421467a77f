//! Reading what a plot draws: the groups a file records, the one asked for with `--population`
//! (or why there is none), spike lists streamed in blocks (memory does not grow with the run) and
//! small datasets read whole.

use super::PlotError;
use crate::names as n;
use crate::record::inspect::{open_output, OutputFile};
use crate::record::RecordError;
use h5::types::VarLenUnicode;
use hdf5_metno as h5;

/// Values read per block from a spike list.
const BLOCK: usize = 1 << 20;

/// An output file opened for plotting.
pub(crate) struct Input {
    /// Its path, as given.
    pub path: String,
    /// Start of the data, ms (where a continued run resumed; 0 otherwise).
    pub t_start_ms: f64,
    /// End of the data, ms.
    pub t_stop_ms: f64,
    file: h5::File,
}

/// What a kind of plot draws and which model key records it.
pub(crate) struct Recorded {
    /// The group under the root (`spikes`, `rates`, `state`, `weights`).
    pub group: &'static str,
    /// What is drawn, for messages ("spikes").
    pub what: &'static str,
    /// What `--population` names here ("population", "projection").
    pub entity: &'static str,
    /// Which model key records it.
    pub hint: &'static str,
}

impl Input {
    /// Opens `path`, refusing a missing file or one burstsim did not write.
    pub fn open(path: &str) -> Result<Self, PlotError> {
        let OutputFile { file, t_start_ms, t_stop_ms, .. } = open_output(path)?;
        Ok(Input { path: path.to_string(), t_start_ms, t_stop_ms, file })
    }

    fn err(&self, what: &str) -> impl FnOnce(h5::Error) -> PlotError {
        let e = RecordError::hdf5(&self.path, what);
        move |cause| PlotError::Input(e(cause))
    }

    /// The members of `/group` (empty when the group is absent), in the file's (name) order.
    pub fn members(&self, group: &str) -> Vec<String> {
        self.file.group(group).and_then(|g| g.member_names()).unwrap_or_default()
    }

    /// The members of the groups named, each once, in order of first appearance.
    pub fn members_of(&self, groups: &[&str]) -> Vec<String> {
        let mut all: Vec<String> = Vec::new();
        for g in groups {
            for m in self.members(g) {
                if !all.contains(&m) {
                    all.push(m);
                }
            }
        }
        all
    }

    /// The names to draw of `rec.group`: the one `requested` or all of them. `known` are the
    /// names `--population` may give (a known name the group lacks is "nothing recorded for
    /// it", any other name is unknown).
    pub fn select(&self, rec: &Recorded, known: &[String], requested: Option<&str>) -> Result<Vec<String>, PlotError> {
        let recorded = self.members(rec.group);
        let nothing =
            |of: String| PlotError::NothingRecorded { file: self.path.clone(), what: rec.what, of, hint: rec.hint };
        match requested {
            None if recorded.is_empty() => Err(nothing(String::new())),
            None => Ok(recorded),
            Some(p) if recorded.iter().any(|r| r == p) => Ok(vec![p.to_string()]),
            Some(p) if known.iter().any(|k| k == p) => Err(nothing(format!(" for {p:?}"))),
            Some(p) => Err(PlotError::Unknown {
                file: self.path.clone(),
                entity: rec.entity,
                name: p.to_string(),
                known: if known.is_empty() { "none".into() } else { known.join(", ") },
            }),
        }
    }

    /// Whether `/group/name` exists.
    pub fn has(&self, group: &str, name: &str) -> bool {
        self.file.group(group).is_ok_and(|g| g.link_exists(name))
    }

    /// Attribute `n_nodes` of `/spikes/<pop>`.
    pub fn n_nodes(&self, pop: &str) -> Result<u64, PlotError> {
        self.file
            .group(&format!("{}/{pop}", n::SPIKES))
            .and_then(|g| g.attr(n::N_NODES))
            .and_then(|a| a.read_scalar())
            .map_err(self.err(&format!("/{}/{pop} has no `{}` attribute", n::SPIKES, n::N_NODES)))
    }

    /// Calls `f(t_ms, node_id)` for every entry of `/group/pop/{timestamps,node_ids}` whose time
    /// is in `[t0, t1]`, reading blocks of [`BLOCK`]; returns how many there were.
    pub fn stream(
        &self,
        group: &str,
        pop: &str,
        (t0, t1): (f64, f64),
        mut f: impl FnMut(f64, u64),
    ) -> Result<u64, PlotError> {
        let at = format!("/{group}/{pop}");
        let ts =
            self.file.dataset(&format!("{at}/{}", n::TIMESTAMPS)).map_err(self.err(&format!("{at}: no timestamps")))?;
        let ids =
            self.file.dataset(&format!("{at}/{}", n::NODE_IDS)).map_err(self.err(&format!("{at}: no node_ids")))?;
        let len = ts.size().min(ids.size());
        let mut count = 0;
        for a in (0..len).step_by(BLOCK) {
            let b = (a + BLOCK).min(len);
            let t: Vec<f64> =
                ts.read_slice_1d(a..b).map_err(self.err(&format!("{at}: cannot read timestamps")))?.to_vec();
            let i: Vec<u64> =
                ids.read_slice_1d(a..b).map_err(self.err(&format!("{at}: cannot read node_ids")))?.to_vec();
            for (&t, &i) in t.iter().zip(&i) {
                if t >= t0 && t <= t1 {
                    f(t, i);
                    count += 1;
                }
            }
        }
        Ok(count)
    }

    /// A whole 1-D float dataset, `path` from the root.
    pub fn read_f64(&self, path: &str) -> Result<Vec<f64>, PlotError> {
        self.file.dataset(path).and_then(|d| d.read_raw::<f64>()).map_err(self.err(&format!("cannot read {path}")))
    }

    /// A whole 1-D unsigned dataset, `path` from the root.
    pub fn read_u64(&self, path: &str) -> Result<Vec<u64>, PlotError> {
        self.file.dataset(path).and_then(|d| d.read_raw::<u64>()).map_err(self.err(&format!("cannot read {path}")))
    }

    /// A float attribute of the group or dataset at `path`.
    pub fn attr_f64(&self, path: &str, attr: &str) -> Option<f64> {
        let obj = self.file.group(path).map(|g| g.attr(attr));
        let obj = obj.or_else(|_| self.file.dataset(path).map(|d| d.attr(attr)));
        obj.ok()?.ok()?.read_scalar().ok()
    }

    /// The `units` attribute of the dataset at `path`.
    pub fn units(&self, path: &str) -> Option<String> {
        let a = self.file.dataset(path).ok()?.attr(n::UNITS).ok()?;
        a.read_scalar::<VarLenUnicode>().ok().map(|s| s.as_str().to_string())
    }

    /// The dataset at `path` (for slices of a 2-D one).
    pub fn dataset(&self, path: &str) -> Result<h5::Dataset, PlotError> {
        self.file.dataset(path).map_err(self.err(&format!("cannot open {path}")))
    }

    /// Wraps an HDF5 error of reading `what`.
    pub fn read_err(&self, what: &str) -> impl FnOnce(h5::Error) -> PlotError {
        self.err(what)
    }
}
