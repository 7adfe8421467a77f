//! Errors in model files. Every variant names the file and the key, and says what was expected.

use serde_path_to_error::Segment;
use std::fmt::Display;

/// A problem with a model file.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// Occurs when the file cannot be read (missing, a directory, no permission, not UTF-8).
    #[error("{file}: cannot read the model file: {reason}")]
    Read {
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
    /// Occurs when the file is not valid TOML, or a value has the wrong type or shape, or a
    /// required key is missing, or a key is unknown, or a string option is not one of its choices
    /// (the checks made while reading the file, see [`from_serde`]).
    #[error("{file}{line}: {key}{message}")]
    Parse {
        /// The file.
        file: String,
        /// ", line N" when known.
        line: String,
        /// Where: the key path, e.g. `population[0].size: `, or for a bad value the section, e.g.
        /// `projection[0]: ` (the message then names the key); or empty.
        key: String,
        /// What went wrong and what was expected.
        message: String,
    },
    /// Occurs when a value is out of its allowed range or refers to something that does not exist.
    #[error("{file}{}: {section}: `{key}` = {value}: expected {expected}", line_suffix(*.line))]
    Invalid {
        /// The file.
        file: String,
        /// The line of the key (or else of its table's header), 0 when unknown; see [`locate_line`].
        line: u32,
        /// Where: e.g. `population "pyr"` or `projection 2 (exc_bg -> pyr)`.
        section: String,
        /// The key.
        key: String,
        /// The value given.
        value: String,
        /// What would have been accepted.
        expected: String,
    },
    /// Occurs when a stimulus file referenced by the model is unreadable or malformed.
    #[error("{file}: {section}: {cause}")]
    Stimulus {
        /// The model file.
        file: String,
        /// The input entry.
        section: String,
        /// What is wrong in the stimulus file (names it and the line).
        cause: crate::stimulus::StimulusError,
    },
    /// Occurs when a data file referenced by a key (per-neuron parameter values, an edge list) is
    /// unreadable, corrupt, or does not fit (a wrong count, an id out of range).
    #[error("{file}: {section}: `{key}`: {cause}")]
    DataFile {
        /// The model file.
        file: String,
        /// The entry.
        section: String,
        /// The key that names the data file.
        key: String,
        /// What is wrong in the data file (names it, and the line or dataset); boxed to keep
        /// every `Result<_, ModelError>` small.
        cause: Box<crate::stimulus::StimulusError>,
    },
    /// Occurs when a table has a key its kind does not know.
    #[error("{file}{}: {section}: unknown key `{key}`; expected one of: {allowed}{hint}", line_suffix(*.line))]
    UnknownKey {
        /// The file.
        file: String,
        /// The line of the key, 0 when unknown; see [`locate_line`].
        line: u32,
        /// Where.
        section: String,
        /// The unknown key.
        key: String,
        /// Keys that are accepted there.
        allowed: String,
        /// A "did you mean" hint, or empty.
        hint: String,
    },
}

/// The text of an unknown-key error: the key, the keys accepted there and a hint.
pub fn unknown_key_message(key: &str, allowed: &[&str]) -> String {
    format!("unknown key `{key}`; expected one of: {}{}", allowed.join(", "), hint_for(key, allowed))
}

/// Separates the parts of a value error inside a serde message (see [`value_message`]).
const MARK: char = '\u{1}';

/// The message of a value error found while deserialising (a string option that is not one of its
/// choices, a missing key of a table read by hand). Serde carries only a message from a
/// `Deserialize` impl to [`from_serde`], so the parts travel in it, separated by a control
/// character: `sub_key` is relative to the key being read ("" for that key itself).
pub fn value_message(sub_key: &str, value: impl Display, expected: impl Display) -> String {
    format!("{MARK}{sub_key}{MARK}{expected}{MARK}{value}")
}

/// A serde error with its key path as a [`ModelError::Parse`] naming `file` and the line in `text`.
/// Value errors (see [`value_message`]) are laid out as [`ModelError::Invalid`] is: the section
/// (the path up to the last array index, or the table), then `` `key` = value: expected ... ``.
pub fn from_serde(e: serde_path_to_error::Error<toml::de::Error>, text: &str, file: &str) -> ModelError {
    let segments: Vec<Segment> = e.path().iter().cloned().collect();
    from_toml(&segments, e.into_inner(), text, file)
}

