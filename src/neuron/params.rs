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
