//! Reading string options and small tables with messages as informative as the builder's.
//!
//! Serde's derived errors for these shapes are poor: an enum says `unknown variant` without the
//! reference's choice or the spec section, an untagged or tagged enum says "data did not match any
//! variant", a derived table has no did-you-mean hint and does not say which key a tagged table
//! misses. So string options are [`Choice`]s (declared with `choice!`), and the tables that take
//! a string or a table, or are tagged by a key, are read whole into a [`Table`] and then key by key.
//! Errors travel through serde as messages (see [`value_message`]).
//! Only shapes, types and names are checked here; ranges are checked in `build`.

use super::error::{unknown_key_message, value_message};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

/// A string option of a model file: its names, each with an optional note (which choice the
/// reference makes, a spec section), and the value each stands for.
pub trait Choice: Sized + Copy + PartialEq + 'static {
    /// `(name in the file, note, value)`, in the order messages list them (the default first).
    const NAMES: &'static [(&'static str, Option<&'static str>, Self)];

    /// The value called `name` in the file.
    fn from_name(name: &str) -> Option<Self> {
        Self::NAMES.iter().find(|(n, _, _)| *n == name).map(|&(_, _, v)| v)
    }

    /// The name of this value in the file.
    fn name(self) -> &'static str {
        Self::NAMES.iter().find(|(_, _, v)| *v == self).map_or("", |(n, _, _)| n)
    }

    /// The choices as messages list them: `"soma" (reference, P1) or "dendrite"`.
    fn expected() -> String {
        let items: Vec<String> = Self::NAMES
            .iter()
            .map(|(n, note, _)| match note {
                Some(t) => format!("\"{n}\" ({t})"),
                None => format!("\"{n}\""),
            })
            .collect();
        match items.split_last() {
            None => String::new(),
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        }
    }
}

/// Declares a string option: the enum, its [`Choice`] names and a `Deserialize` that names the
/// value and the choices when the string is none of them.
///
/// ```text
/// choice! {
///     /// What it is.
///     pub enum Transmit {
///         /// Every spike.
///         All = "all" ("note shown in messages"),
///         Events = "events",
///     }
/// }
/// ```
macro_rules! choice {
    (@note) => { None };
    (@note $note:literal) => { Some($note) };
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$vmeta:meta])* $var:ident = $text:literal $(($note:literal))?,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vmeta])* $var,)+
        }

        impl $crate::model::de::Choice for $name {
            const NAMES: &'static [(&'static str, Option<&'static str>, Self)] =
                &[$(($text, $crate::model::de::choice!(@note $($note)?), $name::$var),)+];
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::model::de::deserialize_choice(d)
            }
        }
    };
}
pub(crate) use choice;

/// Deserialises a [`Choice`] from its name; another string or another type names the value and
/// lists the choices.
pub fn deserialize_choice<'de, T: Choice, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    struct Names<T>(PhantomData<T>);
    impl<T: Choice> Visitor<'_> for Names<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(&T::expected())
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
            T::from_name(s).ok_or_else(|| E::custom(value_message("", format!("\"{s}\""), T::expected())))
        }
    }
    d.deserialize_str(Names(PhantomData))
}

/// An inline table read whole, then key by key. Errors name the key relative to the table
/// (`eta` inside `plasticity`); the key path of the table itself comes from serde.
pub struct Table(BTreeMap<String, toml::Value>);

impl Table {
    /// Reads every entry of the map serde is visiting.
    pub fn read<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut entries = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value::<toml::Value>()?;
            entries.insert(key, value);
        }
        Ok(Table(entries))
    }

    /// The entries read.
    pub fn into_inner(self) -> BTreeMap<String, toml::Value> {
        self.0
    }

    /// Whether `key` is given.
    pub fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// A string under `key`, if given.
    pub fn string<E: de::Error>(&self, key: &str) -> Result<Option<String>, E> {
        match self.0.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(E::custom(value_message(key, v, "a string"))),
        }
    }

    /// Refuses the first key (in sorted order) not in `allowed`, listing `allowed`, with a hint
    /// when only the unit suffix is missing.
    pub fn only<E: de::Error>(&self, allowed: &[&str]) -> Result<(), E> {
        match self.0.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(E::custom(unknown_key_message(k, allowed))),
            None => Ok(()),
        }
    }

    /// A number (integer or float) under `key`, if given.
    pub fn number<E: de::Error>(&self, key: &str) -> Result<Option<f64>, E> {
        match self.0.get(key) {
            None => Ok(None),
            Some(toml::Value::Float(f)) => Ok(Some(*f)),
            Some(toml::Value::Integer(i)) => Ok(Some(*i as f64)),
            Some(v) => Err(E::custom(value_message(key, v, "a number"))),
        }
    }

    /// A number under `key` that must be given.
    pub fn required_number<E: de::Error>(&self, key: &str) -> Result<f64, E> {
        self.number(key)?.ok_or_else(|| E::custom(value_message(key, "(missing)", "a number")))
    }

    /// `true` or `false` under `key`, if given.
    pub fn boolean<E: de::Error>(&self, key: &str) -> Result<Option<bool>, E> {
        match self.0.get(key) {
            None => Ok(None),
            Some(toml::Value::Boolean(b)) => Ok(Some(*b)),
            Some(v) => Err(E::custom(value_message(key, v, "true or false"))),
        }
    }

    /// A string option under `key`, if given.
    pub fn choice<T: Choice, E: de::Error>(&self, key: &str) -> Result<Option<T>, E> {
        match self.0.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => match T::from_name(s) {
                Some(v) => Ok(Some(v)),
                None => Err(E::custom(value_message(key, format!("\"{s}\""), T::expected()))),
            },
            Some(v) => Err(E::custom(value_message(key, v, T::expected()))),
        }
    }
}
