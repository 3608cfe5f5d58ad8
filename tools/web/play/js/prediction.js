// The own character's predicted position: predict.js's Predictor fed with the session's Frames, chunks and Inputs, interpolated within the tick for drawing.
import * as predict from './predict.js';
import { positionAt } from './movement.js';

/** Prediction for one session; falls back to the server's dead reckoning when the predictor cannot run. */
export class Prediction {
  constructor(session) {
    this.session = session;
    this.predictor = null;
    this.failure = null;
    this.lastFrameTick = null;
    session.subscribe((what) => this.on(what));
  }

  on(what) {
    const s = this.session;
    if (what === 'Welcome') this.start();
    else if (what === 'ContainerContents' || what === 'ContainerChange') this.weapon();
    else if (what === 'Frame' && this.predictor && s.own.tick !== this.lastFrameTick) {
      this.lastFrameTick = s.own.tick;
      this.guard(() => this.predictor.onFrame(this.world(), s.lastFrame));
    } else if (what === 'ChunkData' || what === 'ChunkDrop' || what === 'ObjectDelta') {
      this.guard(() => this.predictor?.invalidate());
    }
  }

  start() {
    this.lastFrameTick = null;
    this.failure = null;
    this.guard(() => {
      const { character, movement } = this.session.content;
      this.predictor = new predict.Predictor(character, movement);
      this.predictor.reset?.();
    });
  }

  /** Attack orders approach to the reach of the weapon in the own hand slot. */
  weapon() {
    const inv = this.session.inventory();
    const hand = inv?.slots.get(this.session.content.item_rules.inventory_slots);
    const range = hand ? this.session.content.itemById.get(hand.kind)?.weapon?.range ?? 0 : 0;
    this.guard(() => this.predictor?.setWeaponRange(range));
  }

  guard(fn) {
    try {
      return fn();
    } catch (e) {
      this.failure = `${e.message}`;
      this.predictor = null;
      return undefined;
    }
  }

  /** The chunks as the terrain prediction walks on (a tile of a chunk not held blocks). */
  get terrain() {
    return this.session.cache;
  }

  /** What the predictor reads of the world (the Rust `ClientWorld`'s methods it calls). */
  world() {
    const s = this.session;
    return {
      player: () => s.player,
      entity: (id) => {
        const e = s.entities.get(String(id));
        return e ? { kind: e.kind, state: e, tick: BigInt(e.tick) } : null;
      },
      chunks: () => s.cache,
    };
  }

  /** Records an Input sent now: it takes effect at the tick after the one the server runs. */
  recordInput(input) {
    const tick = this.session.tickAt(performance.now());
    const applyTick = tick === null ? 0n : BigInt(Math.floor(tick) + 1);
    this.guard(() => this.predictor?.recordInput(input, applyTick));
  }

  /** Predicted own position at whole tick `tick` (Number), or null; a tick further than the predictor looks past the newest Frame (a slow server ticks later than the clock says) is taken as its farthest. */
  at(tick) {
    const own = this.session.own;
    if (!this.predictor || !own) return null;
    const t = Math.min(Math.max(tick, own.tick), own.tick + Number(predict.MAX_PREDICT_TICKS ?? 64));
    const p = this.guard(() => this.predictor.predicted(this.world(), BigInt(t)));
    if (!p) return null;
    return Array.isArray(p) ? { x: p[0], y: p[1] } : p;
  }

  /** Where to draw the own character at fractional tick `t`: the prediction interpolated between whole ticks, else dead reckoning. */
  drawAt(t) {
    const own = this.session.own;
    if (!own) return null;
    if (t === null) return { x: own.x, y: own.y };
    const base = Math.max(Math.floor(t), own.tick);
    const a = this.at(base);
    const b = a && this.at(base + 1);
    if (a && b) {
      const f = Math.min(1, Math.max(0, t - base));
      return { x: a.x + (b.x - a.x) * f, y: a.y + (b.y - a.y) * f };
    }
    const [x, y] = positionAt(own, t - own.tick);
    return { x, y };
  }
}
