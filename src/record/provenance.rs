//! Provenance of a run, stored in the output's root attributes so that the file alone tells how
//! it was made: the model text (`model`), every file the model refers to by name with its size,
//! SHA-256 and (for text files up to [`n::INPUT_TEXT_LIMIT`]) its text, the command line and the
//! options in it that replaced a value of the model, the seed, the effective duration and
//! thread count and the burstsim version. `burstsim inspect FILE --provenance` prints them
//! ([`read`], [`format`]); files written before these attributes existed are read with what
//! they hold (the model text and `protocol_file_text`).

use super::hdf5::RecordError;
use super::inspect::open_output;
use crate::model::Referenced;
use crate::names as n;
use h5::types::VarLenUnicode;
use hdf5_metno as h5;
use sha2::{Digest, Sha256};

/// How the run was asked for (what the model file does not hold).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Invocation {
    /// The arguments, the program first.
    pub command_line: Vec<String>,
    /// The options that replaced a value of the model file (`--seed 3`, `--threads 2`).
    pub overrides: Vec<String>,
}

/// One referenced file as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct InputFile {
    /// The key that names it.
    pub role: String,
    /// Its name as the model writes it.
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
    /// The text, when it is UTF-8 and at most [`n::INPUT_TEXT_LIMIT`] bytes.
    pub text: Option<String>,
}

/// SHA-256 of `bytes` as 64 lowercase hex digits.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads each referenced file for the output. The files were read moments before by the builder;
/// reading them again here (rather than keeping every byte in the model) costs one read, and a
/// file changed in between is caught by nothing either way.
pub fn input_files(referenced: &[Referenced]) -> Result<Vec<InputFile>, RecordError> {
    referenced
        .iter()
        .map(|r| {
            let bytes = std::fs::read(&r.path).map_err(|e| RecordError::Format {
                file: r.path.display().to_string(),
                what: format!("cannot read it again to store its hash in the output ({}): {e}", r.role),
            })?;
            let len = bytes.len() as u64;
            let sha256 = sha256_hex(&bytes);
            let text = if len <= n::INPUT_TEXT_LIMIT { String::from_utf8(bytes).ok() } else { None };
            Ok(InputFile { role: r.role.clone(), name: r.name.clone(), bytes: len, sha256, text })
        })
        .collect()
}

fn vlu(s: &str) -> VarLenUnicode {
    // NUL cannot be stored in an HDF5 string; a text file holding one is stored by hash only
    s.parse().unwrap_or_default()
}

fn strings(file: &h5::File, name: &str, values: &[String]) -> h5::Result<()> {
    let v: Vec<VarLenUnicode> = values.iter().map(|s| vlu(s)).collect();
    file.new_attr::<VarLenUnicode>().shape(v.len()).create(name)?.write(&v)?;
    Ok(())
}

/// What the writer stores about a run beyond the model: its input files, threads and invocation.
#[derive(Clone, Debug, Default)]
pub struct Stamp {
    /// The referenced files ([`input_files`]).
    pub inputs: Vec<InputFile>,
    /// Worker threads.
    pub threads: usize,
    /// Command line and overrides.
    pub invocation: Invocation,
}

/// Writes the provenance attributes (besides `model`, `seed`, `dt_ms`, `duration_ms` and the
/// version, which the writer stores itself).
pub fn write(file: &h5::File, stamp: &Stamp) -> h5::Result<()> {
    let (inputs, threads, how) = (&stamp.inputs, stamp.threads, &stamp.invocation);
    let col = |f: fn(&InputFile) -> String| inputs.iter().map(f).collect::<Vec<_>>();
    strings(file, n::ATTR_INPUT_ROLES, &col(|f| f.role.clone()))?;
    strings(file, n::ATTR_INPUT_NAMES, &col(|f| f.name.clone()))?;
    strings(file, n::ATTR_INPUT_SHA256, &col(|f| f.sha256.clone()))?;
    strings(file, n::ATTR_INPUT_TEXTS, &col(|f| f.text.clone().unwrap_or_default()))?;
    let sizes: Vec<u64> = inputs.iter().map(|f| f.bytes).collect();
    file.new_attr::<u64>().shape(sizes.len()).create(n::ATTR_INPUT_BYTES)?.write(&sizes)?;
    strings(file, n::ATTR_COMMAND_LINE, &how.command_line)?;
    strings(file, n::ATTR_OVERRIDES, &how.overrides)?;
    file.new_attr::<u64>().create(n::ATTR_THREADS)?.write_scalar(&(threads as u64))?;
    Ok(())
}

/// The provenance stored in an output file; `None` where a file written by an older burstsim
/// lacks an attribute.
#[derive(Clone, Debug, PartialEq)]
pub struct Provenance {
    /// burstsim version.
    pub version: Option<String>,
    /// Command line.
    pub command_line: Option<Vec<String>>,
    /// Overriding options.
    pub overrides: Option<Vec<String>>,
    /// Seed.
    pub seed: Option<u64>,
    /// Time step, ms.
    pub dt_ms: Option<f64>,
    /// Duration the run was set to, ms.
    pub duration_ms: Option<f64>,
    /// Time the data cover, ms.
    pub t_stop_ms: f64,
    /// Threads.
    pub threads: Option<u64>,
    /// The model text.
    pub model: Option<String>,
    /// Referenced files (`None`: not recorded).
    pub files: Option<Vec<InputFile>>,
    /// An older file's `protocol_file_text` (only when `files` is `None`).
    pub protocol_file_text: Option<String>,
}

