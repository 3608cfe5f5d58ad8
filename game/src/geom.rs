//! Map geometry: continents × layers → maps, chunks of 128×128 tiles, fixed-point positions
//! (1/256 tile in `i32`) and the world border (nothing within 20 tiles of a map's edge).

use store::{ChunkKey, MapId};

/// Fixed-point units per tile.
pub const TILE: i32 = 256;
/// log2 of [`TILE`].
pub const TILE_SHIFT: u32 = 8;
/// Tiles along a chunk side.
pub const CHUNK_TILES: i32 = 128;
/// log2 of [`CHUNK_TILES`].
pub const CHUNK_TILE_SHIFT: u32 = 7;
/// Fixed-point units along a chunk side.
pub const CHUNK_UNITS: i32 = TILE * CHUNK_TILES;
/// log2 of [`CHUNK_UNITS`].
pub const CHUNK_SHIFT: u32 = TILE_SHIFT + CHUNK_TILE_SHIFT;
/// No entity may stand within this many tiles of a map's edge.
pub const BORDER_TILES: i32 = 20;
/// Largest map side in chunks (keeps every position far inside `i32`).
pub const MAX_MAP_CHUNKS: u32 = 1024;
/// Largest continent id.
pub const MAX_CONTINENT: u16 = 0x0FFF;
/// Most layers per continent.
pub const MAX_LAYERS: u16 = 16;

/// Map id of `(continent, layer)`: `continent << 4 | layer`.
pub const fn map_id(continent: u16, layer: u16) -> MapId {
    (continent as u32) << 4 | (layer & 0xF) as u32
}

/// `(continent, layer)` of a map id.
pub fn split_map_id(map: MapId) -> (u16, u16) {
    ((map >> 4) as u16, (map & 0xF) as u16)
}

/// One map's size and border.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapGeometry {
    /// Map id.
    pub id: MapId,
    /// Width in chunks.
    pub width_chunks: i32,
    /// Height in chunks.
    pub height_chunks: i32,
}

impl MapGeometry {
    /// A map of `w × h` chunks.
    pub fn new(id: MapId, width_chunks: u32, height_chunks: u32) -> Self {
        let clamp = |v: u32| v.clamp(1, MAX_MAP_CHUNKS) as i32;
        Self { id, width_chunks: clamp(width_chunks), height_chunks: clamp(height_chunks) }
    }

    /// Number of chunks.
    pub fn chunk_count(&self) -> usize {
        (self.width_chunks * self.height_chunks) as usize
    }

    /// Width in fixed-point units.
    pub fn width_units(&self) -> i32 {
        self.width_chunks * CHUNK_UNITS
    }

    /// Height in fixed-point units.
    pub fn height_units(&self) -> i32 {
        self.height_chunks * CHUNK_UNITS
    }

    /// Walkable bounds of an entity's centre, inclusive: `(min_x, min_y, max_x, max_y)`.
    pub fn walkable(&self) -> (i32, i32, i32, i32) {
        let b = BORDER_TILES * TILE;
        (b, b, self.width_units() - b, self.height_units() - b)
    }

    /// True when `(x, y)` respects the world border.
    #[inline]
    pub fn in_walkable(&self, x: i32, y: i32) -> bool {
        let (x0, y0, x1, y1) = self.walkable();
        (x0..=x1).contains(&x) && (y0..=y1).contains(&y)
    }

    /// Chunk coordinates holding `(x, y)` (may be outside the map).
    #[inline]
    pub fn chunk_of(x: i32, y: i32) -> (i32, i32) {
        (x >> CHUNK_SHIFT, y >> CHUNK_SHIFT)
    }

    /// Dense index of chunk `(cx, cy)`, if it is inside the map.
    #[inline]
    pub fn chunk_index(&self, cx: i32, cy: i32) -> Option<usize> {
        let inside = (0..self.width_chunks).contains(&cx) && (0..self.height_chunks).contains(&cy);
        inside.then(|| (cy * self.width_chunks + cx) as usize)
    }

    /// Chunk coordinates of a dense index.
    pub fn chunk_coords(&self, index: usize) -> (i32, i32) {
        let i = index as i32;
        (i % self.width_chunks, i / self.width_chunks)
    }

    /// Store key of chunk `(cx, cy)`.
    pub fn key(&self, cx: i32, cy: i32) -> ChunkKey {
        ChunkKey { map: self.id, cx, cy }
    }
}

/// Every map of the world (built from the content's continents by `Content::layout`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorldLayout {
    maps: Vec<MapGeometry>,
}

impl WorldLayout {
    /// A layout of explicit maps (tests, tools).
    pub fn from_maps(maps: Vec<MapGeometry>) -> Self {
        Self { maps }
    }

    /// The map with id `map`.
    pub fn map(&self, map: MapId) -> Option<&MapGeometry> {
        self.maps.iter().find(|m| m.id == map)
    }

    /// All maps.
    pub fn maps(&self) -> &[MapGeometry] {
        &self.maps
    }

    /// Surface maps (layer 0), in continent order.
    pub fn surface_maps(&self) -> impl Iterator<Item = &MapGeometry> {
        self.maps.iter().filter(|m| split_map_id(m.id).1 == 0)
    }
}

/// Squared distance between two points in 1/256 tile (exact in `i64`).
pub fn dist2(a: (i32, i32), b: (i32, i32)) -> i64 {
    let (dx, dy) = (i64::from(a.0) - i64::from(b.0), i64::from(a.1) - i64::from(b.1));
    dx * dx + dy * dy
}
