//! Queries on a map simulation outside the tick: whether a spot is free (for spawning) and
//! requests to make an area resident, plus [`LocalSpawn`], the spawner's view of one local map.

use super::MapSim;
use super::residency::touch;
use super::spawn::{Probe, SpawnWorld};
use crate::geom::MapGeometry;
use crate::movement::{Circle, fits};
use store::MapId;

impl MapSim {
    /// Whether a character could stand at `(x, y)`; `Unknown` (and a load request) when the
    /// spot's chunk is not resident yet. The spot's chunk is requested alone first and the 3×3
    /// around it once it is resident, so a burst of arrivals (players handed off here at once)
    /// gets every spot's chunk loaded and installed before anyone's surroundings.
    pub fn probe(&mut self, x: i32, y: i32) -> Probe {
        let g = self.geometry();
        if !g.in_walkable(x, y) {
            return Probe::Blocked;
        }
        if !self.world.resource(self.keys.chunks).is_resident_at(x, y) {
            self.request_spot(x, y);
            return Probe::Unknown;
        }
        self.request_area(x, y);
        let chunks = self.world.resource(self.keys.chunks);
        let r = self.content.character.radius;
        let mut circles: Vec<Circle> = Vec::new();
        let objects = self.world.resource(self.keys.objects);
        objects.grid.for_each_in_radius(x, y, r + objects.max_radius, |e| {
            let cr = objects.radius.get(e.entity.index() as usize).copied().unwrap_or(0);
            if cr > 0 {
                circles.push(Circle { x: e.x, y: e.y, r: cr });
            }
        });
        // Characters as of the last grid rebuild, plus those spawned since.
        self.world.resource(self.keys.movers).for_each_in_radius(x, y, 2 * r, |e| {
            circles.push(Circle { x: e.x, y: e.y, r });
        });
        circles.extend(self.fresh.iter().map(|&(fx, fy)| Circle { x: fx, y: fy, r }));
        // `from == to`: any overlap blocks (no escape rule for a fresh spawn).
        let free =
            fits((x, y), (x, y), r, &*chunks, &circles) && !circles.iter().any(|c| overlaps(c, x, y, r));
        if free { Probe::Free } else { Probe::Blocked }
    }

    /// Marks the chunk at `(x, y)` needed now and requests it if absent.
    fn request_spot(&mut self, x: i32, y: i32) {
        let now = self.world.resource(self.keys.clock).now_ms;
        let (cx, cy) = MapGeometry::chunk_of(x, y);
        let mut chunks = self.world.resource_mut(self.keys.chunks);
        touch(&mut chunks, &self.world.resource(self.residency), cx, cy, now);
    }

    /// Marks the 3×3 chunks around `(x, y)` needed now and requests the absent ones.
    pub fn request_area(&mut self, x: i32, y: i32) {
        let now = self.world.resource(self.keys.clock).now_ms;
        let (cx, cy) = MapGeometry::chunk_of(x, y);
        let mut chunks = self.world.resource_mut(self.keys.chunks);
        let res = self.world.resource(self.residency);
        for dy in -1..=1 {
            for dx in -1..=1 {
                touch(&mut chunks, &res, cx + dx, cy + dy, now);
            }
        }
    }
}

fn overlaps(c: &Circle, x: i32, y: i32, r: i32) -> bool {
    let (dx, dy) = (i64::from(c.x - x), i64::from(c.y - y));
    let reach = i64::from(c.r + r);
    dx * dx + dy * dy < reach * reach
}

/// The spawner's view of a shard simulating one map: every other map is remote, and the
/// position before a hand-off is saved by `save`.
pub struct LocalSpawn<'a> {
    /// The local map.
    pub sim: &'a mut MapSim,
    /// Saves a position on a remote map (the store's writer in the shard).
    pub save: &'a mut dyn FnMut(MapId, i32, i32) -> Result<(), String>,
}

impl std::fmt::Debug for LocalSpawn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalSpawn").field("map", &self.sim.geometry().id).finish()
    }
}

impl SpawnWorld for LocalSpawn<'_> {
    fn is_local(&self, map: MapId) -> bool {
        self.sim.geometry().id == map
    }

    fn probe(&mut self, map: MapId, x: i32, y: i32) -> Probe {
        if map == self.sim.geometry().id { self.sim.probe(x, y) } else { Probe::Blocked }
    }

    fn save_position(&mut self, map: MapId, x: i32, y: i32) -> Result<(), String> {
        (self.save)(map, x, y)
    }
}
