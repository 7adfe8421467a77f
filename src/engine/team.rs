//! Persistent worker threads for the per-step parallel phases (DESIGN.md "Performance notes": a
//! rayon fork/join per step costs about as much as the work of a 4000-neuron population, so the
//! workers live for the whole run and meet the main thread at a spinning barrier, ~1 us).
//!
//! [`Team::run`] runs a job on every member (the calling thread is member 0) and returns when all
//! have finished. Jobs split work between objects that own their state (whole populations, groups of
//! projections with the same target), so results do not depend on the number of members.
//!
//! # Soundness
//!
//! The job is borrowed by [`Team::run`] and handed to the workers with its lifetime erased. That is
//! sound because `run` does not return, and does not unwind, before every worker has finished the
//! job and the team has forgotten it:
//! - `run` takes `&mut self`, so no two jobs can be in flight on one team;
//! - every member's call of the job runs under `catch_unwind`: a panicking worker stores its payload
//!   and still reports itself done, and member 0's own panic is held until the workers are done;
//! - only then is the panic re-raised on the caller (see [`Team::run`]).
//!
//! The barrier is model-checked with loom: `RUSTFLAGS="--cfg loom" cargo test --release --lib
//! engine::team` (the `sync` module below switches to loom's types in that build).

use std::any::Any;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::PoisonError;

use sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use sync::{thread, Arc, Mutex, UnsafeCell, Waiter};

/// The synchronisation primitives of the team: std's, or loom's in a loom test build.
mod sync {
    #[cfg(all(loom, test))]
    pub(super) use loom::{
        cell::UnsafeCell,
        sync::{atomic, Arc, Mutex},
        thread,
    };
    #[cfg(not(all(loom, test)))]
    pub(super) use std::{
        sync::{atomic, Arc, Mutex},
        thread,
    };

    /// `std::cell::UnsafeCell` with the closure-based access of `loom::cell::UnsafeCell`.
    #[cfg(not(all(loom, test)))]
    #[derive(Debug)]
    pub(super) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    #[cfg(not(all(loom, test)))]
    impl<T> UnsafeCell<T> {
        pub(super) fn new(value: T) -> Self {
            UnsafeCell(std::cell::UnsafeCell::new(value))
        }

        #[inline]
        pub(super) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        #[inline]
        pub(super) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }

    /// How threads wait for each other: spin, then park (std).
    #[cfg(not(all(loom, test)))]
    #[derive(Debug, Default)]
    pub(super) struct Waiter;

    /// Spins (a few microseconds) before a waiting thread parks: short waits, the common case
    /// inside a step, stay cheap, and a waiting thread never holds a core when there are more
    /// runnable threads than cores (tests running in parallel, a loaded machine).
    #[cfg(not(all(loom, test)))]
    const SPINS: u32 = 4_000;

    #[cfg(not(all(loom, test)))]
    impl Waiter {
        /// Round `round` (0, 1, ...) of a wait: spin, then park until unparked or 1 ms passed (the
        /// caller re-checks its condition, so a spurious or missed wake-up costs at most that).
        #[inline]
        pub(super) fn pause(&self, round: u32) {
            if round < SPINS {
                std::hint::spin_loop();
            } else {
                std::thread::park_timeout(std::time::Duration::from_millis(1));
            }
        }

        /// Wakes a thread that may be parked in [`Waiter::pause`].
        #[inline]
        pub(super) fn wake(&self, t: &thread::Thread) {
            t.unpark();
        }
    }

    /// How threads wait for each other under loom, which cannot model timeouts: two models, as
    /// loom's `unpark` also orders memory (eagerly, more than std promises), which would hide a
    /// missing Release/Acquire.
    #[cfg(all(loom, test))]
    #[derive(Debug, Default)]
    pub(super) struct Waiter {
        /// `false`: a wait only yields and nobody is woken, so all ordering comes from the atomics
        /// (checks the memory orderings). `true`: a wait yields once, then parks with no timeout,
        /// so a wake-up that could be lost shows up as a deadlock (where std's `park_timeout` would
        /// only hide it as a 1 ms stall).
        pub(super) park: bool,
    }

