//! The building context and the value checks every part of the model shares. Each check returns
//! the value it accepts or a [`ModelError`] naming the file, the section, the key, the value and
//! what was expected.

use crate::model::error::{compact_number, hint_for, ModelError};
use std::fmt::Display;
use std::path::PathBuf;

/// Where values come from: the file that error messages name and the folder that relative paths
/// (stimulus and protocol files) are resolved against.
pub(super) struct Ctx<'a> {
    /// The file, as error messages name it.
    pub file: &'a str,
    /// Folder against which stimulus files are resolved (the model file's).
    pub base: PathBuf,
}

impl Ctx<'_> {
    /// The error for `key` = `value` in `section`, which should have been `expected`.
    pub fn invalid(&self, section: &str, key: &str, value: impl Display, expected: impl Into<String>) -> ModelError {
        ModelError::Invalid {
            file: self.file.to_string(),
            line: 0,
            section: section.to_string(),
            key: key.to_string(),
            value: compact_number(value.to_string()),
            expected: expected.into(),
        }
    }

    /// The error for a key `section` does not know; lists `allowed`, with a hint when only the
    /// unit suffix is missing.
    pub fn unknown_key(&self, section: &str, key: &str, allowed: &[&str]) -> ModelError {
        ModelError::UnknownKey {
            file: self.file.to_string(),
            line: 0,
            section: section.to_string(),
            key: key.to_string(),
            allowed: allowed.join(", "),
            hint: hint_for(key, allowed),
        }
    }

    /// The error for a name that `known` does not hold: `what` it should have been, and the
    /// known names.
    pub fn unknown_name<'n>(
        &self,
        section: &str,
        key: &str,
        name: &str,
        what: &str,
        known: impl IntoIterator<Item = &'n str>,
    ) -> ModelError {
        let known = known.into_iter().collect::<Vec<_>>().join(", ");
        self.invalid(section, key, format!("\"{name}\""), format!("{what} (known: {known})"))
    }

    /// A name written by the user (of a population, a projection or an input): HDF5-safe and
    /// unambiguous, see [`is_plain_name`].
    pub fn user_name(&self, section: &str, key: &str, name: &str) -> Result<(), ModelError> {
        if is_plain_name(name) {
            Ok(())
        } else {
            Err(self.invalid(section, key, format!("{name:?}"), NAME_RULE))
        }
    }

    /// The error for `name`, given to `key` of `section`, that `owner` already has: `what` is
    /// the kind of entry ("population", "projection", "input").
    pub fn name_taken(&self, section: &str, key: &str, name: &str, what: &str, owner: &str) -> ModelError {
        self.invalid(
            section,
            key,
            format!("{name:?}"),
            format!("a name not used by another {what} (already used by {owner})"),
        )
    }

    /// A finite value > 0.
    pub fn positive(&self, section: &str, key: &str, v: f64, what: &str) -> Result<f64, ModelError> {
        if v.is_finite() && v > 0.0 {
            Ok(v)
        } else {
            Err(self.invalid(section, key, v, format!("a positive {what}")))
        }
    }

    /// A finite value >= 0.
    pub fn non_negative(&self, section: &str, key: &str, v: f64, what: &str) -> Result<f64, ModelError> {
        if v.is_finite() && v >= 0.0 {
            Ok(v)
        } else {
            Err(self.invalid(section, key, v, format!("{what} >= 0")))
        }
    }

    /// A finite value.
    pub fn finite(&self, section: &str, key: &str, v: f64, what: &str) -> Result<f64, ModelError> {
        if v.is_finite() {
            Ok(v)
        } else {
            Err(self.invalid(section, key, v, format!("a finite {what}")))
        }
    }

    /// A fraction in [0, 1] (STP utilisations).
    pub fn fraction(&self, section: &str, key: &str, v: f64) -> Result<f64, ModelError> {
        if (0.0..=1.0).contains(&v) {
            Ok(v)
        } else {
            Err(self.invalid(section, key, v, "a fraction between 0 and 1"))
        }
    }

    /// A probability in [0, 1].
    pub fn probability(&self, section: &str, key: &str, p: f64) -> Result<f64, ModelError> {
        if (0.0..=1.0).contains(&p) {
            Ok(p)
        } else {
            Err(self.invalid(section, key, p, "a probability between 0 and 1"))
        }
    }

    /// A time in ms converted to whole steps; must be a multiple of dt (to 1e-6 of a step).
    pub fn steps(&self, section: &str, key: &str, ms: f64, dt: f64) -> Result<u64, ModelError> {
        self.non_negative(section, key, ms, "time in ms")?;
        let s = ms / dt;
        if (s - s.round()).abs() > 1e-6 {
            return Err(self.invalid(section, key, ms, format!("a multiple of the time step, dt_ms = {dt}")));
        }
        Ok(s.round() as u64)
    }

    /// A Poisson rate (`rate_hz`) >= 0 and below 1/dt, so that a step holds at most one spike.
    pub fn rate_hz(&self, section: &str, rate: f64, dt: f64) -> Result<f64, ModelError> {
        self.rate_hz_at(section, "rate_hz", rate, dt)
    }

    /// [`Ctx::rate_hz`] for a rate under another key (`rate_hz.NAME` of a `[[phase]]`).
    pub fn rate_hz_at(&self, section: &str, key: &str, rate: f64, dt: f64) -> Result<f64, ModelError> {
        let max = 1000.0 / dt;
        if !(rate.is_finite() && rate >= 0.0 && rate < max) {
            return Err(self.invalid(section, key, rate, format!("a rate in Hz >= 0 and below 1/dt = {max} Hz")));
        }
        Ok(rate)
    }
}

/// What a name written by the user may be (the message of [`Ctx::user_name`]).
pub(super) const NAME_RULE: &str =
    "a name of ASCII letters, digits, '_' and '-' that is not empty and does not start with '-'";

/// Whether `name` is a name a user may write: ASCII letters, digits, '_' and '-', not empty, not
/// starting with '-'. Such a name is a safe HDF5 group name (no '/', no NUL, not "."), cannot
/// look like an option on a command line and cannot be one of the generated names (those of
/// unnamed projections and Poisson inputs hold '>' or '.').
pub(super) fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A TOML number (integer or float) as f64.
pub(super) fn number(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Float(f) => Some(*f),
        toml::Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}
