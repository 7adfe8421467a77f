//! Burst multiplexing across two layers (issue 3, spec 7.3) on the reduced network of
//! tests/data/multiplexing_small.toml (1/8 of Fig. 3, same in-degrees), and the analysis script.

mod common;

use burstsim::model::{self, Overrides};
use hdf5_metno as h5;
use std::f64::consts::TAU;
use std::process::Command;

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

/// Mean over each 50 ms bin (on the 0.1 ms grid) of a current given as a function of t (ms).
fn binned(t0: &[f64], f: impl Fn(f64) -> f64) -> Vec<f64> {
    t0.iter().map(|&t| (0..500).map(|k| f(t + 0.1 * k as f64)).sum::<f64>() / 500.0).collect()
}

struct Stats {
    corr: [f64; 4],
    cross: [f64; 2],
    means: [f64; 4],
}

fn analyse(file: &std::path::Path) -> Stats {
    let f = h5::File::open(file).unwrap();
    let read = |p: &str| f.dataset(p).unwrap().read_raw::<f64>().unwrap();
    let t = read("rates/pyr1/time_ms");
    let keep: Vec<usize> = (0..t.len()).filter(|&i| t[i] >= 1000.0).collect();
    let sel = |v: Vec<f64>| keep.iter().map(|&i| v[i]).collect::<Vec<f64>>();
    let t = sel(t);
    let (er1, br1) = (sel(read("rates/pyr1/event_rate_hz")), sel(read("rates/pyr1/burst_rate_hz")));
    let (er2, br2) = (sel(read("rates/pyr2/event_rate_hz")), sel(read("rates/pyr2/burst_rate_hz")));
    let bp = |b: &[f64], e: &[f64]| b.iter().zip(e).map(|(b, e)| b / e).collect::<Vec<f64>>();
    let (bp1, bp2) = (bp(&br1, &er1), bp(&br2, &er2));
    // The model's currents (models/multiplexing.toml): a 200 pA, 500 ms sine on the pyr1 soma and
    // 100 pA + a 100 pA, 500 sqrt(5) ms sine on the pyr2 dendrite, both from t = 1 s.
    let i_soma = binned(&t, |t| 200.0 * (TAU * t / 500.0).sin());
    let i_dend = binned(&t, |t| 100.0 + 100.0 * (TAU * t / (500.0 * 5f64.sqrt())).sin());
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let ratio = |b: &[f64], e: &[f64]| b.iter().sum::<f64>() / e.iter().sum::<f64>();
    Stats {
        corr: [pearson(&er1, &i_soma), pearson(&bp2, &i_dend), pearson(&er2, &er1), pearson(&bp1, &br2)],
        cross: [pearson(&bp2, &i_soma).abs(), pearson(&er1, &i_dend).abs()],
        means: [mean(&er1), ratio(&br1, &er1), mean(&er2), ratio(&br2, &er2)],
    }
}

/// The four signatures of multiplexing (events follow the somatic input, bursts the dendritic
/// input, events propagate forward, bursts backward) with little cross-talk, and the reference's
/// mean rates. The full network (4000 per layer) gives 0.94-0.96 / 0.91-0.94 / 0.88-0.91 on the
/// correlations (README); at 1/8 of the neurons each 50 ms bin holds ~140 events instead of ~1100,
/// so the binned rates carry sqrt(8) = 2.8x the relative sampling noise and six seeds gave
/// correlations of 0.72-0.93 (seed 1: 0.92 / 0.88 / 0.83 / 0.86) and cross-talk up to 0.13. The
/// bounds (>= 0.78, <= 0.2, means within 20 % of the reference's ER 5.6 / BP 24 % / ER 5.7 /
/// BP 28 %) hold for seed 1 with margin and fail for the broken variants we met: with the eTM
/// facilitation increment (f = 0.1 instead of U) the layers burst in synchronous volleys and the
/// correlations fall to ~0.3.
#[test]
fn reduced_network_multiplexes_events_and_bursts() {
    let path = common::root().join("tests/data/multiplexing_small.toml");
    let m = model::load(&path, &Overrides { seed: Some(1), duration_ms: None }).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mx.h5");
    common::run_to(m, &out, 1);
    let s = analyse(&out);
    eprintln!("corr {:?} cross {:?} means {:?}", s.corr, s.cross, s.means);
    for (name, c) in ["ER1~I_soma", "BP2~I_dend", "ER2~ER1", "BP1~BR2"].iter().zip(s.corr) {
        assert!(c >= 0.78, "{name}: {c}");
    }
    for c in s.cross {
        assert!(c <= 0.2, "cross-talk {c}");
    }
    for (m, r) in s.means.iter().zip([5.6, 0.24, 5.7, 0.28]) {
        assert!((m / r - 1.0).abs() <= 0.2, "mean {m} vs reference {r}");
    }
    // The analysis script computes the same figures from the same file (run when h5py is there;
    // CI sets BURSTSIM_REQUIRE_H5PY=1) and draws the figure.
    let has_h5py = {
        let _guard = common::SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        Command::new("python3").args(["-c", "import h5py, matplotlib"]).status().is_ok_and(|x| x.success())
    };
    if !has_h5py {
        assert!(std::env::var_os("BURSTSIM_REQUIRE_H5PY").is_none(), "h5py and matplotlib are required");
        return;
    }
    let png = dir.path().join("mx.png");
    let _guard = common::SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let py = Command::new("python3")
        .arg(common::root().join("analysis/multiplexing.py"))
        .arg(&out)
        .arg("--png")
        .arg(&png)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&py.stdout);
    assert!(py.status.success(), "{text}{}", String::from_utf8_lossy(&py.stderr));
    let value = |key: &str| -> f64 {
        let line = text.lines().find(|l| l.contains(key)).unwrap_or_else(|| panic!("{key} in {text}"));
        line.split_whitespace().last().unwrap().parse().unwrap()
    };
    assert!((value("corr(ER1, I_soma1)") - s.corr[0]).abs() < 2e-3);
    assert!((value("corr(BP1, BR2)") - s.corr[3]).abs() < 2e-3);
    assert!((value("mean BP2") - s.means[3]).abs() < 2e-3);
    assert!(std::fs::metadata(&png).unwrap().len() > 10_000, "the figure was drawn");
}

/// Same model file and seed: identical spikes, events and bursts with 1, 2, 3 and 4 threads and
/// across reruns, for every population kind (pyramidal, PV/SST AdEx, Poisson drives, STP
/// projections), since the parallel phases only split work between objects that own their state
/// and random streams (issue 11, item 5).
#[test]
fn thread_count_does_not_change_the_spikes() {
    let path = common::root().join("tests/data/multiplexing_small.toml");
    let dir = tempfile::tempdir().unwrap();
    let mut outs = vec![];
    for (k, threads) in [1, 2, 3, 4, 1].into_iter().enumerate() {
        let m = model::load(&path, &Overrides { seed: Some(7), duration_ms: Some(1500.0) }).unwrap();
        let out = dir.path().join(format!("run{k}_t{threads}.h5"));
        common::run_to(m, &out, threads);
        outs.push((threads, out));
    }
    for group in ["spikes", "events", "bursts"] {
        for pop in ["pyr1", "pyr2", "pv", "sst"] {
            let a = common::read_spikes(&outs[0].1, group, pop);
            assert!(group != "spikes" || !a.0.is_empty(), "{pop} is silent");
            for (threads, out) in &outs[1..] {
                assert_eq!(a, common::read_spikes(out, group, pop), "{group}/{pop}, {threads} threads");
            }
        }
    }
}
