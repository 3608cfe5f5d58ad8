//! The live map for operators: once a second, with the status, the tick paints a [`MapPicture`]
//! (per map: the chunks in memory and their state, every character as a dot; the players with
//! their connection) and publishes it on the [`MapBoard`] the admin port reads, so the admin
//! thread never touches the simulation. Cheap by construction: positions are copied from the
//! characters' columns into one flat vector per map, chunk states from the chunk table's live
//! list, and each resident chunk's terrain thumbnail is computed once, when it first appears.

use crate::geom::{CHUNK_TILES, TILE_SHIFT};
use crate::sim::chunks::{ChunkState, ChunkTable};
use crate::sim::{Controller, MapSim};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use store::codec::ChunkTiles;

/// Side of a chunk's terrain thumbnail, in cells (each `CHUNK_TILES / THUMB_SIDE` tiles wide).
pub const THUMB_SIDE: usize = 32;

/// A chunk's terrain thumbnail: `THUMB_SIDE²` bytes, row by row (`y * THUMB_SIDE + x`), each the
/// terrain id of the tile at its cell's centre (ids above 255 read 255).
pub type Thumbnail = Arc<[u8]>;

/// Thumbnails by `(map, cx, cy)`.
type Thumbnails = HashMap<(u32, i32, i32), Thumbnail>;

/// A character dot's flag bits (the fourth number of each character in [`MapView::dots`]).
pub mod dot {
    /// A bot (else a player).
    pub const BOT: u8 = 1;
    /// Dead (health 0).
    pub const DEAD: u8 = 2;
}

/// What a chunk in memory is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkMark {
    /// Resident, nothing to save.
    Resident = 0,
    /// Resident with changes not yet saved.
    Dirty = 1,
    /// Being loaded or generated.
    Loading = 2,
    /// Its save is in flight before it unloads.
    Saving = 3,
    /// Stored data could not be decoded.
    Quarantined = 4,
}

/// One map's part of the picture.
#[derive(Debug, Clone, Default)]
pub struct MapView {
    /// Map id.
    pub map: u32,
    /// Size in chunks.
    pub width_chunks: i32,
    /// Size in chunks.
    pub height_chunks: i32,
    /// Chunks not absent: `(cx, cy, mark)`.
    pub chunks: Vec<(i32, i32, ChunkMark)>,
    /// Characters, four numbers each: wire id, x and y in tiles, flags ([`dot`]); at most
    /// [`MapPicture::MAX_DOTS`] over all maps.
    pub dots: Vec<i64>,
    /// Characters on the map (listed or not).
    pub characters: usize,
}

/// One player's part of the picture.
#[derive(Debug, Clone, Default)]
pub struct PlayerView {
    /// Character name.
    pub name: String,
    /// The character's wire id.
    pub entity: u64,
    /// Map id.
    pub map: u32,
    /// Position, 1/256 tile.
    pub x: i32,
    /// Position, 1/256 tile.
    pub y: i32,
    /// Remote address.
    pub peer: String,
    /// Seconds since the connection's Hello.
    pub connected_s: u64,
    /// Bytes per second written to the client, over the last second.
    pub down_bps: f64,
    /// Bytes per second read from the client, over the last second.
    pub up_bps: f64,
}

/// What the live map shows, painted once a second.
#[derive(Debug, Clone, Default)]
pub struct MapPicture {
    /// Tick it was painted at.
    pub tick: u64,
    /// Per map.
    pub maps: Vec<MapView>,
    /// Players online (at most [`MapPicture::MAX_PLAYERS`]).
    pub players: Vec<PlayerView>,
    /// Players online (listed or not).
    pub player_count: usize,
    /// Seconds the tick spent painting this picture.
    pub paint_s: f64,
}

impl MapPicture {
    /// Most characters listed over all maps.
    pub const MAX_DOTS: usize = 20_000;
    /// Most players listed.
    pub const MAX_PLAYERS: usize = 2_000;
}

/// The latest picture and the thumbnails of the chunks in memory, shared between the tick and
/// the admin port.
#[derive(Debug, Default)]
pub struct MapBoard {
    picture: Mutex<Arc<MapPicture>>,
    thumbs: Mutex<Arc<Thumbnails>>,
}

impl MapBoard {
    /// The latest picture.
    pub fn picture(&self) -> Arc<MapPicture> {
        lock(&self.picture).clone()
    }

