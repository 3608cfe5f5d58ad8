// Unit tests of the live map's pure parts (tools/web/map/model.js): run with `node --test`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CHUNK_TILES, chunksOf, findPlayer, forEachCharacter, frame, playerAt, thumbnailPixels, toScreen,
  toWorld, withToken, zoomAt,
} from '../../map/model.js';

const state = {
  tick: 5,
  maps: [{ id: 1, width_chunks: 8, height_chunks: 8, chunks: [2, 3, 0, 3, 3, 2], characters: [7, 300, 400, 0, 9, 10, 11, 3], total: 2 }],
  player_fields: ['entity', 'name', 'map', 'x', 'y', 'down_bps', 'up_bps'],
  players: [[7, 'alice', 1, 300.5, 400, 10, 2]],
  players_total: 1,
};

test('the compact state reads back as chunks, characters and players', () => {
  assert.deepEqual(chunksOf(state.maps[0]), [{ cx: 2, cy: 3, mark: 0 }, { cx: 3, cy: 3, mark: 2 }]);
  const seen = [];
  forEachCharacter(state.maps[0], (...c) => seen.push(c));
  assert.deepEqual(seen, [[7, 300, 400, 0], [9, 10, 11, 3]]);
  assert.equal(findPlayer(state, 'alice').x, 300.5);
  assert.equal(findPlayer(state, 'bob'), undefined);
});

test('screen and world positions invert, zoom keeps the point under the cursor', () => {
  const view = frame(state.maps[0], 800, 600);
  assert.equal(view.x, 3 * CHUNK_TILES);
  const [sx, sy] = toScreen(view, 800, 600, 310, 420);
  const [wx, wy] = toWorld(view, 800, 600, sx, sy);
  assert.ok(Math.abs(wx - 310) < 1e-9 && Math.abs(wy - 420) < 1e-9);
  const zoomed = zoomAt(view, 800, 600, sx, sy, 2);
  const [zx, zy] = toWorld(zoomed, 800, 600, sx, sy);
  assert.ok(Math.abs(zx - 310) < 1e-9 && Math.abs(zy - 420) < 1e-9);
  assert.equal(zoomed.scale, view.scale * 2);
});

test('a click finds the nearest player, pixels have colours, the token follows', () => {
  const view = { x: 300, y: 400, scale: 2 };
  const players = [{ entity: 7, x: 300.5, y: 400 }];
  assert.equal(playerAt(players, view, 100, 100, 51, 50).entity, 7);
  assert.equal(playerAt(players, view, 100, 100, 90, 90), null);
  const px = thumbnailPixels(new Uint8Array([3, 250]));
  assert.equal(px.length, 8);
  assert.equal(px[3], 255);
  assert.equal(withToken('/map/state', '?token=a b'), '/map/state?token=a%20b');
  assert.equal(withToken('/map/player?id=1', '?token=x'), '/map/player?id=1&token=x');
  assert.equal(withToken('/map/state', ''), '/map/state');
});
