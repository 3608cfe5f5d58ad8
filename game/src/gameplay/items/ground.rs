//! Where a dropped pile or a placed box goes: the nearest free spot around the character, on
//! walkable ground inside the map, clear of every object (and, for an object that blocks, of
//! every character), searched in rings so the result is never inside a wall or another object;
//! and what object a drop makes, with its stored record.

use crate::content::Content;
use crate::geom::dist2;
use crate::movement::Terrain;
use crate::sim::chunks::ChunkTable;
use crate::sim::components::Objects;
use engine::SortedGrid;
use store::{ObjectRecord, Position};

/// Least gap between a new object's edge and another object's edge (1/256 tile).
const GAP: i32 = 16;
/// An object that does not block (a pile) still keeps this much room around it, so piles do
/// not lie on top of each other.
const MIN_FOOTPRINT: i32 = 48;
/// Distance between search rings (1/256 tile).
const RING_STEP: i32 = 48;
/// Rings searched: the farthest is about two tiles out.
const RINGS: i32 = 10;
/// Directions of each ring, scaled by 1024.
const DIRECTIONS: [(i32, i32); 8] =
    [(1024, 0), (724, 724), (0, 1024), (-724, 724), (-1024, 0), (-724, -724), (0, -1024), (724, -724)];

/// What a spot must keep clear of.
#[derive(Debug, Clone, Copy)]
pub struct Clearance<'a> {
    /// Terrain and the map's walkable bounds.
    pub chunks: &'a ChunkTable,
    /// Objects and their radii.
    pub objects: &'a Objects,
    /// Characters (checked only for an object that blocks).
    pub movers: &'a SortedGrid,
    /// Characters' collision radius.
    pub character_radius: i32,
}

/// The nearest free spot for an object of `radius` (0: does not block) around `(x, y)`,
/// starting `start` away from it.
pub fn free_spot(c: &Clearance<'_>, (x, y): (i32, i32), radius: i32, start: i32) -> Option<(i32, i32)> {
    for ring in 0..RINGS {
        let r = start + ring * RING_STEP;
        if r == 0 {
            if is_free(c, (x, y), radius) {
                return Some((x, y));
            }
            continue;
        }
        for (dx, dy) in DIRECTIONS {
            let spot = (x + dx * r / 1024, y + dy * r / 1024);
            if is_free(c, spot, radius) && in_plain_reach(c, (x, y), spot) {
                return Some(spot);
            }
        }
    }
    None
}

/// True when nothing that blocks a character lies on the straight way from `from` to `to` (a
/// blocking tile, or an object a character cannot pass), sampled every half tile: what is
/// dropped can be walked to and picked up again, never lands behind a wall or a tree.
fn in_plain_reach(c: &Clearance<'_>, from: (i32, i32), to: (i32, i32)) -> bool {
    let (dx, dy) = (to.0 - from.0, to.1 - from.1);
    let steps = (dx.abs().max(dy.abs()) / 128).max(1);
    (1..=steps).all(|i| {
        let p = (from.0 + dx * i / steps, from.1 + dy * i / steps);
        if c.chunks.tile_blocked(p.0 >> 8, p.1 >> 8) {
            return false;
        }
        let mut clear = true;
        c.objects.grid.for_each_in_radius(p.0, p.1, c.objects.max_radius + c.character_radius, |g| {
            let r = c.objects.radius.get(g.entity.index() as usize).copied().unwrap_or(0);
            if r > 0 && dist2(p, (g.x, g.y)) < sq(r + c.character_radius / 2) {
                clear = false;
            }
        });
        clear
    })
}

/// True when an object of `radius` fits at `(x, y)`.
pub(super) fn is_free(c: &Clearance<'_>, (x, y): (i32, i32), radius: i32) -> bool {
    let (x0, y0, x1, y1) = c.chunks.bounds();
    if x - radius < x0 || y - radius < y0 || x + radius > x1 || y + radius > y1 {
        return false;
    }
    let corners = [(0, 0), (-radius, 0), (radius, 0), (0, -radius), (0, radius)];
    if corners.iter().any(|&(dx, dy)| c.chunks.tile_blocked((x + dx) >> 8, (y + dy) >> 8)) {
        return false;
    }
    let own = radius.max(MIN_FOOTPRINT);
    let mut clear = true;
    c.objects.grid.for_each_in_radius(x, y, own + c.objects.max_radius.max(MIN_FOOTPRINT) + GAP, |g| {
        let other = c.objects.radius.get(g.entity.index() as usize).copied().unwrap_or(0).max(MIN_FOOTPRINT);
        if dist2((x, y), (g.x, g.y)) < sq(own + other + GAP) {
            clear = false;
        }
    });
    if clear && radius > 0 {
        c.movers.for_each_in_radius(x, y, radius + c.character_radius, |g| {
            if dist2((x, y), (g.x, g.y)) < sq(radius + c.character_radius) {
                clear = false;
            }
        });
    }
    clear
}

fn sq(v: i32) -> i64 {
    i64::from(v) * i64::from(v)
}

/// The object a drop makes.
pub(super) struct Placement {
    /// Object kind.
    pub(super) kind: u32,
    /// Its collision radius.
    pub(super) radius: i32,
    /// Its slots.
    pub(super) capacity: u16,
    /// True when the item itself becomes the object (a box), false for a pile holding the stack.
    pub(super) placed: bool,
}

/// What dropping `count` of `item` puts in the world: the item's own object when it is
/// placeable and dropped alone, else a pile; `None` when the content has no pile kind.
pub(super) fn placement(content: &Content, item: &store::ItemRecord, count: u32) -> Option<Placement> {
    let places = content.item(item.kind).and_then(|k| k.places).and_then(|id| content.object_by_id(id));
    match places.filter(|_| count == 1 && item.count == 1) {
        Some(o) => {
            Some(Placement { kind: o.id, radius: o.radius, capacity: o.capacity.unwrap_or(0), placed: true })
        }
        None => content.pile_kind().map(|p| Placement {
            kind: p.id,
            radius: p.radius,
            capacity: p.capacity.unwrap_or(1),
            placed: false,
        }),
    }
}

/// A new container object's record at `(x, y)` on `map`, stored with the chunk it lies in.
pub(super) fn object_record(
    id: i64,
    map: store::MapId,
    kind: u32,
    (x, y): (i32, i32),
    quality: u32,
) -> ObjectRecord {
    let (cx, cy) = crate::geom::MapGeometry::chunk_of(x, y);
    ObjectRecord {
        id,
        map,
        grid_x: cx,
        grid_y: cy,
        kind,
        pos: Position { x, y },
        quality,
        holds_items: true,
        ..Default::default()
    }
}
