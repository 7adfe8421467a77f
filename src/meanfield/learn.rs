//! Learning under a `[protocol]` in the mean field (`burstsim meanfield --learn`): the examples of
//! the spiking run, in its order, each a stationary state of the circuit at that pattern's input
//! currents, with the pattern's teachers on during the learning window, and the plastic weights
//! drifting through it quasi-statically (re-solved every `step_ms`, [`Circuit::drift_per_s`]).
//!
//! This is the population limit of a training run: what the spiking circuit learns when its
//! populations are large and the weights move slowly against the rates. It predicts a training
//! run in seconds, so a circuit can be designed here and checked in spikes.

use super::solve::{bounds, Circuit, Drive, State};
use crate::engine::{ExampleKind, ExampleSchedule};
use crate::neuron::Compartment;
use crate::plasticity::RuleParams;
use std::collections::BTreeMap;

/// One presented example in the mean field.
#[derive(Clone, Debug)]
pub struct Presented {
    /// Training epoch (tests: 0 before, the number of epochs after).
    pub epoch: u32,
    /// Test before, training or test after.
    pub kind: ExampleKind,
    /// Pattern index.
    pub pattern: usize,
    /// ER per unit without the teacher at the weights the example starts with, Hz.
    pub er_free_hz: Vec<f64>,
    /// BP per unit without the teacher, same weights.
    pub bp_free: Vec<f64>,
    /// ER per unit averaged over the learning window (tests: = free), Hz.
    pub er_hz: Vec<f64>,
    /// BP per unit averaged over the learning window (tests: = free).
    pub bp: Vec<f64>,
    /// Mean weight of every link at the end of the example.
    pub weights: Vec<f64>,
    /// Every solve of the example converged.
    pub converged: bool,
}

/// The mean-field drive of each pattern: its input currents, relative to the file's.
pub fn pattern_drives(c: &Circuit, currents: &[BTreeMap<String, f64>]) -> Vec<Drive> {
    let n = c.units.len();
    currents
        .iter()
        .map(|pattern| {
            let mut d = Drive { soma_pa: vec![0.0; n], dend_pa: vec![0.0; n], targets: Vec::new() };
            for inp in &c.named_inputs {
                let Some(&pa) = pattern.get(&inp.name) else { continue };
                match inp.compartment {
                    Compartment::Soma => d.soma_pa[inp.unit] += pa - inp.base_pa,
                    Compartment::Dendrite => d.dend_pa[inp.unit] += pa - inp.base_pa,
                }
            }
            d
        })
        .collect()
}

/// Sets each BurstCCN rule's baseline p_b to its target unit's BP without a teacher, averaged
/// over the patterns at the initial weights: the mean field's own baselines, as the spiking
/// model's p_b are its circuit's measured ones. Returns (link, old, new) per rule changed.
pub fn own_baselines(c: &mut Circuit, drives: &[Drive]) -> Vec<(usize, f64, f64)> {
    let w = c.weights();
    let n = c.units.len();
    let mut mean = vec![0.0; n];
    for d in drives {
        let (s, _) = c.stationary_driven(&w, None, d);
        for (m, bp) in mean.iter_mut().zip(&s.bp) {
            *m += bp / drives.len() as f64;
        }
    }
    let mut changed = Vec::new();
    for (k, l) in c.links.iter_mut().enumerate() {
        if let Some(RuleParams::BurstCcn(r)) = &mut l.rule {
            changed.push((k, r.p_baseline, mean[l.to]));
            r.p_baseline = mean[l.to];
        }
    }
    changed
}

