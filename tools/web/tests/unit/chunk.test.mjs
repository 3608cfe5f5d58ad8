// chunk.test.mjs — chunk.js (zstd.js, then the layout), chunk_layout.js and chunk_cache.js against Rust: payloads of generated chunks, bad payloads, ObjectDelta application, the cache as a terrain.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode } from '../../play/js/protocol.js';
import { parseChunkPayload, applyObjectDelta, isNewer } from '../../play/js/chunk_layout.js';
import { decodeChunk, MAX_RAW_LEN } from '../../play/js/chunk.js';
import { ChunkCache, ChunkRules } from '../../play/js/chunk_cache.js';
import { load, needsVectors, plain, unhex } from './vectors.mjs';

function parsed(v) {
  const msg = decode(unhex(v.message));
  return parseChunkPayload(msg, unhex(v.raw));
}

test('payloads of generated chunks parse to Rust\'s terrain and objects', needsVectors, () => {
  for (const v of load('chunk.json').chunks) {
    const msg = decode(unhex(v.message));
    assert.deepEqual(plain(msg), v.fields);
    const chunk = parseChunkPayload(msg, unhex(v.raw));
    assert.deepEqual([chunk.map, chunk.cx, chunk.cy, chunk.version], [msg.map, msg.cx, msg.cy, msg.version]);
    assert.deepEqual(Array.from(chunk.terrain), v.terrain);
    assert.deepEqual(plain(chunk.objects), v.objects);
  }
});

test('edge-case payloads (empty, one object, scattered ids, corners, far chunks) decode to Rust\'s objects', needsVectors, () => {
  const cases = load('chunk.json').cases;
  assert.ok(cases.length >= 6);
  for (const v of cases) {
    const msg = decode(unhex(v.message));
    const fromRaw = parseChunkPayload(msg, unhex(v.raw));
    assert.deepEqual(plain(fromRaw.objects), v.objects, v.name);
    assert.deepEqual(plain(decodeChunk(msg).objects), v.objects, v.name);
  }
});

test('payloads that do not match the layout are refused', needsVectors, () => {
  const bad = load('chunk.json').bad;
  assert.ok(bad.length >= 10);
  for (const v of bad) {
    const msg = { map: 0, cx: v.cx, cy: v.cy, version: 1 };
    assert.throws(() => parseChunkPayload(msg, unhex(v.raw)), /does not match its layout/, v.name);
  }
});

test('ObjectDeltas apply at their version only, leaving what Rust\'s cache holds', needsVectors, () => {
  const v = load('chunk.json');
  const rules = ChunkRules.fromContent(v.content);
  const base = parseChunkPayload({ map: 0, cx: 3, cy: 3, version: 0 }, unhex(v.deltas.raw));
  let applied = 0;
  for (const d of v.deltas.cases) {
    const delta = decode(unhex(d.delta));
    const cache = new ChunkCache(rules);
    cache.reset(v.map);
    cache.insert({ ...base, version: d.version, objects: base.objects.map((o) => ({ ...o })) });
    assert.equal(cache.applyDelta(delta), d.applied);
    const held = cache.get(3, 3);
    assert.equal(held.version, d.after_version);
    const objects = held.objects.map((o) => [o.entity, o.kind, o.x, o.y, o.state, o.radius]);
    objects.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1] || a[2] - b[2] || a[3] - b[3]));
    assert.deepEqual(plain(objects), d.objects);
    // The plain rule on a decoded chunk agrees.
    const plainChunk = { ...base, version: d.version, objects: base.objects.map((o) => ({ ...o })) };
    assert.equal(applyObjectDelta(plainChunk, delta), d.applied);
    assert.equal(plainChunk.objects.length, d.objects.length);
    if (d.applied) applied++;
  }
  assert.ok(applied > 10 && applied < v.deltas.cases.length, 'deltas at the right and at wrong versions');
});

test('the cache blocks tiles, finds circles and bounds the map as Rust\'s does', needsVectors, () => {
  const v = load('chunk.json');
  const cache = new ChunkCache(ChunkRules.fromContent(v.content));
  cache.reset(v.map);
  for (const c of v.chunks) assert.equal(cache.insert(parsed(c)), 'new');
  assert.deepEqual(cache.bounds(), v.cache.bounds);
  assert.equal(cache.maxObjectRadius(), v.cache.max_radius);
  for (const [tx, ty, blocked] of v.cache.tiles) assert.equal(cache.tileBlocked(tx, ty), blocked, `tile ${tx},${ty}`);
  for (const q of v.cache.circles) {
    const found = cache.circlesNear(q.x, q.y, q.reach).map((c) => [c.x, c.y, c.r]);
    found.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
    assert.deepEqual(found, q.out, JSON.stringify(q));
  }
  const some = v.chunks[1].objects[0];
  assert.equal(cache.object(BigInt(some.entity)).kind, some.kind);
  assert.equal(cache.object(123n), null);
  assert.equal(cache.wants(3, 3, 1), false, 'an older version is not wanted');
  assert.ok(cache.remove(3, 3) && !cache.remove(3, 3) && cache.tileBlocked(3 * 128, 3 * 128));
});

test('versions compare across the wrap', () => {
  assert.ok(isNewer(6, 5) && !isNewer(5, 6) && !isNewer(5, 5));
  assert.ok(isNewer(2, 0xffffffff) && !isNewer(0xffffffff, 2));
});

test('compressed ChunkData decodes through zstd.js to Rust\'s chunk; a short raw_len is refused', needsVectors, () => {
  for (const v of load('chunk.json').chunks) {
    const msg = decode(unhex(v.message));
    const chunk = decodeChunk(msg);
    assert.deepEqual([chunk.map, chunk.cx, chunk.cy, chunk.version], [msg.map, msg.cx, msg.cy, msg.version]);
    assert.deepEqual(Array.from(chunk.terrain), v.terrain);
    assert.deepEqual(plain(chunk.objects), v.objects);
    assert.throws(() => decodeChunk({ ...msg, raw_len: msg.raw_len - 1 }), 'more bytes than raw_len');
    assert.throws(() => decodeChunk({ ...msg, raw_len: MAX_RAW_LEN + 1 }), 'over the largest raw size');
    assert.throws(() => decodeChunk({ ...msg, data: msg.data.subarray(0, 10) }), 'a cut zstd frame');
  }
});
