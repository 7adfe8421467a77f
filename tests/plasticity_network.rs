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

/// `[output.weights] full = true` writes every synapse's weight at each snapshot, with the synapse
/// list (pre, post); their mean is the recorded mean, and the rule's estimates are there too.
#[test]
fn full_weight_snapshots_agree_with_the_mean() {
    let path = common::root().join("tests/data/plasticity_small.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("estimates_of_first = 20", "estimates_of_first = 20\nfull = true");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("full.toml");
    std::fs::write(&file, text).unwrap();
    let m = model::load(&file, &Overrides { seed: Some(1), duration_ms: Some(9000.0) }).unwrap();
    let out = dir.path().join("full.h5");
    common::run_to(m, &out, 1);
    let f = h5::File::open(&out).unwrap();
    let values = f.dataset("weights/plastic/values").unwrap();
    let shape = values.shape();
    let pre = f.dataset("weights/plastic/pre").unwrap().read_raw::<u64>().unwrap();
    let post = f.dataset("weights/plastic/post").unwrap().read_raw::<u64>().unwrap();
    let mean = f.dataset("weights/plastic/mean").unwrap().read_raw::<f64>().unwrap();
    assert_eq!(shape, vec![10, pre.len()], "snapshots at 0, 1, ..., 9 s");
    assert_eq!(pre.len(), post.len());
    assert!(pre.iter().all(|&j| j < 200) && post.iter().all(|&i| i < 200));
    let all = values.read_2d::<f32>().unwrap();
    for (k, row) in all.rows().into_iter().enumerate() {
        let m: f64 = row.iter().map(|&w| w as f64).sum::<f64>() / row.len() as f64;
        assert!((m - mean[k]).abs() < 1e-6, "snapshot {k}: {m} vs {}", mean[k]);
    }
    // Weights moved after plasticity switched on (6 s) and stayed within [0, 1].
    assert!(all.row(9).iter().zip(all.row(0).iter()).any(|(a, b)| a != b));
    assert!(all.iter().all(|&w| (0.0..=1.0).contains(&w)));
    let p_bar = f.dataset("weights/plastic/p_bar").unwrap();
    assert_eq!(p_bar.shape(), vec![10, 20]);
}

/// Postsynaptic estimates are kept once per target population and time constant, shared by every
/// plastic projection onto it (issue 9), and sharing changes nothing: on the reduced Fig. 2E-G
/// model, a second plastic projection onto `post` with the same time constants (weight 0 and
/// bounds [0, 0], so it adds no conductance) reads the same estimates, and the first projection's
/// weights and estimates stay bit-identical to the run without it. A second projection that
/// counted the post events again, or a shared estimate updated before every projection had read
/// it, would change them.
#[test]
fn shared_estimates_equal_per_projection_ones_bit_for_bit() {
    let path = common::root().join("tests/data/plasticity_small.toml");
    let base = std::fs::read_to_string(&path).unwrap();
    let twin = base.replace(
        "[[input]]\nname = \"pre_dendrite\"",
        "[[projection]]\nname = \"twin\"\nfrom = \"input\"\nto = \"post\"\ntarget = \"soma\"\nreceptor = \"exc\"\n\
         connect = { p = 0.2 }\nweight = 0.0\nplasticity = { rule = \"burst\", eta = 3e-2, tau_pre_ms = 100.0, \
         tau_avg_ms = 2000.0, r_hom_init_hz = 5.0, w_max = 0.0 }\n\n[[input]]\nname = \"pre_dendrite\"",
    );
    assert_ne!(base, twin);
    let ov = Overrides { seed: None, duration_ms: Some(12_000.0) };
    let run = |text: &str| {
        let m = model::from_str(text, "p.toml", "p", &ov).unwrap();
        let mut net = m.network;
        for _ in 0..m.n_steps {
            net.step();
        }
        net
    };
    let (a, b) = (run(&base), run(&twin));
    let post = a.population_index("post").unwrap();
    let (pa, pb) = (&a.projections()[5], &b.projections()[5]);
    assert_eq!((pa.name(), pb.name()), ("plastic", "plastic"));
    assert_ne!(pa.mean_weight(), 0.3, "plasticity was on for 6 s");
    assert_eq!(pa.weights(), pb.weights(), "weights differ with a second plastic projection onto post");
    // One event/burst average (tau_avg 2 s) and one homeostatic trace, both shared: 200 neurons x
    // 3 traces x 8 bytes in either network.
    assert_eq!(a.estimates(post).bytes(), 200 * 3 * 8);
    assert_eq!(b.estimates(post).bytes(), 200 * 3 * 8);
    let id = pa.plasticity().unwrap().rule().average().unwrap();
    assert_eq!(b.projections()[6].plasticity().unwrap().rule().average(), Some(id));
    let (ea, eb) = (a.estimates(post).get_average(id), b.estimates(post).get_average(id));
    for i in 0..200 {
        assert_eq!(ea.e_bar(i).to_bits(), eb.e_bar(i).to_bits());
        assert_eq!(ea.b_bar(i).to_bits(), eb.b_bar(i).to_bits());
    }
    assert!(ea.event_rate_hz(0) > 0.0);
}
