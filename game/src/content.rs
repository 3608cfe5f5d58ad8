//! Content data (`schemas/content/*.toml`): terrain types, object kinds, character rules and the
//! world layout, parsed with serde and validated with errors that name the file and field.

use crate::error::ContentError;
use crate::geom::{MAX_CONTINENT, MAX_LAYERS, MAX_MAP_CHUNKS, MapGeometry, WorldLayout, map_id};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Largest terrain id accepted (tiles store `u16`; the table is dense up to this).
pub const MAX_TERRAIN_ID: u16 = 1023;
/// Largest object collision radius (1/256 tile): two tiles.
pub const MAX_OBJECT_RADIUS: i32 = 512;

/// One terrain type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Terrain {
    /// Id stored in chunk tiles.
    pub id: u16,
    /// Unique name (world generation refers to terrains by name).
    pub name: String,
    /// True when characters cannot stand on it.
    pub blocks: bool,
}

/// One kind of world object.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectKind {
    /// Kind id stored in object records.
    pub id: u32,
    /// Unique name.
    pub name: String,
    /// Collision radius in 1/256 tile; 0 does not block.
    pub radius: i32,
    /// Terrain name → objects per 1,000 tiles placed by world generation.
    #[serde(default)]
    pub density: BTreeMap<String, u32>,
}

/// Rules shared by every character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CharacterRules {
    /// Collision radius (1/256 tile).
    pub radius: i32,
    /// Top speed per tick (1/256 tile).
    pub max_speed: i32,
    /// Edge-to-edge distance at which interact and attack orders act.
    pub interact_range: i32,
}

