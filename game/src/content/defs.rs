//! The content's world data types as the files spell them: terrain types, object kinds,
//! character rules, continents and the chat rules, and the names of the files.

use serde::Deserialize;
use std::collections::BTreeMap;

/// The terrain file's name (also the label of its errors).
pub(super) const TERRAIN_FILE: &str = "terrain.toml";
/// The object file's name.
pub(super) const OBJECT_FILE: &str = "objects.toml";
/// The world file's name.
pub(super) const WORLD_FILE: &str = "world.toml";
/// The item file's name.
pub(super) const ITEM_FILE: &str = "items.toml";
/// The recipe file's name.
pub(super) const RECIPE_FILE: &str = "recipes.toml";

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

/// What an object kind is for, beyond being an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectRole {
    /// Holds items dropped on the ground (exactly one kind has it when there are items).
    Pile,
    /// What a dead character leaves, holding what it carried (at most one kind).
    Corpse,
    /// A way to the layer below (a cave entrance): placed by world generation (`[caves]` in
    /// `world.toml`), used with interact verb 0 (at most one kind).
    WayDown,
    /// The way back to the layer above, at the same place as the way down (at most one kind).
    WayUp,
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
    /// Slots of items the object holds (a box); `None` holds nothing.
    #[serde(default)]
    pub capacity: Option<u16>,
    /// Name of the item kind the object turns into when picked up empty.
    #[serde(default)]
    pub becomes: Option<String>,
    /// A special role (the pile of dropped items).
    #[serde(default)]
    pub role: Option<ObjectRole>,
    /// How the object grows through stages (a tree, a crop); `None` never changes stage.
    #[serde(default)]
    pub growth: Option<Growth>,
    /// What interacting with it gives (`super::Gather` once validated): chopping a tree,
    /// picking a bush, breaking stones off a rock, harvesting a crop.
    #[serde(default)]
    pub gather: Option<super::gathering::GatherDef>,
    /// Terrain names a seed that plants this kind may be planted on (a crop); empty: it is
    /// never planted.
    #[serde(default)]
    pub soil: Vec<String>,
}

/// An object kind's growth table: its stages in order and how long each lasts. The stage an
/// object shows is its index in `stages` (the record's `stage`, the wire's `state`); the last
/// stage lasts forever. `crate::growth` holds the rule that advances an object through it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Growth {
    /// Stage names in order (1..=16, unique).
    pub stages: Vec<String>,
    /// Seconds each stage but the last lasts (one fewer than `stages`, each > 0).
    pub seconds: Vec<u32>,
}

impl Growth {
    /// The final stage's index (it lasts forever).
    pub fn last_stage(&self) -> u16 {
        self.stages.len().saturating_sub(1) as u16
    }

    /// How long stage `stage` lasts in milliseconds; `None` for the last stage (forever) and
    /// beyond.
    pub fn duration_ms(&self, stage: u16) -> Option<i64> {
        self.seconds.get(usize::from(stage)).map(|&s| i64::from(s) * 1000)
    }

    /// The index of the stage named `name`.
    pub fn stage_named(&self, name: &str) -> Option<u16> {
        self.stages.iter().position(|s| s == name).map(|i| i as u16)
    }
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

/// A character's vitals: limits and rates (`[stats]` in `world.toml`; the rules that use them
/// are in `crate::stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatRules {
    /// Health of a rested character (1..=65535).
    pub max_health: u16,
    /// Hunger rises from 0 to this limit (1..=65535); at the limit health drains.
    pub hunger_limit: u16,
    /// Seconds for hunger to rise by one point (≥ 1).
    pub hunger_seconds: u16,
    /// Seconds per health point lost while hunger stands at its limit (≥ 1).
    pub starve_seconds: u16,
    /// Stamina of a rested character (1..=65535).
    pub max_stamina: u16,
    /// Stamina regained per second while not starving.
    pub stamina_per_second: u16,
}

/// Fighting and dying (`[combat]` in `world.toml`; the rules are in `crate::combat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CombatRules {
    /// What a character with no weapon in hand hits with.
    pub fist: super::item_kinds::Weapon,
    /// The quality the fist counts as.
    pub fist_quality: u32,
    /// Stamina each swing costs.
    pub stamina_per_hit: u16,
    /// Combat experience each hit landed gives.
    pub hit_experience: u32,
    /// Seconds from death to respawn.
    pub respawn_seconds: u32,
    /// Seconds a corpse lies where its character died.
    pub corpse_seconds: u32,
    /// True: a corpse vanishes after `corpse_seconds` with what it holds; false: one that
    /// still holds items stays until emptied.
    pub corpse_items_despawn: bool,
}

/// Local chat (`[chat]` in `world.toml`): who hears a line and how much a player may say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatRules {
    /// A line reaches every player whose character is within this many tiles of the speaker's.
    pub radius: i32,
    /// Most characters (Unicode scalar values) in a line once sanitized.
    pub max_chars: u16,
    /// Lines a player may say per 10 seconds, and at once after a silence (the burst).
    pub per_10s: u16,
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
