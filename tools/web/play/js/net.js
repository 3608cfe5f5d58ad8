// The play page's connection: the WebSocket to the shard, Hello with a kept token, Acks, and the tokens kept in localStorage per server address.
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
const MAX_REDIRECTS = 3;

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
  }

  /** Opens the WebSocket and sends Hello for `name` with its kept token (or the one a Redirect gave). */
  open(name, token = null) {
    this.name = name;
    this.session.reset();
    const ws = new WebSocket(this.server);
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => this.send({ type: 'Hello', version: 1, name, token: token ?? this.tokens.tokenFor(name) });
    ws.onmessage = (ev) => this.receive(ev.data);
    ws.onclose = (ev) => {
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
    try {
      this.session.apply(msg);
    } catch (e) {
      this.session.localError(`${msg.type} not applied: ${e.message}`);
    }
    if (msg.type === 'Redirect') return this.follow(msg);
    if (msg.type === 'Welcome') {
      this.redirects = 0;
      this.tokens.keep(this.name, msg.token);
    }
    if (msg.type === 'Frame') {
      const ack = this.session.ack.message();
      if (ack) this.send(ack);
    }
  }

  /** Another shard owns the character's map: reconnect there with the token the Redirect gave. */
  follow(redirect) {
    const old = this.ws;
    old.onclose = null;
    old.close(1000, 'redirected');
    if (++this.redirects > MAX_REDIRECTS) {
      this.session.localError(`too many redirects (last to ${redirect.address})`);
      return;
    }
    this.session.localError(`redirected to ${redirect.address}`);
    this.server = redirect.address;
    this.tokens = new TokenStore(redirect.address, this.tokens.storage);
    this.open(this.name, redirect.token);
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