/// Reads the provenance of the output file `path`.
pub fn read(path: &str) -> Result<Provenance, RecordError> {
    let out = open_output(path)?;
    let f = &out.file;
    let text = |name: &str| f.attr(name).and_then(|a| a.read_scalar::<VarLenUnicode>()).ok().map(|s| s.to_string());
    let list = |name: &str| {
        f.attr(name).and_then(|a| a.read_raw::<VarLenUnicode>()).ok().map(|v| v.iter().map(|s| s.to_string()).collect())
    };
    let files = match (list(n::ATTR_INPUT_ROLES), list(n::ATTR_INPUT_NAMES), list(n::ATTR_INPUT_SHA256)) {
        (Some(roles), Some(names), Some(hashes)) => {
            let texts: Vec<String> = list(n::ATTR_INPUT_TEXTS).unwrap_or_default();
            let sizes: Vec<u64> = f.attr(n::ATTR_INPUT_BYTES).and_then(|a| a.read_raw()).unwrap_or_default();
            let (roles, names, hashes): (Vec<String>, Vec<String>, Vec<String>) = (roles, names, hashes);
            if names.len() != roles.len() || hashes.len() != roles.len() {
                return Err(RecordError::Format {
                    file: path.to_string(),
                    what: format!(
                        "{} roles, {} names and {} hashes of input files: expected one of each per file",
                        roles.len(),
                        names.len(),
                        hashes.len()
                    ),
                });
            }
            Some(
                roles
                    .into_iter()
                    .zip(names)
                    .zip(hashes)
                    .enumerate()
                    .map(|(i, ((role, name), sha256))| InputFile {
                        role,
                        name,
                        bytes: sizes.get(i).copied().unwrap_or(0),
                        sha256,
                        text: texts.get(i).filter(|t| !t.is_empty()).cloned(),
                    })
                    .collect(),
            )
        }
        _ => None,
    };
    let scalar_u64 = |name: &str| f.attr(name).and_then(|a| a.read_scalar::<u64>()).ok();
    let scalar_f64 = |name: &str| f.attr(name).and_then(|a| a.read_scalar::<f64>()).ok();
    Ok(Provenance {
        version: text(n::ATTR_VERSION),
        command_line: list(n::ATTR_COMMAND_LINE),
        overrides: list(n::ATTR_OVERRIDES),
        seed: scalar_u64(n::ATTR_SEED),
        dt_ms: scalar_f64(n::ATTR_DT),
        duration_ms: scalar_f64(n::ATTR_DURATION),
        t_stop_ms: out.t_stop_ms,
        threads: scalar_u64(n::ATTR_THREADS),
        model: text(n::ATTR_MODEL),
        protocol_file_text: if files.is_none() { text(n::ATTR_PROTOCOL_FILE_TEXT) } else { None },
        files,
    })
}

/// Quotes an argument for a POSIX shell when it holds anything but plain characters, so that the
/// printed command line can be pasted back.
fn quote(arg: &str) -> String {
    let plain = !arg.is_empty() && arg.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// The provenance as text: one line per setting, then the model and each file's text.
pub fn format(p: &Provenance) -> String {
    const OLD: &str = "(not recorded: written by an older burstsim)";
    let or_old = |v: Option<String>| v.unwrap_or_else(|| OLD.to_string());
    let mut s = format!("burstsim version: {}\n", or_old(p.version.clone()));
    let cmd = p.command_line.as_ref().map(|c| c.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" "));
    s += &format!("command line: {}\n", or_old(cmd));
    let ov = p.overrides.as_ref().map(|o| if o.is_empty() { "none".to_string() } else { o.join(", ") });
    s += &format!("overrides of the model file: {}\n", or_old(ov));
    s += &format!("seed: {}\n", or_old(p.seed.map(|x| x.to_string())));
    s += &format!("dt: {}\n", or_old(p.dt_ms.map(|x| format!("{x} ms"))));
    s += &format!("duration: {} (data up to {} ms)\n", or_old(p.duration_ms.map(|x| format!("{x} ms"))), p.t_stop_ms);
    s += &format!("threads: {}\n", or_old(p.threads.map(|x| x.to_string())));
    match &p.files {
        Some(files) => {
            s += &format!("input files: {}\n", files.len());
            for f in files {
                s += &format!(
                    "  {} = {:?}: {} bytes, sha256 {}{}\n",
                    f.role,
                    f.name,
                    f.bytes,
                    f.sha256,
                    if f.text.is_some() { ", text below" } else { ", binary or too large: hash only" }
                );
            }
        }
        None => s += &format!("input files: {OLD}\n"),
    }
    let block = |title: &str, text: &str| {
        let mut b = format!("--- {title} ---\n{text}");
        if !text.ends_with('\n') {
            b.push('\n');
        }
        b
    };
    if let Some(m) = &p.model {
        s += &block("model", m);
    }
    for f in p.files.iter().flatten() {
        if let Some(t) = &f.text {
            s += &block(&format!("{} = {:?}", f.role, f.name), t);
        }
    }
    if let Some(t) = &p.protocol_file_text {
        s += &block("[simulation] protocol_file (name not recorded)", t);
    }
    s
}
