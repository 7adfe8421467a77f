//! The model's time scales against its step (issue 10 item 5). Forward Euler with step dt resolves
//! a decay of time constant tau only when dt << tau: at dt = tau the factor (1 - dt/tau) is 0, and
//! above it the variable changes sign every step, so the run would be garbage (refused). Between
//! tau/10 and tau the error of one step is ~ (dt/tau)^2 / 2, i.e. above 0.5 % (warned, because
//! coarse exploratory runs are a legitimate use). A refractory period, a pulse or a sine period
//! shorter than one step cannot be represented at all (refused).

use super::checks::Ctx;
use super::Sim;
use crate::model::error::ModelError;

/// What a duration key of the model is, for the checks against dt.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Scale {
    /// A time constant of an exponential decay (`tau_*`): refused when dt > tau, warned when
    /// dt > tau / 10.
    TimeConstant,
    /// A period, window or pulse length that is counted in whole steps (refractory periods, the
    /// BAP pulse, the shortest burst delay, a sine period): refused when 0 < value < dt (0 means
    /// "none" where the key allows it).
    Period,
}

impl Scale {
    /// The scale of a neuron parameter key, from its name (`tau_*_ms` are time constants; the
    /// refractory and pulse keys are periods; other keys are not durations).
    pub(super) fn of_key(key: &str) -> Option<Scale> {
        if key.starts_with("tau_") && key.ends_with("_ms") {
            Some(Scale::TimeConstant)
        } else if matches!(key, "t_ref_ms" | "refractory_ms" | "bap_ms" | "burst_delay_min_ms") {
            Some(Scale::Period)
        } else {
            None
        }
    }
}

/// Checks `section`'s `key` = `ms` against the step: refuses what dt cannot represent, records a
/// warning in `sim` for what it resolves coarsely.
pub(super) fn check(cx: &Ctx, sim: &Sim, section: &str, key: &str, ms: f64, scale: Scale) -> Result<(), ModelError> {
    let dt = sim.dt;
    if !(ms.is_finite() && ms > 0.0) {
        // sign and finiteness are checked where the value is read; 0 is "none" for periods
        return Ok(());
    }
    match scale {
        Scale::TimeConstant if dt > ms => Err(cx.invalid(
            section,
            key,
            ms,
            format!("a time constant of at least dt = {dt} ms (Euler steps diverge when dt > tau); or a smaller dt_ms"),
        )),
        Scale::Period if dt > ms => Err(cx.invalid(
            section,
            key,
            ms,
            format!("a duration of at least one step, dt = {dt} ms; or a smaller dt_ms"),
        )),
        Scale::TimeConstant if dt > ms / 10.0 => {
            sim.warn(format!(
                "{}: {section}: `{key}` = {ms} ms is less than 10 steps of dt = {dt} ms: \
                 each step makes an error above 0.5 % (a dt_ms of {} or less resolves it)",
                cx.file,
                ms / 10.0
            ));
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Whether dt can represent `ms` (the refusals of [`check`], without a message or warning): for
/// values drawn per neuron, each checked on its own.
pub(super) fn representable(sim: &Sim, ms: f64, _scale: Scale) -> bool {
    // both scales are refused exactly when 0 < ms < dt
    !(ms.is_finite() && ms > 0.0 && sim.dt > ms)
}
