//! Values that vary across neurons or synapses and edge files (issue 15 items 1 and 2): checking
//! and drawing distributions, reading per-neuron value files, and reading edge lists from CSV and
//! SONATA (HDF5) files, every index checked against the populations' sizes.

use super::checks::Ctx;
use crate::model::error::ModelError;
use crate::model::schema::{Dist, Law};
use crate::rng::Rng;
use crate::stimulus::StimulusError;
use rand_distr::{Distribution, LogNormal, Normal};
use std::path::Path;

/// Refuses a distribution whose parameters are not finite, a negative sd or sigma, low > high,
/// min > max; `floor` is the least value the key accepts (0 for weights and delays), which a
/// given `min` must respect.
pub(super) fn check_dist(cx: &Ctx, section: &str, key: &str, d: &Dist, floor: Option<f64>) -> Result<(), ModelError> {
    let [a, b] = d.law.params();
    let law = d.law.key();
    if !(a.is_finite() && b.is_finite()) {
        return Err(cx.invalid(section, &format!("{key}.{law}"), format!("[{a}, {b}]"), "two finite numbers"));
    }
    match d.law {
        Law::Normal { sd, .. } if sd < 0.0 => {
            return Err(cx.invalid(section, &format!("{key}.normal"), format!("[{a}, {b}]"), "[mean, sd] with sd >= 0"))
        }
        Law::Lognormal { sigma, .. } if sigma < 0.0 => {
            return Err(cx.invalid(
                section,
                &format!("{key}.lognormal"),
                format!("[{a}, {b}]"),
                "[mu, sigma] with sigma >= 0 (mu and sigma are the mean and sd of ln x)",
            ))
        }
        Law::Uniform { low, high } if low > high => {
            return Err(cx.invalid(
                section,
                &format!("{key}.uniform"),
                format!("[{a}, {b}]"),
                "[low, high] with low <= high",
            ))
        }
        _ => {}
    }
    for (k, v) in [("min", d.min), ("max", d.max)] {
        if let Some(x) = v {
            if !x.is_finite() {
                return Err(cx.invalid(section, &format!("{key}.{k}"), x, "a finite clipping bound"));
            }
        }
    }
    if let (Some(lo), Some(hi)) = (d.min, d.max) {
        if lo > hi {
            return Err(cx.invalid(section, &format!("{key}.min"), lo, format!("a lower bound <= max ({hi})")));
        }
    }
    if let (Some(f), Some(lo)) = (floor, d.min) {
        if lo < f {
            return Err(cx.invalid(section, &format!("{key}.min"), lo, format!("a lower bound >= {f}")));
        }
    }
    Ok(())
}

/// One draw of `d` (checked by [`check_dist`]), clipped into [min, max].
pub(super) fn sample(d: &Dist, rng: &mut Rng) -> f64 {
    use rand::RngExt as _;
    let x = match d.law {
        Law::Normal { mean, sd } => Normal::new(mean, sd).expect("checked sd").sample(rng),
        Law::Lognormal { mu, sigma } => LogNormal::new(mu, sigma).expect("checked sigma").sample(rng),
        Law::Uniform { low, high } => low + (high - low) * rng.random::<f64>(),
    };
    clip(x, d.min, d.max)
}

/// `x` clipped into [min, max] (either bound may be absent).
pub(super) fn clip(x: f64, min: Option<f64>, max: Option<f64>) -> f64 {
    let x = min.map_or(x, |m| x.max(m));
    max.map_or(x, |m| x.min(m))
}

/// The error for a data file named by `key` of `section`.
pub(super) fn data_error(cx: &Ctx, section: &str, key: &str, path: &Path, line: usize, message: String) -> ModelError {
    ModelError::DataFile {
        file: cx.file.to_string(),
        section: section.to_string(),
        key: key.to_string(),
        cause: Box::new(StimulusError {
            file: path.display().to_string(),
            line: if line > 0 { format!(", line {line}") } else { String::new() },
            message,
        }),
    }
}

/// One value per neuron from `file` (relative to the model file): one number per line, blank
/// lines and `#` comments skipped, a non-numeric first line a header; exactly `n` values.
pub(super) fn read_values(cx: &Ctx, section: &str, key: &str, file: &str, n: usize) -> Result<Vec<f64>, ModelError> {
    let path = cx.base.join(file);
    let rows = crate::stimulus::file::read_rows(&path).map_err(|cause| ModelError::DataFile {
        file: cx.file.to_string(),
        section: section.to_string(),
        key: key.to_string(),
        cause: Box::new(cause),
    })?;
    let mut out = Vec::with_capacity(n);
    for (line, v) in rows {
        if v.len() != 1 {
            return Err(data_error(
                cx,
                section,
                key,
                &path,
                line,
                format!("{} columns: expected one value per line", v.len()),
            ));
        }
        out.push(v[0]);
    }
    if out.len() != n {
        return Err(data_error(
            cx,
            section,
            key,
            &path,
            0,
            format!("{} values: expected one per neuron of the population ({n})", out.len()),
        ));
    }
    Ok(out)
}

