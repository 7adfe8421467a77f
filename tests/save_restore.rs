//! Saving and continuing runs (issue 15 item 4): a run cut in two by `--save-state` and
//! `--restore` gives the spikes, events, bursts, example scores and final state of the run done in
//! one go, bit for bit, whatever the threads of either part; periodic and interrupted saves are
//! valid states; `--weights-from` starts a new run from learned weights; bad state files and
//! mismatched models are refused with messages that name them.

mod common;

use hdf5_metno as h5;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs burstsim in `dir` with `args`; returns (success, stderr).
fn burstsim(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = common::output(Command::new(common::bin()).current_dir(dir).args(args));
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn ok(dir: &Path, args: &[&str]) {
    let (success, err) = burstsim(dir, args);
    assert!(success, "{args:?}: {err}");
}

fn refused(dir: &Path, args: &[&str], expected: &[&str]) {
    let (success, err) = burstsim(dir, args);
    assert!(!success, "{args:?} should be refused");
    for e in expected {
        assert!(err.contains(e), "{args:?}: expected {e:?} in: {err}");
    }
}

/// Every dataset under `group` of `file`, as raw bytes, by path.
fn datasets(file: &Path, group: &str) -> BTreeMap<String, Vec<u8>> {
    let _guard = common::SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let f = h5::File::open(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut out = BTreeMap::new();
    let Ok(root) = f.group(group) else { return out };
    let mut pending = vec![(root, group.to_string())];
    while let Some((g, prefix)) = pending.pop() {
        for name in g.member_names().unwrap() {
            let key = format!("{prefix}/{name}");
            if let Ok(sub) = g.group(&name) {
                pending.push((sub, key));
                continue;
            }
            let d = g.dataset(&name).unwrap();
            let size = d.dtype().unwrap().size();
            let bytes: Vec<u8> = match size {
                1 => d.read_raw::<u8>().unwrap(),
                4 => d.read_raw::<u32>().unwrap().iter().flat_map(|x| x.to_le_bytes()).collect(),
                8 => d.read_raw::<u64>().unwrap().iter().flat_map(|x| x.to_le_bytes()).collect(),
                s => panic!("{key}: element size {s}"),
            };
            out.insert(key, bytes);
        }
    }
    out
}

fn attr_f64(file: &Path, name: &str) -> f64 {
    let _guard = common::SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    h5::File::open(file).unwrap().attr(name).unwrap().read_scalar().unwrap()
}

/// Times are step x dt: equal to a time written in ms up to rounding (287.1 + 0.1 is not 2872 x 0.1).
fn assert_ms(got: f64, expected: f64) {
    assert!((got - expected).abs() < 1e-9, "{got} ms, expected {expected} ms");
}

/// The spike, event and burst lists and the binned rates of `whole` are those of `first` followed
/// by `second`, byte for byte (the first part's partial bin is dropped, the second completes it);
/// returns the number of spikes compared.
fn assert_concatenated(whole: &Path, first: &Path, second: &Path) -> usize {
    let mut compared = 0;
    for group in ["spikes", "events", "bursts", "rates"] {
        let (w, a, b) = (datasets(whole, group), datasets(first, group), datasets(second, group));
        assert_eq!(w.keys().collect::<Vec<_>>(), a.keys().collect::<Vec<_>>(), "{group}");
        assert_eq!(w.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>(), "{group}");
        for (k, bytes) in &w {
            let joined: Vec<u8> = a[k].iter().chain(&b[k]).copied().collect();
            assert!(*bytes == joined, "{k}: the continued run differs from the run in one go");
            if k.ends_with("timestamps") {
                compared += bytes.len() / 8;
            }
        }
    }
    compared
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// The XOR circuit of issue 14 (stochastic-burst pyramidal units, SST, events-only and
/// bursts-only projections with delays, BurstCCN plasticity, teacher, shuffled examples), with its
/// spikes and full weights recorded.
fn xor_model(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(common::root().join("models/burstccn_xor.toml")).unwrap();
    let text = text
        .replace("spikes = false", "spikes = true")
        .replace("[output.weights]\nevery_ms = 2000.0", "[output.weights]\nevery_ms = 500.0\nfull = true");
    assert!(text.contains("full = true"), "the model's [output.weights] changed: update this test");
    let p = dir.join("xor.toml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn a_run_saved_and_continued_equals_the_run_in_one_go() {
    let dir = tempdir();
    let d = dir.path();
    let m = xor_model(d);
    let m = m.to_str().unwrap();
    // 2 s of burn-in, then 2 s examples: the cut at 3.053 s falls inside an example (teacher on,
    // weights moving, spikes in the filtered projections' queues, and the Poisson drives, fused
    // into their projections, 8 steps behind the clock).
    ok(d, &["run", m, "--quiet", "--duration-ms", "5000", "--out", "whole.h5", "--save-state", "whole_state.h5"]);
    ok(d, &["run", m, "--quiet", "--duration-ms", "3053", "--out", "a.h5", "--save-state", "cut.h5"]);
    let cut = datasets(&d.join("cut.h5"), "state");
    for part in
        ["burst_rngs", "queue/pre", "plasticity/e_pre", "estimates/average_0/e_bar", "teachers/teacher/current_pa"]
    {
        assert!(
            cut.keys().any(|k| k.contains(part)),
            "the state lacks {part}: {:?}",
            cut.keys().take(20).collect::<Vec<_>>()
        );
    }
    let queued: usize = cut.iter().filter(|(k, _)| k.ends_with("queue/pre")).map(|(_, v)| v.len() / 4).sum();
    assert!(queued > 0, "no spike was pending delivery at the cut: the test would not check the queues");
    ok(
        d,
        &[
            "run",
            m,
            "--quiet",
            "--restore",
            "cut.h5",
            "--duration-ms",
            "1947",
            "--out",
            "b.h5",
            "--threads",
            "2",
            "--save-state",
            "end.h5",
        ],
    );
    assert_ms(attr_f64(&d.join("b.h5"), "t_start_ms"), 3053.0);
    assert_ms(attr_f64(&d.join("b.h5"), "t_stop_ms"), 5000.0);
    let n = assert_concatenated(&d.join("whole.h5"), &d.join("a.h5"), &d.join("b.h5"));
    assert!(n > 10_000, "only {n} spikes compared");
    // The final states agree in every array: weights, STP, estimates, detectors, queues, streams.
    let (whole, end) = (datasets(&d.join("whole_state.h5"), "state"), datasets(&d.join("end.h5"), "state"));
    assert_eq!(whole.len(), end.len());
    for (k, v) in &whole {
        assert!(end[k] == *v, "state {k} differs");
    }
    // The example scores go on from the first part: /protocol is the whole run's.
    let (pw, pb) = (datasets(&d.join("whole.h5"), "protocol"), datasets(&d.join("b.h5"), "protocol"));
    assert!(pw.keys().any(|k| k.ends_with("cost_after")) && pw == pb, "the /protocol tables differ");
    // The continued file's weight snapshots are the whole run's from the cut on.
    let (ww, wb) = (datasets(&d.join("whole.h5"), "weights"), datasets(&d.join("b.h5"), "weights"));
    let values = ww.keys().find(|k| k.ends_with("/values")).expect("full weights recorded").clone();
    let (rows_w, rows_b) = (&ww[&values], &wb[&values]);
    assert!(!rows_b.is_empty() && rows_w.ends_with(rows_b), "{values}: the snapshots after the cut differ");
}

#[test]
fn every_kind_of_neuron_and_synapse_continues_bit_identically() {
    // multiplexing: Naud pyramidal cells, PV and SST (AdEx), depressing and facilitating STP;
    // coba: LIF; plasticity_rule: the burst-dependent rule with its moving averages.
    let dir = tempdir();
    let d = dir.path();
    for (model, whole, cut) in
        [("multiplexing", "400", "170"), ("coba", "300", "120"), ("plasticity_rule", "600", "250")]
    {
        let m = common::root().join(format!("models/{model}.toml"));
        let m = m.to_str().unwrap();
        let rest = format!("{}", whole.parse::<f64>().unwrap() - cut.parse::<f64>().unwrap());
        let f = |s: &str| format!("{model}_{s}.h5");
        ok(d, &["run", m, "--quiet", "--duration-ms", whole, "--out", &f("whole"), "--save-state", &f("whole_state")]);
        ok(
            d,
            &["run", m, "--quiet", "--duration-ms", cut, "--out", &f("a"), "--save-state", &f("cut"), "--threads", "2"],
        );
        ok(
            d,
            &[
                "run",
                m,
                "--quiet",
                "--restore",
                &f("cut"),
                "--duration-ms",
                &rest,
                "--out",
                &f("b"),
                "--save-state",
                &f("end"),
            ],
        );
        let n = assert_concatenated(&d.join(f("whole")), &d.join(f("a")), &d.join(f("b")));
        assert!(n > 1000, "{model}: only {n} spikes compared");
        assert!(
            datasets(&d.join(f("whole_state")), "state") == datasets(&d.join(f("end")), "state"),
            "{model}: final states differ"
        );
    }
}

/// Inputs and changes the repository's models do not combine: a replayed spike file, a
/// sine-modulated Poisson source, per-synapse delays, a sine current, and `[[phase]]` changes on
/// both sides of the cut (a rate set before it must stay set, and the modulated source it sets
/// stays constant; a change after it must still happen).
const INPUTS: &str = r#"
[simulation]
duration_ms = 400.0
seed = 3
[[population]]
name = "rep"
kind = "spike_file"
size = 20
file = "train.csv"
[[population]]
name = "mod"
kind = "poisson"
size = 300
rate_hz = 20.0
modulation = { amplitude_hz = 15.0, period_ms = 90.0 }
[[population]]
name = "bg"
kind = "poisson"
size = 200
rate_hz = 10.0
[[population]]
name = "pyr"
kind = "pyramidal"
size = 100
[[projection]]
from = "rep"
to = "pyr"
target = "soma"
receptor = "exc"
connect = { p = 0.3 }
weight = 0.2
[[projection]]
name = "delayed"
from = "mod"
to = "pyr"
target = "dendrite"
receptor = "exc"
connect = { p = 0.1 }
weight = { uniform = [0.02, 0.08] }
delay_ms = { uniform = [0.5, 6.0] }
[[projection]]
name = "bg_pyr"
from = "bg"
to = "pyr"
target = "soma"
receptor = "exc"
connect = { p = 0.2 }
weight = 0.15
[[input]]
name = "wave"
kind = "sine_current"
target = "pyr"
compartment = "dendrite"
amplitude_pa = 100.0
period_ms = 70.0
[[phase]]
at_ms = 100.0
rate_hz = { bg = 40.0, mod = 30.0 }
[[phase]]
at_ms = 300.0
weight_scale = { bg_pyr = 0.5 }
current_pa = { wave = 300.0 }
[output]
populations = ["rep", "mod", "bg", "pyr"]
"#;

#[test]
fn replayed_and_modulated_inputs_delays_and_phases_continue_across_the_cut() {
    let dir = tempdir();
    let d = dir.path();
    let train: String = (0..400).map(|k| format!("{},{}\n", k % 20, 0.9 * k as f64 + 0.35)).collect();
    std::fs::write(d.join("train.csv"), format!("id,time_ms\n{train}")).unwrap();
    std::fs::write(d.join("inputs.toml"), INPUTS).unwrap();
    ok(d, &["run", "inputs.toml", "--quiet", "--out", "whole.h5", "--save-state", "whole_state.h5"]);
    ok(d, &["run", "inputs.toml", "--quiet", "--duration-ms", "200", "--out", "a.h5", "--save-state", "cut.h5"]);
    // without --duration-ms the continued run goes on to the model's duration_ms
    ok(
        d,
        &[
            "run",
            "inputs.toml",
            "--quiet",
            "--restore",
            "cut.h5",
            "--out",
            "b.h5",
            "--save-state",
            "end.h5",
            "--threads",
            "2",
        ],
    );
    let n = assert_concatenated(&d.join("whole.h5"), &d.join("a.h5"), &d.join("b.h5"));
    assert!(n > 5000, "only {n} spikes compared");
    assert!(
        datasets(&d.join("whole_state.h5"), "state") == datasets(&d.join("end.h5"), "state"),
        "final states differ"
    );
}

#[test]
fn periodic_saves_are_valid_states_and_an_interrupted_run_saves_where_it_stopped() {
    let dir = tempdir();
    let d = dir.path();
    let m = common::root().join("models/coba.toml");
    let m = m.to_str().unwrap();
    // A long run (60 s simulated: several seconds of wall time), saved every 100 ms, stopped by
    // SIGINT as soon as the first periodic save is there.
    let child = {
        let _guard = common::SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        Command::new(common::bin())
            .current_dir(d)
            .args([
                "run",
                m,
                "--quiet",
                "--duration-ms",
                "60000",
                "--out",
                "long.h5",
                "--save-state",
                "s.h5",
                "--save-every-ms",
                "100",
            ])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let state = d.join("s.h5");
    let t0 = std::time::Instant::now();
    while !state.exists() {
        assert!(t0.elapsed().as_secs() < 120, "no periodic save appeared");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let out = {
        let _guard = common::SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
        child.wait_with_output().unwrap()
    };
    assert_eq!(
        out.status.code(),
        Some(130),
        "an interrupted run exits with 130: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t_state = attr_f64(&state, "t_ms");
    let t_stop = attr_f64(&d.join("long.h5"), "t_stop_ms");
    assert!(t_stop < 60000.0, "the run was not interrupted");
    assert_eq!(t_state, t_stop, "the state is saved where the run stopped");
    // That state continues, and a state saved at the same time in one go is identical to it.
    let t = format!("{t_state}");
    ok(d, &["run", m, "--quiet", "--duration-ms", &t, "--out", "direct.h5", "--save-state", "direct_state.h5"]);
    assert!(
        datasets(&state, "state") == datasets(&d.join("direct_state.h5"), "state"),
        "the interrupted state differs from a run to the same time"
    );
    ok(d, &["run", m, "--quiet", "--restore", "s.h5", "--duration-ms", "50", "--out", "more.h5"]);
    // 500 more steps (times are step x dt, so compared within rounding, not as sums)
    assert_ms(attr_f64(&d.join("more.h5"), "t_stop_ms"), t_state + 50.0);
}

#[test]
fn weights_from_an_earlier_run_start_the_new_one() {
    let dir = tempdir();
    let d = dir.path();
    let m = xor_model(d);
    let m = m.to_str().unwrap();
    ok(d, &["run", m, "--quiet", "--duration-ms", "3000", "--out", "trained.h5", "--save-state", "trained_state.h5"]);
    let saved = datasets(&d.join("trained_state.h5"), "state");
    let trained = datasets(&d.join("trained.h5"), "weights");
    let mut checked = 0;
    for (source, out) in [("trained_state.h5", "from_state.h5"), ("trained.h5", "from_output.h5")] {
        ok(d, &["run", m, "--quiet", "--duration-ms", "100", "--weights-from", source, "--out", out]);
        let fresh = datasets(&d.join(out), "weights");
        for (k, v) in fresh.iter().filter(|(k, _)| k.ends_with("/values")) {
            let proj = k.trim_start_matches("weights/").trim_end_matches("/values");
            let n = v.len() / 4;
            // the new run's first snapshot (t = 0) is the learned weights: the state's, and the
            // last row of the earlier output
            let first = &v[..4 * n];
            let state_w = &saved[&format!("state/network/projections/{proj}/weights")];
            assert!(first == state_w.as_slice(), "{proj}: the new run does not start from the learned weights");
            assert!(trained[k].ends_with(first), "{proj}: not the last snapshot of the earlier run");
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} plastic projections checked");
    // Weights only carry over to the same wiring: another seed wires other synapses.
    refused(
        d,
        &[
            "run",
            m,
            "--quiet",
            "--duration-ms",
            "100",
            "--seed",
            "99",
            "--weights-from",
            "trained_state.h5",
            "--out",
            "x.h5",
        ],
        &["trained_state.h5", "wired otherwise"],
    );
    assert!(!d.join("x.h5").exists());
}

#[test]
fn bad_state_files_and_mismatched_models_are_refused_by_name() {
    let dir = tempdir();
    let d = dir.path();
    let m = common::root().join("models/multiplexing.toml");
    let m = m.to_str().unwrap();
    ok(d, &["run", m, "--quiet", "--duration-ms", "100", "--out", "out.h5", "--save-state", "s.h5"]);
    // An output file is not a state file.
    refused(
        d,
        &["run", m, "--quiet", "--restore", "out.h5", "--duration-ms", "10", "--out", "x.h5"],
        &["out.h5", "not a state file"],
    );
    refused(
        d,
        &["run", m, "--quiet", "--restore", "missing.h5", "--out", "x.h5"],
        &["missing.h5", "no such state file"],
    );
    std::fs::write(d.join("junk.h5"), "not hdf5").unwrap();
    refused(d, &["run", m, "--quiet", "--restore", "junk.h5", "--out", "x.h5"], &["junk.h5"]);
    // Another model: the message names the state file and the first arrays that do not fit.
    let coba = common::root().join("models/coba.toml");
    refused(
        d,
        &["run", coba.to_str().unwrap(), "--quiet", "--restore", "s.h5", "--duration-ms", "10", "--out", "x.h5"],
        &["s.h5", "does not fit the model", "network/populations/"],
    );
    // The seed is the saved run's.
    refused(
        d,
        &["run", m, "--quiet", "--restore", "s.h5", "--seed", "7", "--duration-ms", "10", "--out", "x.h5"],
        &["--seed 7", "seed 1"],
    );
    // A model whose duration is already past: say how to go on.
    let short = std::fs::read_to_string(m).unwrap().replace("duration_ms = 4000.0", "duration_ms = 50.0");
    std::fs::write(d.join("short.toml"), short).unwrap();
    refused(
        d,
        &["run", "short.toml", "--quiet", "--restore", "s.h5", "--out", "x.h5"],
        &["s.h5", "100 ms", "--duration-ms"],
    );
    assert!(!d.join("x.h5").exists(), "a refused run writes nothing");
    // An existing state file is replaced only with --force, and the run does not start without it.
    refused(
        d,
        &["run", m, "--quiet", "--duration-ms", "100", "--out", "new.h5", "--save-state", "s.h5"],
        &["s.h5", "--force"],
    );
    assert!(!d.join("new.h5").exists());
    refused(
        d,
        &["run", m, "--quiet", "--duration-ms", "100", "--out", "same.h5", "--save-state", "same.h5"],
        &["output file"],
    );
    // A continued run may save over the state it resumed from, when asked.
    ok(
        d,
        &[
            "run",
            m,
            "--quiet",
            "--restore",
            "s.h5",
            "--duration-ms",
            "20",
            "--out",
            "c.h5",
            "--save-state",
            "s.h5",
            "--force",
        ],
    );
    assert_ms(attr_f64(&d.join("s.h5"), "t_ms"), 120.0);
}
