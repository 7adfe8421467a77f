//! The spiking BurstCCN (issue 14) on models/burstccn_xor.toml: the single-phase property. Without
//! a teacher the SST-relayed and direct Q pathways cancel the bursts-only Y, so each hidden unit's
//! BP stays at its baseline p_b whatever the pattern (and so whatever the output's event rate); with
//! the teacher the hidden BP moves the way the rate model's -Y^T delta says.

mod common;

use burstsim::engine::ExampleKind;
use burstsim::model::{self, Overrides};
use burstsim::plasticity::RuleParams;

/// BP of populations `pops` over each example's window (its first 0.5 s left out), and the output's.
fn windows(text: &str, seed: u64, pops: &[&str]) -> Vec<(usize, Option<f64>, Vec<f64>, ExampleKind)> {
    let m =
        model::from_str(text, "burstccn_xor.toml", "b", &Overrides { seed: Some(seed), duration_ms: None }).unwrap();
    let mut net = m.network;
    let ids: Vec<usize> = pops.iter().map(|p| net.population_index(p).unwrap()).collect();
    let examples = net.examples().examples.clone();
    let targets = net.examples().targets.clone();
    let skip = 5000;
    let mut out = Vec::new();
    let (mut ev, mut bu) = (vec![0u64; ids.len()], vec![0u64; ids.len()]);
    let mut k = 0;
    for step in 0..m.n_steps {
        net.step();
        let Some(e) = examples.get(k) else { break };
        if step >= e.start_step + skip && step < e.end_step {
            for (j, &p) in ids.iter().enumerate() {
                ev[j] += net.spikes(p).events().len() as u64;
                bu[j] += net.spikes(p).bursts().len() as u64;
            }
        }
        if step + 1 == e.end_step {
            let bp = ev.iter().zip(&bu).map(|(&e, &b)| b as f64 / e.max(1) as f64).collect();
            out.push((e.pattern, targets[e.pattern][0], bp, e.kind));
            ev.iter_mut().chain(bu.iter_mut()).for_each(|c| *c = 0);
            k += 1;
        }
    }
    out
}

/// The model file and the p_b of the plastic projections onto `pop` (the baseline of that unit).
fn baseline(text: &str, pop: &str) -> f64 {
    let m = model::from_str(text, "b", "b", &Overrides { seed: None, duration_ms: Some(1.0) }).unwrap();
    let net = &m.network;
    let p = net.population_index(pop).unwrap();
    net.projections()
        .iter()
        .filter(|x| x.to().0 as usize == p)
        .find_map(|x| match x.config().plasticity {
            Some(RuleParams::BurstCcn(ref r)) => Some(r.p_baseline),
            _ => None,
        })
        .unwrap()
}

fn model_text() -> String {
    std::fs::read_to_string(common::root().join("models/burstccn_xor.toml")).unwrap()
}

#[test]
fn without_a_teacher_the_hidden_bp_stays_at_its_baseline_for_every_pattern() {
    // the four patterns held 4 s each (plasticity off, no teacher: the test examples), seed 3,
    // which the baselines were not measured with (seed 1). 500 neurons x 3.5 s x ~3-5 Hz gives
    // 5000-9000 events per window: a BP standard error of ~0.005, so 2 percentage points (the
    // issue's bound) is 4 standard errors; without the Q pathways hid0's BP would move with the
    // output by ~0.05-0.1 between the patterns
    let text = model_text()
        .replace("epochs = 100", "epochs = 0")
        .replace("example_ms = 2000.0", "example_ms = 4000.0")
        .replace("learning_ms = 2000.0", "learning_ms = 4000.0");
    let w = windows(&text, 3, &["hid0", "hid1"]);
    assert_eq!(w.len(), 8, "4 tests before and 4 after");
    for (j, pop) in ["hid0", "hid1"].iter().enumerate() {
        let pb = baseline(&text, pop);
        for (pattern, _, bp, _) in &w {
            assert!((bp[j] - pb).abs() < 0.02, "{pop}, pattern {pattern}: BP {} vs p_b {pb}", bp[j]);
        }
    }
}