/// Synapses listed in a file: (pre, post) pairs, with a weight and a delay (ms) each when the
/// file gives them.
#[derive(Debug, Default)]
pub(super) struct Edges {
    /// (pre, post) node ids, each below its population's size.
    pub pairs: Vec<(u32, u32)>,
    /// One weight per edge (units of the target compartment's g_L).
    pub weights: Option<Vec<f64>>,
    /// One delay per edge, ms.
    pub delays_ms: Option<Vec<f64>>,
}

/// Column names of an edge CSV.
const CSV_COLUMNS: [&str; 4] = ["pre", "post", "weight", "delay_ms"];

/// Reads `connect = { file = "edges.csv" }`: one synapse per row, `pre, post[, weight[,
/// delay_ms]]` (0-based ids). A header is optional: a non-numeric first row names the columns,
/// `pre` and `post` required, `weight` and `delay_ms` optional, in any order; without one the
/// columns are taken in that order. Blank lines and `#` comments are skipped.
pub(super) fn read_csv_edges(
    cx: &Ctx,
    section: &str,
    key: &str,
    file: &str,
    n_pre: usize,
    n_post: usize,
) -> Result<Edges, ModelError> {
    let path = cx.base.join(file);
    let err = |line: usize, m: String| data_error(cx, section, key, &path, line, m);
    let text = std::fs::read_to_string(&path).map_err(|e| err(0, format!("cannot read the edge file: {e}")))?;
    let mut columns: Option<Vec<usize>> = None; // the CSV_COLUMNS index of each column
    let mut edges = Edges::default();
    let (mut weights, mut delays) = (Vec::new(), Vec::new());
    let mut width = None;
    for (k, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let nums: Result<Vec<f64>, _> = fields.iter().map(|f| f.parse::<f64>()).collect();
        let Ok(nums) = nums else {
            if columns.is_some() || width.is_some() {
                return Err(err(
                    k + 1,
                    format!("`{line}`: expected comma-separated numbers (only the first row may be a header)"),
                ));
            }
            let mut cols = Vec::new();
            for f in &fields {
                match CSV_COLUMNS.iter().position(|c| c == f) {
                    Some(c) if !cols.contains(&c) => cols.push(c),
                    Some(_) => return Err(err(k + 1, format!("header: column `{f}` given twice"))),
                    None => {
                        return Err(err(
                            k + 1,
                            format!("header: unknown column `{f}`; expected pre, post and optionally weight, delay_ms"),
                        ))
                    }
                }
            }
            if !(cols.contains(&0) && cols.contains(&1)) {
                return Err(err(k + 1, "header: expected columns pre and post".into()));
            }
            width = Some(cols.len());
            columns = Some(cols);
            continue;
        };
        let w = *width.get_or_insert(nums.len());
        if nums.len() != w || !(2..=4).contains(&w) {
            return Err(err(
                k + 1,
                format!(
                    "{} columns: expected {} (pre, post[, weight[, delay_ms]]) as in the first row",
                    nums.len(),
                    w.clamp(2, 4)
                ),
            ));
        }
        let cols = columns.get_or_insert_with(|| (0..w).collect());
        let mut row = [f64::NAN; 4];
        for (&c, &x) in cols.iter().zip(&nums) {
            row[c] = x;
        }
        let id = |x: f64, what: &str, n: usize, pop: &str| -> Result<u32, ModelError> {
            if x.fract() == 0.0 && x >= 0.0 && x < n as f64 {
                Ok(x as u32)
            } else {
                Err(err(
                    k + 1,
                    format!(
                        "{what} = {x}: expected a neuron id from 0 to {} (population \"{pop}\" has {n})",
                        n as i64 - 1
                    ),
                ))
            }
        };
        let (from, to) = section_names(section);
        edges.pairs.push((id(row[0], "pre", n_pre, &from)?, id(row[1], "post", n_post, &to)?));
        if cols.contains(&2) {
            if !(row[2].is_finite() && row[2] >= 0.0) {
                return Err(err(k + 1, format!("weight = {}: expected a conductance >= 0 in units of g_L", row[2])));
            }
            weights.push(row[2]);
        }
        if cols.contains(&3) {
            if !(row[3].is_finite() && row[3] >= 0.0) {
                return Err(err(k + 1, format!("delay_ms = {}: expected a delay >= 0 in ms", row[3])));
            }
            delays.push(row[3]);
        }
    }
    if let Some(cols) = &columns {
        edges.weights = cols.contains(&2).then_some(weights);
        edges.delays_ms = cols.contains(&3).then_some(delays);
    }
    Ok(edges)
}

/// The (from, to) population names of a projection's section, `projection 2 (a -> b)`, for
/// messages; empty when the section does not have them.
fn section_names(section: &str) -> (String, String) {
    section
        .split_once('(')
        .and_then(|(_, r)| r.trim_end_matches(')').split_once(" -> "))
        .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
        .unwrap_or_default()
}

