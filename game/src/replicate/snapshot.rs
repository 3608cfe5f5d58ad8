//! The per-tick snapshot every client reads: each character's replicated state and its update
//! record, encoded once, in the simulation's slot order (stable across ticks, so a client finds
//! the characters it follows where they were), with the slots bucketed by chunk with a counting
//! sort so a client gathers its area by reading a few contiguous ranges instead of scanning
//! everyone.

use super::state::{CHARACTER_FLAGS, velocity};
use crate::MapSim;
use crate::geom::MapGeometry;
use crate::sim::Controller;
use crate::wire::{KIND_BOT, KIND_PLAYER, order_code};
use engine::Entity;
use net::protocol::{EntityEnter, EntityId, EntityState, EntityUpdate, UPDATE_RECORD_LEN};

/// No snapshot position (an entity index without a character this tick).
const NOWHERE: u32 = u32::MAX;

/// One character as replicated this tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Character {
    /// Wire id ([`Entity::to_bits`]).
    pub id: u64,
    /// [`KIND_PLAYER`] or [`KIND_BOT`].
    pub kind: u16,
    /// Quantized state.
    pub state: EntityState,
    /// Order code for the Frame head.
    pub order: u8,
    /// Order target's wire id, 0 = none.
    pub order_target: u64,
}

/// The part of a character every client's pass reads each tick: its id and state (24 bytes, so
/// a crowd's worth stays in cache).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Motion {
    /// Wire id.
    pub id: u64,
    /// Quantized state.
    pub state: EntityState,
}

/// A character in its chunk's range: its position and slot, so gathering an area reads one
/// contiguous run per chunk instead of a scattered row per character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Placed {
    /// Position x, 1/256 tile.
    pub x: i32,
    /// Position y, 1/256 tile.
    pub y: i32,
    /// Slot.
    pub at: u32,
}

/// Where a character was at the last snapshot, by entity index (for its velocity).
#[derive(Debug, Clone, Copy, Default)]
struct LastSeen {
    generation: u32,
    x: i32,
    y: i32,
    /// Snapshot tick it was seen at (`None`: never).
    tick: Option<u64>,
}

/// All characters of the map at one tick, by slot (the simulation's column order, which stays
/// put from tick to tick unless characters despawn), with the slots grouped by chunk.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    /// Tick the snapshot describes.
    pub tick: u64,
    /// Health of a rested character (the Frame head's `max_hp`).
    pub max_hp: u16,
    geometry: Option<MapGeometry>,
    /// By slot: the character.
    characters: Vec<Character>,
    /// By slot: its id and state.
    motion: Vec<Motion>,
    /// By slot: its update record, encoded once for every client.
    records: Vec<[u8; UPDATE_RECORD_LEN]>,
    /// By slot: its chunk bucket (the dense chunk index, or one past the last for outside).
    bucket_of: Vec<u32>,
    /// Characters chunk by chunk, then those outside the map.
    by_chunk: Vec<Placed>,
    /// Start of each chunk's range in `by_chunk`; one extra bucket for outside the map, then
    /// the end.
    bucket_start: Vec<u32>,
    /// By entity index: slot.
    position_of: Vec<u32>,
    last_seen: Vec<LastSeen>,
}

impl Snapshot {
    /// Rebuilds the snapshot from the simulation's character columns at `tick`.
    pub fn rebuild(&mut self, sim: &MapSim, tick: u64) {
        let geometry = sim.geometry();
        self.tick = tick;
        self.geometry = Some(geometry);
        self.gather(sim, &geometry);
        self.bucket(geometry.chunk_count());
        self.index_positions();
        self.records.clear();
        self.records.extend(self.characters.iter().map(|c| c.update().record()));
    }

    /// Reads every character once, by slot, computing velocities from the last snapshot.
    fn gather(&mut self, sim: &MapSim, geometry: &MapGeometry) {
        let k = sim.keys;
        let n = sim.world.group_len(k.group);
        let (xs, ys) = (sim.world.column(k.x), sim.world.column(k.y));
        let (orders, controllers) = (sim.world.column(k.order), sim.world.column(k.controller));
        let vitals = sim.world.column(k.vitals);
        self.max_hp = sim.content.stats.max_health;
        let outside = geometry.chunk_count() as u32;
        self.characters.clear();
        self.motion.clear();
        self.bucket_of.clear();
        for slot in 0..n {
            let entity = xs.entities()[slot];
            let (x, y) = (xs.values()[slot], ys.values()[slot]);
            let (vx, vy) = self.track(entity, x, y);
            let kind = match controllers.get(entity) {
                Some(Controller::Bot) => KIND_BOT,
                _ => KIND_PLAYER,
            };
            let (order, order_target) = order_code(&orders.values()[slot].current);
            let hp = vitals.values()[slot].health;
            let state = EntityState { x, y, vx, vy, hp, flags: CHARACTER_FLAGS };
            let id = entity.to_bits();
            self.characters.push(Character { id, kind, state, order, order_target });
            self.motion.push(Motion { id, state });
            let (cx, cy) = MapGeometry::chunk_of(x, y);
            self.bucket_of.push(geometry.chunk_index(cx, cy).map_or(outside, |i| i as u32));
        }
    }

