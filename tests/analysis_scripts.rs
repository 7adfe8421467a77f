//! Issue 15 item 5, the analysis scripts: segments from the protocol stored in the file (with a
//! protocol file's phases), population names as options, and runs too short for an analysis
//! answered with what is needed instead of a traceback. Needs python3 with h5py and matplotlib
//! (installed by the README's test command; BURSTSIM_REQUIRE_H5PY=1 turns a skip into a failure).

mod common;

use burstsim::model::{self, Overrides};
use common::{root, SPAWN_LOCK};
use hdf5_metno as h5;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A small Fig. 2E-G network (tests/data/plasticity_small.toml cut down): 60 -> 40 pyramidal
/// through a plastic projection named "ff" onto "target" (40 inputs per neuron, ~8 Hz), driven
/// dendritically by "drive".
/// Plasticity switches on in the model at 500 ms; the drive changes at 1500 and 2500 ms in the
/// protocol file, so segments that ignore the protocol file differ.
const MODEL: &str = r#"[simulation]
duration_ms = 3000.0
seed = 2
protocol_file = "phases.toml"

[[population]]
name = "source"
kind = "pyramidal"
size = 60
v_init_sd_mv = 5.0

[[population]]
name = "target"
kind = "pyramidal"
size = 40

[[population]]
name = "bg"
kind = "poisson"
size = 2500
rate_hz = 5.0

[[population]]
name = "drive_src"
kind = "poisson"
size = 40
rate_hz = 2.0

[[projection]]
from = "bg"
to = "source"
target = "soma"
receptor = "exc"
connect = { p = 0.04 }
weight = 0.17

[[projection]]
from = "bg"
to = "source"
target = "dendrite"
receptor = "exc"
connect = { p = 0.04 }
weight = 0.05

[[projection]]
name = "drive"
from = "drive_src"
to = "target"
target = "dendrite"
receptor = "exc"
connect = { p = 0.2 }
weight = 0.25

[[input]]
kind = "constant_current"
target = "target"
compartment = "dendrite"
current_pa = 50.0

[[projection]]
name = "ff"
from = "source"
to = "target"
target = "soma"
receptor = "exc"
connect = { p = 0.67 }
weight = 0.3
plasticity = { rule = "burst", eta = 3e-2, tau_pre_ms = 100.0, tau_avg_ms = 500.0, r_hom_init_hz = 5.0, on = false }

[[phase]]
at_ms = 500.0
plasticity = { ff = true }

[output]
populations = ["source", "target"]
rate_bin_ms = 100.0

[output.weights]
every_ms = 250.0
projections = ["ff"]
estimates_of_first = 10
"#;

const PHASES: &str = "[[phase]]\nat_ms = 1500.0\nweight_scale = { drive = 1.5 }\n\n\
                      [[phase]]\nat_ms = 2500.0\nweight_scale = { drive = 0.55 }\n";

fn has_python() -> bool {
    let ok = {
        let _g = SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        Command::new("python3").args(["-c", "import h5py, matplotlib"]).status().is_ok_and(|s| s.success())
    };
    if !ok {
        assert!(std::env::var_os("BURSTSIM_REQUIRE_H5PY").is_none(), "python3 with h5py and matplotlib is required");
        eprintln!("skipping: python3 with h5py and matplotlib not available");
    }
    ok
}

fn script(name: &str, args: &[&std::ffi::OsStr]) -> Output {
    let _g = SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    Command::new("python3").arg(root().join("analysis").join(name)).args(args).output().unwrap()
}

fn run(dir: &Path, name: &str, duration_ms: Option<f64>) -> PathBuf {
    std::fs::write(dir.join("phases.toml"), PHASES).unwrap();
    std::fs::write(dir.join("m.toml"), MODEL).unwrap();
    let m = model::load(&dir.join("m.toml"), &Overrides { seed: None, duration_ms }).unwrap();
    let out = dir.join(name);
    common::run_to(m, &out, 1);
    out
}

/// A failed script says what is wrong (`needles`) on stderr, without a Python traceback.
fn assert_says(o: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "the script should refuse: {err}");
    assert!(!err.contains("Traceback"), "a traceback instead of a message: {err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} not in: {err}");
    }
}

