//! When resident growing objects change stage: a min-heap of `(stage end, entity)`, so the
//! growth system pops only what is due each tick and never walks every object. An entry is a
//! hint, not a fact: the object may have been removed or unloaded (its entity is then dead, or
//! its slot has a new generation) or changed since (its record's `stage_ends_ms` differs), so
//! whoever pops one checks it against the record. Such stale entries are dropped when popped,
//! and all at once when the heap has doubled since it was last cleaned, which keeps memory
//! bounded by the objects resident however often chunks come and go.

use super::NEVER;
use engine::Entity;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The heap is cleaned when it holds more than this many entries and twice what it kept last
/// time.
const MIN_CLEAN: usize = 4096;

/// The due times of resident growing objects (a resource of every map: `Keys::growth`).
#[derive(Debug, Default)]
pub struct GrowthTimers {
    heap: BinaryHeap<Reverse<(i64, Entity)>>,
    /// False until the growth system is installed: nothing is scheduled, so a map without it
    /// holds no entries (its objects are still brought up to date whenever they load).
    enabled: bool,
    /// Entries kept at the last cleaning.
    kept: usize,
}

impl GrowthTimers {
    /// Starts scheduling (the growth system is installed).
    pub fn enable(&mut self) {
        self.enabled = true;
    }

    /// True when stage changes are scheduled.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Schedules `entity`'s stage change at `ends_ms` (nothing for a final stage, [`NEVER`], or
    /// while disabled).
    pub fn schedule(&mut self, ends_ms: i64, entity: Entity) {
        if self.enabled && ends_ms != NEVER {
            self.heap.push(Reverse((ends_ms, entity)));
        }
    }

    /// The earliest entry due at `now_ms` (its end ≤ now), removed; earliest first, ties by
    /// entity, so the order is deterministic.
    pub fn pop_due(&mut self, now_ms: i64) -> Option<(i64, Entity)> {
        match self.heap.peek() {
            Some(&Reverse((ends, _))) if ends <= now_ms => self.heap.pop().map(|Reverse(entry)| entry),
            _ => None,
        }
    }

    /// Entries held (stale ones included).
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when nothing is scheduled.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// True when the heap should be cleaned: past [`MIN_CLEAN`] and twice what it last kept.
    pub fn needs_cleaning(&self) -> bool {
        self.heap.len() > MIN_CLEAN.max(2 * self.kept)
    }

    /// Keeps only the entries `valid` accepts (`(ends_ms, entity)`); O(n), amortized over the
    /// n entries scheduled since the last cleaning.
    pub fn clean(&mut self, mut valid: impl FnMut(i64, Entity) -> bool) {
        let mut entries = std::mem::take(&mut self.heap).into_vec();
        entries.retain(|&Reverse((ends, e))| valid(ends, e));
        self.kept = entries.len();
        self.heap = BinaryHeap::from(entries);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(index: u32) -> Entity {
        Entity::from_parts(index, 1)
    }

    #[test]
    fn only_due_entries_pop_earliest_first() {
        let mut t = GrowthTimers::default();
        t.schedule(10, e(1));
        assert!(t.is_empty(), "disabled: nothing is scheduled");
        t.enable();
        t.schedule(30, e(1));
        t.schedule(10, e(3));
        t.schedule(10, e(2));
        t.schedule(NEVER, e(4));
        assert_eq!(t.len(), 3, "a final stage is never scheduled");
        assert_eq!(t.pop_due(9), None);
        assert_eq!(t.pop_due(29), Some((10, e(2))));
        assert_eq!(t.pop_due(29), Some((10, e(3))));
        assert_eq!(t.pop_due(29), None);
        assert_eq!(t.pop_due(i64::MAX), Some((30, e(1))));
        assert!(t.is_empty());
    }

    #[test]
    fn cleaning_keeps_the_valid_entries_once_the_heap_doubled() {
        let mut t = GrowthTimers::default();
        t.enable();
        for i in 0..=MIN_CLEAN as u32 {
            t.schedule(i64::from(i), e(i));
        }
        assert!(t.needs_cleaning());
        t.clean(|ends, _| ends % 2 == 0);
        assert_eq!(t.len(), MIN_CLEAN / 2 + 1);
        assert!(!t.needs_cleaning());
        assert_eq!(t.pop_due(100), Some((0, e(0))));
        assert_eq!(t.pop_due(100), Some((2, e(2))));
    }
}
