// The play page's connection: the WebSocket to the shard, Hello with a kept token, Acks, Redirects at login and hand-offs during play (4108 falls back), and the tokens kept in localStorage per server address.
import { encode, decode, closeCodeName } from './protocol.js';

/** The shard's WebSocket address: `?server=ws://host:port/` or the host that served the page. */
export function serverAddress(loc = location) {
  const given = new URLSearchParams(loc.search).get('server');
  if (given) return given;
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${loc.host}/`;
}

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const unhex = (s) => new Uint8Array(s.match(/../g).map((h) => parseInt(h, 16)));

/** The names and tokens this browser logged in with on one server (localStorage, per server address). */
export class TokenStore {
  constructor(server, storage = localStorage) {
    this.key = `shard.tokens.${server}`;
    this.storage = storage;
  }

  read() {
    try {
      return JSON.parse(this.storage.getItem(this.key) ?? '{}');
    } catch {
      return {};
    }
  }

  /** The name last played here, if any. */
  lastName() {
    return this.read().last ?? null;
  }

  /** The token of `name` (a new random one, kept at once, for a name not played here: a login cut before Welcome keeps the name). */
  tokenFor(name) {
    const data = this.read();
    const keyed = name.normalize('NFKC').toLowerCase();
    data.names ??= {};
    if (!data.names[keyed]) {
      data.names[keyed] = hex(crypto.getRandomValues(new Uint8Array(32)));
      this.storage.setItem(this.key, JSON.stringify(data));
    }
    return unhex(data.names[keyed]);
  }

  /** Keeps the token Welcome echoed for `name` and makes it the name to resume on reload. */
  keep(name, token) {
    const data = this.read();
    data.names ??= {};
    data.names[name.normalize('NFKC').toLowerCase()] = hex(token);
    data.last = name;
    this.storage.setItem(this.key, JSON.stringify(data));
  }

  /** Forgets which name to resume (logging out); tokens stay. */
  forgetLast() {
    const data = this.read();
    delete data.last;
    this.storage.setItem(this.key, JSON.stringify(data));
  }
}

/** Redirects followed in a row without a Welcome before giving up (a loop between shards). */
export const MAX_REDIRECTS = 3;

/** Close code: the one-time hand-off token was refused (protocol.md §6). */
export const HANDOFF_REFUSED = 4108;

/** True for a token of 32 zero bytes (Welcome's "unchanged"). */
export const isZeroToken = (token) => Array.prototype.every.call(token, (b) => b === 0);

/** The session token to keep after a Welcome carrying `welcomed`: the one held when it is zero (the answer to a hand-off token), else the new one. */
export function tokenToKeep(held, welcomed) {
  return held && isZeroToken(welcomed) ? held : welcomed;
}

/** Where to log in after a close with `code`: `{ address, token }` of the shard that sent the Redirect being followed, with the session token, on 4108 while redirects remain; else null. */
export function fallbackAfterClose(code, { source, sessionToken, redirects }) {
  if (code !== HANDOFF_REFUSED || !source || !sessionToken || redirects >= MAX_REDIRECTS) return null;
  return { address: source, token: sessionToken };
}

/** One connection: sends encoded messages, applies decoded ones to `session`, acks every Frame. */
export class Connection {
  constructor(server, session, tokens) {
    this.server = server;
    this.session = session;
    this.tokens = tokens;
    this.ws = null;
    this.name = null;
    this.sent = 0;
    this.redirects = 0; // followed since the last Welcome
    this.sessionToken = null; // the name's own token: Hello's at login, kept over hand-offs
    this.source = null; // the shard that sent the Redirect being followed
    this.onStatus = () => {}; // a short line for the player ('' clears it)
  }

  /** Opens the WebSocket and sends Hello for `name` with its kept token (or the one a Redirect gave). */
  open(name, token = null) {
    if (token === null || this.name !== name) this.sessionToken = this.tokens.tokenFor(name);
    this.name = name;
    this.session.reset();
    const ws = new WebSocket(this.server);
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => this.send({ type: 'Hello', name, token: token ?? this.sessionToken });
    ws.onmessage = (ev) => this.receive(ev.data);
    ws.onclose = (ev) => {
      if (this.ws === ws && this.fallBack(ev.code)) return;
      this.session.closed = { code: ev.code, reason: ev.reason };
      this.session.localError(`connection closed: ${closeCodeName(ev.code)} (${ev.code}) ${ev.reason}`.trim());
    };
    this.ws = ws;
  }

  receive(data) {
    let msg;
    try {
      msg = decode(new Uint8Array(data));
    } catch (e) {
      this.session.localError(`undecodable message: ${e.message}`);
      return;
    }
    this.handle(msg);
  }

  /** Applies one decoded server message, follows a Redirect, keeps Welcome's token and acks a Frame. */
  handle(msg) {
    try {
      this.session.apply(msg);
    } catch (e) {
      this.session.localError(`${msg.type} not applied: ${e.message}`);
    }
    if (msg.type === 'Redirect') return this.follow(msg);
    if (msg.type === 'Welcome') {
      if (this.redirects > 0) this.onStatus('');
      this.redirects = 0;
      this.source = null;
      this.sessionToken = tokenToKeep(this.sessionToken, msg.token);
      this.tokens.keep(this.name, this.sessionToken);
    }
    if (msg.type === 'Frame') {
      const ack = this.session.ack.message();
      if (ack) this.send(ack);
    }
  }

  /** Another shard owns the character's map (at login), or the character moved to a map another shard simulates (a hand-off during play): reconnect there with the token the Redirect gave (one-time for a hand-off); the server closes this connection with 4107. */
  follow(redirect) {
    const old = this.ws;
    old.onclose = null;
    old.close(1000, 'redirected');
    if (++this.redirects > MAX_REDIRECTS) {
      this.session.localError(`too many redirects (last to ${redirect.address})`);
      return;
    }
    this.onStatus('moving to another shard…');
    this.session.localError(`redirected to ${redirect.address}`);
    this.source = this.server;
    this.moveTo(redirect.address, redirect.token);
  }

  /** On 4108 (the hand-off token refused): log in again at the shard that sent the Redirect with the session token. False when there is nowhere to fall back to. */
  fallBack(code) {
    const to = fallbackAfterClose(code, this);
    if (!to) return false;
    this.redirects += 1;
    this.source = null;
    this.onStatus('hand-off refused: back to the previous shard…');
    this.session.localError(`hand-off refused (${code}): back to ${to.address}`);
    this.moveTo(to.address, to.token);
    return true;
  }

  /** Connects to `address` (its own token store) and sends Hello with `token`. */
  moveTo(address, token) {
    this.server = address;
    this.tokens = new TokenStore(address, this.tokens.storage);
    this.open(this.name, token);
  }

  /** Sends one client message; false when the connection is not open. */
  send(msg) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(encode(msg));
    this.sent += 1;
    return true;
  }

  /** Closes with 1000 (a player who leaves). */
  close() {
    this.ws?.close(1000, 'bye');
  }
}
