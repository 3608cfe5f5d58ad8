// chunk_layout.js — the decompressed ChunkData payload (terrain + object entries, protocol.md §4), chunk versions and ObjectDelta application; a port of game/src/chunk_wire.rs and the delta rule of game/src/client/chunk_cache.rs.

import { ProtocolError, OBJECT_OP } from './protocol.js';
import { CHUNK_TILES } from './movement.js';

/** Tiles in one chunk. */
export const CHUNK_TILE_COUNT = CHUNK_TILES * CHUNK_TILES;
/** Bytes of one object entry (ChunkData payload and ObjectDelta record body). */
export const OBJECT_ENTRY_LEN = 20;
/** Largest raw payload a client accepts (terrain plus 65,536 objects), as `chunk_wire::MAX_RAW_LEN`. */
export const MAX_RAW_LEN = CHUNK_TILE_COUNT * 2 + 4 + 65536 * OBJECT_ENTRY_LEN;

/** True when chunk version `a` is newer than `b` (wrapping u32 comparison, `chunk_wire::is_newer`). */
export function isNewer(a, b) {
  return ((a - b) | 0) > 0;
}

/**
 * Parses a decompressed payload of the ChunkData `msg` (its map, cx, cy, version are copied):
 * -> { map, cx, cy, version, terrain: Uint16Array(16384), objects: [{ entity: BigInt, kind, x, y, state }] }.
 * Throws ProtocolError when the bytes do not match the layout.
 */
export function parseChunkPayload(msg, rawBytes) {
  const raw = rawBytes instanceof Uint8Array ? rawBytes : new Uint8Array(rawBytes);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const tilesLen = CHUNK_TILE_COUNT * 2;
  if (raw.length < tilesLen + 4) throw layoutError(raw.length);
  const count = view.getUint32(tilesLen, true);
  if (raw.length - tilesLen - 4 !== count * OBJECT_ENTRY_LEN) throw layoutError(raw.length);
  const terrain = new Uint16Array(CHUNK_TILE_COUNT);
  for (let i = 0; i < CHUNK_TILE_COUNT; i++) terrain[i] = view.getUint16(i * 2, true);
  const objects = new Array(count);
  for (let i = 0, o = tilesLen + 4; i < count; i++, o += OBJECT_ENTRY_LEN) objects[i] = readObject(view, o);
  return { map: msg.map, cx: msg.cx, cy: msg.cy, version: msg.version, terrain, objects };
}

function layoutError(len) {
  return new ProtocolError(`chunk payload of ${len} bytes does not match its layout`);
}

/** One object entry at byte `o`. */
export function readObject(view, o) {
  return {
    entity: view.getBigUint64(o, true),
    kind: view.getUint16(o + 8, true),
    x: view.getInt32(o + 10, true),
    y: view.getInt32(o + 14, true),
    state: view.getUint16(o + 18, true),
  };
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
