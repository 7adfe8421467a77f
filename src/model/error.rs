//! Errors in model files. Every variant names the file and the key, and says what was expected.

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
    /// required key is missing, or a key is unknown (serde's structural checks).
    #[error("{file}{line}: {key}{message}")]
    Parse {
        /// The file.
        file: String,
        /// ", line N" when known.
        line: String,
        /// The key path, e.g. `population[0].size: `, or empty.
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

/// A "did you mean" hint for an unknown key: a known key that starts with it (a missing unit
/// suffix, `tau_s` for `tau_s_ms`) or that it starts with.
pub fn hint_for(key: &str, allowed: &[&str]) -> String {
    allowed
        .iter()
        .find(|a| (a.starts_with(key) && a.len() > key.len() && a.as_bytes()[key.len()] == b'_') || key.starts_with(*a))
        .map(|a| format!(" (did you mean `{a}`? units are part of the key name)"))
        .unwrap_or_default()
}
