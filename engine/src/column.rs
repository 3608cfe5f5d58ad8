//! One component column: values packed densely (sparse-set layout) with O(1) insert and
//! swap-remove, and generation-checked lookups.

use crate::entity::Entity;
use rayon::prelude::*;
use std::any::Any;

const EMPTY: u32 = u32::MAX;

/// Dense storage of one component type.
///
/// `values[i]` belongs to `owners[i]`; `slots[entity.index]` points back to `i`. Removing swaps the
/// last value into the hole, so iteration is always over a packed slice. Lookups compare the full
/// id (index and generation), so a stale id never reads the slot's new occupant.
///
/// Structural changes (insert, remove) happen only through the [`World`](crate::World), which
/// keeps presence bitsets and column groups consistent; systems get values.
#[derive(Debug)]
pub struct Column<T> {
    values: Vec<T>,
    owners: Vec<Entity>,
    slots: Vec<u32>,
}

impl<T> Default for Column<T> {
    fn default() -> Self {
        Self { values: Vec::new(), owners: Vec::new(), slots: Vec::new() }
    }
}

impl<T> Column<T> {
    /// Number of values stored.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when the column holds nothing.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Dense slot of `entity`'s value, if it has one (stale ids give `None`).
    #[inline]
    pub fn slot(&self, entity: Entity) -> Option<usize> {
        let slot = *self.slots.get(entity.index() as usize)?;
        (slot != EMPTY && self.owners[slot as usize] == entity).then_some(slot as usize)
    }

    /// True when `entity` has a value here.
    pub fn contains(&self, entity: Entity) -> bool {
        self.slot(entity).is_some()
    }

    /// `entity`'s value.
    #[inline]
    pub fn get(&self, entity: Entity) -> Option<&T> {
        self.slot(entity).map(|s| &self.values[s])
    }

    /// `entity`'s value for writing.
    #[inline]
    pub fn get_mut(&mut self, entity: Entity) -> Option<&mut T> {
        let slot = self.slot(entity)?;
        Some(&mut self.values[slot])
    }

    /// All values, packed, in slot order.
    pub fn values(&self) -> &[T] {
        &self.values
    }

    /// All values for writing, packed, in slot order.
    pub fn values_mut(&mut self) -> &mut [T] {
        &mut self.values
    }

    /// Owner of each slot, aligned with [`Column::values`].
    pub fn entities(&self) -> &[Entity] {
        &self.owners
    }

    /// Owners and values together, for writers that need to know whose value they write.
    pub fn split_mut(&mut self) -> (&[Entity], &mut [T]) {
        (&self.owners, &mut self.values)
    }

    /// `(entity, value)` pairs in slot order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (Entity, &T)> {
        self.owners.iter().copied().zip(&self.values)
    }

    /// Parallel chunks of `(owners, values)`, aligned, `chunk_len` values each.
    pub fn par_chunks_mut(
        &mut self,
        chunk_len: usize,
    ) -> impl IndexedParallelIterator<Item = (&[Entity], &mut [T])>
    where
        T: Send,
    {
        self.owners.par_chunks(chunk_len.max(1)).zip(self.values.par_chunks_mut(chunk_len.max(1)))
    }

    /// Stores `value` for `entity`; returns the value it replaced. The entity must be alive
    /// (checked by the world).
    pub(crate) fn insert(&mut self, entity: Entity, value: T) -> Option<T> {
        if let Some(slot) = self.slot(entity) {
            return Some(std::mem::replace(&mut self.values[slot], value));
        }
        let index = entity.index() as usize;
        if index >= self.slots.len() {
            self.slots.resize(index + 1, EMPTY);
        }
        self.slots[index] = self.values.len() as u32;
        self.values.push(value);
        self.owners.push(entity);
        None
    }

    /// Removes `entity`'s value with swap-remove.
    pub(crate) fn remove(&mut self, entity: Entity) -> Option<T> {
        let slot = self.slot(entity)?;
        let last = self.values.len() - 1;
        self.swap_slots(slot, last);
        self.slots[entity.index() as usize] = EMPTY;
        self.owners.pop();
        self.values.pop()
    }

    /// Exchanges two dense slots, keeping the sparse index in step (used by groups).
    pub(crate) fn swap_slots(&mut self, a: usize, b: usize) {
        if a == b {
            return;
        }
        self.values.swap(a, b);
        self.owners.swap(a, b);
        self.slots[self.owners[a].index() as usize] = a as u32;
        self.slots[self.owners[b].index() as usize] = b as u32;
    }
}

/// The type-erased face of a column that the world uses for structural bookkeeping.
pub(crate) trait AnyColumn: Send + Sync {
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
    fn slot_of(&self, entity: Entity) -> Option<usize>;
    fn swap(&mut self, a: usize, b: usize);
    fn remove_entity(&mut self, entity: Entity) -> bool;
}

impl<T: Send + Sync + 'static> AnyColumn for Column<T> {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn slot_of(&self, entity: Entity) -> Option<usize> {
        self.slot(entity)
    }
    fn swap(&mut self, a: usize, b: usize) {
        self.swap_slots(a, b);
    }
    fn remove_entity(&mut self, entity: Entity) -> bool {
        self.remove(entity).is_some()
    }
}
