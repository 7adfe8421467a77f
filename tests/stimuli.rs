//! Stimulus files in use (issue 3 item 4): models/ramp_stimulus.toml reads a looping somatic ramp
//! from stimuli/ramp.csv and one dendritic current per neuron from stimuli/dendritic_offsets.csv.

mod common;

use burstsim::model::Overrides;
use hdf5_metno as h5;

#[test]
fn ramp_from_file_drives_events_and_per_neuron_currents_drive_bursts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ramp.h5");
    common::run_to(common::load_model("ramp_stimulus.toml", Overrides::default()), &out, 1);
    let f = h5::File::open(&out).unwrap();
    let er = f.dataset("rates/pyr/event_rate_hz").unwrap().read_raw::<f64>().unwrap();
    assert_eq!(er.len(), 16, "4 s in 250 ms bins");
    // Per 1 s cycle the ramp is 0->400, 400->800, 800, 800->0 pA (mean 200, 600, 800, 400 pA) in
    // the four bins; the event rate follows: the 800 pA plateau beats the falling quarter in every
    // cycle (measured ~10 vs ~5 Hz; 100 neurons x 0.25 s gives ~250 events a bin, sd ~6 %).
    for c in 0..4 {
        assert!(er[4 * c + 2] > er[4 * c + 3] + 2.0, "cycle {c}: {:?}", &er[4 * c..4 * c + 4]);
    }
    // The dendritic offsets grow with the neuron index (0..495 pA): bursts per event are far more
    // frequent in the upper half (measured 0.98 vs 0.33).
    let e = f.dataset("events/pyr/node_ids").unwrap().read_raw::<u64>().unwrap();
    let b = f.dataset("bursts/pyr/node_ids").unwrap().read_raw::<u64>().unwrap();
    let frac = |v: &[u64], hi: bool| v.iter().filter(|&&i| (i >= 50) == hi).count() as f64;
    let (bp_lo, bp_hi) = (frac(&b, false) / frac(&e, false), frac(&b, true) / frac(&e, true));
    assert!(bp_hi > bp_lo + 0.3, "{bp_lo} vs {bp_hi}");
}

#[test]
fn bad_stimulus_files_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.csv"), "0, 1\n10, oops\n").unwrap();
    std::fs::write(dir.path().join("short.csv"), "1\n2\n").unwrap();
    let model = |input: &str| {
        format!("[simulation]\nduration_ms = 10.0\n[[population]]\nname = \"p\"\nkind = \"pyramidal\"\nsize = 3\n[[input]]\ntarget = \"p\"\ncompartment = \"soma\"\n{input}\n")
    };
    let cases = [
        ("kind = \"file_current\"\nfile = \"bad.csv\"", "bad.csv, line 2"),
        ("kind = \"file_current\"\nfile = \"none.csv\"", "cannot read the stimulus file"),
        (
            "kind = \"neuron_currents\"\nfile = \"short.csv\"",
            "2 values: expected one per neuron of the target population (3)",
        ),
        ("kind = \"neuron_currents\"\nvalues_pa = [1.0]", "one current per neuron (3)"),
    ];
    for (input, needle) in cases {
        let path = dir.path().join("m.toml");
        std::fs::write(&path, model(input)).unwrap();
        let e = burstsim::model::load(&path, &Overrides::default()).unwrap_err().to_string();
        assert!(e.contains("m.toml") && e.contains("input 0") && e.contains(needle), "{e}");
    }
}

/// `[simulation] protocol_file` adds the `[[phase]]` entries of another file to the model's.
#[test]
fn protocol_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("protocol.toml"),
        "[[phase]]\nat_ms = 5.0\ncurrent_pa = { step = 600.0 }\n\n[[phase]]\nat_ms = 8.0\ncurrent_pa = { step = 0.0 }\n",
    )
    .unwrap();
    let model = "[simulation]\nduration_ms = 10.0\nprotocol_file = \"protocol.toml\"\n[[population]]\nname = \"p\"\nkind = \"pyramidal\"\nsize = 1\n[[input]]\nname = \"step\"\nkind = \"constant_current\"\ntarget = \"p\"\ncompartment = \"soma\"\ncurrent_pa = 0.0\n[[phase]]\nat_ms = 2.0\ncurrent_pa = { step = 100.0 }\n";
    let path = dir.path().join("m.toml");
    std::fs::write(&path, model).unwrap();
    let mut m = burstsim::model::load(&path, &Overrides::default()).unwrap();
    assert_eq!(m.network.protocol().len(), 3);
    // The current follows the three changes: V_s moves by dt I / C_s per step while it is on.
    let net = &mut m.network;
    let mut v = vec![];
    for _ in 0..100 {
        net.step();
        if let burstsim::neuron::Population::Pyramidal(p) = net.population(0) {
            v.push(p.v_s[0]);
        }
    }
    // From rest the drift is tiny (the sigmoid tail), so the injected current dominates the steps.
    let dv = |k: usize| v[k] - v[k - 1];
    assert!(dv(10) < 0.01 && dv(30) > 0.02 && dv(60) > dv(30) && dv(90) < dv(60));
}
