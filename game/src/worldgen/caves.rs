//! The ways between layers (`content::Caves`): where a chunk's way down stands, the clearing of
//! cave floor around its foot on the layer below, and the objects at both ends. A pure function
//! of the seed, the map and the chunk, like the rest of generation: the layer below finds the
//! way from above without generating the layer above (only its terrain at five tiles).
//!
//! A way down stands on a tile hashed from the seed and the chunk, at least
//! `clearing_tiles + 2` from the chunk's edges (so a chunk's clearing lies in the chunk), with
//! the chance `chunk_percent` in 100, when a character fits there on the upper layer (by
//! [`super::fits_on`]'s rule) inside the world border and the continent has a layer below.
//!
//! A clearing can lie inside rock: from it a tunnel three tiles wide runs straight to the
//! nearest open cave floor within its chunk (of the four directions, the one that reaches floor
//! soonest), so whoever climbs down can walk on into the cave.

use super::{GenObject, WorldGen, gen_quality, hash, tile_centre};
use crate::geom::{CHUNK_TILES, MapGeometry, map_id, split_map_id};
use store::MapId;

/// A tunnel from a clearing's centre: its direction (a unit step along one axis) and its
/// length in tiles.
pub(super) type Tunnel = ((i32, i32), i32);

/// Tiles on each side of a tunnel's middle line (three tiles wide: a character fits).
const TUNNEL_HALF_WIDTH: i32 = 1;

/// The four directions a tunnel may take, in the order ties are broken.
const DIRECTIONS: [(i32, i32); 4] = [(1, 0), (0, 1), (-1, 0), (0, -1)];

/// The ways of one chunk, as tiles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct ChunkWays {
    /// This chunk's way down (on this layer).
    pub down: Option<(i32, i32)>,
    /// The way up: the foot of the way down from the layer above, cleared around.
    pub up: Option<(i32, i32)>,
}

impl WorldGen {
    /// The tile of the way down from chunk `(cx, cy)` of map `upper` to the layer below, if the
    /// chunk has one.
    pub fn way_down(&self, upper: MapId, cx: i32, cy: i32) -> Option<(i32, i32)> {
        let caves = self.caves?;
        let (continent, layer) = split_map_id(upper);
        self.layout.map(map_id(continent, layer + 1))?;
        let map = self.layout.map(upper)?;
        let h = hash(self.seed ^ 0x00CA_7E5A ^ u64::from(upper) << 32, cx, cy);
        if (h % 100) as u32 >= caves.chunk_percent {
            return None;
        }
        let margin = caves.clearing_tiles + 2;
        let span = (CHUNK_TILES - 2 * margin) as u64;
        let tx = cx * CHUNK_TILES + margin + ((h >> 8) % span) as i32;
        let ty = cy * CHUNK_TILES + margin + ((h >> 32) % span) as i32;
        let (x, y) = tile_centre(tx, ty);
        let fits = map.in_walkable(x, y) && self.fits(|tx, ty| self.terrain_at(upper, tx, ty), tx, ty);
        fits.then_some((tx, ty))
    }

    /// The ways of chunk `(cx, cy)` of `map`: its own way down, and the way up from the foot
    /// of the layer above's way down.
    pub(super) fn ways(&self, map: MapId, cx: i32, cy: i32) -> ChunkWays {
        let (continent, layer) = split_map_id(map);
        let up = layer.checked_sub(1).and_then(|above| self.way_down(map_id(continent, above), cx, cy));
        ChunkWays { down: self.way_down(map, cx, cy), up }
    }

    /// Whether tile `(tx, ty)` lies in the clearing around `foot`.
    pub(super) fn cleared(&self, foot: Option<(i32, i32)>, tx: i32, ty: i32) -> bool {
        let (Some((fx, fy)), Some(caves)) = (foot, self.caves) else { return false };
        let (dx, dy) = (tx - fx, ty - fy);
        dx * dx + dy * dy <= caves.clearing_tiles * caves.clearing_tiles
    }

