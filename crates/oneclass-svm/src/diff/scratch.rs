//! Per-thread reusable f64 buffers for the temporaries of one solve and its gradient.
//!
//! A solve + VJP at n = 50 needs a few dozen short-lived buffers; allocating each one costs as
//! much as some of the small kernels that fill them. [`Scratch`] takes a buffer from this
//! thread's free lists (one per power-of-two capacity) and gives it back when dropped, so a
//! training loop reaches a steady state without heap traffic. Buffers handed to the caller
//! (gradients, decision values) are ordinary `Vec`s.

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};

/// Free buffers kept per thread: this many per capacity class below 2^LARGE_CLASS values
/// (32 KB)...
const MAX_KEPT_SMALL: usize = 16;
const LARGE_CLASS: usize = 12;
/// ...and this many per larger class...
const MAX_KEPT_LARGE: usize = 4;
/// ...for capacities below 2^CLASSES values (2 MB: the kernel matrix up to n = 362). At most
/// about 10 MB stay with a thread.
const CLASSES: usize = 18;

thread_local! {
    /// FREE[c] holds buffers of capacity at least 2^c (allocated here as 2^c + 8).
    static FREE: RefCell<[Vec<Vec<f64>>; CLASSES]> = const { RefCell::new([const { Vec::new() }; CLASSES]) };
}

/// The class whose buffers all fit `len` values: ⌈log₂ len⌉.
fn class_fitting(len: usize) -> usize {
    len.max(1).next_power_of_two().trailing_zeros() as usize
}

/// A zero-initialised f64 buffer on loan from the thread's free list.
pub(crate) struct Scratch(Vec<f64>);

impl Scratch {
    /// `len` zeros.
    pub(crate) fn zeroed(len: usize) -> Scratch {
        Scratch::filled(len, 0.0)
    }

    /// `len` copies of `value`.
    pub(crate) fn filled(len: usize, value: f64) -> Scratch {
        let mut v = take(len);
        v.clear();
        v.resize(len, value);
        Scratch(v)
    }

    /// `len` values left over from earlier use (zeros where the buffer had to grow): for
    /// buffers the caller overwrites entirely, which saves clearing them.
    pub(crate) fn dirty(len: usize) -> Scratch {
        let mut v = take(len);
        if v.len() >= len {
            v.truncate(len);
        } else {
            v.resize(len, 0.0);
        }
        Scratch(v)
    }

    /// An empty buffer with room for `capacity` values (fill with `push` / `extend`).
    pub(crate) fn with_capacity(capacity: usize) -> Scratch {
        let mut v = take(capacity);
        v.clear();
        Scratch(v)
    }
}

/// A vector with capacity ≥ `len`, contents as left by its last user (a new one when the
/// class is empty).
fn take(len: usize) -> Vec<f64> {
    let class = class_fitting(len);
    let found = if class < CLASSES { FREE.try_with(|free| free.try_borrow_mut().ok().and_then(|mut free| free[class].pop())).ok().flatten() } else { None };
    // One cache line over the power of two: buffers exactly 2^k apart would compete for the
    // same cache sets.
    found.unwrap_or_else(|| Vec::with_capacity((1 << class) + 8))
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let v = std::mem::take(&mut self.0);
        if v.capacity() == 0 {
            return;
        }
        // ⌊log₂ capacity⌋: every buffer in that class holds at least 2^class values.
        let class = (usize::BITS - 1 - v.capacity().leading_zeros()) as usize;
        if class >= CLASSES {
            return;
        }
        // During thread teardown the lists may already be gone: the buffer is then just freed.
        let _ = FREE.try_with(|free| {
            if let Ok(mut free) = free.try_borrow_mut() {
                let kept = if class < LARGE_CLASS { MAX_KEPT_SMALL } else { MAX_KEPT_LARGE };
                if free[class].len() < kept {
                    free[class].push(v);
                }
            }
        });
    }
}

impl Clone for Scratch {
    fn clone(&self) -> Scratch {
        let mut v = Scratch::with_capacity(self.len());
        v.extend_from_slice(self);
        v
    }
}

impl std::fmt::Debug for Scratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl Deref for Scratch {
    type Target = Vec<f64>;
    fn deref(&self) -> &Vec<f64> {
        &self.0
    }
}

impl DerefMut for Scratch {
    fn deref_mut(&mut self) -> &mut Vec<f64> {
        &mut self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_zeroed_and_reused() {
        let ptr = {
            let mut a = Scratch::zeroed(100);
            a.iter_mut().for_each(|v| *v = 7.0);
            a.as_ptr()
        };
        let mut b = Scratch::zeroed(80);
        assert_eq!(b.len(), 80);
        assert!(b.iter().all(|&v| v == 0.0));
        // The freed buffer (capacity 128) is in the class that fits 80.
        assert_eq!(b.as_ptr(), ptr);
        b.iter_mut().for_each(|v| *v = 3.0);
        drop(b);
        // A dirty buffer keeps what was there and zero-fills only where it grew.
        let c = Scratch::dirty(100);
        assert_eq!(c.as_ptr(), ptr);
        assert!(c[..80].iter().all(|&v| v == 3.0) && c[80..].iter().all(|&v| v == 0.0));
        // Other classes get other buffers.
        let e = Scratch::dirty(50);
        assert_ne!(e.as_ptr(), ptr);
    }
}
