//! The command line end to end: run, inspect, interruption, and reading the file with h5py.

mod common;

use common::*;
use hdf5_metno as h5;
use std::process::{Command, Stdio};
use std::time::Duration;

/// `burstsim run` then `burstsim inspect`: the table reports what the file holds.
#[test]
fn run_then_inspect() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bg.h5");
    let st = Command::new(bin())
        .args(["run", "models/background.toml", "--duration-ms", "1000", "--seed", "9", "--quiet", "--out"])
        .arg(&out)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    let (t, _) = read_spikes(&out, "spikes", "pyr");
    let (e, _) = read_spikes(&out, "events", "pyr");
    let ins = Command::new(bin()).arg("inspect").arg(&out).output().unwrap();
    assert!(ins.status.success());
    let text = String::from_utf8_lossy(&ins.stdout);
    let row: Vec<&str> =
        text.lines().find(|l| l.starts_with("pyr ")).expect("row for pyr").split_whitespace().collect();
    assert_eq!(row[1], "1000");
    assert_eq!(row[2], t.len().to_string());
    // Event rate column = events / (1000 neurons x 1 s).
    let er: f64 = row[4].parse().unwrap();
    assert!((er - e.len() as f64 / 1000.0).abs() < 1e-3, "{er}");
    // Root attributes: seed and the model text.
    let f = h5::File::open(&out).unwrap();
    assert_eq!(f.attr("seed").unwrap().read_scalar::<u64>().unwrap(), 9);
    assert_eq!(f.attr("complete").unwrap().read_scalar::<u8>().unwrap(), 1);
    let model: h5::types::VarLenUnicode = f.attr("model").unwrap().read_scalar().unwrap();
    assert!(model.as_str().contains("bg_exc"));
}

/// `burstsim check` prints sizes, synapse counts and the schedule.
#[test]
fn check_prints_a_summary() {
    let out = Command::new(bin()).args(["check", "models/background.toml"]).current_dir(root()).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("51000 neurons and sources"), "{text}");
    assert!(text.contains("synapses") && text.contains("estimated memory"));
    // The schedule printed is the one the engine walks, in its order, and the recordable table
    // is the one the state monitors accept.
    let listed: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("schedule of one step"))
        .skip(1)
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    let engine: Vec<&str> = burstsim::engine::SCHEDULE.iter().map(|p| p.name()).collect();
    assert_eq!(listed, engine);
    let pyr = burstsim::neuron::Population::Pyramidal(burstsim::neuron::Pyramidal::new(
        1,
        Default::default(),
        burstsim::neuron::pyramidal::DendriticDrivingForce::Soma,
        burstsim::neuron::InitialVoltage::at(-70.0),
        0.1,
        1,
        0,
    ));
    let line = text.lines().find(|l| l.trim_start().starts_with("pyramidal ")).expect("recordables of pyramidal");
    for r in pyr.recordables() {
        assert!(line.contains(&format!("{} ({})", r.name, r.units)), "{line}");
    }
}

/// Starts a long run and waits until its file holds data from at least one flush.
fn start_long_run(out: &std::path::Path) -> std::process::Child {
    let child = Command::new(bin())
        .args(["run", "models/background.toml", "--duration-ms", "3600000", "--quiet", "--out"])
        .arg(out)
        .current_dir(root())
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The writer flushes once per wall second; wait for 2.5 s of running.
    std::thread::sleep(Duration::from_millis(2500));
    child
}

fn check_partial(out: &std::path::Path) -> (f64, usize) {
    let f = h5::File::open(out).expect("an interrupted run leaves a readable HDF5 file");
    let t_stop: f64 = f.attr("t_stop_ms").unwrap().read_scalar().unwrap();
    let complete: u8 = f.attr("complete").unwrap().read_scalar().unwrap();
    assert_eq!(complete, 0);
    let (t, ids) = read_spikes(out, "spikes", "pyr");
    assert_eq!(t.len(), ids.len());
    assert!(t_stop > 0.0 && !t.is_empty(), "t_stop {t_stop}, {} spikes", t.len());
    (t_stop, t.len())
}

