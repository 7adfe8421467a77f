//! Issue 11, item 4: a warmed-up simulation step allocates (almost) nothing. A counting global
//! allocator (this test binary only) counts what is allocated while the network steps.
//!
//! What still allocates on one thread: the spike lists (mostly the STP projections' queues, also
//! the delay rings' slots and the detectors' event and burst lists) growing to a new peak number
//! of spikes per step. That growth is amortised (capacity doubles, bounded by the population
//! size); nothing is allocated per step. The same holds with a team: its task lists, the flags of
//! what each task took and the split populations' per-part spike lists are kept across steps.

mod common;

use burstsim::model::{self, Overrides};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static BYTES: AtomicU64 = AtomicU64::new(0);
static CALLS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
            CALLS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
            CALLS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// (bytes, allocations) of each of `windows` windows of 2000 steps of `model` (the first being the
/// warm-up).
fn windows(model: &str, threads: usize, windows: usize) -> Vec<(u64, u64)> {
    let path = common::root().join(model);
    let mut net = model::load(&path, &Overrides { seed: Some(7), duration_ms: Some(1500.0) }).unwrap().network;
    net.set_threads(threads).unwrap();
    let mut out = vec![];
    for _ in 0..windows {
        BYTES.store(0, Ordering::SeqCst);
        CALLS.store(0, Ordering::SeqCst);
        COUNTING.store(true, Ordering::SeqCst);
        for _ in 0..2000 {
            net.step();
        }
        COUNTING.store(false, Ordering::SeqCst);
        out.push((BYTES.load(Ordering::SeqCst), CALLS.load(Ordering::SeqCst)));
    }
    out
}

/// Both thread counts in one test: the counter is global, so they must not run at the same time.
#[test]
fn a_warmed_up_step_allocates_only_to_grow_spike_lists_to_new_peaks_with_or_without_a_team() {
    // The reduced Fig. 3 network (pyramidal and AdEx populations, Poisson drives, STP projections,
    // currents): 0.4 s of warm-up, then 3.6 s (the sines switch on at 1 s) in windows of 0.2 s.
    let small = "tests/data/multiplexing_small.toml";
    // Growth only: under one allocation per 100 steps and 64 KiB in all (measured: a few hundred
    // bytes in most windows, 0 in many, the most when the sines drive new peaks of activity).
    let growth_only = |label: &str, w: &[(u64, u64)]| {
        let steps = 2000 * (w.len() as u64 - 2);
        let (bytes, calls) = w[2..].iter().fold((0, 0), |(b, c), w| (b + w.0, c + w.1));
        assert!(calls * 100 < steps && bytes < 65_536, "{label}: {bytes} bytes in {calls} allocations: {w:?}");
    };
    let one = windows(small, 1, 20);
    growth_only("one thread", &one);
    let two = windows(small, 2, 20);
    growth_only("two threads", &two);
    // COBA (models/coba.toml): its 3200 excitatory neurons are stepped in two parts by a team.
    let split = windows("models/coba.toml", 2, 6);
    growth_only("two threads, a split population", &split);
    eprintln!("one thread: {one:?}\ntwo threads: {two:?}\nsplit: {split:?}");
}
