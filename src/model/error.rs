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
    #[error("{file}: {section}: `{key}` = {value}: expected {expected}")]
    Invalid {
        /// The file.
        file: String,
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
    /// Occurs when a table has a key its kind does not know.
    #[error("{file}: {section}: unknown key `{key}`; expected one of: {allowed}{hint}")]
    UnknownKey {
        /// The file.
        file: String,
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
    let line = inner
        .span()
        .map(|s| format!(", line {}", text[..s.start.min(text.len())].matches('\n').count() + 1))
        .unwrap_or_default();
    let message = inner.message().trim();
    let (key, message) = match value_parts(message) {
        Some((sub_key, expected, value)) => {
            let (section, key) = split_path(segments, sub_key);
            (section, format!("`{key}` = {value}: expected {expected}"))
        }
        None if segments.is_empty() => (String::new(), message.to_string()),
        None => (format!("{}: ", render(segments)), message.to_string()),
    };
    ModelError::Parse { file: file.to_string(), line, key, message }
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
