//! `[[input]]` entries: injected currents (constant, sine, from a file, one per neuron) and
//! private Poisson drives, which add a generated source population and a one-to-one projection.

use super::checks::Ctx;
use super::projection::add_projection;
use super::sources;
use super::timescales::{self, Scale};
use super::{comp_name, rec_name, Parts, Sim};
use crate::model::error::ModelError;
use crate::model::schema::{self, InputSpec, ProjectionSpec};
use crate::neuron::Compartment;
use crate::stimulus::{file as stimfile, CurrentInput, StimulusError, Waveform};
use crate::PopulationId;

/// Adds every input to `parts`. `n_declared` populations and `n_projections` projections come
/// from the file: generated sources and their projections are numbered after them.
pub(super) fn add_inputs(
    cx: &Ctx,
    sim: &Sim,
    parts: &mut Parts,
    inputs: &[InputSpec],
    n_declared: usize,
    n_projections: usize,
) -> Result<(), ModelError> {
    let dt = sim.dt;
    let stimulus = |section: &str, cause: StimulusError| ModelError::Stimulus {
        file: cx.file.to_string(),
        section: section.to_string(),
        cause,
    };
    for (k, spec) in inputs.iter().enumerate() {
        let (kind, name, target) = match spec {
            InputSpec::ConstantCurrent { name, target, .. } => ("constant_current", name, target),
            InputSpec::SineCurrent { name, target, .. } => ("sine_current", name, target),
            InputSpec::FileCurrent { name, target, .. } => ("file_current", name, target),
            InputSpec::NeuronCurrents { name, target, .. } => ("neuron_currents", name, target),
            InputSpec::Poisson { name, target, .. } => ("poisson", name, target),
        };
        let section = format!("input {k} ({kind} -> {target})");
        if let Some(n) = name {
            cx.user_name(&section, "name", n)?;
            if let Some(owner) = parts.input_entries.get(n) {
                return Err(cx.name_taken(&section, "name", n, "input", owner));
            }
            parts.input_entries.insert(n.clone(), section.clone());
        }
        match spec {
            InputSpec::ConstantCurrent { name, target, compartment, current_pa, start_ms, stop_ms } => {
                let t = parts.population(cx, &section, "target", target)?;
                check_current_target(cx, &section, parts, t, *compartment)?;
                let current_pa = cx.finite(&section, "current_pa", *current_pa, "current in pA")?;
                let window = window(cx, &section, *start_ms, *stop_ms, dt)?;
                add_current(parts, name, current(t, *compartment, Waveform::Constant { current_pa }, window));
            }
            InputSpec::SineCurrent {
                name,
                target,
                compartment,
                amplitude_pa,
                period_ms,
                phase_deg,
                offset_pa,
                start_ms,
                stop_ms,
            } => {
                let t = parts.population(cx, &section, "target", target)?;
                check_current_target(cx, &section, parts, t, *compartment)?;
                let window = window(cx, &section, *start_ms, *stop_ms, dt)?;
                let waveform = Waveform::Sine {
                    amplitude_pa: cx.finite(&section, "amplitude_pa", *amplitude_pa, "amplitude in pA")?,
                    period_ms: cx.positive(&section, "period_ms", *period_ms, "period in ms")?,
                    phase_rad: cx
                        .finite(&section, "phase_deg", phase_deg.unwrap_or(0.0), "phase in degrees")?
                        .to_radians(),
                    offset_pa: cx.finite(&section, "offset_pa", offset_pa.unwrap_or(0.0), "offset in pA")?,
                };
                if let Waveform::Sine { period_ms, .. } = waveform {
                    timescales::check(cx, sim, &section, "period_ms", period_ms, Scale::Period)?;
                }
                add_current(parts, name, current(t, *compartment, waveform, window));
            }
            InputSpec::FileCurrent { name, target, compartment, file: stim, loop_ms, scale, start_ms, stop_ms } => {
                let t = parts.population(cx, &section, "target", target)?;
                check_current_target(cx, &section, parts, t, *compartment)?;
                let window = window(cx, &section, *start_ms, *stop_ms, dt)?;
                let scale = cx.finite(&section, "scale", scale.unwrap_or(1.0), "factor")?;
                let mut series =
                    stimfile::read_piecewise(&cx.base.join(stim), *loop_ms).map_err(|e| stimulus(&section, e))?;
                series.values_pa.iter_mut().for_each(|v| *v *= scale);
                let waveform = Waveform::Piecewise(series);
                add_current(parts, name, current(t, *compartment, waveform, window));
            }
            InputSpec::NeuronCurrents { name, target, compartment, values_pa, file: stim, start_ms, stop_ms } => {
                let t = parts.population(cx, &section, "target", target)?;
                check_current_target(cx, &section, parts, t, *compartment)?;
                let window = window(cx, &section, *start_ms, *stop_ms, dt)?;
                let n = parts.pop(t).len();
                let values = match (values_pa, stim) {
                    (Some(v), None) => {
                        if v.len() != n {
                            return Err(cx.invalid(
                                &section,
                                "values_pa",
                                format!("{} values", v.len()),
                                format!("one current per neuron ({n})"),
                            ));
                        }
                        if let Some(x) = v.iter().find(|x| !x.is_finite()) {
                            return Err(cx.invalid(&section, "values_pa", x, "finite currents in pA"));
                        }
                        v.iter().map(|&x| x as f32).collect()
                    }
                    (None, Some(f)) => {
                        stimfile::read_per_neuron(&cx.base.join(f), n).map_err(|e| stimulus(&section, e))?
                    }
                    _ => {
                        return Err(cx.invalid(
                            &section,
                            "values_pa",
                            "(both or neither given)",
                            "either values_pa or file",
                        ))
                    }
                };
                let waveform = Waveform::PerNeuron(values);
                add_current(parts, name, current(t, *compartment, waveform, window));
            }
            InputSpec::Poisson {
                name,
                target,
                compartment,
                receptor,
                rate_hz,
                modulation,
                rate_file,
                loop_ms,
                weight,
                weight_ns,
                delay_ms,
            } => {
                let t = parts.population(cx, &section, "target", target)?;
                let n = parts.pop(t).len();
                let src_name = name.clone().unwrap_or_else(|| {
                    format!("{target}.{}.{}.input{k}", comp_name(*compartment), rec_name(*receptor))
                });
                if let Some(&other) = parts.names.get(&src_name) {
                    return Err(cx.name_taken(&section, "name", &src_name, "population", &parts.pop_entries[other]));
                }
                // Generated source populations take indices after the declared ones, so adding an
                // input does not change the random streams of declared populations.
                let index = (n_declared + k) as u64 + (1 << 32);
                let keys = sources::RateKeys {
                    rate_hz: *rate_hz,
                    modulation: modulation.as_ref(),
                    rate_file: rate_file.as_deref(),
                    loop_ms: *loop_ms,
                };
                let pop = sources::poisson(cx, sim, &section, &keys, n, index)?;
                let id = parts.net.add_population(src_name.clone(), true, pop);
                parts.names.insert(src_name.clone(), id.0 as usize);
                parts.pop_entries.push(section.clone());
                let pspec = ProjectionSpec {
                    name: Some(format!("{src_name}->{target}")),
                    from: src_name,
                    to: target.clone(),
                    target: *compartment,
                    receptor: *receptor,
                    connect: schema::Connect::rule(schema::ConnectRule::OneToOne),
                    weight: weight.map(schema::Varying::Fixed),
                    weight_ns: *weight_ns,
                    delay_ms: delay_ms.map(schema::Varying::Fixed),
                    stp: None,
                    transmit: None,
                    transmit_trace: schema::TransmitTrace::Delayed,
                    plasticity: None,
                    weights: None,
                };
                add_projection(cx, sim, parts, &section, &pspec, (n_projections + k) as u64, true)?;
            }
        }
    }
    Ok(())
}

