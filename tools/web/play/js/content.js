// The content the shard runs (/content.json) with lookups by id and the page's colours by terrain and object name.

/** Terrain colours by name ([r, g, b]); an unknown name gets a grey from its id. */
const TERRAIN_COLOURS = {
  deep_water: [24, 58, 120], shallow_water: [52, 108, 170], sand: [214, 196, 140], grass: [96, 150, 72],
  dirt: [130, 102, 70], forest_floor: [62, 104, 56], rock: [120, 120, 118], cave_wall: [60, 54, 50],
  cave_floor: [98, 90, 80],
};

/** Object looks by kind name: fill colour and drawn size relative to the radius. */
const OBJECT_LOOKS = {
  tree: { fill: '#2f6b2a', stroke: '#183d15', scale: 1.4 }, bush: { fill: '#4e8f3a', stroke: '#24501a', scale: 1.4 },
  rock: { fill: '#8d8a85', stroke: '#4d4b48' }, box: { fill: '#a8773c', stroke: '#5a3d1a', square: true },
  pile: { fill: '#d9b44a', stroke: '#6b5616', square: true }, stump: { fill: '#7a5a35', stroke: '#3f2d17' },
  crop: { fill: '#b6c94a', stroke: '#5c6a1c' }, corpse: { fill: '#6e3b3b', stroke: '#2e1414', square: true },
  cave_entrance: { fill: '#1b1612', stroke: '#6b5a45', scale: 2.4 },
  cave_exit: { fill: '#c9b48a', stroke: '#3a2f22', square: true, scale: 2 },
};

/** Fetches the content document from the page's server. */
export async function loadContent(url = 'content.json') {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return indexContent(await res.json());
}

/** Adds lookups by id to a content document. */
export function indexContent(c) {
  c.terrainById = new Map(c.terrains.map((t) => [t.id, t]));
  c.objectById = new Map(c.objects.map((o) => [o.id, o]));
  c.itemById = new Map(c.items.map((i) => [i.id, i]));
  c.recipeById = new Map(c.recipes.map((r) => [r.id, r]));
  c.palette = terrainPalette(c.terrains);
  return c;
}

/** RGBA words (little-endian ImageData order) by terrain id. */
function terrainPalette(terrains) {
  const words = new Uint32Array(Math.max(0, ...terrains.map((t) => t.id)) + 1 + 1);
  for (const t of terrains) {
    const [r, g, b] = TERRAIN_COLOURS[t.name] ?? [90 + ((t.id * 37) % 100), 90, 90];
    words[t.id] = (255 << 24) | (b << 16) | (g << 8) | r;
  }
  return words;
}

/** How an object kind is drawn: its look by name, with its radius. */
export function objectLook(content, kind) {
  const o = content.objectById.get(kind);
  const look = (o && OBJECT_LOOKS[o.name]) ?? { fill: '#c040c0', stroke: '#501050' };
  return { scale: 1, ...look, name: o?.name ?? `object ${kind}`, radius: o?.radius || 40, stages: o?.stages ?? null };
}

/** An item kind's name. */
export function itemName(content, kind) {
  return content.itemById.get(kind)?.name ?? `item ${kind}`;
}
