// Unit tests of the play page's zstd decoder (js/zstd.js): hand-made frames, XXH64, and vectors from the zstd crate (ZSTD_VECTORS, written by tools/tests/web_zstd.rs).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decompress } from '../../play/js/zstd.js';
import { xxh64 } from '../../play/js/zstd_xxh64.js';

const VECTORS = process.env.ZSTD_VECTORS;
const utf8 = (s) => new TextEncoder().encode(s);
const MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** A frame: magic, single-segment header with a 1-byte content size, then `blocks`. */
function frame(contentSize, ...blocks) {
  return Uint8Array.from([...MAGIC, 0x20, contentSize, ...blocks.flat()]);
}

/** A block header: last flag, type (0 raw, 1 RLE, 2 compressed), size. */
function blockHeader(last, type, size) {
  const v = last | (type << 1) | (size << 3);
  return [v & 255, (v >> 8) & 255, (v >> 16) & 255];
}

test('XXH64 matches the reference values', () => {
  assert.equal(xxh64(utf8('')), 0xef46db3751d8e999n);
  assert.equal(xxh64(utf8('a')), 0xd24ec4f1a98c6e5bn);
  assert.equal(xxh64(utf8('abc')), 0x44bc2cf5ad770999n);
  assert.equal(xxh64(utf8('Nobody inspects the spammish repetition')), 0xfbcea83c8a378bf1n);
});

test('raw and RLE blocks, several frames, skippable frames', () => {
  const raw = frame(5, blockHeader(0, 0, 3), [1, 2, 3], blockHeader(1, 1, 2), [9]);
  assert.deepEqual(decompress(raw), Uint8Array.of(1, 2, 3, 9, 9));
  const skippable = [0x5f, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 7, 7];
  const two = Uint8Array.from([...skippable, ...raw, ...raw, ...skippable]);
  assert.deepEqual(decompress(two, 10), Uint8Array.of(1, 2, 3, 9, 9, 1, 2, 3, 9, 9));
  assert.deepEqual(decompress(frame(0, blockHeader(1, 0, 0))), new Uint8Array(0));
});

test('malformed frames throw a clear Error', () => {
  const ok = frame(5, blockHeader(0, 0, 3), [1, 2, 3], blockHeader(1, 1, 2), [9]);
  const cases = [
    [new Uint8Array(0), /empty input/],
    [Uint8Array.of(1, 2, 3, 4, 5), /bad frame magic/],
    [ok.subarray(0, 3), /truncated frame magic/],
    [ok.subarray(0, ok.length - 1), /truncated/],
    [frame(4, blockHeader(0, 0, 3), [1, 2, 3], blockHeader(1, 1, 2), [9]), /over the frame content size/],
    [frame(6, blockHeader(0, 0, 3), [1, 2, 3], blockHeader(1, 1, 2), [9]), /header says 6/],
    [frame(1, blockHeader(1, 3, 1), [0]), /reserved block type/],
    [Uint8Array.from([...MAGIC, 0x28, 0, ...blockHeader(1, 0, 0)]), /reserved bit/],
    [Uint8Array.from([...MAGIC, 0x21, 7, 0, ...blockHeader(1, 0, 0)]), /dictionar/],
    [Uint8Array.from([...ok, 0x50, 0x2a, 0x4d, 0x18, 9, 0, 0, 0]), /truncated skippable/],
  ];
  for (const [input, message] of cases) assert.throws(() => decompress(input), message, String(message));
  assert.throws(() => decompress(ok, 4), /rawLen 4/);
  assert.deepEqual(decompress(ok, 9), Uint8Array.of(1, 2, 3, 9, 9), 'a larger rawLen is a bound, not a size');
  assert.deepEqual(decompress(ok, 2 ** 32), Uint8Array.of(1, 2, 3, 9, 9), 'a huge rawLen allocates nothing huge');
});

/** The manifest and files written by tools/tests/web_zstd.rs. */
function loadVectors() {
  const manifest = JSON.parse(readFileSync(join(VECTORS, 'manifest.json'), 'utf8'));
  const read = (name, ext) => new Uint8Array(readFileSync(join(VECTORS, `${name}.${ext}`)));
  return manifest.vectors.map((v) => ({ ...v, zst: read(v.name, 'zst'), raw: read(v.name, 'raw') }));
}