    /// The terrain thumbnail of chunk `(cx, cy)` of `map`, when it is in memory.
    pub fn thumbnail(&self, map: u32, cx: i32, cy: i32) -> Option<Thumbnail> {
        lock(&self.thumbs).get(&(map, cx, cy)).cloned()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Values are replaced whole: a panic elsewhere cannot leave one half-written.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The tick's side: the board, and the thumbnails kept between pictures.
#[derive(Debug, Default)]
pub(crate) struct Painter {
    pub(crate) board: Arc<MapBoard>,
    thumbs: Thumbnails,
    /// Seconds the last picture took to paint.
    pub(crate) last_paint_s: f64,
}

impl Painter {
    /// A painter publishing on `board`.
    pub(crate) fn new(board: Arc<MapBoard>) -> Self {
        Self { board, thumbs: HashMap::new(), last_paint_s: 0.0 }
    }

    /// Thumbnails of the chunks of `table` in memory: new ones computed, gone ones dropped.
    /// True when anything changed.
    pub(crate) fn update_thumbs(&mut self, map: u32, table: &ChunkTable) -> bool {
        let before = self.thumbs.len();
        let mut added = false;
        let mut present = std::collections::HashSet::new();
        for &i in &table.live {
            let Some(data) = table.slot_at(i).data.as_deref() else { continue };
            let (cx, cy) = table.geometry().chunk_coords(i);
            present.insert((cx, cy));
            self.thumbs.entry((map, cx, cy)).or_insert_with(|| {
                added = true;
                thumbnail(&data.tiles.terrain[..])
            });
        }
        self.thumbs.retain(|&(m, cx, cy), _| m != map || present.contains(&(cx, cy)));
        added || self.thumbs.len() != before
    }
}

/// The terrain ids at the centres of a chunk's `THUMB_SIDE²` cells.
pub fn thumbnail(terrain: &[u16]) -> Thumbnail {
    let step = CHUNK_TILES as usize / THUMB_SIDE;
    let mut out = vec![0u8; THUMB_SIDE * THUMB_SIDE];
    for (cell, byte) in out.iter_mut().enumerate() {
        let (x, y) = (cell % THUMB_SIDE * step + step / 2, cell / THUMB_SIDE * step + step / 2);
        let id = terrain.get(ChunkTiles::index(x, y)).copied().unwrap_or(u16::MAX);
        *byte = u8::try_from(id).unwrap_or(u8::MAX);
    }
    out.into()
}

impl Painter {
    /// Publishes `picture`, and the thumbnails when they changed.
    pub(crate) fn publish(&mut self, picture: MapPicture, thumbs_changed: bool) {
        if thumbs_changed {
            *lock(&self.board.thumbs) = Arc::new(self.thumbs.clone());
        }
        self.last_paint_s = picture.paint_s;
        *lock(&self.board.picture) = Arc::new(picture);
    }
}

/// Every chunk of the table that is not absent, with its mark.
pub(crate) fn chunk_marks(table: &ChunkTable) -> Vec<(i32, i32, ChunkMark)> {
    let mut out = Vec::with_capacity(table.live.len());
    for &i in &table.live {
        let slot = table.slot_at(i);
        let mark = match slot.state {
            ChunkState::Absent => continue,
            ChunkState::Loading => ChunkMark::Loading,
            ChunkState::Saving => ChunkMark::Saving,
            ChunkState::Quarantined => ChunkMark::Quarantined,
            ChunkState::Resident if slot.data.as_ref().is_some_and(|d| d.dirty) => ChunkMark::Dirty,
            ChunkState::Resident => ChunkMark::Resident,
        };
        let (cx, cy) = table.geometry().chunk_coords(i);
        out.push((cx, cy, mark));
    }
    out
}

/// The map's characters as flat dots (id, tile x, tile y, flags), at most `room` of them
/// (`room` is lowered by as many).
pub(crate) fn dots(sim: &MapSim, room: &mut usize) -> Vec<i64> {
    let k = sim.keys;
    let n = sim.world.group_len(k.group).min(*room);
    *room -= n;
    let (xs, ys) = (sim.world.column(k.x), sim.world.column(k.y));
    let (controllers, vitals) = (sim.world.column(k.controller), sim.world.column(k.vitals));
    let mut out = Vec::with_capacity(n * 4);
    for slot in 0..n {
        let entity = xs.entities()[slot];
        let bot = matches!(controllers.get(entity), Some(Controller::Bot));
        let dead = vitals.values()[slot].is_dead();
        let flags = if bot { dot::BOT } else { 0 } | if dead { dot::DEAD } else { 0 };
        let (x, y) = (xs.values()[slot] >> TILE_SHIFT, ys.values()[slot] >> TILE_SHIFT);
        out.extend([entity.to_bits() as i64, i64::from(x), i64::from(y), i64::from(flags)]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thumbnail_samples_each_cell_centre() {
        let mut terrain = vec![0u16; (CHUNK_TILES * CHUNK_TILES) as usize];
        terrain[ChunkTiles::index(2, 2)] = 7;
        terrain[ChunkTiles::index(6, 2)] = 300;
        terrain[ChunkTiles::index(126, 126)] = 3;
        let t = thumbnail(&terrain);
        assert_eq!(t.len(), THUMB_SIDE * THUMB_SIDE);
        assert_eq!((t[0], t[1], t[THUMB_SIDE * THUMB_SIDE - 1]), (7, 255, 3));
        assert_eq!(t.iter().filter(|&&b| b != 0).count(), 3);
    }
}
