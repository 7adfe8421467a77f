//! Silent acceptance (issue 10 item 5): what dt cannot represent is refused with the key named;
//! what is legal but probably not meant (a coarse dt against a time constant, [[phase]] entries
//! after the end, a saturating drive) is warned about on stderr and stored in the output file's
//! root attribute `warnings`.

mod common;

use burstsim::model::{self, ModelError, Overrides};
use hdf5_metno as h5;

/// One stochastic-free pyramidal neuron and one PV cell under a constant current, with `extra`
/// keys spliced into the pyramidal population table and `tail` appended.
fn model(dt: f64, pyr_extra: &str, tail: &str) -> String {
    format!(
        r#"
[simulation]
dt_ms = {dt}
duration_ms = 200.0
[[population]]
name = "pyr"
kind = "pyramidal"
size = 2
{pyr_extra}
[[population]]
name = "pv"
kind = "pv"
size = 2
[[projection]]
from = "pyr"
to = "pv"
target = "soma"
receptor = "exc"
connect = "all_to_all"
weight = 0.1
delay_ms = 1.0
[[input]]
kind = "constant_current"
target = "pyr"
compartment = "soma"
current_pa = 200.0
{tail}
"#
    )
}

fn load(text: &str) -> Result<model::Model, Box<ModelError>> {
    model::from_str(text, "w.toml", "w", &Overrides::default()).map_err(Box::new)
}

fn refused(text: &str) -> String {
    load(text).map(|_| ()).expect_err("the model must be refused").to_string()
}

#[test]
fn a_step_longer_than_a_time_constant_or_a_refractory_period_is_refused() {
    // tau_s = 0.05 ms < dt = 0.1 ms: forward Euler would flip V_s's sign every step
    let e = refused(&model(0.1, "tau_s_ms = 0.05", ""));
    assert!(e.contains("w.toml") && e.contains("`tau_s_ms` = 0.05") && e.contains("at least dt = 0.1 ms"), "{e}");
    // an AdEx refractory period shorter than a step cannot be counted in steps
    let pv = model(0.1, "", "").replace("size = 2\n[[projection]]", "size = 2\nt_ref_ms = 0.05\n[[projection]]");
    let e = refused(&pv);
    assert!(e.contains("population 1 (\"pv\")") && e.contains("`t_ref_ms` = 0.05"), "{e}");
    // an STP time constant and a plasticity trace faster than a step
    let stp = model(0.1, "", "")
        .replace("delay_ms = 1.0", "delay_ms = 1.0\nstp = { u = 0.1, tau_d_ms = 0.01, tau_f_ms = 100.0 }");
    let e = refused(&stp);
    assert!(e.contains("`stp.tau_d_ms` = 0.01"), "{e}");
    // a sine current whose period is shorter than a step
    let sine = model(
        0.1,
        "",
        "[[input]]\nkind = \"sine_current\"\ntarget = \"pyr\"\ncompartment = \"soma\"\namplitude_pa = 10.0\nperiod_ms = 0.05",
    );
    let e = refused(&sine);
    assert!(e.contains("`period_ms` = 0.05") && e.contains("at least one step"), "{e}");
    // an input window of no step at all
    let empty = model(0.1, "", "").replace("current_pa = 200.0", "current_pa = 200.0\nstart_ms = 10.0\nstop_ms = 10.0");
    let e = refused(&empty);
    assert!(e.contains("`stop_ms` = 10") && e.contains("at least one step"), "{e}");
    // a refractory period of 0 means "none" and stays legal
    let none = model(0.1, "", "").replace("size = 2\n[[projection]]", "size = 2\nt_ref_ms = 0.0\n[[projection]]");
    assert!(load(&none).is_ok());
}

#[test]
fn a_step_above_a_tenth_of_a_time_constant_warns_and_the_file_keeps_the_warning() {
    // tau_ampa = 0.5 ms, dt = 0.1 ms: 5 steps per time constant, legal but coarse
    let m = load(&model(0.1, "tau_ampa_ms = 0.5", "")).unwrap();
    assert_eq!(m.warnings.len(), 1, "{:?}", m.warnings);
    let w = &m.warnings[0];
    assert!(w.contains("w.toml") && w.contains("`tau_ampa_ms` = 0.5") && w.contains("0.05"), "{w}");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("w.h5");
    let s = common::run_to(m, &out, 1);
    assert_eq!(s.warnings.len(), 1);
    let f = h5::File::open(&out).unwrap();
    let stored: Vec<String> = f
        .attr("warnings")
        .unwrap()
        .read_raw::<h5::types::VarLenUnicode>()
        .unwrap()
        .iter()
        .map(|s| s.as_str().to_string())
        .collect();
    assert_eq!(stored, s.warnings);
}

#[test]
fn phases_after_the_end_of_the_run_warn_once() {
    // models/plasticity_rule.toml changes its stimulus at 20, 45, ... 145 s; a 1 s run reaches
    // none of them
    let ov = Overrides { duration_ms: Some(1000.0), ..Default::default() };
    let m = common::load_model("plasticity_rule.toml", ov);
    assert_eq!(m.warnings.len(), 1, "one warning for all the late phases: {:?}", m.warnings);
    let w = &m.warnings[0];
    assert!(
        w.starts_with("6 [[phase]] entries") && w.contains("(1000 ms)") && w.contains("phase 5 (at 145000 ms)"),
        "{w}"
    );
    // the full run reaches them all
    assert!(common::load_model("plasticity_rule.toml", Overrides::default()).warnings.is_empty());
}

#[test]
fn a_saturating_drive_warns_and_a_normal_one_does_not() {
    let dir = tempfile::tempdir().unwrap();
    // 200 pA: the pyramidal neurons fire at tens of Hz; nothing to say, and the attribute is an
    // empty list
    let out = dir.path().join("ok.h5");
    let s = common::run_to(load(&model(0.1, "", "")).unwrap(), &out, 1);
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    let f = h5::File::open(&out).unwrap();
    assert_eq!(f.attr("warnings").unwrap().shape(), vec![0]);
    drop(f);
    // 100 nA: the Naud neuron then fires at ~1.8 kHz (spike, reset, threshold jump, spike)
    let out = dir.path().join("sat.h5");
    let text = model(0.1, "", "").replace("current_pa = 200.0", "current_pa = 100000.0");
    let s = common::run_to(load(&text).unwrap(), &out, 1);
    assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
    let w = &s.warnings[0];
    assert!(w.contains("population \"pyr\"") && w.contains("saturation"), "{w}");
    let f = h5::File::open(&out).unwrap();
    assert_eq!(f.attr("warnings").unwrap().shape(), vec![1]);
}

#[test]
fn shipped_models_build_without_warnings() {
    for name in ["background.toml", "coba.toml", "multiplexing.toml", "plasticity_rule.toml", "ramp_stimulus.toml"] {
        let m = common::load_model(name, Overrides::default());
        assert!(m.warnings.is_empty(), "{name}: {:?}", m.warnings);
    }
}
