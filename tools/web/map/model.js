// The live map's pure parts (no DOM): terrain palette, reading /map/state, view transforms, hit tests.

/** Tiles per chunk side (game::geom::CHUNK_TILES). */
export const CHUNK_TILES = 128;
/** Cells per side of a terrain thumbnail (game::shard::THUMB_SIDE). */
export const THUMB_SIDE = 32;

/** Chunk marks of /map/state (game::shard::ChunkMark). */
export const MARK = { RESIDENT: 0, DIRTY: 1, LOADING: 2, SAVING: 3, QUARANTINED: 4 };
/** Character flag bits of /map/state (game::shard::dot). */
export const DOT = { BOT: 1, DEAD: 2 };

/**
 * RGB by terrain id, in the order of schemas/content/terrain.toml (deep water, shallow water,
 * sand, grass, dirt, forest floor, rock, cave wall, cave floor); unknown ids get a grey.
 */
export const PALETTE = [
  [24, 54, 120], [52, 110, 180], [214, 200, 140], [92, 160, 72], [130, 100, 70],
  [50, 110, 50], [128, 128, 128], [60, 50, 48], [110, 96, 84],
];

/** The colour of terrain `id`. */
export function terrainColour(id) {
  return PALETTE[id] ?? [200, 0, 200];
}

/** RGBA pixels (THUMB_SIDE² × 4 bytes) of a thumbnail's terrain ids. */
export function thumbnailPixels(ids) {
  const out = new Uint8ClampedArray(ids.length * 4);
  ids.forEach((id, i) => {
    const [r, g, b] = terrainColour(id);
    out.set([r, g, b, 255], i * 4);
  });
  return out;
}

/** The chunks of a map entry of /map/state as objects. */
export function chunksOf(map) {
  const out = [];
  for (let i = 0; i + 2 < map.chunks.length; i += 3) {
    out.push({ cx: map.chunks[i], cy: map.chunks[i + 1], mark: map.chunks[i + 2] });
  }
  return out;
}

/** Calls `each(id, x, y, flags)` for every character of a map entry of /map/state. */
export function forEachCharacter(map, each) {
  const c = map.characters;
  for (let i = 0; i + 3 < c.length; i += 4) each(c[i], c[i + 1], c[i + 2], c[i + 3]);
}

/** The players of /map/state as objects named by its `player_fields`. */
export function playersOf(state) {
  const fields = state.player_fields;
  return state.players.map((row) => Object.fromEntries(fields.map((f, i) => [f, row[i]])));
}

/** The player called `name`, if listed. */
export function findPlayer(state, name) {
  return playersOf(state).find((p) => p.name === name);
}

/** A view: the tile at the canvas centre and pixels per tile. */
export function makeView(centreX, centreY, scale) {
  return { x: centreX, y: centreY, scale };
}

/** Canvas pixel of tile position (x, y) in a canvas `w` × `h`. */
export function toScreen(view, w, h, x, y) {
  return [(x - view.x) * view.scale + w / 2, (y - view.y) * view.scale + h / 2];
}

/** Tile position of canvas pixel (px, py). */
export function toWorld(view, w, h, px, py) {
  return [(px - w / 2) / view.scale + view.x, (py - h / 2) / view.scale + view.y];
}

/** The view zoomed by `factor` keeping the tile under (px, py) in place. */
export function zoomAt(view, w, h, px, py, factor) {
  const scale = Math.min(64, Math.max(1 / 64, view.scale * factor));
  const [wx, wy] = toWorld(view, w, h, px, py);
  return { scale, x: wx - (px - w / 2) / scale, y: wy - (py - h / 2) / scale };
}

/** A view framing the chunks of `map` that are in memory (the whole map when none is). */
export function frame(map, w, h) {
  const chunks = chunksOf(map);
  const xs = chunks.length ? chunks.map((c) => c.cx) : [0, map.width_chunks - 1];
  const ys = chunks.length ? chunks.map((c) => c.cy) : [0, map.height_chunks - 1];
  const [x0, x1] = [Math.min(...xs) * CHUNK_TILES, (Math.max(...xs) + 1) * CHUNK_TILES];
  const [y0, y1] = [Math.min(...ys) * CHUNK_TILES, (Math.max(...ys) + 1) * CHUNK_TILES];
  const scale = Math.max(1 / 64, Math.min(w / (x1 - x0), h / (y1 - y0)) * 0.9);
  return makeView((x0 + x1) / 2, (y0 + y1) / 2, scale);
}

/** The player of `players` drawn nearest canvas pixel (px, py) within `radius` pixels. */
export function playerAt(players, view, w, h, px, py, radius = 10) {
  let best = null;
  let bestD = radius * radius;
  for (const p of players) {
    const [sx, sy] = toScreen(view, w, h, p.x, p.y);
    const d = (sx - px) ** 2 + (sy - py) ** 2;
    if (d <= bestD) [best, bestD] = [p, d];
  }
  return best;
}

/** `url` with the page's admin token (from its own query string `search`) appended. */
export function withToken(url, search) {
  const token = new URLSearchParams(search).get('token');
  if (!token) return url;
  return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}