#[test]
fn with_the_teacher_the_hidden_bp_follows_the_rate_models_feedback() {
    // two single-phase epochs (8 training examples of 2 s): sign(BP_hid - p_b) = sign(Y) sign(BP_out -
    // p_b,out) (burstccn-rate.md 1.3 with delta_out = -(b - p_b e)); Y is + onto hid0 and - onto hid1.
    // A full run agrees in 95 % of (unit, example) pairs (docs/spiking_burstccn.md); here at least 13
    // of the 16 pairs (a random sign would give 8 +- 2)
    let text = model_text().replace("epochs = 100", "epochs = 2");
    let w = windows(&text, 2, &["hid0", "hid1", "out0"]);
    let (p0, p1, po) = (baseline(&text, "hid0"), baseline(&text, "hid1"), baseline(&text, "out0"));
    let mut agree = 0;
    let mut pairs = 0;
    for (_, target, bp, _) in w.iter().filter(|x| x.3 == ExampleKind::Training) {
        // the teacher raises the output's BP for target 1 and lowers it for 0
        let out = (bp[2] - po).signum();
        assert_eq!(out > 0.0, target.unwrap() > 0.5, "output BP {} for target {target:?}", bp[2]);
        agree += ((bp[0] - p0).signum() == out) as u32 + ((bp[1] - p1).signum() == -out) as u32;
        pairs += 2;
    }
    assert_eq!(pairs, 16);
    assert!(agree >= 13, "{agree} of {pairs} hidden BP deviations have the predicted sign");
}