/// Reads `connect = { sonata = "edges.h5", population = "name" }`: the SONATA edge population
/// `/edges/<name>` (the only one when `population` is left out): `source_node_id` and
/// `target_node_id` (0-based ids), and optionally `syn_weight` and `delay` (ms), either beside
/// them or in the edge group `0` (indexed by `edge_group_index` when it is there).
pub(super) fn read_sonata_edges(
    cx: &Ctx,
    section: &str,
    key: &str,
    file: &str,
    population: Option<&str>,
    n_pre: usize,
    n_post: usize,
) -> Result<Edges, ModelError> {
    let path = cx.base.join(file);
    let err = |m: String| data_error(cx, section, key, &path, 0, m);
    if !path.is_file() {
        return Err(err("cannot read the SONATA edges file: no such file".into()));
    }
    let h5 = hdf5_metno::File::open(&path).map_err(|e| err(format!("cannot open as HDF5: {e}")))?;
    let edges = h5.group("edges").map_err(|_| err("no group /edges: expected a SONATA edges file".into()))?;
    let names = edges.member_names().map_err(|e| err(format!("cannot list /edges: {e}")))?;
    let name = match population {
        Some(p) if names.iter().any(|n| n == p) => p.to_string(),
        Some(p) => return Err(err(format!("no edge population /edges/{p} (the file has: {})", names.join(", ")))),
        None if names.len() == 1 => names[0].clone(),
        None => {
            return Err(err(format!(
                "{} edge populations ({}): expected `population` in connect to choose one",
                names.len(),
                names.join(", ")
            )))
        }
    };
    let g = edges.group(&name).map_err(|e| err(format!("/edges/{name}: {e}")))?;
    let ids = |ds: &str| -> Result<Vec<u64>, ModelError> {
        let d = g.dataset(ds).map_err(|_| err(format!("no dataset /edges/{name}/{ds}")))?;
        d.read_raw::<u64>().map_err(|e| err(format!("/edges/{name}/{ds}: cannot read as node ids: {e}")))
    };
    let (src, dst) = (ids("source_node_id")?, ids("target_node_id")?);
    if src.len() != dst.len() {
        return Err(err(format!(
            "/edges/{name}: {} source_node_id and {} target_node_id: expected one of each per edge",
            src.len(),
            dst.len()
        )));
    }
    let (from, to) = section_names(section);
    let mut pairs = Vec::with_capacity(src.len());
    for (k, (&i, &j)) in src.iter().zip(&dst).enumerate() {
        for (x, n, ds, pop) in [(i, n_pre, "source_node_id", &from), (j, n_post, "target_node_id", &to)] {
            if x >= n as u64 {
                return Err(err(format!(
                    "/edges/{name}/{ds}[{k}] = {x}: expected a node id from 0 to {} (population \"{pop}\" has {n})",
                    n as i64 - 1
                )));
            }
        }
        pairs.push((i as u32, j as u32));
    }
    // per-edge values: beside the ids, or in edge group 0
    let group0 = g.group("0").ok();
    let index = match g.dataset("edge_group_index") {
        Ok(d) if group0.is_some() => {
            Some(d.read_raw::<u64>().map_err(|e| err(format!("/edges/{name}/edge_group_index: {e}")))?)
        }
        _ => None,
    };
    let values = |ds: &str| -> Result<Option<Vec<f64>>, ModelError> {
        let (d, at) = match (g.dataset(ds), &group0) {
            (Ok(d), _) => (d, format!("/edges/{name}/{ds}")),
            (Err(_), Some(g0)) => match g0.dataset(ds) {
                Ok(d) => (d, format!("/edges/{name}/0/{ds}")),
                Err(_) => return Ok(None),
            },
            _ => return Ok(None),
        };
        let v = d.read_raw::<f64>().map_err(|e| err(format!("{at}: cannot read as numbers: {e}")))?;
        let v = match (&index, at.contains("/0/")) {
            (Some(ix), true) => {
                let mut out = Vec::with_capacity(ix.len());
                for (k, &x) in ix.iter().enumerate() {
                    out.push(*v.get(x as usize).ok_or_else(|| {
                        err(format!("/edges/{name}/edge_group_index[{k}] = {x}: beyond the {} values of {at}", v.len()))
                    })?);
                }
                out
            }
            _ => v,
        };
        if v.len() != pairs.len() {
            return Err(err(format!("{at}: {} values for {} edges: expected one per edge", v.len(), pairs.len())));
        }
        if let Some((k, x)) = v.iter().enumerate().find(|(_, x)| !(x.is_finite() && **x >= 0.0)) {
            return Err(err(format!("{at}[{k}] = {x}: expected a finite value >= 0")));
        }
        Ok(Some(v))
    };
    Ok(Edges { weights: values("syn_weight")?, delays_ms: values("delay")?, pairs })
}
