//! `burstsim train CONTINUOUS.toml --trace FILE.h5`: the per-step trace of the continuous model,
//! read back with the hdf5 crate and with h5py (analysis/continuous.py).

mod common;

use common::root;
use hdf5_metno as h5;
use std::path::Path;
use std::process::Command;

/// A short continuous run: 2000 steps before, 20 000 teaching, 2000 after.
const SMALL: &str = "model = \"continuous_burstccn\"\n[continuous]\npredict_before = 2000\n\
                     train_steps = 20000\npredict_after = 2000\nreport_every = 2000\n";

fn train(cfg: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_burstsim")).arg("train").arg(cfg).arg("--quiet").args(extra).output().unwrap()
}

fn read<T: h5::H5Type>(f: &h5::File, name: &str) -> Vec<T> {
    f.dataset(name).unwrap().read_raw::<T>().unwrap()
}

/// Every step is recorded with its phase, teaching flag, output, target, output burst probability
/// (p_b without teacher, p_b (1 + (t − e)(1 − e)) with it, spec 2.1), loss Σ(e − t)² and angles
/// (NaN exactly on steps without learning); the means of the loss over the before/after phases
/// are those the command prints; `--trace-every 7` keeps every 7th step; an MNIST config refuses
/// `--trace`; and analysis/continuous.py reads the file to the same numbers.
#[test]
fn trace_records_every_step_and_matches_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let cfg = d.join("small.toml");
    std::fs::write(&cfg, SMALL).unwrap();
    let tr = d.join("trace.h5");
    let out = train(&cfg, &["--trace", tr.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap();
    // "mean loss before teaching X, after Y (ratio R)"
    let num = |key: &str| -> f64 {
        let i = last.find(key).unwrap() + key.len();
        last[i..].trim_start().split([',', ' ']).next().unwrap().parse().unwrap()
    };
    let (printed_before, printed_after) = (num("before teaching"), num("after"));

    let f = h5::File::open(&tr).unwrap();
    let (step, phase, teach) = (read::<u64>(&f, "step"), read::<u8>(&f, "phase"), read::<u8>(&f, "teach"));
    let (e, t, p) = (read::<f32>(&f, "output"), read::<f32>(&f, "target"), read::<f32>(&f, "burst_prob_out"));
    let (loss, ang) = (read::<f32>(&f, "loss"), read::<f32>(&f, "angle_grad_deg"));
    assert_eq!(step, (0..24_000u64).collect::<Vec<_>>());
    assert_eq!(f.dataset("angle_grad_deg").unwrap().shape(), vec![24_000, 2]);
    let count = |ph: u8| phase.iter().filter(|&&x| x == ph).count();
    assert_eq!((count(0), count(1), count(2)), (2000, 20_000, 2000));
    assert!(teach.iter().zip(&phase).all(|(&k, &ph)| (k == 1) == (ph == 1)), "single phase: teach = training");
    for i in 0..step.len() {
        assert!((loss[i] - (e[i] - t[i]).powi(2)).abs() < 1e-6, "step {i}");
        let want = if teach[i] == 1 { 0.5 * (1.0 + (t[i] - e[i]) * (1.0 - e[i])) } else { 0.5 };
        assert!((p[i] - want).abs() < 1e-6, "step {i}: p {} vs {want}", p[i]);
        assert_eq!(ang[2 * i].is_nan(), teach[i] == 0, "step {i}");
        assert_eq!(ang[2 * i + 1].is_nan(), teach[i] == 0, "step {i}");
    }
    let mean = |ph: u8| -> f64 {
        let v: Vec<f64> = (0..step.len()).filter(|&i| phase[i] == ph).map(|i| loss[i] as f64).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let (before, after) = (mean(0), mean(2));
    // printed with 6 decimals; the trace holds f32 losses
    assert!((before - printed_before).abs() < 2e-6, "{before} vs {printed_before}");
    assert!((after - printed_after).abs() < 2e-6, "{after} vs {printed_after}");
    assert!(after < before, "it learned: {before} -> {after}");
    drop(f);

    let tr7 = d.join("trace7.h5");
    assert!(train(&cfg, &["--trace", tr7.to_str().unwrap(), "--trace-every", "7"]).status.success());
    let s7 = read::<u64>(&h5::File::open(&tr7).unwrap(), "step");
    assert_eq!(s7, (0..24_000u64).step_by(7).collect::<Vec<_>>());

    let mnist = d.join("mnist.toml");
    std::fs::write(
        &mnist,
        "model = \"burstccn\"\n[data]\ndir = \"x\"\n[network]\nlayers = [784, 10]\n\
         [training]\nepochs = 1\nbatch_size = 32\nlr = 0.1\n",
    )
    .unwrap();
    let bad = train(&mnist, &["--trace", d.join("no.h5").to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--trace"), "{}", String::from_utf8_lossy(&bad.stderr));
    // a trace into a missing directory fails before the run, naming the directory; zero threads,
    // zero epochs and resuming from a file that is not a checkpoint are refused too (exit 2)
    let missing = d.join("no_such_dir");
    let bad = train(&cfg, &["--trace", missing.join("t.h5").to_str().unwrap()]);
    let msg = String::from_utf8_lossy(&bad.stderr).to_string();
    assert!(bad.status.code() == Some(2) && msg.contains("no_such_dir") && bad.stdout.is_empty(), "{msg}");
    for extra in [&["--threads", "0"][..], &["--epochs", "0"][..]] {
        let bad = train(&mnist, extra);
        let msg = String::from_utf8_lossy(&bad.stderr).to_string();
        assert_eq!(bad.status.code(), Some(2), "{extra:?}: {msg}");
        assert!(msg.contains(extra[0]) && !msg.contains("panicked"), "{msg}");
    }
    let real = d.join("real.toml");
    let mnist_dir = root().join("../shared/data/mnist");
    std::fs::write(
        &real,
        format!(
            "model = \"burstccn\"\n[data]\ndir = \"{}\"\ntrain_limit = 100\ntest_limit = 100\n\
             [network]\nlayers = [784, 10]\n[training]\nepochs = 1\nbatch_size = 32\nlr = 0.1\n",
            mnist_dir.display()
        ),
    )
    .unwrap();
    let bad = train(&real, &["--resume", tr.to_str().unwrap(), "--no-checkpoint"]);
    let msg = String::from_utf8_lossy(&bad.stderr).to_string();
    assert!(bad.status.code() == Some(2) && msg.contains("not a burstsim training checkpoint"), "{msg}");

    // h5py, as users will read it (required in CI: BURSTSIM_REQUIRE_H5PY=1)
    let has_h5py = Command::new("python3").args(["-c", "import h5py, matplotlib"]).status().is_ok_and(|s| s.success());
    if !has_h5py {
        assert!(std::env::var_os("BURSTSIM_REQUIRE_H5PY").is_none(), "h5py and matplotlib are required");
        eprintln!("skipping the h5py part: python3 with h5py/matplotlib not available");
        return;
    }
    let png = d.join("fig.png");
    let py = Command::new("python3")
        .arg(root().join("analysis/continuous.py"))
        .arg(&tr)
        .arg("--png")
        .arg(&png)
        .output()
        .unwrap();
    assert!(py.status.success(), "{}", String::from_utf8_lossy(&py.stderr));
    let text = String::from_utf8_lossy(&py.stdout);
    let field = |key: &str| -> f64 {
        let i = text.find(key).unwrap() + key.len();
        text[i..].trim_start().split(' ').next().unwrap().parse().unwrap()
    };
    assert!((field("loss_before") - before).abs() < 1e-6, "{text}");
    assert!((field("loss_after") - after).abs() < 1e-6, "{text}");
    assert!(std::fs::metadata(&png).unwrap().len() > 10_000, "figure written");
}
