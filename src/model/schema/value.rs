//! Values that may vary across neurons or synapses (issue 15 item 1): a number, a distribution
//! `{ normal = [mean, sd] }`, `{ uniform = [low, high] }`, `{ lognormal = [mu, sigma] }` with
//! optional clipping bounds `min`, `max`, or (neuron parameters only) a per-neuron file
//! `{ file = "thr.csv" }`. Only the shape is read here; ranges (sd >= 0, min <= max, ...) are
//! checked in `build`, which also draws the values.

use crate::model::de::Table;
use crate::model::error::value_message;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// A distribution law with its two parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Law {
    /// Gaussian with this mean and standard deviation.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation (>= 0, checked in `build`).
        sd: f64,
    },
    /// Uniform on [low, high).
    Uniform {
        /// Lower end.
        low: f64,
        /// Upper end (>= low, checked in `build`).
        high: f64,
    },
    /// exp(N(mu, sigma)): mu and sigma are the mean and sd of the logarithm (NEST's and numpy's
    /// convention), not of the value.
    Lognormal {
        /// Mean of ln x.
        mu: f64,
        /// Standard deviation of ln x (>= 0).
        sigma: f64,
    },
}

impl Law {
    /// The key of the law in a table: `normal`, `uniform` or `lognormal`.
    pub fn key(&self) -> &'static str {
        match self {
            Law::Normal { .. } => "normal",
            Law::Uniform { .. } => "uniform",
            Law::Lognormal { .. } => "lognormal",
        }
    }

    /// The two parameters as written.
    pub fn params(&self) -> [f64; 2] {
        match *self {
            Law::Normal { mean, sd } => [mean, sd],
            Law::Uniform { low, high } => [low, high],
            Law::Lognormal { mu, sigma } => [mu, sigma],
        }
    }
}

/// A distribution, values clipped into [min, max] when the bounds are given (a value outside is
/// set to the bound, not redrawn: so a bound is an atom of the distribution, as NEST's
/// `clipped` parameters).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dist {
    /// The law.
    pub law: Law,
    /// Lower clipping bound.
    pub min: Option<f64>,
    /// Upper clipping bound.
    pub max: Option<f64>,
}

impl fmt::Display for Dist {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let [a, b] = self.law.params();
        write!(f, "{} [{a}, {b}]", self.law.key())?;
        if let Some(m) = self.min {
            write!(f, " min {m}")?;
        }
        if let Some(m) = self.max {
            write!(f, " max {m}")?;
        }
        Ok(())
    }
}

/// A value given once, as a distribution, or (neuron parameters) as a per-neuron file.
#[derive(Clone, Debug, PartialEq)]
pub enum Varying {
    /// One number for every neuron or synapse.
    Fixed(f64),
    /// A value drawn per neuron or synapse.
    Dist(Dist),
    /// One value per neuron from a file (relative to the model file), one per line.
    File(String),
}

/// The forms messages list.
pub const VARYING_FORMS: &str = "a number, { normal = [mean, sd] }, { uniform = [low, high] } or { lognormal = [mu, \
                                 sigma] } (optional min, max), or { file = \"values.csv\" }";

/// Keys of a distribution table.
const KEYS: [&str; 6] = ["normal", "uniform", "lognormal", "min", "max", "file"];

impl Varying {
    /// Reads a value from TOML: a number or a table. Errors are `(sub_key, value, expected)` with
    /// `sub_key` relative to the value's own key ("" for the value itself).
    pub fn from_toml(v: &toml::Value) -> Result<Varying, (String, String, String)> {
        let bad = |k: &str, v: &dyn fmt::Display, e: &str| (k.to_string(), v.to_string(), e.to_string());
        let t = match v {
            toml::Value::Integer(i) => return Ok(Varying::Fixed(*i as f64)),
            toml::Value::Float(x) => return Ok(Varying::Fixed(*x)),
            toml::Value::Table(t) => t,
            other => return Err(bad("", other, VARYING_FORMS)),
        };
        if let Some(k) = t.keys().find(|k| !KEYS.contains(&k.as_str())) {
            let hint = crate::model::error::hint_for(k, &KEYS);
            return Err(bad(k, &format!("(unknown key){hint}"), &format!("one of: {}", KEYS.join(", "))));
        }
        let laws: Vec<&str> =
            ["normal", "uniform", "lognormal", "file"].into_iter().filter(|k| t.contains_key(*k)).collect();
        if laws.len() != 1 {
            let given = if laws.is_empty() { "(none)".to_string() } else { laws.join(" and ") };
            return Err(bad("", &format!("a table with {given}"), "exactly one of normal, uniform, lognormal or file"));
        }
        let num = |k: &str| -> Result<Option<f64>, (String, String, String)> {
            match t.get(k) {
                None => Ok(None),
                Some(toml::Value::Integer(i)) => Ok(Some(*i as f64)),
                Some(toml::Value::Float(x)) => Ok(Some(*x)),
                Some(v) => Err(bad(k, v, "a number")),
            }
        };
        let (min, max) = (num("min")?, num("max")?);
        let key = laws[0];
        if key == "file" {
            if let Some(k) = ["min", "max"].into_iter().find(|k| t.contains_key(*k)) {
                return Err(bad(k, &t[k], "no clipping bound with `file` (the file's values are used as they are)"));
            }
            return match &t["file"] {
                toml::Value::String(s) => Ok(Varying::File(s.clone())),
                v => Err(bad("file", v, "a file name (a string)")),
            };
        }
        let pair = match &t[key] {
            toml::Value::Array(a) if a.len() == 2 => {
                let n: Vec<Option<f64>> = a
                    .iter()
                    .map(|x| match x {
                        toml::Value::Integer(i) => Some(*i as f64),
                        toml::Value::Float(f) => Some(*f),
                        _ => None,
                    })
                    .collect();
                match (n[0], n[1]) {
                    (Some(a), Some(b)) => [a, b],
                    _ => return Err(bad(key, &t[key], "two numbers")),
                }
            }
            v => {
                let what = match key {
                    "normal" => "two numbers [mean, sd]",
                    "uniform" => "two numbers [low, high]",
                    _ => "two numbers [mu, sigma] (mean and sd of ln x)",
                };
                return Err(bad(key, v, what));
            }
        };
        let law = match key {
            "normal" => Law::Normal { mean: pair[0], sd: pair[1] },
            "uniform" => Law::Uniform { low: pair[0], high: pair[1] },
            _ => Law::Lognormal { mu: pair[0], sigma: pair[1] },
        };
        Ok(Varying::Dist(Dist { law, min, max }))
    }

    /// The value when it is one number.
    pub fn fixed(&self) -> Option<f64> {
        match self {
            Varying::Fixed(x) => Some(*x),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Varying {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Varying;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(VARYING_FORMS)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Varying, E> {
                Ok(Varying::Fixed(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Varying, E> {
                Ok(Varying::Fixed(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Varying, E> {
                Ok(Varying::Fixed(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Varying, A::Error> {
                let t = Table::read(map)?;
                Varying::from_toml(&toml::Value::Table(t.into_inner().into_iter().collect()))
                    .map_err(|(k, v, e)| de::Error::custom(value_message(&k, v, e)))
            }
        }
        d.deserialize_any(V)
    }
}