    /// Velocity of `entity` at `(x, y)`: its displacement since the previous tick's snapshot
    /// (zero when it was not seen then, or the slot held another entity).
    fn track(&mut self, entity: Entity, x: i32, y: i32) -> (i16, i16) {
        let index = entity.index() as usize;
        if index >= self.last_seen.len() {
            self.last_seen.resize(index + 1, LastSeen::default());
        }
        let last = &mut self.last_seen[index];
        let previous = self.tick.checked_sub(1);
        let continuous =
            last.generation == entity.generation() && last.tick.is_some() && last.tick == previous;
        let v = if continuous { (velocity(x, last.x), velocity(y, last.y)) } else { (0, 0) };
        *last = LastSeen { generation: entity.generation(), x, y, tick: Some(self.tick) };
        v
    }

    /// Counting sort of the slots into `by_chunk` by bucket.
    fn bucket(&mut self, chunk_count: usize) {
        let buckets = chunk_count + 1;
        self.bucket_start.clear();
        self.bucket_start.resize(buckets + 1, 0);
        for &bucket in &self.bucket_of {
            self.bucket_start[bucket as usize + 1] += 1;
        }
        for i in 1..self.bucket_start.len() {
            self.bucket_start[i] += self.bucket_start[i - 1];
        }
        self.by_chunk.clear();
        self.by_chunk.resize(self.bucket_of.len(), Placed::default());
        for (slot, (&bucket, m)) in self.bucket_of.iter().zip(&self.motion).enumerate() {
            let at = &mut self.bucket_start[bucket as usize];
            self.by_chunk[*at as usize] = Placed { x: m.state.x, y: m.state.y, at: slot as u32 };
            *at += 1;
        }
        // Each start was advanced to its bucket's end, i.e. the next bucket's start: shift back.
        self.bucket_start.copy_within(0..buckets, 1);
        self.bucket_start[0] = 0;
    }

    /// Fills `position_of` for this tick's characters.
    fn index_positions(&mut self) {
        for (slot, m) in self.motion.iter().enumerate() {
            let index = Entity::from_bits(m.id).index() as usize;
            if index >= self.position_of.len() {
                self.position_of.resize(index + 1, NOWHERE);
            }
            self.position_of[index] = slot as u32;
        }
    }

    /// Number of characters (slots).
    pub fn len(&self) -> usize {
        self.motion.len()
    }

    /// The character `entity`, if it exists this tick.
    pub fn find(&self, entity: Entity) -> Option<&Character> {
        let at = self.locate(entity.to_bits(), NOWHERE)?;
        self.characters.get(at as usize)
    }

    /// The slot of the character with wire id `id`, if it exists this tick; `hint` is where it
    /// was last seen (usually still right, which spares a lookup by entity index).
    #[inline]
    pub fn locate(&self, id: u64, hint: u32) -> Option<u32> {
        if self.motion.get(hint as usize).is_some_and(|m| m.id == id) {
            return Some(hint);
        }
        let at = *self.position_of.get(Entity::from_bits(id).index() as usize)?;
        self.motion.get(at as usize).is_some_and(|m| m.id == id).then_some(at)
    }

    /// The characters standing in chunk `(cx, cy)`.
    pub fn in_chunk(&self, cx: i32, cy: i32) -> &[Placed] {
        let Some(index) = self.geometry.and_then(|g| g.chunk_index(cx, cy)) else { return &[] };
        let start = self.bucket_start.get(index).copied().unwrap_or(0) as usize;
        let end = self.bucket_start.get(index + 1).copied().unwrap_or(0) as usize;
        self.by_chunk.get(start..end.max(start)).unwrap_or_default()
    }

    /// The character in slot `at`.
    pub fn character(&self, at: usize) -> &Character {
        &self.characters[at]
    }

    /// Id and state of the character in slot `at`.
    pub fn motion(&self, at: usize) -> &Motion {
        &self.motion[at]
    }

    /// The pre-encoded update record of the character in slot `at`.
    pub fn record(&self, at: usize) -> &[u8; UPDATE_RECORD_LEN] {
        &self.records[at]
    }
}

impl Character {
    /// Its enter record (full state).
    pub fn enter(&self) -> EntityEnter {
        EntityEnter { id: EntityId(self.id), kind: self.kind, state: self.state }
    }

    /// Its update record.
    fn update(&self) -> EntityUpdate {
        EntityUpdate { id: EntityId(self.id), state: self.state }
    }
}
