//! Content data (`schemas/content/*.toml`): terrain types, object kinds, character rules, the
//! world layout, the chat rules, the caves, the items (kinds, rules, starter kit), the recipes
//! and what gathering from objects gives, parsed with serde and validated with errors that name
//! the file and field.
//!
//! `defs.rs`, `item_kinds.rs`, `recipes.rs` and `gathering.rs` hold the types (`caves.rs` the
//! cave rules and their checks), `validate.rs`,
//! `validate_items.rs`, `validate_recipes.rs` and `validate_gathering.rs` the checks; this
//! module loads the files and answers lookups.

mod caves;
mod client_view;
mod defs;
mod gathering;
mod item_kinds;
mod recipes;
mod validate;
mod validate_gathering;
mod validate_items;
mod validate_recipes;

pub use caves::{Caves, MAX_CLEARING_TILES};
pub use client_view::{ClientParams, client_json};
pub use defs::{
    CharacterRules, ChatRules, CombatRules, ContinentDef, Growth, ObjectKind, ObjectRole, StatRules, Terrain,
};
pub use gathering::{After, Gather, GatherDef, MAX_GATHER_TICKS, MAX_QUALITY_SPREAD, MAX_YIELD_KINDS, Yield};
pub use item_kinds::{
    EQUIPMENT_SLOTS, ItemKind, ItemRules, ItemTable, ItemTag, ItemTags, MAX_CAPACITY, MAX_DEPTH, MAX_ITEM_ID,
    MAX_STACK, StarterStack, Weapon,
};
pub use recipes::{
    Experience, ExperienceKind, MAX_CRAFT_TICKS, MAX_EXPERIENCE, MAX_INGREDIENTS, MAX_RECIPE_ID,
    MAX_RECIPE_INPUT, MAX_STAMINA_COST, MAX_TOOLS, Recipe, RecipeBook, RecipeStack, ToolNeed,
};
pub use validate::{
    MAX_CHAT_CHARS, MAX_CHAT_PER_10S, MAX_CHAT_RADIUS_TILES, MAX_GROWTH_STAGES, MAX_OBJECT_ID,
    MAX_OBJECT_RADIUS, MAX_TERRAIN_ID,
};

use crate::error::ContentError;
use crate::geom::{MapGeometry, WorldLayout, map_id};
use defs::{ITEM_FILE, OBJECT_FILE, RECIPE_FILE, TERRAIN_FILE, WORLD_FILE};
use item_kinds::ItemFile;
use recipes::RecipeFile;
use serde::Deserialize;
use std::path::Path;

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
    stats: StatRules,
    combat: CombatRules,
    chat: ChatRules,
    #[serde(default)]
    caves: Option<caves::CavesDef>,
    continent: Vec<ContinentDef>,
}

/// The text of every content file.
#[derive(Debug, Clone, Copy)]
pub struct ContentTexts<'a> {
    /// `terrain.toml`.
    pub terrain: &'a str,
    /// `objects.toml`.
    pub objects: &'a str,
    /// `world.toml`.
    pub world: &'a str,
    /// `items.toml`.
    pub items: &'a str,
    /// `recipes.toml`.
    pub recipes: &'a str,
}

impl ContentTexts<'static> {
    /// The files shipped in `schemas/content`, compiled in.
    pub const BUILTIN: ContentTexts<'static> = ContentTexts {
        terrain: include_str!("../../../schemas/content/terrain.toml"),
        objects: include_str!("../../../schemas/content/objects.toml"),
        world: include_str!("../../../schemas/content/world.toml"),
        items: include_str!("../../../schemas/content/items.toml"),
        recipes: include_str!("../../../schemas/content/recipes.toml"),
    };
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
    /// Vitals: limits and rates.
    pub stats: StatRules,
    /// Fighting and dying.
    pub combat: CombatRules,
    /// World layout.
    pub continents: Vec<ContinentDef>,
    /// Local chat: radius, line length, rate.
    pub chat: ChatRules,
    /// Ways between layers (`None`: none are generated).
    pub caves: Option<Caves>,
    /// Item kinds, dense by id.
    pub items: ItemTable,
    /// Rules of item containers (nesting depth, inventory size).
    pub item_rules: ItemRules,
    /// What a new character starts with, one stack per inventory slot in order.
    pub starter_kit: Vec<StarterStack>,
    /// Recipes, dense by id.
    pub recipes: RecipeBook,
    /// By object kind id: what gathering from it gives (`None`: nothing).
    gathering: Vec<Option<Gather>>,
    /// By object kind id: index into `objects` plus one (0 = no such kind).
    object_index: Vec<u16>,
    /// The pile kind's id (`role = "pile"`), if the content has one.
    pile: Option<u32>,
}

