//! Issue 15 item 8, interoperability: a run read into Neo by analysis/burstsim_io.py and converted
//! to NWB by analysis/to_nwb.py gives back exactly the spikes, events and bursts of the file; and
//! the file holds its protocol file's phases (root attribute `protocol_file_text`), which the
//! scripts read. Python with h5py, neo and pynwb is installed by the README's test command; set
//! BURSTSIM_REQUIRE_H5PY=1 (as CI does) to turn a missing package into a failure, not a skip.

mod common;

use burstsim::model::{self, Overrides};
use common::{root, SPAWN_LOCK};
use hdf5_metno as h5;
use std::path::Path;
use std::process::{Command, Output};

/// Two pyramidal populations of different sizes under a sparse Poisson background (spec 7.5 in
/// small: ~5 Hz, some bursts), and a recorded Poisson population, which has no events or bursts.
/// Phases come from the model (1000 ms) and from its protocol file (500 ms, 1200 ms).
const MODEL: &str = r#"[simulation]
title = "interop test: two small pyramidal populations"
duration_ms = 1500.0
seed = 4
protocol_file = "protocol.toml"

[[population]]
name = "pyr"
kind = "pyramidal"
size = 60
v_init_sd_mv = 5.0

[[population]]
name = "pyr_b"
kind = "pyramidal"
size = 25
v_init_sd_mv = 5.0

[[population]]
name = "bg"
kind = "poisson"
size = 2500
rate_hz = 5.0

[[population]]
name = "drive"
kind = "poisson"
size = 7
rate_hz = 20.0

[[projection]]
from = "bg"
to = "pyr"
target = "soma"
receptor = "exc"
connect = { p = 0.04 }
weight = 0.17

[[projection]]
from = "bg"
to = "pyr"
target = "dendrite"
receptor = "exc"
connect = { p = 0.04 }
weight = 0.05

[[projection]]
from = "bg"
to = "pyr_b"
target = "soma"
receptor = "exc"
connect = { p = 0.04 }
weight = 0.17

[[projection]]
name = "drive_b"
from = "drive"
to = "pyr_b"
target = "dendrite"
receptor = "exc"
connect = "all_to_all"
weight = 0.1

[[input]]
name = "step"
kind = "constant_current"
target = "pyr_b"
compartment = "dendrite"
current_pa = 0.0

[[phase]]
at_ms = 1000.0
current_pa = { step = 150.0 }

[output]
populations = ["pyr", "pyr_b", "drive"]
"#;

const PROTOCOL: &str = "# phases from a protocol file\n[[phase]]\nat_ms = 500.0\nrate_hz = { drive = 40.0 }\n\n\
                        [[phase]]\nat_ms = 1200.0\nweight_scale = { drive_b = 2.0 }\n";

/// Reads the file with h5py (the reference) and with burstsim_io (Neo), then converts it with
/// to_nwb.py and reads that with pynwb's NWBHDF5IO: every neuron's times must be the same, in ms
/// for Neo and as ms / 1000 in seconds for NWB, bit for bit. Prints one summary line.
const CHECK: &str = r#"
import sys
import h5py, neo, numpy as np, quantities as pq
from pynwb import NWBHDF5IO
sys.path.insert(0, sys.argv[1])
import burstsim_io

run, nwb_path, to_nwb = sys.argv[2], sys.argv[3], sys.argv[4]
f = h5py.File(run, "r")
t_stop = float(f.attrs["t_stop_ms"])
pops = list(f["spikes"])
n_nodes = {p: int(f[f"spikes/{p}"].attrs["n_nodes"]) for p in pops}

def reference(kind, pop):
    # per neuron, its sorted times as h5py reads them from the file
    if f"{kind}/{pop}" not in f:
        return [np.zeros(0)] * n_nodes[pop]
    t, ids = f[f"{kind}/{pop}/timestamps"][()], f[f"{kind}/{pop}/node_ids"][()]
    return [np.sort(t[ids == i]) for i in range(n_nodes[pop])]

ref = {(k, p): reference(k, p) for k in burstsim_io.KINDS for p in pops}

