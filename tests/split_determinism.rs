//! Populations larger than the engine's chunk are split into parts that the team's members step
//! at the same time; the parts, and the order in which their spikes are joined, do not depend on
//! the number of threads, so a one-population network gives the same spikes and state with 1, 2
//! and 3 threads (LIF: the COBA network ten times larger; pyramidal: the Fig. 3 layers; AdEx: an
//! inline model).

mod common;

use burstsim::engine::{Network, SPLIT_CHUNK};
use burstsim::model::{self, Overrides};

/// The spikes of every population at every step, then every recordable state value, after
/// `steps` steps on `threads` threads.
fn trace(mut net: Network, threads: usize, steps: usize) -> (Vec<Vec<u32>>, Vec<Vec<u32>>) {
    net.set_threads(threads).unwrap();
    let mut spikes = vec![];
    for _ in 0..steps {
        net.step();
        for p in 0..net.n_populations() {
            spikes.push(net.last_spikes(p).to_vec());
        }
    }
    let mut state = vec![];
    for p in 0..net.n_populations() {
        let pop = net.population(p);
        let all: Vec<u32> = (0..pop.len() as u32).collect();
        for var in 0..pop.recordables().len() {
            let mut out = vec![];
            pop.sample(var, &all, &mut out);
            state.push(out.iter().map(|x| x.to_bits()).collect());
        }
    }
    (spikes, state)
}

/// Same spikes and state bits at 1, 2 and 3 threads; the largest population spans `parts` chunks.
fn assert_thread_count_invariant(load: impl Fn() -> Network, steps: usize, parts: usize) {
    let net = load();
    let largest = (0..net.n_populations()).map(|p| net.population(p).len()).max().unwrap();
    assert_eq!(largest.div_ceil(SPLIT_CHUNK), parts, "the model must be split as intended");
    let (spikes, state) = trace(net, 1, steps);
    assert!(spikes.iter().map(Vec::len).sum::<usize>() > 100, "the network must spike");
    for threads in [2, 3] {
        let (s, x) = trace(load(), threads, steps);
        assert!(s == spikes, "spikes differ at {threads} threads");
        assert!(x == state, "state differs at {threads} threads");
    }
}

#[test]
fn a_split_lif_population_gives_the_same_spikes_and_state_whatever_the_thread_count() {
    // 32 000 excitatory neurons: 16 parts, the last one shorter.
    let load = || common::load_model("coba40k.toml", Overrides { seed: Some(3), duration_ms: Some(100.0) }).network;
    assert_thread_count_invariant(load, 1000, 16);
}

#[test]
fn split_pyramidal_layers_give_the_same_spikes_and_state_whatever_the_thread_count() {
    let load =
        || common::load_model("multiplexing.toml", Overrides { seed: Some(3), duration_ms: Some(100.0) }).network;
    assert_thread_count_invariant(load, 1000, 2);
}

#[test]
fn a_split_adex_population_gives_the_same_spikes_and_state_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("adex.toml");
    std::fs::write(
        &path,
        r#"
[simulation]
dt_ms = 0.1
duration_ms = 100.0
seed = 5

[[population]]
name = "pv"
kind = "pv"
size = 5000
v_init_sd_mv = 5.0

[[input]]
kind = "poisson"
target = "pv"
compartment = "soma"
receptor = "exc"
rate_hz = 2000.0
weight = 0.75
"#,
    )
    .unwrap();
    let load = || model::load(&path, &Overrides::default()).unwrap().network;
    assert_thread_count_invariant(load, 1000, 3);
}
