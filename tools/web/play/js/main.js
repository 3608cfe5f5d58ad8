// The play page's entry: login, the session and its connection, the panels, the animation loop, and `window.game` for tests.
import { loadContent, itemName } from './content.js';
import { Session } from './session.js';
import { Connection, TokenStore, serverAddress } from './net.js';
import { Prediction } from './prediction.js';
import { Orders } from './orders.js';
import { Renderer } from './render.js';
import { CanvasInput } from './input.js';
import { InventoryPanel } from './panels/inventory.js';
import { CraftPanel } from './panels/craft.js';
import { ChatPanel } from './panels/chat.js';
import { StatusPanel } from './panels/status.js';
import { FrameRecorder } from './frames.js';

const $ = (sel) => document.querySelector(sel);

async function start() {
  const server = serverAddress();
  const tokens = new TokenStore(server);
  let content;
  try {
    content = await loadContent(new URL('content.json', location.href));
  } catch (e) {
    $('#login-status').textContent = `cannot load the content: ${e.message}`;
    return;
  }
  const session = new Session(content);
  const conn = new Connection(server, session, tokens);
  const prediction = new Prediction(session);
  const orders = new Orders(conn, session, prediction);
  const renderer = new Renderer($('#game-canvas'), session, prediction);
  const ui = { armed: null, name: null, notice: (t) => status.notice(t) };
  const status = new StatusPanel(document, session);
  conn.onStatus = (text) => status.notice(text);
  new CanvasInput($('#game-canvas'), $('#tooltip'), session, renderer, orders, ui);
  new InventoryPanel(document, session, orders, ui);
  const craft = new CraftPanel(document, session, orders);
  new ChatPanel(document, session, orders);
  const frames = new FrameRecorder();

  const login = (name) => {
    ui.name = name;
    conn.open(name);
    $('#login').hidden = true;
    $('#game').hidden = false;
    $('#who').textContent = name;
  };
  $('#login-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const name = $('#login-name').value.trim();
    if (name) login(name);
  });
  $('#logout').addEventListener('click', () => {
    tokens.forgetLast();
    conn.close();
    location.reload();
  });
  $('#stop').addEventListener('click', () => orders.stop());
  session.subscribe((what) => {
    if (what === 'Welcome') $('#map-info').textContent = `map ${session.welcome.map} (${session.welcome.width_chunks}×${session.welcome.height_chunks} chunks)`;
  });

  const loop = (now) => {
    frames.record(now);
    renderer.draw(now);
    craft.progress(now);
    updateHud(session, renderer, frames);
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);

  window.game = gameApi({ session, conn, orders, prediction, renderer, frames, ui, content });
  const resume = tokens.lastName();
  if (resume) login(resume);
  else $('#login-name').focus();
}

let hudAt = 0;
function updateHud(session, renderer, frames) {
  const now = performance.now();
  if (now - hudAt < 250) return;
  hudAt = now;
  const own = session.own;
  const pos = own ? `${(own.x / 256).toFixed(1)}, ${(own.y / 256).toFixed(1)}` : '–';
  const fps = frames.fps();
  $('#hud').textContent = `pos ${pos} · chunks ${session.chunks.size} · entities ${session.entities.size} · ${fps.toFixed(0)} fps`;
}

const str = (v) => (typeof v === 'bigint' ? v.toString() : v);

/** A plain copy of a value with BigInts as strings and Maps as arrays (what tests read through page.evaluate). */
export function plain(v) {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Map) return [...v.values()].map(plain);
  if (ArrayBuffer.isView(v)) return undefined;
  if (v && typeof v === 'object') {
    const out = {};
    for (const [k, x] of Object.entries(v)) if (k !== 'drawn' && k !== 'terrain') out[k] = plain(x);
    return out;
  }
  return v;
}

/** `window.game`: the session state for tests and the console. */
function gameApi({ session, conn, orders, prediction, renderer, frames, ui, content }) {
  return {
    session, conn, orders, prediction, renderer, content,
    get name() { return ui.name; },
    get connected() { return conn.ws?.readyState === WebSocket.OPEN && !!session.welcome; },
    get player() { return session.player === null ? null : str(session.player); },
    get welcome() { return plain(session.welcome); },
    get closed() { return session.closed; },
    get tick() { return session.own?.tick ?? null; },
    /** Own authoritative position from the newest Frame. */
    get serverPosition() { return session.serverPosition(); },
    get own() { return plain(session.own); },
    /** Own predicted position at the newest Frame's tick and now. */
    get predicted() {
      const t = session.tickAt(performance.now());
      const p = t === null ? null : prediction.at(Math.floor(t));
      return p ? { x: Math.round(p.x), y: Math.round(p.y) } : null;
    },
    get predictionFailure() { return prediction.failure; },
    /** Where the own character was last drawn. */
    get position() { return renderer.ownDrawn; },
    chunks: () => [...session.chunks.values()].map((c) => ({ cx: c.cx, cy: c.cy, version: c.version, objects: c.objects.length, drawn: !!c.drawn })),
    entities: () => [...session.entities.values()].map(plain),
    objects: () => [...session.chunks.values()].flatMap((c) => c.objects.map((o) => ({
      id: str(o.entity), kind: o.kind, name: content.objectById.get(o.kind)?.name ?? null, x: o.x, y: o.y, state: o.state,
    }))),
    inventory: () => {
      const inv = session.inventory();
      if (!inv) return null;
      return [...inv.slots.values()].map((s) => ({ ...plain(s), name: itemName(content, s.kind) }));
    },
    containers: () => plain(session.containers),
    get errors() { return plain(session.errors); },
    get chat() { return plain(session.chat); },
    get stats() { return plain(session.stats); },
    get craft() { return plain(session.craft); },
    get counters() { return { ...session.counters, sent: conn.sent, drawn: { ...renderer.drawn } }; },
    /** rAF deltas (ms) since the last reset. */
    frameTimes: () => frames.times(),
    resetFrameTimes: () => frames.reset(),
    fps: () => frames.fps(),
  };
}

start();
