//! `[[population]]` entries: the single registration point of population kinds (STYLE.md 8).
//! Kind-specific keys come as a flattened map, read through [`Keys`], which refuses the keys a
//! kind does not know.

use super::checks::{number, Ctx};
use super::sources;
use super::timescales::{self, Scale};
use super::varying;
use super::Sim;
use crate::model::de::Choice;
use crate::model::error::ModelError;
use crate::model::schema::Varying;
use crate::model::schema::{self, KindName, PopulationSpec};
use crate::neuron::adex::{AdexParams, ExpKind};
use crate::neuron::burst_poisson::{self, BurstTiming};
use crate::neuron::lif::{InitialConductances, LifParams};
use crate::neuron::pyramidal::{DendriticDrivingForce, PyramidalParams};
use crate::neuron::{Adex, BurstPoisson, InitialVoltage, Lif, Population, Pyramidal};
use crate::rng::{stream_rng, Stream};
use std::collections::BTreeMap;

/// Builds one declared population (`index` is its place in the file, which seeds its streams).
pub(super) fn build_population(
    cx: &Ctx,
    sim: &Sim,
    section: &str,
    spec: &PopulationSpec,
    index: u64,
) -> Result<Population, ModelError> {
    let (n, dt, seed) = (spec.size as usize, sim.dt, sim.seed);
    let mut rest = Keys { cx, section, map: &spec.rest, used: Vec::new(), varying: Vec::new() };
    let pop = match spec.kind {
        KindName::Pyramidal | KindName::BurstPoisson => {
            let bursty = spec.kind == KindName::BurstPoisson;
            let mut params = if bursty { burst_poisson::default_params() } else { PyramidalParams::default() };
            // Terms the stochastic-burst cell does not have (spec 1.7): refuse rather than ignore.
            let unused: &[&str] = if bursty { &["g_s_pa", "g_d_pa", "c_bap_pa", "bap_ms"] } else { &[] };
            for key in unused {
                if spec.rest.contains_key(*key) {
                    return Err(cx.invalid(
                        section,
                        key,
                        &spec.rest[*key],
                        "no value: kind burst_poisson has no such term (spec 1.7)",
                    ));
                }
            }
            rest.params(|k, v| params.set(k, v), PyramidalParams::KEYS)?;
            check_scales(cx, sim, section, &params.entries())?;
            // The stochastic-burst cell shares the mechanism (its unused terms are refused above).
            let varying = rest.draw_varying(n, seed, index, PyramidalParams::KEYS, &|k, v| {
                let mut p = params.clone();
                p.set(k, v)?;
                check_scales_quiet(sim, &p.entries())
            })?;
            let driving_force = match rest.choice("dendritic_driving_force")?.unwrap_or_default() {
                schema::DendriticDrivingForce::Soma => DendriticDrivingForce::Soma,
                schema::DendriticDrivingForce::Dendrite => DendriticDrivingForce::Dendrite,
            };
            let v_init = rest.v_init(params.e_l_mv)?;
            let mut extra = vec!["dendritic_driving_force", "v_init_mean_mv", "v_init_sd_mv", "v_init_seed"];
            if bursty {
                let mut t = BurstTiming::default();
                if let Some(x) = rest.number("refractory_ms")? {
                    t.refractory_ms = cx.non_negative(section, "refractory_ms", x, "time in ms")?;
                }
                if let Some(x) = rest.number("burst_delay_min_ms")? {
                    t.burst_delay_min_ms = cx.positive(section, "burst_delay_min_ms", x, "time in ms")?;
                }
                if let Some(x) = rest.number("burst_delay_span_ms")? {
                    t.burst_delay_span_ms = cx.non_negative(section, "burst_delay_span_ms", x, "time in ms")?;
                }
                extra.extend(["refractory_ms", "burst_delay_min_ms", "burst_delay_span_ms"]);
                let timing = [("refractory_ms", t.refractory_ms), ("burst_delay_min_ms", t.burst_delay_min_ms)];
                check_scales(cx, sim, section, &timing)?;
                let keys: Vec<&str> = PyramidalParams::KEYS.iter().copied().filter(|k| !unused.contains(k)).collect();
                rest.finish(&[&["name", "kind", "size"], &extra[..], &keys[..]].concat())?;
                Population::BurstPoisson(
                    BurstPoisson::new(n, params, t, driving_force, v_init, dt, seed, index).with_varying(&varying, dt),
                )
            } else {
                rest.finish(&[&["name", "kind", "size"], &extra[..], PyramidalParams::KEYS].concat())?;
                Population::Pyramidal(
                    Pyramidal::new(n, params, driving_force, v_init, dt, seed, index).with_varying(&varying, dt),
                )
            }
        }
        KindName::Pv | KindName::Sst | KindName::Adex => {
            let mut params = if spec.kind == KindName::Sst { AdexParams::sst() } else { AdexParams::pv() };
            rest.params(|k, v| params.set(k, v), AdexParams::KEYS)?;
            check_scales(cx, sim, section, &params.entries())?;
            let clips = "a lower clip below the upper one (v_min_mv < v_max_mv)";
            let varying = rest.draw_varying(n, seed, index, AdexParams::KEYS, &|k, v| {
                let mut p = params.clone();
                p.set(k, v)?;
                check_scales_quiet(sim, &p.entries())
            })?;
            // each neuron's pair of clips (either may vary)
            let clip =
                |key: &str, i: usize, all: f64| varying.iter().find(|(k, _)| *k == key).map_or(all, |(_, v)| v[i]);
            for i in (0..n).filter(|_| !varying.is_empty()) {
                let (lo, hi) = (clip("v_min_mv", i, params.v_min_mv), clip("v_max_mv", i, params.v_max_mv));
                if lo >= hi {
                    return Err(cx.invalid(section, "v_min_mv", format!("{lo} (neuron {i}, v_max_mv {hi})"), clips));
                }
            }
            let exp_kind = match rest.choice("exp")?.unwrap_or_default() {
                schema::Exp::Fast => ExpKind::Fast,
                schema::Exp::Exact => ExpKind::Exact,
            };
            let v_init = rest.v_init(params.e_l_mv)?;
            let extra = ["exp", "v_init_mean_mv", "v_init_sd_mv", "v_init_seed"];
            rest.finish(&[&["name", "kind", "size"], &extra[..], AdexParams::KEYS].concat())?;
            if varying.is_empty() && params.v_min_mv >= params.v_max_mv {
                return Err(cx.invalid(section, "v_min_mv", params.v_min_mv, "a lower clip below v_max_mv"));
            }
            Population::Adex(Adex::new(n, params, exp_kind, v_init, dt, seed, index).with_varying(&varying, dt))
        }
        KindName::Lif => {
            let mut params = LifParams::default();
            rest.params(|k, v| params.set(k, v), LifParams::KEYS)?;
            check_scales(cx, sim, section, &params.entries())?;
            let varying = rest.draw_varying(n, seed, index, LifParams::KEYS, &|k, v| {
                let mut p = params.clone();
                p.set(k, v)?;
                check_scales_quiet(sim, &p.entries())
            })?;
            let v_init = rest.v_init(params.e_l_mv)?;
            let mut g = InitialConductances::default();
            for (key, slot) in [
                ("g_exc_init_mean", &mut g.exc.0),
                ("g_exc_init_sd", &mut g.exc.1),
                ("g_inh_init_mean", &mut g.inh.0),
                ("g_inh_init_sd", &mut g.inh.1),
            ] {
                if let Some(x) = rest.number(key)? {
                    *slot = cx.non_negative(section, key, x, "conductance in units of g_L")?;
                }
            }
            let extra = [
                "v_init_mean_mv",
                "v_init_sd_mv",
                "v_init_seed",
                "g_exc_init_mean",
                "g_exc_init_sd",
                "g_inh_init_mean",
                "g_inh_init_sd",
            ];
            rest.finish(&[&["name", "kind", "size"], &extra[..], LifParams::KEYS].concat())?;
            Population::Lif(Lif::new(n, params, v_init, g, dt, seed, index).with_varying(&varying, dt))
        }
        KindName::Poisson => {
            let keys = sources::RateKeys {
                rate_hz: rest.number("rate_hz")?,
                modulation: rest.value("modulation"),
                rate_file: rest.string("rate_file")?,
                loop_ms: rest.number("loop_ms")?,
            };
            rest.finish(&["name", "kind", "size", "rate_hz", "modulation", "rate_file", "loop_ms"])?;
            sources::poisson(cx, sim, section, &keys, n, index)?
        }
        KindName::SpikeFile => {
            let file = rest
                .string("file")?
                .ok_or_else(|| cx.invalid(section, "file", "(missing)", "a spike file (CSV or SONATA)"))?;
            let population = rest.string("population")?;
            rest.finish(&["name", "kind", "size", "file", "population"])?;
            sources::replay(cx, sim, section, n, file, population)?
        }
    };
    Ok(pop)
}

