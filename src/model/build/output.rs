//! `[output]` and `[output.weights]`: what to record, resolved to population and projection
//! indices and to steps.

use super::checks::Ctx;
use super::state::{resolve_state, StateConfig};
use super::Parts;
use crate::model::error::ModelError;
use crate::model::schema::OutputSpec;
use crate::neuron::Population;
use std::collections::BTreeMap;

/// Default rate bin, ms (Fig. 3 uses 50 ms, spec 2.2).
pub const DEFAULT_RATE_BIN_MS: f64 = 50.0;

/// What to record, resolved.
#[derive(Clone, Debug)]
pub struct OutputConfig {
    /// Output path as given (or derived from the model name).
    pub file: String,
    /// Indices of recorded populations.
    pub populations: Vec<usize>,
    /// Record spikes.
    pub spikes: bool,
    /// Record events and bursts.
    pub events_bursts: bool,
    /// Rate bin in steps.
    pub rate_bin_steps: u64,
    /// Deflate compression.
    pub compression: bool,
    /// Weight snapshots.
    pub weights: Option<WeightsConfig>,
    /// State monitors (`[[output.state]]`).
    pub state: Vec<StateConfig>,
}

/// What `[output.weights]` asks for, resolved.
#[derive(Clone, Debug)]
pub struct WeightsConfig {
    /// Snapshot period, steps.
    pub every_steps: u64,
    /// Projection indices.
    pub projections: Vec<usize>,
    /// Every synapse's weight at each snapshot.
    pub full: bool,
    /// Record the plasticity estimates of the first N postsynaptic neurons.
    pub estimates_of_first: usize,
}

/// Resolves `[output]` against the built populations and projections; `n_declared` populations
/// come from `[[population]]` (recorded by default unless Poisson), `stem` names the default file.
pub(super) fn output(
    cx: &Ctx,
    dt: f64,
    out: &OutputSpec,
    parts: &Parts,
    n_declared: usize,
    stem: &str,
) -> Result<OutputConfig, ModelError> {
    let populations = match &out.populations {
        Some(list) => {
            let mut v = Vec::new();
            for n in list {
                let i = parts.population(cx, "[output]", "populations", n)?;
                if v.contains(&i) {
                    return Err(cx.invalid(
                        "[output]",
                        "populations",
                        format!("{n:?}"),
                        "each population once (listed twice)",
                    ));
                }
                v.push(i);
            }
            v
        }
        None => (0..n_declared).filter(|&i| !matches!(parts.pop(i), Population::Poisson(_))).collect(),
    };
    let bin = out.rate_bin_ms.unwrap_or(DEFAULT_RATE_BIN_MS);
    cx.positive("[output]", "rate_bin_ms", bin, "bin in ms")?;
    let rate_bin_steps = cx.steps("[output]", "rate_bin_ms", bin, dt)?;
    let file = match &out.file {
        Some(f) if f.is_empty() => return Err(cx.invalid("[output]", "file", "\"\"", "a file name")),
        Some(f) => f.clone(),
        None => format!("{stem}.h5"),
    };
    let weights = match &out.weights {
        None => None,
        Some(w) => {
            let sec = "[output.weights]";
            let every_steps =
                cx.steps(sec, "every_ms", cx.positive(sec, "every_ms", w.every_ms, "period in ms")?, dt)?;
            let projections = parts.net.projections();
            let proj_names: BTreeMap<&str, usize> =
                projections.iter().enumerate().map(|(i, p)| (p.name(), i)).collect();
            let list = match &w.projections {
                Some(list) => {
                    let mut v = Vec::new();
                    for n in list {
                        let i = *proj_names.get(n.as_str()).ok_or_else(|| {
                            cx.unknown_name(sec, "projections", n, "a projection name", proj_names.keys().copied())
                        })?;
                        if v.contains(&i) {
                            return Err(cx.invalid(
                                sec,
                                "projections",
                                format!("{n:?}"),
                                "each projection once (listed twice)",
                            ));
                        }
                        v.push(i);
                    }
                    v
                }
                None => (0..projections.len()).filter(|&i| projections[i].plasticity().is_some()).collect(),
            };
            if list.is_empty() {
                // a weights table that records nothing is a mistake (a list emptied, a model whose
                // rule was removed), not a request
                let value =
                    if w.projections.is_some() { "[]" } else { "(default: the plastic projections, none here)" };
                return Err(cx.invalid(
                    sec,
                    "projections",
                    value,
                    "at least one projection whose weights to record (or no [output.weights] table)",
                ));
            }
            let first = w.estimates_of_first.unwrap_or(0);
            // At most the smallest target population recorded (more would silently be fewer).
            let largest = list.iter().map(|&i| parts.pop(projections[i].to().0 as usize).len()).min().unwrap_or(0);
            if first < 0 || (first > 0 && first as usize > largest) {
                return Err(cx.invalid(
                    sec,
                    "estimates_of_first",
                    first,
                    format!("a number of neurons from 0 to {largest} (the smallest recorded target population)"),
                ));
            }
            Some(WeightsConfig {
                every_steps,
                projections: list,
                full: w.full.unwrap_or(false),
                estimates_of_first: first as usize,
            })
        }
    };
    Ok(OutputConfig {
        file,
        populations,
        spikes: out.spikes.unwrap_or(true),
        events_bursts: out.events_bursts.unwrap_or(true),
        rate_bin_steps,
        compression: out.compression.unwrap_or(false),
        state: resolve_state(cx, &out.state, parts, dt)?,
        weights,
    })
}
