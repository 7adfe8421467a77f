//! `[protocol]`: examples presented in epochs (issue "spiking XOR" item 1, spec 7.4), expanded
//! into the timed changes the engine runs and the schedule the recorder scores.
//!
//! Layout in time: burn-in (plasticity of the learning projections off), then the tests before
//! training (each pattern once, file order), then `epochs` epochs of every pattern (file order,
//! or a fresh permutation per epoch drawn from the run seed), then the tests after training.
//! Every example sets its pattern's currents at its start. A training example of length T with a
//! learning window L runs T - L with plasticity and teachers off (the prediction), then L with the
//! plasticity of the learning projections on and the pattern's teachers on with its targets; both
//! go off at its end.

use super::checks::Ctx;
use super::teacher::{check_target, teacher_index};
use super::{Parts, Sim};
use crate::engine::{Action, Example, ExampleKind, ExampleSchedule};
use crate::model::error::ModelError;
use crate::model::schema::{ExampleOrder, ExamplesSpec};
use crate::rng::{stream_rng, Stream};
use rand::RngExt as _;

const SECTION: &str = "[protocol]";

/// The checked durations of a protocol, in steps.
struct Timing {
    burn_in: u64,
    example: u64,
    learning: u64,
    epochs: u64,
}

fn timing(cx: &Ctx, dt: f64, spec: &ExamplesSpec) -> Result<Timing, ModelError> {
    let burn_in = cx.steps(
        SECTION,
        "burn_in_ms",
        cx.non_negative(SECTION, "burn_in_ms", spec.burn_in_ms, "duration in ms")?,
        dt,
    )?;
    let example_ms = cx.positive(SECTION, "example_ms", spec.example_ms, "duration in ms")?;
    let example = cx.steps(SECTION, "example_ms", example_ms, dt)?;
    let learning_ms = cx.positive(SECTION, "learning_ms", spec.learning_ms, "duration in ms")?;
    let learning = cx.steps(SECTION, "learning_ms", learning_ms, dt)?;
    // learning_ms = example_ms is the single phase (plasticity and teachers on for whole examples)
    if learning > example {
        return Err(cx.invalid(
            SECTION,
            "learning_ms",
            learning_ms,
            format!("a learning window no longer than example_ms ({example_ms} ms; equal for a single phase)"),
        ));
    }
    if !(0..=10_000_000).contains(&spec.epochs) {
        return Err(cx.invalid(SECTION, "epochs", spec.epochs, "a number of epochs from 0 to 10 000 000"));
    }
    if spec.patterns.is_empty() {
        return Err(cx.invalid(SECTION, "[[protocol.pattern]]", "(none)", "at least one pattern"));
    }
    Ok(Timing { burn_in, example, learning, epochs: spec.epochs as u64 })
}

/// The protocol's length in ms (the run's duration when `duration_ms` is left out).
pub(super) fn length_ms(cx: &Ctx, dt: f64, spec: &ExamplesSpec) -> Result<f64, ModelError> {
    let t = timing(cx, dt, spec)?;
    let n = spec.patterns.len() as u64;
    let tests = u64::from(spec.test_before) + u64::from(spec.test_after);
    Ok((t.burn_in + (tests + t.epochs) * n * t.example) as f64 * dt)
}

