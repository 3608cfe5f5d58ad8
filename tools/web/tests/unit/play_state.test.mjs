// Unit tests of the play page's own state pieces: the Ack tracker, the tick clock, the kept tokens and what a recipe lacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AckTracker } from '../../play/js/ack.js';
import { TickClock } from '../../play/js/clock.js';
import { TokenStore } from '../../play/js/net.js';
import { missingFor } from '../../play/js/panels/craft.js';
import { indexContent } from '../../play/js/content.js';

test('an Ack reports the newest tick and the ticks before it that arrived (as game/src/client/ack.rs)', () => {
  const a = new AckTracker();
  assert.equal(a.message(), null);
  a.record(10n);
  assert.deepEqual(a.message(), { type: 'Ack', tick: 10n, received: 0 });
  a.record(12n);
  assert.deepEqual(a.message(), { type: 'Ack', tick: 12n, received: 0b10 });
  a.record(11n);
  assert.deepEqual(a.message(), { type: 'Ack', tick: 12n, received: 0b11 });
  a.record(13n);
  assert.equal(a.message().received, 0b111);
  a.record(13n + 40n);
  assert.deepEqual(a.message(), { type: 'Ack', tick: 53n, received: 0 });
  a.record(53n + 32n);
  assert.equal(a.message().received, 1 << 31 >>> 0);
});

test('the tick clock follows the earliest arrivals and never goes back before the newest tick', () => {
  const c = new TickClock(20, 0);
  assert.equal(c.estimate(0), null);
  c.observe(100, 1000);
  assert.equal(c.estimate(1000), 100);
  assert.equal(c.estimate(1050), 101);
  c.observe(101, 1030); // earlier than expected: the phase moves earlier
  assert.ok(c.estimate(1030) >= 101);
  c.observe(90, 1100); // an old tick late changes nothing backwards
  assert.ok(c.estimate(1100) >= 101);
});

function memoryStorage() {
  const m = new Map();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => m.set(k, String(v)) };
}

test('tokens are kept per server and per name (case- and form-insensitive), and the last name resumes', () => {
  const storage = memoryStorage();
  const a = new TokenStore('ws://a/', storage);
  const first = a.tokenFor('Ann');
  assert.equal(first.length, 32);
  assert.ok(first.some((b) => b !== 0));
  assert.deepEqual(a.tokenFor('ANN'), first, 'the same account whatever its case');
  assert.notDeepEqual(new TokenStore('ws://b/', storage).tokenFor('Ann'), first, 'another server, another token');
  assert.equal(a.lastName(), null);
  const echoed = new Uint8Array(32).fill(7);
  a.keep('Ann', echoed);
  assert.equal(a.lastName(), 'Ann');
  assert.deepEqual(a.tokenFor('ann'), echoed);
  a.forgetLast();
  assert.equal(a.lastName(), null);
  assert.deepEqual(a.tokenFor('Ann'), echoed, 'logging out keeps the token');
});

test('a recipe lacks the ingredients short of its counts and the tools no item serves', () => {
  const content = indexContent({
    terrains: [], objects: [], recipes: [],
    items: [{ id: 1, name: 'branch', tags: ['material'] }, { id: 2, name: 'stone', tags: [] }, { id: 8, name: 'stone axe', tags: ['axe'] }],
  });
  const recipe = { ingredients: [{ kind: 1, count: 2 }, { kind: 2, count: 3 }], tools: ['axe'] };
  assert.deepEqual(missingFor(content, new Map([[1, 3]]), recipe), ['3 stone', 'tool: axe']);
  assert.deepEqual(missingFor(content, new Map([[1, 2], [2, 3], [8, 1]]), recipe), []);
});
