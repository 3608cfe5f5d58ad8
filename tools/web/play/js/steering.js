// steering.js — exact port of game/src/steering.rs: an order's aim becomes a movement goal, and the stuck rule (Progress).
//
// `rules` is the content's character table as /content.json gives it: { radius, max_speed, interact_range }.
// Positions are [x, y] (1/256 tile). Aims: { kind: 'point', x, y } | { kind: 'follow', at, radius } |
// { kind: 'act', at, radius } | { kind: 'strike', at, radius, range }. Steering: { kind: 'go', goal } |
// { kind: 'arrived' } | { kind: 'out_of_range' }. A goal is { x, y, stopDist }.

import { dist } from './movement.js';

/** Gap a follower keeps from its target, edge to edge (1/256 tile). */
export const FOLLOW_GAP = 16;
/** Progress's stuck counter saturates here (u16). */
const STUCK_MAX = 0xffff;

/** A move-to goal: walk onto the point itself. */
export function goalMoveTo(x, y) {
  return { x, y, stopDist: 0 };
}

/** A follow goal: walk toward the target until FOLLOW_GAP apart, edge to edge. */
export function goalFollow([x, y], radius, targetRadius) {
  return { x, y, stopDist: (radius + targetRadius + FOLLOW_GAP) | 0 };
}

/** An interact or attack goal: walk toward the target until within `reach`. */
export function goalApproach([x, y], reach) {
  return { x, y, stopDist: reach };
}

/** The movement request (movement.step's input) of a character with `rules` at `pos` steering to `goal`. */
export function stepInput(goal, rules, [x, y]) {
  return { x, y, radius: rules.radius, speed: rules.max_speed, goalX: goal.x, goalY: goal.y, stopDist: goal.stopDist };
}

/** Centre-to-centre distance at which an interact acts on a target of `targetRadius`. */
export function actionReach(rules, targetRadius) {
  return (rules.radius + targetRadius + rules.interact_range) | 0;
}

/** Centre-to-centre distance at which an attack with a weapon of `range` lands on a target of `targetRadius`. */
export function attackReach(rules, targetRadius, range) {
  return (rules.radius + targetRadius + range) | 0;
}

/** Progress toward a goal: steps in a row that came no nearer than the character has been (the stuck rule). */
export class Progress {
  constructor() {
    this.goal = [0, 0];
    this.best = null;
    this.stuckTicks = 0;
  }

  /** A copy (the predictor keeps one per predicted tick). */
  clone() {
    const p = new Progress();
    p.goal = [this.goal[0], this.goal[1]];
    p.best = this.best;
    p.stuckTicks = this.stuckTicks;
    return p;
  }

  /** Records a step toward `goal` that ended at `at`, within the stop distance if `arrived`. */
  track(goal, at, arrived) {
    if (this.goal[0] !== goal.x || this.goal[1] !== goal.y) {
      this.goal = [goal.x, goal.y];
      this.best = null;
      this.stuckTicks = 0;
    }
    const left = dist((goal.x - at[0]) | 0, (goal.y - at[1]) | 0);
    const nearer = this.best === null || left < this.best;
    if (nearer) this.best = left;
    this.stuckTicks = nearer || arrived ? 0 : Math.min(this.stuckTicks + 1, STUCK_MAX);
  }

  /** Steps in a row that brought the character no nearer its goal. */
  stuck() {
    return this.stuckTicks;
  }
}

/** The steering of a character with `rules` at `pos` for `aim`, with the server's `followRange`. */
export function steer(aim, pos, rules, followRange) {
  const away = ([x, y]) => dist((x - pos[0]) | 0, (y - pos[1]) | 0);
  switch (aim.kind) {
    case 'point':
      if (pos[0] === aim.x && pos[1] === aim.y) return { kind: 'arrived' };
      return { kind: 'go', goal: goalMoveTo(aim.x, aim.y) };
    case 'follow':
      if (away(aim.at) > followRange) return { kind: 'out_of_range' };
      return { kind: 'go', goal: goalFollow(aim.at, rules.radius, aim.radius) };
    case 'act':
      return approach(aim.at, away(aim.at), actionReach(rules, aim.radius));
    case 'strike':
      return approach(aim.at, away(aim.at), attackReach(rules, aim.radius, aim.range));
    default:
      throw new Error(`unknown aim ${aim.kind}`);
  }
}

function approach(at, away, reach) {
  return away <= reach ? { kind: 'arrived' } : { kind: 'go', goal: goalApproach(at, reach) };
}