    /// The tunnel from the clearing at `foot` on `map` to the nearest open floor in its chunk:
    /// the direction whose ray, from the clearing's rim, first meets a tile that is open by the
    /// uncarved terrain together with its two neighbours across the ray (the tunnel's width), staying
    /// one tile inside the chunk; `None` when the rim is open already or no ray meets such floor.
    /// At most four rays of a chunk's width: generation computes it once per chunk.
    pub(super) fn tunnel(&self, map: MapId, foot: (i32, i32)) -> Option<Tunnel> {
        let caves = self.caves?;
        let (x0, y0) =
            (foot.0.div_euclid(CHUNK_TILES) * CHUNK_TILES, foot.1.div_euclid(CHUNK_TILES) * CHUNK_TILES);
        let inside =
            |x: i32, y: i32| x > x0 && y > y0 && x < x0 + CHUNK_TILES - 1 && y < y0 + CHUNK_TILES - 1;
        let open = |x: i32, y: i32| !crate::content::blocks_in(&self.blocking, self.uncarved(map, x, y));
        let wide_open = |(dx, dy): (i32, i32), x: i32, y: i32| {
            (-TUNNEL_HALF_WIDTH..=TUNNEL_HALF_WIDTH).all(|k| open(x + k * dy, y + k * dx))
        };
        let reach = |dir: (i32, i32)| {
            let steps = (caves.clearing_tiles..).map(|n| (n, foot.0 + dir.0 * n, foot.1 + dir.1 * n));
            let mut along = steps.take_while(|&(_, x, y)| inside(x, y));
            along.find(|&(_, x, y)| wide_open(dir, x, y)).map(|(n, _, _)| (dir, n))
        };
        let best = DIRECTIONS.iter().filter_map(|&d| reach(d)).min_by_key(|&(_, n)| n)?;
        (best.1 > caves.clearing_tiles).then_some(best)
    }

    /// Whether tile `(tx, ty)` lies in `tunnel`, which leaves from `foot`.
    pub(super) fn tunnelled(foot: Option<(i32, i32)>, tunnel: Option<Tunnel>, tx: i32, ty: i32) -> bool {
        let (Some((fx, fy)), Some(((ux, uy), len))) = (foot, tunnel) else { return false };
        let (dx, dy) = (tx - fx, ty - fy);
        let (along, across) = (dx * ux + dy * uy, dx * uy + dy * ux);
        (0..=len).contains(&along) && across.abs() <= TUNNEL_HALF_WIDTH
    }

    /// Whether tile `(tx, ty)` may lie in a tunnel from `foot` (on the tunnel-wide bands through
    /// it along both axes): only there is the tunnel worth working out for one tile.
    pub(super) fn near_tunnel(foot: Option<(i32, i32)>, tx: i32, ty: i32) -> bool {
        foot.is_some_and(|(fx, fy)| {
            (tx - fx).abs() <= TUNNEL_HALF_WIDTH || (ty - fy).abs() <= TUNNEL_HALF_WIDTH
        })
    }

