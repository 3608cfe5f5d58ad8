// The live map page's behaviour: polls /map/state every second, draws chunks and characters on the canvas, pan and zoom, player details.

import {
  CHUNK_TILES, DOT, MARK, THUMB_SIDE, chunksOf, forEachCharacter, frame, playerAt, playersOf,
  thumbnailPixels, toScreen, withToken, zoomAt,
} from './model.js';

const POLL_MS = 1000;
const MAX_THUMB_FETCHES = 6;
const THUMB_RETRY_MS = 5000; // a chunk without a thumbnail yet is asked for again after this

/** Starts the page in `doc`; `search` is the page's query string (carries `?token=`). */
export function start(doc, search) {
  const css = doc.createElement('link');
  css.rel = 'stylesheet';
  css.href = withToken('/map/map.css', search);
  doc.head.append(css);
  const page = new MapPage(doc, search);
  window.mapPage = page; // for browser tests: screenOf()
  page.poll();
  return page;
}

class MapPage {
  constructor(doc, search) {
    this.doc = doc;
    this.search = search;
    this.canvas = doc.getElementById('map-canvas');
    this.ctx = this.canvas.getContext('2d');
    this.panel = doc.getElementById('panel');
    this.details = doc.getElementById('player-details');
    this.select = doc.getElementById('map-select');
    this.statusLine = doc.getElementById('status-line');
    this.state = null;
    this.mapId = null;
    this.view = null;
    this.thumbs = new Map(); // "map,cx,cy" -> canvas | 'pending' | 'missing'
    this.fetching = 0;
    this.selected = null; // entity of the player whose details show
    this.bindInput();
    this.select.addEventListener('change', () => {
      this.mapId = Number(this.select.value);
      this.view = null;
      this.draw();
    });
    new ResizeObserver(() => this.draw()).observe(this.canvas);
  }

  async poll() {
    try {
      const res = await fetch(withToken('/map/state', this.search), { cache: 'no-store' });
      if (!res.ok) throw new Error(`${res.status} ${(await res.text()).trim()}`);
      this.state = await res.json();
      window.mapState = this.state;
      this.statusLine.textContent = `tick ${this.state.tick} · updated ${new Date().toLocaleTimeString()}`;
      this.onState();
    } catch (e) {
      this.statusLine.textContent = `cannot read /map/state: ${e.message}`;
    }
    setTimeout(() => this.poll(), POLL_MS);
  }

  onState() {
    const ids = this.state.maps.map((m) => m.id);
    if (this.select.options.length !== ids.length) {
      this.select.replaceChildren(...ids.map((id) => new Option(`map ${id}`, id)));
    }
    if (!ids.includes(this.mapId)) this.mapId = ids[0] ?? null;
    this.select.value = this.mapId;
    this.renderPanel();
    if (this.selected !== null) this.showPlayer(this.selected);
    this.draw();
  }

  currentMap() {
    return this.state?.maps.find((m) => m.id === this.mapId) ?? null;
  }

  renderPanel() {
    const s = this.state;
    const p = s.panel;
    const map = this.currentMap();
    const rows = [
      ['tick p50 / p99', `${p.tick_p50_ms.toFixed(2)} / ${p.tick_p99_ms.toFixed(2)} ms`],
      ['clients', p.clients], ['players', p.players], ['bots', p.bots], ['entities', p.entities],
      ['storage queue', p.storage_queue],
      ['chunks resident', p.chunks_resident], ['chunks loading', p.chunks_loading],
      ['chunks saving', p.chunks_saving],
      ['characters shown', map ? `${map.characters.length / 4} of ${map.total}` : '–'],
      ['players listed', `${s.players.length} of ${s.players_total}`],
      ['picture', `${s.paint_ms.toFixed(2)} ms`],
    ];
    const table = this.doc.createElement('table');
    for (const [name, value] of rows) {
      const tr = table.insertRow();
      tr.insertCell().textContent = name;
      tr.insertCell().textContent = String(value);
    }
    table.id = 'panel-table';
    this.panel.replaceChildren(table);
  }

