//! Deterministic world generation from `(seed, map, chunk)`: integer value noise for height and
//! moisture, terrain picked from both, then trees, bushes and rocks scattered by per-tile hashes,
//! growing ones in a stage and an age in it hashed from the same tile, each with a quality near
//! the neutral 10 hashed from its tile ([`gen_quality`]). Pure integer code: the
//! same output on every platform and for any thread count; time enters only when the chunk
//! service stamps the generation time on the records ([`WorldGen::stage_at`]). Caves: the ways
//! between layers and the clearings at their feet (`caves.rs`).

mod caves;

use crate::content::{Caves, Content, Growth};
use crate::error::ContentError;
use crate::geom::{BORDER_TILES, CHUNK_TILES, MapGeometry, TILE, WorldLayout, split_map_id};
use crate::growth::{self, StageAt};
use store::ChunkTiles;
use store::codec::CHUNK_SIDE;

/// An object placed by generation (ids are assigned when it is stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenObject {
    /// Object kind id.
    pub kind: u32,
    /// X in 1/256 tile.
    pub x: i32,
    /// Y in 1/256 tile.
    pub y: i32,
    /// Growth stage (0 for kinds that do not grow).
    pub stage: u16,
    /// How long it has been in that stage when the chunk is generated (ms; 0 for kinds that do
    /// not grow and for a final stage).
    pub age_ms: i64,
    /// Its quality ([`GEN_QUALITY`], from the seed and its tile): what gathering from it gives
    /// starts there.
    pub quality: u32,
}

/// The qualities generated objects get: around the neutral quality 10, so what is gathered and
/// crafted from the wild starts near neutral.
pub const GEN_QUALITY: std::ops::RangeInclusive<u32> = 8..=14;

/// One generated chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedChunk {
    /// Terrain and height layers.
    pub tiles: ChunkTiles,
    /// Scattered objects in tile order, then the chunk's ways (down, up).
    pub objects: Vec<GenObject>,
}

#[derive(Debug, Clone, Copy)]
struct Palette {
    deep: u16,
    shallow: u16,
    sand: u16,
    grass: u16,
    dirt: u16,
    forest: u16,
    rock: u16,
    cave_floor: u16,
    cave_wall: u16,
}

/// The generator: a seed plus terrain ids and object densities resolved from content.
#[derive(Debug, Clone)]
pub struct WorldGen {
    seed: u64,
    palette: Palette,
    /// By terrain id: `(object kind, density per 1000 tiles)` in content order.
    scatter: Vec<Vec<(u32, u32)>>,
    /// By object kind id: its growth table (only kinds that grow).
    growth: Vec<Option<Growth>>,
    /// By terrain id: blocks movement (`Content::blocking`).
    blocking: Vec<bool>,
    /// The ways between layers, if the content has caves.
    caves: Option<Caves>,
    /// Every map (which layers exist below which).
    layout: WorldLayout,
}

impl WorldGen {
    /// Resolves the terrain names generation needs; an absent one is a content error.
    pub fn new(content: &Content, seed: u64) -> Result<Self, ContentError> {
        let id = |name: &str| {
            content.terrain(name).map(|t| t.id).ok_or_else(|| {
                ContentError::new("terrain.toml", "terrain", format!("world generation needs `{name}`"))
            })
        };
        let palette = Palette {
            deep: id("deep_water")?,
            shallow: id("shallow_water")?,
            sand: id("sand")?,
            grass: id("grass")?,
            dirt: id("dirt")?,
            forest: id("forest_floor")?,
            rock: id("rock")?,
            cave_floor: id("cave_floor")?,
            cave_wall: id("cave_wall")?,
        };
        let mut scatter = vec![Vec::new(); content.blocking.len()];
        for kind in &content.objects {
            for (terrain, &density) in &kind.density {
                if let Some(t) = content.terrain(terrain) {
                    scatter[t.id as usize].push((kind.id, density));
                }
            }
        }
        let mut growth = Vec::new();
        for kind in content.objects.iter().filter(|k| k.growth.is_some()) {
            let i = kind.id as usize;
            growth.resize(growth.len().max(i + 1), None);
            growth[i].clone_from(&kind.growth);
        }
        let (blocking, caves, layout) = (content.blocking.clone(), content.caves, content.layout());
        Ok(Self { seed, palette, scatter, growth, blocking, caves, layout })
    }

