//! Bounded LRU cache of kernel columns (f32 like libsvm's, or f64 for tight tolerances).
//!
//! Column `i` holds k(x_i, x_k) for k < len(i) in the solver's current (permuted) order; a column
//! may be cached with a shorter prefix than asked for, and only the missing tail is computed.

use crate::simd::KernelValue;

const NONE: usize = usize::MAX;

pub struct ColumnCache<T> {
    columns: Vec<Vec<T>>,
    prev: Vec<usize>,
    next: Vec<usize>,
    head: usize, // least recently used
    tail: usize, // most recently used
    capacity: usize, // in entries
    used: usize,
}

impl<T: KernelValue> ColumnCache<T> {
    /// A cache for `n` columns of at most `capacity_bytes` bytes (never less than two full columns,
    /// which SMO needs at once).
    pub fn new(n: usize, capacity_bytes: usize) -> Self {
        let capacity = (capacity_bytes / std::mem::size_of::<T>()).max(2 * n);
        ColumnCache { columns: vec![Vec::new(); n], prev: vec![NONE; n], next: vec![NONE; n], head: NONE, tail: NONE, capacity, used: 0 }
    }

    fn unlink(&mut self, i: usize) {
        let (p, nx) = (self.prev[i], self.next[i]);
        if p != NONE { self.next[p] = nx } else { self.head = nx }
        if nx != NONE { self.prev[nx] = p } else { self.tail = p }
        self.prev[i] = NONE;
        self.next[i] = NONE;
    }

    fn push_most_recent(&mut self, i: usize) {
        self.prev[i] = self.tail;
        self.next[i] = NONE;
        if self.tail != NONE { self.next[self.tail] = i } else { self.head = i }
        self.tail = i;
    }

    fn is_linked(&self, i: usize) -> bool {
        self.prev[i] != NONE || self.head == i
    }

    fn evict(&mut self, i: usize) {
        self.unlink(i);
        self.used -= self.columns[i].capacity();
        self.columns[i] = Vec::new();
    }

    /// Make column `i` at least `len` long, computing the missing entries with `fill(i, start, out)`,
    /// and mark it most recently used. `keep` is a column that must not be evicted meanwhile.
    pub fn ensure(&mut self, i: usize, len: usize, keep: Option<usize>, fill: impl FnOnce(usize, usize, &mut [T])) {
        let have = self.columns[i].len();
        if self.is_linked(i) {
            self.unlink(i);
        }
        if have < len {
            let extra = len.saturating_sub(self.columns[i].capacity());
            while self.used + extra > self.capacity && self.head != NONE {
                let victim = if Some(self.head) == keep { self.next[self.head] } else { self.head };
                if victim == NONE { break; }
                self.evict(victim);
            }
            let col = &mut self.columns[i];
            let before = col.capacity();
            col.reserve_exact(len - have);
            col.resize(len, T::default());
            self.used += col.capacity() - before;
            fill(i, have, &mut col[have..len]);
        }
        self.push_most_recent(i);
    }

    pub fn column(&self, i: usize) -> &[T] {
        &self.columns[i]
    }

    /// Mirror a swap of positions i < j in the solver's order: column identities and the entries
    /// of every cached column. A column covering i but not j cannot be fixed and is dropped.
    pub fn swap_index(&mut self, i: usize, j: usize) {
        let (i, j) = if i < j { (i, j) } else { (j, i) };
        let (li, lj) = (self.is_linked(i), self.is_linked(j));
        if li { self.unlink(i) }
        if lj { self.unlink(j) }
        self.columns.swap(i, j);
        if li { self.push_most_recent(j) }
        if lj { self.push_most_recent(i) }
        let mut h = self.head;
        while h != NONE {
            let next = self.next[h];
            let len = self.columns[h].len();
            if len > j {
                self.columns[h].swap(i, j);
            } else if len > i {
                self.evict(h);
            }
            h = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_least_recently_used_and_extends_prefixes() {
        // room for exactly 2 columns of length 4 (the minimum), plus nothing more
        let mut c = ColumnCache::<f32>::new(4, 0);
        let fill = |i: usize, start: usize, out: &mut [f32]| {
            for (k, o) in out.iter_mut().enumerate() {
                *o = (10 * i + start + k) as f32;
            }
        };
        c.ensure(0, 2, None, fill);
        assert_eq!(c.column(0), &[0.0, 1.0]);
        c.ensure(0, 4, None, fill); // extends the tail only
        assert_eq!(c.column(0), &[0.0, 1.0, 2.0, 3.0]);
        c.ensure(1, 4, None, fill);
        c.ensure(2, 4, Some(1), fill); // must evict column 0, not 1
        assert!(c.column(0).is_empty());
        assert_eq!(c.column(1), &[10.0, 11.0, 12.0, 13.0]);
        c.swap_index(1, 3);
        assert!(c.column(1).is_empty());
        assert_eq!(c.column(3), &[10.0, 13.0, 12.0, 11.0]);
        assert_eq!(c.column(2), &[20.0, 23.0, 22.0, 21.0]);
    }
}
