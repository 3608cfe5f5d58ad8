// movement.js — exact integer port of game/src/movement.rs (one tick of movement with collisions) and the dead reckoning of net/src/protocol/state.rs.
//
// Positions are fixed point (1/256 tile) in i32 as [x, y] arrays or {x, y} fields; every Rust i32
// operation that could wrap is mirrored with `| 0` / Math.imul (the release server wraps), every i64
// product that can pass 2^53 is done exactly (BigInt), and every division truncates toward zero as
// Rust's does. A terrain is `{ tileBlocked(tx, ty) -> bool, bounds() -> [minX, minY, maxX, maxY] }`
// (the Rust `Terrain` trait), circles are `{ x, y, r }`. The vectors of tools/tests/web_client.rs
// hold this file to the Rust outputs.

/** Fixed-point units per tile. */
export const TILE = 256;
/** log2 of TILE. */
export const TILE_SHIFT = 8;
/** Tiles along a chunk side. */
export const CHUNK_TILES = 128;
/** log2 of CHUNK_TILES. */
export const CHUNK_TILE_SHIFT = 7;
/** Fixed-point units along a chunk side. */
export const CHUNK_UNITS = TILE * CHUNK_TILES;
/** log2 of CHUNK_UNITS. */
export const CHUNK_SHIFT = TILE_SHIFT + CHUNK_TILE_SHIFT;
/** No entity stands within this many tiles of a map's edge. */
export const BORDER_TILES = 20;
/** Dead reckoning caps the tick gap here (u32::MAX), as `state::MAX_RECKON_TICKS`. */
export const MAX_RECKON_TICKS = 0xffffffff;

const SAFE_SIDE = 2 ** 26; // |a|, |b| below this: a² + b² is exact in a double.
const I32_MIN = -0x80000000;
const I32_MAX = 0x7fffffff;

/** a² + b² exactly: a Number when it is exact, else a BigInt (JS compares the two exactly). */
export function hyp2(a, b) {
  if (Math.abs(a) < SAFE_SIDE && Math.abs(b) < SAFE_SIDE) return a * a + b * b;
  const A = BigInt(a), B = BigInt(b);
  return A * A + B * B;
}

/** Floor of the square root of a non-negative integer (Number or BigInt), as a Number. */
export function isqrt(n) {
  if (typeof n === 'bigint') {
    let r = BigInt(Math.floor(Math.sqrt(Number(n))));
    while (r * r > n) r -= 1n;
    while ((r + 1n) * (r + 1n) <= n) r += 1n;
    return Number(r);
  }
  let r = Math.floor(Math.sqrt(n));
  while (r * r > n) r--;
  while ((r + 1) * (r + 1) <= n) r++;
  return r;
}

/** Integer Euclidean distance (floor of the square root), as `movement::dist`. */
export function dist(dx, dy) {
  return isqrt(hyp2(dx, dy));
}

/** trunc(a · b / c) exactly, as Rust's i64 `a * b / c`. */
export function mulDiv(a, b, c) {
  const p = a * b;
  if (Math.abs(p) < Number.MAX_SAFE_INTEGER) return Math.trunc(p / c);
  return Number((BigInt(a) * BigInt(b)) / BigInt(c));
}

/** Longest sub-step for a mover of `radius`: half the radius, at least one unit. */
export function maxSubstep(radius) {
  return Math.max(Math.trunc(radius / 2), 1);
}

/**
 * One tick of movement toward the goal by at most `speed`, sliding along obstacles.
 * input: { x, y, radius, speed, goalX, goalY, stopDist } -> { x, y, arrived, blocked }.
 */
export function step(input, terrain, circles) {
  const dx = (input.goalX - input.x) | 0;
  const dy = (input.goalY - input.y) | 0;
  const d = dist(dx, dy);
  const stop = Math.max(input.stopDist, 0);
  if (d <= stop) return { x: input.x, y: input.y, arrived: true, blocked: false };
  const travel = Math.min(d - stop, Math.max(input.speed, 0));
  const [vx, vy] = leastProgress([mulDiv(dx, travel, d) | 0, mulDiv(dy, travel, d) | 0], dx, dy, travel);
  const pos = [input.x, input.y];
  const blocked = walk(pos, vx, vy, input.radius, terrain, circles);
  const rx = (input.goalX - pos[0]) | 0;
  const ry = (input.goalY - pos[1]) | 0;
  return { x: pos[0], y: pos[1], arrived: dist(rx, ry) <= stop, blocked };
}

/** A step truncated to nothing while there is distance to travel becomes one unit along the dominant axis. */
function leastProgress(v, dx, dy, travel) {
  if (v[0] !== 0 || v[1] !== 0 || travel <= 0) return v;
  return Math.abs(dx) >= Math.abs(dy) ? [Math.sign(dx), 0] : [0, Math.sign(dy)];
}