const vectorOptions = { skip: VECTORS ? false : 'ZSTD_VECTORS not set (run cargo test -p tools --test web_zstd)' };

test('vectors from the zstd crate decode to their originals', vectorOptions, () => {
  const good = loadVectors().filter((v) => v.expect === 'ok');
  assert.ok(good.length > 100, `only ${good.length} vectors`);
  for (const v of good) {
    assert.deepEqual(decompress(v.zst, v.raw.length), v.raw, v.name);
    assert.deepEqual(decompress(v.zst), v.raw, `${v.name} without rawLen`);
    if (v.raw.length > 0) assert.throws(() => decompress(v.zst, v.raw.length - 1), /zstd: /, v.name);
  }
});

test('corrupted vectors throw, or stay bounded and checksummed', vectorOptions, () => {
  for (const v of loadVectors().filter((v) => v.expect !== 'ok')) {
    if (v.expect === 'error') {
      assert.throws(() => decompress(v.zst, v.raw_len), /zstd: /, v.name);
      continue;
    }
    assertBounded(v.zst, v.raw, v.name);
  }
});

/** Decoding a damaged frame throws, or returns at most `raw.length` bytes, `raw` itself if still checksummed. */
function assertBounded(zst, raw, name) {
  let out;
  try {
    out = decompress(zst, raw.length);
  } catch (e) {
    assert.ok(e instanceof Error && e.message.startsWith('zstd: '), `${name}: ${e}`);
    return;
  }
  assert.ok(out.length <= raw.length, name);
  if (zst[4] & 4) assert.deepEqual(out, raw, `${name}: a checksummed frame decoded to other bytes`);
}

test('every single-bit flip of a chunk frame and a text frame is caught or bounded', vectorOptions, () => {
  const all = loadVectors();
  const picks = [all.find((v) => v.name.startsWith('chunk_forest')), all.find((v) => v.name === 'text_l19_c1_s1')];
  for (const v of picks) {
    const damaged = v.zst.slice();
    for (let i = 4; i < damaged.length; i++) {
      const bit = 1 << (i % 8);
      damaged[i] ^= bit;
      assertBounded(damaged, v.raw, `${v.name} byte ${i}`);
      damaged[i] ^= bit;
    }
  }
});

test('random multi-byte damage to every vector is caught or bounded', vectorOptions, () => {
  const good = loadVectors().filter((v) => v.expect === 'ok' && v.zst.length > 8);
  let seed = 12345;
  const random = (n) => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let round = 0; round < 2000; round++) {
    const v = good[round % good.length];
    const damaged = v.zst.slice();
    for (let k = 1 + random(4); k > 0; k--) {
      const at = 4 + random(damaged.length - 4);
      damaged[at] = random(3) === 0 ? random(256) : damaged[at] ^ (1 << random(8));
    }
    assertBounded(damaged, v.raw, `${v.name} round ${round}`);
  }
});

test('every truncation of a checksummed frame throws', vectorOptions, () => {
  const v = loadVectors().find((v) => v.name === 'mixed_l3_c1_s1');
  for (let n = 0; n < v.zst.length; n += 1 + (n >> 6)) {
    assert.throws(() => decompress(v.zst.subarray(0, n), v.raw.length), /zstd: /, `first ${n} bytes`);
  }
});

test('decoding a chunk 1,000 times (timing, not asserted)', vectorOptions, (t) => {
  const manifest = JSON.parse(readFileSync(join(VECTORS, 'manifest.json'), 'utf8'));
  const v = loadVectors().find((v) => v.name === manifest.timing);
  for (let i = 0; i < 200; i++) decompress(v.zst, v.raw.length);
  // CPU time too: on a busy machine the wall clock counts other processes' turns.
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  for (let i = 0; i < 1000; i++) decompress(v.zst, v.raw.length);
  const used = process.cpuUsage(cpu);
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  const micros = (used.user + used.system) / 1000;
  t.diagnostic(`zstd: ${wall.toFixed(1)} µs wall, ${micros.toFixed(1)} µs CPU per chunk ` +
    `(${v.name}: ${v.zst.length} -> ${v.raw.length} bytes)`);
});
