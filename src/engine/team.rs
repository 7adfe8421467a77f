//! Persistent worker threads for the per-step parallel phases (DESIGN.md "Performance notes": a
//! rayon fork/join per step costs about as much as the work of a 4000-neuron population, so the
//! workers live for the whole run and meet the main thread at a spinning barrier, ~1 us).
//!
//! [`Team::run`] runs a job on every member (the calling thread is member 0) and returns when all
//! have finished. Jobs split work between objects that own their state (whole populations, groups of
//! projections with the same target), so results do not depend on the number of members.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// A job for the team: called once per member with the member's index.
type Job = dyn Fn(usize) + Sync;

struct Shared {
    /// Bumped by the main thread to start a job.
    epoch: AtomicU64,
    /// Workers that finished the current job.
    done: AtomicUsize,
    /// Set when the team is dropped.
    stop: AtomicBool,
    /// The current job. Written by the main thread before `epoch` is bumped (Release) and read by
    /// workers after they see the new epoch (Acquire); valid until `done` reaches the worker count.
    job: UnsafeCell<Option<*const Job>>,
    /// The thread waiting in [`Team::run`], woken by the last worker to finish (written with `job`).
    caller: UnsafeCell<Option<std::thread::Thread>>,
}

// Safety: `job` is only written while no worker reads it (before the epoch bump and after every
// worker reported done), and the epoch/done atomics order those accesses.
unsafe impl Sync for Shared {}
unsafe impl Send for Shared {}

/// Spins (a few microseconds) before a waiting thread parks: short waits, the common case inside a
/// step, stay cheap, and a waiting thread never holds a core when there are more runnable threads
/// than cores (tests running in parallel, a loaded machine).
const SPINS: u32 = 4_000;

/// Waits for `ready`: spins, then parks until unparked (spurious wake-ups re-check `ready`).
fn wait_until(mut ready: impl FnMut() -> bool) {
    let mut n = 0u32;
    while !ready() {
        if n < SPINS {
            std::hint::spin_loop();
            n += 1;
        } else {
            std::thread::park_timeout(std::time::Duration::from_millis(1));
        }
    }
}

/// A main thread plus `size - 1` persistent workers.
pub struct Team {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Team {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Team({} members)", self.size())
    }
}

impl Team {
    /// A team of `size` members (at least 1; 1 means no extra thread).
    pub fn new(size: usize) -> std::io::Result<Team> {
        let shared = Arc::new(Shared {
            epoch: AtomicU64::new(0),
            done: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            job: UnsafeCell::new(None),
            caller: UnsafeCell::new(None),
        });
        let mut workers = Vec::new();
        for id in 1..size.max(1) {
            let sh = Arc::clone(&shared);
            let size = size.max(1);
            workers.push(std::thread::Builder::new().name(format!("burstsim-{id}")).spawn(move || {
                let mut seen = 0u64;
                loop {
                    wait_until(|| sh.epoch.load(Ordering::Acquire) != seen || sh.stop.load(Ordering::Acquire));
                    if sh.stop.load(Ordering::Acquire) {
                        return;
                    }
                    seen = sh.epoch.load(Ordering::Acquire);
                    // Safety: the main thread wrote `job` before bumping `epoch` and keeps the job
                    // alive until every worker has incremented `done`.
                    let job = unsafe { (*sh.job.get()).expect("a job is set while the epoch moves") };
                    unsafe { (*job)(id) };
                    let caller = unsafe { (*sh.caller.get()).clone() };
                    if sh.done.fetch_add(1, Ordering::AcqRel) + 1 == size - 1 {
                        if let Some(t) = caller {
                            t.unpark();
                        }
                    }
                }
            })?);
        }
        Ok(Team { shared, workers })
    }

    /// Number of members, the calling thread included.
    pub fn size(&self) -> usize {
        self.workers.len() + 1
    }

    /// Runs `job(member)` on every member and returns when all are done.
    pub fn run<'a>(&self, job: &'a (dyn Fn(usize) + Sync + 'a)) {
        if self.workers.is_empty() {
            job(0);
            return;
        }
        let sh = &*self.shared;
        // Safety: erase the lifetime; the pointer is cleared below, after every worker is done
        // with it and before `job` can go out of scope.
        let ptr: *const Job = unsafe { std::mem::transmute::<&'a (dyn Fn(usize) + Sync + 'a), &'static Job>(job) };
        unsafe {
            *sh.job.get() = Some(ptr);
            *sh.caller.get() = Some(std::thread::current());
        }
        sh.done.store(0, Ordering::Release);
        sh.epoch.fetch_add(1, Ordering::AcqRel);
        for w in &self.workers {
            w.thread().unpark();
        }
        job(0);
        let n = self.workers.len();
        wait_until(|| sh.done.load(Ordering::Acquire) == n);
        unsafe { *sh.job.get() = None };
    }
}

impl Drop for Team {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        for w in &self.workers {
            w.thread().unpark();
        }
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

/// Splits items with the given costs between `members` (longest first, each to the least loaded
/// member): a fixed assignment, computed once per run.
pub fn partition(costs: &[f64], members: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..costs.len()).collect();
    order.sort_by(|&a, &b| costs[b].total_cmp(&costs[a]).then(a.cmp(&b)));
    let mut load = vec![0.0f64; members.max(1)];
    let mut parts = vec![Vec::new(); members.max(1)];
    for i in order {
        let m = (0..load.len()).min_by(|&a, &b| load[a].total_cmp(&load[b])).unwrap_or(0);
        load[m] += costs[i];
        parts[m].push(i);
    }
    for p in &mut parts {
        p.sort_unstable();
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    #[test]
    fn every_member_runs_every_job_once() {
        // More members than cores only costs time (the barrier then waits on the scheduler), so
        // three members are run fewer times.
        for (size, runs) in [(1, 1000), (2, 5000), (3, 200)] {
            let team = Team::new(size).unwrap();
            let counts: Vec<AtomicU64> = (0..size).map(|_| AtomicU64::new(0)).collect();
            for _ in 0..runs {
                team.run(&|m| {
                    counts[m].fetch_add(1, Ordering::Relaxed);
                });
            }
            assert!(counts.iter().all(|c| c.load(Ordering::Relaxed) == runs));
        }
    }

    #[test]
    fn partition_balances_and_covers() {
        let parts = partition(&[8.0, 8.0, 1.0, 1.0, 1.0, 1.0], 2);
        assert_eq!(parts, vec![vec![0, 2, 4], vec![1, 3, 5]]);
        let parts = partition(&[5.0, 1.0], 3);
        assert_eq!(parts.iter().map(|p| p.len()).sum::<usize>(), 2);
    }
}
