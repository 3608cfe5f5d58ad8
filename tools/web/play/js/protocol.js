// protocol.js — the wire protocol v2 codec (schemas/protocol.md is normative; net/src/protocol/ is the Rust twin).
//
// encode(msg) -> Uint8Array for every client -> server message; decode(buf) -> message object for every
// server -> client message (decodeClient for client messages, used by tests and tools). Messages are
// `{type: '<Name>', ...fields}` with the field names of protocol.md's tables (snake_case); length and count
// fields are implied by the strings and arrays they describe. u64 values (entity ids, ticks, nonces, item
// and container ids) are BigInt, every other integer a Number, tokens Uint8Array(32), strings JS strings.
// Every message must be exactly as long as its layout says: anything else throws ProtocolError.

import {
  MSG, MSG_NAMES, PROTOCOL_VERSION, TOKEN_LEN, MAX_NAME_LEN, MAX_ERROR_TEXT_LEN, MAX_ADDRESS_LEN,
  MAX_CHAT_TEXT_LEN, MAX_CONTAINER_SLOTS, ORDER, CONTAINER_KIND, CLOSED_REASON, CRAFT_STATE, OBJECT_OP,
} from './protocol_codes.js';

export * from './protocol_codes.js';

/** A malformed message (wrong length, bad enum value, bad UTF-8, over-long field) or an unencodable value. */
export class ProtocolError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ProtocolError';
  }
}

const SIZE = { u8: 1, u16: 2, u32: 4, u64: 8, i16: 2, i32: 4, token: TOKEN_LEN, cref: 9, slot: 22, object: 20 };
const RANGE = {
  u8: [0, 0xff], u16: [0, 0xffff], u32: [0, 0xffffffff], i16: [-0x8000, 0x7fff], i32: [-0x80000000, 0x7fffffff],
};
const U64_MAX = (1n << 64n) - 1n;

// Field lists of the fixed layouts (offset order). An entry's third element bounds a u8 enum.
const FIXED = {
  Input: [['seq', 'u32'], ['order', 'u8', ORDER.ATTACK], ['action', 'u8'], ['target', 'u64'], ['x', 'i32'],
    ['y', 'i32']],
  Craft: [['request', 'u32'], ['recipe', 'u16'], ['count', 'u16'], ['station', 'u64']],
  InventoryMove: [['request', 'u32'], ['from', 'cref'], ['from_slot', 'u16'], ['from_revision', 'u32'],
    ['to', 'cref'], ['to_slot', 'u16'], ['to_revision', 'u32'], ['count', 'u16']],
  Drop: [['request', 'u32'], ['container', 'cref'], ['slot', 'u16'], ['revision', 'u32'], ['count', 'u16']],
  Pickup: [['request', 'u32'], ['item', 'u64']],
  Ping: [['nonce', 'u64']],
  Ack: [['tick', 'u64'], ['received', 'u32']],
  CloseContainer: [['container', 'cref']],
  UseItem: [['request', 'u32'], ['container', 'cref'], ['slot', 'u16'], ['revision', 'u32']],
  Plant: [['request', 'u32'], ['container', 'cref'], ['slot', 'u16'], ['x', 'i32'], ['y', 'i32']],
  Welcome: [['version', 'u16'], ['tick_rate_hz', 'u16'], ['player', 'u64'], ['server_tick', 'u64'],
    ['map', 'u32'], ['token', 'token'], ['x', 'i32'], ['y', 'i32'], ['width_chunks', 'u16'],
    ['height_chunks', 'u16'], ['continent', 'u16'], ['layer', 'u16']],
  ChunkDrop: [['map', 'u32'], ['cx', 'i32'], ['cy', 'i32']],
  Pong: [['nonce', 'u64'], ['server_tick', 'u64']],
  ContainerClosed: [['container', 'cref'], ['reason', 'u8', CLOSED_REASON.REPLACED]],
  Stats: [['health', 'u16'], ['max_health', 'u16'], ['hunger', 'u16'], ['hunger_limit', 'u16'],
    ['stamina', 'u16'], ['max_stamina', 'u16'], ['xp_combat', 'u32'], ['xp_crafting', 'u32'],
    ['xp_gathering', 'u32']],
  CraftProgress: [['request', 'u32'], ['recipe', 'u16'], ['state', 'u8', CRAFT_STATE.FAILED], ['code', 'u16'],
    ['started', 'u64'], ['finish', 'u64'], ['kind', 'u32'], ['quality', 'u32'], ['made', 'u32'],
    ['ground', 'u32']],
};
const OWN_FIELDS = [['x', 'i32'], ['y', 'i32'], ['vx', 'i16'], ['vy', 'i16'], ['hp', 'u16'], ['max_hp', 'u16'],
  ['order', 'u8'], ['flags', 'u8'], ['order_target', 'u64']];
