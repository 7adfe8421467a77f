//! `[[teacher]]` entries: online teacher currents (issue "spiking XOR", spec 7.4 `generate_error`).

use super::checks::Ctx;
use super::timescales::{self, Scale};
use super::{Parts, Sim};
use crate::model::error::ModelError;
use crate::model::schema::{ErrorKind, TeacherSpec, TeacherUpdate as UpdateName};
use crate::stimulus::{ErrorFunction, Teacher, TeacherUpdate};
use crate::PopulationId;

/// Adds every teacher to `parts`, registering its name.
pub(super) fn add_teachers(cx: &Ctx, sim: &Sim, parts: &mut Parts, specs: &[TeacherSpec]) -> Result<(), ModelError> {
    for (k, spec) in specs.iter().enumerate() {
        let section = format!("teacher {k} ({:?})", spec.name);
        cx.user_name(&section, "name", &spec.name)?;
        if parts.teacher_names.contains_key(&spec.name) {
            return Err(cx.invalid(&section, "name", format!("\"{}\"", spec.name), "a name no other [[teacher]] has"));
        }
        let t = parts.population(cx, &section, "target", &spec.target)?;
        if !parts.pop(t).accepts_current(spec.compartment) {
            return Err(cx.invalid(
                &section,
                "compartment",
                format!("{:?}", spec.compartment).to_lowercase(),
                format!("a compartment of population \"{}\" that takes currents", spec.target),
            ));
        }
        let tau = cx.positive(&section, "tau_avg_ms", spec.tau_avg_ms, "time constant in ms")?;
        timescales::check(cx, sim, &section, "tau_avg_ms", tau, Scale::TimeConstant)?;
        let r0 = cx.non_negative(&section, "rate_0_hz", spec.rate_0_hz, "event rate in Hz")?;
        let r1 = cx.finite(&section, "rate_1_hz", spec.rate_1_hz, "event rate in Hz")?;
        if r1 <= r0 {
            return Err(cx.invalid(&section, "rate_1_hz", r1, format!("an event rate above rate_0_hz ({r0} Hz)")));
        }
        // the keys of the other function are refused, not ignored
        let stray = |key: &str, v: Option<f64>| match v {
            Some(_) => Err(cx.invalid(
                &section,
                key,
                "(given)",
                format!("no {key} with error = \"{}\"", crate::model::de::Choice::name(spec.error)),
            )),
            None => Ok(()),
        };
        let need = |key: &str, v: Option<f64>, what: &str| match v {
            Some(x) => cx.positive(&section, key, x, what),
            None => Err(cx.invalid(
                &section,
                key,
                "(missing)",
                format!("{what} (required by error = \"reference\" or \"linear\")"),
            )),
        };
        let function = match spec.error {
            ErrorKind::Reference => {
                stray("gain_pa_per_hz", spec.gain_pa_per_hz)?;
                stray("max_pa", spec.max_pa)?;
                let base_pa = need("base_pa", spec.base_pa, "current in pA")?;
                let tolerance_hz = need("tolerance_hz", spec.tolerance_hz, "rate in Hz")?;
                if 2.0 * tolerance_hz >= r1 - r0 {
                    return Err(cx.invalid(
                        &section,
                        "tolerance_hz",
                        tolerance_hz,
                        format!("less than half of rate_1_hz - rate_0_hz ({} Hz)", r1 - r0),
                    ));
                }
                ErrorFunction::Reference { base_pa, tolerance_hz }
            }
            ErrorKind::Linear => {
                stray("base_pa", spec.base_pa)?;
                stray("tolerance_hz", spec.tolerance_hz)?;
                ErrorFunction::Linear {
                    gain_pa_per_hz: need("gain_pa_per_hz", spec.gain_pa_per_hz, "gain in pA per Hz")?,
                    max_pa: need("max_pa", spec.max_pa, "current in pA")?,
                }
            }
        };
        let update = match spec.update {
            UpdateName::OnSwitch => TeacherUpdate::OnSwitch,
            UpdateName::EveryStep => TeacherUpdate::EveryStep,
        };
        let id = PopulationId(t as u32);
        let average = parts.net.average(id, tau);
        let n = parts.pop(t).len();
        let teacher = Teacher::new(spec.name.clone(), id, n, spec.compartment, average, (r0, r1), function, update);
        let index = parts.net.add_teacher(teacher);
        parts.teacher_names.insert(spec.name.clone(), index);
    }
    Ok(())
}

/// The index of the teacher `name` that `key` of `section` refers to.
pub(super) fn teacher_index(
    cx: &Ctx,
    parts: &Parts,
    section: &str,
    key: &str,
    name: &str,
) -> Result<usize, ModelError> {
    parts.teacher_names.get(name).copied().ok_or_else(|| {
        cx.unknown_name(section, key, name, "the name of a [[teacher]]", parts.teacher_names.keys().map(String::as_str))
    })
}

/// Checks a target for teacher `index` (0 or 1 for the reference function, 0..1 otherwise).
pub(super) fn check_target(
    cx: &Ctx,
    parts: &Parts,
    section: &str,
    key: &str,
    index: usize,
    y: f64,
) -> Result<f64, ModelError> {
    let teacher = &parts.net.teachers()[index];
    match teacher.function {
        ErrorFunction::Reference { .. } if y != 0.0 && y != 1.0 => {
            Err(cx.invalid(section, key, y, "a target of 0 or 1 (the teacher's error is \"reference\")"))
        }
        _ if !(0.0..=1.0).contains(&y) => Err(cx.invalid(section, key, y, "a target from 0 to 1")),
        _ => Ok(y),
    }
}
