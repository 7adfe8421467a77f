//! State recording (`[[output.state]]`, issue 9 item 4): /state/<population>/<variable> holds the
//! sampled trajectories, aligned with /spikes, with units, and survives an interrupted run.

mod common;

use burstsim::model::{self, Overrides};
use hdf5_metno as h5;

/// Spec 1.4, one step of the pyramidal neuron in SI units and f64, with the device phase (the
/// injected currents after the threshold check), transcribed by hand as in the unit test of
/// src/neuron/pyramidal.rs; no synaptic input here. State: (vs, vd, ws, wd, thr, bAP countdown).
fn si_step(s: &mut [f64; 5], c: &mut u32, i_soma: f64, i_dend: f64) -> bool {
    let dt = 1e-4;
    let (tau_s, cs, gs, b, tau_ws) = (16e-3, 370e-12, 1300e-12, 200e-12, 100e-3);
    let (tau_d, cd, gd, a, tau_wd) = (7e-3, 170e-12, 1200e-12, 13e-9, 30e-3);
    let (el, ethr, tau_thr, ed, dd, zeta) = (-70e-3, -50e-3, 27e-3, -38e-3, 6e-3, 2600e-12);
    let [vs, vd, ws, wd, thr] = s;
    let f = 1.0 / (1.0 + (-(*vd - ed) / dd).exp());
    *vs += dt / tau_s * (el - *vs) + dt / cs * (-b) * *ws + dt / cs * gs * f;
    *vd += dt / tau_d * (el - *vd) + dt / cd * (-a) * *wd + dt / cd * gd * f;
    if *c > 0 {
        *vd += dt * zeta / cd;
        *c -= 1;
    }
    *ws *= (-dt / tau_ws).exp();
    *wd += dt / tau_wd * ((*vd - el) - *wd);
    *thr += dt / tau_thr * (ethr - *thr);
    let spike = *vs > *thr;
    if spike {
        *vs = -70e-3;
        *thr += 2e-3;
        *ws += 1.0;
        *c = 20;
    }
    *vs += dt * i_soma / cs;
    *vd += dt * i_dend / cd;
    spike
}

const SINGLE: &str = r#"
[simulation]
duration_ms = 60.0
[[population]]
name = "pyr"
kind = "pyramidal"
size = 1
[[input]]
kind = "constant_current"
target = "pyr"
compartment = "soma"
current_pa = 600.0
[[input]]
kind = "constant_current"
target = "pyr"
compartment = "dendrite"
current_pa = 300.0
[[output.state]]
population = "pyr"
variables = ["V_s", "V_d", "threshold"]
"#;

fn read_f32(f: &h5::File, path: &str) -> Vec<f32> {
    f.dataset(path).unwrap_or_else(|e| panic!("{path}: {e}")).read_raw::<f32>().unwrap()
}

