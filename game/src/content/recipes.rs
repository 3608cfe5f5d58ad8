//! Recipe content (`recipes.toml`): what a recipe takes, needs and makes, as the file spells it
//! and as validated (item and object kinds by id, a dense table by recipe id).

use super::item_kinds::{ItemKind, ItemTag};
use crate::craft::Weights;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Largest recipe id (the Craft message's `recipe` is a `u16`; 0 is no recipe).
pub const MAX_RECIPE_ID: u32 = 65_535;
/// Most ingredient kinds one recipe takes.
pub const MAX_INGREDIENTS: usize = 8;
/// Most tools one recipe needs.
pub const MAX_TOOLS: usize = 4;
/// Most items one repetition of a recipe consumes, all ingredients together (keeps the quality
/// arithmetic within `u64`: see `crate::craft::quality`).
pub const MAX_RECIPE_INPUT: u32 = 65_535;
/// Longest craft: ten minutes at 20 ticks/s.
pub const MAX_CRAFT_TICKS: u32 = 12_000;
/// Largest stamina cost of one repetition.
pub const MAX_STAMINA_COST: u32 = 10_000;
/// Largest experience one repetition gives.
pub const MAX_EXPERIENCE: u32 = 1_000_000;

/// The kinds of experience a character gains; the fixed set `recipes.toml` may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExperienceKind {
    /// Fighting.
    Combat,
    /// Making things.
    Crafting,
    /// Felling, picking, mining.
    Gathering,
}

impl ExperienceKind {
    /// Every kind, in declaration order.
    pub const ALL: [ExperienceKind; 3] =
        [ExperienceKind::Combat, ExperienceKind::Crafting, ExperienceKind::Gathering];

    /// The name the content files use.
    pub fn name(self) -> &'static str {
        match self {
            ExperienceKind::Combat => "combat",
            ExperienceKind::Crafting => "crafting",
            ExperienceKind::Gathering => "gathering",
        }
    }

    /// The kind called `name`, if it is one of the known set.
    pub fn from_name(name: &str) -> Option<ExperienceKind> {
        ExperienceKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// Experience a repetition of a recipe gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Experience {
    /// Which experience.
    pub kind: ExperienceKind,
    /// How much.
    pub amount: u32,
}

/// A tool a recipe needs (kept, not consumed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolNeed {
    /// Any item with this tag.
    Tag(ItemTag),
    /// An item of this kind (id).
    Kind(u32),
}

impl ToolNeed {
    /// True when an item of `kind` serves as this tool.
    pub fn met_by(self, kind: &ItemKind) -> bool {
        match self {
            ToolNeed::Tag(tag) => kind.has(tag),
            ToolNeed::Kind(id) => kind.id == id,
        }
    }
}

/// So many items of one kind: an ingredient or a recipe's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecipeStack {
    /// Item kind id.
    pub kind: u32,
    /// How many per repetition.
    pub count: u32,
}

/// One recipe, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipe {
    /// The Craft message's `recipe` (1..=[`MAX_RECIPE_ID`]).
    pub id: u16,
    /// Unique name.
    pub name: String,
    /// What one repetition makes (count at most the kind's `max_stack`).
    pub result: RecipeStack,
    /// What one repetition consumes, by kind id ascending, each kind once, never the result's.
    pub ingredients: Vec<RecipeStack>,
    /// Tools that must be held, one item for each (none is also an ingredient).
    pub tools: Vec<ToolNeed>,
    /// Stamina one repetition costs (the caller's check).
    pub stamina: u32,
    /// Ticks one repetition takes at 20 ticks/s (at least 1).
    pub ticks: u32,
    /// Experience one repetition gives.
    pub experience: Experience,
    /// Object kind id that must be in reach (the caller's check); `None`: by hand.
    pub station: Option<u32>,
    /// Quality weights of ingredients and tools ([`Weights::DEFAULT`] unless overridden).
    pub weights: Weights,
}

impl Recipe {
    /// Stamina `times` repetitions cost: `stamina × times`.
    pub fn stamina_for(&self, times: u16) -> u64 {
        u64::from(self.stamina) * u64::from(times)
    }

    /// Ticks `times` repetitions take: `ticks × times`.
    pub fn ticks_for(&self, times: u16) -> u64 {
        u64::from(self.ticks) * u64::from(times)
    }

    /// Experience `times` repetitions give: `amount × times`.
    pub fn experience_for(&self, times: u16) -> u64 {
        u64::from(self.experience.amount) * u64::from(times)
    }
}

/// Recipes, looked up by id in a dense table (no hashing).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecipeBook {
    recipes: Vec<Recipe>,
    /// By recipe id: index into `recipes` plus one (0 = no such recipe).
    by_id: Vec<u32>,
}

impl RecipeBook {
    /// The book of `recipes` (ids already checked unique).
    pub(super) fn new(recipes: Vec<Recipe>) -> RecipeBook {
        let len = recipes.iter().map(|r| usize::from(r.id) + 1).max().unwrap_or(0);
        let mut by_id = vec![0u32; len];
        for (i, r) in recipes.iter().enumerate() {
            by_id[usize::from(r.id)] = u32::try_from(i + 1).unwrap_or(0);
        }
        RecipeBook { recipes, by_id }
    }

    /// The recipe with id `id`.
    #[inline]
    pub fn get(&self, id: u16) -> Option<&Recipe> {
        let slot = *self.by_id.get(usize::from(id))?;
        self.recipes.get((slot as usize).checked_sub(1)?)
    }

    /// The recipe named `name`.
    pub fn named(&self, name: &str) -> Option<&Recipe> {
        self.recipes.iter().find(|r| r.name == name)
    }

    /// Every recipe in file order.
    pub fn iter(&self) -> impl Iterator<Item = &Recipe> {
        self.recipes.iter()
    }

    /// Number of recipes.
    pub fn len(&self) -> usize {
        self.recipes.len()
    }

    /// True when there are no recipes.
    pub fn is_empty(&self) -> bool {
        self.recipes.is_empty()
    }
}

/// `recipes.toml` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RecipeFile {
    #[serde(default)]
    pub(super) recipe: Vec<RecipeDef>,
}

/// One `[[recipe]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RecipeDef {
    pub(super) id: u32,
    pub(super) name: String,
    pub(super) result: StackDef,
    #[serde(default)]
    pub(super) ingredients: BTreeMap<String, u32>,
    #[serde(default)]
    pub(super) tools: Vec<String>,
    pub(super) stamina: u32,
    pub(super) ticks: u32,
    pub(super) experience: ExperienceDef,
    #[serde(default)]
    pub(super) station: Option<String>,
    #[serde(default)]
    pub(super) weights: Option<WeightsDef>,
}

/// `{ item, count }` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StackDef {
    pub(super) item: String,
    pub(super) count: u32,
}

/// `{ kind, amount }` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ExperienceDef {
    pub(super) kind: String,
    pub(super) amount: u32,
}

/// `{ ingredients, tools }` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WeightsDef {
    pub(super) ingredients: u32,
    pub(super) tools: u32,
}
