//! The transfer table in HDF5 (`/transfer`, layout in the README "Transfer functions"), read
//! back by `meanfield`; and what a spiking run measured (event and burst counts in a window, mean
//! weights), for `meanfield --compare`.
//!
//! ```text
//! /transfer                 attrs: model, population, kind, neurons_per_point, duration_ms,
//!                           warmup_ms, dt_ms, seeds, background, left_out, burstsim_version
//!   soma_pa [S], dend_pa [D]
//!   <quantity>, <quantity>_se [S x D]   event_rate_hz, burst_rate_hz, burst_prob, spike_rate_hz,
//!                           v_s_mv, v_d_mv, isi_burst_ms, release_std_hz, release_stf_hz
//!   release_std_model_hz, release_stf_model_hz [S x D]   the train model (efficacy) at each
//!                           point's measured ER and BP
//!   fits/event_rate/<rank>, fits/burst_prob/<rank>       attrs: form, label, params, param_names,
//!                           rmse, bic, points (rank 0 = best global fit by BIC)
//!   fits/event_rate_used, fits/burst_prob_used           what `meanfield` uses: attr surface =
//!                           "global" (the fit's attrs) or "columns" (columns_pa, rmse, and one
//!                           subgroup per column with a fit's attrs)
//! ```

use super::fit::{Fit, Surface};
use super::transfer::{Grid, Table2, TransferTable};
use super::MeanfieldError;
use crate::names as n;
use h5::types::VarLenUnicode;
use hdf5_metno as h5;
use std::str::FromStr;

fn vlu(s: &str) -> VarLenUnicode {
    VarLenUnicode::from_str(s).unwrap_or_default()
}

/// Root group of a transfer file.
pub const TRANSFER: &str = "transfer";