/// SIGINT (Ctrl-C) stops the loop; the file is closed with everything recorded so far, marked
/// incomplete, and the exit code is 130.
#[test]
fn interrupted_run_leaves_a_valid_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("int.h5");
    let child = start_long_run(&out);
    let st = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(st.success());
    let res = child.wait_with_output().unwrap();
    assert_eq!(res.status.code(), Some(130), "{}", String::from_utf8_lossy(&res.stderr));
    let (t_stop, n) = check_partial(&out);
    let (t, _) = read_spikes(&out, "spikes", "pyr");
    // Everything up to t_stop is there: the last spike is within a few ms of the stop.
    assert!(t.iter().all(|&x| x < t_stop));
    assert!(t_stop - t.last().unwrap() < 5.0, "{t_stop} vs {}", t.last().unwrap());
    assert!(n > 1000);
}

/// SIGKILL cannot be caught: the file still opens and holds the data of the last flush.
#[test]
fn killed_run_leaves_a_readable_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("kill.h5");
    let mut child = start_long_run(&out);
    child.kill().unwrap();
    child.wait().unwrap();
    let (t_stop, _) = check_partial(&out);
    assert!(t_stop >= 1000.0, "at least one flush after a second of wall time: {t_stop}");
    // inspect works on it too.
    let ins = Command::new(bin()).arg("inspect").arg(&out).output().unwrap();
    assert!(ins.status.success(), "{}", String::from_utf8_lossy(&ins.stderr));
}

/// h5py (what users will open the file with) reads the SONATA layout. Python and h5py are
/// installed by the README's test command; set BURSTSIM_REQUIRE_H5PY=1 (as CI does) to turn a
/// missing h5py into a failure rather than a skip.
#[test]
fn h5py_reads_the_sonata_layout() {
    let has_h5py = Command::new("python3").args(["-c", "import h5py"]).status().is_ok_and(|s| s.success());
    if !has_h5py {
        assert!(std::env::var_os("BURSTSIM_REQUIRE_H5PY").is_none(), "h5py is required but not importable");
        eprintln!("skipping: python3 with h5py not available");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("py.h5");
    let st = Command::new(bin())
        .args(["run", "models/background.toml", "--duration-ms", "2000", "--quiet", "--out"])
        .arg(&out)
        .current_dir(root())
        .status()
        .unwrap();
    assert!(st.success());
    let py = Command::new("python3").arg(root().join("analysis/check_sonata.py")).arg(&out).output().unwrap();
    let stdout = String::from_utf8_lossy(&py.stdout);
    assert!(py.status.success(), "{}{}", stdout, String::from_utf8_lossy(&py.stderr));
    assert!(stdout.contains("SONATA layout OK") && stdout.contains("pyr: "), "{stdout}");
}

/// Issue 10, data loss: an existing --out is not replaced without --force (and is left as it was);
/// with --force it is replaced by a complete run; the model file itself is never a destination.
#[test]
fn output_never_replaces_a_file_it_was_not_asked_to() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("old.h5");
    std::fs::write(&out, b"not yours").unwrap();
    let run = |extra: &[&str], out: &std::path::Path| {
        let _g = common::SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        Command::new(bin())
            .args(["run", "tests/data/multiplexing_small.toml", "--duration-ms", "20", "--quiet", "--out"])
            .arg(out)
            .args(extra)
            .current_dir(root())
            .output()
            .unwrap()
    };
    let r = run(&[], &out);
    let msg = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{msg}");
    assert!(msg.contains("old.h5") && msg.contains("--force"), "{msg}");
    assert_eq!(std::fs::read(&out).unwrap(), b"not yours");
    let r = run(&["--force"], &out);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let f = h5::File::open(&out).unwrap();
    assert_eq!(f.attr("complete").unwrap().read_scalar::<u8>().unwrap(), 1);
    // No temporary file is left beside it.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    // The model file, even with --force.
    let model = root().join("tests/data/multiplexing_small.toml");
    let before = std::fs::read(&model).unwrap();
    let r = run(&["--force"], &model);
    let msg = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{msg}");
    assert!(msg.contains("input of the run"), "{msg}");
    assert_eq!(std::fs::read(&model).unwrap(), before);
}

/// Issue 10, data loss: a second run given the file a first run is writing refuses at once and
/// leaves it alone; the first run still closes a valid, complete-so-far file.
#[test]
fn a_second_run_never_truncates_a_file_being_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("busy.h5");
    let first = start_long_run(&out);
    let second = Command::new(bin())
        .args(["run", "models/background.toml", "--duration-ms", "100", "--quiet", "--out"])
        .arg(&out)
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(2), "{}", String::from_utf8_lossy(&second.stderr));
    let st = Command::new("kill").args(["-INT", &first.id().to_string()]).status().unwrap();
    assert!(st.success());
    let res = first.wait_with_output().unwrap();
    assert_eq!(res.status.code(), Some(130), "{}", String::from_utf8_lossy(&res.stderr));
    check_partial(&out);
}

