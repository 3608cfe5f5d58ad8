// vectors.mjs — loads the vector files tools/tests/web_client.rs writes (WEB_VECTORS names their directory) and normalizes decoded values for comparison.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The directory of the vector files, or undefined when the Rust generator did not run. */
export const VECTOR_DIR = process.env.WEB_VECTORS;

/** Options for `test(name, skipUnlessVectors, fn)`: skipped without WEB_VECTORS. */
export const needsVectors = { skip: VECTOR_DIR ? false : 'WEB_VECTORS is not set (run cargo test -p tools --test web_client)' };

/** The parsed vector file `name`. */
export function load(name) {
  return JSON.parse(readFileSync(join(VECTOR_DIR, name), 'utf8'));
}

/** Bytes of a hex string. */
export function unhex(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

/** Hex of bytes. */
export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A decoded value as the vectors write it: BigInt as decimal strings, bytes as hex. */
export function plain(value) {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return toHex(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}
