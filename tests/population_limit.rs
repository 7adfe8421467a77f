//! The population limit (issue 13): the transfer sweep, the STP efficacies and the mean field
//! against spiking simulations.

use burstsim::meanfield::efficacy::{self, TrainShape};
use burstsim::meanfield::solve::{self, Lookup, Transfer};
use burstsim::meanfield::transfer::{self, Grid, SweepSpec, TransferTable};
use burstsim::model::{self, Overrides};
use burstsim::neuron::StateVector;
use burstsim::synapse::{Stp, StpParams};
use std::process::Command;
use std::sync::Arc;

fn spec(population: &str, soma: &[f64], dend: &[f64], neurons: usize, ms: f64, seeds: u64) -> SweepSpec {
    SweepSpec {
        population: population.into(),
        grid: Grid {
            soma_pa: soma.to_vec(),
            dend_pa: dend.to_vec(),
            neurons,
            duration_ms: ms,
            warmup_ms: 500.0,
            seeds: (1..=seeds).collect(),
        },
        threads: 2,
        as_name: None,
    }
}

fn sweep(text: &str, s: &SweepSpec) -> TransferTable {
    transfer::measure(text, "test.toml", s, &|_| {}).expect("sweep runs")
}

fn sigma(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// A stochastic-burst population without background: its dendrite is a deterministic leaky
/// compartment with adaptation, so every grid point has a known potential and burst probability.
const NOISELESS: &str = r#"
[simulation]
dt_ms = 0.1
duration_ms = 100.0
seed = 3

[[population]]
name = "cell"
kind = "burst_poisson"
size = 10
"#;

#[test]
fn the_sweep_gives_each_grid_point_its_own_currents() {
    let dend = [-100.0, 0.0, 200.0];
    let t = sweep(NOISELESS, &spec("cell", &[550.0, 650.0], &dend, 50, 2000.0, 2));
    let nd = dend.len();
    for (j, &i_d) in dend.iter().enumerate() {
        // steady state of C_d dV/dt = -g_L (V - E_L) - a_wd w_d + I, w_d = V - E_L (spec 1.7):
        // V = E_L + I / (g_L + a_wd), g_L = 170 pF / 7 ms; the device phase adds dt I / C after the
        // integration, which shifts the sampled value by O(dt I a / (C (g_L + a))) < 0.05 mV
        let v = -70.0 + i_d / (170.0 / 7.0 + 13.0);
        for i in 0..2 {
            let k = i * nd + j;
            assert!((t.v_d.mean[k] - v).abs() < 0.1, "I_d {i_d}: V_d {} vs {v}", t.v_d.mean[k]);
            // the burst draw is p = sigma((V_d + 57 mV) / 6 mV) at each event (spec 1.7); events per
            // point: 100 neurons x 2 s x ER, binomial standard error; 4 of them
            let p = sigma((t.v_d.mean[k] + 57.0) / 6.0);
            let events = 100.0 * 2.0 * t.er.mean[k];
            let se = (p * (1.0 - p) / events).sqrt();
            assert!((t.bp.mean[k] - p).abs() < 4.0 * se, "I_d {i_d}: BP {} vs {p} (se {se})", t.bp.mean[k]);
        }
        // the soma does not see the dendrite in this kind: the same event rate in every column,
        // and more events for more somatic current
        assert_eq!(t.er.mean[j], t.er.mean[0]);
        assert!(t.er.mean[nd + j] > t.er.mean[j] + 1.0);
    }
    // without background there is no seed-to-seed variation of the event rate
    assert!(t.er.se.iter().all(|&s| s == 0.0));
}

#[test]
fn a_sweep_refuses_sources_and_unknown_populations_and_lists_what_it_leaves_out() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/models/xor.toml")).unwrap();
    let err = transfer::sweep_model(&text, "xor.toml", &spec("nope", &[0.0], &[0.0], 1, 10.0, 1)).unwrap_err();
    assert!(err.to_string().contains("no population \"nope\"") && err.to_string().contains("hidden1"), "{err}");
    let m = transfer::sweep_model(&text, "xor.toml", &spec("hidden1", &[0.0, 100.0], &[0.0], 3, 10.0, 1)).unwrap();
    // the hidden layer's background: four private Poisson drives; its network inputs and the
    // teacher and protocol are left out, each named
    assert_eq!(m.kept.len(), 4, "{:?}", m.kept);
    assert!(
        m.dropped.iter().any(|d| d.contains("input1 -> hidden1") && d.contains("network input")),
        "{:?}",
        m.dropped
    );
    assert!(m.dropped.iter().any(|d| d.contains("[protocol]")));
    let built = model::from_str(&m.text, "sweep", "sweep", &Overrides::default()).unwrap();
    assert_eq!(built.network.population(built.network.population_index("hidden1").unwrap()).len(), 6);
}