    /// The growth table of object kind `kind`, if it grows.
    pub fn growth(&self, kind: u32) -> Option<&Growth> {
        self.growth.get(kind as usize)?.as_ref()
    }

    /// Where generated object `o` stands in its growth at `now_ms`, for a chunk generated at
    /// `generated_ms`: it entered its stage `o.age_ms` before generation and has grown since
    /// ([`growth::advance`]); `None` for kinds that do not grow.
    pub fn stage_at(&self, o: &GenObject, generated_ms: i64, now_ms: i64) -> Option<StageAt> {
        let g = self.growth(o.kind)?;
        Some(growth::advance(g, o.stage, generated_ms.saturating_sub(o.age_ms), now_ms))
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Generates chunk `(cx, cy)` of `map`.
    pub fn generate(&self, map: &MapGeometry, cx: i32, cy: i32) -> GeneratedChunk {
        let mut tiles = ChunkTiles::default();
        let (tx0, ty0) = (cx * CHUNK_TILES, cy * CHUNK_TILES);
        let ways = self.ways(map.id, cx, cy);
        let tunnel = ways.up.and_then(|foot| self.tunnel(map.id, foot));
        for ly in 0..CHUNK_SIDE {
            for lx in 0..CHUNK_SIDE {
                let (tx, ty) = (tx0 + lx as i32, ty0 + ly as i32);
                let h = self.height(map.id, tx, ty);
                let i = ChunkTiles::index(lx, ly);
                tiles.height[i] = h;
                tiles.terrain[i] = self.carved_terrain(map.id, (tx, ty), h, (ways.up, tunnel));
            }
        }
        let clear = |tx, ty| {
            self.cleared(ways.down, tx, ty)
                || self.cleared(ways.up, tx, ty)
                || Self::tunnelled(ways.up, tunnel, tx, ty)
        };
        let mut objects = self.scatter_objects(map, (tx0, ty0), &tiles, clear);
        // Ways follow the content's layout; a map built otherwise (tests) keeps its own border.
        objects.extend(self.way_objects(map, ways).filter(|o| map.in_walkable(o.x, o.y)));
        GeneratedChunk { tiles, objects }
    }

    /// The generated terrain of tile `(tx, ty)` of map `map` (what [`WorldGen::generate`] puts
    /// there).
    pub fn terrain_at(&self, map: u32, tx: i32, ty: i32) -> u16 {
        let up = if split_map_id(map).1 > 0 {
            let (cx, cy) = (tx.div_euclid(CHUNK_TILES), ty.div_euclid(CHUNK_TILES));
            self.ways(map, cx, cy).up
        } else {
            None
        };
        let tunnel = up.filter(|_| Self::near_tunnel(up, tx, ty)).and_then(|foot| self.tunnel(map, foot));
        self.carved_terrain(map, (tx, ty), self.height(map, tx, ty), (up, tunnel))
    }

    /// The terrain of a tile before clearings and tunnels are carved.
    fn uncarved(&self, map: u32, tx: i32, ty: i32) -> u16 {
        self.tile_terrain(map, tx, ty, self.height(map, tx, ty))
    }

    /// The terrain of a tile: cave floor in the clearing at the foot of a way from above and in
    /// the tunnel from it.
    fn carved_terrain(
        &self,
        map: u32,
        (tx, ty): (i32, i32),
        height: u8,
        (foot, tunnel): (Option<(i32, i32)>, Option<caves::Tunnel>),
    ) -> u16 {
        if self.cleared(foot, tx, ty) || Self::tunnelled(foot, tunnel, tx, ty) {
            self.palette.cave_floor
        } else {
            self.tile_terrain(map, tx, ty, height)
        }
    }

    /// Whether a character fits on tile `(tx, ty)` by `terrain` (the rule of [`fits_on`]).
    fn fits(&self, terrain: impl Fn(i32, i32) -> u16, tx: i32, ty: i32) -> bool {
        fits_by(|t| crate::content::blocks_in(&self.blocking, t), terrain, tx, ty)
    }

    /// The centre of a tile near `(x, y)` (1/256 tile), within `radius` tiles, on which a
    /// character fits by the generated terrain ([`fits_on`]), inside the map's walkable area;
    /// `None` when none was found. Rings of growing distance: every tile of the rings up to
    /// [`LAND_EXACT_TILES`] (so the nearest such tile there), then every fourth ring with every
    /// other tile (a shore a few tiles wide is still found). Objects and characters are not
    /// looked at: the spawn search (§5) still checks the spot. In open water most tiles cost one
    /// terrain lookup; at most about `(2·LAND_EXACT_TILES + 1)² + radius²/2` tiles are looked at.
    pub fn land_near(
        &self,
        content: &Content,
        map: &MapGeometry,
        (x, y): (i32, i32),
        radius: i32,
    ) -> Option<(i32, i32)> {
        let (x0, y0, x1, y1) = map.walkable();
        let (tx, ty) = (x.div_euclid(TILE), y.div_euclid(TILE));
        let terrain = |tx: i32, ty: i32| self.terrain_at(map.id, tx, ty);
        let usable = |tx: i32, ty: i32| {
            let (cx, cy) = tile_centre(tx, ty);
            (x0..=x1).contains(&cx) && (y0..=y1).contains(&cy) && fits_on(content, terrain, tx, ty)
        };
        let mut rings = (0..=radius.max(0)).filter(|&r| r <= LAND_EXACT_TILES || r % 4 == 0);
        rings
            .find_map(|r| {
                let step = if r <= LAND_EXACT_TILES { 1 } else { 2 };
                let ring = (-r..=r).step_by(step).flat_map(|d| [(d, -r), (d, r), (-r, d), (r, d)]);
                ring.map(|(dx, dy)| (tx + dx, ty + dy)).find(|&(tx, ty)| usable(tx, ty))
            })
            .map(|(tx, ty)| tile_centre(tx, ty))
    }

    fn tile_terrain(&self, map: u32, tx: i32, ty: i32, height: u8) -> u16 {
        if split_map_id(map).1 > 0 {
            self.cave_terrain(map, tx, ty)
        } else {
            self.surface_terrain(map, tx, ty, height)
        }
    }

    fn height(&self, map: u32, tx: i32, ty: i32) -> u8 {
        let s = self.seed ^ u64::from(map) << 32;
        let v = value_noise(s, tx, ty, 6) * 5 + value_noise(s ^ 0x9E37, tx, ty, 4) * 3;
        (v / 8) as u8
    }

    fn surface_terrain(&self, map: u32, tx: i32, ty: i32, h: u8) -> u16 {
        let p = &self.palette;
        let moist = value_noise(self.seed ^ 0xA5A5 ^ u64::from(map) << 32, tx, ty, 5);
        match h {
            0..=74 => p.deep,
            75..=89 => p.shallow,
            90..=98 => p.sand,
            190..=255 => p.rock,
            _ if moist > 150 => p.forest,
            _ if moist < 80 => p.dirt,
            _ => p.grass,
        }
    }

    fn cave_terrain(&self, map: u32, tx: i32, ty: i32) -> u16 {
        let v = value_noise(self.seed ^ 0xCAFE ^ u64::from(map) << 32, tx, ty, 4);
        if v > 150 { self.palette.cave_wall } else { self.palette.cave_floor }
    }

    /// The scattered objects of a chunk's tiles, none on the tiles `clear` names (around ways).
    fn scatter_objects(
        &self,
        map: &MapGeometry,
        (tx0, ty0): (i32, i32),
        tiles: &ChunkTiles,
        clear: impl Fn(i32, i32) -> bool,
    ) -> Vec<GenObject> {
        let mut out = Vec::new();
        for ly in 0..CHUNK_SIDE {
            for lx in 0..CHUNK_SIDE {
                let terrain = tiles.terrain[ChunkTiles::index(lx, ly)];
                let (tx, ty) = (tx0 + lx as i32, ty0 + ly as i32);
                if clear(tx, ty) {
                    continue;
                }
                if let Some(o) = self.place(map, terrain, tx, ty) {
                    out.push(o);
                }
            }
        }
        out
    }

    fn place(&self, map: &MapGeometry, terrain: u16, tx: i32, ty: i32) -> Option<GenObject> {
        let kinds = self.scatter.get(terrain as usize)?;
        let h = hash(self.seed ^ 0x000B_1EC7 ^ u64::from(map.id) << 32, tx, ty);
        let roll = (h % 1000) as u32;
        let mut acc = 0;
        let (kind, _) = *kinds.iter().find(|&&(_, d)| {
            acc += d;
            roll < acc
        })?;
        let jitter = |bits: u64| ((bits & 0x7F) as i32) - 64;
        let x = tx * TILE + TILE / 2 + jitter(h >> 16);
        let y = ty * TILE + TILE / 2 + jitter(h >> 24);
        let b = BORDER_TILES * TILE;
        let inside = x >= b && y >= b && x <= map.width_units() - b && y <= map.height_units() - b;
        let (stage, age_ms) = self.growth(kind).map_or((0, 0), |g| start_stage(g, self.seed, map, tx, ty));
        let quality = gen_quality(self.seed, map, tx, ty);
        inside.then_some(GenObject { kind, x, y, stage, age_ms, quality })
    }
}

/// Rings [`WorldGen::land_near`] searches tile by tile (the nearest land within them is found).
pub const LAND_EXACT_TILES: i32 = 8;

/// Whether a character fits on tile `(tx, ty)` by its terrain: the tile and its four neighbours
/// are walkable (`terrain` gives a tile's terrain id).
pub fn fits_on(content: &Content, terrain: impl Fn(i32, i32) -> u16, tx: i32, ty: i32) -> bool {
    fits_by(|t| content.blocks(t), terrain, tx, ty)
}

/// [`fits_on`]'s rule with `blocks` telling which terrain ids block.
fn fits_by(blocks: impl Fn(u16) -> bool, terrain: impl Fn(i32, i32) -> u16, tx: i32, ty: i32) -> bool {
    [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)].iter().all(|&(dx, dy)| !blocks(terrain(tx + dx, ty + dy)))
}