impl Content {
    /// The content shipped in `schemas/content`, compiled in (tests, benchmarks, defaults).
    pub fn builtin() -> Content {
        Content::from_texts(ContentTexts::BUILTIN).expect("shipped content is valid (tested)")
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

    /// Loads `terrain.toml`, `objects.toml`, `world.toml`, `items.toml` and `recipes.toml` from
    /// `dir`.
    pub fn load_dir(dir: &Path) -> Result<Content, ContentError> {
        let read = |name: &str| {
            std::fs::read_to_string(dir.join(name))
                .map_err(|e| ContentError::new(name, "(file)", e.to_string()))
        };
        let (terrain, objects) = (read(TERRAIN_FILE)?, read(OBJECT_FILE)?);
        let (world, items, recipes) = (read(WORLD_FILE)?, read(ITEM_FILE)?, read(RECIPE_FILE)?);
        Content::from_texts(ContentTexts {
            terrain: &terrain,
            objects: &objects,
            world: &world,
            items: &items,
            recipes: &recipes,
        })
    }

    /// Parses and validates the world files' text, without items (no item kinds, no pile
    /// needed, [`ItemRules::NONE`], no recipes, nothing to gather): content for tests of the
    /// world alone.
    pub fn from_strs(terrain: &str, objects: &str, world: &str) -> Result<Content, ContentError> {
        Content::from_texts(ContentTexts { terrain, objects, world, items: "", recipes: "" })
    }

    /// Parses and validates every file's text.
    pub fn from_texts(texts: ContentTexts<'_>) -> Result<Content, ContentError> {
        let t: TerrainFile = parse(TERRAIN_FILE, texts.terrain)?;
        let o: ObjectFile = parse(OBJECT_FILE, texts.objects)?;
        let w: WorldFile = parse(WORLD_FILE, texts.world)?;
        let i: ItemFile = parse(ITEM_FILE, texts.items)?;
        let r: RecipeFile = parse(RECIPE_FILE, texts.recipes)?;
        let blocking = validate::terrain(&t.terrain)?;
        let object_index = validate::objects(&o.object, &t.terrain)?;
        validate::world(&w.character, &w.continent)?;
        validate::stats(&w.stats)?;
        validate::combat(&w.combat)?;
        validate::chat(&w.chat)?;
        let items = validate_items::items(i, &o.object)?;
        let caves = caves::caves(w.caves, &o.object, items.table.is_empty())?;
        let pile = validate_items::object_items(&o.object, &items.table, &items.rules)?;
        let recipes = validate_recipes::recipes(r, &items.table, &o.object)?;
        // World files alone (no item kinds) gather nothing: what gathering gives names items.
        let gathering = if items.table.is_empty() {
            Vec::new()
        } else {
            validate_gathering::gathering(&o.object, &items.table)?
        };
        Ok(Content {
            terrains: t.terrain,
            blocking,
            objects: o.object,
            character: w.character,
            stats: w.stats,
            combat: w.combat,
            continents: w.continent,
            chat: w.chat,
            caves,
            items: items.table,
            item_rules: items.rules,
            starter_kit: items.starter,
            recipes,
            gathering,
            object_index,
            pile,
        })
    }

    /// The terrain named `name`.
    pub fn terrain(&self, name: &str) -> Option<&Terrain> {
        self.terrains.iter().find(|t| t.name == name)
    }

    /// The object kind named `name`.
    pub fn object(&self, name: &str) -> Option<&ObjectKind> {
        self.objects.iter().find(|o| o.name == name)
    }

    /// The object kind with id `id` (a dense table: no search, no hashing).
    #[inline]
    pub fn object_by_id(&self, id: u32) -> Option<&ObjectKind> {
        let slot = *self.object_index.get(id as usize)?;
        self.objects.get(usize::from(slot).checked_sub(1)?)
    }

    /// The item kind with id `kind` (a dense table: no search, no hashing).
    #[inline]
    pub fn item(&self, kind: u32) -> Option<&ItemKind> {
        self.items.get(kind)
    }

    /// The item kind named `name`.
    pub fn item_named(&self, name: &str) -> Option<&ItemKind> {
        self.items.named(name)
    }

    /// The recipe with id `id` (the Craft message's `recipe`; a dense table).
    #[inline]
    pub fn recipe(&self, id: u16) -> Option<&Recipe> {
        self.recipes.get(id)
    }

    /// The recipe named `name`.
    pub fn recipe_named(&self, name: &str) -> Option<&Recipe> {
        self.recipes.named(name)
    }

    /// The growth table of object kind `kind`, if it grows (a dense table: no search).
    #[inline]
    pub fn growth(&self, kind: u32) -> Option<&Growth> {
        self.object_by_id(kind)?.growth.as_ref()
    }

    /// The object kind a dead character leaves (`role = "corpse"`), if the content has one.
    pub fn corpse_kind(&self) -> Option<&ObjectKind> {
        self.objects.iter().find(|o| o.role == Some(ObjectRole::Corpse))
    }

    /// What gathering from an object of kind `kind` gives, if anything (a dense table).
    #[inline]
    pub fn gather(&self, kind: u32) -> Option<&Gather> {
        self.gathering.get(kind as usize)?.as_ref()
    }

    /// The object kind that holds items dropped on the ground (`role = "pile"`); always present
    /// when the content has item kinds.
    pub fn pile_kind(&self) -> Option<&ObjectKind> {
        self.object_by_id(self.pile?)
    }

    /// Where a way of object kind `kind` leads from map `map`: the map below for the way down,
    /// above for the way up; `None` for other kinds, or when that layer does not exist.
    pub fn way_from(&self, map: store::MapId, kind: u32) -> Option<store::MapId> {
        let (continent, layer) = crate::geom::split_map_id(map);
        let layers = self.continents.iter().find(|c| c.id == continent)?.layers;
        let to = match self.object_by_id(kind)?.role? {
            ObjectRole::WayDown => layer + 1,
            ObjectRole::WayUp => layer.checked_sub(1)?,
            _ => return None,
        };
        (to < layers).then(|| map_id(continent, to))
    }

    /// True when terrain `id` blocks movement (unknown ids block).
    #[inline]
    pub fn blocks(&self, id: u16) -> bool {
        blocks_in(&self.blocking, id)
    }

    /// Largest object collision radius.
    pub fn max_object_radius(&self) -> i32 {
        self.objects.iter().map(|o| o.radius).max().unwrap_or(0)
    }
}

/// Whether terrain `id` blocks by a table of [`Content::blocking`] (unknown ids block).
#[inline]
pub fn blocks_in(blocking: &[bool], id: u16) -> bool {
    blocking.get(id as usize).copied().unwrap_or(true)
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
