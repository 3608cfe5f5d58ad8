//! Exact integer movement, shareable with clients for prediction: steering toward a goal,
//! sub-stepping so no step is longer than the smallest collider (no tunnelling), collisions with
//! blocking tiles, circles (objects and characters) and the world border, and sliding along
//! whatever blocks. No floats, no allocation: the same inputs give the same position everywhere.

use crate::geom::{TILE, TILE_SHIFT};

/// A circular obstacle near the mover (object or other character).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Circle {
    /// Centre x (1/256 tile).
    pub x: i32,
    /// Centre y.
    pub y: i32,
    /// Radius.
    pub r: i32,
}

/// What the mover collides with besides the circles: tiles and the border.
pub trait Terrain {
    /// True when tile `(tx, ty)` cannot be stood on (blocking terrain, outside the map, or not
    /// resident on the server).
    fn tile_blocked(&self, tx: i32, ty: i32) -> bool;
    /// Inclusive bounds of a centre position: `(min_x, min_y, max_x, max_y)` (the world border).
    fn bounds(&self) -> (i32, i32, i32, i32);
}

/// One mover's step request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepInput {
    /// Current position.
    pub x: i32,
    /// Current position.
    pub y: i32,
    /// Collision radius.
    pub radius: i32,
    /// Most distance this tick.
    pub speed: i32,
    /// Goal position.
    pub goal_x: i32,
    /// Goal position.
    pub goal_y: i32,
    /// Stop once this close to the goal (centre to centre).
    pub stop_dist: i32,
}

/// The result of one tick of movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepOutput {
    /// New position.
    pub x: i32,
    /// New position.
    pub y: i32,
    /// True when within `stop_dist` of the goal after the step.
    pub arrived: bool,
    /// True when something cut the step short.
    pub blocked: bool,
}

/// Longest sub-step for a mover of `radius`: half the radius, at least one unit. Tiles (256) and
/// circles of radius ≥ 16 cannot be crossed in one such step.
pub fn max_substep(radius: i32) -> i32 {
    (radius / 2).max(1)
}

/// Integer Euclidean distance (floor of the square root).
pub fn dist(dx: i64, dy: i64) -> i64 {
    (dx * dx + dy * dy).isqrt()
}

/// Moves toward the goal by at most `speed`, sliding along obstacles.
pub fn step(input: &StepInput, terrain: &impl Terrain, circles: &[Circle]) -> StepOutput {
    let (dx, dy) = (i64::from(input.goal_x - input.x), i64::from(input.goal_y - input.y));
    let d = dist(dx, dy);
    let stop = i64::from(input.stop_dist.max(0));
    if d <= stop {
        return StepOutput { x: input.x, y: input.y, arrived: true, blocked: false };
    }
    let travel = (d - stop).min(i64::from(input.speed.max(0)));
    let (vx, vy) = least_progress(((dx * travel / d) as i32, (dy * travel / d) as i32), (dx, dy), travel);
    let mut pos = (input.x, input.y);
    let blocked = walk(&mut pos, (vx, vy), input.radius, terrain, circles);
    let (rx, ry) = (i64::from(input.goal_x - pos.0), i64::from(input.goal_y - pos.1));
    StepOutput { x: pos.0, y: pos.1, arrived: dist(rx, ry) <= stop, blocked }
}

/// A step whose components both truncated to zero while there is still a distance to travel
/// becomes one unit along the goal's dominant axis, which always brings the goal nearer:
/// otherwise a character a unit or two short of its stop distance on a diagonal would never
/// arrive.
fn least_progress(v: (i32, i32), (dx, dy): (i64, i64), travel: i64) -> (i32, i32) {
    if v != (0, 0) || travel <= 0 {
        return v;
    }
    if dx.abs() >= dy.abs() { (dx.signum() as i32, 0) } else { (0, dy.signum() as i32) }
}

