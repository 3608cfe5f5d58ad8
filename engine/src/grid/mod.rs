//! Spatial hash grid: integer cell coordinates hashed into a fixed power-of-two bucket table.
//! Queries (radius, rectangle, cell region) visit cells in row-major order and, within a bucket,
//! entries in storage order, so results are deterministic for a given sequence of updates.
//!
//! Two layouts, measured against each other in `bench/README.md`:
//! - [`SortedGrid`] is rebuilt from the position columns every tick by counting sort into one flat
//!   array. For entities that move it wins at 6,000 and 60,000 (cheaper than relocating entries
//!   one by one, and queries walk contiguous memory), so the game uses it for characters.
//! - [`SpatialGrid`] updates in place with O(1) insert, remove and move, touching an entity's
//!   bucket only when its cell changes. It costs nothing on ticks where nothing moves, so it is the
//!   grid for static things (trees, rocks, dropped items) that would be rebuilt for nothing.

mod incremental;
mod sorted;

pub use incremental::SpatialGrid;
pub use sorted::SortedGrid;

use crate::entity::Entity;

/// One entity in the grid with the position it was last placed at (fixed-point world units).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridEntry {
    /// The entity.
    pub entity: Entity,
    /// X position.
    pub x: i32,
    /// Y position.
    pub y: i32,
}

/// An axis-aligned rectangle in world units, bounds inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    /// Smallest x inside.
    pub min_x: i32,
    /// Smallest y inside.
    pub min_y: i32,
    /// Largest x inside.
    pub max_x: i32,
    /// Largest y inside.
    pub max_y: i32,
}

impl Rect {
    /// True when `(x, y)` lies inside (bounds included).
    pub fn contains(&self, x: i32, y: i32) -> bool {
        (self.min_x..=self.max_x).contains(&x) && (self.min_y..=self.max_y).contains(&y)
    }
}

/// Cell size and bucket-table geometry shared by grid layouts.
///
/// Cells map to buckets by tiling, not by scrambling: cell `(cx, cy)` goes to bucket
/// `(cx mod W) + W·(cy mod H)`. Neighbouring cells land in neighbouring buckets, so a query's cells
/// are mostly contiguous in memory; cells that share a bucket are `W` or `H` cells apart and are
/// told apart by their coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridGeometry {
    cell_shift: u32,
    width_bits: u32,
    height_bits: u32,
}

impl GridGeometry {
    /// Cells of `1 << cell_shift` units a side; `2^bucket_bits` buckets.
    pub fn new(cell_shift: u32, bucket_bits: u32) -> Self {
        let bucket_bits = bucket_bits.clamp(4, 24);
        let width_bits = bucket_bits.div_ceil(2);
        Self { cell_shift: cell_shift.clamp(1, 30), width_bits, height_bits: bucket_bits - width_bits }
    }

    /// Geometry with about one bucket per expected entity.
    pub fn for_entities(cell_shift: u32, expected: usize) -> Self {
        let buckets = expected.max(16).next_power_of_two();
        Self::new(cell_shift, buckets.trailing_zeros())
    }

    /// `log2` of the cell side.
    pub fn cell_shift(&self) -> u32 {
        self.cell_shift
    }

    /// `log2` of the number of buckets.
    pub fn bucket_bits(&self) -> u32 {
        self.width_bits + self.height_bits
    }

    /// Side of a cell in world units.
    pub fn cell_size(&self) -> i32 {
        1 << self.cell_shift
    }

    /// Number of buckets.
    pub fn bucket_count(&self) -> usize {
        1 << (self.width_bits + self.height_bits)
    }

    /// Cell holding a coordinate (floor division, correct for negatives).
    #[inline]
    pub fn cell_of(&self, v: i32) -> i32 {
        v >> self.cell_shift
    }

    /// Bucket of cell `(cx, cy)`.
    #[inline]
    pub fn bucket(&self, cx: i32, cy: i32) -> usize {
        let col = (cx as u32 & ((1 << self.width_bits) - 1)) as usize;
        let row = (cy as u32 & ((1 << self.height_bits) - 1)) as usize;
        col | row << self.width_bits
    }

    /// Bucket of the cell holding `(x, y)`.
    #[inline]
    pub fn bucket_of_point(&self, x: i32, y: i32) -> usize {
        self.bucket(self.cell_of(x), self.cell_of(y))
    }

    /// True when `(x, y)` lies in cell `(cx, cy)`.
    #[inline]
    pub fn in_cell(&self, x: i32, y: i32, cx: i32, cy: i32) -> bool {
        self.cell_of(x) == cx && self.cell_of(y) == cy
    }
}

/// Visits, in deterministic order, the entries of cells `cx0..=cx1 × cy0..=cy1` that pass `keep`.
/// `bucket` gives the entries stored in one bucket.
#[inline]
pub fn visit_cells<'a>(
    geometry: &GridGeometry,
    cells: (i32, i32, i32, i32),
    bucket: impl Fn(usize) -> &'a [GridEntry],
    mut visit: impl FnMut(&GridEntry),
) {
    let (cx0, cy0, cx1, cy1) = cells;
    for cy in cy0..=cy1 {
        for cx in cx0..=cx1 {
            for entry in bucket(geometry.bucket(cx, cy)) {
                if geometry.in_cell(entry.x, entry.y, cx, cy) {
                    visit(entry);
                }
            }
        }
    }
}

/// Visits entries within distance `r` of `(x, y)` (boundary included).
#[inline]
pub fn visit_radius<'a>(
    geometry: &GridGeometry,
    (x, y, r): (i32, i32, i32),
    bucket: impl Fn(usize) -> &'a [GridEntry],
    mut visit: impl FnMut(&GridEntry),
) {
    let r = r.max(0);
    let g = geometry;
    let cells = (
        g.cell_of(x.saturating_sub(r)),
        g.cell_of(y.saturating_sub(r)),
        g.cell_of(x.saturating_add(r)),
        g.cell_of(y.saturating_add(r)),
    );
    let r2 = i64::from(r) * i64::from(r);
    visit_cells(g, cells, bucket, |e| {
        let (dx, dy) = (i64::from(e.x) - i64::from(x), i64::from(e.y) - i64::from(y));
        if dx * dx + dy * dy <= r2 {
            visit(e);
        }
    });
}

/// Visits entries inside `rect`.
#[inline]
pub fn visit_rect<'a>(
    geometry: &GridGeometry,
    rect: Rect,
    bucket: impl Fn(usize) -> &'a [GridEntry],
    mut visit: impl FnMut(&GridEntry),
) {
    let g = geometry;
    let cells = (g.cell_of(rect.min_x), g.cell_of(rect.min_y), g.cell_of(rect.max_x), g.cell_of(rect.max_y));
    visit_cells(g, cells, bucket, |e| {
        if rect.contains(e.x, e.y) {
            visit(e);
        }
    });
}
