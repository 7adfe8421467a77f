//! Persistent worker threads for the per-step parallel phases (DESIGN.md "Performance notes": a
//! rayon fork/join per step costs about as much as the work of a 4000-neuron population, so the
//! workers live for the whole run and meet the main thread at a barrier that spins briefly, ~1 us
//! when cores are free, then parks).
//!
//! [`Team::run`] runs `tasks` numbered tasks of a job and returns when all have finished. The
//! members (the calling thread and the workers) claim tasks one at a time from a shared counter,
//! so whoever is running does the work: a worker that the operating system has not scheduled
//! (another process holds the core) does not hold the step up, the caller then does its tasks.
//! Tasks own disjoint state (chunks of a population, a target population with the projections
//! onto it) and write fixed outputs, so results do not depend on which member ran which task.
//!
//! # Soundness
//!
//! The job is borrowed by [`Team::run`] and handed to the workers with its lifetime erased. That is
//! sound because a worker reaches the job only while it is *entered* (counted in `state`), and
//! `run` neither returns nor unwinds before no worker is entered and the job is closed (a worker
//! that arrives later finds it closed and never sees the job):
//! - `run` takes `&mut self`, so no two jobs can be in flight on one team;
//! - every task runs under `catch_unwind`: a panicking task's payload is kept and its member goes
//!   on claiming; the caller's own panic is held until the job is closed;
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

    /// How long a waiting thread spins before it parks. Long enough to span the sequential
    /// phases between two parallel ones (a few microseconds on the Fig. 3 network), so that on
    /// free cores a wait never costs a wake-up (a futex round trip, several microseconds); short
    /// enough that a waiting thread gives its core back quickly when there are more runnable
    /// threads than cores (another process, tests running in parallel).
    #[cfg(not(all(loom, test)))]
    const SPIN: std::time::Duration = std::time::Duration::from_micros(30);

    /// Spin iterations between two reads of the clock (a read costs ~20 ns, a spin ~10-50 ns).
    #[cfg(not(all(loom, test)))]
    const SPINS_PER_CHECK: u32 = 64;

    /// The state of one wait: when it began (read lazily, so a wait that ends within the first
    /// spins reads no clock).
    #[cfg(not(all(loom, test)))]
    #[derive(Debug, Default)]
    pub(super) struct Wait {
        round: u32,
        since: Option<std::time::Instant>,
    }

    #[cfg(not(all(loom, test)))]
    impl Waiter {
        /// One more round of a wait: spin for [`SPIN`], then park until unparked or 1 ms passed
        /// (the caller re-checks its condition; the timeout only bounds the cost of a wake-up
        /// this design should never lose).
        #[inline]
        pub(super) fn pause(&self, wait: &mut Wait) {
            wait.round = wait.round.wrapping_add(1);
            if !wait.round.is_multiple_of(SPINS_PER_CHECK) {
                std::hint::spin_loop();
                return;
            }
            let now = std::time::Instant::now();
            let since = *wait.since.get_or_insert(now);
            if now.duration_since(since) < SPIN {
                std::hint::spin_loop();
            } else {
                std::thread::park_timeout(std::time::Duration::from_millis(1));
            }
        }

        /// Wakes a thread that may be parked in [`Waiter::pause`] (an atomic swap when it is not
        /// parked: no system call).
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

    /// The state of one wait.
    #[cfg(all(loom, test))]
    #[derive(Debug, Default)]
    pub(super) struct Wait {
        round: u32,
    }

    #[cfg(all(loom, test))]
    impl Waiter {
        pub(super) fn pause(&self, wait: &mut Wait) {
            if self.park && wait.round > 0 {
                loom::thread::park();
            } else {
                loom::thread::yield_now();
            }
            wait.round += 1;
        }

        pub(super) fn wake(&self, t: &thread::Thread) {
            if self.park {
                t.unpark();
            }
        }
    }
}

use sync::Wait;

mod adapt;
use adapt::Adapt;

/// A job for the team: called once per task with the task's index.
type Job = dyn Fn(usize) + Sync;

/// The job in flight and the thread that waits for it.
struct Current {
    /// The borrowed job, lifetime erased (see the module doc).
    job: *const Job,
    /// Number of tasks.
    tasks: usize,
    /// Woken by the last worker to leave the job.
    caller: thread::Thread,
}

