// The play page's client state model: everything the server told this session (protocol.md §4), applied message by message.
import { decodeChunk } from './chunk.js';
import { ChunkCache, ChunkRules } from './chunk_cache.js';
import { AckTracker } from './ack.js';
import { TickClock } from './clock.js';
import { errorCodeName as errorName } from './protocol.js';

/** Most chat lines and error messages kept. */
const LOG_LINES = 200;

/** Key of a container reference in `Session.containers`. */
export const containerKey = (kind, id) => `${kind}:${BigInt(id)}`;

/** The state of one session: fed by `apply(msg)`, read by the renderer, the panels and the tests. */
export class Session {
  constructor(content) {
    this.content = content;
    this.cache = new ChunkCache(ChunkRules.fromContent(content));
    this.listeners = new Set();
    this.reset();
  }

  /** Forgets everything the server said (a new connection). */
  reset() {
    this.welcome = null;
    this.player = null; // BigInt own entity id
    this.lastFrame = null;
    this.own = null; // {tick, last_input_seq, x, y, vx, vy, hp, max_hp, order, flags, order_target}
    this.cache.reset(null); // the held chunks (chunk_cache.js), also the terrain prediction walks on
    this.entities = new Map(); // id string -> {id, kind, x, y, vx, vy, hp, flags, tick}
    this.containers = new Map(); // containerKey -> {kind, id, revision, capacity, slots: Map, outOfSync}
    this.stats = null;
    this.craft = null; // last CraftProgress
    this.chat = [];
    this.names = new Map(); // character id string -> name, learnt from ChatHeard
    this.errors = [];
    this.ack = new AckTracker();
    this.clock = null;
    this.closed = null; // {code, reason} once the connection closed
    this.counters = { frames: 0, chunks: 0, deltas: 0, deltasIgnored: 0, messages: 0 };
  }

  /** Calls `fn(what)` after each applied message (`what` is the message type). */
  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  notify(what) {
    for (const fn of this.listeners) fn(what);
  }

  /** Applies one decoded server message received at `now` (ms, performance.now()). */
  apply(msg, now = performance.now()) {
    this.counters.messages += 1;
    const handler = HANDLERS[msg.type];
    if (handler) handler(this, msg, now);
    this.notify(msg.type);
  }

  /** Notes an error the page itself raised (a decode failure, a closed connection). */
  localError(text, code = 0) {
    pushBounded(this.errors, { code, name: code ? errorName(code) : 'client', request: 0, text, at: Date.now() });
    this.notify('Error');
  }

  /** The own character's authoritative position from the newest Frame (Welcome before it). */
  serverPosition() {
    return this.own ? { x: this.own.x, y: this.own.y } : null;
  }

  /** The held chunks: decoded chunks {map, cx, cy, version, terrain, objects, blocking}, keyed `cx,cy`. */
  get chunks() {
    return this.cache.chunks;
  }

  /** The own inventory's view (container kind 0). */
  inventory() {
    return this.containers.get(containerKey(0, 0n)) ?? null;
  }

  /** The tick the server is estimated to run at `now`, fractional (for smooth drawing). */
  tickAt(now) {
    return this.clock ? this.clock.estimate(now) : null;
  }

  /** The object with entity id `id` (BigInt) in any held chunk. */
  findObject(id) {
    return this.cache.object(BigInt(id));
  }
}

function pushBounded(list, item) {
  list.push(item);
  if (list.length > LOG_LINES) list.splice(0, list.length - LOG_LINES);
}

function welcome(s, m, now) {
  s.reset();
  s.cache.reset({ id: m.map, width_chunks: m.width_chunks, height_chunks: m.height_chunks });
  s.welcome = m;
  s.player = m.player;
  s.own = { tick: Number(m.server_tick), last_input_seq: 0, x: m.x, y: m.y, vx: 0, vy: 0, hp: 0, max_hp: 0,
    order: 0, flags: 0, order_target: 0n };
  s.clock = new TickClock(m.tick_rate_hz, now);
  s.clock.observe(Number(m.server_tick), now);
}

function frame(s, m, now) {
  const tick = Number(m.tick);
  if (s.own && tick < s.own.tick && s.counters.frames > 0) return;
  s.counters.frames += 1;
  s.ack.record(m.tick);
  s.clock?.observe(tick, now);
  s.own = { tick, last_input_seq: m.last_input_seq, ...m.own };
  s.lastFrame = m;
  for (const e of m.enters) s.entities.set(String(e.id), { ...e, tick });
  for (const u of m.updates) {
    const held = s.entities.get(String(u.id));
    s.entities.set(String(u.id), { kind: held?.kind ?? 0, ...u, tick });
  }
  for (const id of m.leaves) s.entities.delete(String(id));
}

function chunkData(s, m) {
  if (!s.cache.wants(m.cx, m.cy, m.version)) return;
  s.cache.insert(decodeChunk(m)); // the renderer adds `drawn`, the chunk's terrain drawn once
  s.counters.chunks += 1;
}

function chunkDrop(s, m) {
  s.cache.remove(m.cx, m.cy);
}

function objectDelta(s, m) {
  if (s.cache.applyDelta(m)) s.counters.deltas += 1;
  else s.counters.deltasIgnored += 1;
}

function slotMap(records) {
  const slots = new Map();
  for (const r of records) if (r.item !== 0n && r.count > 0) slots.set(r.slot, r);
  return slots;
}

function containerContents(s, m) {
  const { kind, id } = m.container;
  s.containers.set(containerKey(kind, id), {
    kind, id: BigInt(id), revision: m.revision, capacity: m.capacity, slots: slotMap(m.slots), outOfSync: false,
  });
}

function containerChange(s, m) {
  const view = s.containers.get(containerKey(m.container.kind, m.container.id));
  if (!view) return;
  if (view.outOfSync || view.revision !== m.base_revision) {
    view.outOfSync = true;
    return;
  }
  for (const r of m.slots) {
    if (r.item === 0n || r.count === 0) view.slots.delete(r.slot);
    else view.slots.set(r.slot, r);
  }
  view.revision = m.revision;
}

function containerClosed(s, m) {
  s.containers.delete(containerKey(m.container.kind, m.container.id));
}

function error(s, m) {
  pushBounded(s.errors, { code: m.code, name: errorName(m.code), request: m.request, text: m.text, at: Date.now() });
}

function chatHeard(s, m) {
  s.names.set(String(m.speaker), m.name);
  pushBounded(s.chat, { speaker: m.speaker, tick: Number(m.tick), request: m.request, name: m.name, text: m.text });
}

const HANDLERS = {
  Welcome: welcome,
  Frame: frame,
  ChunkData: chunkData,
  ChunkDrop: chunkDrop,
  ObjectDelta: objectDelta,
  ContainerContents: containerContents,
  ContainerChange: containerChange,
  ContainerClosed: containerClosed,
  Stats: (s, m) => { s.stats = m; },
  CraftProgress: (s, m) => { s.craft = m; },
  ChatHeard: chatHeard,
  Error: error,
};