/// plasticity_rule.py takes its segments from the model's phase and the protocol file's two
/// (0-0.5-1.5-2.5-3 s) and prints for each the change of the mean weight of the projection named
/// with --projection between the snapshots at its ends, as the hdf5 crate reads them.
#[test]
fn plasticity_rule_py_segments_follow_the_protocol_file() {
    if !has_python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), "run.h5", None);
    let png = dir.path().join("fig.png");
    let args = ["--post", "target", "--projection", "ff", "--png"].map(std::ffi::OsStr::new);
    let o =
        script("plasticity_rule.py", &[out.as_os_str(), args[0], args[1], args[2], args[3], args[4], png.as_os_str()]);
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(o.status.success(), "{text}{}", String::from_utf8_lossy(&o.stderr));
    let f = h5::File::open(&out).unwrap();
    let t = f.dataset("weights/ff/time_ms").unwrap().read_raw::<f64>().unwrap();
    let mean = f.dataset("weights/ff/mean").unwrap().read_raw::<f64>().unwrap();
    let at = |x: f64| mean[t.iter().position(|&s| (s - x).abs() < 1e-6).expect("a snapshot at each bound")];
    let bounds = [0.0, 500.0, 1500.0, 2500.0, 3000.0];
    let rows: Vec<&str> = text.lines().skip(1).filter(|l| !l.starts_with("figure")).collect();
    assert_eq!(rows.len(), 4, "{text}");
    for (k, row) in rows.iter().enumerate() {
        let (a, b) = (bounds[k], bounds[k + 1]);
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cols[0], format!("{}-{}", a / 1000.0, b / 1000.0), "{text}");
        let dw: f64 = cols[1].parse().unwrap();
        let expected = 100.0 * (at(b) - at(a)) / mean[0];
        assert!((dw - expected).abs() < 0.006, "segment {k}: {dw} vs {expected}");
    }
    // plasticity is off in the first segment, and learning moves the weights in every later one
    assert_eq!(at(500.0), at(0.0));
    for k in 1..4 {
        assert!(at(bounds[k + 1]) != at(bounds[k]), "no learning in segment {k}");
    }
    assert!(std::fs::metadata(&png).unwrap().len() > 10_000, "the figure was drawn");
    // the default names are not in this file: the message names what it has
    let o = script("plasticity_rule.py", &[out.as_os_str()]);
    assert_says(&o, &["no /weights/plastic", "ff", "--projection"]);
}

/// Runs shorter than an analysis needs: each script says what it needs instead of crashing.
#[test]
fn scripts_say_what_a_short_run_lacks() {
    if !has_python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // 200 ms: one weight snapshot (at 0), and two 100 ms rate bins
    let out = run(dir.path(), "short.h5", Some(200.0));
    let o = script(
        "plasticity_rule.py",
        &[out.as_os_str(), "--post".as_ref(), "target".as_ref(), "--projection".as_ref(), "ff".as_ref()],
    );
    assert_says(&o, &["1 weight snapshot(s)", "needs two"]);
    let o = script(
        "multiplexing.py",
        &[out.as_os_str(), "--lower".as_ref(), "source".as_ref(), "--upper".as_ref(), "target".as_ref()],
    );
    assert_says(&o, &["t0 = 0 ms", "at least 3 bins", "run the model to at least 300 ms"]);
    let o = script("multiplexing.py", &[out.as_os_str()]);
    assert_says(&o, &["no /rates/pyr1", "source, target", "--lower"]);
    // a segment shorter than the snapshot interval: the protocol file's phase at 1500 ms with one
    // at 1600 ms
    std::fs::write(
        dir.path().join("phases.toml"),
        format!("{PHASES}\n[[phase]]\nat_ms = 1600.0\nweight_scale = {{ drive = 1.0 }}\n"),
    )
    .unwrap();
    let m = model::load(&dir.path().join("m.toml"), &Overrides::default()).unwrap();
    let out = dir.path().join("close.h5");
    common::run_to(m, &out, 1);
    let o = script(
        "plasticity_rule.py",
        &[out.as_os_str(), "--post".as_ref(), "target".as_ref(), "--projection".as_ref(), "ff".as_ref()],
    );
    assert_says(&o, &["1500-1600 ms", "shorter than the 250 ms between weight snapshots"]);
}

/// xor.py on a run that ends before its first example says so and what length is needed.
#[test]
fn xor_py_on_a_run_before_its_first_example() {
    if !has_python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let m =
        model::load(&root().join("tests/data/xor_small.toml"), &Overrides { seed: None, duration_ms: Some(1000.0) })
            .unwrap();
    let out = dir.path().join("xor.h5");
    common::run_to(m, &out, 1);
    let png = dir.path().join("xor.png");
    let o = script("xor.py", &[out.as_os_str(), "--png".as_ref(), png.as_os_str()]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{text}{}", String::from_utf8_lossy(&o.stderr));
    assert!(text.contains("no example finished in the 1000 ms") && text.contains("burn_in_ms + example_ms"), "{text}");
    assert!(png.exists());
}