  bindInput() {
    let drag = null;
    this.canvas.addEventListener('pointerdown', (e) => {
      drag = { x: e.clientX, y: e.clientY, moved: false };
      this.canvas.setPointerCapture(e.pointerId);
      this.canvas.classList.add('dragging');
    });
    this.canvas.addEventListener('pointermove', (e) => {
      if (!drag || !this.view) return;
      const [dx, dy] = [e.clientX - drag.x, e.clientY - drag.y];
      if (Math.abs(dx) + Math.abs(dy) > 2) drag.moved = true;
      this.view.x -= dx / this.view.scale;
      this.view.y -= dy / this.view.scale;
      [drag.x, drag.y] = [e.clientX, e.clientY];
      this.draw();
    });
    this.canvas.addEventListener('pointerup', (e) => {
      this.canvas.classList.remove('dragging');
      if (drag && !drag.moved) this.click(e);
      drag = null;
    });
    this.canvas.addEventListener('wheel', (e) => {
      e.preventDefault();
      if (!this.view) return;
      const [px, py] = this.pixel(e);
      this.view = zoomAt(this.view, this.canvas.width, this.canvas.height, px, py, e.deltaY < 0 ? 1.25 : 0.8);
      this.draw();
    }, { passive: false });
  }

  pixel(e) {
    const r = this.canvas.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }

  click(e) {
    if (!this.state || !this.view) return;
    const [px, py] = this.pixel(e);
    const players = playersOf(this.state).filter((p) => p.map === this.mapId);
    const hit = playerAt(players, this.view, this.canvas.width, this.canvas.height, px, py);
    if (hit) this.showPlayer(hit.entity);
  }

  /** Canvas pixel of the player called `name` on the map in view, or null. */
  screenOf(name) {
    if (!this.state || !this.view) return null;
    const p = playersOf(this.state).find((q) => q.name === name && q.map === this.mapId);
    return p ? toScreen(this.view, this.canvas.width, this.canvas.height, p.x, p.y) : null;
  }

  async showPlayer(entity) {
    this.selected = entity;
    try {
      const res = await fetch(withToken(`/map/player?id=${entity}`, this.search), { cache: 'no-store' });
      if (!res.ok) {
        this.details.hidden = false;
        this.details.textContent = `player ${entity}: ${(await res.text()).trim()}`;
        return;
      }
      const p = await res.json();
      const rows = [
        ['entity', p.entity], ['map', p.map], ['position', `${p.x.toFixed(1)}, ${p.y.toFixed(1)}`],
        ['peer', p.peer], ['connected', `${p.connected_s} s`],
        ['down', `${p.down_bps} B/s`], ['up', `${p.up_bps} B/s`],
      ];
      const h = this.doc.createElement('h2');
      h.textContent = p.name;
      const table = this.doc.createElement('table');
      for (const [k, v] of rows) {
        const tr = table.insertRow();
        tr.insertCell().textContent = k;
        tr.insertCell().textContent = String(v);
      }
      this.details.replaceChildren(h, table);
      this.details.dataset.entity = String(p.entity);
      this.details.hidden = false;
    } catch (err) {
      this.details.textContent = `cannot read the player: ${err.message}`;
    }
  }

  thumb(mapId, cx, cy) {
    const key = `${mapId},${cx},${cy}`;
    const cached = this.thumbs.get(key);
    if (cached !== undefined || this.fetching >= MAX_THUMB_FETCHES) return cached;
    this.thumbs.set(key, 'pending');
    this.fetching += 1;
    const url = withToken(`/map/terrain?map=${mapId}&cx=${cx}&cy=${cy}`, this.search);
    fetch(url)
      .then(async (res) => {
        if (!res.ok) return this.missing(key);
        const ids = new Uint8Array(await res.arrayBuffer());
        if (ids.length !== THUMB_SIDE * THUMB_SIDE) return this.missing(key);
        const c = this.doc.createElement('canvas');
        [c.width, c.height] = [THUMB_SIDE, THUMB_SIDE];
        c.getContext('2d').putImageData(new ImageData(thumbnailPixels(ids), THUMB_SIDE), 0, 0);
        this.thumbs.set(key, c);
        return this.draw();
      })
      .catch(() => this.thumbs.delete(key))
      .finally(() => { this.fetching -= 1; });
    return 'pending';
  }

