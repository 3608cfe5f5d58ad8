//! The chunks a client holds: per-tile blocking bitmaps (the server's rule) and the objects with
//! their collision radii, bucketed in cells so movement finds nearby circles fast. Implements
//! [`Terrain`] exactly as the server's `ChunkTable` does: a tile of a chunk not held blocks.

use crate::chunk_wire::{ChunkContent, WireObject, is_newer};
use crate::chunks::blocking_bitmap;
use crate::content::Content;
use crate::geom::{CHUNK_TILE_SHIFT, CHUNK_TILES, CHUNK_UNITS, MapGeometry};
use crate::movement::{Circle, Terrain};
use net::protocol::{ObjectChange, ObjectDelta};
use store::codec::CHUNK_SIDE;

/// log2 of a circle-lookup cell side in world units (8 tiles).
const CELL_SHIFT: u32 = 11;
/// Cells along a chunk side.
const CELLS_PER_SIDE: i32 = CHUNK_UNITS >> CELL_SHIFT;
/// Cells per chunk.
const CELLS: usize = (CELLS_PER_SIDE * CELLS_PER_SIDE) as usize;

/// What a chunk cache needs from content: terrain blocking by id, collision radius by object kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkRules {
    blocks: Vec<bool>,
    radii: Vec<(u32, i32)>,
    max_radius: i32,
}

impl ChunkRules {
    /// The rules of `content` (the same tables the server's residency uses).
    pub fn from_content(content: &Content) -> Self {
        let radii = content.objects.iter().map(|o| (o.id, o.radius)).collect();
        Self { blocks: content.blocking.clone(), radii, max_radius: content.max_object_radius() }
    }

    /// Collision radius of object `kind` (unknown kinds do not block, as on the server).
    pub fn radius(&self, kind: u32) -> i32 {
        self.radii.iter().find(|&&(k, _)| k == kind).map_or(0, |&(_, r)| r)
    }
}

/// An object lying in a held chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachedObject {
    /// Entity id (wire form).
    pub entity: u64,
    /// Content kind.
    pub kind: u16,
    /// Position, 1/256 tile.
    pub x: i32,
    /// Position, 1/256 tile.
    pub y: i32,
    /// Content-defined state (growth stage, …).
    pub state: u16,
    /// Collision radius from content (0: does not block).
    pub radius: i32,
}

impl CachedObject {
    /// The object `o` with its collision radius from `rules`.
    fn new(o: &WireObject, rules: &ChunkRules) -> Self {
        let radius = rules.radius(u32::from(o.kind));
        CachedObject { entity: o.id.0, kind: o.kind, x: o.x, y: o.y, state: o.state, radius }
    }
}

/// One held chunk.
#[derive(Debug, Clone)]
pub struct CachedChunk {
    version: u32,
    /// World position of the chunk's corner.
    origin: (i32, i32),
    blocking: Box<[u128; CHUNK_SIDE]>,
    /// Objects sorted by cell; cell `c` holds `objects[cell_start[c]..cell_start[c + 1]]`.
    objects: Vec<CachedObject>,
    cell_start: Vec<u32>,
}

impl CachedChunk {
    /// Builds chunk `(cx, cy)` at `version` from its decoded payload.
    pub fn new(cx: i32, cy: i32, version: u32, content: &ChunkContent, rules: &ChunkRules) -> Self {
        let blocking = blocking_bitmap(&content.terrain, &rules.blocks);
        let origin = (cx * CHUNK_UNITS, cy * CHUNK_UNITS);
        let mut objects: Vec<(usize, CachedObject)> = content
            .objects
            .iter()
            .map(|o| (cell_of(origin, o.x, o.y), CachedObject::new(o, rules)))
            .collect();
        objects.sort_by_key(|&(cell, _)| cell);
        let mut cell_start = vec![0u32; CELLS + 1];
        for &(cell, _) in &objects {
            cell_start[cell + 1] += 1;
        }
        for c in 0..CELLS {
            cell_start[c + 1] += cell_start[c];
        }
        let objects = objects.into_iter().map(|(_, o)| o).collect();
        Self { version, origin, blocking, objects, cell_start }
    }

