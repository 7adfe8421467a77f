//! Reading a burstsim HDF5 file back: per-population spike, event and burst statistics
//! (`burstsim inspect`). Works on interrupted runs: rates use `t_stop_ms`, the time the data cover.

use super::hdf5::RecordError;
use crate::names as n;
use hdf5_metno as h5;

/// Whole-run statistics of one population.
#[derive(Clone, Debug, PartialEq)]
pub struct PopulationStats {
    /// Population name.
    pub name: String,
    /// Number of neurons.
    pub n_nodes: u64,
    /// Number of spikes.
    pub spikes: u64,
    /// Number of events (None when events were not recorded).
    pub events: Option<u64>,
    /// Number of bursts.
    pub bursts: Option<u64>,
    /// Time covered, ms.
    pub t_ms: f64,
    /// The run finished (root attribute `complete`); false for an interrupted run or one still
    /// being written.
    pub complete: bool,
    /// The file was locked by the run writing it and was read without file locking: the data end
    /// at its writer's last flush (at most about a second ago).
    pub being_written: bool,
}

impl PopulationStats {
    /// Mean firing rate, Hz.
    pub fn rate_hz(&self) -> f64 {
        self.spikes as f64 / (self.n_nodes as f64 * self.t_ms * 1e-3)
    }
    /// Event rate, Hz per neuron.
    pub fn event_rate_hz(&self) -> Option<f64> {
        self.events.map(|e| e as f64 / (self.n_nodes as f64 * self.t_ms * 1e-3))
    }
    /// Burst rate, Hz per neuron.
    pub fn burst_rate_hz(&self) -> Option<f64> {
        self.bursts.map(|b| b as f64 / (self.n_nodes as f64 * self.t_ms * 1e-3))
    }
    /// Burst probability: bursts / events over the whole run.
    pub fn burst_prob(&self) -> Option<f64> {
        match (self.events, self.bursts) {
            (Some(e), Some(b)) if e > 0 => Some(b as f64 / e as f64),
            _ => None,
        }
    }
}

/// An output file opened for reading, checked to be one that burstsim wrote.
pub struct OutputFile {
    /// The open file.
    pub file: h5::File,
    /// The file was locked by the run writing it and was opened without file locking.
    pub being_written: bool,
    /// Root attribute `t_start_ms`: the time the data start at, ms (0 when absent: files written
    /// before runs could be continued).
    pub t_start_ms: f64,
    /// Root attribute `t_stop_ms`: the time the data cover, ms.
    pub t_stop_ms: f64,
    /// Root attribute `complete` = 1.
    pub complete: bool,
}

/// Opens `path` and checks the root attributes burstsim writes (SONATA `magic`, `t_stop_ms`):
/// a missing file, a file HDF5 cannot read and an HDF5 file of another program are refused with
/// a message naming the file.
pub fn open_output(path: &str) -> Result<OutputFile, RecordError> {
    let fmt = |what: String| RecordError::Format { file: path.to_string(), what };
    if !std::path::Path::new(path).exists() {
        return Err(fmt("no such file".into()));
    }
    let (file, being_written) = open_for_reading(path)?;
    let magic: u32 = file
        .attr("magic")
        .and_then(|a| a.read_scalar())
        .map_err(|_| fmt("no SONATA `magic` attribute: not a burstsim/SONATA spike file".into()))?;
    if magic != n::SONATA_MAGIC {
        return Err(fmt(format!("`magic` is {magic:#x}, expected {:#x}", n::SONATA_MAGIC)));
    }
    let t_stop_ms: f64 = file
        .attr(n::ATTR_T_STOP)
        .and_then(|a| a.read_scalar())
        .map_err(|_| fmt(format!("no `{}` attribute: not written by burstsim", n::ATTR_T_STOP)))?;
    let complete = file.attr(n::ATTR_COMPLETE).and_then(|a| a.read_scalar::<u8>()).map(|c| c == 1).unwrap_or(false);
    let t_start_ms = file.attr(n::ATTR_T_START).and_then(|a| a.read_scalar::<f64>()).unwrap_or(0.0);
    Ok(OutputFile { file, being_written, t_start_ms, t_stop_ms, complete })
}

