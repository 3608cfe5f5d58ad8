// movement.test.mjs — movement.js and steering.js against Rust's outputs: single steps, steering, multi-tick walks with the stuck rule, dead reckoning.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { step, dist, isqrt, deadReckon, heldPositionAt, mulDiv } from '../../play/js/movement.js';
import { steer, Progress } from '../../play/js/steering.js';
import { load, needsVectors } from './vectors.mjs';

/** The Rust test terrain: a tile grid, tiles outside it all blocking or not, a border. */
function gridTerrain(g) {
  return {
    tileBlocked(tx, ty) {
      const lx = tx - g.tx0, ly = ty - g.ty0;
      if (lx < 0 || ly < 0 || lx >= g.w || ly >= g.h) return g.outside;
      return g.blocked[ly * g.w + lx] === '1';
    },
    bounds: () => g.bounds,
  };
}

const circles = (list) => list.map(([x, y, r]) => ({ x, y, r }));

test('movement.step gives Rust\'s position, arrival and blocking in every case', needsVectors, () => {
  const v = load('movement.json');
  const terrains = v.terrains.map(gridTerrain);
  let moved = 0, blocked = 0;
  for (const c of v.steps) {
    const out = step(c, terrains[c.t], circles(c.circles));
    assert.deepEqual([out.x, out.y, out.arrived, out.blocked], c.out, JSON.stringify(c));
    if (out.x !== c.x || out.y !== c.y) moved++;
    if (out.blocked) blocked++;
  }
  assert.ok(moved > 1000 && blocked > 100, `cases cover moving (${moved}) and blocking (${blocked})`);
});

test('steer turns every aim into Rust\'s steering', needsVectors, () => {
  for (const c of load('movement.json').steers) {
    assert.deepEqual(steer(c.aim, c.pos, c.rules, c.followRange), c.out, JSON.stringify(c));
  }
});

test('walks toward drifting aims follow Rust tick by tick, stuck counts included', needsVectors, () => {
  const v = load('movement.json');
  const terrains = v.terrains.map(gridTerrain);
  for (const w of v.walks) {
    const t = terrains[w.t];
    const cs = circles(w.circles);
    const progress = new Progress();
    let pos = w.start;
    w.aims.forEach((aim, tick) => {
      const s = steer(aim, pos, w.rules, w.followRange);
      if (s.kind === 'go') {
        const o = step({ x: pos[0], y: pos[1], radius: w.rules.radius, speed: w.rules.max_speed, goalX: s.goal.x,
          goalY: s.goal.y, stopDist: s.goal.stopDist }, t, cs);
        if (aim.kind !== 'follow') progress.track(s.goal, [o.x, o.y], o.arrived);
        pos = [o.x, o.y];
      }
      const kind = { go: 0, arrived: 1, out_of_range: 2 }[s.kind];
      assert.deepEqual([pos[0], pos[1], progress.stuck(), kind], w.out[tick], `walk tick ${tick}`);
    });
  }
});

test('dead reckoning matches Rust over large gaps and the cap', needsVectors, () => {
  const { dead, held } = load('movement.json').reckon;
  for (const c of dead) assert.equal(String(deadReckon(c.x, c.vx, BigInt(c.ticks))), c.out, JSON.stringify(c));
  for (const c of held) {
    const out = heldPositionAt({ state: c.state, tick: BigInt(c.record) }, BigInt(c.tick));
    assert.deepEqual(out, c.out, JSON.stringify(c));
  }
});

test('moving without coming nearer is no progress (the Rust unit test, ported)', () => {
  const goal = { x: 1000, y: 0, stopDist: 0 };
  const p = new Progress();
  p.track(goal, [0, 0], false);
  assert.equal(p.stuck(), 0, 'a first step is progress');
  [300, -300, 300, -300].forEach((y, k) => {
    p.track(goal, [0, y], false);
    assert.equal(p.stuck(), k + 1);
  });
  p.track(goal, [1, 0], false);
  assert.equal(p.stuck(), 0, 'one unit nearer than ever is progress');
  p.track(goal, [0, 0], false);
  p.track(goal, [0, 0], true);
  assert.equal(p.stuck(), 0, 'arrived is never stuck');
  p.track(goal, [0, 0], false);
  assert.equal(p.stuck(), 1);
  p.track({ x: 1000, y: 5, stopDist: 0 }, [0, 0], false);
  assert.equal(p.stuck(), 0, 'a goal that moved starts afresh');
});

test('integer helpers are exact beyond 2^53', () => {
  assert.equal(isqrt(2n ** 62n), 2 ** 31);
  assert.equal(isqrt(2n ** 62n - 1n), 2 ** 31 - 1);
  assert.equal(dist(2 ** 31, 2 ** 31), 3037000499);
  assert.equal(mulDiv(2 ** 31 - 1, 2 ** 31 - 1, 3), Number(((2n ** 31n - 1n) ** 2n) / 3n));
  assert.equal(mulDiv(-7, 3, 2), -10, 'truncates toward zero');
});