# Neo
block = burstsim_io.load(run, what=("spikes", "events", "bursts"))
assert isinstance(block, neo.Block) and len(block.segments) == 1
seg = block.segments[0]
assert [g.name for g in block.groups] == pops, [g.name for g in block.groups]
assert len(seg.spiketrains) == 3 * sum(n_nodes.values())
for (kind, pop), per_neuron in ref.items():
    sts = seg.filter([{"population": pop}, {"kind": kind}], objects=neo.SpikeTrain)
    assert [st.annotations["node_id"] for st in sts] == list(range(n_nodes[pop])), (kind, pop)
    for i, st in enumerate(sts):
        assert st.units == pq.ms and st.t_start == 0 * pq.ms and st.t_stop == t_stop * pq.ms
        assert st.name == f"{pop}[{i}]"
        assert np.array_equal(st.magnitude, per_neuron[i]), (kind, pop, i)
assert block.annotations["seed"] == 4 and block.annotations["title"].startswith("interop test")
one = burstsim_io.load(run, what="bursts", population="pyr_b")
assert [st.annotations["kind"] for st in one.segments[0].spiketrains] == ["bursts"] * n_nodes["pyr_b"]
assert all(np.array_equal(st.magnitude, ref[("bursts", "pyr_b")][i]) for i, st in enumerate(one.segments[0].spiketrains))

# NWB
import subprocess
subprocess.run([sys.executable, to_nwb, run, nwb_path], check=True)
with NWBHDF5IO(nwb_path, "r") as io:
    nwb = io.read()
    units = nwb.units
    assert len(units) == sum(n_nodes.values())
    assert nwb.session_description.startswith("interop test: two small pyramidal populations")
    assert "protocol file:" in nwb.notes and "drive = 40.0" in nwb.notes
    assert units.resolution == float(f.attrs["dt_ms"]) / 1000.0
    row = 0
    for pop in pops:
        for i in range(n_nodes[pop]):
            assert units["population"][row] == pop and units["node_id"][row] == i
            for kind, col in (("spikes", "spike_times"), ("events", "event_times"), ("bursts", "burst_times")):
                got = np.asarray(units[col][row])
                assert np.array_equal(got, ref[(kind, pop)][i] / 1000.0), (col, pop, i, got)
            assert np.array_equal(np.asarray(units["obs_intervals"][row]), [[0.0, t_stop / 1000.0]])
            row += 1
    counts = {c: sum(len(units[c][r]) for r in range(len(units))) for c in ("spike_times", "event_times", "burst_times")}
for kind, col in (("spikes", "spike_times"), ("events", "event_times"), ("bursts", "burst_times")):
    in_file = sum(len(f[f"{kind}/{p}/timestamps"]) for p in pops if f"{kind}/{p}" in f)
    assert counts[col] == in_file, (col, counts[col], in_file)
print("phases", " ".join(f"{t:g}" for t in burstsim_io.phase_times(f)))
print("counts", " ".join(f"{p}:{sum(len(x) for x in ref[('spikes', p)])}:{sum(len(x) for x in ref[('events', p)])}:"
                         f"{sum(len(x) for x in ref[('bursts', p)])}" for p in pops))
"#;

/// Whether python3 imports `modules`; when not, fails under BURSTSIM_REQUIRE_H5PY and skips
/// otherwise.
fn python_has(modules: &str) -> bool {
    let ok = {
        let _g = SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        Command::new("python3").args(["-c", &format!("import {modules}")]).status().is_ok_and(|s| s.success())
    };
    if !ok {
        assert!(std::env::var_os("BURSTSIM_REQUIRE_H5PY").is_none(), "python3 with {modules} is required");
        eprintln!("skipping: python3 with {modules} not available");
    }
    ok
}

fn python(args: &[&std::ffi::OsStr]) -> Output {
    let _g = SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    Command::new("python3").args(args).output().unwrap()
}

/// Writes the model and its protocol file into `dir` and runs it to `dir/run.h5`.
fn run_model(dir: &Path) -> std::path::PathBuf {
    std::fs::write(dir.join("protocol.toml"), PROTOCOL).unwrap();
    std::fs::write(dir.join("m.toml"), MODEL).unwrap();
    let m = model::load(&dir.join("m.toml"), &Overrides::default()).expect("the test model loads");
    let out = dir.join("run.h5");
    common::run_to(m, &out, 1);
    out
}