/// A TOML syntax error (found before any key is deserialised), with its line.
pub fn from_syntax(e: toml::de::Error, text: &str, file: &str) -> ModelError {
    from_toml(&[], e, text, file)
}

fn from_toml(segments: &[Segment], inner: toml::de::Error, text: &str, file: &str) -> ModelError {
    let span_line = inner.span().map(|s| line_at(text, s.start));
    let message = inner.message().trim().replace("$__toml_private_datetime", "a date-time");
    let mut path = steps(segments);
    let file = file.to_string();
    if let Some((sub_key, expected, value)) = value_parts(&message) {
        let (section, key) = split_path(segments, sub_key);
        path.extend(sub_key.split('.').filter(|k| !k.is_empty()).map(|k| Step::Key(k.to_string())));
        let line = fmt_line(locate(text, &path).map(|l| l.line).or(span_line));
        return ModelError::Parse {
            file,
            line,
            key: section,
            message: format!("`{key}` = {value}: expected {expected}"),
        };
    }
    if segments.is_empty() {
        return ModelError::Parse {
            file,
            line: fmt_line(span_line),
            key: String::new(),
            message: syntax_message(&message, text, span_line),
        };
    }
    // A value of the wrong type: `section: `key` = value as written: expected ...`. Inside an
    // internally tagged table ([[input]]) serde loses the key; it is found by the value.
    // An unknown string option (a derived enum): found by its value, as a wrong type is.
    let variant = message
        .strip_prefix("unknown variant `")
        .and_then(|m| m.split_once("`, expected "))
        .map(|(v, expected)| (format!("string {v:?}"), expected.to_string()));
    let wrong = variant.or_else(|| type_error(&message).map(|(g, e)| (g.to_string(), e.to_string())));
    if let Some((got, expected)) = wrong.as_ref().map(|(g, e)| (g.as_str(), e.as_str())) {
        if !matches!(path.last(), Some(Step::Key(_))) {
            // an unknown variant may also be a table's only key (`compartment = { a = 1 }`)
            let found = key_with_value(text, &path, got).or_else(|| {
                message.starts_with("unknown variant").then(|| key_with_value(text, &path, "map")).flatten()
            });
            if let Some(k) = found {
                path.push(Step::Key(k));
            }
        }
        if let Some(found) = locate(text, &path).filter(|l| l.exact) {
            if let Some(Step::Key(k)) = path.last() {
                let (section, _) = split_path(segments, "");
                let section = if matches!(segments.last(), Some(Segment::Seq { .. })) {
                    format!("{}: ", render(segments))
                } else {
                    section
                };
                let key = if matches!(segments.last(), Some(Segment::Map { .. })) {
                    split_path(segments, "").1
                } else {
                    k.clone()
                };
                let mut value = found.raw.unwrap_or_else(|| got.to_string());
                if found.datetime {
                    value += " (a date-time)";
                }
                let message = format!("`{key}` = {value}: expected {}", human_expected(expected, got));
                return ModelError::Parse { file, line: fmt_line(Some(found.line)), key: section, message };
            }
        }
    }
    // An unknown field: the line of that key.
    if let Some(k) = message.strip_prefix("unknown field `").and_then(|m| m.split('`').next()) {
        path.push(Step::Key(k.to_string()));
    }
    let line = fmt_line(locate(text, &path).map(|l| l.line).or(span_line));
    ModelError::Parse { file, line, key: format!("{}: ", render(segments)), message }
}

/// `", line N"`, or empty for line 0 (unknown).
fn line_suffix(line: u32) -> String {
    fmt_line((line > 0).then_some(line as usize))
}

/// `", line N"`, or empty.
fn fmt_line(line: Option<usize>) -> String {
    line.map(|l| format!(", line {l}")).unwrap_or_default()
}