    /// The objects at the chunk's ways on `map`: the way down and the way up, each at its
    /// tile's centre with its tile's quality, like every generated object.
    pub(super) fn way_objects(&self, map: &MapGeometry, ways: ChunkWays) -> impl Iterator<Item = GenObject> {
        let (caves, seed, map) = (self.caves, self.seed, *map);
        let down = ways.down.zip(caves.map(|c| c.down));
        let up = ways.up.zip(caves.map(|c| c.up));
        down.into_iter().chain(up).map(move |((tx, ty), kind)| {
            let (x, y) = tile_centre(tx, ty);
            GenObject { kind, x, y, stage: 0, age_ms: 0, quality: gen_quality(seed, &map, tx, ty) }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{WorldGen, fits_on};
    use crate::content::Content;
    use crate::geom::{CHUNK_TILES, map_id};

    const SEED: u64 = 0x5EED_CA7E;

    fn chunk_tile(tx: i32, ty: i32) -> usize {
        store::ChunkTiles::index(tx.rem_euclid(CHUNK_TILES) as usize, ty.rem_euclid(CHUNK_TILES) as usize)
    }

    #[test]
    fn every_way_down_has_its_way_up_below_in_a_clearing_of_floor() {
        let content = Content::builtin();
        let caves = content.caves.expect("the shipped content has caves");
        let wg = WorldGen::new(&content, SEED).unwrap();
        let layout = content.layout();
        let (surface, cave) = (layout.map(map_id(0, 0)).unwrap(), layout.map(map_id(0, 1)).unwrap());
        let floor = content.terrain("cave_floor").unwrap().id;
        let mut ways = 0;
        for (cx, cy) in (0..12).flat_map(|cx| (0..12).map(move |cy| (cx, cy))) {
            let Some((tx, ty)) = wg.way_down(surface.id, cx, cy) else { continue };
            ways += 1;
            let (x, y) = super::tile_centre(tx, ty);
            let top = wg.generate(surface, cx, cy);
            let at = |kind: u32, o: &super::GenObject| o.kind == kind && (o.x, o.y) == (x, y);
            assert!(top.objects.iter().any(|o| at(caves.down, o)), "the entrance in chunk {cx},{cy}");
            let terrain = |tx: i32, ty: i32| wg.terrain_at(surface.id, tx, ty);
            assert!(fits_on(&content, terrain, tx, ty), "a character fits at the entrance");
            let below = wg.generate(cave, cx, cy);
            assert!(below.objects.iter().any(|o| at(caves.up, o)), "the way out below {cx},{cy}");
            let r = caves.clearing_tiles;
            for (dx, dy) in (-r..=r).flat_map(|dx| (-r..=r).map(move |dy| (dx, dy))) {
                let (ux, uy) = (tx + dx, ty + dy);
                let inside = dx * dx + dy * dy <= r * r;
                let stored = below.tiles.terrain[chunk_tile(ux, uy)];
                assert_eq!(stored, wg.terrain_at(cave.id, ux, uy), "terrain_at agrees with the chunk");
                if inside {
                    assert_eq!(stored, floor, "cleared to floor at {dx},{dy} from the foot");
                }
            }
            let terrain = |tx: i32, ty: i32| wg.terrain_at(cave.id, tx, ty);
            assert!(fits_on(&content, terrain, tx, ty), "a character fits at the way out");
            let near = |o: &super::GenObject| {
                let (dx, dy) = ((o.x >> 8) - tx, (o.y >> 8) - ty);
                o.kind != caves.down && o.kind != caves.up && dx * dx + dy * dy <= r * r
            };
            assert!(!below.objects.iter().chain(&top.objects).any(near), "nothing scattered at either end");
        }
        // 144 chunks at 25 %, about half of them land: a few dozen.
        assert!((10..=60).contains(&ways), "{ways} ways down in 144 chunks");
    }

    /// Floor tiles of `chunk` (generated at `(cx, cy)`) reachable from `from` by steps between
    /// open tiles, inside the chunk.
    fn reachable(
        content: &Content,
        chunk: &super::super::GeneratedChunk,
        (cx, cy): (i32, i32),
        from: (i32, i32),
    ) -> usize {
        let (x0, y0) = (cx * CHUNK_TILES, cy * CHUNK_TILES);
        let open = |x: i32, y: i32| {
            (x0..x0 + CHUNK_TILES).contains(&x)
                && (y0..y0 + CHUNK_TILES).contains(&y)
                && !content.blocks(chunk.tiles.terrain[chunk_tile(x, y)])
        };
        let (mut seen, mut queue) = (std::collections::HashSet::from([from]), vec![from]);
        while let Some((x, y)) = queue.pop() {
            for next in [(x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)] {
                if open(next.0, next.1) && seen.insert(next) {
                    queue.push(next);
                }
            }
        }
        seen.len()
    }

    #[test]
    fn from_every_way_out_a_tunnel_leads_on_into_the_cave() {
        let content = Content::builtin();
        let caves = content.caves.unwrap();
        let wg = WorldGen::new(&content, SEED).unwrap();
        let layout = content.layout();
        let (surface, cave) = (layout.map(map_id(0, 0)).unwrap(), layout.map(map_id(0, 1)).unwrap());
        let clearing = {
            let r = caves.clearing_tiles;
            (-r..=r)
                .flat_map(|dx| (-r..=r).map(move |dy| (dx, dy)))
                .filter(|(dx, dy)| dx * dx + dy * dy <= r * r)
                .count()
        };
        let (mut ways, mut tunnels) = (0, 0);
        for (cx, cy) in (0..12).flat_map(|cx| (0..12).map(move |cy| (cx, cy))) {
            let Some(foot) = wg.way_down(surface.id, cx, cy) else { continue };
            ways += 1;
            tunnels += usize::from(wg.tunnel(cave.id, foot).is_some());
            let below = wg.generate(cave, cx, cy);
            let open = reachable(&content, &below, (cx, cy), foot);
            assert!(
                open >= 4 * clearing,
                "chunk {cx},{cy}: only {open} floor tiles reachable from the way out"
            );
            // Where a tunnel may run, terrain_at works it out tile by tile as generation does.
            for d in -CHUNK_TILES..CHUNK_TILES {
                for (tx, ty) in [
                    (foot.0 + d, foot.1),
                    (foot.0, foot.1 + d),
                    (foot.0 + d, foot.1 + 1),
                    (foot.0 - 1, foot.1 + d),
                ] {
                    if tx.div_euclid(CHUNK_TILES) == cx && ty.div_euclid(CHUNK_TILES) == cy {
                        let stored = below.tiles.terrain[chunk_tile(tx, ty)];
                        assert_eq!(stored, wg.terrain_at(cave.id, tx, ty), "terrain_at at {tx},{ty}");
                    }
                }
            }
        }
        assert!(tunnels > 0 && tunnels < ways, "some clearings lie in rock ({tunnels} tunnels, {ways} ways)");
    }

    #[test]
    fn no_way_leads_below_the_last_layer_and_none_without_caves() {
        let content = Content::builtin();
        let wg = WorldGen::new(&content, SEED).unwrap();
        let chunks = || (0..16).flat_map(|cx| (0..16).map(move |cy| (cx, cy)));
        // The isles have one layer; the mainland's cave is its last.
        for map in [map_id(1, 0), map_id(0, 1)] {
            assert!(chunks().all(|(cx, cy)| wg.way_down(map, cx, cy).is_none()), "map {map}");
        }
        let mut plain = content.clone();
        plain.caves = None;
        let wg = WorldGen::new(&plain, SEED).unwrap();
        assert!(chunks().all(|(cx, cy)| wg.way_down(map_id(0, 0), cx, cy).is_none()));
        let cave = plain.layout().map(map_id(0, 1)).copied().unwrap();
        let way_up = content.caves.unwrap().up;
        assert!(chunks().all(|(cx, cy)| wg.generate(&cave, cx, cy).objects.iter().all(|o| o.kind != way_up)));
    }

    #[test]
    fn a_way_leads_to_the_next_layer_of_its_continent() {
        let content = Content::builtin();
        let caves = content.caves.unwrap();
        assert_eq!(content.way_from(map_id(0, 0), caves.down), Some(map_id(0, 1)));
        assert_eq!(content.way_from(map_id(0, 1), caves.up), Some(map_id(0, 0)));
        assert_eq!(content.way_from(map_id(0, 1), caves.down), None, "no layer 2");
        assert_eq!(content.way_from(map_id(0, 0), caves.up), None, "nothing above the surface");
        let tree = content.object("tree").unwrap().id;
        assert_eq!(content.way_from(map_id(0, 0), tree), None, "a tree is no way");
    }
}