/// The changes and the schedule of `spec`.
pub(super) fn expand(
    cx: &Ctx,
    sim: &Sim,
    spec: &ExamplesSpec,
    parts: &Parts,
) -> Result<(Vec<(u64, Action)>, ExampleSchedule), ModelError> {
    let t = timing(cx, sim.dt, spec)?;
    let projections = parts.net.projections();
    let plastic: Vec<usize> = match &spec.plastic {
        None => (0..projections.len()).filter(|&k| projections[k].plasticity().is_some()).collect(),
        Some(names) => names
            .iter()
            .map(|name| {
                let k = projections.iter().position(|p| p.name() == name).ok_or_else(|| {
                    cx.unknown_name(SECTION, "plastic", name, "a projection name", projections.iter().map(|p| p.name()))
                })?;
                if projections[k].plasticity().is_none() {
                    return Err(cx.invalid(SECTION, "plastic", format!("\"{name}\""), "a plastic projection"));
                }
                Ok(k)
            })
            .collect::<Result<_, _>>()?,
    };
    let n_teachers = parts.net.teachers().len();
    // per pattern: its current changes and its teacher targets, checked once
    let mut currents = Vec::new();
    let mut targets = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for (p, pat) in spec.patterns.iter().enumerate() {
        let sec = format!("[[protocol.pattern]] {p} ({:?})", pat.name);
        if names.contains(&pat.name) {
            return Err(cx.invalid(&sec, "name", format!("\"{}\"", pat.name), "a name no other pattern has"));
        }
        names.push(pat.name.clone());
        let mut acts = Vec::new();
        for (name, &pa) in &pat.current_pa {
            acts.push(super::protocol::current_action(cx, &sec, "current_pa", name, pa, parts)?);
        }
        currents.push(acts);
        let mut ys = vec![None; n_teachers];
        for (name, &y) in &pat.target {
            let k = teacher_index(cx, parts, &sec, "target", name)?;
            ys[k] = Some(check_target(cx, parts, &sec, &format!("target.{name}"), k, y)?);
        }
        targets.push(ys);
    }
    let n = spec.patterns.len();
    let mut actions: Vec<(u64, Action)> =
        plastic.iter().map(|&k| (0, Action::Plasticity { projection: k, on: false })).collect();
    let mut examples = Vec::new();
    let mut start = t.burn_in;
    let mut present = |kind: ExampleKind, epoch: u32, order: &[usize], actions: &mut Vec<(u64, Action)>| {
        for &p in order {
            let end = start + t.example;
            actions.extend(currents[p].iter().map(|a| (start, a.clone())));
            let learn_step = (kind == ExampleKind::Training).then(|| end - t.learning);
            if let Some(l) = learn_step {
                for &k in &plastic {
                    actions.push((l, Action::Plasticity { projection: k, on: true }));
                    actions.push((end, Action::Plasticity { projection: k, on: false }));
                }
                for (teacher, y) in targets[p].iter().enumerate() {
                    if let Some(y) = *y {
                        actions.push((l, Action::Teacher { teacher, target: Some(y) }));
                        actions.push((end, Action::Teacher { teacher, target: None }));
                    }
                }
            }
            examples.push(Example { epoch, kind, pattern: p, start_step: start, learn_step, end_step: end });
            start = end;
        }
    };
    let file_order: Vec<usize> = (0..n).collect();
    if spec.test_before {
        present(ExampleKind::TestBefore, 0, &file_order, &mut actions);
    }
    for epoch in 0..t.epochs {
        let order = match spec.order {
            ExampleOrder::Fixed => file_order.clone(),
            ExampleOrder::Shuffled => {
                // Fisher-Yates from a stream of the run seed labelled by the epoch
                let mut rng = stream_rng(sim.seed, Stream::Examples, &[epoch]);
                let mut o = file_order.clone();
                for i in (1..n).rev() {
                    o.swap(i, rng.random_range(0..=i));
                }
                o
            }
        };
        present(ExampleKind::Training, epoch as u32, &order, &mut actions);
    }
    if spec.test_after {
        present(ExampleKind::TestAfter, t.epochs as u32, &file_order, &mut actions);
    }
    // the changes of examples past the end of the run never apply: drop them (the run may be
    // shortened on purpose with --duration-ms), and keep only the examples that start in it
    actions.retain(|(s, _)| *s < sim.n_steps);
    examples.retain(|e| e.start_step < sim.n_steps);
    Ok((actions, ExampleSchedule { patterns: names, targets, examples, epochs: t.epochs as u32 }))
}