  /** No thumbnail yet (e.g. the chunk was still loading): asked again after a while. */
  missing(key) {
    this.thumbs.set(key, 'missing');
    setTimeout(() => this.thumbs.delete(key), THUMB_RETRY_MS);
  }

  draw() {
    const { canvas, ctx } = this;
    const [w, h] = [canvas.clientWidth, canvas.clientHeight];
    if (canvas.width !== w || canvas.height !== h) [canvas.width, canvas.height] = [w, h];
    ctx.fillStyle = '#111';
    ctx.fillRect(0, 0, w, h);
    const map = this.currentMap();
    if (!map) return;
    if (!this.view) this.view = frame(map, w, h);
    this.drawChunks(map, w, h);
    this.drawCharacters(map, w, h);
  }

  drawChunks(map, w, h) {
    const { ctx, view } = this;
    const side = CHUNK_TILES * view.scale;
    const [bx, by] = toScreen(view, w, h, 0, 0);
    ctx.strokeStyle = '#333';
    ctx.strokeRect(bx, by, map.width_chunks * side, map.height_chunks * side);
    ctx.imageSmoothingEnabled = false;
    const outline = { [MARK.LOADING]: '#ff0', [MARK.SAVING]: '#f0f', [MARK.DIRTY]: '#f55', [MARK.QUARANTINED]: '#f00' };
    for (const { cx, cy, mark } of chunksOf(map)) {
      const [x, y] = toScreen(view, w, h, cx * CHUNK_TILES, cy * CHUNK_TILES);
      if (x > w || y > h || x + side < 0 || y + side < 0) continue;
      const t = mark === MARK.LOADING ? undefined : this.thumb(map.id, cx, cy);
      if (t instanceof HTMLCanvasElement) ctx.drawImage(t, x, y, side, side);
      else {
        ctx.fillStyle = '#222';
        ctx.fillRect(x, y, side, side);
      }
      if (outline[mark]) {
        // Unsaved changes are common and dashed; loading, saving and quarantine stand out.
        ctx.strokeStyle = outline[mark];
        ctx.lineWidth = mark === MARK.DIRTY ? 1 : 2;
        ctx.setLineDash(mark === MARK.DIRTY ? [4, 4] : []);
        ctx.strokeRect(x + 1, y + 1, side - 2, side - 2);
        ctx.setLineDash([]);
        ctx.lineWidth = 1;
      }
    }
  }

  drawCharacters(map, w, h) {
    const { ctx, view } = this;
    forEachCharacter(map, (id, x, y, flags) => {
      if (!(flags & DOT.BOT)) return; // players are drawn on top, from the players list
      const [sx, sy] = toScreen(view, w, h, x + 0.5, y + 0.5);
      if (sx < -2 || sy < -2 || sx > w + 2 || sy > h + 2) return;
      ctx.fillStyle = flags & DOT.DEAD ? '#777' : '#f93';
      ctx.fillRect(sx - 1, sy - 1, 3, 3);
    });
    const dead = new Set();
    forEachCharacter(map, (id, x, y, flags) => { if (!(flags & DOT.BOT) && flags & DOT.DEAD) dead.add(id); });
    ctx.font = '11px system-ui, sans-serif';
    for (const p of playersOf(this.state)) {
      if (p.map !== map.id) continue;
      const [sx, sy] = toScreen(view, w, h, p.x, p.y);
      ctx.fillStyle = dead.has(p.entity) ? '#777' : '#3cf';
      ctx.beginPath();
      ctx.arc(sx, sy, p.entity === this.selected ? 6 : 4, 0, 2 * Math.PI);
      ctx.fill();
      if (view.scale >= 0.5) ctx.fillText(p.name, sx + 6, sy - 6);
    }
  }
}
