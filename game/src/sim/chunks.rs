//! The resident-chunk table of one map: a dense slot per chunk (no hashing) holding its
//! residency state, last-needed time and, when resident, its tiles and a blocking bitmap that
//! movement reads. Non-resident chunks block, so nobody walks into unloaded ground.

use super::object_log::{ObjectLog, ObjectOp};
use crate::chunk_wire::is_newer;
use crate::geom::{CHUNK_TILE_SHIFT, CHUNK_TILES, MapGeometry};
use crate::movement::Terrain;
use engine::Entity;
use store::codec::CHUNK_SIDE;
use store::{ChunkTiles, Ticket};

/// Residency state of one chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkState {
    /// Not in memory.
    Absent,
    /// A load (or generation) is in flight.
    Loading,
    /// In memory and usable.
    Resident,
    /// Idle and dirty: its save is in flight; it unloads once the save is confirmed.
    Saving,
    /// Stored data could not be decoded: kept aside, never regenerated over, never entered.
    Quarantined,
}

/// A chunk in memory.
#[derive(Debug)]
pub struct ResidentChunk {
    /// Terrain and height layers (the stored truth).
    pub tiles: ChunkTiles,
    /// One bit per tile, row by row: set when the terrain blocks.
    pub blocking: Box<[u128; CHUNK_SIDE]>,
    /// Object entities stored with this chunk.
    pub objects: Vec<Entity>,
    /// Objects changed since the last confirmed save.
    pub dirty: bool,
    /// Tiles not yet confirmed stored (a freshly generated chunk until its save lands).
    pub tiles_unsaved: bool,
    /// The chunk's content version as clients see it: one more with every change of its
    /// objects they see (the tiles never change). Stored with the tiles.
    pub version: u32,
    /// The recent object changes by version (what clients holding an older version lack).
    pub log: ObjectLog,
}

impl ResidentChunk {
    /// Wraps tiles, computing the blocking bitmap from `blocks` (by terrain id).
    pub fn new(tiles: ChunkTiles, blocks: &[bool], version: u32) -> Self {
        let blocking = blocking_bitmap(&tiles.terrain[..], blocks);
        let log = ObjectLog::new(version);
        Self { tiles, blocking, objects: Vec::new(), dirty: false, tiles_unsaved: false, version, log }
    }

    /// A change of one of its objects that clients see: dirty, one version more, logged.
    pub fn record_object(&mut self, entity: Entity, op: ObjectOp) {
        self.dirty = true;
        self.record_seen(entity, op);
    }

    /// A change clients see that needs no save: one version more, logged, not dirty (a stage
    /// reached by growth alone, which the stored stage and its times give on any load).
    pub fn record_seen(&mut self, entity: Entity, op: ObjectOp) {
        self.version = self.version.wrapping_add(1);
        self.log.record(self.version, entity, op);
    }
}

/// One bit per tile, row by row (`y * 128 + x` in `terrain`): set when `blocks` (by terrain id)
/// says the tile blocks; unknown ids and missing tiles block. The server's resident chunks and
/// the client library's chunk cache both use this rule.
pub fn blocking_bitmap(terrain: &[u16], blocks: &[bool]) -> Box<[u128; CHUNK_SIDE]> {
    let mut blocking = Box::new([0u128; CHUNK_SIDE]);
    for (y, row) in blocking.iter_mut().enumerate() {
        for x in 0..CHUNK_SIDE {
            let t = terrain.get(ChunkTiles::index(x, y)).map_or(usize::MAX, |&t| t as usize);
            if blocks.get(t).copied().unwrap_or(true) {
                *row |= 1u128 << x;
            }
        }
    }
    blocking
}

/// One chunk's slot.
#[derive(Debug)]
pub struct ChunkSlot {
    /// Residency state.
    pub state: ChunkState,
    /// Last time (ms) a character needed it.
    pub last_needed_ms: u64,
    /// Earliest time (ms) to retry a failed load or save.
    pub retry_at_ms: u64,
    /// Data while resident or saving.
    pub data: Option<Box<ResidentChunk>>,
    /// In-flight save (idle save, or the save of a generated chunk).
    pub ticket: Option<Ticket>,
    /// Why the chunk is quarantined.
    pub quarantine_reason: Option<String>,
    /// Version the chunk had when it last unloaded: a reload starts past it, so a version never
    /// names two contents while the shard runs (clients may still hold the old one).
    pub unloaded_version: Option<u32>,
}

impl ChunkSlot {
    /// The version to install a chunk loaded at `stored` with: past any version it had before.
    pub fn install_version(&self, stored: u32) -> u32 {
        match self.unloaded_version.map(|v| v.wrapping_add(1)) {
            Some(next) if !is_newer(stored, next) => next,
            _ => stored,
        }
    }
}

impl Default for ChunkSlot {
    fn default() -> Self {
        Self {
            state: ChunkState::Absent,
            last_needed_ms: 0,
            retry_at_ms: 0,
            data: None,
            ticket: None,
            quarantine_reason: None,
            unloaded_version: None,
        }
    }
}

/// All chunk slots of one map, plus the list of slots that are not absent.
#[derive(Debug)]
pub struct ChunkTable {
    geometry: MapGeometry,
    slots: Vec<ChunkSlot>,
    /// Indices of slots not `Absent` (kept unsorted; swept each tick).
    pub(crate) live: Vec<usize>,
}

impl ChunkTable {
    /// An empty table for `geometry`.
    pub fn new(geometry: MapGeometry) -> Self {
        let slots = (0..geometry.chunk_count()).map(|_| ChunkSlot::default()).collect();
        Self { geometry, slots, live: Vec::new() }
    }

    /// The map's geometry.
    pub fn geometry(&self) -> &MapGeometry {
        &self.geometry
    }