#[test]
fn the_analysis_script_reads_the_baselines_and_feedback_signs_from_the_run() {
    // analysis/burstccn_spiking.py on a one-epoch run (spikes of one pattern recorded for the
    // raster): p_b and the Y signs come from the model stored in the file, the four training
    // examples are scored, and the six-panel figure is written
    let has = common::python_has("h5py, matplotlib, numpy");
    if !has {
        assert!(std::env::var_os("BURSTSIM_REQUIRE_H5PY").is_none(), "python3 with h5py and matplotlib is required");
        eprintln!("skipping: python3 with h5py/matplotlib not available");
        return;
    }
    let dir = std::env::temp_dir().join(format!("burstsim-bccn-script-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = model_text().replace("epochs = 100", "epochs = 1").replace("spikes = false", "spikes = true");
    let m = model::from_str(&text, "burstccn_xor.toml", "burstccn_xor", &Overrides::default()).unwrap();
    let out = dir.join("run.h5");
    common::run_to(m, &out, 2);
    let png = dir.join("fig.png");
    let o = common::output(
        std::process::Command::new("python3")
            .arg(common::root().join("analysis/burstccn_spiking.py"))
            .arg(&out)
            .arg("--png")
            .arg(&png),
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{stdout}{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        stdout.contains("p_b {'hid0': 0.1388, 'hid1': 0.3038}, out0 0.306, Y signs {'hid0': 1.0, 'hid1': -1.0}"),
        "{stdout}"
    );
    assert!(stdout.contains("4 training examples") && stdout.contains("% agree"), "{stdout}");
    assert!(std::fs::metadata(&png).unwrap().len() > 20_000);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_ablation_models_are_the_model_with_one_change_each() {
    // analysis/burstccn_spiking.py ablations: every variant builds; noq has no Q projection, all
    // no filtered one, pbar no fixed-baseline rule, swapy the Y and Q rows exchanged; the "off"
    // files have no teacher targets
    let has = common::python_has("numpy, h5py");
    if !has {
        assert!(std::env::var_os("BURSTSIM_REQUIRE_H5PY").is_none(), "python3 with numpy and h5py is required");
        eprintln!("skipping: python3 with numpy/h5py not available");
        return;
    }
    let dir = std::env::temp_dir().join(format!("burstsim-bccn-ablations-{}", std::process::id()));
    let o = common::output(
        std::process::Command::new("python3")
            .arg(common::root().join("analysis/burstccn_spiking.py"))
            .args(["ablations"])
            .arg(common::root().join("models/burstccn_xor.toml"))
            .arg("--dir")
            .arg(&dir)
            .args(["--epochs", "2"]),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let build = |name: &str| {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        model::from_str(&text, name, "ablation", &Overrides::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let names = |m: &model::Model| -> Vec<String> {
        m.network.projections().iter().map(|p| p.name().to_string()).collect::<Vec<_>>()
    };
    let full = names(&build("swapy_on.toml"));
    let noq = names(&build("noq_on.toml"));
    assert!(full.iter().any(|n| n.starts_with("qs_")) && !noq.iter().any(|n| n.starts_with('q')));
    assert_eq!(noq.len(), full.len() - 3);
    let all = build("all_on.toml");
    assert!(all.network.projections().iter().all(|p| p.config().transmit == burstsim::synapse::Transmit::All));
    let pbar = build("pbar_on.toml");
    assert!(pbar.network.projections().iter().all(|p| !matches!(p.config().plasticity, Some(RuleParams::BurstCcn(_)))));
    assert!(pbar.network.projections().iter().any(|p| matches!(p.config().plasticity, Some(RuleParams::Burst(_)))));
    let swapped = build("swapy_on.toml");
    let weight =
        |m: &model::Model, n: &str| m.network.projections().iter().find(|p| p.name() == n).map(|p| p.mean_weight());
    assert!(weight(&swapped, "y_out0_hid1").is_some() && weight(&swapped, "y_out0_hid0").is_none());
    assert!(weight(&swapped, "qs_sst0_hid1").is_some() && weight(&swapped, "q_out0_hid0").is_some());
    for v in ["noq", "all", "pbar", "swapy"] {
        let off = std::fs::read_to_string(dir.join(format!("{v}_off.toml"))).unwrap();
        assert!(!off.contains("target = { teacher"), "{v}_off.toml still teaches");
        build(&format!("{v}_off.toml"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_xor_cost_falls_in_the_first_single_phase_epochs() {
    // six single-phase epochs of the full circuit (seed 1, 58 s simulated): the cost of spec 7.4 at
    // the end of each training example, averaged over an epoch, falls from 1.13 (epoch 0) to
    // 0.70-0.74 (epochs 4-5) as the output learns to fire for (1,0) and (0,1) (docs: 0.53 after
    // 100 epochs; the circuit learns OR, not yet XOR); a circuit that did not learn (e.g. a sign
    // error in the rule or the teacher) stays at or above 1.1
    use hdf5_metno as h5;
    let text = model_text().replace("epochs = 100", "epochs = 6");
    let m = model::from_str(&text, "burstccn_xor.toml", "burstccn_xor", &Overrides::default()).unwrap();
    let dir = std::env::temp_dir().join(format!("burstsim-bccn-cost-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("run.h5");
    common::run_to(m, &out, 2);
    let (kind, epoch, cost) = {
        let _g = common::SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let f = h5::File::open(&out).unwrap();
        let g = f.group("protocol/examples").unwrap();
        (
            g.dataset("kind").unwrap().read_raw::<u8>().unwrap(),
            g.dataset("epoch").unwrap().read_raw::<u32>().unwrap(),
            g.dataset("cost_after").unwrap().read_raw::<f64>().unwrap(),
        )
    };
    let mean = |e: &[u32]| {
        let v: Vec<f64> = (0..kind.len()).filter(|&i| kind[i] == 1 && e.contains(&epoch[i])).map(|i| cost[i]).collect();
        assert_eq!(v.len(), 4 * e.len());
        v.iter().sum::<f64>() / v.len() as f64
    };
    let (first, late) = (mean(&[0]), mean(&[4, 5]));
    assert!(first > 1.0, "epoch 0 cost {first}");
    assert!(late < 0.8 * first, "cost {first} in epoch 0, {late} in epochs 4-5");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_bias_variant_starts_with_an_or_and_an_and_unit_inside_its_bounds() {
    // models/burstccn_xor_bias.toml (docs/spiking_burstccn.md, v8): the bounds the doc derives from
    // the measured transfer, and the asymmetric start they hold the hidden units around: before
    // training (the four test patterns, no teacher, no plasticity, seed 1, 200 neurons x 1.5 s per
    // window) hid1 (Y -) is the expansive unit, its event rate at (1,0) a smaller share of its rate at
    // (1,1) than hid0's (docs: 6.5 / 16.2 Hz against 15.5 / 24.5 Hz), hid0 stays below 30 Hz of
    // events at (1,1), and the output is not XOR yet ((0,0) above (1,0))
    let text = std::fs::read_to_string(common::root().join("models/burstccn_xor_bias.toml")).unwrap();
    let text = text.replace("epochs = 100", "epochs = 0");
    let m = model::from_str(&text, "burstccn_xor_bias.toml", "b", &Overrides::default()).unwrap();
    let bound = |name: &str| {
        let p = m.network.projections().iter().find(|p| p.name() == name).unwrap_or_else(|| panic!("{name}"));
        match p.config().plasticity {
            Some(RuleParams::BurstCcn(ref r)) => (r.w_min, r.w_max),
            _ => panic!("{name} is not plastic with the BurstCCN rule"),
        }
    };
    assert_eq!(bound("ff1a_in0_hid0"), (0.0, 0.5));
    assert_eq!(bound("bh0_bias0_hid0"), (0.0, 0.15));
    assert_eq!(bound("ff1b_in1_hid1"), (0.0, 0.55));
    assert_eq!(bound("bh1_bias0_hid1"), (0.0, 0.1));
    assert_eq!(bound("ff2a_hid0_out0"), (0.1, 0.4));
    assert_eq!(bound("ff2b_hid1_out0"), (0.0, 0.2));
    assert_eq!(bound("bo_bias0_out0").1, 0.5);
    let mut net = m.network;
    let pops = ["hid0", "hid1", "out0"];
    let ids: Vec<usize> = pops.iter().map(|p| net.population_index(p).unwrap()).collect();
    let examples = net.examples().examples.clone();
    let skip = 5000;
    let mut er = [[0.0f64; 3]; 4];
    let mut k = 0;
    for step in 0..m.n_steps {
        net.step();
        let Some(e) = examples.get(k) else { break };
        if e.kind != ExampleKind::TestBefore {
            break;
        }
        if step >= e.start_step + skip && step < e.end_step {
            for (j, &p) in ids.iter().enumerate() {
                er[e.pattern][j] += net.spikes(p).events().len() as f64;
            }
        }
        if step + 1 == e.end_step {
            let secs = (e.end_step - e.start_step - skip) as f64 * 1e-4;
            er[e.pattern].iter_mut().for_each(|c| *c /= 200.0 * secs);
            k += 1;
        }
    }
    assert_eq!(k, 4, "four tests before training");
    // patterns in the file's order: (0,0), (1,0), (0,1), (1,1)
    let share = |j: usize| (er[1][j] + er[2][j]) / (2.0 * er[3][j]);
    assert!(
        share(1) < 0.8 * share(0),
        "hid0 {:?}, hid1 {:?}",
        er.iter().map(|r| r[0]).collect::<Vec<_>>(),
        er.iter().map(|r| r[1]).collect::<Vec<_>>()
    );
    assert!(er[3][0] < 30.0 && er[1][0] > 8.0, "hid0 {:?}", er.iter().map(|r| r[0]).collect::<Vec<_>>());
    assert!(er[0][2] > er[1][2], "output {:?}", er.iter().map(|r| r[2]).collect::<Vec<_>>());
}
