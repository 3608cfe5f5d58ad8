// The terrain prediction walks on, built from the session's held chunks: blocking tiles by terrain id (a tile of a chunk not held blocks, as on the server) and object circles.

const CHUNK_TILES = 128;
const TILE = 256;

/** The `{tileBlocked(tx, ty), bounds()}` terrain of `session`'s held chunks (plus object lookups). */
export function terrainOf(session) {
  let blocks = null;
  let maxRadius = null;
  const radii = () => {
    if (!maxRadius) {
      maxRadius = new Map(session.content.objects.map((o) => [o.id, o.radius]));
    }
    return maxRadius;
  };
  const blocking = () => {
    if (!blocks) {
      blocks = [];
      for (const t of session.content.terrains) blocks[t.id] = !!t.blocks;
    }
    return blocks;
  };
  return {
    invalidate() {},
    tileBlocked(tx, ty) {
      const cx = Math.floor(tx / CHUNK_TILES);
      const cy = Math.floor(ty / CHUNK_TILES);
      const chunk = session.chunks.get(`${cx},${cy}`);
      if (!chunk) return true;
      const id = chunk.terrain[(ty - cy * CHUNK_TILES) * CHUNK_TILES + (tx - cx * CHUNK_TILES)];
      return blocking()[id] !== false;
    },
    bounds() {
      const w = session.welcome;
      const width = (w?.width_chunks ?? 0) * CHUNK_TILES * TILE;
      const height = (w?.height_chunks ?? 0) * CHUNK_TILES * TILE;
      return { minX: 0, minY: 0, maxX: width, maxY: height, width, height };
    },
    maxObjectRadius() {
      return Math.max(0, ...radii().values());
    },
    object(id) {
      const o = session.findObject(BigInt(id));
      return o ? { ...o, radius: radii().get(o.kind) ?? 0 } : null;
    },
    circlesNear(x, y, reach, out = []) {
      out.length = 0;
      for (const chunk of session.chunks.values()) {
        for (const o of chunk.objects) {
          const r = radii().get(o.kind) ?? 0;
          if (r > 0 && Math.abs(o.x - x) <= reach + r && Math.abs(o.y - y) <= reach + r) out.push({ x: o.x, y: o.y, r, radius: r });
        }
      }
      return out;
    },
  };
}