const STATE_FIELDS = [['x', 'i32'], ['y', 'i32'], ['vx', 'i16'], ['vy', 'i16'], ['hp', 'u16'], ['flags', 'u16']];
const ENTER_FIELDS = [['id', 'u64'], ['kind', 'u16'], ...STATE_FIELDS];
const UPDATE_FIELDS = [['id', 'u64'], ...STATE_FIELDS];
const SLOT_FIELDS = [['slot', 'u16'], ['item', 'u64'], ['kind', 'u32'], ['quality', 'u32'], ['count', 'u32']];
const OBJECT_FIELDS = [['entity', 'u64'], ['kind', 'u16'], ['x', 'i32'], ['y', 'i32'], ['state', 'u16']];

/** Bytes of a fixed field list. */
function fixedSize(fields) {
  return fields.reduce((n, [, t]) => n + SIZE[t], 0);
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Reads one message front to back; every read past the end throws. */
class Reader {
  constructor(bytes) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.at = 1;
    this.name = MSG_NAMES[bytes[0]];
  }

  need(n) {
    if (this.at + n > this.bytes.length) {
      throw new ProtocolError(`${this.name} needs at least ${this.at + n} bytes, got ${this.bytes.length}`);
    }
  }

  read(type, max) {
    this.need(SIZE[type]);
    const v = this.view, o = this.at;
    this.at += SIZE[type];
    switch (type) {
      case 'u8': return enumValue(this.bytes[o], max);
      case 'u16': return v.getUint16(o, true);
      case 'u32': return v.getUint32(o, true);
      case 'u64': return v.getBigUint64(o, true);
      case 'i16': return v.getInt16(o, true);
      case 'i32': return v.getInt32(o, true);
      case 'token': return this.bytes.slice(o, o + TOKEN_LEN);
      case 'cref': return containerRef(this.bytes[o], v.getBigUint64(o + 1, true));
      default: throw new Error(`unknown field type ${type}`);
    }
  }

  fields(list, out = {}) {
    for (const [name, type, max] of list) out[name] = this.read(type, max);
    return out;
  }

  text(len, max, field) {
    if (len > max) throw new ProtocolError(`${this.name}: ${field} of ${len} bytes is longer than ${max}`);
    this.need(len);
    const raw = this.bytes.subarray(this.at, this.at + len);
    this.at += len;
    try {
      return utf8Strict.decode(raw);
    } catch {
      throw new ProtocolError(`${this.name}: ${field} is not valid UTF-8`);
    }
  }

  records(count, size, list) {
    this.need(count * size);
    const out = new Array(count);
    for (let i = 0; i < count; i++) out[i] = this.fields(list);
    return out;
  }

  rest() {
    const tail = this.bytes.slice(this.at);
    this.at = this.bytes.length;
    return tail;
  }

  end() {
    if (this.at !== this.bytes.length) {
      throw new ProtocolError(`${this.name} needs ${this.at} bytes, got ${this.bytes.length}`);
    }
  }
}

function enumValue(v, max) {
  if (max !== undefined && v > max) throw new ProtocolError(`bad enum value ${v} (at most ${max})`);
  return v;
}

function containerRef(kind, id) {
  if (kind > CONTAINER_KIND.ITEM) throw new ProtocolError(`bad container kind ${kind}`);
  return { kind, id };
}

