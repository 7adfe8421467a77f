//! A small macro for parameter tables: one line per parameter gives the field, its doc (unit and
//! source), the validation rule and the reference default. From it come the struct, its `Default`,
//! the list of TOML keys and a checked setter, so a parameter is declared exactly once.

/// Validation rules for parameter values. Each returns what was expected when the value fails.
pub mod check {
    /// Any finite number.
    pub fn finite(v: f64) -> Result<(), &'static str> {
        if v.is_finite() {
            Ok(())
        } else {
            Err("a finite number")
        }
    }
    /// A membrane, threshold or reversal potential in mV: finite and within +-1000 mV (no cell
    /// potential is near 1 V; far beyond it the f32 state and the exponential terms overflow).
    pub fn potential(v: f64) -> Result<(), &'static str> {
        if v.is_finite() && v.abs() <= 1000.0 {
            Ok(())
        } else {
            Err("a potential in mV within -1000 to 1000")
        }
    }
    /// A strictly positive finite number (time constants, capacitances, widths).
    pub fn positive(v: f64) -> Result<(), &'static str> {
        if v.is_finite() && v > 0.0 {
            Ok(())
        } else {
            Err("a positive number")
        }
    }
    /// A finite number >= 0 (amplitudes, durations that may be zero).
    pub fn non_negative(v: f64) -> Result<(), &'static str> {
        if v.is_finite() && v >= 0.0 {
            Ok(())
        } else {
            Err("a number >= 0")
        }
    }
}

/// Declares a parameter struct: `name: rule = default,` per field, with doc comments.
#[macro_export]
macro_rules! param_table {
    ($(#[$doc:meta])* pub struct $name:ident {
        $( $(#[$fdoc:meta])* $field:ident : $rule:ident = $default:expr ),* $(,)?
    }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name {
            $( $(#[$fdoc])* pub $field: f64, )*
        }
        impl Default for $name {
            fn default() -> Self {
                $name { $( $field: $default, )* }
            }
        }
        impl $name {
            /// The TOML keys of these parameters, in declaration order.
            pub const KEYS: &'static [&'static str] = &[$(stringify!($field)),*];
            /// Every parameter as (key, value), in declaration order.
            pub fn entries(&self) -> Vec<(&'static str, f64)> {
                vec![$((stringify!($field), self.$field)),*]
            }
            /// Sets parameter `key` to `value` after validating it. Returns `Ok(false)` when `key`
            /// is not a parameter of this table, `Err(expected)` when the value is out of range.
            pub fn set(&mut self, key: &str, value: f64) -> Result<bool, &'static str> {
                match key {
                    $( stringify!($field) => {
                        $crate::neuron::params::check::$rule(value)?;
                        self.$field = value;
                        Ok(true)
                    } )*
                    _ => Ok(false),
                }
            }
        }
    };
}

/// Per-neuron parameters (a model file's distributions or files): calls `each(i, p)` with `p` =
/// `params` whose `varying` keys hold neuron i's values (checked by the model layer), then sets
/// `params` to the means of those keys (the population's reported values and synapse model).
pub fn each_neuron<P: Clone>(
    params: &mut P,
    varying: &[(&str, Vec<f64>)],
    set: fn(&mut P, &str, f64) -> Result<bool, &'static str>,
    mut each: impl FnMut(usize, &P),
) {
    let n = varying.first().map_or(0, |v| v.1.len());
    for i in 0..n {
        let mut p = params.clone();
        for (key, v) in varying {
            set(&mut p, key, v[i]).expect("values checked by the model layer");
        }
        each(i, &p);
    }
    for (key, v) in varying {
        let mean = v.iter().sum::<f64>() / n.max(1) as f64;
        set(params, key, mean).expect("a mean of valid values");
    }
}

/// A constant of a neuron kernel, read per neuron: one value for the whole population (`f32`:
/// the homogeneous path, where the compiler keeps it in a register as before) or one value per
/// neuron (`&[f32]`: the parameters a model file gave as distributions or files). A kernel is
/// written once, generic over this, and compiled for both.
pub trait At: Copy {
    /// The value for neuron `i` of the part.
    fn at(self, i: usize) -> f32;
    /// The first `n` values (so that indexing below `n` needs no bounds check).
    fn head(self, n: usize) -> Self;
}

impl At for f32 {
    #[inline(always)]
    fn at(self, _: usize) -> f32 {
        self
    }
    #[inline(always)]
    fn head(self, _: usize) -> Self {
        self
    }
}

impl At for &[f32] {
    #[inline(always)]
    fn at(self, i: usize) -> f32 {
        self[i]
    }
    #[inline(always)]
    fn head(self, n: usize) -> Self {
        &self[..n]
    }
}

/// The constants a part of a population steps with: the population's one set `S`, or its
/// per-neuron ones `E` from the part's first neuron on (kept by reference: the sliced constants
/// would make every task of the worker team large). `S` and `E` are a kind's
/// `Consts<f32>` and `Consts<Vec<f32>>` ([`kernel_consts!`](crate::kernel_consts)).
#[derive(Debug)]
pub enum PartConsts<'a, S, E> {
    /// The population's constants.
    Same(&'a S),
    /// The population's per-neuron constants and the part's first neuron.
    Each(&'a E, usize),
}

impl<S, E> Clone for PartConsts<'_, S, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S, E> Copy for PartConsts<'_, S, E> {}

impl<'a, S, E> PartConsts<'a, S, E> {
    /// The constants of the part that starts at neuron `first`: the population's `same`, or its
    /// neurons' in `each`.
    pub fn of(each: &'a Option<E>, same: &'a S, first: usize) -> Self {
        match each {
            Some(c) => PartConsts::Each(c, first),
            None => PartConsts::Same(same),
        }
    }
}

/// Declares the constants a kernel reads as a struct generic over [`At`], with `gather` (one
/// vector per constant from the constants of each neuron), `slice` (a part's neurons) and `head`.
#[macro_export]
macro_rules! kernel_consts {
    ($(#[$doc:meta])* pub struct $name:ident { $( $(#[$fdoc:meta])* $field:ident, )* }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug)]
        pub struct $name<T> {
            $( $(#[$fdoc])* #[doc = concat!("`", stringify!($field), "`, as the kernel reads it.")] pub $field: T, )*
        }
        impl $name<Vec<f32>> {
            /// One vector per constant, from the constants of each neuron.
            pub fn gather(all: &[$name<f32>]) -> Self {
                $name { $( $field: all.iter().map(|c| c.$field).collect(), )* }
            }
            /// The constants of neurons `r`.
            pub fn slice(&self, r: std::ops::Range<usize>) -> $name<&[f32]> {
                $name { $( $field: &self.$field[r.clone()], )* }
            }
            /// Bytes held.
            pub fn bytes(&self) -> usize {
                0 $( + self.$field.len() * 4 )*
            }
        }
        impl<T: $crate::neuron::params::At> $name<T> {
            /// The constants of the first `n` neurons.
            #[inline(always)]
            pub fn head(self, n: usize) -> Self {
                $name { $( $field: self.$field.head(n), )* }
            }
        }
    };
}
