//! The incremental grid: entries live in per-bucket vectors; moving within a cell rewrites the
//! entry's position in place, and only a cell change moves the entry between buckets (O(1)).

use super::{GridEntry, GridGeometry, Rect, visit_cells, visit_radius, visit_rect};
use crate::entity::Entity;

#[derive(Debug, Clone, Copy)]
struct Locator {
    bucket: u32,
    pos: u32,
}

const NOWHERE: Locator = Locator { bucket: u32::MAX, pos: u32::MAX };

/// `log2` of the bucket table a grid starts with: it grows (×4) whenever its entities outnumber
/// its buckets, up to the geometry it was made with, so a map that holds little costs little.
const FIRST_BUCKET_BITS: u32 = 10;

/// A spatial hash grid with O(1) insert, remove and move (amortized: the bucket table grows with
/// the entities, each growth placing every entry again).
#[derive(Debug, Clone)]
pub struct SpatialGrid {
    geometry: GridGeometry,
    /// The largest bucket table, as made.
    max_bucket_bits: u32,
    buckets: Vec<Vec<GridEntry>>,
    /// By entity index: where its entry is.
    locators: Vec<Locator>,
    len: usize,
}

impl SpatialGrid {
    /// A grid with cells of `1 << cell_shift` world units sized for about `expected` entities.
    pub fn new(cell_shift: u32, expected: usize) -> Self {
        Self::with_geometry(GridGeometry::for_entities(cell_shift, expected))
    }

    /// A grid with explicit geometry: its cells, and its bucket table at the most.
    pub fn with_geometry(geometry: GridGeometry) -> Self {
        let max_bucket_bits = geometry.bucket_bits();
        let geometry = GridGeometry::new(geometry.cell_shift(), max_bucket_bits.min(FIRST_BUCKET_BITS));
        let buckets = vec![Vec::new(); geometry.bucket_count()];
        Self { geometry, max_bucket_bits, buckets, locators: Vec::new(), len: 0 }
    }

    /// Cell and bucket geometry.
    pub fn geometry(&self) -> &GridGeometry {
        &self.geometry
    }

    /// Number of entities in the grid.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the grid is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The entry of `entity`, if present (stale ids give `None`).
    pub fn get(&self, entity: Entity) -> Option<&GridEntry> {
        let loc = self.locators.get(entity.index() as usize)?;
        let entry = self.buckets.get(loc.bucket as usize)?.get(loc.pos as usize)?;
        (entry.entity == entity).then_some(entry)
    }

    /// Places `entity` at `(x, y)`, moving it if it is already present.
    pub fn insert(&mut self, entity: Entity, x: i32, y: i32) {
        if self.get(entity).is_some() {
            self.move_to(entity, x, y);
            return;
        }
        let i = entity.index() as usize;
        if i >= self.locators.len() {
            self.locators.resize(i + 1, NOWHERE);
        }
        // A stale occupant of this index (despawned without removal) is dropped first.
        if self.locators[i].bucket != u32::MAX {
            self.unlink(i);
        }
        self.link(GridEntry { entity, x, y });
    }

    /// Takes `entity` out of the grid. Returns false if it was not there.
    pub fn remove(&mut self, entity: Entity) -> bool {
        if self.get(entity).is_none() {
            return false;
        }
        self.unlink(entity.index() as usize);
        true
    }

    /// Moves `entity` to `(x, y)`; its bucket is touched only when its cell changes. Returns false
    /// if it is not in the grid.
    #[inline]
    pub fn move_to(&mut self, entity: Entity, x: i32, y: i32) -> bool {
        let Some(&loc) = self.locators.get(entity.index() as usize) else { return false };
        let Some(entry) = self.buckets.get_mut(loc.bucket as usize).and_then(|b| b.get_mut(loc.pos as usize))
        else {
            return false;
        };
        if entry.entity != entity {
            return false;
        }
        let g = self.geometry;
        if g.cell_of(entry.x) == g.cell_of(x) && g.cell_of(entry.y) == g.cell_of(y) {
            entry.x = x;
            entry.y = y;
            return true;
        }
        self.unlink(entity.index() as usize);
        self.link(GridEntry { entity, x, y });
        true
    }

    /// Visits entities within `r` of `(x, y)`.
    pub fn for_each_in_radius(&self, x: i32, y: i32, r: i32, visit: impl FnMut(&GridEntry)) {
        visit_radius(&self.geometry, (x, y, r), |b| &self.buckets[b], visit);
    }

    /// Visits entities inside `rect`.
    pub fn for_each_in_rect(&self, rect: Rect, visit: impl FnMut(&GridEntry)) {
        visit_rect(&self.geometry, rect, |b| &self.buckets[b], visit);
    }

    /// Visits every entity of the cells `cx0..=cx1 × cy0..=cy1` (a region such as a chunk area).
    pub fn for_each_in_cells(&self, cells: (i32, i32, i32, i32), visit: impl FnMut(&GridEntry)) {
        visit_cells(&self.geometry, cells, |b| &self.buckets[b], visit);
    }

    /// Collects the entities within `r` of `(x, y)` into `out` (cleared first).
    pub fn query_radius(&self, x: i32, y: i32, r: i32, out: &mut Vec<Entity>) {
        out.clear();
        self.for_each_in_radius(x, y, r, |e| out.push(e.entity));
    }

    /// Removes every entity, keeping allocations.
    pub fn clear(&mut self) {
        self.buckets.iter_mut().for_each(Vec::clear);
        self.locators.fill(NOWHERE);
        self.len = 0;
    }

    fn link(&mut self, entry: GridEntry) {
        if self.len >= self.buckets.len() && self.geometry.bucket_bits() < self.max_bucket_bits {
            self.grow();
        }
        self.place(entry);
    }

    /// Makes the bucket table 4 times larger (at most the largest) and places every entry again;
    /// a cell's entries keep their order (they all come from one old bucket, in its order).
    fn grow(&mut self) {
        let bits = (self.geometry.bucket_bits() + 2).min(self.max_bucket_bits);
        self.geometry = GridGeometry::new(self.geometry.cell_shift(), bits);
        let old = std::mem::replace(&mut self.buckets, vec![Vec::new(); self.geometry.bucket_count()]);
        self.len = 0;
        for entry in old.into_iter().flatten() {
            self.place(entry);
        }
    }

    fn place(&mut self, entry: GridEntry) {
        let b = self.geometry.bucket_of_point(entry.x, entry.y);
        let bucket = &mut self.buckets[b];
        self.locators[entry.entity.index() as usize] = Locator { bucket: b as u32, pos: bucket.len() as u32 };
        bucket.push(entry);
        self.len += 1;
    }

    fn unlink(&mut self, index: usize) {
        let loc = std::mem::replace(&mut self.locators[index], NOWHERE);
        let bucket = &mut self.buckets[loc.bucket as usize];
        bucket.swap_remove(loc.pos as usize);
        if let Some(moved) = bucket.get(loc.pos as usize) {
            self.locators[moved.entity.index() as usize].pos = loc.pos;
        }
        self.len -= 1;
    }
}
