//! Stimulus files (the reference's `FileCurrentInjector`, spec 6): a CSV of (time in ms, current
//! in pA) rows, linearly interpolated onto the clock and optionally looping; and per-neuron
//! current lists (one value in pA per line).
//!
//! Format: one row per line, two comma-separated numbers; blank lines and lines starting with `#`
//! are skipped, and a first line that is not numeric is taken as a header.

use std::path::Path;

/// A problem with a stimulus file: the message names the file and the line.
#[derive(Debug, thiserror::Error)]
#[error("{file}{line}: {message}")]
pub struct StimulusError {
    /// The file.
    pub file: String,
    /// ", line N" or empty.
    pub line: String,
    /// What was wrong and what was expected.
    pub message: String,
}

pub use crate::series::Piecewise;

fn read(path: &Path) -> Result<String, StimulusError> {
    std::fs::read_to_string(path).map_err(|e| StimulusError {
        file: path.display().to_string(),
        line: String::new(),
        message: format!("cannot read the stimulus file: {e}"),
    })
}

/// Rows of numbers, with their line numbers; a non-numeric first row is a header. A file with
/// text lines but no numeric row is refused (rather than read as zero values).
fn rows(path: &Path, text: &str) -> Result<Vec<(usize, Vec<f64>)>, StimulusError> {
    let out = numeric_rows(path, text)?;
    let has_text = text.lines().map(str::trim).any(|l| !l.is_empty() && !l.starts_with('#'));
    if out.is_empty() && has_text {
        return Err(StimulusError {
            file: path.display().to_string(),
            line: String::new(),
            message: "no numeric rows (is the file a CSV of numbers? the first line is read as a header only if \
                      it is not numeric)"
                .into(),
        });
    }
    Ok(out)
}

fn numeric_rows(path: &Path, text: &str) -> Result<Vec<(usize, Vec<f64>)>, StimulusError> {
    let mut out = Vec::new();
    let mut header = false;
    let mut second_header: Option<(usize, String)> = None;
    for (k, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let nums: Result<Vec<f64>, _> = fields.iter().map(|f| f.parse::<f64>()).collect();
        match nums {
            Ok(v) if v.iter().all(|x| x.is_finite()) => out.push((k + 1, v)),
            // one header line; a second text line would be data lost without a word
            _ if out.is_empty() && !header && fields.iter().all(|f| f.parse::<f64>().is_err()) => header = true,
            _ if out.is_empty() && header => {
                // refused below once numbers follow (a file of text only has its own message)
                second_header.get_or_insert((k + 1, line.to_string()));
            }
            _ => {
                return Err(StimulusError {
                    file: path.display().to_string(),
                    line: format!(", line {}", k + 1),
                    message: format!("`{line}`: expected comma-separated finite numbers"),
                })
            }
        }
    }
    if let (Some((k, line)), false) = (second_header, out.is_empty()) {
        return Err(StimulusError {
            file: path.display().to_string(),
            line: format!(", line {k}"),
            message: format!(
                "`{line}`: expected comma-separated finite numbers (only the first line may be a header; write \
                 further notes as # comments)"
            ),
        });
    }
    Ok(out)
}

/// The numeric rows of a CSV data file with their line numbers (a non-numeric first row is a
/// header; blank lines and `#` comments are skipped), for per-neuron values of other kinds.
pub fn read_rows(path: &Path) -> Result<Vec<(usize, Vec<f64>)>, StimulusError> {
    let text = std::fs::read_to_string(path).map_err(|e| StimulusError {
        file: path.display().to_string(),
        line: String::new(),
        message: format!("cannot read the file: {e}"),
    })?;
    rows(path, &text)
}

/// Reads a (time in ms, current in pA) series; `loop_ms` must exceed the last time.
pub fn read_piecewise(path: &Path, loop_ms: Option<f64>) -> Result<Piecewise, StimulusError> {
    read_series(path, loop_ms, "current in pA", false)
}

/// Reads a (time in ms, rate in Hz) series, the same format as a current series (so one file
/// layout serves both), for a Poisson source with a time-varying rate; rates must be >= 0.
pub fn read_piecewise_rate(path: &Path, loop_ms: Option<f64>) -> Result<Piecewise, StimulusError> {
    read_series(path, loop_ms, "rate in Hz", true)
}

