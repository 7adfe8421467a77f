//! `[[output.state]]`: which state variables of which neurons (or of a projection's STP) are
//! sampled, resolved against the kinds' recordable tables.

use super::checks::Ctx;
use super::Parts;
use crate::model::error::ModelError;
use crate::model::schema::StateSpec;

/// One `[[output.state]]` entry, resolved: written to /state/<group>/<variable>.
#[derive(Clone, Debug, PartialEq)]
pub struct StateConfig {
    /// HDF5 group name under /state (the population's or projection's name).
    pub group: String,
    /// What is sampled.
    pub source: StateSource,
    /// Variables: index in the source's recordable table, name, units.
    pub variables: Vec<(usize, &'static str, &'static str)>,
    /// Neuron indices (presynaptic neurons for a projection's STP variables).
    pub neurons: Vec<u32>,
    /// Sampling period, steps.
    pub every_steps: u64,
}

/// The object a state monitor samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateSource {
    /// A population's neurons (index).
    Population(usize),
    /// A projection's STP variables (index).
    Projection(usize),
}

/// `[[output.state]]` entries: population or projection, variables from the recordable table,
/// neurons (`"all"`, `"a..b"` or a list), period.
pub(super) fn resolve_state(
    cx: &Ctx,
    specs: &[StateSpec],
    parts: &Parts,
    dt: f64,
) -> Result<Vec<StateConfig>, ModelError> {
    let mut out: Vec<StateConfig> = Vec::new();
    for (k, spec) in specs.iter().enumerate() {
        let sec = format!("[[output.state]] {k}");
        let (group, source, table, n) = match (&spec.population, &spec.projection) {
            (Some(p), None) => {
                let i = parts.population(cx, &sec, "population", p)?;
                let pop = parts.pop(i);
                if pop.recordables().is_empty() {
                    return Err(cx.invalid(
                        &sec,
                        "population",
                        format!("\"{p}\""),
                        format!("a population with state variables (kind {} has none)", pop.kind_name()),
                    ));
                }
                (p.clone(), StateSource::Population(i), pop.recordables(), pop.len())
            }
            (None, Some(q)) => {
                let projs = parts.net.projections();
                let i = projs.iter().position(|x| x.name() == q).ok_or_else(|| {
                    cx.unknown_name(&sec, "projection", q, "a projection name", projs.iter().map(|x| x.name()))
                })?;
                if projs[i].stp().is_none() {
                    return Err(cx.invalid(
                        &sec,
                        "projection",
                        format!("\"{q}\""),
                        "a projection with stp (its u and x are recorded)",
                    ));
                }
                let n_pre = parts.pop(projs[i].from().0 as usize).len();
                (q.clone(), StateSource::Projection(i), crate::synapse::Stp::recordables(), n_pre)
            }
            _ => {
                return Err(cx.invalid(
                    &sec,
                    "population",
                    "(both or neither given)",
                    "either population or projection",
                ))
            }
        };
        let key = match source {
            StateSource::Population(_) => "population",
            StateSource::Projection(_) => "projection",
        };
        if let Some(j) = out.iter().position(|o| o.group == group) {
            let expected = if std::mem::discriminant(&out[j].source) == std::mem::discriminant(&source) {
                format!(
                    "one [[output.state]] entry per population or projection (list all its variables there; \
                     [[output.state]] {j} has it already)"
                )
            } else {
                format!(
                    "a name not recorded by another [[output.state]] entry ([[output.state]] {j} records the {} \
                     of that name; both would write /state/{group})",
                    match out[j].source {
                        StateSource::Population(_) => "population",
                        StateSource::Projection(_) => "projection",
                    }
                )
            };
            return Err(cx.invalid(&sec, key, format!("{group:?}"), expected));
        }
        let known = || table.iter().map(|r| r.name).collect::<Vec<_>>().join(", ");
        if spec.variables.is_empty() {
            return Err(cx.invalid(&sec, "variables", "[]", format!("at least one of: {}, or \"all\"", known())));
        }
        let mut variables = Vec::new();
        for v in &spec.variables {
            if v == "all" {
                variables.extend(table.iter().enumerate().map(|(i, r)| (i, r.name, r.units)));
                continue;
            }
            let i = table.iter().position(|r| r.name == v).ok_or_else(|| {
                cx.invalid(
                    &sec,
                    "variables",
                    format!("\"{v}\""),
                    format!("a recordable variable of {group}: {}, or \"all\"", known()),
                )
            })?;
            if variables.iter().any(|x: &(usize, &str, &str)| x.0 == i) {
                return Err(cx.invalid(&sec, "variables", format!("\"{v}\""), "each variable once"));
            }
            variables.push((i, table[i].name, table[i].units));
        }
        let neurons = match &spec.neurons {
            None => (0..n as u32).collect(),
            Some(v) => parse_neurons(cx, &sec, v, n)?,
        };
        let every_ms = spec.every_ms.unwrap_or(dt);
        cx.positive(&sec, "every_ms", every_ms, "period in ms")?;
        let every_steps = cx.steps(&sec, "every_ms", every_ms, dt)?;
        out.push(StateConfig { group, source, variables, neurons, every_steps });
    }
    Ok(out)
}

/// `"all"`, `"a..b"` (b excluded) or a list of distinct indices below `n`.
fn parse_neurons(cx: &Ctx, sec: &str, v: &toml::Value, n: usize) -> Result<Vec<u32>, ModelError> {
    let expected = format!("\"all\", a range \"first..end\" or a list of neuron indices below {n}");
    let list: Vec<i64> = match v {
        toml::Value::String(s) if s == "all" => (0..n as i64).collect(),
        toml::Value::String(s) => {
            let range = s
                .split_once("..")
                .and_then(|(a, b)| Some((a.trim().parse::<i64>().ok()?, b.trim().parse::<i64>().ok()?)));
            match range {
                Some((a, b)) if 0 <= a && a < b && b <= n as i64 => (a..b).collect(),
                _ => return Err(cx.invalid(sec, "neurons", format!("\"{s}\""), expected)),
            }
        }
        toml::Value::Array(a) => {
            let mut l = Vec::new();
            for x in a {
                match x.as_integer() {
                    Some(i) if (0..n as i64).contains(&i) && !l.contains(&i) => l.push(i),
                    _ => return Err(cx.invalid(sec, "neurons", x, expected)),
                }
            }
            if l.is_empty() {
                return Err(cx.invalid(sec, "neurons", "[]", expected));
            }
            l
        }
        o => return Err(cx.invalid(sec, "neurons", o, expected)),
    };
    Ok(list.into_iter().map(|i| i as u32).collect())
}