    /// Applies the changes of an ObjectDelta from version `from` to `to` when the chunk is at
    /// `from`, in order (an enter or change replaces the object or adds it; a leave removes it
    /// if present); false, and nothing changed, at any other version.
    pub fn apply_delta(&mut self, from: u32, to: u32, changes: &[ObjectChange], rules: &ChunkRules) -> bool {
        if self.version != from {
            return false;
        }
        for change in changes {
            self.remove_object(change.id().0);
            if let ObjectChange::Enter(o) | ObjectChange::Change(o) = change {
                self.insert_object(CachedObject::new(o, rules));
            }
        }
        self.version = to;
        true
    }

    /// Removes object `entity`, keeping the cells in order; false when it is not here.
    fn remove_object(&mut self, entity: u64) -> bool {
        let Some(at) = self.objects.iter().position(|o| o.entity == entity) else { return false };
        self.objects.remove(at);
        // Cells after the removed entry start one earlier.
        self.cell_start.iter_mut().filter(|s| **s as usize > at).for_each(|s| *s -= 1);
        true
    }

    /// Adds `object` at the end of its cell.
    fn insert_object(&mut self, object: CachedObject) {
        let cell = cell_of(self.origin, object.x, object.y);
        self.objects.insert(self.cell_start[cell + 1] as usize, object);
        self.cell_start[cell + 1..].iter_mut().for_each(|s| *s += 1);
    }

    /// The chunk's content version.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Every object of the chunk.
    pub fn objects(&self) -> &[CachedObject] {
        &self.objects
    }

    /// True when local tile `(lx, ly)` (0..128) blocks.
    pub fn tile_blocked(&self, lx: i32, ly: i32) -> bool {
        self.blocking[ly as usize] >> lx & 1 != 0
    }

    /// Objects in the cells of local cell range `x0..=x1`, `y0..=y1`.
    fn cells(&self, (x0, y0, x1, y1): (i32, i32, i32, i32)) -> impl Iterator<Item = &CachedObject> {
        (y0..=y1).flat_map(move |cy| {
            let row = (cy * CELLS_PER_SIDE) as usize;
            let (a, b) = (self.cell_start[row + x0 as usize], self.cell_start[row + x1 as usize + 1]);
            self.objects[a as usize..b as usize].iter()
        })
    }
}

/// Cell index of a position in the chunk whose origin is `origin` (clamped into the chunk).
fn cell_of(origin: (i32, i32), x: i32, y: i32) -> usize {
    let (cx, cy) = (local_cell(x, origin.0), local_cell(y, origin.1));
    (cy * CELLS_PER_SIDE + cx) as usize
}

fn local_cell(v: i32, origin: i32) -> i32 {
    (v.saturating_sub(origin) >> CELL_SHIFT).clamp(0, CELLS_PER_SIDE - 1)
}

/// What inserting a chunk did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkInsert {
    /// The chunk was not held.
    New,
    /// An older (or the same) version was replaced.
    Replaced,
}

/// The chunks a client holds, keyed by `(cx, cy)` (a client holds about a 3×3 area, so lookups
/// scan a short key list, which beats hashing at this size).
#[derive(Debug, Clone)]
pub struct ChunkCache {
    rules: ChunkRules,
    map: Option<MapGeometry>,
    keys: Vec<(i32, i32)>,
    chunks: Vec<CachedChunk>,
}

impl ChunkCache {
    /// An empty cache with the content's rules and no map (everything blocks).
    pub fn new(content: &Content) -> Self {
        Self { rules: ChunkRules::from_content(content), map: None, keys: Vec::new(), chunks: Vec::new() }
    }

    /// Forgets every chunk and switches to `map`.
    pub fn reset(&mut self, map: Option<MapGeometry>) {
        self.map = map;
        self.keys.clear();
        self.chunks.clear();
    }

    /// The map the chunks belong to.
    pub fn map(&self) -> Option<&MapGeometry> {
        self.map.as_ref()
    }

    /// The content rules in use.
    pub fn rules(&self) -> &ChunkRules {
        &self.rules
    }

    /// Number of chunks held.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when no chunk is held.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Coordinates of the held chunks.
    pub fn keys(&self) -> &[(i32, i32)] {
        &self.keys
    }