/// Presents the schedule's examples (pattern currents `drives`, teachers from the schedule's
/// targets); `example_ms` and `learning_ms` as in the protocol.
pub fn learn(
    c: &Circuit,
    schedule: &ExampleSchedule,
    drives: &[Drive],
    (example_ms, learning_ms): (f64, f64),
    step_ms: f64,
    progress: &mut dyn FnMut(usize, usize),
) -> Vec<Presented> {
    let mut w = c.weights();
    let mut avg = c.initial_averages();
    let mut last: Option<State> = None;
    let n = c.units.len();
    let mut out = Vec::with_capacity(schedule.examples.len());
    let total = schedule.examples.len();
    for (i, ex) in schedule.examples.iter().enumerate() {
        progress(i, total);
        let free_drive = &drives[ex.pattern];
        let (free, it) = c.stationary_driven(&w, last.as_ref(), free_drive);
        let mut converged = it.is_some();
        let (mut er, mut bp) = (free.er_hz.clone(), free.bp.clone());
        // the rule's averages follow the rates through the prediction window as well
        let predict_ms = if ex.kind == ExampleKind::Training { example_ms - learning_ms } else { example_ms };
        if predict_ms > 0.0 {
            c.relax_averages(&mut avg, &free, predict_ms);
        }
        let mut s = free.clone();
        if ex.kind == ExampleKind::Training {
            let mut taught = free_drive.clone();
            taught.targets = c.teachers.iter().map(|t| schedule.targets[ex.pattern][t.index]).collect();
            let steps = (learning_ms / step_ms).ceil().max(1.0) as usize;
            let dt_s = learning_ms / steps as f64 * 1e-3;
            (er, bp) = (vec![0.0; n], vec![0.0; n]);
            for _ in 0..steps {
                let (ns, it) = c.stationary_driven(&w, Some(&s), &taught);
                converged &= it.is_some();
                s = ns;
                c.relax_averages(&mut avg, &s, dt_s * 1e3);
                let d = c.drift_per_s(&s, &avg);
                for ((wi, di), l) in w.iter_mut().zip(&d).zip(&c.links) {
                    let (lo, hi) = l.rule.as_ref().map_or((f64::NEG_INFINITY, f64::INFINITY), bounds);
                    *wi = (*wi + di * dt_s).clamp(lo, hi);
                }
                for u in 0..n {
                    er[u] += s.er_hz[u] / steps as f64;
                    bp[u] += s.bp[u] / steps as f64;
                }
            }
        }
        out.push(Presented {
            epoch: ex.epoch,
            kind: ex.kind,
            pattern: ex.pattern,
            er_free_hz: free.er_hz.clone(),
            bp_free: free.bp.clone(),
            er_hz: er,
            bp,
            weights: w.clone(),
            converged,
        });
        last = Some(free);
    }
    progress(total, total);
    out
}

fn kind_name(k: ExampleKind) -> &'static str {
    match k {
        ExampleKind::TestBefore => "test_before",
        ExampleKind::Training => "training",
        ExampleKind::TestAfter => "test_after",
    }
}

/// The teachers' units' ER without the teacher per pattern: tests, and the training examples of
/// about ten epochs; then every plastic weight at the start and the end.
pub fn summary(c: &Circuit, schedule: &ExampleSchedule, shown: &[Presented]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let mut units: Vec<usize> = c.teachers.iter().map(|t| t.unit).collect();
    units.dedup();
    let every = (schedule.epochs as usize / 10).max(1);
    for &u in &units {
        let _ = write!(out, "{} ER without teacher, Hz:\n{:>14}", c.units[u].name, "epoch");
        for p in &schedule.patterns {
            let _ = write!(out, " {p:>9}");
        }
        out.push('\n');
        let mut rows: BTreeMap<(u8, u32), Vec<f64>> = BTreeMap::new();
        for s in shown {
            let key = (s.kind as u8, s.epoch);
            if s.kind == ExampleKind::Training
                && !(s.epoch as usize).is_multiple_of(every)
                && s.epoch + 1 != schedule.epochs
            {
                continue;
            }
            rows.entry(key).or_insert_with(|| vec![f64::NAN; schedule.patterns.len()])[s.pattern] = s.er_free_hz[u];
        }
        for ((k, e), v) in rows {
            let label = match k {
                0 => "test before".to_string(),
                2 => "test after".to_string(),
                _ => format!("{e}"),
            };
            let _ = write!(out, "{label:>14}");
            for x in v {
                let _ = write!(out, " {x:>9.3}");
            }
            out.push('\n');
        }
    }
    if let Some(last) = shown.last() {
        let w0 = c.weights();
        let _ = writeln!(out, "plastic weights (start -> end):");
        for (k, l) in c.links.iter().enumerate() {
            if l.rule.is_some() {
                let _ = writeln!(out, "  {:<24} {:.4} -> {:.4}", l.name, w0[k], last.weights[k]);
            }
        }
    }
    out
}

/// One row per example: epoch, kind, pattern, then ER/BP (free and during learning) per unit and
/// every plastic weight at the example's end.
pub fn tsv(c: &Circuit, schedule: &ExampleSchedule, shown: &[Presented]) -> String {
    let mut out = String::from("epoch\tkind\tpattern");
    for u in &c.units {
        out += &format!("\t{0}_er_free_hz\t{0}_bp_free\t{0}_er_hz\t{0}_bp", u.name);
    }
    let plastic: Vec<usize> = (0..c.links.len()).filter(|&k| c.links[k].rule.is_some()).collect();
    for &k in &plastic {
        out += &format!("\tw_{}", c.links[k].name);
    }
    out.push('\n');
    for s in shown {
        out += &format!("{}\t{}\t{}", s.epoch, kind_name(s.kind), schedule.patterns[s.pattern]);
        for u in 0..c.units.len() {
            out += &format!("\t{}\t{}\t{}\t{}", s.er_free_hz[u], s.bp_free[u], s.er_hz[u], s.bp[u]);
        }
        for &k in &plastic {
            out += &format!("\t{}", s.weights[k]);
        }
        out.push('\n');
    }
    out
}
