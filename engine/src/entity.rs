//! Generational entity ids and the allocator that hands them out and reuses freed slots.

use crate::bitset::BitSet;
use std::fmt;

/// A handle to an entity: a slot index plus the generation of that slot when it was handed out.
///
/// When a slot is freed its generation is bumped, so every id that still names the old occupant is
/// stale and is rejected by [`Entities::is_alive`] and by every column lookup.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Entity {
    index: u32,
    generation: u32,
}

impl Entity {
    /// Builds an id from its parts. Ids from outside (the wire, the database) are checked by
    /// [`Entities::is_alive`] before use; building one never makes it valid.
    pub const fn from_parts(index: u32, generation: u32) -> Self {
        Self { index, generation }
    }

    /// Slot index: dense, reused after despawn. Columns index their sparse arrays by it.
    pub const fn index(self) -> u32 {
        self.index
    }

    /// Generation of the slot when this id was issued.
    pub const fn generation(self) -> u32 {
        self.generation
    }

    /// Packs the id into 64 bits (generation high, index low): the wire and storage form. Ids
    /// issued by [`Entities`] never pack to 0, which the wire reserves for "no entity".
    pub const fn to_bits(self) -> u64 {
        ((self.generation as u64) << 32) | self.index as u64
    }

    /// Inverse of [`Entity::to_bits`].
    pub const fn from_bits(bits: u64) -> Self {
        Self { index: bits as u32, generation: (bits >> 32) as u32 }
    }
}

impl fmt::Debug for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}v{}", self.index, self.generation)
    }
}

/// Allocates entity ids, tracks which are alive and recycles freed slots (LIFO).
#[derive(Debug, Default)]
pub struct Entities {
    generations: Vec<u32>,
    alive: BitSet,
    free: Vec<u32>,
    len: usize,
}

impl Entities {
    /// An empty allocator.
    pub fn new() -> Self {
        Self::default()
    }

    /// Hands out a fresh id, reusing a freed slot when one is available.
    pub fn alloc(&mut self) -> Entity {
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                let index = u32::try_from(self.generations.len()).expect("more than 2^32 entity slots");
                // Generations start at 1, so no live id packs to 0 (the wire's "no entity").
                self.generations.push(1);
                index
            }
        };
        self.alive.insert(index as usize);
        self.len += 1;
        Entity { index, generation: self.generations[index as usize] }
    }

    /// Frees `entity`'s slot. Returns false (and changes nothing) for a stale or unknown id.
    pub fn free(&mut self, entity: Entity) -> bool {
        if !self.is_alive(entity) {
            return false;
        }
        let i = entity.index as usize;
        self.alive.remove(i);
        self.len -= 1;
        // A slot whose generation would wrap is retired rather than risk an old id matching again.
        if let Some(next) = self.generations[i].checked_add(1) {
            self.generations[i] = next;
            self.free.push(entity.index);
        }
        true
    }

    /// True when `entity` names the current occupant of a live slot.
    pub fn is_alive(&self, entity: Entity) -> bool {
        let i = entity.index as usize;
        self.alive.contains(i) && self.generations.get(i) == Some(&entity.generation)
    }

    /// The live id currently occupying slot `index`, if any.
    pub fn at_index(&self, index: u32) -> Option<Entity> {
        let i = index as usize;
        self.alive.contains(i).then(|| Entity { index, generation: self.generations[i] })
    }

    /// Number of live entities.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no entity is alive.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of slots ever allocated (live or free): the bound of every entity index.
    pub fn slot_count(&self) -> usize {
        self.generations.len()
    }

    /// Live entities in slot order.
    pub fn iter(&self) -> impl Iterator<Item = Entity> + '_ {
        self.alive.iter().map(|i| Entity { index: i as u32, generation: self.generations[i] })
    }
}