/// Reads the statistics of every population in `path`.
pub fn inspect(path: &str) -> Result<Vec<PopulationStats>, RecordError> {
    let herr = |what: &str| RecordError::hdf5(path, what);
    let fmt = |what: String| RecordError::Format { file: path.to_string(), what };
    let OutputFile { file, being_written, t_start_ms, t_stop_ms, complete } = open_output(path)?;
    let t_ms = t_stop_ms - t_start_ms;
    let spikes = file.group(n::SPIKES).map_err(herr("no /spikes group"))?;
    let count = |group: &str, pop: &str| -> Option<u64> {
        file.dataset(&format!("{group}/{pop}/{}", n::TIMESTAMPS)).ok().map(|d| d.size() as u64)
    };
    let mut out = Vec::new();
    for name in spikes.member_names().map_err(herr("cannot list /spikes"))? {
        let g = spikes.group(&name).map_err(herr("cannot open a spike group"))?;
        let n_nodes: u64 = g
            .attr(n::N_NODES)
            .and_then(|a| a.read_scalar())
            .map_err(|_| fmt(format!("/spikes/{name} has no `{}` attribute", n::N_NODES)))?;
        let spikes = count(n::SPIKES, &name).ok_or_else(|| fmt(format!("/spikes/{name} has no timestamps")))?;
        out.push(PopulationStats {
            events: count(n::EVENTS, &name),
            bursts: count(n::BURSTS, &name),
            name,
            n_nodes,
            spikes,
            t_ms,
            complete,
            being_written,
        });
    }
    Ok(out)
}

/// Opens `path` read-only. A file that a running burstsim holds locked (HDF5's own lock) is opened
/// again without file locking, which is safe for a reader of a file whose writer flushes whole
/// states (burstsim flushes at least once per second): the data then end at the last flush.
/// (h5py does the same with `h5py.File(path, "r", locking=False)`.)
fn open_for_reading(path: &str) -> Result<(h5::File, bool), RecordError> {
    match h5::File::open(path) {
        Ok(f) => Ok((f, false)),
        Err(e) if e.to_string().contains("lock") => {
            h5::File::with_options().with_fapl(|p| p.file_locking(false)).open(path).map(|f| (f, true)).map_err(
                RecordError::hdf5(path, "another process is writing it, and it cannot be read without locking"),
            )
        }
        Err(e) => Err(RecordError::hdf5(path, "cannot open as HDF5 (is it a burstsim output file?)")(e)),
    }
}

/// Formats the statistics as a table.
pub fn format_table(stats: &[PopulationStats]) -> String {
    let mut s = format!(
        "{:<16} {:>9} {:>11} {:>9} {:>14} {:>14} {:>11}\n",
        "population", "neurons", "spikes", "rate_hz", "event_rate_hz", "burst_rate_hz", "burst_prob"
    );
    let opt = |v: Option<f64>, prec: usize| v.map_or("-".to_string(), |x| format!("{x:.prec$}"));
    for p in stats {
        s += &format!(
            "{:<16} {:>9} {:>11} {:>9.3} {:>14} {:>14} {:>11}\n",
            p.name,
            p.n_nodes,
            p.spikes,
            p.rate_hz(),
            opt(p.event_rate_hz(), 3),
            opt(p.burst_rate_hz(), 3),
            opt(p.burst_prob(), 4)
        );
    }
    if let Some(p) = stats.first() {
        s += &format!("time covered: {:.1} ms\n", p.t_ms);
        if p.being_written {
            s += "run in progress: another process is writing this file; read without locking, up to its last flush\n";
        } else if !p.complete {
            s += "incomplete run: stopped before its end (root attribute complete = 0)\n";
        }
    }
    s
}
