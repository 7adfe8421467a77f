//! Handing the elements of a slice to the team's tasks: each task takes the elements it works on
//! (a population, or a target population and the projections onto it) through [`Claims::take`],
//! which checks at run time that no element is handed out twice, so every element is reached by
//! exactly one task through an exclusive borrow whichever member runs it. What a task does with
//! its elements is fixed, so the work done — and the order of every conductance sum — does not
//! depend on the number of threads nor on which member claimed which task.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};

/// Exclusive borrows of distinct elements of a slice, taken from several threads.
pub(super) struct Claims<'a, T> {
    ptr: *mut T,
    len: usize,
    /// One flag per element: set when the element is handed out.
    taken: &'a [AtomicBool],
    _items: PhantomData<&'a mut [T]>,
}

// Safety: a `Claims` hands each element out at most once (`take`), so sharing it between threads
// only ever moves an exclusive borrow of one element to one thread, which `T: Send` allows.
unsafe impl<T: Send> Sync for Claims<'_, T> {}

impl<'a, T> Claims<'a, T> {
    /// Claims over `items`, with `flags` (at least one per item, kept by the caller across steps
    /// so that a step allocates nothing) as the record of what was handed out.
    pub(super) fn new(items: &'a mut [T], flags: &'a mut [AtomicBool]) -> Self {
        assert!(flags.len() >= items.len(), "one flag per item");
        for f in flags.iter_mut() {
            *f.get_mut() = false;
        }
        Claims { ptr: items.as_mut_ptr(), len: items.len(), taken: flags, _items: PhantomData }
    }

    /// Number of elements.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Element `i`, exclusively, for as long as the items are borrowed. Panics if `i` is out of
    /// range or was taken before.
    pub(super) fn take(&self, i: usize) -> &'a mut T {
        assert!(i < self.len, "element {i} of {}", self.len);
        assert!(!self.taken[i].swap(true, Ordering::Relaxed), "element {i} taken twice");
        // Safety: `ptr` and `len` come from a slice borrowed mutably for 'a, which `self` holds
        // (so nothing else reaches the elements), `i` is in range, and the flag just set
        // guarantees that no other borrow of element `i` is ever made through `self`.
        unsafe { &mut *self.ptr.add(i) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(n: usize) -> Vec<AtomicBool> {
        (0..n).map(|_| AtomicBool::new(false)).collect()
    }

    #[test]
    fn each_element_is_handed_out_once() {
        let mut items = vec![1, 2, 3];
        let mut f = flags(4);
        let c = Claims::new(&mut items, &mut f);
        let (a, b) = (c.take(0), c.take(2));
        *a += 10;
        *b += 30;
        assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.take(0))).is_err());
        assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.take(3))).is_err());
        assert_eq!(items, [11, 2, 33]);
        // The flags are reset for the next use.
        let c = Claims::new(&mut items, &mut f);
        *c.take(0) += 100;
        assert_eq!(items[0], 111);
    }
}
