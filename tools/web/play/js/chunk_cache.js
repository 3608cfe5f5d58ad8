// chunk_cache.js — the chunks a client holds as the movement terrain (port of game/src/client/chunk_cache.rs): blocking tiles, objects with their collision radii, the map's border.

import { applyObjectDelta, isNewer, CHUNK_TILE_COUNT } from './chunk_layout.js';
import { TILE, CHUNK_TILES, CHUNK_TILE_SHIFT, CHUNK_UNITS, BORDER_TILES } from './movement.js';

const I32_MIN = -0x80000000;
const I32_MAX = 0x7fffffff;
/** Largest map side in chunks (`geom::MAX_MAP_CHUNKS`). */
const MAX_MAP_CHUNKS = 1024;

/** What a chunk cache needs from content: blocking by terrain id, collision radius by object kind. */
export class ChunkRules {
  /** blocks: booleans by terrain id (missing ids block); radii: Map of object kind -> radius. */
  constructor(blocks, radii) {
    this.blocks = blocks;
    this.radii = radii;
    this.maxRadius = Math.max(0, ...radii.values());
  }

  /** The rules of /content.json (its `terrains` and `objects` tables). */
  static fromContent(content) {
    const blocks = [];
    for (const t of content.terrains) blocks[t.id] = t.blocks;
    return new ChunkRules(blocks, new Map(content.objects.map((o) => [o.id, o.radius])));
  }

  /** True when terrain `id` blocks (unknown ids block, as on the server). */
  terrainBlocks(id) {
    return this.blocks[id] ?? true;
  }

  /** Collision radius of object `kind` (unknown kinds do not block). */
  radius(kind) {
    return this.radii.get(kind) ?? 0;
  }
}

/** A map's walkable centre bounds [minX, minY, maxX, maxY] (`MapGeometry::walkable`). */
export function walkableBounds(map) {
  const clamp = (v) => Math.min(Math.max(v, 1), MAX_MAP_CHUNKS);
  const b = BORDER_TILES * TILE;
  return [b, b, clamp(map.width_chunks) * CHUNK_UNITS - b, clamp(map.height_chunks) * CHUNK_UNITS - b];
}

/**
 * The held chunks, keyed by (cx, cy): a Terrain ({ tileBlocked, bounds }) for movement.step, where a tile of a
 * chunk not held blocks, plus the objects as circles. Holds decoded chunks (chunk.js) with `blocking` and each
 * object's `radius` added.
 */
export class ChunkCache {
  constructor(rules) {
    this.rules = rules;
    this.map = null;
    this.chunks = new Map();
    this.bounds_ = [0, 0, 0, 0];
  }

  /** Forgets every chunk and switches to `map` ({ id, width_chunks, height_chunks } from Welcome, or null). */
  reset(map) {
    this.map = map;
    this.chunks.clear();
    this.bounds_ = map ? walkableBounds(map) : [0, 0, 0, 0];
  }

  /** Chunk (cx, cy), if held. */
  get(cx, cy) {
    return this.chunks.get(key(cx, cy));
  }

  /** Number of chunks held. */
  get size() {
    return this.chunks.size;
  }

  /** True when a chunk at `version` should be applied: not held, or held at an older or the same version. */
  wants(cx, cy, version) {
    const held = this.get(cx, cy);
    return held === undefined || !isNewer(held.version, version);
  }

  /** Stores a decoded chunk (parseChunkPayload / decodeChunk); 'new' or 'replaced'. */
  insert(chunk) {
    const blocking = new Uint8Array(CHUNK_TILE_COUNT);
    for (let i = 0; i < CHUNK_TILE_COUNT; i++) blocking[i] = this.rules.terrainBlocks(chunk.terrain[i]) ? 1 : 0;
    const objects = chunk.objects.map((o) => this.cached(o));
    const k = key(chunk.cx, chunk.cy);
    const had = this.chunks.has(k);
    this.chunks.set(k, { ...chunk, objects, blocking });
    return had ? 'replaced' : 'new';
  }

  cached(o) {
    return { entity: o.entity, kind: o.kind, x: o.x, y: o.y, state: o.state, radius: this.rules.radius(o.kind) };
  }

  /** Applies a decoded ObjectDelta when its chunk is held at its from_version; false (nothing changed) otherwise. */
  applyDelta(msg) {
    const chunk = this.get(msg.cx, msg.cy);
    if (chunk === undefined || !applyObjectDelta(chunk, msg)) return false;
    chunk.objects = chunk.objects.map((o) => (o.radius === undefined ? this.cached(o) : o));
    return true;
  }

  /** Forgets chunk (cx, cy); true when it was held. */
  remove(cx, cy) {
    return this.chunks.delete(key(cx, cy));
  }

  /** Largest collision radius of any object kind. */
  maxObjectRadius() {
    return this.rules.maxRadius;
  }

  /** The object `entity` (BigInt) if it lies in a held chunk, else null. */
  object(entity) {
    for (const chunk of this.chunks.values()) {
      const o = chunk.objects.find((ob) => ob.entity === entity);
      if (o !== undefined) return o;
    }
    return null;
  }

  /** Every blocking object whose centre lies within the square of half-side `reach` around (x, y), as circles. */
  circlesNear(x, y, reach) {
    const x0 = sat(x - reach), y0 = sat(y - reach), x1 = sat(x + reach), y1 = sat(y + reach);
    const out = [];
    for (const chunk of this.chunks.values()) {
      const ox = chunk.cx * CHUNK_UNITS, oy = chunk.cy * CHUNK_UNITS;
      if (x1 < ox || y1 < oy || x0 >= ox + CHUNK_UNITS || y0 >= oy + CHUNK_UNITS) continue;
      for (const o of chunk.objects) {
        if (o.radius > 0 && o.x >= x0 && o.x <= x1 && o.y >= y0 && o.y <= y1) out.push({ x: o.x, y: o.y, r: o.radius });
      }
    }
    return out;
  }

  /** Terrain: true when tile (tx, ty) blocks (a tile of a chunk not held blocks). */
  tileBlocked(tx, ty) {
    const chunk = this.get(tx >> CHUNK_TILE_SHIFT, ty >> CHUNK_TILE_SHIFT);
    if (chunk === undefined) return true;
    return chunk.blocking[(ty & (CHUNK_TILES - 1)) * CHUNK_TILES + (tx & (CHUNK_TILES - 1))] === 1;
  }

  /** Terrain: the map's walkable bounds ([0, 0, 0, 0] before a map is known). */
  bounds() {
    return this.bounds_;
  }
}

function key(cx, cy) {
  return `${cx},${cy}`;
}

function sat(v) {
  return Math.min(Math.max(v, I32_MIN), I32_MAX);
}