/// The protocol file's text is stored beside the model's, so the file alone holds every phase.
#[test]
fn the_output_stores_the_protocol_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_model(dir.path());
    let f = h5::File::open(&out).unwrap();
    let text = f.attr("protocol_file_text").unwrap().read_scalar::<h5::types::VarLenUnicode>().unwrap();
    assert_eq!(text.as_str(), PROTOCOL);
    // a model without a protocol file has no such attribute (nothing to mistake for one)
    let plain = MODEL.replace("protocol_file = \"protocol.toml\"\n", "");
    std::fs::write(dir.path().join("plain.toml"), plain).unwrap();
    let m = model::load(&dir.path().join("plain.toml"), &Overrides { seed: None, duration_ms: Some(50.0) }).unwrap();
    let out2 = dir.path().join("plain.h5");
    common::run_to(m, &out2, 1);
    assert!(h5::File::open(&out2).unwrap().attr("protocol_file_text").is_err());
}

/// Neo and NWB read back exactly what h5py reads (the Python side asserts it per neuron), the
/// phases are the model's and the protocol file's, and the counts the script saw are those the
/// hdf5 crate reads, so it did not check an empty file.
#[test]
fn neo_and_nwb_read_back_exactly_the_files_spikes() {
    if !python_has("h5py, neo, pynwb") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = run_model(dir.path());
    let nwb = dir.path().join("run.nwb");
    let check = dir.path().join("check.py");
    std::fs::write(&check, CHECK).unwrap();
    let analysis = root().join("analysis");
    let to_nwb = analysis.join("to_nwb.py");
    let o = python(&[check.as_os_str(), analysis.as_os_str(), out.as_os_str(), nwb.as_os_str(), to_nwb.as_os_str()]);
    let stdout = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(o.status.success(), "{stdout}{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("phases 500 1000 1200"), "{stdout}");
    let counts = stdout.lines().find_map(|l| l.strip_prefix("counts ")).expect("counts line");
    let mut expected = vec![];
    for pop in ["drive", "pyr", "pyr_b"] {
        // h5py lists groups by name, and the scripts keep that order
        let n = |group: &str| {
            if pop == "drive" && group != "spikes" {
                0 // a Poisson population has no detector: no events or bursts recorded
            } else {
                common::read_spikes(&out, group, pop).0.len()
            }
        };
        let (s, e, b) = (n("spikes"), n("events"), n("bursts"));
        assert!(s > 0 && (pop == "drive" || (e > 0 && b > 0)), "{pop}: {s} spikes {e} events {b} bursts");
        expected.push(format!("{pop}:{s}:{e}:{b}"));
    }
    assert_eq!(counts, expected.join(" "));
}

/// to_nwb.py never replaces an existing output without --force (and leaves it as it was), replaces
/// it with --force, and says what is wrong with an input that is not a burstsim file.
#[test]
fn to_nwb_refuses_to_overwrite_and_names_bad_inputs() {
    if !python_has("h5py, pynwb") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = run_model(dir.path());
    let to_nwb = root().join("analysis/to_nwb.py");
    let nwb = dir.path().join("x.nwb");
    std::fs::write(&nwb, "keep me").unwrap();
    let o = python(&[to_nwb.as_os_str(), out.as_os_str(), nwb.as_os_str()]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(!o.status.success() && err.contains("exists") && err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&nwb).unwrap(), "keep me");
    let o = python(&[to_nwb.as_os_str(), out.as_os_str(), nwb.as_os_str(), "--force".as_ref()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read(&nwb).unwrap().starts_with(b"\x89HDF"), "an HDF5 (NWB) file replaced it");
    // the NWB file is HDF5 but not a burstsim output; a text file is not HDF5 at all
    let cases = [(nwb.clone(), "not a burstsim output file"), (dir.path().join("m.toml"), "cannot be read as HDF5")];
    for (input, needle) in cases {
        let target = dir.path().join("y.nwb");
        let o = python(&[to_nwb.as_os_str(), input.as_os_str(), target.as_os_str()]);
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(!o.status.success() && err.contains(needle) && !err.contains("Traceback"), "{err}");
        assert!(!target.exists(), "no output is left behind by a failed conversion");
    }
}
