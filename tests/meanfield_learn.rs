//! A `[protocol]`'s training run in the mean field (`burstsim meanfield --learn`,
//! src/meanfield/learn.rs): the examples in the run's order, pattern currents, teachers and the
//! quasi-static drift, checked against the transfer functions and the BurstCCN rule by hand.

use burstsim::engine::ExampleKind;
use burstsim::meanfield::learn;
use burstsim::meanfield::solve::{self, Lookup, Transfer};
use burstsim::meanfield::transfer::{self, Grid, SweepSpec};
use burstsim::model::{self, Overrides};
use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;

/// a (driven by constant currents) -> b, plastic (BurstCCN rule) with a tiny weight, so that the
/// weight hardly moves b's rates and one example's drift is the rule at one state; a named
/// somatic current `x` into b that the patterns set, and a linear teacher on b's dendrite.
const MODEL: &str = r#"
[simulation]
dt_ms = 0.1
seed = 4

[[population]]
name = "a"
kind = "burst_poisson"
size = 200
[[population]]
name = "b"
kind = "burst_poisson"
size = 200

[[input]]
kind = "constant_current"
target = "a"
compartment = "soma"
current_pa = 250.0
[[input]]
name = "x"
kind = "constant_current"
target = "b"
compartment = "soma"
current_pa = 0.0
[[input]]
kind = "constant_current"
target = "b"
compartment = "dendrite"
current_pa = 200.0

[[projection]]
name = "ff"
from = "a"
to = "b"
target = "soma"
receptor = "exc"
connect = { p = 0.1 }
weight = 1e-4
transmit = "events"
transmit_trace = "immediate"
plasticity = { rule = "burstccn", eta = 0.00001, tau_pre_ms = 100.0, p_baseline = 0.3 }

[[teacher]]
name = "t"
target = "b"
compartment = "dendrite"
tau_avg_ms = 500.0
rate_0_hz = 2.0
rate_1_hz = 10.0
error = "linear"
gain_pa_per_hz = 40.0
max_pa = 250.0
update = "every_step"

[protocol]
burn_in_ms = 500.0
example_ms = 1000.0
learning_ms = 600.0
epochs = 3
order = "shuffled"
[[protocol.pattern]]
name = "lo"
current_pa = { x = 100.0 }
target = { t = 1.0 }
[[protocol.pattern]]
name = "hi"
current_pa = { x = 300.0 }
target = { t = 0.0 }
"#;

fn with_background(text: &str) -> String {
    let mut s = text.to_string();
    for pop in ["a", "b"] {
        for (c, r, rate, w) in [
            ("soma", "exc", 150.0, 0.385),
            ("soma", "inh", 150.0, 0.49),
            ("dendrite", "exc", 500.0, 0.05),
            ("dendrite", "inh", 500.0, 0.05),
        ] {
            s += &format!(
                "[[input]]\nkind = \"poisson\"\ntarget = \"{pop}\"\ncompartment = \"{c}\"\nreceptor = \"{r}\"\nrate_hz = {rate}\nweight = {w}\n"
            );
        }
    }
    s
}

