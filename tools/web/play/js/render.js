// Draws the world on the game canvas: held chunks' terrain (drawn once per chunk offscreen, blitted each frame), objects, characters and the own character, with a camera on the own character.
import { objectLook } from './content.js';
import { positionAt } from './movement.js';

const CHUNK_TILES = 128;
const TILE = 256;
const CHUNK_UNITS = CHUNK_TILES * TILE;

/** Renders a session onto a canvas; also answers what lies under a screen point. */
export class Renderer {
  constructor(canvas, session, prediction) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d', { alpha: false });
    this.session = session;
    this.prediction = prediction;
    this.pxPerTile = 20;
    this.camera = { x: 0, y: 0 }; // world units at the canvas centre
    this.drawn = { entities: 0, objects: 0, chunks: 0 };
    this.entityPositions = new Map(); // id string -> {x, y} as last drawn
    this.ownDrawn = null;
    this.moveMarker = null;
    this.looks = new Map();
  }

  look(kind) {
    let look = this.looks.get(kind);
    if (!look) this.looks.set(kind, (look = objectLook(this.session.content, kind)));
    return look;
  }

  /** Canvas size follows its CSS box. */
  fit() {
    const { clientWidth: w, clientHeight: h } = this.canvas;
    if (w && h && (this.canvas.width !== w || this.canvas.height !== h)) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
  }

  scale() {
    return this.pxPerTile / TILE;
  }

  toScreen(x, y) {
    const k = this.scale();
    return [(x - this.camera.x) * k + this.canvas.width / 2, (y - this.camera.y) * k + this.canvas.height / 2];
  }

  toWorld(sx, sy) {
    const k = this.scale();
    return [Math.round((sx - this.canvas.width / 2) / k + this.camera.x), Math.round((sy - this.canvas.height / 2) / k + this.camera.y)];
  }

  /** Draws one frame at `now` (ms). */
  draw(now) {
    this.fit();
    const s = this.session;
    const ctx = this.ctx;
    ctx.fillStyle = '#101418';
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    if (!s.own) return;
    const t = s.tickAt(now);
    const own = this.prediction.drawAt(t);
    this.ownDrawn = own;
    this.camera = { x: own.x, y: own.y };
    this.drawTerrain();
    this.drawObjects();
    this.drawMarker();
    this.drawEntities(t);
    this.drawOwn(own);
  }

  drawTerrain() {
    const ctx = this.ctx;
    ctx.imageSmoothingEnabled = false;
    const side = CHUNK_TILES * this.pxPerTile;
    let n = 0;
    for (const chunk of this.session.chunks.values()) {
      chunk.drawn ??= this.terrainImage(chunk);
      const [sx, sy] = this.toScreen(chunk.cx * CHUNK_UNITS, chunk.cy * CHUNK_UNITS);
      if (sx > this.canvas.width || sy > this.canvas.height || sx + side < 0 || sy + side < 0) continue;
      ctx.drawImage(chunk.drawn, sx, sy, side, side);
      n += 1;
    }
    this.drawn.chunks = n;
  }

  /** The chunk's terrain at one pixel per tile, drawn once. */
  terrainImage(chunk) {
    const palette = this.session.content.palette;
    const canvas = typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(CHUNK_TILES, CHUNK_TILES) : Object.assign(document.createElement('canvas'), { width: CHUNK_TILES, height: CHUNK_TILES });
    const octx = canvas.getContext('2d');
    const image = octx.createImageData(CHUNK_TILES, CHUNK_TILES);
    const words = new Uint32Array(image.data.buffer);
    const terrain = chunk.terrain;
    for (let i = 0; i < words.length; i++) words[i] = palette[terrain[i]] || 0xff808080;
    octx.putImageData(image, 0, 0);
    chunk.terrainDrawnAt = performance.now();
    return canvas;
  }

  visible(sx, sy, r) {
    return sx + r >= 0 && sy + r >= 0 && sx - r <= this.canvas.width && sy - r <= this.canvas.height;
  }

  drawObjects() {
    const ctx = this.ctx;
    const k = this.scale();
    let n = 0;
    for (const chunk of this.session.chunks.values()) {
      for (const o of chunk.objects) {
        const look = this.look(o.kind);
        const grown = look.stages ? 0.45 + 0.55 * ((o.state + 1) / look.stages.length) : 1;
        const r = Math.max(3, look.radius * k * grown * look.scale);
        const [sx, sy] = this.toScreen(o.x, o.y);
        if (!this.visible(sx, sy, r)) continue;
        n += 1;
        ctx.fillStyle = look.fill;
        ctx.strokeStyle = look.stroke;
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        if (look.square) ctx.rect(sx - r, sy - r, 2 * r, 2 * r);
        else ctx.arc(sx, sy, r, 0, Math.PI * 2);
        ctx.fill();
        ctx.stroke();
      }
    }
    this.drawn.objects = n;
  }

  drawEntities(t) {
    const ctx = this.ctx;
    const s = this.session;
    const r = Math.max(3, s.content.character.radius * this.scale());
    this.entityPositions.clear();
    let n = 0;
    for (const [key, e] of s.entities) {
      const [x, y] = positionAt(e, t === null ? 0 : t - e.tick); // dead reckoning, fractional ticks
      this.entityPositions.set(key, { x, y });
      const [sx, sy] = this.toScreen(x, y);
      if (!this.visible(sx, sy, r)) continue;
      n += 1;
      ctx.fillStyle = e.hp === 0 ? '#555' : e.kind === 1 ? '#3d7ee0' : '#c8553d';
      ctx.beginPath();
      ctx.arc(sx, sy, r, 0, Math.PI * 2);
      ctx.fill();
    }
    this.drawn.entities = n;
  }

  drawOwn(own) {
    const ctx = this.ctx;
    const r = Math.max(4, this.session.content.character.radius * this.scale());
    const [sx, sy] = this.toScreen(own.x, own.y);
    ctx.fillStyle = '#f2d24b';
    ctx.strokeStyle = '#ffffff';
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.arc(sx, sy, r, 0, Math.PI * 2);
    ctx.fill();
    ctx.stroke();
  }

  drawMarker() {
    const own = this.session.own;
    if (!this.moveMarker || !own || own.order !== 1) return;
    const [sx, sy] = this.toScreen(this.moveMarker.x, this.moveMarker.y);
    const ctx = this.ctx;
    ctx.strokeStyle = '#ffffff';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(sx - 6, sy - 6);
    ctx.lineTo(sx + 6, sy + 6);
    ctx.moveTo(sx + 6, sy - 6);
    ctx.lineTo(sx - 6, sy + 6);
    ctx.stroke();
  }

  /** What lies under screen point (sx, sy): the nearest (relative to its size) of the own character, other characters and objects, else the ground. */
  pick(sx, sy) {
    const [x, y] = this.toWorld(sx, sy);
    const s = this.session;
    const slack = 4 / this.scale();
    let best = { type: 'ground', x, y };
    let bestScore = 1;
    const consider = (px, py, r, hit) => {
      const score = Math.hypot(px - x, py - y) / (r + slack);
      if (score <= bestScore) {
        bestScore = score;
        best = { ...hit, x, y };
      }
    };
    const cr = s.content.character.radius;
    if (this.ownDrawn) consider(this.ownDrawn.x, this.ownDrawn.y, cr, { type: 'self', id: s.player });
    for (const [key, p] of this.entityPositions) consider(p.x, p.y, cr, { type: 'entity', id: BigInt(key), entity: s.entities.get(key) });
    for (const chunk of s.chunks.values()) {
      for (const o of chunk.objects) {
        if (Math.abs(o.x - x) < 4096 && Math.abs(o.y - y) < 4096) consider(o.x, o.y, this.look(o.kind).radius, { type: 'object', id: o.entity, object: o });
      }
    }
    return best;
  }
}
