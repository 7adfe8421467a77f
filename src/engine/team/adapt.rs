//! When the team should leave its workers out (issue 11: two threads must not be much slower
//! than one when another process holds a core).
//!
//! With a busy process beside them, the team's two threads and that process share two cores:
//! the caller gets about two thirds of one, the worker, between phases, spins or is woken for
//! tasks it mostly does not reach in time (measured on the Fig. 3 network at 2 threads beside a
//! busy loop: the caller ran every task itself in 74 % of the jobs, against 0.8 % on an idle
//! machine), and a worker descheduled *inside* a task holds the step for a time slice. So the
//! caller counts, over its last 32 jobs with the workers, those it ran alone and those in which it
//! stalled (after its own tasks it waited longer than it worked, and longer than [`STALL`]). At
//! 26 of 32 it runs the next [`BASE_SOLO`] jobs alone (the inline path of a one-member team: the
//! same tasks, so the same results, and the workers stay parked), then tries the workers again;
//! each failed try doubles the solo stretch (up to [`MAX_SOLO`]), and 64 good jobs in a row bring
//! it back to [`BASE_SOLO`]. Measured on the Fig. 3 network at 2 threads (benches/load/run.sh):
//! beside a busy loop 0.64 of the wall time without adapting (5 pairs), 1.10 of one thread's
//! (was 1.65); on an idle machine, where the caller also goes solo now and then (stretches in
//! which the worker missed 26 of 32 jobs), 0.99 of the wall time without adapting (7 pairs).

use std::time::Duration;

/// A wait for workers that no imbalance of one phase's tasks reaches on an idle machine.
pub(super) const STALL: Duration = Duration::from_micros(200);
/// Jobs run alone after a bad stretch first (a few hundred steps).
pub(super) const BASE_SOLO: u32 = 1000;
/// The longest solo stretch, jobs.
pub(super) const MAX_SOLO: u32 = 1 << 20;
/// Bad jobs among the last 32 that send the caller solo.
const BAD_OF_32: u32 = 26;

/// The caller's record of recent jobs with the workers.
#[derive(Debug)]
pub(super) struct Adapt {
    enabled: bool,
    /// One bit per recent job with the workers (1: run alone or stalled), newest lowest.
    recent: u32,
    /// Jobs still to run alone.
    solo_left: u32,
    /// The next solo stretch.
    solo_len: u32,
    /// Good jobs in a row.
    good: u32,
}

impl Adapt {
    /// Adapting (or, for a model-checked team, never leaving the workers out).
    pub(super) fn new(enabled: bool) -> Self {
        Adapt { enabled, recent: 0, solo_left: 0, solo_len: BASE_SOLO, good: 0 }
    }

    /// True when the next job runs without the workers (and counts it).
    pub(super) fn solo(&mut self) -> bool {
        if self.solo_left == 0 {
            return false;
        }
        self.solo_left -= 1;
        true
    }

    /// After a job with the workers: the caller ran its own tasks for `work`, then waited `wait`
    /// for workers still in theirs; `alone`: it ran every task itself.
    pub(super) fn record(&mut self, work: Duration, wait: Duration, alone: bool) {
        if !self.enabled {
            return;
        }
        let bad = alone || (wait > STALL && wait > work);
        self.recent = (self.recent << 1) | bad as u32;
        if self.recent.count_ones() >= BAD_OF_32 {
            self.solo_left = self.solo_len;
            self.solo_len = self.solo_len.saturating_mul(2).min(MAX_SOLO);
            (self.recent, self.good) = (0, 0);
        } else if bad {
            self.good = 0;
        } else {
            self.good += 1;
            if self.good >= 64 {
                self.solo_len = BASE_SOLO;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const US: Duration = Duration::from_micros(1);

    /// The number of jobs run alone from now on.
    fn stretch(a: &mut Adapt) -> usize {
        std::iter::from_fn(|| Some(a.solo())).take_while(|&s| s).count()
    }

    #[test]
    fn most_of_32_jobs_alone_or_stalled_leave_the_workers_out_for_a_growing_stretch() {
        let mut a = Adapt::new(true);
        // waits under STALL, or under the caller's own work, are imbalance; one job in three
        // alone (a phase too short for the worker) is not enough either
        for k in 0..300 {
            a.record(50 * US, 150 * US, false);
            a.record(900 * US, 800 * US, false);
            a.record(20 * US, Duration::ZERO, k % 3 == 0);
        }
        assert!(!a.solo());
        // 25 bad jobs of the last 32: still with the workers; the 26th: alone for BASE_SOLO jobs
        (0..32).for_each(|_| a.record(20 * US, 10 * US, false));
        for k in 0..32 {
            // 7 good, 8 stalled, 17 alone
            a.record(20 * US, if (7..15).contains(&k) { 3000 * US } else { Duration::ZERO }, k >= 15);
        }
        assert!(!a.solo());
        a.record(20 * US, 10 * US, true);
        assert_eq!(stretch(&mut a), BASE_SOLO as usize);
        // a failed try doubles the stretch
        (0..26).for_each(|_| a.record(20 * US, 10 * US, true));
        assert_eq!(stretch(&mut a), 2 * BASE_SOLO as usize);
        // 64 good jobs bring it back to BASE_SOLO
        (0..64).for_each(|_| a.record(20 * US, 10 * US, false));
        (0..26).for_each(|_| a.record(20 * US, 5000 * US, false));
        assert_eq!(stretch(&mut a), BASE_SOLO as usize);
    }

    #[test]
    fn a_model_checked_team_never_adapts() {
        let mut a = Adapt::new(false);
        (0..100).for_each(|_| a.record(US, 10_000 * US, true));
        assert!(!a.solo());
    }
}