/** Writes one message of a known size. */
class Writer {
  constructor(type, size) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
    this.bytes[0] = type;
    this.at = 1;
    this.name = MSG_NAMES[type];
  }

  write(type, value, field, max) {
    const v = this.view, o = this.at;
    switch (type) {
      case 'u64': v.setBigUint64(o, u64(value, field), true); break;
      case 'token': this.bytes.set(token(value, field), o); break;
      case 'cref': {
        const ref = value ?? {};
        this.bytes[o] = int(ref.kind, 'u8', `${field}.kind`, CONTAINER_KIND.ITEM);
        v.setBigUint64(o + 1, u64(ref.id ?? 0n, `${field}.id`), true);
        break;
      }
      default: {
        const n = int(value, type, field, max);
        if (type === 'u8') this.bytes[o] = n;
        else if (type === 'u16') v.setUint16(o, n, true);
        else if (type === 'u32') v.setUint32(o, n, true);
        else if (type === 'i16') v.setInt16(o, n, true);
        else v.setInt32(o, n, true);
      }
    }
    this.at += SIZE[type];
  }

  fields(list, msg) {
    for (const [name, type, max] of list) this.write(type, msg[name], name, max);
  }

  raw(bytes) {
    this.bytes.set(bytes, this.at);
    this.at += bytes.length;
  }
}

function int(value, type, field, max) {
  const [lo, hi] = RANGE[type];
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (!Number.isInteger(n) || n < lo || n > Math.min(hi, max ?? hi)) {
    throw new ProtocolError(`${field}: ${value} is not a ${type}${max === undefined ? '' : ` of at most ${max}`}`);
  }
  return n;
}

function u64(value, field) {
  let n;
  try {
    n = BigInt(value);
  } catch {
    throw new ProtocolError(`${field}: ${value} is not a u64`);
  }
  if (n < 0n || n > U64_MAX) throw new ProtocolError(`${field}: ${value} is not a u64`);
  return n;
}

function token(value, field) {
  const t = value ?? new Uint8Array(TOKEN_LEN);
  if (!(t instanceof Uint8Array) || t.length !== TOKEN_LEN) {
    throw new ProtocolError(`${field}: a token is a Uint8Array of ${TOKEN_LEN} bytes`);
  }
  return t;
}