/// A panic payload.
type Payload = Box<dyn Any + Send + 'static>;

/// `state`: whether a job is open for workers to enter.
const OPEN: u64 = 1 << 32;
/// `state`: the workers entered in the current job (the low bits).
const ENTERED: u64 = OPEN - 1;
/// `state`: the job number lives in the bits above [`OPEN`], so that a worker that read an open
/// state before the job closed cannot enter a later job by mistake (its compare-exchange fails).
const EPOCH_SHIFT: u32 = 33;

struct Shared {
    /// `epoch << EPOCH_SHIFT | open | entered`: the job number, whether workers may enter it, and
    /// how many are inside. Workers enter and leave with read-modify-writes, so the caller's
    /// Release store that opens a job heads a release sequence that every entering worker reads.
    state: AtomicU64,
    /// The next task to claim (may run past the number of tasks).
    next: AtomicUsize,
    /// Set when the team is dropped.
    stop: AtomicBool,
    /// The job in flight. Written by the caller only while no worker is entered and the job is
    /// closed: before the Release store that opens it, read by workers after they entered
    /// (Acquire), and cleared after the caller saw no worker entered and closed the job (Acquire,
    /// paired with each worker's Release when it leaves).
    current: UnsafeCell<Option<Current>>,
    /// Set (with `panic` filled) when a worker's task of the current job panicked: checked by the
    /// caller after every job, so the mutex is never locked on the fast path.
    panicked: AtomicBool,
    /// The payload of the first worker task that panicked in the current job.
    panic: Mutex<Option<Payload>>,
    /// How to wait and wake.
    waiter: Waiter,
}

// Safety: `current` is the only field that is not Sync. The caller writes it only while the job
// is closed and no worker is entered, and workers read it only while entered; the `state` atomic
// orders these accesses (see `current`). The raw job pointer it holds is only dereferenced by an
// entered worker, while `Team::run` keeps the job alive.
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

    /// Claims and runs tasks of `job` until none is left; each panic is handed to `on_panic`.
    ///
    /// The claim is AcqRel: a member that claims after another (in the counter's order) sees
    /// everything that member did before its claim, in particular its entry in `state`, so when
    /// the caller's claim comes back past the end it cannot miss a worker still in a task.
    /// Returns the number of tasks this member ran.
    fn claim_all(&self, job: &(dyn Fn(usize) + Sync + '_), tasks: usize, mut on_panic: impl FnMut(Payload)) -> usize {
        let mut ran = 0;
        loop {
            let t = self.next.fetch_add(1, Ordering::AcqRel);
            if t >= tasks {
                return ran;
            }
            ran += 1;
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| job(t))) {
                on_panic(payload);
            }
        }
    }
}

/// Drops a panic payload that will not be re-raised; a payload whose own drop panics is leaked
/// rather than let that panic escape (from a worker it would end the thread while entered).
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
    /// When to leave the workers out (a worker stalled inside its tasks: `adapt`).
    adapt: Adapt,
}

impl std::fmt::Debug for Team {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Team({} members)", self.size())
    }
}