/// One stochastic-burst source with the XOR input background driving two silent targets one to
/// one, through a depressing and a facilitating projection.
fn driven(stp_d: &str, stp_f: &str) -> String {
    let mut s = String::from(
        r#"
[simulation]
dt_ms = 0.1
duration_ms = 6000.0
seed = 5

[[population]]
name = "src"
kind = "burst_poisson"
size = 400
[[population]]
name = "dst_std"
kind = "burst_poisson"
size = 400
[[population]]
name = "dst_stf"
kind = "burst_poisson"
size = 400
[[input]]
kind = "constant_current"
target = "src"
compartment = "dendrite"
current_pa = 250.0
"#,
    );
    for (c, r, w) in
        [("soma", "exc", 0.35), ("soma", "inh", 0.35), ("dendrite", "exc", 0.05), ("dendrite", "inh", 0.05)]
    {
        s += &format!(
            "[[input]]\nkind = \"poisson\"\ntarget = \"src\"\ncompartment = \"{c}\"\nreceptor = \"{r}\"\nrate_hz = 500.0\nweight = {w}\n"
        );
    }
    for (to, stp) in [("dst_std", stp_d), ("dst_stf", stp_f)] {
        s += &format!(
            "[[projection]]\nfrom = \"src\"\nto = \"{to}\"\ntarget = \"soma\"\nreceptor = \"exc\"\nconnect = \"one_to_one\"\nweight = 0.01\nstp = {stp}\n"
        );
    }
    s
}