/// Walks `(vx, vy)` in sub-steps; returns true when blocked on the way.
fn walk(pos: &mut (i32, i32), (vx, vy): (i32, i32), r: i32, t: &impl Terrain, c: &[Circle]) -> bool {
    let len = dist(i64::from(vx), i64::from(vy)) as i32;
    let n = (len + max_substep(r) - 1) / max_substep(r);
    let n = n.max(1);
    let mut blocked = false;
    for i in 0..n {
        // Exact partition of the vector: cumulative targets, no rounding drift.
        let sx = vx * (i + 1) / n - vx * i / n;
        let sy = vy * (i + 1) / n - vy * i / n;
        match slide(*pos, (sx, sy), r, t, c) {
            Some((p, hit)) => {
                *pos = p;
                blocked |= hit;
            }
            None => return true,
        }
    }
    blocked
}

/// Tries the full sub-step, then its x part, then its y part. `None` when none fits.
fn slide(
    p: (i32, i32),
    (sx, sy): (i32, i32),
    r: i32,
    t: &impl Terrain,
    c: &[Circle],
) -> Option<((i32, i32), bool)> {
    if (sx, sy) == (0, 0) {
        return Some((p, false));
    }
    // The border is a hard clamp: moving into it stops exactly on it.
    let (x0, y0, x1, y1) = t.bounds();
    let clamp = |q: (i32, i32)| (q.0.clamp(x0, x1), q.1.clamp(y0, y1));
    let full = clamp((p.0 + sx, p.1 + sy));
    if full != p && fits(p, full, r, t, c) {
        return Some((full, full != (p.0 + sx, p.1 + sy)));
    }
    // Slide along the axis with the larger component first (deterministic tie: x).
    let along_x = clamp((p.0 + sx, p.1));
    let along_y = clamp((p.0, p.1 + sy));
    // Then sidestep (perpendicular, left first) to get around a circle met head-on.
    let left = clamp((p.0 - sy, p.1 + sx));
    let right = clamp((p.0 + sy, p.1 - sx));
    let order =
        if sx.abs() >= sy.abs() { [along_x, along_y, left, right] } else { [along_y, along_x, left, right] };
    order.into_iter().find(|&q| q != p && fits(p, q, r, t, c)).map(|q| (q, true))
}

/// True when a mover of radius `r` may go from `from` to `to`.
pub fn fits(from: (i32, i32), to: (i32, i32), r: i32, t: &impl Terrain, circles: &[Circle]) -> bool {
    let (x0, y0, x1, y1) = t.bounds();
    if to.0 < x0 || to.0 > x1 || to.1 < y0 || to.1 > y1 {
        return false;
    }
    !tiles_overlap(to, r, t) && !circles.iter().any(|c| closer_overlap(from, to, r, c))
}

/// True when the circle at `to` overlaps `c` and the move does not take it farther away (so a
/// mover already overlapping something can always step out of it).
fn closer_overlap(from: (i32, i32), to: (i32, i32), r: i32, c: &Circle) -> bool {
    let reach = i64::from(r + c.r);
    let d2 = |p: (i32, i32)| {
        let (dx, dy) = (i64::from(p.0 - c.x), i64::from(p.1 - c.y));
        dx * dx + dy * dy
    };
    let after = d2(to);
    after < reach * reach && after <= d2(from)
}

/// True when the circle `(x, y, r)` overlaps a blocked tile.
pub fn tiles_overlap((x, y): (i32, i32), r: i32, t: &impl Terrain) -> bool {
    let (tx0, ty0) = ((x - r) >> TILE_SHIFT, (y - r) >> TILE_SHIFT);
    let (tx1, ty1) = ((x + r) >> TILE_SHIFT, (y + r) >> TILE_SHIFT);
    let r2 = i64::from(r) * i64::from(r);
    for ty in ty0..=ty1 {
        for tx in tx0..=tx1 {
            if t.tile_blocked(tx, ty) && square_dist2((x, y), tx, ty) < r2 {
                return true;
            }
        }
    }
    false
}

/// Squared distance from a point to the nearest point of tile `(tx, ty)`.
fn square_dist2((x, y): (i32, i32), tx: i32, ty: i32) -> i64 {
    let (left, top) = (tx * TILE, ty * TILE);
    let cx = x.clamp(left, left + TILE - 1);
    let cy = y.clamp(top, top + TILE - 1);
    let (dx, dy) = (i64::from(x - cx), i64::from(y - cy));
    dx * dx + dy * dy
}
