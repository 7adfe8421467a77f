//! Loom models of the barrier (`RUSTFLAGS="--cfg loom" cargo test --release --lib engine::team`).
//!
//! Each task increments its own slot in a loom `UnsafeCell` and the caller reads the slots after
//! `run`: loom reports a data race if `run` could return before a worker's task happened-before,
//! and a failed count if a task was missed or repeated. Workers call the job while reading
//! `current`, so clearing or re-setting it while a worker is still entered is a race too. Every
//! two-member scenario is explored with up to `TWO` preemptions (every interleaving would take
//! more than ten minutes, now that the caller claims tasks too) with both ways of waiting (see
//! `sync::Waiter`): yielding only (the memory orderings alone must carry the synchronisation) and
//! parking (no wake-up may be lost: a lost one is a deadlock).

use super::*;

/// One counter per task, written only by the member that runs the task.
struct Slots(Vec<loom::cell::UnsafeCell<usize>>);

// Safety: task `t` writes only slot `t`; the caller reads the slots between jobs. Any overlap
// of these accesses is exactly what loom checks for.
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

/// The preemption bound of the two-member models (about 25 s each; 6 takes 90 s).
const TWO: Option<usize> = Some(5);

/// The panics these models raise on purpose.
const EXPECTED: [&str; 1] = ["task fails"];

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
fn two_members_run_two_jobs_each_task_exactly_once() {
    // The worker may enter either job, both, or none (the caller then runs every task): loom
    // explores it arriving before, during and after each job.
    check(2, &[false, true], TWO, |mut team| {
        let slots = Slots::new(2);
        for round in 1..=2 {
            team.run(2, &|t| slots.bump(t));
            assert_eq!(slots.counts(), [round, round]);
        }
    });
}

#[test]
fn three_members_run_a_job_each_task_exactly_once() {
    // Yield-only waiting with two spinning workers exceeds loom's branch limit; parking
    // models it (with a bound: unbounded, three threads take too long).
    check(3, &[true], Some(3), |mut team| {
        let slots = Slots::new(3);
        team.run(3, &|t| slots.bump(t));
        assert_eq!(slots.counts(), [1, 1, 1]);
    });
}

#[test]
fn in_some_interleavings_the_worker_runs_tasks() {
    // Else the models above would only check a caller that does everything itself.
    use std::sync::atomic::{AtomicUsize, Ordering};
    static ON_WORKER: AtomicUsize = AtomicUsize::new(0);
    check(2, &[false, true], Some(2), |mut team| {
        let caller = thread::current().id();
        let slots = Slots::new(2);
        team.run(2, &|t| {
            slots.bump(t);
            if thread::current().id() != caller {
                ON_WORKER.fetch_add(1, Ordering::Relaxed);
            }
        });
        assert_eq!(slots.counts(), [1, 1]);
    });
    assert!(ON_WORKER.load(Ordering::Relaxed) > 0);
}

/// A job of two tasks in which task `fails` panics, then a job that does not.
fn one_task_panics(mut team: Team, fails: usize) {
    let slots = Slots::new(2);
    let r = catch_unwind(AssertUnwindSafe(|| {
        team.run(2, &|t| {
            slots.bump(t);
            if t == fails {
                panic!("task fails");
            }
        })
    }));
    let payload = r.expect_err("the task's panic reaches the caller");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"task fails"));
    assert_eq!(slots.counts(), [1, 1]);
    team.run(2, &|t| slots.bump(t));
    assert_eq!(slots.counts(), [2, 2]);
}

#[test]
fn a_panicking_first_task_reaches_the_caller_after_every_task_finished() {
    check(2, &[false, true], TWO, |team| one_task_panics(team, 0));
}

#[test]
fn a_panicking_last_task_reaches_the_caller_after_every_task_finished() {
    check(2, &[false, true], TWO, |team| one_task_panics(team, 1));
}