/// The 1-based line of byte `at` of `text`.
fn line_at(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

/// `(what was given, what was expected)` of serde's "invalid type/value: X, expected Y".
fn type_error(message: &str) -> Option<(&str, &str)> {
    let rest = message.strip_prefix("invalid type: ").or_else(|| message.strip_prefix("invalid value: "))?;
    rest.rsplit_once(", expected ")
}

/// What serde's expectation means in a model file.
fn human_expected(expected: &str, got: &str) -> String {
    if got.contains(" as i128") {
        return format!(
            "an integer from {} to {} (TOML integers are 64-bit; write a float such as 1e20 for a larger number)",
            i64::MIN,
            i64::MAX
        );
    }
    match expected {
        "f64" | "f32" => "a number".into(),
        "i64" | "i32" | "i16" | "i8" => "an integer".into(),
        "u64" | "u32" | "u16" | "u8" | "usize" => "an integer >= 0".into(),
        "a boolean" => "true or false".into(),
        "any value" => "a value".into(),
        other => other.into(),
    }
}

/// The message of a TOML syntax error, saying what is wrong on the line when the parser's words
/// do not: a key with no value, a control character.
fn syntax_message(message: &str, text: &str, line: Option<usize>) -> String {
    let Some(src) = line.and_then(|l| text.split('\n').nth(l - 1)) else {
        return message.to_string();
    };
    if let Some((col, c)) = src.chars().enumerate().find(|&(_, c)| c.is_control() && c != '\t' && c != '\r') {
        return format!(
            "a control character (U+{:04X}) at column {}: expected printable characters (inside a string write it as \\u{:04X}; elsewhere remove it)",
            c as u32,
            col + 1,
            c as u32
        );
    }
    let code = src.split('#').next().unwrap_or("").trim();
    if let Some(key) = code.strip_suffix('=').map(str::trim) {
        if !key.is_empty() && !key.contains('=') && !key.contains('"') {
            return format!(
                "`{key}` = (nothing): expected a value after `=` (a number, a \"quoted string\", true or false, a date-time, [an array] or {{ a table }})"
            );
        }
    }
    if message.is_empty() {
        return "not valid TOML".into();
    }
    message.to_string()
}

/// One step of a key path in the file.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// A key of a table.
    Key(String),
    /// An entry of an array (of `[[tables]]`).
    Index(usize),
}

fn steps(segments: &[Segment]) -> Vec<Step> {
    let mut out = Vec::new();
    for s in segments {
        match s {
            Segment::Map { key } => out.push(Step::Key(key.clone())),
            Segment::Seq { index } => out.push(Step::Index(*index)),
            Segment::Enum { .. } => {}
            Segment::Unknown => break,
        }
    }
    out
}

/// Where a key path is in the text.
struct Located {
    /// The line of the deepest step found: the key, or an array entry's header.
    line: usize,
    /// Whether the whole path was found.
    exact: bool,
    /// The value as written (shortened), when the whole path was found.
    raw: Option<String>,
    /// Whether that value is a date-time.
    datetime: bool,
}

/// Finds `path` in `text` with toml's span-preserving parser: the line of the key, or of the
/// deepest table on the path that is there; `None` if not even the first step is there.
fn locate(text: &str, path: &[Step]) -> Option<Located> {
    use toml::de::{DeTable, DeValue};
    let doc = DeTable::parse(text).ok()?;
    let mut cur: Option<&toml::Spanned<DeValue>> = None;
    let mut found: Option<Located> = None;
    for (i, step) in path.iter().enumerate() {
        let table = match cur.map(|v| v.get_ref()) {
            None => Some(doc.get_ref()),
            Some(DeValue::Table(t)) => Some(t),
            _ => None,
        };
        let next = match (step, table, cur.map(|v| v.get_ref())) {
            (Step::Key(k), Some(t), _) => {
                t.iter().find(|(key, _)| key.get_ref().as_ref() == k.as_str()).map(|(key, v)| (key.span().start, v))
            }
            (Step::Index(n), _, Some(DeValue::Array(a))) => a.get(*n).map(|v| (v.span().start, v)),
            _ => None,
        };
        let Some((at, v)) = next else { break };
        let exact = i + 1 == path.len();
        let scalar = !matches!(v.get_ref(), DeValue::Table(_) | DeValue::Array(_));
        let raw = (exact && scalar).then(|| shorten(text.get(v.span()).unwrap_or("").trim()));
        let datetime = matches!(v.get_ref(), DeValue::Datetime(_));
        found = Some(Located { line: line_at(text, at), exact, raw, datetime });
        cur = Some(v);
    }
    found
}

