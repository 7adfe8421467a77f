//! Splitting a phase's work between the team's members without unsafe code: the items (whole
//! populations, or a target population with the projections onto it) are moved into one bucket
//! per member, each behind a mutex that only its member locks, so every item is reached by
//! exactly one thread through an exclusive borrow. Which member gets which item is fixed for the
//! run, so the work done — and the order of every conductance sum — does not depend on the
//! number of threads.

use super::team::Team;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Runs `work` on every item, item k on member `owner[k]`, and returns the sum of what `work`
/// returned. `owner` has one entry per item.
pub(super) fn split_run<T: Send>(
    team: &mut Team,
    owner: &[usize],
    items: impl Iterator<Item = T>,
    work: &(dyn Fn(T) -> u64 + Sync),
) -> u64 {
    let members = team.size();
    let mut buckets: Vec<Mutex<Vec<T>>> = (0..members).map(|_| Mutex::new(Vec::with_capacity(owner.len()))).collect();
    for (k, item) in items.enumerate() {
        // Not shared yet: no locking.
        buckets[owner[k]].get_mut().unwrap_or_else(|e| e.into_inner()).push(item);
    }
    let total = AtomicU64::new(0);
    team.run(&|m| {
        // Uncontended: only member m locks bucket m.
        let mut mine = buckets[m].lock().unwrap_or_else(|e| e.into_inner());
        let n: u64 = mine.drain(..).map(work).sum();
        total.fetch_add(n, Ordering::Relaxed);
    });
    total.into_inner()
}
