// predict.js — client prediction with server reconciliation: an exact port of game/src/client/predict.rs (the Rust `Predictor`, methods in camelCase).
//
// The world the predictor reads is `{ player() -> BigInt|null, chunks() -> ChunkCache (chunk_cache.js),
// entity(id: BigInt) -> { state: {x, y, vx, vy, ...}, tick: BigInt } | null }` (another character's last
// record and the tick of the frame that carried it). Inputs are decoded-form Input messages
// `{ type: 'Input', seq, order, action, target, x, y }`; frames are decoded Frame messages (protocol.js);
// ticks are BigInt; positions [x, y].

import { ORDER } from './protocol_codes.js';
import { TILE, dist, step as moveStep, heldPositionAt } from './movement.js';
import { Progress, steer, stepInput } from './steering.js';

/** A prediction further than this from the authoritative position counts as mispredicted (1/8 tile). */
export const MISPREDICT_THRESHOLD = TILE / 8;
/** Most ticks predicted past the newest frame; further asks get null. */
export const MAX_PREDICT_TICKS = 64n;
/** Most unapplied inputs kept. */
const MAX_PENDING = 256;
/** The server's default `SimConfig` (what /content.json's `movement` carries). */
export const DEFAULT_MOVEMENT = Object.freeze({ stuck_ticks: 40, follow_range: 64 * TILE });

/** The order's target entity: 0n for stop and move-to (as Rust's `Order::target`). */
export function orderTarget(input) {
  return input.order === ORDER.STOP || input.order === ORDER.MOVE_TO ? 0n : BigInt(input.target ?? 0);
}

function copyStep(s) {
  return { pos: [s.pos[0], s.pos[1]], origin: s.origin, progress: s.progress.clone(), ended: s.ended };
}

/** Predicts the own character's position from the newest frame and the inputs in flight. */
export class Predictor {
  /** rules: /content.json's `character`; movement: its `movement` ({ stuck_ticks, follow_range }). */
  constructor(rules, movement = DEFAULT_MOVEMENT) {
    this.rules = rules;
    this.followRange = movement.follow_range;
    this.stuckTicks = movement.stuck_ticks;
    this.weaponRange = 0;
    this.pendingInputs = [];
    this.applied = null;
    this.base = null;
    this.path = [];
    this.counters = { predictions: 0, mispredicted: 0, maxError: 0 };
  }

  /** Uses the server's follow range instead of the default; returns this. */
  withFollowRange(followRange) {
    this.followRange = followRange;
    return this;
  }

  /** Forgets the session (inputs, base); counters stay. */
  reset() {
    this.pendingInputs = [];
    this.applied = null;
    this.base = null;
    this.path = [];
  }

  /** The reach of the weapon in the own hand (the fist's when empty): attack orders approach to it. */
  setWeaponRange(range) {
    if (this.weaponRange !== range) {
      this.weaponRange = range;
      this.path = [];
    }
  }

  /** Records an Input sent (in increasing seq order) that the server should apply at `applyTick` (BigInt). */
  recordInput(input, applyTick) {
    if (this.pendingInputs.length === MAX_PENDING) this.pendingInputs.shift();
    this.pendingInputs.push({ input, applyTick: BigInt(applyTick) });
    this.path = [];
  }

  /** Drops cached predictions (call when the terrain changed: a chunk arrived or left, an ObjectDelta applied). */
  invalidate() {
    this.path = [];
  }

  /** Inputs sent and not yet applied by the server, oldest first. */
  pending() {
    return this.pendingInputs.map((p) => p.input);
  }

  /** Misprediction counters { predictions, mispredicted, maxError }. */
  stats() {
    return { ...this.counters };
  }

  /** Reconciles with a frame already applied to `world`: scores the prediction for its tick, drops applied inputs, restarts from it. */
  onFrame(world, frame) {
    if (this.base !== null && frame.tick <= this.base.tick) return;
    const predicted = this.predicted(world, frame.tick);
    if (predicted !== null) this.score(predicted, [frame.own.x, frame.own.y]);
    const reached = this.stepAt(frame.tick);
    while (this.pendingInputs.length > 0 && this.pendingInputs[0].input.seq <= frame.last_input_seq) {
      const p = this.pendingInputs.shift();
      this.applied = { input: p.input, seq: p.input.seq };
    }
    const origin = this.applied === null ? null : this.applied.seq;
    const progress = reached !== null && reached.origin === origin ? reached.progress.clone() : new Progress();
    this.base = {
      tick: frame.tick,
      pos: [frame.own.x, frame.own.y],
      orderKind: frame.own.order,
      orderTarget: frame.own.order_target,
      progress,
    };
    this.path = [];
  }

