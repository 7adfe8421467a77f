//! Burst-dependent plasticity online in a spiking network (issue 4 item 5, reduced): the reference's
//! Fig. 2E-G protocol (spec 7.2) on 200 -> 200 neurons with 10 s segments
//! (tests/data/plasticity_small.toml explains the scaling).

mod common;

use burstsim::model::{self, Overrides};
use hdf5_metno as h5;

fn weight_changes(seed: u64) -> (Vec<f64>, Vec<f64>) {
    let path = common::root().join("tests/data/plasticity_small.toml");
    let m = model::load(&path, &Overrides { seed: Some(seed), duration_ms: None }).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p.h5");
    common::run_to(m, &out, 1);
    let f = h5::File::open(&out).unwrap();
    let t = f.dataset("weights/plastic/time_ms").unwrap().read_raw::<f64>().unwrap();
    let w = f.dataset("weights/plastic/mean").unwrap().read_raw::<f64>().unwrap();
    (t, w)
}

/// Segments: 0-6 s off | 6-16 d0 | 16-26 1.5 d0 | 26-36 d0 | 36-46 0.55 d0 | 46-56 d0 | 56-66 d0
/// and +40 pA into the presynaptic dendrites. Expected (spec 7.2): up while BP > P_bar after the
/// dendritic drive rises, down after it falls, and little change when only the presynaptic BP
/// rises. Over seeds 3-6 the changes (in % of w0) were 3.8..6.3 (1.5 d0), -2.4..-1.5 (0.55 d0)
/// and 1.4..2.2 (presynaptic only, a drift also seen in the first d0 segment: -0.2..2.0); the bounds
/// below sit well outside that spread and would all fail for a rule with the wrong sign, a missing
/// P_bar baseline (the presynaptic segment would then rise like the 1.5 d0 one) or weights that do
/// not change.
#[test]
fn weights_follow_postsynaptic_bp_not_presynaptic_bp() {
    let (t, w) = weight_changes(3);
    let at = |ms: f64| w[t.iter().position(|&x| (x - ms).abs() < 1e-6).expect("snapshot time")];
    let pct = |a: f64, b: f64| 100.0 * (at(b) - at(a)) / w[0];
    // No change at all while plasticity is off.
    assert!(t.iter().zip(&w).filter(|(&ti, _)| ti <= 6000.0).all(|(_, &x)| x == w[0]));
    let up = pct(16_000.0, 26_000.0);
    let down = pct(36_000.0, 46_000.0);
    let pre_only = pct(56_000.0, 66_000.0);
    eprintln!("dW: 1.5 d0 {up:+.2} %, 0.55 d0 {down:+.2} %, presynaptic only {pre_only:+.2} %");
    assert!(up > 2.0, "weights must rise when the dendritic drive rises: {up}");
    assert!(down < -0.5, "weights must fall when the dendritic drive falls: {down}");
    assert!(pre_only.abs() < 0.5 * up, "presynaptic BP alone must move weights much less: {pre_only} vs {up}");
    // After the 1.5 d0 segment the drive returns to d0 and the weights come back down.
    assert!(pct(26_000.0, 36_000.0) < 0.0);
}