/// Whether the durations among a kind's parameters can be represented at dt (the refusals of
/// [`timescales::check`], without its warnings), for the values drawn per neuron.
fn check_scales_quiet(sim: &Sim, entries: &[(&'static str, f64)]) -> Result<bool, &'static str> {
    for &(key, ms) in entries {
        if let Some(scale) = Scale::of_key(key) {
            if !timescales::representable(sim, ms, scale) {
                return Err("a duration of at least one time step (dt_ms)");
            }
        }
    }
    Ok(true)
}

/// The durations among a kind's parameters against dt (see [`timescales`]).
fn check_scales(cx: &Ctx, sim: &Sim, section: &str, entries: &[(&'static str, f64)]) -> Result<(), ModelError> {
    for &(key, ms) in entries {
        if let Some(scale) = Scale::of_key(key) {
            timescales::check(cx, sim, section, key, ms, scale)?;
        }
    }
    Ok(())
}

/// Kind-specific keys of a population table, with unknown-key detection.
struct Keys<'a> {
    cx: &'a Ctx<'a>,
    section: &'a str,
    map: &'a BTreeMap<String, toml::Value>,
    used: Vec<String>,
    /// Parameters given as a distribution or a file (issue 15 item 1), drawn by `draw_varying`.
    varying: Vec<(String, Varying)>,
}

impl<'a> Keys<'a> {
    /// Applies every numeric key that `set` knows (a parameter table), checking its value.
    fn params(
        &mut self,
        mut set: impl FnMut(&str, f64) -> Result<bool, &'static str>,
        keys: &[&str],
    ) -> Result<(), ModelError> {
        for (key, value) in self.map {
            if let (toml::Value::Table(_), true) = (value, keys.contains(&key.as_str())) {
                let v = Varying::from_toml(value).map_err(|(sub, given, expected)| {
                    let k = if sub.is_empty() { key.clone() } else { format!("{key}.{sub}") };
                    self.cx.invalid(self.section, &k, given, expected)
                })?;
                self.used.push(key.clone());
                self.varying.push((key.clone(), v));
                continue;
            }
            let Some(v) = number(value) else {
                if keys.contains(&key.as_str()) {
                    return Err(self.cx.invalid(self.section, key, value, "a number"));
                }
                continue;
            };
            match set(key, v) {
                Ok(true) => self.used.push(key.clone()),
                Ok(false) => {}
                Err(expected) => return Err(self.cx.invalid(self.section, key, v, expected)),
            }
        }
        Ok(())
    }

    /// The values per neuron of the parameters given as a distribution (drawn from the run
    /// seed's stream for this population and parameter: labels `pop_index`, the key's place in
    /// `keys`) or a file (relative to the model file, `n` values). Each value must pass `check`
    /// (the parameter's own rule, and dt against the durations it sets).
    fn draw_varying(
        &self,
        n: usize,
        seed: u64,
        pop_index: u64,
        keys: &'static [&'static str],
        check: &dyn Fn(&str, f64) -> Result<bool, &'static str>,
    ) -> Result<Vec<(&'static str, Vec<f64>)>, ModelError> {
        let mut out = Vec::new();
        for (key, v) in &self.varying {
            let at = keys.iter().position(|k| k == key).expect("only a kind's own keys vary");
            let values = match v {
                Varying::Fixed(_) => continue,
                Varying::Dist(d) => {
                    varying::check_dist(self.cx, self.section, key, d, None)?;
                    let mut rng = stream_rng(seed, Stream::Parameters, &[pop_index, at as u64]);
                    (0..n).map(|_| varying::sample(d, &mut rng)).collect::<Vec<f64>>()
                }
                Varying::File(f) => varying::read_values(self.cx, self.section, &format!("{key}.file"), f, n)?,
            };
            for (i, &x) in values.iter().enumerate() {
                if let Err(expected) = check(key, x) {
                    return Err(self.cx.invalid(
                        self.section,
                        key,
                        format!("{x} (neuron {i})"),
                        format!("{expected} for every neuron (clip a distribution with min and max)"),
                    ));
                }
            }
            out.push((keys[at], values));
        }
        Ok(out)
    }

    /// Initial somatic potential: (mean, sd, fixed seed 42?) from v_init_mean_mv (default E_L),
    /// v_init_sd_mv (default 0) and v_init_seed = "fixed" (reference, P13) | "run".
    fn v_init(&mut self, e_l: f64) -> Result<InitialVoltage, ModelError> {
        let mean = self.number("v_init_mean_mv")?.unwrap_or(e_l);
        if crate::neuron::params::check::potential(mean).is_err() {
            return Err(self.cx.invalid(
                self.section,
                "v_init_mean_mv",
                mean,
                "a potential in mV within -1000 to 1000",
            ));
        }
        let sd = self.number("v_init_sd_mv")?.unwrap_or(0.0);
        if !(0.0..=1000.0).contains(&sd) {
            return Err(self.cx.invalid(self.section, "v_init_sd_mv", sd, "a standard deviation in mV from 0 to 1000"));
        }
        let fixed = match self.choice("v_init_seed")?.unwrap_or_default() {
            schema::VInitSeed::Fixed => true,
            schema::VInitSeed::Run => false,
        };
        Ok(InitialVoltage { mean_mv: mean, sd_mv: sd, fixed_seed: fixed })
    }

    /// A key's value as written, marked used (checked by the caller).
    fn value(&mut self, key: &str) -> Option<&'a toml::Value> {
        let v = self.map.get(key)?;
        self.used.push(key.into());
        Some(v)
    }

    /// A string key.
    fn string(&mut self, key: &str) -> Result<Option<&'a str>, ModelError> {
        match self.value(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(self.cx.invalid(self.section, key, v, "a string")),
        }
    }

    fn number(&mut self, key: &str) -> Result<Option<f64>, ModelError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(v) => {
                self.used.push(key.into());
                number(v).map(Some).ok_or_else(|| self.cx.invalid(self.section, key, v, "a number"))
            }
        }
    }

    /// A string option: one of the names of `T`.
    fn choice<T: Choice>(&mut self, key: &str) -> Result<Option<T>, ModelError> {
        let Some(v) = self.map.get(key) else { return Ok(None) };
        self.used.push(key.into());
        let name = match v {
            toml::Value::String(s) => T::from_name(s),
            _ => None,
        };
        name.map(Some).ok_or_else(|| self.cx.invalid(self.section, key, v, T::expected()))
    }

    fn finish(&self, allowed: &[&str]) -> Result<(), ModelError> {
        match self.map.keys().find(|key| !self.used.contains(key)) {
            Some(key) => Err(self.cx.unknown_key(self.section, key, allowed)),
            None => Ok(()),
        }
    }
}