    /// Chunk `(cx, cy)`, if held.
    pub fn get(&self, cx: i32, cy: i32) -> Option<&CachedChunk> {
        self.keys.iter().position(|&k| k == (cx, cy)).map(|i| &self.chunks[i])
    }

    /// True when a chunk at `version` should be applied: not held, or held at an older (or the
    /// same) version. Versions grow and may wrap, so "older" is a wrapping comparison.
    pub fn wants(&self, cx: i32, cy: i32, version: u32) -> bool {
        self.get(cx, cy).is_none_or(|c| !is_newer(c.version, version))
    }

    /// Stores a decoded chunk, replacing the one held at `(cx, cy)`.
    pub fn insert(&mut self, cx: i32, cy: i32, version: u32, content: &ChunkContent) -> ChunkInsert {
        let chunk = CachedChunk::new(cx, cy, version, content, &self.rules);
        match self.keys.iter().position(|&k| k == (cx, cy)) {
            Some(i) => {
                self.chunks[i] = chunk;
                ChunkInsert::Replaced
            }
            None => {
                self.keys.push((cx, cy));
                self.chunks.push(chunk);
                ChunkInsert::New
            }
        }
    }

    /// Applies `delta` to the chunk it is about when that chunk is held at its `from_version`
    /// (see [`CachedChunk::apply_delta`]); false, and nothing changed, otherwise.
    pub fn apply_delta(&mut self, delta: &ObjectDelta) -> bool {
        let Some(i) = self.keys.iter().position(|&k| k == (delta.cx, delta.cy)) else { return false };
        self.chunks[i].apply_delta(delta.from_version, delta.to_version, &delta.changes, &self.rules)
    }

    /// Forgets chunk `(cx, cy)`; true when it was held.
    pub fn remove(&mut self, cx: i32, cy: i32) -> bool {
        let Some(i) = self.keys.iter().position(|&k| k == (cx, cy)) else { return false };
        self.keys.swap_remove(i);
        self.chunks.swap_remove(i);
        true
    }

    /// Largest collision radius of any object kind.
    pub fn max_object_radius(&self) -> i32 {
        self.rules.max_radius
    }

    /// The object `entity`, if it lies in a held chunk.
    pub fn object(&self, entity: u64) -> Option<CachedObject> {
        self.chunks.iter().find_map(|c| c.objects.iter().find(|o| o.entity == entity).copied())
    }

    /// Writes into `out` (cleared first) every blocking object whose centre lies within the
    /// square of half-side `reach` around `(x, y)`: a superset of what the server's movement
    /// gathers, which gives the same steps since circles farther away cannot be touched.
    pub fn circles_near(&self, x: i32, y: i32, reach: i32, out: &mut Vec<Circle>) {
        out.clear();
        let (x0, y0) = (x.saturating_sub(reach), y.saturating_sub(reach));
        let (x1, y1) = (x.saturating_add(reach), y.saturating_add(reach));
        for (&(cx, cy), chunk) in self.keys.iter().zip(&self.chunks) {
            let (ox, oy) = (cx * CHUNK_UNITS, cy * CHUNK_UNITS);
            if x1 < ox || y1 < oy || x0 >= ox + CHUNK_UNITS || y0 >= oy + CHUNK_UNITS {
                continue;
            }
            let range = (local_cell(x0, ox), local_cell(y0, oy), local_cell(x1, ox), local_cell(y1, oy));
            let near =
                |o: &&CachedObject| o.radius > 0 && (x0..=x1).contains(&o.x) && (y0..=y1).contains(&o.y);
            out.extend(chunk.cells(range).filter(near).map(|o| Circle { x: o.x, y: o.y, r: o.radius }));
        }
    }
}

impl Terrain for ChunkCache {
    #[inline]
    fn tile_blocked(&self, tx: i32, ty: i32) -> bool {
        let (cx, cy) = (tx >> CHUNK_TILE_SHIFT, ty >> CHUNK_TILE_SHIFT);
        match self.get(cx, cy) {
            Some(c) => c.tile_blocked(tx & (CHUNK_TILES - 1), ty & (CHUNK_TILES - 1)),
            None => true,
        }
    }

    fn bounds(&self) -> (i32, i32, i32, i32) {
        self.map.map_or((0, 0, 0, 0), |m| m.walkable())
    }
}