/// The tables of [`TransferTable`] with their dataset names.
fn tables(t: &TransferTable) -> [(&'static str, &Table2); 9] {
    [
        ("event_rate_hz", &t.er),
        ("burst_rate_hz", &t.br),
        ("burst_prob", &t.bp),
        ("spike_rate_hz", &t.sr),
        ("v_s_mv", &t.v_s),
        ("v_d_mv", &t.v_d),
        ("isi_burst_ms", &t.isi_burst),
        ("release_std_hz", &t.release_std),
        ("release_stf_hz", &t.release_stf),
    ]
}

/// Writes the table, the train model's release at each point and the fits to `path` (a new
/// file; the caller decides about replacing).
pub fn write(
    path: &str,
    t: &TransferTable,
    model_release: (&[f64], &[f64]),
    fits: (&[Fit], &[Fit]),
    used: (&Surface, Option<&Surface>),
) -> Result<(), MeanfieldError> {
    write_h5(path, t, model_release, fits, used)
        .map_err(|e| MeanfieldError::File { file: path.into(), what: e.to_string() })
}

/// A fit's attributes on group `r`.
fn write_fit(r: &h5::Group, fit: &Fit, mix: &'static str) -> h5::Result<()> {
    r.new_attr::<VarLenUnicode>().create("form")?.write_scalar(&vlu(fit.form.name()))?;
    r.new_attr::<VarLenUnicode>().create("label")?.write_scalar(&vlu(&fit.label(mix)))?;
    let names: Vec<VarLenUnicode> = fit.param_names(mix).iter().map(|s| vlu(s)).collect();
    r.new_attr::<VarLenUnicode>().shape(names.len()).create("param_names")?.write(&names)?;
    let p = fit.all_params();
    r.new_attr::<f64>().shape(p.len()).create("params")?.write(&p)?;
    r.new_attr::<f64>().create("rmse")?.write_scalar(&fit.rmse)?;
    r.new_attr::<f64>().create("bic")?.write_scalar(&fit.bic)?;
    r.new_attr::<u64>().create("points")?.write_scalar(&(fit.n as u64))
}

/// The function `meanfield` uses: a global fit, or one fit per column (`columns_pa`, subgroups).
fn write_surface(g: &h5::Group, s: &Surface, mix: &'static str) -> h5::Result<()> {
    match s {
        Surface::Global(f) => {
            g.new_attr::<VarLenUnicode>().create("surface")?.write_scalar(&vlu("global"))?;
            write_fit(g, f, mix)
        }
        Surface::Columns(c) => {
            g.new_attr::<VarLenUnicode>().create("surface")?.write_scalar(&vlu("columns"))?;
            let cols: Vec<f64> = c.iter().map(|x| x.0).collect();
            g.new_attr::<f64>().shape(cols.len()).create("columns_pa")?.write(&cols)?;
            g.new_attr::<f64>().create("rmse")?.write_scalar(&s.rmse())?;
            for (i, (_, f)) in c.iter().enumerate() {
                write_fit(&g.create_group(&i.to_string())?, f, mix)?;
            }
            Ok(())
        }
    }
}

fn write_h5(
    path: &str,
    t: &TransferTable,
    model: (&[f64], &[f64]),
    fits: (&[Fit], &[Fit]),
    used: (&Surface, Option<&Surface>),
) -> h5::Result<()> {
    let f = h5::File::create_excl(path)?;
    let g = f.create_group(TRANSFER)?;
    let s_attr = |name: &str, v: &str| g.new_attr::<VarLenUnicode>().create(name)?.write_scalar(&vlu(v));
    s_attr("model", &t.model)?;
    s_attr("population", &t.population)?;
    s_attr("kind", &t.kind)?;
    s_attr("burstsim_version", crate::version())?;
    let f_attr = |name: &str, v: f64| g.new_attr::<f64>().create(name)?.write_scalar(&v);
    f_attr("duration_ms", t.grid.duration_ms)?;
    f_attr("warmup_ms", t.grid.warmup_ms)?;
    f_attr("dt_ms", t.dt_ms)?;
    g.new_attr::<u64>().create("neurons_per_point")?.write_scalar(&(t.grid.neurons as u64))?;
    g.new_attr::<u64>().shape(t.grid.seeds.len()).create("seeds")?.write(&t.grid.seeds)?;
    for (name, list) in [("background", &t.kept), ("left_out", &t.dropped)] {
        let v: Vec<VarLenUnicode> = list.iter().map(|s| vlu(s)).collect();
        g.new_attr::<VarLenUnicode>().shape(v.len()).create(name)?.write(&v)?;
    }
    let with_units =
        |d: h5::Dataset, units: &str| d.new_attr::<VarLenUnicode>().create(n::UNITS)?.write_scalar(&vlu(units));
    with_units(g.new_dataset_builder().with_data(&t.grid.soma_pa).create("soma_pa")?, "pA")?;
    with_units(g.new_dataset_builder().with_data(&t.grid.dend_pa).create("dend_pa")?, "pA")?;
    let shape = (t.grid.soma_pa.len(), t.grid.dend_pa.len());
    let grid = |name: &str, v: &[f64]| -> h5::Result<()> {
        let a = ndarray::Array2::from_shape_vec(shape, v.to_vec()).expect("soma x dend");
        let units = name.rsplit('_').next().filter(|u| ["hz", "mv", "ms"].contains(u)).unwrap_or("1");
        let units = match units {
            "hz" => "Hz",
            "mv" => "mV",
            u => u,
        };
        with_units(g.new_dataset_builder().with_data(&a).create(name)?, units)
    };
    for (name, table) in tables(t) {
        grid(name, &table.mean)?;
        let se = match name.rsplit_once('_') {
            Some((stem, u)) if ["hz", "mv", "ms"].contains(&u) => format!("{stem}_se_{u}"),
            _ => format!("{name}_se"),
        };
        grid(&se, &table.se)?;
    }
    grid("release_std_model_hz", model.0)?;
    grid("release_stf_model_hz", model.1)?;
    let gf = g.create_group("fits")?;
    for (name, list, mix) in [("event_rate", fits.0, "kappa"), ("burst_prob", fits.1, "lambda")] {
        let gq = gf.create_group(name)?;
        for (rank, fit) in list.iter().enumerate() {
            write_fit(&gq.create_group(&rank.to_string())?, fit, mix)?;
        }
    }
    write_surface(&gf.create_group("event_rate_used")?, used.0, "kappa")?;
    if let Some(bp) = used.1 {
        write_surface(&gf.create_group("burst_prob_used")?, bp, "lambda")?;
    }
    f.flush()
}

/// Reads a table written by [`write`].
pub fn read(path: &str) -> Result<TransferTable, MeanfieldError> {
    let err = |what: String| MeanfieldError::File { file: path.into(), what };
    let f = h5::File::open(path).map_err(|e| err(format!("cannot open as HDF5: {e}")))?;
    let g = f.group(TRANSFER).map_err(|_| err("no /transfer group: not written by `burstsim transfer`".into()))?;
    let s_attr = |name: &str| -> Result<String, MeanfieldError> {
        g.attr(name)
            .and_then(|a| a.read_scalar::<VarLenUnicode>())
            .map(|v| v.as_str().to_string())
            .map_err(|_| err(format!("/transfer has no `{name}` attribute")))
    };
    let f_attr = |name: &str| -> Result<f64, MeanfieldError> {
        g.attr(name)
            .and_then(|a| a.read_scalar::<f64>())
            .map_err(|_| err(format!("/transfer has no `{name}` attribute")))
    };
    let vec = |name: &str| -> Result<Vec<f64>, MeanfieldError> {
        g.dataset(name).and_then(|d| d.read_raw::<f64>()).map_err(|_| err(format!("/transfer has no dataset `{name}`")))
    };
    let strings = |name: &str| -> Vec<String> {
        g.attr(name)
            .and_then(|a| a.read_raw::<VarLenUnicode>())
            .map(|v| v.iter().map(|s| s.as_str().to_string()).collect())
            .unwrap_or_default()
    };
    let soma_pa = vec("soma_pa")?;
    let dend_pa = vec("dend_pa")?;
    let points = soma_pa.len() * dend_pa.len();
    let table = |name: &str, se: &str| -> Result<Table2, MeanfieldError> {
        let (mean, se) = (vec(name)?, vec(se)?);
        if mean.len() != points || se.len() != points {
            return Err(err(format!("`{name}` holds {} values, not soma x dend = {points}", mean.len())));
        }
        // rates and releases are measured everywhere; a potential is all NaN for a kind without
        // that compartment, and BP and the burst interval are NaN where there were no events
        let nan = mean.iter().filter(|v| !v.is_finite()).count();
        let partial_ok = matches!(name, "burst_prob" | "isi_burst_ms");
        let all_ok = matches!(name, "v_s_mv" | "v_d_mv") && nan == points;
        if nan > 0 && !partial_ok && !all_ok {
            let k = mean.iter().position(|v| !v.is_finite()).expect("one");
            return Err(err(format!(
                "`/transfer/{name}` is not finite at grid point ({} pA soma, {} pA dendrite): a damaged table",
                soma_pa[k / dend_pa.len()],
                dend_pa[k % dend_pa.len()]
            )));
        }
        Ok(Table2 { mean, se })
    };
    Ok(TransferTable {
        model: s_attr("model")?,
        population: s_attr("population")?,
        kind: s_attr("kind")?,
        dt_ms: f_attr("dt_ms")?,
        kept: strings("background"),
        dropped: strings("left_out"),
        er: table("event_rate_hz", "event_rate_se_hz")?,
        br: table("burst_rate_hz", "burst_rate_se_hz")?,
        bp: table("burst_prob", "burst_prob_se")?,
        sr: table("spike_rate_hz", "spike_rate_se_hz")?,
        v_s: table("v_s_mv", "v_s_se_mv")?,
        v_d: table("v_d_mv", "v_d_se_mv")?,
        isi_burst: table("isi_burst_ms", "isi_burst_se_ms")?,
        release_std: table("release_std_hz", "release_std_se_hz")?,
        release_stf: table("release_stf_hz", "release_stf_se_hz")?,
        grid: Grid {
            neurons: g.attr("neurons_per_point").and_then(|a| a.read_scalar::<u64>()).unwrap_or(0) as usize,
            duration_ms: f_attr("duration_ms")?,
            warmup_ms: f_attr("warmup_ms")?,
            seeds: g.attr("seeds").and_then(|a| a.read_raw::<u64>()).unwrap_or_default(),
            soma_pa,
            dend_pa,
        },
    })
}

/// What a spiking run measured for one population between two times.
#[derive(Clone, Debug)]
pub struct Measured {
    /// Event rate, Hz.
    pub er_hz: f64,
    /// Burst probability.
    pub bp: f64,
}

/// Event rate and burst probability of `population` (`nodes` neurons) in the run file `path` over
/// [t0, t1) ms, from the `/events` and `/bursts` onsets.
pub fn measured(
    path: &str,
    population: &str,
    nodes: usize,
    t0_ms: f64,
    t1_ms: f64,
) -> Result<Measured, MeanfieldError> {
    let err = |what: String| MeanfieldError::File { file: path.into(), what };
    let f = h5::File::open(path).map_err(|e| err(format!("cannot open as HDF5: {e}")))?;
    let count = |group: &str| -> Result<f64, MeanfieldError> {
        let t: Vec<f64> = f
            .dataset(&format!("{group}/{population}/{}", n::TIMESTAMPS))
            .and_then(|d| d.read_raw())
            .map_err(|_| err(format!("no /{group}/{population} (record events and bursts)")))?;
        Ok(t.iter().filter(|&&x| x >= t0_ms && x < t1_ms).count() as f64)
    };
    let (e, b) = (count(n::EVENTS)?, count(n::BURSTS)?);
    let secs = (t1_ms - t0_ms) * 1e-3;
    Ok(Measured { er_hz: e / (nodes as f64 * secs), bp: if e > 0.0 { b / e } else { f64::NAN } })
}

/// Mean weight of `projection` at the first and last snapshot at or after `t0_ms` and the times
/// of those snapshots, ms.
pub fn weight_change(path: &str, projection: &str, t0_ms: f64) -> Result<(f64, f64, f64, f64), MeanfieldError> {
    let err = |what: String| MeanfieldError::File { file: path.into(), what };
    let f = h5::File::open(path).map_err(|e| err(format!("cannot open as HDF5: {e}")))?;
    let g = f
        .group(&format!("{}/{projection}", n::WEIGHTS))
        .map_err(|_| err(format!("no /weights/{projection} (add it to [output.weights])")))?;
    let t: Vec<f64> = g.dataset(n::TIME_MS).and_then(|d| d.read_raw()).map_err(|e| err(e.to_string()))?;
    let m: Vec<f64> = g.dataset(n::WEIGHT_MEAN).and_then(|d| d.read_raw()).map_err(|e| err(e.to_string()))?;
    let first = t
        .iter()
        .position(|&x| x >= t0_ms - 1e-9)
        .ok_or_else(|| err(format!("no snapshot of {projection} after {t0_ms} ms")))?;
    let last = t.len() - 1;
    Ok((t[first], m[first], t[last], m[last]))
}