/// The stage a generated object of a growing kind starts in and how far into it, from the seed
/// and its tile: the stage uniform over the table, the age uniform over the stage's duration
/// (0 in the final stage). A chunk's objects so start varied and change stage at scattered
/// times, not all at once.
fn start_stage(g: &Growth, seed: u64, map: &MapGeometry, tx: i32, ty: i32) -> (u16, i64) {
    let h = hash(seed ^ 0x0006_2077 ^ u64::from(map.id) << 32, tx, ty);
    let stage = (h % g.stages.len() as u64) as u16;
    let age = g.duration_ms(stage).filter(|&d| d > 0).map_or(0, |d| ((h >> 16) % d as u64) as i64);
    (stage, age)
}

/// The quality of the object generated on tile `(tx, ty)`: uniform over [`GEN_QUALITY`] from a
/// hash of the seed, the map and the tile, `8 + h mod 7` (a tile's object gets the same quality
/// whenever the chunk is generated).
pub fn gen_quality(seed: u64, map: &MapGeometry, tx: i32, ty: i32) -> u32 {
    let h = hash(seed ^ 0x0051_A117 ^ u64::from(map.id) << 32, tx, ty);
    let span = u64::from(GEN_QUALITY.end() - GEN_QUALITY.start() + 1);
    GEN_QUALITY.start() + (h % span) as u32
}

