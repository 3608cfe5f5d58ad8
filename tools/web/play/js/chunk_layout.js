// chunk_layout.js — the decompressed ChunkData payload (protocol v2 byte planes: terrain, ids sorted and delta-coded, chunk-local positions; protocol.md §4), chunk versions and ObjectDelta application; a port of game/src/chunk_wire.rs and the delta rule of game/src/client/chunk_cache.rs.

import { ProtocolError, OBJECT_OP } from './protocol.js';
import { CHUNK_TILES, CHUNK_UNITS } from './movement.js';

/** Tiles in one chunk. */
export const CHUNK_TILE_COUNT = CHUNK_TILES * CHUNK_TILES;
/** Bytes of one object entry of an ObjectDelta record body (u64 entity, u16 kind, i32 x, i32 y, u16 state). */
export const OBJECT_ENTRY_LEN = 20;
/** Most objects in one payload, as `chunk_wire::MAX_OBJECTS`. */
export const MAX_OBJECTS = 65536;
/** Raw bytes per object in a payload (u64 id, u16 kind, x, y, state), as `chunk_wire::OBJECT_RAW_LEN`. */
export const OBJECT_RAW_LEN = 16;
const HEAD_LEN = CHUNK_TILE_COUNT * 2 + 4;
/** Largest raw payload a client accepts (terrain plus 65,536 objects), as `chunk_wire::MAX_RAW_LEN`. */
export const MAX_RAW_LEN = HEAD_LEN + MAX_OBJECTS * OBJECT_RAW_LEN;

/** True when chunk version `a` is newer than `b` (wrapping u32 comparison, `chunk_wire::is_newer`). */
export function isNewer(a, b) {
  return ((a - b) | 0) > 0;
}

const U64_MAX = (1n << 64n) - 1n;

/**
 * Parses a decompressed payload of the ChunkData `msg` (its map, cx, cy, version are copied; cx, cy place the
 * chunk-local positions): -> { map, cx, cy, version, terrain: Uint16Array(16384),
 * objects: [{ entity: BigInt, kind, x, y, state }] } with objects by entity ascending.
 * Layout: columns of byte planes (byte b of value i of an n-value column at b * n + i, lowest byte first):
 * terrain (u16 × 16384), u32 LE count n, then n-value columns: u64 id differences (running sum, from 0, may not
 * pass 2^64 - 1), u16 kind, u16 x and u16 y differences (running sums mod 2^16 are the local positions, below
 * CHUNK_UNITS), u16 state. Throws ProtocolError when the bytes do not match the layout.
 */
export function parseChunkPayload(msg, rawBytes) {
  const raw = rawBytes instanceof Uint8Array ? rawBytes : new Uint8Array(rawBytes);
  if (raw.length < HEAD_LEN) throw layoutError(raw.length);
  const n = new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getUint32(HEAD_LEN - 4, true);
  if (n > MAX_OBJECTS || raw.length !== HEAD_LEN + n * OBJECT_RAW_LEN) throw layoutError(raw.length);
  const terrain = new Uint16Array(CHUNK_TILE_COUNT);
  for (let i = 0; i < CHUNK_TILE_COUNT; i++) terrain[i] = raw[i] | (raw[CHUNK_TILE_COUNT + i] << 8);
  const u16 = (at, i) => raw[at + i] | (raw[at + n + i] << 8);
  const u32 = (at, i) => (u16(at, i) | (u16(at + 2 * n, i) << 16)) >>> 0;
  const [ids, kinds, xs, ys, states] = [0, 8, 10, 12, 14].map((k) => HEAD_LEN + k * n);
  const x0 = msg.cx * CHUNK_UNITS;
  const y0 = msg.cy * CHUNK_UNITS;
  const objects = new Array(n);
  let id = 0n;
  let lx = 0;
  let ly = 0;
  for (let i = 0; i < n; i++) {
    id += BigInt(u32(ids, i)) | (BigInt(u32(ids + 4 * n, i)) << 32n);
    lx = (lx + u16(xs, i)) & 0xffff;
    ly = (ly + u16(ys, i)) & 0xffff;
    const x = x0 + lx;
    const y = y0 + ly;
    if (id > U64_MAX || lx >= CHUNK_UNITS || ly >= CHUNK_UNITS || !isI32(x) || !isI32(y)) throw layoutError(raw.length);
    objects[i] = { entity: id, kind: u16(kinds, i), x, y, state: u16(states, i) };
  }
  return { map: msg.map, cx: msg.cx, cy: msg.cy, version: msg.version, terrain, objects };
}

function isI32(v) {
  return v >= -0x80000000 && v <= 0x7fffffff;
}

function layoutError(len) {
  return new ProtocolError(`chunk payload of ${len} bytes does not match its layout`);
}

/**
 * Applies a decoded ObjectDelta to a decoded chunk held at its `from_version` (same cx, cy), in order: an
 * enter or change replaces the object (or adds it), a leave removes it. Returns false, changing nothing,
 * when the chunk is another one or at another version.
 */
export function applyObjectDelta(chunk, msg) {
  if (chunk.cx !== msg.cx || chunk.cy !== msg.cy || chunk.version !== msg.from_version) return false;
  for (const r of msg.records) {
    const at = chunk.objects.findIndex((o) => o.entity === r.entity);
    if (at >= 0) chunk.objects.splice(at, 1);
    if (r.op === OBJECT_OP.ENTER || r.op === OBJECT_OP.CHANGE) {
      chunk.objects.push({ entity: r.entity, kind: r.kind, x: r.x, y: r.y, state: r.state });
    }
  }
  chunk.version = msg.to_version;
  return true;
}