    #[cfg(all(loom, test))]
    impl Waiter {
        pub(super) fn pause(&self, round: u32) {
            if self.park && round > 0 {
                loom::thread::park();
            } else {
                loom::thread::yield_now();
            }
        }

        pub(super) fn wake(&self, t: &thread::Thread) {
            if self.park {
                t.unpark();
            }
        }
    }
}

/// A job for the team: called once per member with the member's index.
type Job = dyn Fn(usize) + Sync;

/// The job in flight and the thread that waits for it.
struct Current {
    /// The borrowed job, lifetime erased (see the module doc).
    job: *const Job,
    /// Woken by the last worker to finish.
    caller: thread::Thread,
}

/// A panic payload.
type Payload = Box<dyn Any + Send + 'static>;

struct Shared {
    /// Bumped by the caller to start a job.
    epoch: AtomicU64,
    /// Workers that finished the current job (whether or not it panicked).
    done: AtomicUsize,
    /// Set when the team is dropped.
    stop: AtomicBool,
    /// The job in flight. Written by the caller only while no worker is in a job: before `epoch` is
    /// bumped (Release), read by workers after they see the new epoch (Acquire), and cleared after
    /// `done` reached the number of workers (Acquire, paired with each worker's AcqRel increment).
    current: UnsafeCell<Option<Current>>,
    /// Set (with `panic` filled) when a worker's call of the current job panicked: checked by the
    /// caller after every job, so the mutex is never locked on the fast path.
    panicked: AtomicBool,
    /// The payload of the first worker that panicked in the current job.
    panic: Mutex<Option<Payload>>,
    /// How to wait and wake.
    waiter: Waiter,
}

// Safety: `current` is the only field that is not Sync. The caller writes it only while every
// worker is waiting for the epoch to move, and workers read it only between seeing a new epoch
// and reporting done; the epoch and done atomics order these accesses (see `current`). The raw job
// pointer it holds is only dereferenced in that window, while `Team::run` keeps the job alive.
unsafe impl Sync for Shared {}
unsafe impl Send for Shared {}

impl Shared {
    /// Keeps a worker's panic payload for the caller (the first one of a job; others are dropped).
    fn keep_panic(&self, payload: Payload) {
        let mut slot = self.panic.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(payload);
            self.panicked.store(true, Ordering::Release);
        } else {
            drop(slot);
            discard(payload);
        }
    }

    /// The payload of a worker's panic in the job that just finished, if any (and resets).
    #[inline]
    fn take_panic(&self) -> Option<Payload> {
        if !self.panicked.load(Ordering::Acquire) {
            return None;
        }
        self.panicked.store(false, Ordering::Relaxed);
        self.panic.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// Drops a panic payload that will not be re-raised; a payload whose own drop panics is leaked
/// rather than let that panic escape (from a worker it would end the thread without reporting done).
fn discard(payload: Payload) {
    if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(again);
    }
}

/// A main thread plus `size - 1` persistent workers.
///
/// `Team` is `Send` (a network with its team may move to another thread) and [`Team::run`] takes
/// `&mut self`, so a team runs one job at a time.
pub struct Team {
    shared: Arc<Shared>,
    workers: Vec<thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Team {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Team({} members)", self.size())
    }
}

/// The loop of worker `id` (1-based) of a team with `n_workers` workers.
fn work(sh: &Shared, id: usize, n_workers: usize) {
    let mut seen = 0u64;
    loop {
        let mut round = 0u32;
        loop {
            if sh.stop.load(Ordering::Acquire) {
                return;
            }
            let epoch = sh.epoch.load(Ordering::Acquire);
            if epoch != seen {
                seen = epoch;
                break;
            }
            sh.waiter.pause(round);
            round = round.saturating_add(1);
        }
        // Safety: the caller wrote `current` before bumping the epoch seen above (Release/Acquire)
        // and does not touch it, nor drop the job, until this worker has incremented `done`.
        let (caller, result) = sh.current.with(|cur| match unsafe { &*cur } {
            Some(cur) => {
                let job = cur.job;
                (Some(cur.caller.clone()), catch_unwind(AssertUnwindSafe(|| unsafe { (*job)(id) })))
            }
            None => (None, Err(Box::new("burstsim team: an epoch without a job") as Payload)),
        });
        if let Err(payload) = result {
            sh.keep_panic(payload);
        }
        // Past this increment the job (and `current`) may be gone: only owned values below.
        if sh.done.fetch_add(1, Ordering::AcqRel) + 1 == n_workers {
            if let Some(t) = caller {
                sh.waiter.wake(&t);
            }
        }
    }
}

