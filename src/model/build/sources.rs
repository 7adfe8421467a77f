//! Source populations with time-varying or recorded activity: Poisson rates from a sine
//! modulation or a stimulus file, and spike trains replayed from a file (`kind = "spike_file"`).
//! Shared by `[[population]]` (kinds `poisson` and `spike_file`) and Poisson `[[input]]`s.

use super::checks::{number, Ctx};
use super::timescales::{self, Scale};
use super::Sim;
use crate::model::error::ModelError;
use crate::neuron::poisson::RateProfile;
use crate::neuron::{Poisson, Population, Replay};
use crate::stimulus::{file as stimfile, spikes, StimulusError};

/// The rate keys of a Poisson source, as written.
pub(super) struct RateKeys<'a> {
    /// `rate_hz`.
    pub rate_hz: Option<f64>,
    /// `modulation = { amplitude_hz, period_ms, phase_rad }`.
    pub modulation: Option<&'a toml::Value>,
    /// `rate_file`.
    pub rate_file: Option<&'a str>,
    /// `loop_ms` (with `rate_file`).
    pub loop_ms: Option<f64>,
}

/// A stimulus-file problem as a model error naming the section.
fn stimulus(cx: &Ctx, section: &str, cause: StimulusError) -> ModelError {
    ModelError::Stimulus { file: cx.file.to_string(), section: section.to_string(), cause }
}

/// `n` Poisson sources with the rate the keys describe: constant `rate_hz`, `rate_hz` with a sine
/// `modulation` (clipped at 0 Hz), or a piecewise-linear `rate_file` (exactly one of `rate_hz`
/// and `rate_file`). The largest rate must stay below 1/dt (at most one spike per step).
pub(super) fn poisson(
    cx: &Ctx,
    sim: &Sim,
    section: &str,
    keys: &RateKeys,
    n: usize,
    index: u64,
) -> Result<Population, ModelError> {
    let dt = sim.dt;
    let profile = match (keys.rate_hz, keys.rate_file) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(cx.invalid(
                section,
                "rate_hz",
                if keys.rate_hz.is_some() { "(both rate_hz and rate_file given)" } else { "(missing)" },
                "exactly one of rate_hz (a rate in Hz, optionally with modulation) and rate_file (a stimulus file \
                 of `time_ms, rate_hz` rows)",
            ))
        }
        (Some(rate), None) => {
            if keys.loop_ms.is_some() {
                return Err(cx.invalid(section, "loop_ms", keys.loop_ms.unwrap_or(0.0), "no value without rate_file"));
            }
            match keys.modulation {
                None => {
                    let rate = cx.rate_hz(section, rate, dt)?;
                    return Ok(Population::Poisson(Poisson::new(n, rate, dt, sim.seed, index)));
                }
                Some(m) => modulation(cx, sim, section, rate, m)?,
            }
        }
        (None, Some(file)) => {
            if let Some(m) = keys.modulation {
                return Err(cx.invalid(section, "modulation", m, "no value with rate_file (modulate rate_hz instead)"));
            }
            let series = stimfile::read_piecewise_rate(&cx.base.join(file), keys.loop_ms)
                .map_err(|e| stimulus(cx, section, e))?;
            RateProfile::Piecewise(series)
        }
    };
    let key = if keys.rate_file.is_some() { "rate_file" } else { "modulation.amplitude_hz" };
    let max = 1000.0 / dt;
    if profile.max_hz() >= max {
        return Err(cx.invalid(
            section,
            key,
            format!("a largest rate of {} Hz", profile.max_hz()),
            format!("rates below 1/dt = {max} Hz (at most one spike per source and step)"),
        ));
    }
    Ok(Population::Poisson(Poisson::with_profile(n, profile, dt, sim.seed, index)))
}

/// `modulation = { amplitude_hz, period_ms, phase_rad }` around the mean `rate_hz`.
fn modulation(cx: &Ctx, sim: &Sim, section: &str, rate: f64, m: &toml::Value) -> Result<RateProfile, ModelError> {
    const KEYS: [&str; 3] = ["amplitude_hz", "period_ms", "phase_rad"];
    let Some(t) = m.as_table() else {
        return Err(cx.invalid(section, "modulation", m, "a table { amplitude_hz, period_ms, phase_rad }"));
    };
    if let Some(k) = t.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(cx.unknown_key(section, &format!("modulation.{k}"), &KEYS));
    }
    let get = |key: &str, default: Option<f64>| -> Result<f64, ModelError> {
        match (t.get(key), default) {
            (None, Some(d)) => Ok(d),
            (None, None) => Err(cx.invalid(section, &format!("modulation.{key}"), "(missing)", "a number")),
            (Some(v), _) => number(v).ok_or_else(|| cx.invalid(section, &format!("modulation.{key}"), v, "a number")),
        }
    };
    let rate_hz = cx.finite(section, "rate_hz", rate, "mean rate in Hz")?;
    let amplitude_hz = cx.finite(section, "modulation.amplitude_hz", get("amplitude_hz", None)?, "amplitude in Hz")?;
    let period_ms = cx.positive(section, "modulation.period_ms", get("period_ms", None)?, "period in ms")?;
    timescales::check(cx, sim, section, "modulation.period_ms", period_ms, Scale::Period)?;
    let phase_rad = cx.finite(section, "modulation.phase_rad", get("phase_rad", Some(0.0))?, "phase in radians")?;
    Ok(RateProfile::Sine { rate_hz, amplitude_hz, period_ms, phase_rad })
}

/// A `kind = "spike_file"` population of `n` neurons replaying `file` (its `population` group for
/// a SONATA file), each spike at the step nearest its time. Spikes after the end of the run are
/// never reached; two spikes of one neuron in one step become one (with a warning).
pub(super) fn replay(
    cx: &Ctx,
    sim: &Sim,
    section: &str,
    n: usize,
    file: &str,
    population: Option<&str>,
) -> Result<Population, ModelError> {
    let path = cx.base.join(file);
    let list = spikes::read(&path, population).map_err(|e| stimulus(cx, section, e))?;
    let (steps, merged) = spikes::to_steps(&path, &list, n, sim.dt).map_err(|e| stimulus(cx, section, e))?;
    if merged > 0 {
        sim.warn(format!(
            "{}: {section}: {merged} spikes of {} fall in a step in which the same neuron already spikes \
             (dt = {} ms) and were merged with it",
            cx.file,
            path.display(),
            sim.dt
        ));
    }
    Ok(Population::Replay(Replay::new(n, steps)))
}