/** UTF-8 of `text`, cut to at most `max` bytes on a character boundary (as the Rust encoders clamp). */
export function clampUtf8(text, max) {
  const bytes = utf8.encode(text ?? '');
  if (bytes.length <= max) return bytes;
  let end = max;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

// ---- client -> server ----

/** Encodes a client -> server message object into its exact bytes; throws ProtocolError on bad values. */
export function encode(msg) {
  const type = MSG[msg?.type];
  if (type === undefined || type >= 0x80) throw new ProtocolError(`not a client message: ${msg?.type}`);
  switch (msg.type) {
    case 'Hello': return encodeHello(msg);
    case 'Chat': return encodeChat(msg);
    default: {
      const fields = FIXED[msg.type];
      const w = new Writer(type, 1 + fixedSize(fields));
      // Fields an order does not use may be left out: senders write 0 (protocol.md §3, Input).
      w.fields(fields, msg.type === 'Input' ? { action: 0, target: 0n, x: 0, y: 0, ...msg } : msg);
      return w.bytes;
    }
  }
}

function encodeHello(msg) {
  const name = clampUtf8(msg.name, MAX_NAME_LEN);
  const w = new Writer(MSG.Hello, 36 + name.length);
  w.write('u16', msg.version ?? PROTOCOL_VERSION, 'version');
  w.write('u8', name.length, 'name_len');
  w.write('token', msg.token, 'token');
  w.raw(name);
  return w.bytes;
}

function encodeChat(msg) {
  const text = clampUtf8(msg.text, MAX_CHAT_TEXT_LEN);
  const w = new Writer(MSG.Chat, 7 + text.length);
  w.write('u32', msg.request, 'request');
  w.write('u16', text.length, 'text_len');
  w.raw(text);
  return w.bytes;
}

/** Decodes a client -> server message (the server's rules: a Hello of another version is refused). */
export function decodeClient(buf) {
  const r = reader(buf);
  const name = MSG_NAMES[r.bytes[0]];
  if (name === undefined || r.bytes[0] >= 0x80) throw new ProtocolError(`unknown client message type ${r.bytes[0]}`);
  let msg;
  if (name === 'Hello') msg = decodeHello(r);
  else if (name === 'Chat') msg = { request: r.read('u32'), text: r.text(r.read('u16'), MAX_CHAT_TEXT_LEN, 'text') };
  else msg = r.fields(FIXED[name]);
  r.end();
  return { type: name, ...msg };
}

function decodeHello(r) {
  if (r.bytes.length >= 3) {
    const version = r.view.getUint16(1, true);
    if (version !== PROTOCOL_VERSION) throw new ProtocolError(`Hello of protocol version ${version}`);
  }
  const version = r.read('u16');
  const nameLen = r.read('u8');
  const tok = r.read('token');
  return { version, name: r.text(nameLen, MAX_NAME_LEN, 'name'), token: tok };
}

// ---- server -> client ----

/** Decodes a server -> client message; throws ProtocolError on anything malformed. */
export function decode(buf) {
  const r = reader(buf);
  const name = MSG_NAMES[r.bytes[0]];
  if (name === undefined || r.bytes[0] < 0x80) throw new ProtocolError(`unknown server message type ${r.bytes[0]}`);
  const body = (SERVER_BODY[name] ?? ((rd) => rd.fields(FIXED[name])))(r);
  r.end();
  return { type: name, ...body };
}

function reader(buf) {
  const bytes = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  if (bytes.length === 0) throw new ProtocolError('empty message');
  return new Reader(bytes);
}

const SERVER_BODY = {
  Frame: decodeFrame,
  ChunkData: (r) => ({ ...r.fields([['map', 'u32'], ['cx', 'i32'], ['cy', 'i32'], ['version', 'u32'],
    ['raw_len', 'u32']]), data: r.rest() }),
  Redirect: (r) => {
    const tok = r.read('token');
    return { token: tok, address: r.text(r.read('u8'), MAX_ADDRESS_LEN, 'address') };
  },
  Error: (r) => {
    const head = r.fields([['code', 'u16'], ['request', 'u32']]);
    return { ...head, text: r.text(r.read('u16'), MAX_ERROR_TEXT_LEN, 'text') };
  },
  ObjectDelta: decodeObjectDelta,
  ContainerContents: (r) => {
    const head = r.fields([['container', 'cref'], ['revision', 'u32'], ['capacity', 'u16']]);
    return { ...head, slots: slotRecords(r, Math.min(head.capacity, MAX_CONTAINER_SLOTS)) };
  },
  ContainerChange: (r) => {
    const head = r.fields([['container', 'cref'], ['base_revision', 'u32'], ['revision', 'u32']]);
    return { ...head, slots: slotRecords(r, MAX_CONTAINER_SLOTS) };
  },
  ChatHeard: (r) => {
    const head = r.fields([['speaker', 'u64'], ['tick', 'u64'], ['request', 'u32']]);
    const name = r.text(r.read('u8'), MAX_NAME_LEN, 'name');
    return { ...head, name, text: r.text(r.read('u16'), MAX_CHAT_TEXT_LEN, 'text') };
  },
};

function decodeFrame(r) {
  const head = r.fields([['tick', 'u64'], ['last_input_seq', 'u32']]);
  const own = r.fields(OWN_FIELDS);
  const [e, u, l] = [r.read('u16'), r.read('u16'), r.read('u16')];
  r.need(e * 26 + u * 24 + l * 8);
  const enters = r.records(e, 26, ENTER_FIELDS);
  const updates = r.records(u, 24, UPDATE_FIELDS);
  const leaves = new Array(l);
  for (let i = 0; i < l; i++) leaves[i] = r.read('u64');
  return { ...head, own, enters, updates, leaves };
}

function decodeObjectDelta(r) {
  const head = r.fields([['map', 'u32'], ['cx', 'i32'], ['cy', 'i32'], ['from_version', 'u32'],
    ['to_version', 'u32']]);
  const count = r.read('u16');
  exactTail(r, count * 21);
  const records = new Array(count);
  for (let i = 0; i < count; i++) {
    const op = r.read('u8');
    if (op < OBJECT_OP.ENTER || op > OBJECT_OP.LEAVE) throw new ProtocolError(`ObjectDelta: bad op ${op}`);
    records[i] = { op, ...r.fields(OBJECT_FIELDS) };
  }
  return { ...head, records };
}

function slotRecords(r, max) {
  const count = r.read('u16');
  if (count > max) throw new ProtocolError(`${r.name}: ${count} slot records, at most ${max}`);
  exactTail(r, count * SIZE.slot);
  return r.records(count, SIZE.slot, SLOT_FIELDS);
}

/** The rest of the message must be exactly `n` bytes. */
function exactTail(r, n) {
  if (r.bytes.length - r.at !== n) {
    throw new ProtocolError(`${r.name} needs ${r.at + n} bytes, got ${r.bytes.length}`);
  }
}
