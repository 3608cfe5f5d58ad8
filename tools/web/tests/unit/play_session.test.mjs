// Unit tests of the play page's session state model (js/session.js): Frames, containers by revision, chat and errors, as the server's messages say.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session, containerKey } from '../../play/js/session.js';
import { indexContent } from '../../play/js/content.js';
import { errorCodeName } from '../../play/js/protocol.js';

const content = () => indexContent({
  terrains: [{ id: 0, name: 'grass', blocks: false }], objects: [{ id: 1, name: 'tree', radius: 80, stages: null }],
  items: [{ id: 5, name: 'berries', tags: ['food'] }], recipes: [], item_rules: { inventory_slots: 24, max_depth: 3 },
  character: { radius: 77, max_speed: 100, interact_range: 64 },
});

const welcome = { type: 'Welcome', version: 1, tick_rate_hz: 20, player: 7n, server_tick: 100n, map: 0,
  token: new Uint8Array(32), x: 1000, y: 2000, width_chunks: 4, height_chunks: 4, continent: 0, layer: 0 };
const own = (x, y) => ({ x, y, vx: 0, vy: 0, hp: 100, max_hp: 100, order: 0, flags: 0, order_target: 0n });
const slot = (s, item, kind, count) => ({ slot: s, item, kind, quality: 10, count });

test('Frames enter, update and drop entities, keep the own state and feed the Ack', () => {
  const s = new Session(content());
  s.apply(welcome, 0);
  assert.deepEqual(s.serverPosition(), { x: 1000, y: 2000 });
  s.apply({ type: 'Frame', tick: 101n, last_input_seq: 0, own: own(1100, 2000),
    enters: [{ id: 9n, kind: 2, x: 5, y: 6, vx: 1, vy: 0, hp: 50, flags: 0 }], updates: [], leaves: [] }, 50);
  s.apply({ type: 'Frame', tick: 103n, last_input_seq: 1, own: own(1200, 2000),
    enters: [], updates: [{ id: 9n, x: 7, y: 6, vx: 0, vy: 0, hp: 40, flags: 0 }], leaves: [] }, 150);
  assert.deepEqual(s.serverPosition(), { x: 1200, y: 2000 });
  assert.equal(s.own.last_input_seq, 1);
  const bot = s.entities.get('9');
  assert.equal(bot.kind, 2, 'an update keeps the kind the enter gave');
  assert.equal(bot.hp, 40);
  assert.equal(bot.tick, 103);
  assert.deepEqual(s.ack.message(), { type: 'Ack', tick: 103n, received: 0b10 });
  s.apply({ type: 'Frame', tick: 104n, last_input_seq: 1, own: own(1200, 2000), enters: [], updates: [], leaves: [9n] }, 200);
  assert.equal(s.entities.size, 0);
});

test('containers apply changes at the revision held and go out of sync on a missed one', () => {
  const s = new Session(content());
  s.apply(welcome, 0);
  const inv = { kind: 0, id: 0n };
  s.apply({ type: 'ContainerContents', container: inv, revision: 3, capacity: 26, slots: [slot(2, 11n, 5, 5)] });
  assert.equal(s.inventory().slots.get(2).count, 5);
  s.apply({ type: 'ContainerChange', container: inv, base_revision: 3, revision: 4, slots: [slot(2, 0n, 0, 0), slot(3, 11n, 5, 4)] });
  assert.equal(s.inventory().revision, 4);
  assert.equal(s.inventory().slots.has(2), false, 'an emptied slot is forgotten');
  assert.equal(s.inventory().slots.get(3).count, 4);
  s.apply({ type: 'ContainerChange', container: inv, base_revision: 9, revision: 10, slots: [slot(0, 12n, 5, 1)] });
  assert.equal(s.inventory().outOfSync, true);
  assert.equal(s.inventory().slots.has(0), false, 'a change at another revision is not applied');
  s.apply({ type: 'ContainerContents', container: inv, revision: 11, capacity: 26, slots: [] });
  assert.equal(s.inventory().outOfSync, false);
  const box = { kind: 1, id: 77n };
  s.apply({ type: 'ContainerContents', container: box, revision: 1, capacity: 16, slots: [] });
  assert.ok(s.containers.has(containerKey(1, 77n)));
  s.apply({ type: 'ContainerClosed', container: box, reason: 0 });
  assert.equal(s.containers.has(containerKey(1, 77n)), false);
});

test('errors keep their code name and text; chat lines teach speaker names', () => {
  const s = new Session(content());
  s.apply(welcome, 0);
  s.apply({ type: 'Error', code: 121, request: 4, text: 'not enough branch' });
  assert.equal(s.errors[0].code, 121);
  assert.equal(s.errors[0].name, errorCodeName(121));
  assert.notEqual(s.errors[0].name, 'error 121');
  assert.equal(s.errors[0].text, 'not enough branch');
  s.apply({ type: 'ChatHeard', speaker: 9n, tick: 120n, request: 0, name: 'Bob', text: 'hi' });
  assert.equal(s.chat[0].text, 'hi');
  assert.equal(s.names.get('9'), 'Bob');
});
