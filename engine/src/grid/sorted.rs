//! The counting-sort grid: rebuilt from position slices each tick into one flat array ordered by
//! bucket, remembering each entry's source index so results can be written back to columns.

use super::{GridEntry, GridGeometry, Rect, visit_cells, visit_radius, visit_rect};
use crate::entity::Entity;
use rayon::prelude::*;

/// Below this many entities the bucket pass runs on one thread.
const PARALLEL_MIN: usize = 16_384;

/// A spatial hash grid rebuilt wholesale by counting sort (O(n + buckets), deterministic). The
/// bucket table follows the entity count (about two buckets per entity, at most the geometry it
/// was made with): its passes cost what the entities do, not what the largest map would.
#[derive(Debug, Clone)]
pub struct SortedGrid {
    geometry: GridGeometry,
    /// The largest bucket table, as made.
    max_bucket_bits: u32,
    /// `starts[b]..starts[b + 1]` is bucket `b`'s range of `entries`.
    starts: Vec<u32>,
    entries: Vec<GridEntry>,
    /// For each entry, its index in the slices given to the last rebuild.
    sources: Vec<u32>,
    bucket_of: Vec<u32>,
}

impl SortedGrid {
    /// An empty grid with cells of `1 << cell_shift` units, sized for about `expected` entities.
    pub fn new(cell_shift: u32, expected: usize) -> Self {
        Self::with_geometry(GridGeometry::for_entities(cell_shift, expected))
    }

    /// An empty grid with explicit geometry: its cells, and its bucket table at the most.
    pub fn with_geometry(geometry: GridGeometry) -> Self {
        let starts = vec![0; geometry.bucket_count() + 1];
        let max_bucket_bits = geometry.bucket_bits();
        Self {
            geometry,
            max_bucket_bits,
            starts,
            entries: Vec::new(),
            sources: Vec::new(),
            bucket_of: Vec::new(),
        }
    }

    /// Cell and bucket geometry.
    pub fn geometry(&self) -> &GridGeometry {
        &self.geometry
    }

    /// Replaces the contents with `entities[i]` at `(xs[i], ys[i])`. The three slices must have
    /// equal lengths (extra elements of the longer ones are ignored).
    pub fn rebuild(&mut self, entities: &[Entity], xs: &[i32], ys: &[i32]) {
        let n = entities.len().min(xs.len()).min(ys.len());
        self.fit(n);
        self.compute_buckets(&xs[..n], &ys[..n]);
        self.count_and_prefix();
        self.scatter(&entities[..n], &xs[..n], &ys[..n]);
    }

    /// Sizes the bucket table for `n` entities: grown at once when they outnumber it by half,
    /// shrunk when it is 8 times too large (not back and forth around one size).
    fn fit(&mut self, n: usize) {
        let want = (n.max(8) * 2).next_power_of_two().trailing_zeros().min(self.max_bucket_bits);
        let have = self.geometry.bucket_bits();
        if want > have || want + 3 <= have {
            self.geometry = GridGeometry::new(self.geometry.cell_shift(), want);
            self.starts = vec![0; self.geometry.bucket_count() + 1];
        }
    }

    fn compute_buckets(&mut self, xs: &[i32], ys: &[i32]) {
        let g = self.geometry;
        let bucket = |(&x, &y): (&i32, &i32)| g.bucket_of_point(x, y) as u32;
        self.bucket_of.clear();
        if xs.len() >= PARALLEL_MIN {
            xs.par_iter().zip(ys).map(bucket).collect_into_vec(&mut self.bucket_of);
        } else {
            self.bucket_of.extend(xs.iter().zip(ys).map(bucket));
        }
    }

    /// Counts entries per bucket and leaves `starts[b + 1]` = first index of bucket `b`: the write
    /// cursor that [`SortedGrid::scatter`] advances to the bucket's end.
    fn count_and_prefix(&mut self) {
        self.starts.fill(0);
        for &b in &self.bucket_of {
            self.starts[b as usize + 1] += 1;
        }
        // Exclusive prefix sums in place: `starts[b + 1]` becomes the first index of bucket b.
        let mut sum = 0;
        for s in &mut self.starts[1..] {
            let count = *s;
            *s = sum;
            sum += count;
        }
    }

    fn scatter(&mut self, entities: &[Entity], xs: &[i32], ys: &[i32]) {
        let empty = GridEntry { entity: Entity::from_parts(u32::MAX, 0), x: 0, y: 0 };
        self.entries.clear();
        self.entries.resize(entities.len(), empty);
        self.sources.clear();
        self.sources.resize(entities.len(), 0);
        // `starts[b + 1]` is bucket b's cursor; once every entry is placed it has advanced to
        // the end of bucket b, which is exactly the final `starts[b + 1]`.
        for (i, &b) in self.bucket_of.iter().enumerate() {
            let cursor = &mut self.starts[b as usize + 1];
            let at = *cursor as usize;
            self.entries[at] = GridEntry { entity: entities[i], x: xs[i], y: ys[i] };
            self.sources[at] = i as u32;
            *cursor += 1;
        }
    }

    #[inline]
    fn bucket(&self, b: usize) -> &[GridEntry] {
        &self.entries[self.starts[b] as usize..self.starts[b + 1] as usize]
    }

    /// All entries in grid order: neighbours in space are mostly neighbours here, so iterating
    /// queries in this order keeps them in cache.
    pub fn entries(&self) -> &[GridEntry] {
        &self.entries
    }

    /// For each entry of [`SortedGrid::entries`], its index in the slices of the last rebuild.
    pub fn sources(&self) -> &[u32] {
        &self.sources
    }

    /// Number of entities.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Visits entities within `r` of `(x, y)`.
    #[inline]
    pub fn for_each_in_radius(&self, x: i32, y: i32, r: i32, visit: impl FnMut(&GridEntry)) {
        visit_radius(&self.geometry, (x, y, r), |b| self.bucket(b), visit);
    }

    /// Visits entities inside `rect`.
    pub fn for_each_in_rect(&self, rect: Rect, visit: impl FnMut(&GridEntry)) {
        visit_rect(&self.geometry, rect, |b| self.bucket(b), visit);
    }

    /// Visits every entity of the cells `cx0..=cx1 × cy0..=cy1`.
    pub fn for_each_in_cells(&self, cells: (i32, i32, i32, i32), visit: impl FnMut(&GridEntry)) {
        visit_cells(&self.geometry, cells, |b| self.bucket(b), visit);
    }

    /// Collects the entities within `r` of `(x, y)` into `out` (cleared first).
    pub fn query_radius(&self, x: i32, y: i32, r: i32, out: &mut Vec<Entity>) {
        out.clear();
        self.for_each_in_radius(x, y, r, |e| out.push(e.entity));
    }
}