impl Team {
    /// A team of `size` members (at least 1; 1 means no extra thread).
    pub fn new(size: usize) -> std::io::Result<Team> {
        #[allow(clippy::default_constructed_unit_structs)] // not a unit struct under loom
        Team::with_waiter(size, Waiter::default())
    }

    /// [`Team::new`] with the given way of waiting (a loom model chooses one).
    fn with_waiter(size: usize, waiter: Waiter) -> std::io::Result<Team> {
        let shared = Arc::new(Shared {
            epoch: AtomicU64::new(0),
            done: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            current: UnsafeCell::new(None),
            panicked: AtomicBool::new(false),
            panic: Mutex::new(None),
            waiter,
        });
        let n_workers = size.max(1) - 1;
        // Built first, so that if a spawn fails, dropping it stops and joins the workers so far.
        let mut team = Team { shared, workers: Vec::with_capacity(n_workers) };
        for id in 1..=n_workers {
            let sh = Arc::clone(&team.shared);
            let worker =
                thread::Builder::new().name(format!("burstsim-{id}")).spawn(move || work(&sh, id, n_workers))?;
            team.workers.push(worker);
        }
        Ok(team)
    }

    /// Number of members, the calling thread included.
    pub fn size(&self) -> usize {
        self.workers.len() + 1
    }

    /// Runs `job(member)` on every member (the calling thread is member 0) and returns when all
    /// are done.
    ///
    /// # Panics
    ///
    /// If the job panics on any member, `run` panics with that payload (member 0's own if it
    /// panicked, else that of one panicking worker; further payloads are dropped), and only after
    /// every member has returned from the job, so nothing still uses what the job borrowed.
    ///
    /// The team is not poisoned by a panic: the workers caught it and wait for the next job, so
    /// `run` may be called again. As after any panic, what the job was changing may be half done;
    /// whether to go on is the caller's decision.
    pub fn run<'a>(&mut self, job: &'a (dyn Fn(usize) + Sync + 'a)) {
        if self.workers.is_empty() {
            job(0);
            return;
        }
        let sh = &*self.shared;
        // Safety: the lifetime is erased so that the workers can reach the job. `ptr` is cleared
        // below, once every worker has finished the job, and this function neither returns nor
        // unwinds before that, so the job outlives every use of `ptr`.
        let ptr: *const Job = unsafe { std::mem::transmute::<&'a (dyn Fn(usize) + Sync + 'a), &'static Job>(job) };
        // Safety: every worker is waiting for the epoch to move (the previous `run` waited for all
        // of them, and `&mut self` excludes a concurrent one), so none reads `current` now.
        sh.current.with_mut(|cur| unsafe { *cur = Some(Current { job: ptr, caller: thread::current() }) });
        sh.done.store(0, Ordering::Relaxed); // published by the Release below
        sh.epoch.fetch_add(1, Ordering::Release);
        for w in &self.workers {
            sh.waiter.wake(w.thread());
        }
        let own = catch_unwind(AssertUnwindSafe(|| job(0)));
        let n = self.workers.len();
        let mut round = 0u32;
        while sh.done.load(Ordering::Acquire) != n {
            sh.waiter.pause(round);
            round = round.saturating_add(1);
        }
        // Safety: every worker has reported done (Acquire above), so none reads `current` now.
        sh.current.with_mut(|cur| unsafe { *cur = None });
        let worker_panic = sh.take_panic();
        match own {
            Err(payload) => {
                if let Some(p) = worker_panic {
                    discard(p);
                }
                resume_unwind(payload)
            }
            Ok(()) => {
                if let Some(p) = worker_panic {
                    resume_unwind(p)
                }
            }
        }
    }
}

