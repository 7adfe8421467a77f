//! Spike trains read from a file, for `kind = "spike_file"` populations that replay them: a CSV of
//! `id, time_ms` rows (the stimulus-file conventions: `#` comments, blank lines and one header
//! line are skipped), or a SONATA spike file (HDF5, such as a burstsim output) with
//! `/spikes/<population>/{node_ids, timestamps}`. Which one is told by the file's first bytes
//! (the HDF5 signature), not by its name.

use super::file::StimulusError;
use crate::names as n;
use hdf5_metno as h5;
use std::path::Path;

/// The eight bytes every HDF5 file starts with (at offset 0 for the files HDF5 writes by default).
const HDF5_SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

/// Spikes as read, in file order: (neuron id, time in ms).
pub type Spikes = Vec<(u64, f64)>;

fn error(path: &Path, line: usize, message: String) -> StimulusError {
    StimulusError {
        file: path.display().to_string(),
        line: if line > 0 { format!(", line {line}") } else { String::new() },
        message,
    }
}

/// Reads every spike of `path`; `population` picks the group of a SONATA file (required when it
/// holds more than one; refused for a CSV, which has none).
pub fn read(path: &Path, population: Option<&str>) -> Result<Spikes, StimulusError> {
    let bytes = std::fs::read(path).map_err(|e| error(path, 0, format!("cannot read the spike file: {e}")))?;
    if bytes.starts_with(HDF5_SIGNATURE) {
        drop(bytes);
        return read_sonata(path, population);
    }
    if let Some(p) = population {
        return Err(error(
            path,
            0,
            format!("population = {p:?} was given, but the file is a CSV of `id, time_ms` (only SONATA files have populations)"),
        ));
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        error(path, 0, "neither HDF5 nor UTF-8 text: expected a CSV of `id, time_ms` or a SONATA spike file".into())
    })?;
    read_csv(path, &text)
}

fn read_csv(path: &Path, text: &str) -> Result<Spikes, StimulusError> {
    let mut out = Vec::new();
    let mut header = false;
    for (k, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        // one header line before the data (e.g. `id,time_ms`)
        if out.is_empty() && !header && fields.iter().all(|f| f.parse::<f64>().is_err()) {
            header = true;
            continue;
        }
        if fields.len() != 2 {
            return Err(error(path, k + 1, format!("`{line}`: {} columns, expected two (id, time_ms)", fields.len())));
        }
        let id: u64 = fields[0].parse().map_err(|_| {
            error(path, k + 1, format!("`{line}`: id `{}`: expected a neuron index (an integer >= 0)", fields[0]))
        })?;
        let t: f64 = fields[1].parse().ok().filter(|t: &f64| t.is_finite()).ok_or_else(|| {
            error(path, k + 1, format!("`{line}`: time `{}`: expected a finite time in ms", fields[1]))
        })?;
        out.push((id, t));
    }
    if out.is_empty() {
        return Err(error(path, 0, "no spikes: expected rows of `id, time_ms`".into()));
    }
    Ok(out)
}