/// A value as written, cut to 60 characters.
fn shorten(raw: &str) -> String {
    if raw.chars().count() > 60 {
        format!("{}...", raw.chars().take(57).collect::<String>())
    } else {
        raw.to_string()
    }
}

/// The key of the table at `path` whose value serde described as `got` (`string "x"`,
/// `integer `3``, `floating point `1.5``, `boolean `true``, `map` for a date-time or a table,
/// `sequence`): the first such key, if any.
fn key_with_value(text: &str, path: &[Step], got: &str) -> Option<String> {
    use toml::de::{DeTable, DeValue};
    let doc = DeTable::parse(text).ok()?;
    let mut cur: &DeTable = doc.get_ref();
    let mut arr: Option<&toml::de::DeArray> = None;
    for step in path {
        let v = match (step, arr) {
            (Step::Index(n), Some(a)) => a.get(*n)?.get_ref(),
            (Step::Key(k), None) => cur.iter().find(|(key, _)| key.get_ref().as_ref() == k.as_str())?.1.get_ref(),
            _ => return None,
        };
        match v {
            DeValue::Table(t) => {
                cur = t;
                arr = None;
            }
            DeValue::Array(a) => arr = Some(a),
            _ => return None,
        }
    }
    if arr.is_some() {
        return None;
    }
    let quoted = |v: &str| got.split('`').nth(1).map(|g| g == v).unwrap_or(false);
    cur.iter()
        .find(|(_, v)| match v.get_ref() {
            DeValue::String(s) => got == format!("string {:?}", s.as_ref()),
            DeValue::Integer(i) => got.starts_with("integer") && quoted(i.as_str()),
            DeValue::Float(f) => got.starts_with("floating point") && same_float(got, f.as_str()),
            DeValue::Boolean(b) => got.starts_with("boolean") && quoted(&b.to_string()),
            DeValue::Datetime(_) | DeValue::Table(_) => got == "map",
            DeValue::Array(_) => got == "sequence",
        })
        .map(|(k, _)| k.get_ref().to_string())
}

/// True when the number quoted in serde's `got` (`floating point `-0.5``) is the float written as
/// `raw` (`-0.5`, `-5e-1`, `nan`, `+inf`).
fn same_float(got: &str, raw: &str) -> bool {
    let parse = |s: &str| {
        let s = s.replace('_', "");
        match s.trim_start_matches('+') {
            "nan" | "-nan" | "NaN" => Some(f64::NAN),
            "inf" => Some(f64::INFINITY),
            "-inf" => Some(f64::NEG_INFINITY),
            t => t.parse::<f64>().ok(),
        }
    };
    match (got.split('`').nth(1).and_then(parse), parse(raw)) {
        (Some(a), Some(b)) => a == b || (a.is_nan() && b.is_nan()),
        _ => false,
    }
}

/// The line of `key` in `section` of the model `text` (as [`ModelError::Invalid`] and
/// [`ModelError::UnknownKey`] name them: `population 2 ("pyr")`, `input 0 (...)`, `[simulation]`,
/// `[[output.state]] 1`), or else of the section's header; `None` if neither is in the text.
pub fn locate_line(text: &str, section: &str, key: &str) -> Option<usize> {
    let mut path = section_path(section)?;
    path.extend(key.split('.').filter(|k| !k.is_empty()).map(|k| Step::Key(k.to_string())));
    locate(text, &path).map(|l| l.line)
}

fn section_path(section: &str) -> Option<Vec<Step>> {
    let keys = |s: &str| s.split('.').map(|k| Step::Key(k.to_string())).collect::<Vec<_>>();
    if let Some(rest) = section.strip_prefix("[[") {
        let (name, index) = rest.split_once("]]")?;
        let mut p = keys(name);
        p.push(Step::Index(index.trim().split(' ').next()?.parse().ok()?));
        return Some(p);
    }
    if let Some(rest) = section.strip_prefix('[') {
        return Some(keys(rest.split(']').next()?));
    }
    let mut words = section.split(' ');
    let name = words.next()?;
    let index = words.next()?.parse().ok()?;
    Some(vec![Step::Key(name.to_string()), Step::Index(index)])
}

