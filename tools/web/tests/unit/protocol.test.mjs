// protocol.test.mjs — protocol.js against the Rust codec: every message decodes to Rust's fields, client messages re-encode to Rust's bytes, mutated buffers are refused exactly when Rust refuses them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decode, decodeClient, encode, ProtocolError, MSG, MSG_NAMES, errorCodeName, clampUtf8,
} from '../../play/js/protocol.js';
import { load, needsVectors, plain, toHex, unhex } from './vectors.mjs';

const decodeDir = (dir, bytes) => (dir === 'client' ? decodeClient(bytes) : decode(bytes));

test('every message decodes to the fields Rust encoded, and client messages encode to its bytes', needsVectors, () => {
  const { good } = load('protocol.json');
  const seen = new Set();
  for (const v of good) {
    const bytes = unhex(v.hex);
    const msg = decodeDir(v.dir, bytes);
    assert.deepEqual(plain(msg), v.fields, `${v.dir} ${v.fields.type} ${v.hex}`);
    if (v.dir === 'client') assert.equal(toHex(encode(msg)), v.hex, `encode ${v.fields.type}`);
    seen.add(msg.type);
  }
  assert.equal(seen.size, Object.keys(MSG).length, 'every message type has vectors');
});

test('truncated, extended and flipped buffers are refused exactly when Rust refuses them', needsVectors, () => {
  const { mutated } = load('protocol.json');
  let refused = 0;
  for (const v of mutated) {
    const bytes = unhex(v.hex);
    if (!v.ok) {
      assert.throws(() => decodeDir(v.dir, bytes), ProtocolError, `${v.dir} must refuse ${v.hex}`);
      refused++;
      continue;
    }
    const msg = decodeDir(v.dir, bytes);
    if (v.fields !== null) assert.deepEqual(plain(msg), v.fields, `${v.dir} ${v.hex}`);
  }
  assert.ok(refused > 500, `many refusals checked (${refused})`);
});

test('encoders refuse values that do not fit and clamp strings on a character boundary', () => {
  assert.throws(() => encode({ type: 'Input', seq: -1, order: 0, action: 0, target: 0n, x: 0, y: 0 }), ProtocolError);
  assert.throws(() => encode({ type: 'Input', seq: 1, order: 5, action: 0, target: 0n, x: 0, y: 0 }), ProtocolError);
  assert.throws(() => encode({ type: 'Pickup', request: 1, item: 1n << 64n }), ProtocolError);
  assert.throws(() => encode({ type: 'Drop', request: 1, container: { kind: 3, id: 0n }, slot: 0, revision: 0, count: 1 }), ProtocolError);
  assert.throws(() => encode({ type: 'Welcome' }), ProtocolError);
  const hello = encode({ type: 'Hello', name: 'é'.repeat(20), token: new Uint8Array(32) });
  assert.equal(hello.length, 36 + 32, '16 two-byte characters fit 32 bytes');
  assert.equal(clampUtf8('a😀', 3).length, 1, 'an emoji is not cut in half');
  const follow = decodeClient(encode({ type: 'Input', seq: 3, order: 2, target: 9n }));
  assert.deepEqual([follow.action, follow.target, follow.x, follow.y], [0, 9n, 0, 0], 'unused Input fields are 0');
  assert.equal(MSG_NAMES[0x86], 'Error');
  assert.equal(errorCodeName(110), 'stale revision');
  assert.throws(() => decode(new Uint8Array(0)), ProtocolError);
  assert.throws(() => decode(encode({ type: 'Ping', nonce: 5n })), ProtocolError, 'a client message is no server message');
});