fn read_sonata(path: &Path, population: Option<&str>) -> Result<Spikes, StimulusError> {
    let herr = |what: &str| {
        let what = what.to_string();
        move |e: h5::Error| error(path, 0, format!("{what}: {e}"))
    };
    let file = h5::File::open(path).map_err(herr("cannot open as HDF5"))?;
    let spikes = file
        .group(n::SPIKES)
        .map_err(|_| error(path, 0, format!("no /{} group: not a SONATA spike file", n::SPIKES)))?;
    let names = spikes.member_names().map_err(herr("cannot list /spikes"))?;
    let pop = match population {
        Some(p) if names.iter().any(|x| x == p) => p.to_string(),
        Some(p) => {
            return Err(error(path, 0, format!("no population {p:?} in /spikes (it holds: {})", names.join(", "))))
        }
        None if names.len() == 1 => names[0].clone(),
        None => {
            return Err(error(
                path,
                0,
                format!(
                    "/spikes holds {} populations ({}): say which with `population`",
                    names.len(),
                    names.join(", ")
                ),
            ))
        }
    };
    let g = spikes.group(&pop).map_err(herr("cannot open the population group"))?;
    let ids: Vec<u64> = g
        .dataset(n::NODE_IDS)
        .and_then(|d| d.read_raw::<u64>())
        .map_err(herr(&format!("/spikes/{pop}/{}", n::NODE_IDS)))?;
    let ts: Vec<f64> = g
        .dataset(n::TIMESTAMPS)
        .and_then(|d| d.read_raw::<f64>())
        .map_err(herr(&format!("/spikes/{pop}/{}", n::TIMESTAMPS)))?;
    if ids.len() != ts.len() {
        return Err(error(
            path,
            0,
            format!(
                "/spikes/{pop}: {} node_ids but {} timestamps: expected one of each per spike",
                ids.len(),
                ts.len()
            ),
        ));
    }
    // SONATA's unit of time is the ms; a file that says seconds is converted
    let units: Option<String> = g
        .dataset(n::TIMESTAMPS)
        .ok()
        .and_then(|d| d.attr(n::UNITS).ok())
        .and_then(|a| a.read_scalar::<h5::types::VarLenUnicode>().ok())
        .map(|s| s.as_str().to_string());
    let scale = match units.as_deref() {
        None | Some("ms") => 1.0,
        Some("s") => 1000.0,
        Some(u) => {
            return Err(error(path, 0, format!("/spikes/{pop}/timestamps in units {u:?}: expected \"ms\" or \"s\"")))
        }
    };
    if let Some(t) = ts.iter().find(|t| !t.is_finite()) {
        return Err(error(path, 0, format!("/spikes/{pop}/timestamps: {t}: expected finite times")));
    }
    Ok(ids.into_iter().zip(ts.into_iter().map(|t| t * scale)).collect())
}

/// The spikes of a population of `size` neurons at steps of `dt_ms`: each time rounded to the
/// nearest step (half a step rounds up), sorted by step then id, one spike per neuron and step
/// (a second one in the same step could not be told apart). Ids at or above `size` and negative
/// times are refused, naming the file and the first offending spike; the returned count is the
/// number of spikes merged into an earlier one of the same step.
pub fn to_steps(
    path: &Path,
    spikes: &Spikes,
    size: usize,
    dt_ms: f64,
) -> Result<(Vec<(u64, u32)>, usize), StimulusError> {
    let mut out = Vec::with_capacity(spikes.len());
    for (k, &(id, t)) in spikes.iter().enumerate() {
        if id >= size as u64 {
            return Err(error(
                path,
                0,
                format!(
                    "spike {} (id {id}, {t} ms): id out of range, expected 0 to {} (size = {size})",
                    k + 1,
                    size - 1
                ),
            ));
        }
        if t < 0.0 {
            return Err(error(path, 0, format!("spike {} (id {id}, {t} ms): expected times >= 0 ms", k + 1)));
        }
        out.push(((t / dt_ms).round() as u64, id as u32));
    }
    out.sort_unstable();
    let before = out.len();
    out.dedup();
    let merged = before - out.len();
    Ok((out, merged))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_header_and_errors() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("s.csv");
        std::fs::write(&p, "id,time_ms\n# comment\n2, 1.5\n0, 0.04\n").unwrap();
        assert_eq!(read(&p, None).unwrap(), vec![(2, 1.5), (0, 0.04)]);
        let (steps, merged) = to_steps(&p, &read(&p, None).unwrap(), 3, 0.1).unwrap();
        assert_eq!((steps, merged), (vec![(0, 0), (15, 2)], 0));
        let e = to_steps(&p, &read(&p, None).unwrap(), 2, 0.1).unwrap_err().to_string();
        assert!(e.contains("s.csv") && e.contains("id 2") && e.contains("out of range"), "{e}");
        std::fs::write(&p, "0, -1\n").unwrap();
        let e = to_steps(&p, &read(&p, None).unwrap(), 2, 0.1).unwrap_err().to_string();
        assert!(e.contains("expected times >= 0"), "{e}");
        std::fs::write(&p, "0, 1\nx, 2\n").unwrap();
        let e = read(&p, None).unwrap_err().to_string();
        assert!(e.contains("s.csv, line 2") && e.contains("neuron index"), "{e}");
        std::fs::write(&p, "0, 1, 3\n").unwrap();
        assert!(read(&p, None).unwrap_err().to_string().contains("expected two"));
        assert!(read(&p, Some("a")).unwrap_err().to_string().contains("only SONATA files"));
    }
}
