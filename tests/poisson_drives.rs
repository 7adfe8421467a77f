//! Poisson `[[input]]` drives fused into their one-to-one projections (`Network::fuse_drives`):
//! a drive's spikes are generated when they arrive, `delay` steps after their emission, and added
//! straight to the conductances. Recording the drive's spikes keeps it a source population with
//! a delay ring (the way every drive ran before), so the two ways can be run side by side: the
//! target's spikes must be the same bit for bit, through delays, rate changes of `[[phase]]`
//! entries (which a lagging process must meet at the emission step, not at the clock's), a scaled
//! weight, a time-varying rate, and fast (table-drawn) and slow (exponential-drawn) gaps.

use burstsim::model::{self, Overrides};

const MODEL: &str = r#"
[simulation]
dt_ms = 0.1
duration_ms = 700.0
seed = 3

[[population]]
name = "pyr"
kind = "pyramidal"
size = 500
v_init_sd_mv = 5.0

[[input]]
name = "fast"
kind = "poisson"
target = "pyr"
compartment = "soma"
receptor = "exc"
rate_hz = 500.0
weight = 0.45

[[input]]
name = "slow"
kind = "poisson"
target = "pyr"
compartment = "soma"
receptor = "inh"
rate_hz = 40.0
weight = 0.5
delay_ms = 2.5

[[input]]
name = "wave"
kind = "poisson"
target = "pyr"
compartment = "dendrite"
receptor = "exc"
rate_hz = 300.0
modulation = { amplitude_hz = 200.0, period_ms = 100.0 }
weight = 0.1

[[input]]
name = "quiet"
kind = "poisson"
target = "pyr"
compartment = "dendrite"
receptor = "inh"
rate_hz = 0.0
weight = 0.1

[[phase]]
at_ms = 200.1
rate_hz = { fast = 250.0, slow = 120.0, quiet = 300.0 }
weight_scale = { slow = 2.0 }

[[phase]]
at_ms = 400.3
rate_hz = { wave = 450.0, fast = 600.0 }
"#;

/// The spikes of "pyr", step by step, with the drives fused or, when `record` lists them, kept
/// as source populations; and whether each drive was fused.
fn run(record: &str, threads: usize) -> (Vec<Vec<u32>>, Vec<bool>, u64) {
    let text = format!("{MODEL}\n[output]\nfile = \"unused.h5\"\npopulations = [{record}]\n");
    let mut m = model::from_str(&text, "drives.toml", "drives", &Overrides::default()).unwrap();
    let net = &mut m.network;
    net.set_threads(threads).unwrap();
    let pyr = net.population_index("pyr").unwrap();
    let fused = ["fast", "slow", "wave", "quiet"].map(|n| net.is_fused(net.population_index(n).unwrap())).to_vec();
    let spikes = (0..m.n_steps)
        .map(|_| {
            net.step();
            net.last_spikes(pyr).to_vec()
        })
        .collect();
    (spikes, fused, net.synaptic_events())
}

#[test]
fn fused_drives_give_the_spikes_of_drives_run_as_source_populations() {
    let (fused, which, events) = run("\"pyr\"", 1);
    assert_eq!(which, [true; 4], "every drive read by one plain projection and not recorded is fused");
    let (kept, which_kept, events_kept) = run("\"pyr\", \"fast\", \"slow\", \"wave\", \"quiet\"", 1);
    assert_eq!(which_kept, [false; 4], "a recorded drive keeps its spike lists");
    let n: usize = fused.iter().map(Vec::len).sum();
    // 500 neurons x 0.7 s at a few Hz: enough spikes that a shifted drive would show
    assert!(n > 500, "only {n} spikes");
    assert_eq!(fused.len(), kept.len());
    for (step, (a, b)) in fused.iter().zip(&kept).enumerate() {
        assert_eq!(a, b, "step {step}");
    }
    // the same synaptic events are counted (one per delivered drive spike)
    assert_eq!(events, events_kept);
    // and on two threads (the drives are then generated inside the deliver tasks)
    assert_eq!(run("\"pyr\"", 2).0, fused);
}
