//! The background model of spec 7.5 (issue 2 item 9) and the determinism promise.

mod common;

use burstsim::model::Overrides;
use burstsim::record::inspect::inspect;
use common::*;

/// The reference states "ER 4-5 Hz, BP ~12 %" for 1000 Naud neurons under the sparse 5 Hz
/// background with no injected current (spec 7.5). We run the full model (10 s, 1000 neurons,
/// 50 000 sources, ~1 s of CPU) and ask for ER in 3.5-5.5 Hz and BP in 8-17 %. Sampling error is
/// small against these bands: 1000 neurons x 10 s gives ~40 000 events and ~5 000 bursts, so the
/// BP estimate has a binomial sd of ~0.2 points and ER one of ~0.02 Hz; the bands are the issue's
/// and cover the reference's own statement plus seed-to-seed wiring differences.
#[test]
fn background_event_rate_and_burst_probability_match_reference() {
    let dir = tempfile::tempdir().unwrap();
    for seed in [1u64, 2] {
        let out = dir.path().join(format!("bg{seed}.h5"));
        run_to(load_model("background.toml", Overrides { seed: Some(seed), duration_ms: None }), &out, 1);
        let stats = inspect(out.to_str().unwrap()).unwrap();
        let pyr = stats.iter().find(|s| s.name == "pyr").expect("pyr recorded");
        let er = pyr.event_rate_hz().unwrap();
        let bp = pyr.burst_prob().unwrap();
        eprintln!("seed {seed}: rate {:.3} Hz, ER {er:.3} Hz, BP {bp:.4}", pyr.rate_hz());
        assert!((3.5..=5.5).contains(&er), "ER {er}");
        assert!((0.08..=0.17).contains(&bp), "BP {bp}");
        // Spikes = events + bursts + others, so the spike rate exceeds ER + BR.
        assert!(pyr.rate_hz() >= er + pyr.burst_rate_hz().unwrap() - 1e-9);
        assert_eq!(pyr.t_ms, 10_000.0);
    }
}

/// Same model file and seed give the same bytes in /spikes with 1 and 2 threads; another seed
/// gives other spikes.
#[test]
fn same_seed_same_spikes_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let ov = |seed| Overrides { seed: Some(seed), duration_ms: Some(2000.0) };
    let a = dir.path().join("a.h5");
    let b = dir.path().join("b.h5");
    let c = dir.path().join("c.h5");
    run_to(load_model("background.toml", ov(3)), &a, 1);
    run_to(load_model("background.toml", ov(3)), &b, 2);
    run_to(load_model("background.toml", ov(4)), &c, 2);
    let (ta, ia) = read_spikes(&a, "spikes", "pyr");
    let (tb, ib) = read_spikes(&b, "spikes", "pyr");
    let (tc, _) = read_spikes(&c, "spikes", "pyr");
    assert!(ta.len() > 1000);
    assert_eq!(ta.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), tb.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
    assert_eq!(ia, ib);
    assert_ne!(ta, tc);
    for g in ["events", "bursts"] {
        assert_eq!(read_spikes(&a, g, "pyr"), read_spikes(&b, g, "pyr"), "{g}");
    }
}

/// Spikes are appended per step, so timestamps never decrease ("by_time"), lie on the dt grid, and
/// every burst onset is a recorded event of the same neuron.
#[test]
fn output_invariants() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.h5");
    run_to(load_model("background.toml", Overrides { seed: Some(5), duration_ms: Some(3000.0) }), &out, 1);
    let (t, ids) = read_spikes(&out, "spikes", "pyr");
    assert!(t.windows(2).all(|w| w[0] <= w[1]));
    assert!(t.iter().all(|&x| ((x / 0.1) - (x / 0.1).round()).abs() < 1e-6 && x < 3000.0));
    assert!(ids.iter().all(|&i| i < 1000));
    let (et, ei) = read_spikes(&out, "events", "pyr");
    let (bt, bi) = read_spikes(&out, "bursts", "pyr");
    let events: std::collections::HashSet<(u64, u64)> =
        et.iter().zip(&ei).map(|(&t, &i)| ((t * 10.0).round() as u64, i)).collect();
    assert!(!bt.is_empty());
    for (&t, &i) in bt.iter().zip(&bi) {
        assert!(events.contains(&((t * 10.0).round() as u64, i)), "burst onset {t} of {i} is not an event");
    }
    // Events are a subset of spikes.
    let spikes: std::collections::HashSet<(u64, u64)> =
        t.iter().zip(&ids).map(|(&t, &i)| ((t * 10.0).round() as u64, i)).collect();
    assert!(events.iter().all(|e| spikes.contains(e)));
    // Binned rates agree with the counts: sum over bins of ER * bin * N = number of events.
    let f = hdf5_metno::File::open(&out).unwrap();
    let er = f.dataset("rates/pyr/event_rate_hz").unwrap().read_raw::<f64>().unwrap();
    assert_eq!(er.len(), 60, "3000 ms in 50 ms bins");
    let total: f64 = er.iter().map(|r| r * 0.05 * 1000.0).sum();
    assert!((total - et.len() as f64).abs() < 1e-6, "{total} vs {}", et.len());
}