/// A two-column series of (time in ms, `value`); `non_negative` refuses values below 0.
fn read_series(path: &Path, loop_ms: Option<f64>, value: &str, non_negative: bool) -> Result<Piecewise, StimulusError> {
    let text = read(path)?;
    let err = |line: usize, message: String| StimulusError {
        file: path.display().to_string(),
        line: if line > 0 { format!(", line {line}") } else { String::new() },
        message,
    };
    let mut times = Vec::new();
    let mut values = Vec::new();
    for (line, v) in rows(path, &text)? {
        if v.len() != 2 {
            return Err(err(line, format!("{} columns: expected two (time in ms, {value})", v.len())));
        }
        if non_negative && v[1] < 0.0 {
            return Err(err(
                line,
                format!("{} `{}`: expected a {value} >= 0", value.split(' ').next().unwrap_or(value), v[1]),
            ));
        }
        if let Some(&last) = times.last() {
            if v[0] <= last {
                return Err(err(line, format!("time {} ms: expected times to increase (previous {last} ms)", v[0])));
            }
        } else if v[0] < 0.0 {
            return Err(err(line, format!("time {} ms: expected times >= 0", v[0])));
        }
        times.push(v[0]);
        values.push(v[1]);
    }
    if times.is_empty() {
        let cols = if non_negative { "time_ms, rate_hz" } else { "time_ms, current_pa" };
        return Err(err(0, format!("no data rows: expected lines of `{cols}`")));
    }
    if let Some(p) = loop_ms {
        let last = *times.last().expect("non-empty");
        if !(p.is_finite() && p >= last && p > 0.0) {
            return Err(err(
                0,
                format!("loop_ms = {p}: expected a period at least as long as the last time ({last} ms)"),
            ));
        }
    }
    Ok(Piecewise { times_ms: times, values_pa: values, loop_ms })
}

/// Reads one current per neuron (pA), one per line; there must be exactly `n` of them.
pub fn read_per_neuron(path: &Path, n: usize) -> Result<Vec<f32>, StimulusError> {
    let text = read(path)?;
    let mut values = Vec::new();
    for (line, v) in rows(path, &text)? {
        if v.len() != 1 {
            return Err(StimulusError {
                file: path.display().to_string(),
                line: format!(", line {line}"),
                message: format!("{} columns: expected one current in pA per line", v.len()),
            });
        }
        values.push(v[0] as f32);
    }
    if values.len() != n {
        return Err(StimulusError {
            file: path.display().to_string(),
            line: String::new(),
            message: format!("{} values: expected one per neuron of the target population ({n})", values.len()),
        });
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("s.csv");
        std::fs::write(&p, text).unwrap();
        (d, p)
    }

    #[test]
    fn interpolates_holds_and_loops() {
        let (_d, p) = write("time_ms,current_pa\n# ramp\n0, 0\n10, 100\n20, 100\n30, -50\n");
        let s = read_piecewise(&p, None).unwrap();
        assert_eq!((s.at(0.0), s.at(5.0), s.at(15.0), s.at(25.0), s.at(99.0)), (0.0, 50.0, 100.0, 25.0, -50.0));
        let l = read_piecewise(&p, Some(40.0)).unwrap();
        assert_eq!((l.at(45.0), l.at(85.0), l.at(75.0)), (50.0, 50.0, -50.0));
    }

    #[test]
    fn bad_files_name_file_and_line() {
        let (_d, p) = write("0, 1\n5, x\n");
        let e = read_piecewise(&p, None).unwrap_err().to_string();
        assert!(e.contains("s.csv, line 2") && e.contains("expected comma-separated"), "{e}");
        let (_d, p) = write("0, 1\n5, 2\n5, 3\n");
        assert!(read_piecewise(&p, None).unwrap_err().to_string().contains("line 3"));
        let (_d, p) = write("0, 1, 2\n");
        assert!(read_piecewise(&p, None).unwrap_err().to_string().contains("expected two"));
        let (_d, p) = write("# nothing\n");
        assert!(read_piecewise(&p, None).unwrap_err().to_string().contains("no data rows"));
        let (_d, p) = write("0, 1\n10, 2\n");
        assert!(read_piecewise(&p, Some(9.5)).unwrap_err().to_string().contains("loop_ms"));
        assert!(read_piecewise(Path::new("no/such.csv"), None).unwrap_err().to_string().contains("cannot read"));
        let (_d, p) = write("1\n2\n3\n");
        assert_eq!(read_per_neuron(&p, 3).unwrap(), vec![1.0, 2.0, 3.0]);
        assert!(read_per_neuron(&p, 4).unwrap_err().to_string().contains("3 values: expected one per neuron"));
        // one header line is skipped; a second one before the data is not silently dropped
        let (_d, p) = write("t_ms, i_pa\n0, 1\n");
        assert!(read_piecewise(&p, None).is_ok());
        let (_d, p) = write("t_ms, i_pa\nramp\n0, 1\n");
        let e = read_piecewise(&p, None).unwrap_err().to_string();
        assert!(e.contains("s.csv, line 2") && e.contains("only the first line may be a header"), "{e}");
    }

    #[test]
    fn all_text_rows_are_not_read_as_zero_values() {
        let (_d, p) = write("a\nb\nc\n");
        let e = read_per_neuron(&p, 3).unwrap_err().to_string();
        assert!(e.starts_with(&format!("{}: no numeric rows (is the file a CSV of numbers?", p.display())), "{e}");
        let e = read_piecewise(&p, None).unwrap_err().to_string();
        assert!(e.contains("s.csv: no numeric rows"), "{e}");
    }
}
