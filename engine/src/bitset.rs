//! Growable bitsets: a plain one for single-threaded bookkeeping and an atomic one that parallel
//! systems can mark without exclusive access (per-column change tracking).

use std::sync::atomic::{AtomicU64, Ordering};

/// A growable set of small integers, one bit each.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BitSet {
    words: Vec<u64>,
}

impl BitSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `i`, growing as needed. Returns true if it was absent.
    pub fn insert(&mut self, i: usize) -> bool {
        let (w, b) = (i / 64, i % 64);
        if w >= self.words.len() {
            self.words.resize(w + 1, 0);
        }
        let was = self.words[w] & (1 << b) != 0;
        self.words[w] |= 1 << b;
        !was
    }

    /// Removes `i`. Returns true if it was present.
    pub fn remove(&mut self, i: usize) -> bool {
        let (w, b) = (i / 64, i % 64);
        match self.words.get_mut(w) {
            Some(word) if *word & (1 << b) != 0 => {
                *word &= !(1 << b);
                true
            }
            _ => false,
        }
    }

    /// True if `i` is in the set.
    pub fn contains(&self, i: usize) -> bool {
        self.words.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// Removes every element, keeping the allocation.
    pub fn clear(&mut self) {
        self.words.fill(0);
    }

    /// Number of elements.
    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Elements in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        iter_words(self.words.iter().copied())
    }
}

/// A bitset whose bits can be set through a shared reference from many threads at once.
///
/// Its size is fixed between calls to [`AtomicBitSet::grow`] (which needs `&mut`), so setting a
/// bit never allocates.
#[derive(Debug, Default)]
pub struct AtomicBitSet {
    words: Vec<AtomicU64>,
}

impl AtomicBitSet {
    /// Makes room for elements below `len`.
    pub fn grow(&mut self, len: usize) {
        let need = len.div_ceil(64);
        if need > self.words.len() {
            self.words.resize_with(need, AtomicU64::default);
        }
    }

    /// Number of elements the set can hold without growing.
    pub fn capacity(&self) -> usize {
        self.words.len() * 64
    }

    /// Adds `i`; a no-op (returning false) beyond the capacity, which callers size up front.
    pub fn insert(&self, i: usize) -> bool {
        let Some(word) = self.words.get(i / 64) else { return false };
        let bit = 1u64 << (i % 64);
        // Skip the read-modify-write when the bit is already set: the common case for re-marks.
        if word.load(Ordering::Relaxed) & bit != 0 {
            return true;
        }
        word.fetch_or(bit, Ordering::Relaxed);
        true
    }

    /// Removes `i` (exclusive access, so no atomics needed).
    pub fn remove(&mut self, i: usize) {
        if let Some(word) = self.words.get_mut(i / 64) {
            *word.get_mut() &= !(1u64 << (i % 64));
        }
    }

    /// True if `i` is in the set.
    pub fn contains(&self, i: usize) -> bool {
        self.words.get(i / 64).is_some_and(|w| w.load(Ordering::Relaxed) & (1 << (i % 64)) != 0)
    }

    /// Removes every element.
    pub fn clear(&mut self) {
        for w in &mut self.words {
            *w.get_mut() = 0;
        }
    }

    /// Elements in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        iter_words(self.words.iter().map(|w| w.load(Ordering::Relaxed)))
    }
}

fn iter_words(words: impl Iterator<Item = u64>) -> impl Iterator<Item = usize> {
    words.enumerate().flat_map(|(wi, mut word)| {
        std::iter::from_fn(move || {
            if word == 0 {
                return None;
            }
            let bit = word.trailing_zeros() as usize;
            word &= word - 1;
            Some(wi * 64 + bit)
        })
    })
}
