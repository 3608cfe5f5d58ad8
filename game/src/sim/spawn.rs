//! Spawning (§5): the saved position; else free spots within 2 tiles, nearest first; else a
//! random free spot on layer 0 of a continent, handing the player off (after saving the new
//! position) when that map belongs to another shard. Bounded retries, then a clear error.
//! The search is a step function so the tick never waits for chunks to load.

use crate::error::SpawnError;
use crate::geom::{TILE, WorldLayout};
use store::MapId;

/// Radius searched around a blocked saved position.
pub const NEARBY_RADIUS: i32 = 2 * TILE;
/// Spacing of the candidate spots around the saved position.
pub const NEARBY_STEP: i32 = TILE / 4;
/// Random spots tried before giving up.
pub const MAX_RANDOM_ATTEMPTS: u32 = 32;
/// Ticks spent waiting for chunks before a candidate is given up.
pub const MAX_WAITS: u32 = 200;

/// Whether a spot can take a character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// Free.
    Free,
    /// Blocked by terrain, an object, a character or the border.
    Blocked,
    /// Not known yet: the chunk is not resident (a load was requested).
    Unknown,
}

/// The maps as the spawner sees them.
pub trait SpawnWorld {
    /// True when this shard simulates `map`.
    fn is_local(&self, map: MapId) -> bool;
    /// Whether `(x, y)` on a local map is free; requests the chunks if they are not resident.
    fn probe(&mut self, map: MapId, x: i32, y: i32) -> Probe;
    /// Saves the character's new position before a hand-off (the hook of §14).
    fn save_position(&mut self, map: MapId, x: i32, y: i32) -> Result<(), String>;
}

/// What to do with the character now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpawnDecision {
    /// Spawn here, on this shard.
    Spawn {
        /// Map.
        map: MapId,
        /// Position.
        x: i32,
        /// Position.
        y: i32,
    },
    /// The position was saved; hand the player to the shard owning `map`.
    HandOff {
        /// Map owned elsewhere.
        map: MapId,
        /// Saved position.
        x: i32,
        /// Saved position.
        y: i32,
    },
    /// Chunks are loading: call [`Spawner::step`] again next tick.
    Wait,
    /// Give up and tell the client.
    Failed(SpawnError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Saved,
    Nearby,
    Random { map: MapId, x: i32, y: i32 },
    PickRandom,
}

/// One character's spawn search.
#[derive(Debug, Clone)]
pub struct Spawner {
    map: MapId,
    x: i32,
    y: i32,
    phase: Phase,
    attempts: u32,
    waits: u32,
    rng: u64,
}

impl Spawner {
    /// A search starting at the saved position; `seed` makes the random phase reproducible.
    pub fn new(map: MapId, x: i32, y: i32, seed: u64) -> Self {
        Self { map, x, y, phase: Phase::Saved, attempts: 0, waits: 0, rng: seed | 1 }
    }

    /// Random attempts made so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Advances the search.
    pub fn step(&mut self, layout: &WorldLayout, world: &mut impl SpawnWorld) -> SpawnDecision {
        loop {
            let next = match self.phase {
                Phase::Saved => self.saved(layout, world),
                Phase::Nearby => self.nearby(world),
                Phase::PickRandom => self.pick(layout, world),
                Phase::Random { map, x, y } => self.random(world, map, x, y),
            };
            if let Some(decision) = next {
                return decision;
            }
        }
    }

    fn saved(&mut self, layout: &WorldLayout, world: &mut impl SpawnWorld) -> Option<SpawnDecision> {
        if layout.map(self.map).is_none() || !world.is_local(self.map) {
            self.phase = Phase::PickRandom;
            return None;
        }
        match world.probe(self.map, self.x, self.y) {
            Probe::Free => Some(SpawnDecision::Spawn { map: self.map, x: self.x, y: self.y }),
            Probe::Blocked => {
                self.phase = Phase::Nearby;
                None
            }
            Probe::Unknown => self.wait(Phase::Nearby),
        }
    }

    fn nearby(&mut self, world: &mut impl SpawnWorld) -> Option<SpawnDecision> {
        let mut unknown = false;
        for (dx, dy) in nearby_offsets() {
            match world.probe(self.map, self.x + dx, self.y + dy) {
                Probe::Free if !unknown => {
                    return Some(SpawnDecision::Spawn { map: self.map, x: self.x + dx, y: self.y + dy });
                }
                Probe::Unknown => unknown = true,
                _ => {}
            }
        }
        if unknown { self.wait(Phase::PickRandom) } else { self.give_up_phase(Phase::PickRandom) }
    }

    fn pick(&mut self, layout: &WorldLayout, world: &mut impl SpawnWorld) -> Option<SpawnDecision> {
        if self.attempts >= MAX_RANDOM_ATTEMPTS {
            return Some(SpawnDecision::Failed(SpawnError::NoFreeSpot { attempts: self.attempts }));
        }
        self.attempts += 1;
        let surface: Vec<_> = layout.surface_maps().copied().collect();
        if surface.is_empty() {
            return Some(SpawnDecision::Failed(SpawnError::UnknownMap(self.map)));
        }
        let m = surface[(self.next() % surface.len() as u64) as usize];
        let (x0, y0, x1, y1) = m.walkable();
        let x = x0 + (self.next() % (x1 - x0 + 1) as u64) as i32;
        let y = y0 + (self.next() % (y1 - y0 + 1) as u64) as i32;
        if !world.is_local(m.id) {
            return Some(match world.save_position(m.id, x, y) {
                Ok(()) => SpawnDecision::HandOff { map: m.id, x, y },
                Err(e) => SpawnDecision::Failed(SpawnError::SaveFailed(e)),
            });
        }
        self.waits = 0;
        self.phase = Phase::Random { map: m.id, x, y };
        None
    }

    fn random(&mut self, world: &mut impl SpawnWorld, map: MapId, x: i32, y: i32) -> Option<SpawnDecision> {
        match world.probe(map, x, y) {
            Probe::Free => Some(SpawnDecision::Spawn { map, x, y }),
            Probe::Blocked => {
                self.phase = Phase::PickRandom;
                None
            }
            Probe::Unknown => self.wait(Phase::PickRandom),
        }
    }

    /// Waits a tick, or moves on to `next` once the wait budget is spent.
    fn wait(&mut self, next: Phase) -> Option<SpawnDecision> {
        self.waits += 1;
        if self.waits > MAX_WAITS {
            return self.give_up_phase(next);
        }
        Some(SpawnDecision::Wait)
    }

    fn give_up_phase(&mut self, next: Phase) -> Option<SpawnDecision> {
        self.waits = 0;
        self.phase = next;
        None
    }

    fn next(&mut self) -> u64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Offsets within [`NEARBY_RADIUS`] on a [`NEARBY_STEP`] lattice, nearest first (ties in a fixed
/// order), excluding the centre.
pub fn nearby_offsets() -> impl Iterator<Item = (i32, i32)> {
    let n = NEARBY_RADIUS / NEARBY_STEP;
    let mut v: Vec<(i32, i32)> = (-n..=n)
        .flat_map(|j| (-n..=n).map(move |i| (i * NEARBY_STEP, j * NEARBY_STEP)))
        .filter(|&(x, y)| (x, y) != (0, 0) && x * x + y * y <= NEARBY_RADIUS * NEARBY_RADIUS)
        .collect();
    v.sort_by_key(|&(x, y)| (x * x + y * y, y, x));
    v.into_iter()
}