/// The centre of tile `(tx, ty)` in 1/256 tile.
fn tile_centre(tx: i32, ty: i32) -> (i32, i32) {
    (tx * TILE + TILE / 2, ty * TILE + TILE / 2)
}

/// A well-mixed 64-bit hash of a seed and a lattice point (splitmix64 finaliser).
pub fn hash(seed: u64, x: i32, y: i32) -> u64 {
    let mut z = seed ^ (x as u32 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (y as u32 as u64) << 32;
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Value noise in `0..=255` on a lattice of `1 << shift` tiles, bilinear with smoothstep weights,
/// all in integers.
pub fn value_noise(seed: u64, tx: i32, ty: i32, shift: u32) -> u32 {
    let (gx, gy) = (tx >> shift, ty >> shift);
    let mask = (1 << shift) - 1;
    let scale = 16 - shift;
    let fx = smooth(((tx & mask) as u32) << scale);
    let fy = smooth(((ty & mask) as u32) << scale);
    let v = |x: i32, y: i32| (hash(seed, x, y) & 0xFF) as u32;
    let top = lerp(v(gx, gy), v(gx + 1, gy), fx);
    let bottom = lerp(v(gx, gy + 1), v(gx + 1, gy + 1), fx);
    lerp(top, bottom, fy)
}

/// `3t² − 2t³` for `t` in 16-bit fixed point.
fn smooth(t: u32) -> u32 {
    let t = u64::from(t);
    let t2 = (t * t) >> 16;
    let t3 = (t2 * t) >> 16;
    (3 * t2 - 2 * t3) as u32
}

fn lerp(a: u32, b: u32, t: u32) -> u32 {
    let (a, b, t) = (i64::from(a), i64::from(b), i64::from(t));
    (a + (((b - a) * t) >> 16)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geom::map_id;

    #[test]
    fn generated_qualities_lie_around_neutral_and_repeat() {
        let map = MapGeometry::new(map_id(0, 0), 4, 4);
        let mut seen = [0u32; 15];
        for t in 0..2_000 {
            let (tx, ty) = (t % 50, t / 50);
            let q = gen_quality(7, &map, tx, ty);
            assert!(GEN_QUALITY.contains(&q), "{q}");
            assert_eq!(q, gen_quality(7, &map, tx, ty), "the same tile, the same quality");
            seen[q as usize] += 1;
        }
        // Every quality of 8..=14 appears, none far from 2000 / 7.
        assert!(seen[8..].iter().all(|&n| (200..=380).contains(&n)), "{seen:?}");
        let other = (0..50).filter(|&t| gen_quality(8, &map, t, 0) != gen_quality(7, &map, t, 0)).count();
        assert!(other > 30, "another seed, other qualities");
    }

    #[test]
    fn land_near_finds_the_nearest_tile_a_character_fits_on_by_the_generated_terrain() {
        let content = Content::builtin();
        let generator = WorldGen::new(&content, 7).unwrap();
        let map = MapGeometry::new(map_id(0, 0), 8, 8);
        let chunk = generator.generate(&map, 2, 3);
        let terrain = |tx: i32, ty: i32| generator.terrain_at(map.id, tx, ty);
        let (tx0, ty0) = (2 * CHUNK_TILES, 3 * CHUNK_TILES);
        assert_eq!(terrain(tx0 + 5, ty0 + 9), chunk.tiles.terrain[ChunkTiles::index(5, 9)], "as generated");
        let (mut on_land, mut moved) = (0, 0);
        for i in 0..400 {
            let (tx, ty) = (tx0 + 10 + i % 20 * 5, ty0 + 10 + i / 20 * 5);
            let at = (tx * TILE + 37, ty * TILE + 200);
            let Some((x, y)) = generator.land_near(&content, &map, at, 8) else {
                // Nothing within 8 tiles: then no tile of the square fits.
                let square = (-8..=8).flat_map(|d| (-8..=8).map(move |e| (d, e)));
                assert!(square.clone().all(|(dx, dy)| !fits_on(&content, terrain, tx + dx, ty + dy)));
                continue;
            };
            let (lx, ly) = (x.div_euclid(TILE), y.div_euclid(TILE));
            assert_eq!((x, y), (lx * TILE + TILE / 2, ly * TILE + TILE / 2), "a tile's centre");
            assert!(fits_on(&content, terrain, lx, ly));
            let ring = (lx - tx).abs().max((ly - ty).abs());
            // No tile of a nearer ring fits.
            let nearer = (-ring + 1..ring).flat_map(|d| (-ring + 1..ring).map(move |e| (d, e)));
            assert!(nearer.clone().all(|(dx, dy)| !fits_on(&content, terrain, tx + dx, ty + dy)));
            if ring == 0 { on_land += 1 } else { moved += 1 }
        }
        assert!(on_land > 100 && moved > 0, "both cases seen: {on_land} on land, {moved} moved");
        // Beyond the exact rings: land found on the coarse rings, never farther than asked.
        let (map16, mut far) = (MapGeometry::new(map_id(1, 0), 16, 16), 0);
        for i in 0..200 {
            let (tx, ty) = (20 + i % 20 * 24, 20 + i / 20 * 48);
            let Some((x, y)) = generator.land_near(&content, &map16, (tx * TILE, ty * TILE), 64) else {
                continue;
            };
            let (lx, ly) = (x.div_euclid(TILE), y.div_euclid(TILE));
            assert!(fits_on(&content, |a, b| generator.terrain_at(map16.id, a, b), lx, ly));
            let ring = (lx - tx).abs().max((ly - ty).abs());
            assert!(ring <= 64);
            far += usize::from(ring > LAND_EXACT_TILES);
        }
        assert!(far > 0, "some spots needed the coarse rings");
    }

    #[test]
    fn generated_objects_carry_their_tiles_quality() {
        let content = Content::builtin();
        let generator = WorldGen::new(&content, 7).unwrap();
        let map = MapGeometry::new(map_id(0, 0), 8, 8);
        let chunk = generator.generate(&map, 3, 3);
        assert!(chunk.objects.len() > 100);
        for o in &chunk.objects {
            assert_eq!(o.quality, gen_quality(7, &map, o.x >> 8, o.y >> 8), "{o:?}");
        }
    }
}