#[test]
fn a_mean_field_training_run_presents_the_schedule_with_its_currents_teachers_and_drift() {
    let text = with_background(MODEL);
    let spec = SweepSpec {
        population: "b".into(),
        grid: Grid {
            soma_pa: vec![0.0, 100.0, 200.0, 300.0, 400.0],
            dend_pa: vec![-100.0, 100.0, 300.0, 500.0],
            neurons: 60,
            duration_ms: 1000.0,
            warmup_ms: 300.0,
            seeds: vec![1],
        },
        threads: 2,
        as_name: None,
    };
    let table = transfer::measure(&text, "learn.toml", &spec, &|_| {}).expect("sweep runs");
    let tr = Arc::new(Transfer::new(table, 20.0).unwrap());
    let built = model::from_str(&text, "learn.toml", "learn", &Overrides::default()).unwrap();
    let c = solve::circuit(&text, "learn.toml", &built, &|_| tr.clone(), Lookup::Fit).unwrap();
    let (ua, ub) = (0, 1);
    assert_eq!((c.units[ua].name.as_str(), c.units[ub].name.as_str()), ("a", "b"));
    assert_eq!(c.named_inputs.len(), 1);
    assert_eq!(c.teachers.len(), 1);
    let schedule = built.network.examples();
    let currents: Vec<BTreeMap<String, f64>> =
        vec![[("x".to_string(), 100.0)].into(), [("x".to_string(), 300.0)].into()];
    let drives = learn::pattern_drives(&c, &currents);
    // the pattern replaces the file's current (0 pA) on b's soma, nothing else
    assert_eq!(drives[0].soma_pa, vec![0.0, 100.0]);
    assert_eq!(drives[1].soma_pa, vec![0.0, 300.0]);
    let shown = learn::learn(&c, schedule, &drives, (1000.0, 600.0), 200.0, &mut |_, _| {});
    // every example of the spiking run, in its order: 2 tests, 3 shuffled epochs of 2, 2 tests
    assert_eq!(shown.len(), schedule.examples.len());
    assert_eq!(shown.len(), 10);
    for (s, e) in shown.iter().zip(&schedule.examples) {
        assert_eq!((s.pattern, s.epoch, s.kind), (e.pattern, e.epoch, e.kind));
        assert!(s.converged);
    }
    let r = 1e-5 * 100.0 * 1e-3; // eta tau_pre (s)
    let mut w = c.weights()[0]; // the projection's mean weight (f32 synapses)
    for s in &shown {
        let y = if s.pattern == 0 { 1.0 } else { 0.0 };
        // free state: b's ER and BP are its transfer functions at the pattern's currents (the
        // projection's 1e-4 conductance adds ~0.05 pA, 0.002 Hz)
        let soma = [100.0, 300.0][s.pattern];
        // (the circuit's lookup: the fits, or the table where a fit misses it, which depends on
        // the sweep's random numbers)
        let er_free = c.respond(ub, soma, 200.0).0;
        assert!((s.er_free_hz[ub] - er_free).abs() < 0.01, "{} vs {er_free}", s.er_free_hz[ub]);
        if s.kind != ExampleKind::Training {
            // tests neither teach nor learn
            assert_eq!(s.weights[0], w);
            assert_eq!((s.er_hz[ub], s.bp[ub]), (s.er_free_hz[ub], s.bp_free[ub]));
            continue;
        }
        // the teacher's current is the engine's function of b's event rate and the target; the
        // dendrite takes it and BP follows (BP depends on I_d and, weakly, on I_s)
        let i_t = c.teachers[0].teacher.current_for(y, s.er_hz[ub]);
        let bp = c.respond(ub, soma, 200.0 + i_t).1;
        // (to 1e-4: the damped iteration stops within ~0.01 pA of its fixed point, BP rises
        // 0.004 per pA of dendritic current)
        assert!((s.bp[ub] - bp).abs() < 1e-4, "BP under the teacher {} vs {bp}", s.bp[ub]);
        // target 1 at ~3-6 Hz (below 10 Hz) raises BP, target 0 (above 2 Hz) lowers it
        assert!(if y == 1.0 { s.bp[ub] > s.bp_free[ub] + 0.02 } else { s.bp[ub] < s.bp_free[ub] - 0.02 });
        // the drift over the 0.6 s learning window: eta tau_pre E_pre (B - p_b E) per second
        let dw = r * s.er_hz[ua] * s.er_hz[ub] * (s.bp[ub] - 0.3) * 0.6;
        assert!((s.weights[0] - w - dw).abs() < 1e-9 + 1e-6 * dw.abs(), "dw {} vs {dw}", s.weights[0] - w);
        w = s.weights[0];
    }
}

#[test]
fn the_learn_options_name_what_is_missing() {
    let bin = env!("CARGO_BIN_EXE_burstsim");
    let dir = std::env::temp_dir().join(format!("burstsim-mf-learn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("noprotocol.toml");
    let text = with_background(
        &MODEL[..MODEL.find("[[teacher]]").unwrap()].replace("seed = 4", "seed = 4\nduration_ms = 100.0"),
    );
    std::fs::write(&path, text).unwrap();
    let o = Command::new(bin)
        .args(["meanfield", path.to_str().unwrap(), "--learn", "--quiet", "--neurons", "20"])
        .args(["--duration-ms", "200", "--warmup-ms", "50", "--seeds", "1", "--soma-pa", "0:200:100"])
        .args(["--dend-pa", "0:200:100"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("--learn") && err.contains("no [protocol]"), "{err}");
    let o = Command::new(bin).args(["meanfield", path.to_str().unwrap(), "--own-baselines"]).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("--learn"), "{err}");
    // the whole model: one TSV row per example of the run (2 + 3 x 2 + 2), units' and plastic
    // weights' columns, and the test-after weights are the last training example's
    let full = dir.join("learn.toml");
    std::fs::write(&full, with_background(MODEL)).unwrap();
    let tsv = dir.join("learn.tsv");
    let o = Command::new(bin)
        .args(["meanfield", full.to_str().unwrap(), "--learn", "--quiet", "--neurons", "30", "--seeds", "1"])
        .args(["--duration-ms", "500", "--warmup-ms", "100", "--soma-pa", "0:400:100", "--dend-pa", "-100:500:200"])
        .args(["--tsv", tsv.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("b ER without teacher") && out.contains("test after") && out.contains("10 examples"), "{out}");
    let text = std::fs::read_to_string(&tsv).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 11);
    assert_eq!(rows[0].len(), 3 + 2 * 4 + 1);
    assert_eq!(rows[0][11], "w_ff");
    assert!(rows.iter().all(|r| r.len() == rows[0].len()));
    assert_eq!(rows[1][1], "test_before");
    assert_eq!(rows[10][1], "test_after");
    assert_eq!(rows[10][11], rows[8][11]);
    let _ = std::fs::remove_dir_all(&dir);
}
