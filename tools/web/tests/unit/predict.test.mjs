// predict.test.mjs — predict.js replays the scripted session of the Rust Predictor (tools/tests/web_vectors/predict.rs) call for call and must return the same positions and counters.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, decodeClient } from '../../play/js/protocol.js';
import { parseChunkPayload } from '../../play/js/chunk_layout.js';
import { ChunkCache, ChunkRules } from '../../play/js/chunk_cache.js';
import { Predictor } from '../../play/js/predict.js';
import { load, needsVectors, unhex } from './vectors.mjs';

/** The least world the predictor reads, kept as game/src/client/world.rs keeps it. */
class TestWorld {
  constructor(rules) {
    this.cache = new ChunkCache(rules);
    this.held = new Map();
    this.me = null;
  }

  player() { return this.me; }

  chunks() { return this.cache; }

  entity(id) { return this.held.get(id) ?? null; }

  welcome(msg) {
    this.me = msg.player;
    this.cache.reset({ id: msg.map, width_chunks: msg.width_chunks, height_chunks: msg.height_chunks });
  }

  frame(f) {
    for (const e of f.enters) this.held.set(e.id, { kind: e.kind, state: e, tick: f.tick });
    for (const u of f.updates) {
      const h = this.held.get(u.id);
      if (h !== undefined) Object.assign(h, { state: u, tick: f.tick });
    }
    for (const id of f.leaves) this.held.delete(id);
  }
}

test('the JavaScript Predictor returns what the Rust one returned, call for call', needsVectors, () => {
  const v = load('predict.json');
  const world = new TestWorld(ChunkRules.fromContent(v.content));
  const predictor = new Predictor(v.rules);
  let predictions = 0;
  for (const [i, e] of v.events.entries()) {
    const at = `event ${i} (${e.e})`;
    switch (e.e) {
      case 'welcome': world.welcome(decode(unhex(e.hex))); break;
      case 'chunk': {
        const chunk = parseChunkPayload({ map: 0, cx: e.cx, cy: e.cy, version: e.version }, unhex(e.raw));
        if (world.cache.wants(e.cx, e.cy, e.version)) world.cache.insert(chunk);
        break;
      }
      case 'frame': {
        const f = decode(unhex(e.hex));
        world.frame(f);
        predictor.onFrame(world, f);
        break;
      }
      case 'delta': world.cache.applyDelta(decode(unhex(e.hex))); break;
      case 'drop': { const d = decode(unhex(e.hex)); world.cache.remove(d.cx, d.cy); break; }
      case 'invalidate': predictor.invalidate(); break;
      case 'input': predictor.recordInput(decodeClient(unhex(e.hex)), BigInt(e.apply_tick)); break;
      case 'weapon': predictor.setWeaponRange(e.range); break;
      case 'predict':
        assert.deepEqual(predictor.predicted(world, BigInt(e.tick)), e.out, at);
        predictions++;
        break;
      case 'stats':
        assert.deepEqual(predictor.stats(), e.out, at);
        assert.deepEqual(predictor.pending().map((p) => p.seq), e.pending, at);
        break;
      default: throw new Error(`unknown event ${e.e}`);
    }
  }
  const last = v.events.filter((e) => e.e === 'stats').pop().out;
  assert.ok(predictions > 3000, `many predictions compared (${predictions})`);
  assert.ok(last.predictions > 300 && last.mispredicted > 0, `frames scored, some mispredicted: ${JSON.stringify(last)}`);
});
