//! Spatial hash grid: integer cell coordinates hashed into a fixed power-of-two bucket table.
//! Queries (radius, rectangle, cell region) visit cells in row-major order and, within a bucket,
//! entries in storage order, so results are deterministic for a given sequence of updates.
//!
//! Two layouts were measured (see `bench/README.md`): [`SpatialGrid`] updates in place and
//! touches an entity's bucket only when its cell changes; the counting-sort rebuild kept in
//! `bench/src/rebuilt_grid.rs` lays all entries out anew each tick. The incremental grid is faster
//! at both 6,000 and 60,000 moving entities and is the one the engine ships.

mod incremental;

pub use incremental::SpatialGrid;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridGeometry {
    cell_shift: u32,
    bucket_bits: u32,
}

impl GridGeometry {
    /// Cells of `1 << cell_shift` units a side; `2^bucket_bits` buckets.
    pub fn new(cell_shift: u32, bucket_bits: u32) -> Self {
        Self { cell_shift: cell_shift.clamp(1, 30), bucket_bits: bucket_bits.clamp(4, 24) }
    }

    /// Geometry with enough buckets for about `expected` entities at ~4 per bucket.
    pub fn for_entities(cell_shift: u32, expected: usize) -> Self {
        let buckets = (expected / 4).max(16).next_power_of_two();
        Self::new(cell_shift, buckets.trailing_zeros())
    }

    /// Side of a cell in world units.
    pub fn cell_size(&self) -> i32 {
        1 << self.cell_shift
    }

    /// Number of buckets.
    pub fn bucket_count(&self) -> usize {
        1 << self.bucket_bits
    }

    /// Cell holding a coordinate (floor division, correct for negatives).
    #[inline]
    pub fn cell_of(&self, v: i32) -> i32 {
        v >> self.cell_shift
    }

    /// Bucket of cell `(cx, cy)`.
    #[inline]
    pub fn bucket(&self, cx: i32, cy: i32) -> usize {
        let h = (cx as u32 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ (cy as u32 as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
        (h.wrapping_mul(0x1656_67B1_9E37_79F9) >> (64 - self.bucket_bits)) as usize
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