/** Walks (vx, vy) in sub-steps, updating `pos`; true when blocked on the way. */
function walk(pos, vx, vy, r, t, c) {
  const len = dist(vx, vy) | 0;
  const sub = maxSubstep(r);
  const n = Math.max(Math.trunc(((len + sub - 1) | 0) / sub), 1);
  let blocked = false;
  for (let i = 0; i < n; i++) {
    const sx = (Math.trunc(Math.imul(vx, i + 1) / n) - Math.trunc(Math.imul(vx, i) / n)) | 0;
    const sy = (Math.trunc(Math.imul(vy, i + 1) / n) - Math.trunc(Math.imul(vy, i) / n)) | 0;
    const moved = slide(pos, sx, sy, r, t, c);
    if (moved === null) return true;
    pos[0] = moved.pos[0];
    pos[1] = moved.pos[1];
    blocked ||= moved.hit;
  }
  return blocked;
}

/** Tries the full sub-step, then its larger axis, the other axis, then sidesteps; null when none fits. */
function slide(p, sx, sy, r, t, c) {
  if (sx === 0 && sy === 0) return { pos: p, hit: false };
  const [x0, y0, x1, y1] = t.bounds();
  const clamp = (qx, qy) => [Math.min(Math.max(qx | 0, x0), x1), Math.min(Math.max(qy | 0, y0), y1)];
  const same = (q) => q[0] === p[0] && q[1] === p[1];
  const full = clamp(p[0] + sx, p[1] + sy);
  if (!same(full) && fits(p, full, r, t, c)) {
    const hit = full[0] !== ((p[0] + sx) | 0) || full[1] !== ((p[1] + sy) | 0);
    return { pos: full, hit };
  }
  const alongX = clamp(p[0] + sx, p[1]);
  const alongY = clamp(p[0], p[1] + sy);
  const left = clamp(p[0] - sy, p[1] + sx);
  const right = clamp(p[0] + sy, p[1] - sx);
  const order = Math.abs(sx) >= Math.abs(sy) ? [alongX, alongY, left, right] : [alongY, alongX, left, right];
  const q = order.find((o) => !same(o) && fits(p, o, r, t, c));
  return q === undefined ? null : { pos: q, hit: true };
}

/** True when a mover of radius `r` may go from `from` to `to` ([x, y] each). */
export function fits(from, to, r, t, circles) {
  const [x0, y0, x1, y1] = t.bounds();
  if (to[0] < x0 || to[0] > x1 || to[1] < y0 || to[1] > y1) return false;
  return !tilesOverlap(to, r, t) && !circles.some((c) => closerOverlap(from, to, r, c));
}

/** The circle at `to` overlaps `c` and the move does not take it farther away. */
function closerOverlap(from, to, r, c) {
  const reach = (r + c.r) | 0;
  const after = hyp2((to[0] - c.x) | 0, (to[1] - c.y) | 0);
  return after < hyp2(reach, 0) && after <= hyp2((from[0] - c.x) | 0, (from[1] - c.y) | 0);
}

/** True when the circle ([x, y], r) overlaps a blocked tile. */
export function tilesOverlap([x, y], r, t) {
  const tx0 = (x - r) >> TILE_SHIFT, ty0 = (y - r) >> TILE_SHIFT;
  const tx1 = (x + r) >> TILE_SHIFT, ty1 = (y + r) >> TILE_SHIFT;
  const r2 = hyp2(r, 0);
  for (let ty = ty0; ty <= ty1; ty++) {
    for (let tx = tx0; tx <= tx1; tx++) {
      if (t.tileBlocked(tx, ty) && squareDist2(x, y, tx, ty) < r2) return true;
    }
  }
  return false;
}

/** Squared distance from a point to the nearest point of tile (tx, ty). */
function squareDist2(x, y, tx, ty) {
  const left = Math.imul(tx, TILE), top = Math.imul(ty, TILE);
  const cx = Math.min(Math.max(x, left), (left + TILE - 1) | 0);
  const cy = Math.min(Math.max(y, top), (top + TILE - 1) | 0);
  return hyp2((x - cx) | 0, (y - cy) | 0);
}

// ---- dead reckoning (net/src/protocol/state.rs) ----

/** `pos + v · min(ticks, 2^32 − 1)` exactly (|result| < 2^48: a Number); ticks a Number or BigInt, negatives as 0. */
export function deadReckon(pos, v, ticks) {
  let dt;
  if (typeof ticks === 'bigint') dt = ticks > BigInt(MAX_RECKON_TICKS) ? MAX_RECKON_TICKS : Number(ticks);
  else dt = Math.min(ticks, MAX_RECKON_TICKS);
  return pos + v * Math.max(dt, 0);
}

/** A replicated state `{x, y, vx, vy}` extrapolated by `ticks`: [x, y] in i64 range (`EntityState::position_at`). */
export function positionAt(state, ticks) {
  return [deadReckon(state.x, state.vx, ticks), deadReckon(state.y, state.vy, ticks)];
}

/** Saturates a dead-reckoned position into i32 map coordinates. */
export function saturate([x, y]) {
  const clamp = (v) => Math.min(Math.max(v, I32_MIN), I32_MAX);
  return [clamp(x), clamp(y)];
}

/**
 * A held entity `{state, tick}` (its last record and the BigInt tick of the frame that carried it)
 * extrapolated to `tick` (BigInt), saturated (`HeldEntity::position_at`); a tick before the record's is its position.
 */
export function heldPositionAt(held, tick) {
  const gap = tick > held.tick ? tick - held.tick : 0n;
  return saturate(positionAt(held.state, gap));
}