/// Issue 10, item 7: `--threads` is capped like the model key (1..1024) and refused at once, and a
/// count above the machine's cores runs (same output) with a warning.
#[test]
fn threads_are_capped_and_oversubscription_warns() {
    let dir = tempfile::tempdir().unwrap();
    let run = |t: &str, out: &str| {
        let _g = common::SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        Command::new(bin())
            .args([
                "run",
                "tests/data/multiplexing_small.toml",
                "--duration-ms",
                "5",
                "--quiet",
                "--threads",
                t,
                "--out",
            ])
            .arg(dir.path().join(out))
            .current_dir(root())
            .output()
            .unwrap()
    };
    for bad in ["0", "1025", "100000"] {
        let r = run(bad, "bad.h5");
        let msg = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{bad}: {msg}");
        assert!(msg.contains("--threads") && msg.contains("1 to 1024"), "{msg}");
    }
    assert!(!dir.path().join("bad.h5").exists());
    let over = std::thread::available_parallelism().map_or(1, |n| n.get()) + 1;
    let r = run(&over.to_string(), "over.h5");
    assert!(r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("above the"), "{}", String::from_utf8_lossy(&r.stderr));
}

/// Issue 10, item 8: a run in progress can be read. `inspect` opens a file that a running
/// burstsim holds locked without file locking and says the run is in progress; after the run is
/// stopped it says the run is incomplete. h5py reads it the same way (`locking=False`).
#[test]
fn a_run_in_progress_can_be_inspected() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("live.h5");
    let child = start_long_run(&out);
    let live = Command::new(bin()).arg("inspect").arg(&out).output().unwrap();
    let text = String::from_utf8_lossy(&live.stdout);
    assert!(live.status.success(), "{}", String::from_utf8_lossy(&live.stderr));
    assert!(text.contains("pyr") && text.contains("run in progress"), "{text}");
    let py = "import h5py, sys; f = h5py.File(sys.argv[1], 'r', locking=False); print(len(f['spikes/pyr/timestamps']))";
    if let Ok(r) = Command::new("python3").args(["-c", py]).arg(&out).output() {
        if r.status.success() {
            let n: usize = String::from_utf8_lossy(&r.stdout).trim().parse().unwrap();
            assert!(n > 0, "h5py saw no spikes in the live file");
        } else if std::env::var("BURSTSIM_REQUIRE_H5PY").is_ok() {
            panic!("h5py could not read the live file: {}", String::from_utf8_lossy(&r.stderr));
        }
    }
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert_eq!(child.wait_with_output().unwrap().status.code(), Some(130));
    let done = Command::new(bin()).arg("inspect").arg(&out).output().unwrap();
    let text = String::from_utf8_lossy(&done.stdout);
    assert!(text.contains("incomplete run") && !text.contains("in progress"), "{text}");
}

/// Issue 10, item 5: the finite-state guard also covers a run shorter than its check period and
/// the tail of any run, and its message says the instability once.
#[test]
fn an_instability_in_a_short_run_is_caught_and_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("nan.toml");
    // 50 ms (500 steps, below the 1000-step check period) of an absurd dendritic current: V_s
    // overflows to NaN within a few steps.
    std::fs::write(
        &model,
        "[simulation]\nduration_ms = 50.0\n[[population]]\nname = \"pyr\"\nkind = \"pyramidal\"\nsize = 2\n\
         [[input]]\nkind = \"constant_current\"\ntarget = \"pyr\"\ncompartment = \"dendrite\"\ncurrent_pa = 1e300\n",
    )
    .unwrap();
    let out = dir.path().join("nan.h5");
    let r = Command::new(bin()).arg("run").arg(&model).arg("--quiet").arg("--out").arg(&out).output().unwrap();
    let msg = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{msg}");
    assert_eq!(msg.matches("numerical instability").count(), 1, "{msg}");
    assert!(msg.contains("\"pyr\"") && msg.contains("NaN") && msg.contains("t = 50 ms"), "{msg}");
    // The file is closed and readable, marked incomplete.
    let f = h5::File::open(&out).unwrap();
    assert_eq!(f.attr("complete").unwrap().read_scalar::<u8>().unwrap(), 0);
}