/// A continent: every layer shares its size.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContinentDef {
    /// Continent id (part of map ids).
    pub id: u16,
    /// Display name.
    pub name: String,
    /// Width in chunks.
    pub width_chunks: u32,
    /// Height in chunks.
    pub height_chunks: u32,
    /// Number of layers (layer 0 is the surface).
    pub layers: u16,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TerrainFile {
    terrain: Vec<Terrain>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ObjectFile {
    object: Vec<ObjectKind>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WorldFile {
    character: CharacterRules,
    continent: Vec<ContinentDef>,
}

/// All content data, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    /// Terrain types in file order.
    pub terrains: Vec<Terrain>,
    /// By terrain id: blocks movement (unknown ids block).
    pub blocking: Vec<bool>,
    /// Object kinds in file order.
    pub objects: Vec<ObjectKind>,
    /// Character rules.
    pub character: CharacterRules,
    /// World layout.
    pub continents: Vec<ContinentDef>,
}

const TERRAIN_FILE: &str = "terrain.toml";
const OBJECT_FILE: &str = "objects.toml";
const WORLD_FILE: &str = "world.toml";

impl Content {
    /// The content shipped in `schemas/content`, compiled in (tests, benchmarks, defaults).
    pub fn builtin() -> Content {
        let t = include_str!("../../schemas/content/terrain.toml");
        let o = include_str!("../../schemas/content/objects.toml");
        let w = include_str!("../../schemas/content/world.toml");
        Content::from_strs(t, o, w).expect("shipped content is valid (tested)")
    }

    /// Every map of the world: each continent's layers.
    pub fn layout(&self) -> WorldLayout {
        let mut maps = Vec::new();
        for c in &self.continents {
            for layer in 0..c.layers {
                maps.push(MapGeometry::new(map_id(c.id, layer), c.width_chunks, c.height_chunks));
            }
        }
        WorldLayout::from_maps(maps)
    }

    /// Loads `terrain.toml`, `objects.toml` and `world.toml` from `dir`.
    pub fn load_dir(dir: &Path) -> Result<Content, ContentError> {
        let read = |name: &str| {
            std::fs::read_to_string(dir.join(name))
                .map_err(|e| ContentError::new(name, "(file)", e.to_string()))
        };
        Content::from_strs(&read(TERRAIN_FILE)?, &read(OBJECT_FILE)?, &read(WORLD_FILE)?)
    }

    /// Parses and validates the three files' text.
    pub fn from_strs(terrain: &str, objects: &str, world: &str) -> Result<Content, ContentError> {
        let t: TerrainFile = parse(TERRAIN_FILE, terrain)?;
        let o: ObjectFile = parse(OBJECT_FILE, objects)?;
        let w: WorldFile = parse(WORLD_FILE, world)?;
        let blocking = validate_terrain(&t.terrain)?;
        let content = Content {
            terrains: t.terrain,
            blocking,
            objects: o.object,
            character: w.character,
            continents: w.continent,
        };
        content.validate_objects()?;
        content.validate_world()?;
        Ok(content)
    }

    /// The terrain named `name`.
    pub fn terrain(&self, name: &str) -> Option<&Terrain> {
        self.terrains.iter().find(|t| t.name == name)
    }

    /// The object kind named `name`.
    pub fn object(&self, name: &str) -> Option<&ObjectKind> {
        self.objects.iter().find(|o| o.name == name)
    }

    /// The object kind with id `id`.
    pub fn object_by_id(&self, id: u32) -> Option<&ObjectKind> {
        self.objects.iter().find(|o| o.id == id)
    }

    /// True when terrain `id` blocks movement (unknown ids block).
    #[inline]
    pub fn blocks(&self, id: u16) -> bool {
        self.blocking.get(id as usize).copied().unwrap_or(true)
    }

    /// Largest object collision radius.
    pub fn max_object_radius(&self) -> i32 {
        self.objects.iter().map(|o| o.radius).max().unwrap_or(0)
    }

    fn validate_objects(&self) -> Result<(), ContentError> {
        for (i, o) in self.objects.iter().enumerate() {
            let field = |f: &str| format!("object[{i}] ({}).{f}", o.name);
            if self.objects[..i].iter().any(|p| p.id == o.id) {
                return Err(ContentError::new(OBJECT_FILE, field("id"), format!("duplicate id {}", o.id)));
            }
            if self.objects[..i].iter().any(|p| p.name == o.name) {
                return Err(ContentError::new(OBJECT_FILE, field("name"), "duplicate name"));
            }
            if !(0..=MAX_OBJECT_RADIUS).contains(&o.radius) {
                let why = format!("{} is outside 0..={MAX_OBJECT_RADIUS}", o.radius);
                return Err(ContentError::new(OBJECT_FILE, field("radius"), why));
            }
            for (terrain, &d) in &o.density {
                if self.terrain(terrain).is_none() {
                    let why = format!("unknown terrain `{terrain}`");
                    return Err(ContentError::new(OBJECT_FILE, field("density"), why));
                }
                if d > 1000 {
                    let f = field(&format!("density.{terrain}"));
                    return Err(ContentError::new(OBJECT_FILE, f, "more than 1000 per 1000 tiles"));
                }
            }
        }
        Ok(())
    }

    fn validate_world(&self) -> Result<(), ContentError> {
        let c = &self.character;
        if !(16..=256).contains(&c.radius) {
            return Err(ContentError::new(WORLD_FILE, "character.radius", "must be 16..=256"));
        }
        if !(1..=4 * 256).contains(&c.max_speed) {
            return Err(ContentError::new(WORLD_FILE, "character.max_speed", "must be 1..=1024"));
        }
        if !(0..=8 * 256).contains(&c.interact_range) {
            return Err(ContentError::new(WORLD_FILE, "character.interact_range", "must be 0..=2048"));
        }
        if self.continents.is_empty() {
            return Err(ContentError::new(WORLD_FILE, "continent", "at least one continent is needed"));
        }
        for (i, k) in self.continents.iter().enumerate() {
            validate_continent(i, k, &self.continents[..i])?;
        }
        Ok(())
    }
}

fn validate_continent(i: usize, k: &ContinentDef, before: &[ContinentDef]) -> Result<(), ContentError> {
    let field = |f: &str| format!("continent[{i}] ({}).{f}", k.name);
    if before.iter().any(|p| p.id == k.id) {
        return Err(ContentError::new(WORLD_FILE, field("id"), format!("duplicate id {}", k.id)));
    }
    if k.id > MAX_CONTINENT {
        let why = format!("must be at most {}", MAX_CONTINENT);
        return Err(ContentError::new(WORLD_FILE, field("id"), why));
    }
    for (name, v) in [("width_chunks", k.width_chunks), ("height_chunks", k.height_chunks)] {
        if !(1..=MAX_MAP_CHUNKS).contains(&v) {
            let why = format!("{v} is outside 1..={}", MAX_MAP_CHUNKS);
            return Err(ContentError::new(WORLD_FILE, field(name), why));
        }
    }
    if !(1..=MAX_LAYERS).contains(&k.layers) {
        let why = format!("must be 1..={}", MAX_LAYERS);
        return Err(ContentError::new(WORLD_FILE, field("layers"), why));
    }
    Ok(())
}

fn validate_terrain(terrains: &[Terrain]) -> Result<Vec<bool>, ContentError> {
    let mut blocking = Vec::new();
    for (i, t) in terrains.iter().enumerate() {
        let field = |f: &str| format!("terrain[{i}] ({}).{f}", t.name);
        if t.id > MAX_TERRAIN_ID {
            let why = format!("{} is above {MAX_TERRAIN_ID}", t.id);
            return Err(ContentError::new(TERRAIN_FILE, field("id"), why));
        }
        if terrains[..i].iter().any(|p| p.id == t.id) {
            return Err(ContentError::new(TERRAIN_FILE, field("id"), format!("duplicate id {}", t.id)));
        }
        if terrains[..i].iter().any(|p| p.name == t.name) {
            return Err(ContentError::new(TERRAIN_FILE, field("name"), "duplicate name"));
        }
        if blocking.len() <= t.id as usize {
            blocking.resize(t.id as usize + 1, true);
        }
        blocking[t.id as usize] = t.blocks;
    }
    if terrains.is_empty() {
        return Err(ContentError::new(TERRAIN_FILE, "terrain", "at least one terrain is needed"));
    }
    Ok(blocking)
}

fn parse<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, ContentError> {
    toml::from_str(text).map_err(|e| {
        let span = e.span().map(|s| line_of(text, s.start)).unwrap_or(0);
        ContentError::new(file, format!("line {span}"), e.message().to_owned())
    })
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(0, |t| t.lines().count().max(1))
}

impl WorldLayout {
    /// Maps of every continent and layer (same as [`Content::layout`]).
    pub fn from_content(content: &Content) -> Self {
        content.layout()
    }
}