    /// Slot of chunk `(cx, cy)`.
    pub fn slot(&self, cx: i32, cy: i32) -> Option<&ChunkSlot> {
        self.geometry.chunk_index(cx, cy).map(|i| &self.slots[i])
    }

    pub(crate) fn slot_at_mut(&mut self, index: usize) -> &mut ChunkSlot {
        &mut self.slots[index]
    }

    pub(crate) fn slot_at(&self, index: usize) -> &ChunkSlot {
        &self.slots[index]
    }

    /// Residency state of chunk `(cx, cy)` (`None` outside the map).
    pub fn state(&self, cx: i32, cy: i32) -> Option<ChunkState> {
        self.slot(cx, cy).map(|s| s.state)
    }

    /// The resident data of chunk `(cx, cy)`.
    pub fn resident(&self, cx: i32, cy: i32) -> Option<&ResidentChunk> {
        self.slot(cx, cy).and_then(|s| s.data.as_deref())
    }

    /// True when the chunk holding `(x, y)` is usable.
    pub fn is_resident_at(&self, x: i32, y: i32) -> bool {
        let (cx, cy) = MapGeometry::chunk_of(x, y);
        self.resident(cx, cy).is_some()
    }

    /// The terrain id of tile `(tx, ty)`, when its chunk is in memory.
    pub fn terrain_at(&self, tx: i32, ty: i32) -> Option<u16> {
        let chunk = self.resident(tx >> CHUNK_TILE_SHIFT, ty >> CHUNK_TILE_SHIFT)?;
        let (lx, ly) = ((tx & (CHUNK_TILES - 1)) as usize, (ty & (CHUNK_TILES - 1)) as usize);
        chunk.tiles.terrain.get(ChunkTiles::index(lx, ly)).copied()
    }

    /// Number of chunks in memory (resident or saving).
    pub fn resident_count(&self) -> usize {
        self.live.iter().filter(|&&i| self.slots[i].data.is_some()).count()
    }

    /// Chunks in quarantine with their reasons.
    pub fn quarantined(&self) -> Vec<((i32, i32), String)> {
        let q = self.live.iter().filter(|&&i| self.slots[i].state == ChunkState::Quarantined);
        q.map(|&i| {
            (self.geometry.chunk_coords(i), self.slots[i].quarantine_reason.clone().unwrap_or_default())
        })
        .collect()
    }

    /// The object list of the resident chunk holding `(x, y)`.
    pub(crate) fn objects_at_mut(&mut self, x: i32, y: i32) -> Option<&mut Vec<Entity>> {
        let (cx, cy) = MapGeometry::chunk_of(x, y);
        let i = self.geometry.chunk_index(cx, cy)?;
        self.slots[i].data.as_mut().map(|d| &mut d.objects)
    }

    /// The resident chunk holding `(x, y)`.
    fn resident_at_mut(&mut self, x: i32, y: i32) -> Option<&mut ResidentChunk> {
        let (cx, cy) = MapGeometry::chunk_of(x, y);
        let i = self.geometry.chunk_index(cx, cy)?;
        self.slots[i].data.as_deref_mut()
    }

    /// Marks the chunk holding `(x, y)` as changed in a way clients do not see (saved before it
    /// unloads; its version stays).
    pub fn mark_dirty_at(&mut self, x: i32, y: i32) -> bool {
        self.resident_at_mut(x, y).map(|d| d.dirty = true).is_some()
    }

    /// Records a change of object `entity` lying at `(x, y)` that clients see: its chunk is
    /// dirty, one version newer, and logs it (see [`ResidentChunk::record_object`]).
    pub fn record_object_at(&mut self, x: i32, y: i32, entity: Entity, op: ObjectOp) -> bool {
        self.resident_at_mut(x, y).map(|d| d.record_object(entity, op)).is_some()
    }

    /// [`ChunkTable::record_object_at`] for a change that needs no save
    /// ([`ResidentChunk::record_seen`]).
    pub fn record_seen_at(&mut self, x: i32, y: i32, entity: Entity, op: ObjectOp) -> bool {
        self.resident_at_mut(x, y).map(|d| d.record_seen(entity, op)).is_some()
    }
}

impl Terrain for ChunkTable {
    #[inline]
    fn tile_blocked(&self, tx: i32, ty: i32) -> bool {
        let (cx, cy) = (tx >> CHUNK_TILE_SHIFT, ty >> CHUNK_TILE_SHIFT);
        let Some(i) = self.geometry.chunk_index(cx, cy) else { return true };
        match &self.slots[i].data {
            Some(c) if self.slots[i].state != ChunkState::Quarantined => {
                let (lx, ly) = (tx & (CHUNK_TILES - 1), ty & (CHUNK_TILES - 1));
                c.blocking[ly as usize] >> lx & 1 != 0
            }
            _ => true,
        }
    }

    fn bounds(&self) -> (i32, i32, i32, i32) {
        self.geometry.walkable()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reloaded_chunk_starts_past_every_version_it_had() {
        let fresh = ChunkSlot::default();
        assert_eq!(fresh.install_version(3), 3, "never resident: the stored version");
        let reloaded = ChunkSlot { unloaded_version: Some(7), ..ChunkSlot::default() };
        assert_eq!(reloaded.install_version(3), 8, "objects changed since the tiles were stored");
        assert_eq!(reloaded.install_version(20), 20, "a newer stored version stands");
        let wrapped = ChunkSlot { unloaded_version: Some(u32::MAX), ..ChunkSlot::default() };
        assert_eq!(wrapped.install_version(5), 5, "5 follows u32::MAX");
        assert_eq!(wrapped.install_version(u32::MAX - 3), 0);
    }
}