/// A current into `compartment` of population `target`, on from `window.0` to `window.1` (steps).
fn current(target: usize, compartment: Compartment, waveform: Waveform, window: (u64, u64)) -> CurrentInput {
    let (start_step, stop_step) = window;
    CurrentInput { target: PopulationId(target as u32), compartment, waveform, start_step, stop_step }
}

/// Adds a current input, registering its name (if any, checked unique among the inputs) for
/// `[[phase]]` changes.
fn add_current(parts: &mut Parts, name: &Option<String>, input: CurrentInput) {
    if let Some(n) = name {
        parts.input_names.insert(n.clone(), parts.net.currents().len());
    }
    parts.net.add_current(input);
}

fn check_current_target(cx: &Ctx, section: &str, parts: &Parts, t: usize, c: Compartment) -> Result<(), ModelError> {
    if parts.pop(t).accepts_current(c) {
        Ok(())
    } else {
        Err(cx.invalid(
            section,
            "compartment",
            format!("\"{}\"", comp_name(c)),
            format!(
                "a compartment of population \"{}\" (kind {}) that takes currents",
                parts.pop_name(t),
                parts.pop(t).kind_name()
            ),
        ))
    }
}

/// The switch-on and switch-off steps (default: from 0, never off).
fn window(cx: &Ctx, section: &str, start: Option<f64>, stop: Option<f64>, dt: f64) -> Result<(u64, u64), ModelError> {
    let a = cx.steps(section, "start_ms", start.unwrap_or(0.0), dt)?;
    let b = match stop {
        None => u64::MAX,
        Some(s) => cx.steps(section, "stop_ms", s, dt)?,
    };
    // an empty window (stop = start) would switch the input on for no step at all
    if b <= a {
        return Err(cx.invalid(
            section,
            "stop_ms",
            stop.unwrap_or(0.0),
            "a time at least one step (dt_ms) after start_ms",
        ));
    }
    Ok((a, b))
}