#[test]
fn a_driven_projection_transmits_the_release_the_efficacy_model_predicts() {
    // u_init = U: the steady state from the start (the reference's u = 0.01, P6, is a transient)
    let text = driven(r#"{ preset = "depressing", u_init = 0.9 }"#, r#"{ preset = "facilitating", u_init = 0.02 }"#);
    let m = model::from_str(&text, "driven.toml", "driven", &Overrides::default()).unwrap();
    let mut net = m.network;
    let src = net.population_index("src").unwrap();
    let dsts = [net.population_index("dst_std").unwrap(), net.population_index("dst_stf").unwrap()];
    let var = net.population(dsts[0]).recordable_index("g_exc_soma").unwrap();
    let n = net.population(src).len();
    let dt = net.dt_ms();
    let warm = 10_000u64;
    let (mut events, mut bursts, mut g_sum) = (0u64, 0u64, [0.0f64; 2]);
    // the engine's own STP on the same spikes: what the projections must have delivered
    let mut mirror = [
        Stp::new(n, StpParams { u_init: 0.9, ..StpParams::depressing() }, dt),
        Stp::new(n, StpParams { u_init: 0.02, ..StpParams::facilitating() }, dt),
    ];
    let mut released = [0.0f64; 2];
    for step in 0..m.n_steps {
        net.step();
        for &i in net.last_spikes(src) {
            for (s, r) in mirror.iter_mut().zip(released.iter_mut()) {
                let x = s.release(i) as f64;
                if step >= warm {
                    *r += x;
                }
            }
        }
        mirror.iter_mut().for_each(Stp::relax);
        if step >= warm {
            events += net.spikes(src).events().len() as u64;
            bursts += net.spikes(src).bursts().len() as u64;
            for (g, &d) in g_sum.iter_mut().zip(&dsts) {
                if let StateVector::F32(v) = net.population(d).kind().state(var) {
                    *g += v.iter().map(|&x| x as f64).sum::<f64>();
                }
            }
        }
    }
    let steps = (m.n_steps - warm) as f64;
    let secs = steps * dt * 1e-3;
    let (er, bp) = (events as f64 / (n as f64 * secs), bursts as f64 / events as f64);
    assert!(er > 5.0 && bp > 0.15 && bp < 0.5, "ER {er} BP {bp}: the test wants a bursting source");
    let decay = (-dt / 5.0f64).exp();
    for k in 0..2 {
        let g = g_sum[k] / (n as f64 * steps);
        // a jump w r decays geometrically: its mean contribution per step is w r / (1 - d) / steps;
        // equal up to the 0.8 ms delay at the window's edges (< 0.1 %)
        let from_release = 0.01 * released[k] / (1.0 - decay) / (n as f64 * steps);
        assert!((g / from_release - 1.0).abs() < 0.002, "projection {k}: g {g} vs {from_release}");
        // the train model of the efficacy at the measured ER and BP (trains of spec 1.7). Its
        // accuracy on such trains: ~3 % for STD, ~10 % for STF (the detector merges some events
        // into bursts, which the model spaces as burst spikes); a model of the wrong kind (no
        // facilitation, or releases per event only) is off by 2-5x
        let stp = if k == 0 { StpParams::depressing() } else { StpParams::facilitating() };
        let shape = TrainShape { extra_spikes: 1.0, ..TrainShape::burst_poisson() };
        let model = efficacy::release_rate_hz(&stp, er, bp, &shape, dt);
        let measured = released[k] / (n as f64 * secs);
        let tol = if k == 0 { 0.06 } else { 0.15 };
        assert!((model / measured - 1.0).abs() < tol, "STP {k}: train model {model} Hz vs measured {measured} Hz");
        // multiplexing (spec 4.4): against the same events without bursts, the bursts (BP ~0.26)
        // add ~45 % to what the facilitating synapse releases and ~13 % to the depressing one's
        let events_only = efficacy::release_rate_hz(&stp, er, 0.0, &shape, dt);
        if k == 0 {
            assert!(measured / events_only < 1.2, "STD: bursts add {}", measured / events_only - 1.0);
        } else {
            assert!(measured / events_only > 1.35, "STF: bursts add {}", measured / events_only - 1.0);
        }
    }
}

/// Two stochastic-burst units with the XOR backgrounds: a driven input unit and a hidden unit
/// receiving its events on the soma (events-only, plastic) and its bursts on the dendrite.
const CHAIN: &str = r#"
[simulation]
dt_ms = 0.1
duration_ms = 4000.0
seed = 2

[[population]]
name = "a"
kind = "burst_poisson"
size = 400
[[population]]
name = "b"
kind = "burst_poisson"
size = 400

[[input]]
kind = "constant_current"
target = "a"
compartment = "soma"
current_pa = 200.0
[[input]]
kind = "constant_current"
target = "a"
compartment = "dendrite"
current_pa = 200.0

[[projection]]
name = "ff"
from = "a"
to = "b"
target = "soma"
receptor = "exc"
connect = { p = 0.1 }
weight = 0.03
transmit = "events"
transmit_trace = "immediate"
plasticity = { rule = "burstccn", eta = 0.0002, tau_pre_ms = 100.0, p_baseline = 0.3 }

[[projection]]
name = "bursts"
from = "a"
to = "b"
target = "dendrite"
receptor = "exc"
connect = { p = 0.1 }
weight = 0.1
transmit = "bursts"
transmit_trace = "immediate"
"#;

fn with_backgrounds(text: &str) -> String {
    let mut s = text.to_string();
    for (pop, soma) in [("a", [(500.0, 0.35), (500.0, 0.35)]), ("b", [(150.0, 0.385), (150.0, 0.49)])] {
        for (c, r, (rate, w)) in [
            ("soma", "exc", soma[0]),
            ("soma", "inh", soma[1]),
            ("dendrite", "exc", (500.0, 0.05)),
            ("dendrite", "inh", (500.0, 0.05)),
        ] {
            s += &format!(
                "[[input]]\nkind = \"poisson\"\ntarget = \"{pop}\"\ncompartment = \"{c}\"\nreceptor = \"{r}\"\nrate_hz = {rate}\nweight = {w}\n"
            );
        }
    }
    s
}

#[test]
fn the_mean_field_predicts_the_rates_and_the_drift_of_a_spiking_chain() {
    let text = with_backgrounds(CHAIN);
    let grid_s: Vec<f64> = (0..9).map(|i| -200.0 + 100.0 * i as f64).collect();
    let grid_d: Vec<f64> = (0..9).map(|i| -200.0 + 100.0 * i as f64).collect();
    let mut tables = std::collections::BTreeMap::new();
    for pop in ["a", "b"] {
        let t = sweep(&text, &spec(pop, &grid_s, &grid_d, 100, 2000.0, 2));
        tables.insert(pop.to_string(), Arc::new(Transfer::new(t, 20.0).unwrap()));
    }
    let built = model::from_str(&text, "chain.toml", "chain", &Overrides::default()).unwrap();
    let c = solve::circuit(&text, "chain.toml", &built, &|name| tables[name].clone(), Lookup::Fit).unwrap();
    assert_eq!(c.units.len(), 2);
    assert_eq!(c.links.len(), 2);
    // in-degree p N_pre = 0.1 x 400
    assert!((c.links[0].in_degree - 40.0).abs() < 1e-9);
    // the spiking run: rates over [0.5 s, 4 s), the weight drift of "ff" over the same window
    let mut net = built.network;
    let ff = net.projections().iter().position(|p| p.name() == "ff").unwrap();
    let (mut ev, mut bu) = ([0u64; 2], [0u64; 2]);
    let warm = 5000u64;
    let mut w_start = 0.0;
    for step in 0..built.n_steps {
        if step == warm {
            w_start = net.projections()[ff].mean_weight();
        }
        net.step();
        if step >= warm {
            for p in 0..2 {
                ev[p] += net.spikes(p).events().len() as u64;
                bu[p] += net.spikes(p).bursts().len() as u64;
            }
        }
    }
    let secs = (built.n_steps - warm) as f64 * 1e-4;
    let dw_run = net.projections()[ff].mean_weight() - w_start;
    let sol = c.integrate(secs * 1e3, 250.0);
    assert!(sol.converged);
    for p in 0..2 {
        let er = ev[p] as f64 / (400.0 * secs);
        let bp = bu[p] as f64 / ev[p] as f64;
        // N = 400: the spiking population's ER has a sampling error of ~1 % and the mean field a
        // bias of a few % (conductance input read as a current at the mean potential, network
        // fluctuations); 8 % and 0.03 in BP hold with room, a wrong in-degree, weight unit or
        // transmitted rate (events vs spikes, bursts vs events) is off by far more
        assert!((sol.er_avg_hz[p] / er - 1.0).abs() < 0.08, "unit {p}: ER mean field {} vs run {er}", sol.er_avg_hz[p]);
        assert!((sol.bp_avg[p] - bp).abs() < 0.03, "unit {p}: BP mean field {} vs run {bp}", sol.bp_avg[p]);
    }
    // b's BP (~0.14) is below the baseline 0.3, so ff depresses; the predicted drift
    // eta (B - p_b E) tau_pre E_pre over the window within 15 % (its error is that of the rates
    // and of P - p_b it multiplies, a few % each)
    let dw_mf = sol.w_end[0] - sol.w0[0];
    assert!(dw_run < 0.0 && dw_mf < 0.0, "run {dw_run} mean field {dw_mf}");
    assert!((dw_mf / dw_run - 1.0).abs() < 0.15, "drift: mean field {dw_mf} vs run {dw_run}");
}

#[test]
fn the_commands_name_what_is_wrong() {
    let bin = env!("CARGO_BIN_EXE_burstsim");
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/models/xor.toml");
    let run = |args: &[&str]| {
        let o = Command::new(bin).args(args).output().unwrap();
        assert!(!o.status.success());
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let e = run(&["transfer", model, "--population", "nope"]);
    assert!(e.contains("nope") && e.contains("xor.toml"), "{e}");
    let e = run(&["transfer", model, "--population", "hidden1", "--soma-pa", "5:1:1"]);
    assert!(e.contains("FIRST <= LAST"), "{e}");
    let e = run(&["meanfield", model, "--transfer", "hidden1"]);
    assert!(e.contains("POPULATION=FILE"), "{e}");
    let e = run(&["meanfield", model, "--transfer", "ghost=x.h5"]);
    assert!(e.contains("no population \"ghost\""), "{e}");
    let e = run(&["meanfield", model, "--transfer", "hidden1=/nonexistent/t.h5"]);
    assert!(e.contains("/nonexistent/t.h5"), "{e}");
}

#[test]
fn the_checked_in_model_is_the_family_member_at_800() {
    // models/population_limit.toml is what analysis/population_limit.py generates for N = 800, so
    // the family the script runs and the file users read are the same circuit
    let Ok(o) = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/analysis/population_limit.py"))
        .args(["generate", "800"])
        .output()
    else {
        assert!(std::env::var_os("BURSTSIM_REQUIRE_H5PY").is_none(), "python3 is required");
        return;
    };
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let file = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/models/population_limit.toml")).unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), file);
    // and the family scales the weights as 1/N: the mean field of every member is the same
    let gen = |n: &str| {
        let o = Command::new("python3")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/analysis/population_limit.py"))
            .args(["generate", n])
            .output()
            .unwrap();
        String::from_utf8(o.stdout).unwrap()
    };
    for (n, text) in [(200usize, gen("200")), (3200, gen("3200"))] {
        let m = model::from_str(&text, "pl.toml", "pl", &Overrides { seed: None, duration_ms: Some(1.0) }).unwrap();
        let net = &m.network;
        let ff = net.projections().iter().find(|p| p.name() == "in1->h1").unwrap();
        // 0.08 at N = 800
        assert!((ff.mean_weight() * n as f64 / 800.0 - 0.08).abs() < 1e-6, "N {n}: w {}", ff.mean_weight());
    }
}

#[test]
fn analysis_transfer_py_reads_the_table_and_its_fits() {
    let has = Command::new("python3").args(["-c", "import h5py, matplotlib"]).status().is_ok_and(|x| x.success());
    if !has {
        assert!(std::env::var_os("BURSTSIM_REQUIRE_H5PY").is_none(), "h5py and matplotlib are required");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("cell.toml");
    std::fs::write(&model, NOISELESS).unwrap();
    let out = dir.path().join("t.h5");
    let o = Command::new(env!("CARGO_BIN_EXE_burstsim"))
        .args(["transfer", model.to_str().unwrap(), "--population", "cell", "--soma-pa", "500:800:100"])
        .args(["--dend-pa=-100:200:100", "--neurons", "20", "--sweep-ms", "1000", "--seeds", "2", "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{text}{}", String::from_utf8_lossy(&o.stderr));
    assert!(text.contains("event rate fits") && text.contains("burst probability fits"), "{text}");
    // a second run refuses to replace the file
    let again = Command::new(env!("CARGO_BIN_EXE_burstsim"))
        .args(["transfer", model.to_str().unwrap(), "--population", "cell", "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("--force"));
    let png = dir.path().join("t.png");
    let py = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/analysis/transfer.py"))
        .arg(&out)
        .arg("--png")
        .arg(&png)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&py.stdout);
    assert!(py.status.success(), "{text}{}", String::from_utf8_lossy(&py.stderr));
    // the script's formulas give the residuals burstsim stored: the same functions
    let mut checks = 0;
    for line in text.lines().filter(|l| l.starts_with("check:")) {
        let nums: Vec<f64> = line
            .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == 'e' || c == '-'))
            .filter_map(|w| w.parse().ok())
            .collect();
        let (a, b) = (nums[nums.len() - 2], nums[nums.len() - 1]);
        assert!((a - b).abs() <= 1e-5 * b.abs().max(1e-9), "{line}");
        checks += 1;
    }
    assert_eq!(checks, 2, "{text}");
    assert!(std::fs::metadata(&png).unwrap().len() > 10_000);
}

#[test]
fn the_mean_field_of_an_unconnected_population_is_its_transfer_function() {
    // one population with the XOR hidden background and constant currents on a grid point: with
    // no projection between units the mean field is the fitted function at those currents, the
    // table lookup is the table's value, and a spiking run of the same population agrees
    let text = with_backgrounds(
        &CHAIN
            .replace("current_pa = 200.0\n[[input]]", "current_pa = 300.0\n[[input]]")
            .split("[[projection]]")
            .next()
            .unwrap()
            .replace("target = \"a\"", "target = \"b\""),
    );
    let t = sweep(&text, &spec("b", &[0.0, 100.0, 200.0, 300.0, 400.0], &[0.0, 100.0, 200.0, 300.0], 100, 2000.0, 2));
    let k = 3 * 4 + 2; // (300 pA, 200 pA)
    let table_er = t.er.mean[k];
    let tr = Arc::new(Transfer::new(t, 20.0).unwrap());
    let built = model::from_str(&text, "one.toml", "one", &Overrides::default()).unwrap();
    let b = built.network.population_index("b").unwrap();
    let mut fit_c = solve::circuit(&text, "one.toml", &built, &|_| tr.clone(), Lookup::Fit).unwrap();
    let units = fit_c.units.clone();
    // b gets the currents; a (its background only) is the other unit; no projections
    let u = units.iter().position(|x| x.name == "b").unwrap();
    assert_eq!((units[u].soma_pa, units[u].dend_pa), (300.0, 200.0));
    assert!(fit_c.links.is_empty());
    let s = fit_c.stationary(&[], None).0;
    assert_eq!(s.er_hz[u], tr.er.eval(300.0, 200.0).max(0.0));
    fit_c.lookup = Lookup::Table;
    let s = fit_c.stationary(&[], None).0;
    assert_eq!(s.er_hz[u], table_er);
    // the spiking population: 400 neurons x 3.5 s; ER within 5 % (sampling ~1 %, the table's own
    // ~1.5 %, the fit's residual ~1 %)
    let mut net = built.network;
    let mut ev = 0u64;
    for step in 0..40_000u64 {
        net.step();
        if step >= 5000 {
            ev += net.spikes(b).events().len() as u64;
        }
    }
    let er = ev as f64 / (400.0 * 3.5);
    let mf = tr.er.eval(300.0, 200.0);
    assert!((mf / er - 1.0).abs() < 0.05, "mean field {mf} vs run {er}");
}

#[test]
fn the_error_of_the_mean_field_shrinks_from_50_to_400_neurons_per_unit() {
    // the population-limit family at N = 50 and 400 (short runs: 1 s, then 4 s of plasticity),
    // its three backgrounds swept here: the RMS error over units of ER and BP must be smaller at
    // N = 400 (at N = 50 finite-size fluctuations raise the hidden and output rates by 40-120 %,
    // docs/population_limit.md)
    let gen = |n: usize| -> Option<String> {
        let o = Command::new("python3")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/analysis/population_limit.py"))
            .args(["generate", &n.to_string()])
            .output()
            .ok()?;
        Some(String::from_utf8(o.stdout).unwrap())
    };
    let Some(base) = gen(400) else {
        assert!(std::env::var_os("BURSTSIM_REQUIRE_H5PY").is_none(), "python3 is required");
        return;
    };
    let grid_s: Vec<f64> = (0..11).map(|i| -200.0 + 100.0 * i as f64).collect();
    let grid_d: Vec<f64> = (0..13).map(|i| -400.0 + 100.0 * i as f64).collect();
    let mut by_layer = std::collections::BTreeMap::new();
    for (layer, unit) in [("in", "in1"), ("h", "h1"), ("o", "o1")] {
        let t = sweep(&base, &spec(unit, &grid_s, &grid_d, 60, 1500.0, 2));
        by_layer.insert(layer, Arc::new(Transfer::new(t, 20.0).unwrap()));
    }
    let transfer_of = |name: &str| by_layer[name.trim_end_matches(char::is_numeric)].clone();
    let mut rms = Vec::new();
    for n in [50usize, 400] {
        let text = gen(n).unwrap();
        let built =
            model::from_str(&text, "pl.toml", "pl", &Overrides { seed: Some(3), duration_ms: Some(5000.0) }).unwrap();
        let c = solve::circuit(&text, "pl.toml", &built, &transfer_of, Lookup::Fit).unwrap();
        let sol = c.integrate(4000.0, 500.0);
        let mut net = built.network;
        let units: Vec<usize> = c.units.iter().map(|u| u.population).collect();
        let (mut ev, mut bu) = (vec![0u64; units.len()], vec![0u64; units.len()]);
        for step in 0..built.n_steps {
            net.step();
            if step >= 10_000 {
                for (k, &p) in units.iter().enumerate() {
                    ev[k] += net.spikes(p).events().len() as u64;
                    bu[k] += net.spikes(p).bursts().len() as u64;
                }
            }
        }
        let (mut e2, mut b2) = (0.0, 0.0);
        for k in 0..units.len() {
            let er = ev[k] as f64 / (n as f64 * 4.0);
            let bp = bu[k] as f64 / ev[k].max(1) as f64;
            e2 += (er - sol.er_avg_hz[k]).powi(2);
            b2 += (bp - sol.bp_avg[k]).powi(2);
        }
        rms.push(((e2 / units.len() as f64).sqrt(), (b2 / units.len() as f64).sqrt()));
    }
    eprintln!("RMS (ER Hz, BP): N = 50 {:?}, N = 400 {:?}", rms[0], rms[1]);
    assert!(rms[1].0 < rms[0].0 && rms[1].1 < rms[0].1, "RMS (ER Hz, BP) at N = 50 {:?}, N = 400 {:?}", rms[0], rms[1]);
}