  score(predicted, actual) {
    const err = dist((predicted[0] - actual[0]) | 0, (predicted[1] - actual[1]) | 0);
    this.counters.predictions += 1;
    this.counters.maxError = Math.max(this.counters.maxError, err);
    if (err > MISPREDICT_THRESHOLD) this.counters.mispredicted += 1;
  }

  /** Predicted own position [x, y] at `tick` (BigInt; at or after the newest frame's, at most MAX_PREDICT_TICKS past it), else null. */
  predicted(world, tick) {
    const base = this.base;
    if (base === null) return null;
    const t0 = BigInt(tick);
    if (t0 < base.tick) return null;
    const ahead = t0 - base.tick;
    if (ahead === 0n) return [base.pos[0], base.pos[1]];
    if (ahead > MAX_PREDICT_TICKS) return null;
    while (BigInt(this.path.length) < ahead) {
      const t = base.tick + 1n + BigInt(this.path.length);
      const inForce = this.orderAt(base, t);
      const origin = inForce === null ? null : inForce.seq;
      const last = this.path[this.path.length - 1];
      const s = last !== undefined ? copyStep(last) : {
        pos: [base.pos[0], base.pos[1]],
        origin: this.applied === null ? null : this.applied.seq,
        progress: base.progress.clone(),
        ended: false,
      };
      if (s.origin !== origin) {
        s.origin = origin;
        s.progress = new Progress();
        s.ended = false;
      }
      const order = inForce !== null && !s.ended ? inForce.input : null;
      this.advance(world, order, t, s);
      this.path.push(s);
    }
    const p = this.path[Number(ahead) - 1].pos;
    return [p[0], p[1]];
  }

  /** The predicted step for `tick`, if the current path holds it. */
  stepAt(tick) {
    if (this.base === null || tick <= this.base.tick) return null;
    const ahead = tick - this.base.tick;
    if (ahead > BigInt(this.path.length)) return null;
    return this.path[Number(ahead) - 1];
  }

  /** The order in force at tick `t`: the newest unapplied input due by then, else the applied one while the frame reports it. */
  orderAt(base, t) {
    for (let i = this.pendingInputs.length - 1; i >= 0; i--) {
      const p = this.pendingInputs[i];
      const due = p.applyTick > base.tick + 1n ? p.applyTick : base.tick + 1n;
      if (due <= t) return { input: p.input, seq: p.input.seq };
    }
    if (this.applied === null) return null;
    const { input } = this.applied;
    const same = base.orderKind !== ORDER.STOP && input.order === base.orderKind
      && orderTarget(input) === base.orderTarget;
    return same ? this.applied : null;
  }

  /** One server tick under `order` (an Input or null) from step `s` (the state after tick t − 1). */
  advance(world, order, t, s) {
    if (order === null) return;
    const pos = s.pos;
    const goal = this.goal(world, order, pos, t);
    if (goal === null) return;
    const endsWhenStuck = order.order !== ORDER.FOLLOW;
    if (endsWhenStuck && s.progress.stuck() >= this.stuckTicks) {
      s.ended = true;
      return;
    }
    const terrain = world.chunks();
    const reach = (this.rules.max_speed + this.rules.radius + terrain.maxObjectRadius()) | 0;
    const circles = terrain.circlesNear(pos[0], pos[1], reach);
    const out = moveStep(stepInput(goal, this.rules, pos), terrain, circles);
    if (endsWhenStuck) s.progress.track(goal, [out.x, out.y], out.arrived);
    s.pos = [out.x, out.y];
  }

  /** The steering goal of `order` at tick `t` (targets read where they stood after tick t − 1); null when not moving. */
  goal(world, order, pos, t) {
    let aim;
    if (order.order === ORDER.MOVE_TO) {
      aim = { kind: 'point', x: order.x, y: order.y };
    } else if (order.order === ORDER.FOLLOW || order.order === ORDER.INTERACT || order.order === ORDER.ATTACK) {
      const target = this.target(world, orderTarget(order), t);
      if (target === null) return null;
      const [at, radius] = target;
      if (order.order === ORDER.FOLLOW) aim = { kind: 'follow', at, radius };
      else if (order.order === ORDER.INTERACT) aim = { kind: 'act', at, radius };
      else aim = { kind: 'strike', at, radius, range: this.weaponRange };
    } else {
      return null;
    }
    const steering = steer(aim, pos, this.rules, this.followRange);
    return steering.kind === 'go' ? steering.goal : null;
  }

  /** Where a target stood after tick t − 1 and its radius: an object of a held chunk, else a held character. */
  target(world, target, t) {
    if (target === 0n || world.player() === target) return null;
    const o = world.chunks().object(target);
    if (o !== null) return [[o.x, o.y], o.radius];
    const held = world.entity(target);
    if (held === null || held === undefined) return null;
    return [heldPositionAt(held, t > 0n ? t - 1n : 0n), this.rules.radius];
  }
}