impl Drop for Team {
    /// Stops and joins the workers. Never waits on a job: none is in flight outside [`Team::run`],
    /// which returns only after every worker has finished it.
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        for w in &self.workers {
            self.shared.waiter.wake(w.thread());
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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn every_member_runs_every_job_once() {
        // More members than cores only costs time (the barrier then waits on the scheduler), so
        // three members are run fewer times.
        for (size, runs) in [(1, 1000), (2, 5000), (3, 200)] {
            let mut team = Team::new(size).unwrap();
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
    fn team_is_send() {
        fn send<T: Send>() {}
        send::<Team>();
    }

    /// Runs `scenario` on its own thread and returns its result; fails the test if it takes more
    /// than 10 s (a hung barrier) and re-raises its panic if it panicked.
    fn within_10_s<T: Send + 'static>(scenario: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = mpsc::channel();
        let handle = std::thread::spawn(move || {
            let _ = tx.send(scenario());
        });
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(v) => {
                handle.join().unwrap();
                v
            }
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("the scenario did not finish within 10 s"),
            Err(mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
                Err(payload) => resume_unwind(payload),
                Ok(()) => unreachable!("the scenario returned without sending"),
            },
        }
    }

    /// The message of a panic payload.
    fn message(payload: Payload) -> String {
        match payload.downcast::<String>() {
            Ok(s) => *s,
            Err(p) => p.downcast::<&str>().map(|s| s.to_string()).unwrap_or_else(|_| "<not a string>".into()),
        }
    }

    /// What a run with panicking members left behind.
    #[derive(Debug)]
    struct Outcome {
        /// The panic message `run` raised.
        message: String,
        /// Members inside the job just after `run` returned, and 50 ms later.
        running: (usize, usize),
        /// Members that entered the job, just after `run` returned and 50 ms later.
        entered: (usize, usize),
        /// What each member wrote to a borrowed local (dropped right after `run`).
        written: Vec<String>,
        /// Whether every member ran the next job.
        next_job_ran: bool,
    }

    /// Three members run one job in which the members in `panickers` panic, the first of them only
    /// after `panic_delay`, while the others work for `work`: so whichever finishes last, `run` must
    /// wait for it.
    fn panicking_job(panickers: &'static [usize], panic_delay: Duration, work: Duration) -> Outcome {
        within_10_s(move || {
            let mut team = Team::new(3).unwrap();
            let running = AtomicUsize::new(0);
            let entered = AtomicUsize::new(0);
            // A borrowed local the job writes; dropped as soon as `run` returns.
            let written: Vec<Mutex<String>> = (0..3).map(|_| Mutex::new(String::new())).collect();
            let result = catch_unwind(AssertUnwindSafe(|| {
                team.run(&|m| {
                    running.fetch_add(1, Ordering::SeqCst);
                    entered.fetch_add(1, Ordering::SeqCst);
                    if panickers.contains(&m) {
                        if m == panickers[0] {
                            std::thread::sleep(panic_delay);
                        }
                        running.fetch_sub(1, Ordering::SeqCst);
                        panic!("member {m} fails");
                    }
                    std::thread::sleep(work);
                    written[m].lock().unwrap().push_str(&format!("member {m}"));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
            }));
            let now = (running.load(Ordering::SeqCst), entered.load(Ordering::SeqCst));
            let written: Vec<String> = written.into_iter().map(|s| s.into_inner().unwrap()).collect();
            std::thread::sleep(Duration::from_millis(50));
            let later = (running.load(Ordering::SeqCst), entered.load(Ordering::SeqCst));
            let message = message(result.expect_err("the job's panic reaches the caller"));
            let counts: Vec<AtomicU64> = (0..3).map(|_| AtomicU64::new(0)).collect();
            team.run(&|m| {
                counts[m].fetch_add(1, Ordering::Relaxed);
            });
            let next_job_ran = counts.iter().all(|c| c.load(Ordering::Relaxed) == 1);
            drop(team);
            Outcome { message, running: (now.0, later.0), entered: (now.1, later.1), written, next_job_ran }
        })
    }

    fn assert_all_stopped(o: &Outcome, panickers: &[usize]) {
        assert_eq!(o.running, (0, 0), "a member was still in the job after run returned: {o:?}");
        assert_eq!(o.entered, (3, 3), "{o:?}");
        for m in 0..3 {
            let want = if panickers.contains(&m) { String::new() } else { format!("member {m}") };
            assert_eq!(o.written[m], want, "{o:?}");
        }
        assert!(o.next_job_ran, "the team is usable after a panic: {o:?}");
    }

    #[test]
    fn a_panic_on_member_0_reaches_the_caller_after_the_workers_stopped() {
        let o = panicking_job(&[0], Duration::ZERO, Duration::from_millis(100));
        assert_eq!(o.message, "member 0 fails");
        assert_all_stopped(&o, &[0]);
    }

    #[test]
    fn a_panic_on_member_1_reaches_the_caller_after_it_stopped() {
        let o = panicking_job(&[1], Duration::from_millis(100), Duration::ZERO);
        assert_eq!(o.message, "member 1 fails");
        assert_all_stopped(&o, &[1]);
    }

    #[test]
    fn with_several_panics_member_0_wins_and_the_others_are_dropped() {
        let o = panicking_job(&[2, 0, 1], Duration::from_millis(50), Duration::ZERO);
        assert_eq!(o.message, "member 0 fails");
        assert_all_stopped(&o, &[0, 1, 2]);
        let o = panicking_job(&[1, 2], Duration::from_millis(20), Duration::ZERO);
        assert!(o.message == "member 1 fails" || o.message == "member 2 fails", "{o:?}");
        assert_all_stopped(&o, &[1, 2]);
    }

    #[test]
    fn a_panic_in_a_team_of_one_reaches_the_caller() {
        let mut team = Team::new(1).unwrap();
        let r = catch_unwind(AssertUnwindSafe(|| team.run(&|_| panic!("alone"))));
        assert_eq!(message(r.unwrap_err()), "alone");
        let ran = AtomicUsize::new(0);
        team.run(&|_| {
            ran.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(ran.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn many_panicking_jobs_neither_hang_nor_leak_panics_into_later_jobs() {
        within_10_s(|| {
            let mut team = Team::new(2).unwrap();
            for i in 0..200usize {
                let r = catch_unwind(AssertUnwindSafe(|| {
                    team.run(&|m| {
                        if i % 2 == 0 && m == i % 4 / 2 {
                            panic!("job {i}");
                        }
                    })
                }));
                match r {
                    Ok(()) => assert_eq!(i % 2, 1),
                    Err(p) => assert_eq!(message(p), format!("job {i}")),
                }
            }
        });
    }

    #[test]
    fn partition_balances_and_covers() {
        let parts = partition(&[8.0, 8.0, 1.0, 1.0, 1.0, 1.0], 2);
        assert_eq!(parts, vec![vec![0, 2, 4], vec![1, 3, 5]]);
        let parts = partition(&[5.0, 1.0], 3);
        assert_eq!(parts.iter().map(|p| p.len()).sum::<usize>(), 2);
    }
}

/// Loom models of the barrier (`RUSTFLAGS="--cfg loom" cargo test --release --lib engine::team`).
///
/// Each member increments its own slot in a loom `UnsafeCell` inside the job and the caller reads
/// the slots after `run`: loom reports a data race if `run` could return before a worker's job
/// happened-before, and a failed count if a member missed or repeated a job. Workers call the job
/// while reading `current`, so clearing or re-setting it while a worker is still in the job is a
/// race too. Every two-member scenario is explored exhaustively (no preemption bound) with both
/// ways of waiting (see `sync::Waiter`): yielding only (the memory orderings alone must carry the
/// synchronisation) and parking (no wake-up may be lost: a lost one is a deadlock).
#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;

    /// One counter per member, written only by that member, inside a job.
    struct Slots(Vec<loom::cell::UnsafeCell<usize>>);

    // Safety: member `m` writes only slot `m`, inside a job; the caller reads the slots between
    // jobs. Any overlap of these accesses is exactly what loom checks for.
    unsafe impl Sync for Slots {}

    impl Slots {
        fn new(n: usize) -> Self {
            Slots((0..n).map(|_| loom::cell::UnsafeCell::new(0)).collect())
        }

        fn bump(&self, m: usize) {
            self.0[m].with_mut(|p| unsafe { *p += 1 });
        }

        fn counts(&self) -> Vec<usize> {
            self.0.iter().map(|c| c.with(|p| unsafe { *p })).collect()
        }
    }

    /// The panics these models raise on purpose.
    const EXPECTED: [&str; 2] = ["worker fails", "caller fails"];

    /// Explores `scenario(team)` with loom for a team of `size`, with each way of waiting in
    /// `parking`, with at most `preemptions` preemptions (`None`: every interleaving) unless
    /// `LOOM_MAX_PREEMPTIONS` says otherwise, and checks that more than a handful of interleavings
    /// were explored (so the model does constrain the schedule).
    fn check(size: usize, parking: &[bool], preemptions: Option<usize>, scenario: fn(Team)) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        // The expected panics would print a message (and a backtrace) in every interleaving.
        static QUIET: std::sync::Once = std::sync::Once::new();
        QUIET.call_once(|| {
            let default = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if !info.payload().downcast_ref::<&str>().is_some_and(|m| EXPECTED.contains(m)) {
                    default(info)
                }
            }));
        });
        for &park in parking {
            let mut builder = loom::model::Builder::new();
            if builder.preemption_bound.is_none() {
                builder.preemption_bound = preemptions;
            }
            let iterations = std::sync::Arc::new(AtomicUsize::new(0));
            let counter = std::sync::Arc::clone(&iterations);
            builder.check(move || {
                counter.fetch_add(1, Ordering::Relaxed);
                scenario(Team::with_waiter(size, Waiter { park }).unwrap());
            });
            let n = iterations.load(Ordering::Relaxed);
            println!("{size} members, park = {park}: loom explored {n} interleavings");
            assert!(n > 10, "loom explored only {n} interleavings");
        }
    }

    #[test]
    fn two_members_run_two_jobs_each_exactly_once() {
        check(2, &[false, true], None, |mut team| {
            let slots = Slots::new(2);
            for round in 1..=2 {
                team.run(&|m| slots.bump(m));
                assert_eq!(slots.counts(), [round, round]);
            }
        });
    }

    #[test]
    fn three_members_run_a_job_each_exactly_once() {
        // Yield-only waiting with two spinning workers exceeds loom's branch limit; parking
        // models it (with a bound: unbounded, three threads take too long).
        check(3, &[true], Some(3), |mut team| {
            let slots = Slots::new(3);
            team.run(&|m| slots.bump(m));
            assert_eq!(slots.counts(), [1, 1, 1]);
        });
    }

    #[test]
    fn a_panicking_worker_reaches_the_caller_after_it_finished() {
        check(2, &[false, true], None, |mut team| {
            let slots = Slots::new(2);
            let r = catch_unwind(AssertUnwindSafe(|| {
                team.run(&|m| {
                    slots.bump(m);
                    if m == 1 {
                        panic!("worker fails");
                    }
                })
            }));
            let payload = r.expect_err("the worker's panic reaches the caller");
            assert_eq!(payload.downcast_ref::<&str>(), Some(&"worker fails"));
            assert_eq!(slots.counts(), [1, 1]);
            team.run(&|m| slots.bump(m));
            assert_eq!(slots.counts(), [2, 2]);
        });
    }

    #[test]
    fn a_panic_on_member_0_waits_for_the_worker() {
        check(2, &[false, true], None, |mut team| {
            let slots = Slots::new(2);
            let r = catch_unwind(AssertUnwindSafe(|| {
                team.run(&|m| {
                    slots.bump(m);
                    if m == 0 {
                        panic!("caller fails");
                    }
                })
            }));
            assert_eq!(r.expect_err("own panic").downcast_ref::<&str>(), Some(&"caller fails"));
            assert_eq!(slots.counts(), [1, 1]);
        });
    }
}
