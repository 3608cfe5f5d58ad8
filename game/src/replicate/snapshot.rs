//! The per-tick snapshot every client reads: each character's replicated state and its update
//! record, encoded once, bucketed by chunk with a counting sort so a client gathers its area by
//! reading a few contiguous ranges instead of scanning everyone.

use super::state::{CHARACTER_FLAGS, CHARACTER_HP, EntityState, KIND_BOT, KIND_PLAYER, order_code, velocity};
use crate::MapSim;
use crate::geom::MapGeometry;
use crate::sim::Controller;
use engine::Entity;
use net::protocol::{EntityEnter, EntityId, EntityUpdate, UPDATE_RECORD_LEN};
use std::ops::Range;

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

/// Where a character was at the last snapshot, by entity index (for its velocity).
#[derive(Debug, Clone, Copy, Default)]
struct LastSeen {
    generation: u32,
    x: i32,
    y: i32,
    /// Snapshot tick it was seen at (`None`: never).
    tick: Option<u64>,
}

/// All characters of the map at one tick, grouped by chunk.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    /// Tick the snapshot describes.
    pub tick: u64,
    geometry: Option<MapGeometry>,
    /// Characters in bucket order: chunk by chunk, then those outside the map.
    characters: Vec<Character>,
    /// Update record of `characters[i]`, encoded once for every client.
    records: Vec<[u8; UPDATE_RECORD_LEN]>,
    /// Start of each chunk's range in `characters`; one extra bucket for outside the map, then
    /// the end.
    bucket_start: Vec<u32>,
    /// Scratch: characters in group order with their bucket.
    unsorted: Vec<(u32, Character)>,
    /// By entity index: position in `characters`.
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
        self.encode_records();
    }

    /// Reads every character once into `unsorted`, computing velocities from the last snapshot.
    fn gather(&mut self, sim: &MapSim, geometry: &MapGeometry) {
        let k = sim.keys;
        let n = sim.world.group_len(k.group);
        let (xs, ys) = (sim.world.column(k.x), sim.world.column(k.y));
        let (orders, controllers) = (sim.world.column(k.order), sim.world.column(k.controller));
        let outside = geometry.chunk_count() as u32;
        self.unsorted.clear();
        for slot in 0..n {
            let entity = xs.entities()[slot];
            let (x, y) = (xs.values()[slot], ys.values()[slot]);
            let (vx, vy) = self.track(entity, x, y);
            let kind = match controllers.get(entity) {
                Some(Controller::Bot) => KIND_BOT,
                _ => KIND_PLAYER,
            };
            let (order, order_target) = order_code(&orders.values()[slot].current);
            let state = EntityState { x, y, vx, vy, hp: CHARACTER_HP, flags: CHARACTER_FLAGS };
            let character = Character { id: entity.to_bits(), kind, state, order, order_target };
            let (cx, cy) = MapGeometry::chunk_of(x, y);
            let bucket = geometry.chunk_index(cx, cy).map_or(outside, |i| i as u32);
            self.unsorted.push((bucket, character));
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

    /// Counting sort of `unsorted` into `characters` by bucket.
    fn bucket(&mut self, chunk_count: usize) {
        let buckets = chunk_count + 1;
        self.bucket_start.clear();
        self.bucket_start.resize(buckets + 1, 0);
        for &(bucket, _) in &self.unsorted {
            self.bucket_start[bucket as usize + 1] += 1;
        }
        for i in 1..self.bucket_start.len() {
            self.bucket_start[i] += self.bucket_start[i - 1];
        }
        self.characters.clear();
        self.characters.resize(self.unsorted.len(), Character::default());
        for &(bucket, character) in &self.unsorted {
            let at = &mut self.bucket_start[bucket as usize];
            self.characters[*at as usize] = character;
            *at += 1;
        }
        // Each start was advanced to its bucket's end, i.e. the next bucket's start: shift back.
        self.bucket_start.copy_within(0..buckets, 1);
        self.bucket_start[0] = 0;
        for w in self.bucket_start.windows(2) {
            self.characters[w[0] as usize..w[1] as usize].sort_unstable_by_key(|c| c.id);
        }
        self.index_positions();
    }

    /// Fills `position_of` for this tick's characters.
    fn index_positions(&mut self) {
        for (at, c) in self.characters.iter().enumerate() {
            let index = Entity::from_bits(c.id).index() as usize;
            if index >= self.position_of.len() {
                self.position_of.resize(index + 1, NOWHERE);
            }
            self.position_of[index] = at as u32;
        }
    }

    /// Encodes every character's update record once.
    fn encode_records(&mut self) {
        self.records.clear();
        self.records.extend(self.characters.iter().map(|c| c.update().record()));
    }

    /// The character `entity`, if it exists this tick.
    pub fn find(&self, entity: Entity) -> Option<&Character> {
        let at = *self.position_of.get(entity.index() as usize)?;
        self.characters.get(at as usize).filter(|c| c.id == entity.to_bits())
    }

    /// Positions in [`Snapshot::character`] of the characters standing in chunk `(cx, cy)`.
    pub fn in_chunk(&self, cx: i32, cy: i32) -> Range<usize> {
        let Some(index) = self.geometry.and_then(|g| g.chunk_index(cx, cy)) else { return 0..0 };
        let start = self.bucket_start.get(index).copied().unwrap_or(0) as usize;
        let end = self.bucket_start.get(index + 1).copied().unwrap_or(0) as usize;
        start..end.max(start)
    }

    /// The character at snapshot position `at`.
    pub fn character(&self, at: usize) -> &Character {
        &self.characters[at]
    }

    /// The pre-encoded update record of the character at `at`.
    pub fn record(&self, at: usize) -> &[u8; UPDATE_RECORD_LEN] {
        &self.records[at]
    }
}

impl Character {
    /// Its enter record (full state).
    pub fn enter(&self) -> EntityEnter {
        let s = &self.state;
        let (x, y, vx, vy, hp, flags) = (s.x, s.y, s.vx, s.vy, s.hp, s.flags);
        EntityEnter { id: EntityId(self.id), kind: self.kind, x, y, vx, vy, hp, flags }
    }

    /// Its update record.
    fn update(&self) -> EntityUpdate {
        let s = &self.state;
        EntityUpdate { id: EntityId(self.id), x: s.x, y: s.y, vx: s.vx, vy: s.vy, hp: s.hp, flags: s.flags }
    }
}