#[test]
fn recorded_v_s_follows_the_hand_computed_trajectory() {
    let m = model::from_str(SINGLE, "single.toml", "single", &Overrides::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.h5");
    common::run_to(m, &out, 1);
    let f = h5::File::open(&out).unwrap();
    let t = f.dataset("state/pyr/time_ms").unwrap().read_raw::<f64>().unwrap();
    let ids = f.dataset("state/pyr/node_ids").unwrap().read_raw::<u64>().unwrap();
    let vs = f.dataset("state/pyr/V_s").unwrap();
    assert_eq!(vs.shape(), vec![600, 1], "every step of 60 ms, one neuron");
    assert_eq!(ids, vec![0]);
    let units: h5::types::VarLenUnicode = vs.attr("units").unwrap().read_scalar().unwrap();
    assert_eq!(units.as_str(), "mV");
    let (vs, vd, thr) =
        (read_f32(&f, "state/pyr/V_s"), read_f32(&f, "state/pyr/V_d"), read_f32(&f, "state/pyr/threshold"));
    let (spikes, _) = common::read_spikes(&out, "spikes", "pyr");
    // Initial state: V_s = V_d = E_L, w_s = 0, w_d = 0.1 mV, theta = E_theta; no bAP running.
    let mut s = [-70e-3, -70e-3, 0.0, 0.1e-3, -50e-3];
    let mut c = 0;
    let mut si_spikes = vec![];
    for k in 0..600 {
        assert!((t[k] - k as f64 * 0.1).abs() < 1e-9, "sample {k} at {}", t[k]);
        if si_step(&mut s, &mut c, 600e-12, 300e-12) {
            si_spikes.push(k as f64 * 0.1);
        }
        // f32 state drifts from the f64 transcription by ~1e-4 mV (as in the unit test).
        for (name, rec, si) in [("V_s", vs[k], s[0]), ("V_d", vd[k], s[1]), ("threshold", thr[k], s[4])] {
            assert!((rec as f64 - si * 1e3).abs() < 1e-2, "{name} at step {k}: {rec} vs {}", si * 1e3);
        }
    }
    assert!(si_spikes.len() >= 3, "the trajectory must exercise spikes");
    assert_eq!(spikes.len(), si_spikes.len());
    for (a, b) in spikes.iter().zip(&si_spikes) {
        assert!((a - b).abs() < 1e-9);
    }
}

/// Synaptic drive only (no injected current): the sample of the step in which a neuron spiked
/// holds V_reset = -70 mV exactly, for every spike of every recorded neuron; the sample before
/// it is above the (moving) threshold's resting value.
#[test]
fn a_spike_is_followed_by_the_reset_value() {
    let text = r#"
[simulation]
duration_ms = 500.0
[[population]]
name = "pyr"
kind = "pyramidal"
size = 20
[[input]]
kind = "poisson"
target = "pyr"
compartment = "soma"
receptor = "exc"
rate_hz = 2000.0
weight = 0.2
[[output.state]]
population = "pyr"
variables = ["V_s"]
neurons = "5..15"
"#;
    let m = model::from_str(text, "reset.toml", "reset", &Overrides::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.h5");
    common::run_to(m, &out, 2);
    let f = h5::File::open(&out).unwrap();
    let v = read_f32(&f, "state/pyr/V_s");
    assert_eq!(f.dataset("state/pyr/node_ids").unwrap().read_raw::<u64>().unwrap(), (5..15).collect::<Vec<u64>>());
    let (t, ids) = common::read_spikes(&out, "spikes", "pyr");
    let mut checked = 0;
    for (&tk, &id) in t.iter().zip(&ids) {
        if !(5..15).contains(&id) {
            continue;
        }
        let step = (tk / 0.1).round() as usize;
        let col = id as usize - 5;
        assert_eq!(v[step * 10 + col], -70.0, "neuron {id} spiked at {tk} ms");
        if step > 0 {
            assert!(v[(step - 1) * 10 + col] > -52.0, "before the spike V_s was near threshold");
        }
        checked += 1;
    }
    assert!(checked > 20, "only {checked} spikes checked");
}

/// A run stopped half-way (the Ctrl-C path) keeps /state readable with every sample up to the
/// stop, each row complete; STP u and x of a projection are recorded per presynaptic neuron.
#[test]
fn an_interrupted_run_keeps_state_and_stp_readable() {
    let text = r#"
[simulation]
duration_ms = 10000000.0
[[population]]
name = "pre"
kind = "poisson"
size = 30
rate_hz = 20.0
[[population]]
name = "post"
kind = "lif"
size = 10
[[projection]]
name = "std"
from = "pre"
to = "post"
target = "soma"
receptor = "exc"
connect = "all_to_all"
weight = 0.05
stp = { preset = "depressing", u_init = 0.9 }
[[output.state]]
population = "post"
variables = ["all"]
every_ms = 1.0
[[output.state]]
projection = "std"
variables = ["u", "x"]
neurons = [0, 3, 7]
"#;
    let m = model::from_str(text, "stop.toml", "stop", &Overrides::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("stop.h5");
    let stop = std::sync::atomic::AtomicBool::new(false);
    let n_steps = m.n_steps;
    // Hold the lock before the stopper starts its clock, so that the run is already going.
    let _guard = common::SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    std::thread::scope(|sc| {
        sc.spawn(|| {
            // Stop after a while, as a Ctrl-C handler would (the run would take minutes).
            std::thread::sleep(std::time::Duration::from_millis(300));
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        let opts = burstsim::run::RunOptions {
            out: Some(out.to_string_lossy().into_owned()),
            threads: Some(1),
            quiet: true,
            stop: Some(&stop),
            timings: false,
            force: false,
            invocation: Default::default(),
            ..Default::default()
        };
        let s = burstsim::run::run(m, opts).unwrap();
        assert!(!s.complete && s.steps < n_steps, "the run should have been stopped early");
    });
    let f = h5::File::open(&out).unwrap();
    let t_stop: f64 = f.attr("t_stop_ms").unwrap().read_scalar().unwrap();
    let t = f.dataset("state/post/time_ms").unwrap().read_raw::<f64>().unwrap();
    assert!(!t.is_empty() && *t.last().unwrap() < t_stop && t_stop - t.last().unwrap() <= 1.0 + 1e-9);
    let v = f.dataset("state/post/V").unwrap();
    assert_eq!(v.shape(), vec![t.len(), 10], "one complete row per sample");
    let u = f.dataset("state/std/u").unwrap();
    let x = read_f32(&f, "state/std/x");
    assert_eq!(u.shape()[1], 3);
    let u = u.read_raw::<f32>().unwrap();
    // u starts at 0.9 (u_init = U) and x at 1; 20 Hz depressing input keeps x below 1 later.
    assert!((u[0] - 0.9).abs() < 1e-6 && x[0] <= 1.0);
    assert!(x.iter().all(|&x| (0.0..=1.0).contains(&x)) && x.iter().any(|&x| x < 0.5));
}

#[test]
fn bad_state_entries_are_refused_with_the_key() {
    let bad = |from: &str, to: &str, parts: &[&str]| {
        let text = SINGLE.replace(from, to);
        assert_ne!(text, SINGLE, "{from}");
        let e = model::from_str(&text, "models/s.toml", "s", &Overrides::default()).unwrap_err().to_string();
        assert!(e.starts_with("models/s.toml"), "{e}");
        for p in parts {
            assert!(e.contains(p), "`{p}` missing from: {e}");
        }
    };
    bad("\"V_s\", \"V_d\"", "\"V_x\"", &["`variables` = \"V_x\"", "V_s", "threshold"]);
    bad(
        "population = \"pyr\"\nvariables",
        "population = \"pyramids\"\nvariables",
        &["`population` = \"pyramids\"", "known: pyr"],
    );
    bad(
        "variables = [\"V_s\", \"V_d\", \"threshold\"]",
        "variables = [\"V_s\"]\nneurons = \"0..5\"",
        &["`neurons`", "below 1"],
    );
    bad(
        "variables = [\"V_s\", \"V_d\", \"threshold\"]",
        "variables = [\"V_s\"]\nevery_ms = 0.15",
        &["every_ms", "multiple of the time step, dt_ms"],
    );
    bad("variables = [\"V_s\", \"V_d\", \"threshold\"]", "variables = [\"V_s\"]\nperiod_ms = 1", &["period_ms"]);
}