/// Drops the line of a message about a template file, whose entries are generated (the line
/// would point into the expansion).
pub fn without_line(e: ModelError) -> ModelError {
    match e {
        ModelError::Parse { file, key, message, .. } => ModelError::Parse { file, line: String::new(), key, message },
        ModelError::Invalid { file, section, key, value, expected, .. } => {
            ModelError::Invalid { file, line: 0, section, key, value, expected }
        }
        ModelError::UnknownKey { file, section, key, allowed, hint, .. } => {
            ModelError::UnknownKey { file, line: 0, section, key, allowed, hint }
        }
        other => other,
    }
}

/// Adds the line of the offending key (found in `text`) to a message that has none.
pub fn with_line(e: ModelError, text: &str, file: &str) -> ModelError {
    match e {
        ModelError::Invalid { file: f, line: 0, section, key, value, expected } if f == file => {
            let line = locate_line(text, &section, &key).map_or(0, |l| l as u32);
            ModelError::Invalid { file: f, line, section, key, value, expected }
        }
        ModelError::UnknownKey { file: f, line: 0, section, key, allowed, hint } if f == file => {
            let line = locate_line(text, &section, &key).map_or(0, |l| l as u32);
            ModelError::UnknownKey { file: f, line, section, key, allowed, hint }
        }
        other => other,
    }
}

/// A number as messages print it: as given, unless it is huge or tiny (`1e308` rather than 309
/// digits). Other text is returned unchanged.
pub fn compact_number(value: String) -> String {
    let numeric = value.bytes().any(|b| b.is_ascii_digit())
        && value.bytes().all(|b| b.is_ascii_digit() || b == b'-' || b == b'.');
    match value.parse::<f64>() {
        Ok(f) if numeric && f != 0.0 && (f.abs() >= 1e15 || f.abs() < 1e-6) => format!("{f:e}"),
        _ => value,
    }
}

/// `(sub_key, expected, value)` of a message made by [`value_message`].
fn value_parts(message: &str) -> Option<(&str, &str, &str)> {
    let mut parts = message.strip_prefix(MARK)?.splitn(3, MARK);
    Some((parts.next()?, parts.next()?, parts.next()?))
}

/// Splits a key path into its section (up to the last array index, `projection[0]: `, or else the
/// table, `[simulation]: `) and the key below it, to which `sub_key` is added (`stp.preset`).
fn split_path(segments: &[Segment], sub_key: &str) -> (String, String) {
    let at = segments.iter().rposition(|s| matches!(s, Segment::Seq { .. })).map_or(1, |i| i + 1);
    let (head, tail) = segments.split_at(at.min(segments.len()));
    let section = match head {
        [] => String::new(),
        [Segment::Map { key }] => format!("[{key}]: "),
        _ => format!("{}: ", render(head)),
    };
    let mut key = render(tail);
    if !sub_key.is_empty() {
        if !key.is_empty() {
            key.push('.');
        }
        key += sub_key;
    }
    (section, key)
}

/// A key path as serde_path_to_error writes it: `projection[0].stp`.
fn render(segments: &[Segment]) -> String {
    let mut s = String::new();
    for seg in segments {
        if !s.is_empty() && !matches!(seg, Segment::Seq { .. }) {
            s.push('.');
        }
        s += &seg.to_string();
    }
    s
}

/// A "did you mean" hint for an unknown key: a known key that starts with it (a missing unit
/// suffix, `tau_s` for `tau_s_ms`) or that it starts with.
pub fn hint_for(key: &str, allowed: &[&str]) -> String {
    allowed
        .iter()
        .find(|a| (a.starts_with(key) && a.len() > key.len() && a.as_bytes()[key.len()] == b'_') || key.starts_with(*a))
        .map(|a| format!(" (did you mean `{a}`? units are part of the key name)"))
        .unwrap_or_default()
}
