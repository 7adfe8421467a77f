//! `[[phase]]` entries, from the model file and from `[simulation] protocol_file`: timed changes
//! of plasticity, static weights, Poisson rates and currents.

use super::checks::Ctx;
use super::{Parts, Sim};
use crate::engine::Action;
use crate::model::error::ModelError;
use crate::model::schema::{PhaseSpec, ProtocolFile};
use crate::neuron::Population;
use crate::stimulus::Waveform;
use crate::PopulationId;

/// The `[[phase]]` entries of a model, built.
pub(super) struct Phases {
    /// The changes, (step, action): the model's phases, then those of its protocol file.
    pub actions: Vec<(u64, Action)>,
    /// The protocol file's text, which the output stores beside the model's so that a file alone
    /// tells when its phases changed what.
    pub protocol_text: Option<String>,
}

/// The model's `phases` (from `cx.file`) and those of `protocol_file`.
pub(super) fn protocol(
    cx: &Ctx,
    sim: &Sim,
    phases: &[PhaseSpec],
    protocol_file: Option<&str>,
    parts: &Parts,
) -> Result<Phases, ModelError> {
    // (file, index in that file, phase): messages name a phase by its place in its own file
    let mut all: Vec<(String, usize, PhaseSpec)> =
        phases.iter().enumerate().map(|(k, p)| (cx.file.to_string(), k, p.clone())).collect();
    let mut file_text = None;
    if let Some(pf) = protocol_file {
        let path = cx.base.join(pf);
        let label = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|e| {
            let expected = format!("a readable TOML file of [[phase]] entries ({label}: {e})");
            cx.invalid("[simulation]", "protocol_file", format!("\"{pf}\""), expected)
        })?;
        let file: ProtocolFile = crate::model::parse_as(&text, &label)?;
        all.extend(file.phases.into_iter().enumerate().map(|(k, p)| (label.clone(), k, p)));
        file_text = Some((label, text));
    }
    // errors about the protocol file's phases get their line from its text, as the model's do
    let actions = expand(cx, sim, &all, parts).map_err(|e| match &file_text {
        Some((label, text)) => crate::model::error::with_line(e, text, label),
        None => e,
    })?;
    Ok(Phases { actions, protocol_text: file_text.map(|(_, text)| text) })
}

/// The actions of the phases `all` (from [`protocol`]).
fn expand(
    cx: &Ctx,
    sim: &Sim,
    all: &[(String, usize, PhaseSpec)],
    parts: &Parts,
) -> Result<Vec<(u64, Action)>, ModelError> {
    let dt = sim.dt;
    let projections = parts.net.projections();
    let mut actions = Vec::new();
    let mut late: Vec<(String, Vec<String>)> = Vec::new();
    for (src, k, ph) in all {
        let pcx = Ctx { file: src, base: cx.base.clone() };
        let sec = format!("phase {k} (at {} ms)", ph.at_ms);
        let step = pcx.steps(&sec, "at_ms", ph.at_ms, dt)?;
        if step >= sim.n_steps {
            match late.last_mut() {
                Some((file, secs)) if file == src => secs.push(sec.clone()),
                _ => late.push((src.clone(), vec![sec.clone()])),
            }
        }
        let proj_index = |key: &str, name: &str| -> Result<usize, ModelError> {
            projections.iter().position(|p| p.name() == name).ok_or_else(|| {
                pcx.unknown_name(&sec, key, name, "a projection name", projections.iter().map(|p| p.name()))
            })
        };
        for (name, &on) in &ph.plasticity {
            let i = proj_index("plasticity", name)?;
            if projections[i].plasticity().is_none() {
                return Err(pcx.invalid(&sec, "plasticity", format!("\"{name}\""), "a plastic projection"));
            }
            actions.push((step, Action::Plasticity { projection: i, on }));
        }
        for (name, &scale) in &ph.weight_scale {
            // A projection by name, or a Poisson [[input]] drive by its name (its generated
            // one-to-one projection).
            let drive = parts
                .names
                .get(name)
                .filter(|&&p| parts.net.info(PopulationId(p as u32)).generated)
                .and_then(|&p| projections.iter().position(|q| q.from().0 as usize == p));
            let i = match drive {
                Some(i) => i,
                None => proj_index("weight_scale", name)?,
            };
            pcx.non_negative(&sec, &format!("weight_scale.{name}"), scale, "factor")?;
            if projections[i].weights().per_synapse().is_some() {
                return Err(pcx.invalid(
                    &sec,
                    "weight_scale",
                    format!("\"{name}\""),
                    "a projection with one shared weight (per-synapse and plastic weights are not scaled)",
                ));
            }
            actions.push((step, Action::WeightScale { projection: i, scale }));
        }
        for (name, &hz) in &ph.rate_hz {
            let poisson = parts.names.get(name).filter(|&&i| matches!(parts.pop(i), Population::Poisson(_)));
            let Some(&i) = poisson else {
                return Err(pcx.invalid(
                    &sec,
                    "rate_hz",
                    format!("\"{name}\""),
                    "the name of a Poisson population or of a Poisson [[input]]",
                ));
            };
            pcx.rate_hz_at(&sec, &format!("rate_hz.{name}"), hz, dt)?;
            actions.push((step, Action::Rate { population: i, hz }));
        }
        for (name, &pa) in &ph.current_pa {
            actions.push((step, current_action(&pcx, &sec, "current_pa", name, pa, parts)?));
        }
        for (name, value) in &ph.teacher {
            let k = super::teacher::teacher_index(&pcx, parts, &sec, "teacher", name)?;
            let key = format!("teacher.{name}");
            let target = match value {
                toml::Value::Boolean(false) => None,
                v => match super::checks::number(v) {
                    Some(y) => Some(super::teacher::check_target(&pcx, parts, &sec, &key, k, y)?),
                    None => return Err(pcx.invalid(&sec, &key, v, "a target (a number) or false (off)")),
                },
            };
            actions.push((step, Action::Teacher { teacher: k, target }));
        }
    }
    if !late.is_empty() {
        // not refused: `--duration-ms` shortens a run on purpose, and a protocol file may be
        // shared by runs of several lengths
        sim.warn(format!(
            "{} [[phase]] entries start at or after the end of the run ({} ms), so their changes never apply: {}",
            late.iter().map(|(_, s)| s.len()).sum::<usize>(),
            sim.n_steps as f64 * dt,
            late.iter().map(|(f, s)| format!("{f}: {}", s.join(", "))).collect::<Vec<_>>().join("; ")
        ));
    }
    Ok(actions)
}

/// The change "current input `name` to `pa`" (`key` of `section`): a named constant or sine
/// current `[[input]]` and a finite current.
pub(super) fn current_action(
    cx: &Ctx,
    section: &str,
    key: &str,
    name: &str,
    pa: f64,
    parts: &Parts,
) -> Result<Action, ModelError> {
    let Some(&i) = parts.input_names.get(name) else {
        return Err(cx.unknown_name(
            section,
            key,
            name,
            "the name of a constant or sine current [[input]]",
            parts.input_names.keys().map(String::as_str),
        ));
    };
    if !matches!(parts.net.currents()[i].waveform, Waveform::Constant { .. } | Waveform::Sine { .. }) {
        return Err(cx.invalid(section, key, format!("\"{name}\""), "a constant or sine current"));
    }
    cx.finite(section, &format!("{key}.{name}"), pa, "current in pA")?;
    Ok(Action::Current { input: i, pa })
}
