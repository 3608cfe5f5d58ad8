// The play page's hand-offs (net.js): a Redirect during play is followed with its one-time token, the session token is kept over a zero Welcome token, and a refused hand-off (4108) goes back to the sending shard with the session token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeClient } from '../../play/js/protocol.js';
import { Connection, TokenStore, HANDOFF_REFUSED, MAX_REDIRECTS, fallbackAfterClose, tokenToKeep } from '../../play/js/net.js';

function memoryStorage() {
  const m = new Map();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => m.set(k, String(v)) };
}

/** A stand-in for the browser's WebSocket: records every socket opened and what was sent. */
class FakeSocket {
  static OPEN = 1;
  static opened = [];
  constructor(url) {
    this.url = url;
    this.readyState = FakeSocket.OPEN;
    this.sent = [];
    this.closedWith = null;
    FakeSocket.opened.push(this);
  }
  send(bytes) {
    this.sent.push(bytes);
  }
  close(code) {
    this.closedWith = code;
  }
}

/** A session that only notes what it was told. */
function fakeSession() {
  return { errors: [], closed: null, reset() {}, apply() {}, localError(t) { this.errors.push(t); }, ack: { message: () => null } };
}

/** The token of the Hello a socket sent first. */
function helloToken(socket) {
  const hello = decodeClient(socket.sent[0]);
  assert.equal(hello.type ?? 'Hello', 'Hello');
  return Array.from(hello.token);
}

function setup() {
  globalThis.WebSocket = FakeSocket;
  FakeSocket.opened = [];
  const storage = memoryStorage();
  const conn = new Connection('ws://a/', fakeSession(), new TokenStore('ws://a/', storage));
  const statuses = [];
  conn.onStatus = (t) => statuses.push(t);
  conn.open('Ann');
  FakeSocket.opened[0].onopen();
  const own = Array.from(conn.sessionToken);
  conn.handle({ type: 'Welcome', token: Uint8Array.from(own) });
  return { conn, storage, statuses, own };
}

const zero = () => new Uint8Array(32);
const oneTime = () => new Uint8Array(32).fill(42);

test('a zero Welcome token keeps the session token; any other replaces it', () => {
  const held = new Uint8Array(32).fill(7);
  assert.deepEqual(tokenToKeep(held, zero()), held);
  assert.deepEqual(tokenToKeep(held, oneTime()), oneTime());
  assert.deepEqual(tokenToKeep(null, zero()), zero(), 'nothing held to keep');
});

test('4108 falls back to the sending shard with the session token, other closes do not, and fallbacks are bounded', () => {
  const state = { source: 'ws://a/', sessionToken: new Uint8Array(32).fill(7), redirects: 1 };
  assert.deepEqual(fallbackAfterClose(HANDOFF_REFUSED, state), { address: 'ws://a/', token: state.sessionToken });
  assert.equal(fallbackAfterClose(4100, state), null);
  assert.equal(fallbackAfterClose(HANDOFF_REFUSED, { ...state, source: null }), null, 'no Redirect followed');
  assert.equal(fallbackAfterClose(HANDOFF_REFUSED, { ...state, redirects: MAX_REDIRECTS }), null);
});

test('a mid-session Redirect is followed with its one-time token and the session token stays stored', () => {
  const { conn, storage, statuses, own } = setup();
  conn.handle({ type: 'Redirect', address: 'ws://b/', token: oneTime() });
  assert.equal(FakeSocket.opened[0].closedWith, 1000, 'the old connection is let go');
  const b = FakeSocket.opened[1];
  assert.equal(b.url, 'ws://b/');
  b.onopen();
  assert.deepEqual(helloToken(b), Array.from(oneTime()), 'Hello at the new shard carries the one-time token');
  assert.deepEqual(statuses, ['moving to another shard…']);
  conn.handle({ type: 'Welcome', token: zero() });
  assert.deepEqual(Array.from(conn.sessionToken), own);
  assert.deepEqual(Array.from(new TokenStore('ws://b/', storage).tokenFor('Ann')), own, 'the kept token is the session token');
  assert.equal(statuses.at(-1), '', 'the status line clears at the Welcome');
});

test('a refused hand-off token (4108) logs in again at the source with the session token', () => {
  const { conn, own, statuses } = setup();
  conn.handle({ type: 'Redirect', address: 'ws://b/', token: oneTime() });
  const b = FakeSocket.opened[1];
  b.onopen();
  b.onclose({ code: HANDOFF_REFUSED, reason: 'token refused' });
  const back = FakeSocket.opened[2];
  assert.equal(back.url, 'ws://a/');
  back.onopen();
  assert.deepEqual(helloToken(back), own);
  assert.match(statuses.at(-1), /back to the previous shard/);
  assert.equal(conn.session.closed, null, 'the refusal is not shown as the end of the session');
  back.onclose({ code: HANDOFF_REFUSED, reason: '' });
  assert.equal(FakeSocket.opened.length, 3, 'no Redirect is being followed: nowhere else to go');
  assert.equal(conn.session.closed.code, HANDOFF_REFUSED);
});
