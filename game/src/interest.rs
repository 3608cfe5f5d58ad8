//! A client's chunk area with hysteresis (§13): it subscribes to the 3×3 chunks around the chunk
//! its character stands in, and drops a chunk only once the character is more than a margin
//! beyond that area, so walking along a chunk border does not make chunks flicker in and out.

use crate::geom::{CHUNK_SHIFT, CHUNK_UNITS, TILE};

/// Default hysteresis margin: 16 tiles past the 3×3 area before a chunk is dropped.
pub const DEFAULT_MARGIN: i32 = 16 * TILE;

/// The chunks one client receives.
#[derive(Debug, Clone)]
pub struct ChunkArea {
    margin: i32,
    /// Subscribed chunks, in the order they entered.
    chunks: Vec<(i32, i32)>,
    /// Positions where an update changes nothing (the same centre chunk, inside every held
    /// chunk's keep range): `[x0, x1, y0, y1]`, inclusive. Most updates stop at this check.
    stable: Option<[i64; 4]>,
}

/// What changed in an update: chunks to send (ChunkData) and chunks to drop (ChunkDrop).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AreaChange {
    /// Newly subscribed chunks, row by row.
    pub entered: Vec<(i32, i32)>,
    /// Chunks no longer subscribed.
    pub left: Vec<(i32, i32)>,
}

impl AreaChange {
    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.entered.is_empty() && self.left.is_empty()
    }
}

impl Default for ChunkArea {
    fn default() -> Self {
        Self::new(DEFAULT_MARGIN)
    }
}

impl ChunkArea {
    /// An empty area with a hysteresis margin in world units (clamped to 0..=half a chunk).
    pub fn new(margin: i32) -> Self {
        Self { margin: margin.clamp(0, CHUNK_UNITS / 2), chunks: Vec::with_capacity(16), stable: None }
    }

    /// The subscribed chunks.
    pub fn chunks(&self) -> &[(i32, i32)] {
        &self.chunks
    }

    /// True when `chunk` is subscribed.
    pub fn contains(&self, chunk: (i32, i32)) -> bool {
        self.chunks.contains(&chunk)
    }

    /// Moves the area's centre to the character at `(x, y)` (world units), writing what changed
    /// into `change` (cleared first; reuse it to avoid allocating every tick).
    pub fn update(&mut self, x: i32, y: i32, change: &mut AreaChange) {
        change.entered.clear();
        change.left.clear();
        let (px, py) = (i64::from(x), i64::from(y));
        if self.stable.is_some_and(|[x0, x1, y0, y1]| (x0..=x1).contains(&px) && (y0..=y1).contains(&py)) {
            return;
        }
        let margin = self.margin;
        self.chunks.retain(|&chunk| {
            let keep = within_keep(chunk, x, y, margin);
            if !keep {
                change.left.push(chunk);
            }
            keep
        });
        let (cx, cy) = (x >> CHUNK_SHIFT, y >> CHUNK_SHIFT);
        for dy in -1..=1 {
            for dx in -1..=1 {
                let chunk = (cx + dx, cy + dy);
                if !self.chunks.contains(&chunk) {
                    self.chunks.push(chunk);
                    change.entered.push(chunk);
                }
            }
        }
        self.stable = Some(self.stable_range((cx, cy)));
    }

    /// The positions with `centre` as their chunk that stay inside every held chunk's keep
    /// range (see [`within_keep`]).
    fn stable_range(&self, centre: (i32, i32)) -> [i64; 4] {
        let (size, reach) = (i64::from(CHUNK_UNITS), i64::from(CHUNK_UNITS) + i64::from(self.margin));
        let (cx, cy) = (i64::from(centre.0) * size, i64::from(centre.1) * size);
        let mut r = [cx, cx + size - 1, cy, cy + size - 1];
        for &(x, y) in &self.chunks {
            let (x, y) = (i64::from(x) * size, i64::from(y) * size);
            r = [
                r[0].max(x - reach),
                r[1].min(x + size - 1 + reach),
                r[2].max(y - reach),
                r[3].min(y + size - 1 + reach),
            ];
        }
        r
    }

    /// Drops everything (logout, map change); returns the chunks that were subscribed.
    pub fn clear(&mut self) -> Vec<(i32, i32)> {
        self.stable = None;
        std::mem::take(&mut self.chunks)
    }
}

/// True while `(x, y)` is within one chunk plus `margin` of `chunk`'s rectangle on both axes,
/// i.e. the chunk would be in the 3×3 area of a character up to `margin` away.
fn within_keep(chunk: (i32, i32), x: i32, y: i32, margin: i32) -> bool {
    let reach = i64::from(CHUNK_UNITS) + i64::from(margin);
    let axis = |c: i32, v: i32| {
        let lo = i64::from(c) * i64::from(CHUNK_UNITS);
        let hi = lo + i64::from(CHUNK_UNITS) - 1;
        let v = i64::from(v);
        let gap = if v < lo {
            lo - v
        } else if v > hi {
            v - hi
        } else {
            0
        };
        gap <= reach
    };
    axis(chunk.0, x) && axis(chunk.1, y)
}