/// The loop of a worker: wait for a job it has not entered yet, enter it, claim tasks, leave.
fn work(sh: &Shared) {
    let mut seen = u64::MAX; // the epoch of the last job entered (none yet)
    loop {
        let mut wait = Wait::default();
        let entered = loop {
            if sh.stop.load(Ordering::Acquire) {
                return;
            }
            let s = sh.state.load(Ordering::Relaxed);
            if s & OPEN != 0 && s >> EPOCH_SHIFT != seen {
                // Acquire: reads the caller's opening store (or a later entry or exit in its
                // release sequence), so `current` and the reset `next` are visible.
                if sh.state.compare_exchange(s, s + 1, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                    break s;
                }
                continue; // the state moved (another worker, or the caller closed the job)
            }
            sh.waiter.pause(&mut wait);
        };
        seen = entered >> EPOCH_SHIFT;
        // Safety: this worker is entered, so the caller neither rewrites nor clears `current`, nor
        // drops the job, until it has left (the Release below).
        let caller = sh.current.with(|cur| match unsafe { &*cur } {
            Some(cur) => {
                sh.claim_all(unsafe { &*cur.job }, cur.tasks, |p| sh.keep_panic(p));
                Some(cur.caller.clone())
            }
            None => {
                sh.keep_panic(Box::new("burstsim team: an open job without a job"));
                None
            }
        });
        // Past this decrement the job (and `current`) may be gone: only owned values below.
        let before = sh.state.fetch_sub(1, Ordering::Release);
        if before & ENTERED == 1 {
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
        let mut team = Team::with_waiter(size, Waiter::default())?;
        team.adapt = Adapt::new(true);
        Ok(team)
    }

    /// [`Team::new`] with the given way of waiting (a loom model chooses one).
    fn with_waiter(size: usize, waiter: Waiter) -> std::io::Result<Team> {
        let shared = Arc::new(Shared {
            state: AtomicU64::new(0),
            next: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            current: UnsafeCell::new(None),
            panicked: AtomicBool::new(false),
            panic: Mutex::new(None),
            waiter,
        });
        let n_workers = size.max(1) - 1;
        // Built first, so that if a spawn fails, dropping it stops and joins the workers so far.
        let mut team = Team { shared, workers: Vec::with_capacity(n_workers), adapt: Adapt::new(false) };
        for id in 1..=n_workers {
            let sh = Arc::clone(&team.shared);
            let worker = thread::Builder::new().name(format!("burstsim-{id}")).spawn(move || work(&sh))?;
            team.workers.push(worker);
        }
        Ok(team)
    }

    /// Number of members, the calling thread included.
    pub fn size(&self) -> usize {
        self.workers.len() + 1
    }

    /// Runs `job(t)` for every task `t` in `0..tasks`, each exactly once, on whichever members
    /// claim them (the calling thread included), and returns when all are done.
    ///
    /// # Panics
    ///
    /// If a task panics, `run` panics with that payload (the calling thread's own first one if it
    /// had one, else that of one panicking worker task; further payloads are dropped), and only
    /// after every task has run and no worker is in the job any more, so nothing still uses what
    /// the job borrowed. The other tasks still run.
    ///
    /// The team is not poisoned by a panic: the workers caught it and wait for the next job, so
    /// `run` may be called again. As after any panic, what the job was changing may be half done;
    /// whether to go on is the caller's decision.
    pub fn run<'a>(&mut self, tasks: usize, job: &'a (dyn Fn(usize) + Sync + 'a)) {
        // (alone also while `adapt` leaves the workers out: the same tasks, so the same results)
        if self.workers.is_empty() || tasks <= 1 || self.adapt.solo() {
            // Same semantics as below: every task runs, the first panic is re-raised at the end.
            let mut first = None;
            for t in 0..tasks {
                if let Err(p) = catch_unwind(AssertUnwindSafe(|| job(t))) {
                    keep_first(&mut first, p);
                }
            }
            return first.map_or((), |p| resume_unwind(p));
        }
        let sh = &*self.shared;
        // Safety: the lifetime is erased so that the workers can reach the job. Workers reach it
        // only while entered; below, this function closes the job with no worker entered before
        // it returns or unwinds, so the job outlives every use of `ptr`.
        let ptr: *const Job = unsafe { std::mem::transmute::<&'a (dyn Fn(usize) + Sync + 'a), &'static Job>(job) };
        // Safety: the job is closed and no worker is entered (the previous `run` closed it that
        // way, and `&mut self` excludes a concurrent one), so no worker reads `current` now.
        sh.current.with_mut(|cur| unsafe { *cur = Some(Current { job: ptr, tasks, caller: thread::current() }) });
        sh.next.store(0, Ordering::Relaxed); // published by the Release below
        let closed = sh.state.load(Ordering::Relaxed);
        debug_assert_eq!(closed & (OPEN | ENTERED), 0);
        // A plain store is enough: while the job is closed no worker writes `state`.
        sh.state.store(closed.wrapping_add(1 << EPOCH_SHIFT) | OPEN, Ordering::Release);
        for w in &self.workers {
            sh.waiter.wake(w.thread());
        }
        let started = std::time::Instant::now();
        let mut own = None;
        let mine = sh.claim_all(job, tasks, |p| keep_first(&mut own, p));
        let claimed = std::time::Instant::now();
        // Every task is claimed. Wait until no worker is entered (each entered worker finishes
        // the task it claimed, finds none left and leaves), then close: the compare-exchange
        // fails if a late worker entered in between, and that one leaves at once.
        let mut wait = Wait::default();
        loop {
            let s = sh.state.load(Ordering::Acquire);
            if s & ENTERED == 0 && sh.state.compare_exchange(s, s & !OPEN, Ordering::Acquire, Ordering::Relaxed).is_ok()
            {
                break;
            }
            if s & ENTERED != 0 {
                sh.waiter.pause(&mut wait);
            }
        }
        self.adapt.record(claimed - started, claimed.elapsed(), mine == tasks);
        // Safety: the job is closed with no worker entered (Acquire above), so none reads
        // `current` now, and none will until the next `run` opens a job.
        sh.current.with_mut(|cur| unsafe { *cur = None });
        let worker_panic = sh.take_panic();
        match own {
            Some(payload) => {
                if let Some(p) = worker_panic {
                    discard(p);
                }
                resume_unwind(payload)
            }
            None => {
                if let Some(p) = worker_panic {
                    resume_unwind(p)
                }
            }
        }
    }
}

/// Keeps the first payload in `slot` and drops the others.
fn keep_first(slot: &mut Option<Payload>, payload: Payload) {
    if slot.is_none() {
        *slot = Some(payload);
    } else {
        discard(payload);
    }
}

impl Drop for Team {
    /// Stops and joins the workers. Never waits on a job: none is in flight outside [`Team::run`],
    /// which returns only after the job is closed with no worker in it.
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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn every_task_runs_exactly_once() {
        // More members than cores only costs time (the barrier then waits on the scheduler), so
        // three members are run fewer times.
        for (size, runs) in [(1, 1000), (2, 3000), (3, 200)] {
            let mut team = Team::new(size).unwrap();
            for tasks in [0, 1, 2, 5, 17] {
                let counts: Vec<AtomicU64> = (0..17).map(|_| AtomicU64::new(0)).collect();
                for _ in 0..runs {
                    team.run(tasks, &|t| {
                        counts[t].fetch_add(1, Ordering::Relaxed);
                    });
                }
                for (t, c) in counts.iter().enumerate() {
                    assert_eq!(c.load(Ordering::Relaxed), if t < tasks { runs } else { 0 }, "{size} {tasks} {t}");
                }
            }
        }
    }

    #[test]
    fn workers_take_tasks() {
        let mut team = Team::new(2).unwrap();
        let caller = std::thread::current().id();
        let on_worker = AtomicUsize::new(0);
        // Tasks long enough that the worker, woken at the start, claims some (even on a loaded
        // machine, over 20 jobs).
        for _ in 0..20 {
            team.run(4, &|_| {
                std::thread::sleep(Duration::from_millis(1));
                if std::thread::current().id() != caller {
                    on_worker.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        assert!(on_worker.load(Ordering::Relaxed) > 0);
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

    /// What a run with panicking tasks left behind.
    #[derive(Debug)]
    struct Outcome {
        /// The panic message `run` raised.
        message: String,
        /// Tasks running just after `run` returned, and 50 ms later.
        running: (usize, usize),
        /// Tasks that started, just after `run` returned and 50 ms later.
        entered: (usize, usize),
        /// What each task wrote to a borrowed local (dropped right after `run`).
        written: Vec<String>,
        /// Whether every task of the next job ran.
        next_job_ran: bool,
    }

    /// A team of three runs one job of three tasks in which the tasks in `panickers` panic, the
    /// first of them only after `panic_delay`, while the others work for `work`: so whichever
    /// finishes last, `run` must wait for it.
    fn panicking_job(panickers: &'static [usize], panic_delay: Duration, work: Duration) -> Outcome {
        within_10_s(move || {
            let mut team = Team::new(3).unwrap();
            let running = AtomicUsize::new(0);
            let entered = AtomicUsize::new(0);
            // A borrowed local the job writes; dropped as soon as `run` returns.
            let written: Vec<Mutex<String>> = (0..3).map(|_| Mutex::new(String::new())).collect();
            let result = catch_unwind(AssertUnwindSafe(|| {
                team.run(3, &|t| {
                    running.fetch_add(1, Ordering::SeqCst);
                    entered.fetch_add(1, Ordering::SeqCst);
                    if panickers.contains(&t) {
                        if t == panickers[0] {
                            std::thread::sleep(panic_delay);
                        }
                        running.fetch_sub(1, Ordering::SeqCst);
                        panic!("task {t} fails");
                    }
                    std::thread::sleep(work);
                    written[t].lock().unwrap().push_str(&format!("task {t}"));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
            }));
            let now = (running.load(Ordering::SeqCst), entered.load(Ordering::SeqCst));
            let written: Vec<String> = written.into_iter().map(|s| s.into_inner().unwrap()).collect();
            std::thread::sleep(Duration::from_millis(50));
            let later = (running.load(Ordering::SeqCst), entered.load(Ordering::SeqCst));
            let message = message(result.expect_err("the job's panic reaches the caller"));
            let counts: Vec<AtomicU64> = (0..3).map(|_| AtomicU64::new(0)).collect();
            team.run(3, &|t| {
                counts[t].fetch_add(1, Ordering::Relaxed);
            });
            let next_job_ran = counts.iter().all(|c| c.load(Ordering::Relaxed) == 1);
            drop(team);
            Outcome { message, running: (now.0, later.0), entered: (now.1, later.1), written, next_job_ran }
        })
    }

    fn assert_all_stopped(o: &Outcome, panickers: &[usize]) {
        assert!(panickers.iter().any(|t| o.message == format!("task {t} fails")), "{o:?}");
        assert_eq!(o.running, (0, 0), "a task was still running after run returned: {o:?}");
        assert_eq!(o.entered, (3, 3), "{o:?}");
        for t in 0..3 {
            let want = if panickers.contains(&t) { String::new() } else { format!("task {t}") };
            assert_eq!(o.written[t], want, "{o:?}");
        }
        assert!(o.next_job_ran, "the team is usable after a panic: {o:?}");
    }

    #[test]
    fn a_quick_panic_reaches_the_caller_after_the_other_tasks_finished() {
        let o = panicking_job(&[0], Duration::ZERO, Duration::from_millis(100));
        assert_all_stopped(&o, &[0]);
    }

    #[test]
    fn a_late_panic_reaches_the_caller_after_it_happened() {
        let o = panicking_job(&[2], Duration::from_millis(100), Duration::ZERO);
        assert_all_stopped(&o, &[2]);
    }

    #[test]
    fn with_several_panics_one_reaches_the_caller_and_the_others_are_dropped() {
        let o = panicking_job(&[2, 0, 1], Duration::from_millis(50), Duration::ZERO);
        assert_all_stopped(&o, &[0, 1, 2]);
        let o = panicking_job(&[1, 2], Duration::from_millis(20), Duration::ZERO);
        assert_all_stopped(&o, &[1, 2]);
    }

    #[test]
    fn a_panic_in_a_team_of_one_reaches_the_caller_after_the_other_tasks() {
        let mut team = Team::new(1).unwrap();
        let ran = AtomicUsize::new(0);
        let r = catch_unwind(AssertUnwindSafe(|| {
            team.run(3, &|t| {
                ran.fetch_add(1, Ordering::Relaxed);
                if t > 0 {
                    panic!("alone {t}");
                }
            })
        }));
        assert_eq!(message(r.unwrap_err()), "alone 1", "the first panic");
        assert_eq!(ran.load(Ordering::Relaxed), 3);
        team.run(1, &|_| {
            ran.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(ran.load(Ordering::Relaxed), 4);
    }

    #[test]
    fn many_panicking_jobs_neither_hang_nor_leak_panics_into_later_jobs() {
        within_10_s(|| {
            let mut team = Team::new(2).unwrap();
            for i in 0..200usize {
                let r = catch_unwind(AssertUnwindSafe(|| {
                    team.run(2, &|t| {
                        if i % 2 == 0 && t == i % 4 / 2 {
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
}

/// Loom models of the barrier (`RUSTFLAGS="--cfg loom" cargo test --release --lib engine::team`).
#[cfg(all(test, loom))]
mod loom_tests;
