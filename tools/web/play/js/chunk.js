// chunk.js — ChunkData decoding for the page: zstd-decompress the payload (zstd.js) and parse it; re-exports the payload layout and ObjectDelta rule of chunk_layout.js.

import { decompress } from './zstd.js';
import { ProtocolError } from './protocol.js';
import { parseChunkPayload, MAX_RAW_LEN } from './chunk_layout.js';

export { parseChunkPayload, applyObjectDelta, isNewer, CHUNK_TILE_COUNT, OBJECT_ENTRY_LEN, OBJECT_RAW_LEN, MAX_RAW_LEN }
  from './chunk_layout.js';

/**
 * A decoded ChunkData message -> { map, cx, cy, version, terrain: Uint16Array(16384),
 * objects: [{ entity: BigInt, kind, x, y, state }] }. Throws on a raw size over MAX_RAW_LEN, a bad zstd
 * frame, more than `raw_len` bytes, or a payload that does not match the layout.
 */
export function decodeChunk(msg) {
  if (msg.raw_len > MAX_RAW_LEN) throw new ProtocolError(`chunk payload declares ${msg.raw_len} raw bytes`);
  // As the Rust client: at most raw_len bytes (zstd.js refuses more), then the layout decides.
  return parseChunkPayload(msg, decompress(msg.data, msg.raw_len));
}
