//! Item content (`items.toml`): item kinds with their tags, the item rules (nesting depth,
//! inventory size) and the starter kit, as parsed and as validated (dense by id).

use serde::Deserialize;

/// Largest item kind id (the kind table is dense up to the largest id used).
pub const MAX_ITEM_ID: u32 = 65_535;
/// Largest `max_stack` of an item kind.
pub const MAX_STACK: u32 = 65_535;
/// Largest number of slots of any container (inventory, bag, box, pile).
pub const MAX_CAPACITY: u16 = 256;
/// Largest `max_depth` the rules may set.
pub const MAX_DEPTH: u8 = 8;

/// What an item kind is and can do; the fixed set `items.toml` may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemTag {
    /// Fells trees.
    Axe,
    /// Can be eaten (has `food` points).
    Food,
    /// Can be planted.
    Seed,
    /// A log from a tree.
    Log,
    /// Holds items in slots of its own (has `capacity`).
    Container,
    /// A tool.
    Tool,
    /// Can be wielded to attack (has `weapon`).
    Weapon,
    /// Worn on the body (the body equipment slot takes only armor).
    Armor,
    /// Crafting material.
    Material,
    /// Becomes an object when placed (has `places`).
    Placeable,
}

impl ItemTag {
    /// Every tag, in declaration order.
    pub const ALL: [ItemTag; 10] = [
        ItemTag::Axe,
        ItemTag::Food,
        ItemTag::Seed,
        ItemTag::Log,
        ItemTag::Container,
        ItemTag::Tool,
        ItemTag::Weapon,
        ItemTag::Armor,
        ItemTag::Material,
        ItemTag::Placeable,
    ];

    /// The name `items.toml` uses.
    pub fn name(self) -> &'static str {
        match self {
            ItemTag::Axe => "axe",
            ItemTag::Food => "food",
            ItemTag::Seed => "seed",
            ItemTag::Log => "log",
            ItemTag::Container => "container",
            ItemTag::Tool => "tool",
            ItemTag::Weapon => "weapon",
            ItemTag::Armor => "armor",
            ItemTag::Material => "material",
            ItemTag::Placeable => "placeable",
        }
    }

    /// The tag called `name`, if it is one of the known set.
    pub fn from_name(name: &str) -> Option<ItemTag> {
        ItemTag::ALL.into_iter().find(|t| t.name() == name)
    }

    fn bit(self) -> u16 {
        1 << self as u16
    }
}

/// A set of [`ItemTag`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ItemTags(u16);

impl ItemTags {
    /// True when `tag` is in the set.
    pub fn contains(self, tag: ItemTag) -> bool {
        self.0 & tag.bit() != 0
    }

    /// The set with `tag` added.
    pub fn with(self, tag: ItemTag) -> ItemTags {
        ItemTags(self.0 | tag.bit())
    }

    /// The tags in the set, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = ItemTag> {
        ItemTag::ALL.into_iter().filter(move |t| self.contains(*t))
    }
}

/// How a weapon hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weapon {
    /// Hit points taken per hit.
    pub damage: u32,
    /// Reach, edge to edge, in 1/256 tile.
    pub range: i32,
    /// Ticks between two hits.
    pub cooldown_ticks: u32,
}

/// One kind of item, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemKind {
    /// Kind id stored in item records (1..=[`MAX_ITEM_ID`]).
    pub id: u32,
    /// Unique name.
    pub name: String,
    /// Most items of this kind in one slot (1 = not stackable).
    pub max_stack: u32,
    /// What the kind is.
    pub tags: ItemTags,
    /// Slots it holds (a bag); 0 for every kind that is not a container.
    pub capacity: u16,
    /// Hunger points it restores (food only).
    pub food: Option<u32>,
    /// How it hits (weapons only).
    pub weapon: Option<Weapon>,
    /// Object kind id it becomes when placed (placeable only).
    pub places: Option<u32>,
    /// Object kind id it grows into when planted (seeds only).
    pub plants: Option<u32>,
}

impl ItemKind {
    /// True when items of this kind hold items ([`ItemTag::Container`]).
    pub fn is_container(&self) -> bool {
        self.capacity > 0
    }

    /// True when more than one fits in a slot.
    pub fn stackable(&self) -> bool {
        self.max_stack > 1
    }

    /// True when the kind has `tag`.
    pub fn has(&self, tag: ItemTag) -> bool {
        self.tags.contains(tag)
    }
}

/// Rules of every item container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemRules {
    /// Deepest nesting: an item directly in a root container (inventory, box, pile) is at
    /// depth 1, an item in a bag there at depth 2, and so on; no item may be deeper.
    pub max_depth: u8,
    /// Slots of a character's inventory.
    pub inventory_slots: u16,
}

/// Equipment slots after a character's `inventory_slots` (hand, body: `crate::items::EquipSlot`).
pub const EQUIPMENT_SLOTS: u16 = 2;

impl ItemRules {
    /// The rules of content without items: nothing nests and inventories have no slots.
    pub const NONE: ItemRules = ItemRules { max_depth: 1, inventory_slots: 0 };

    /// Slots of a character's inventory container: the inventory, then the equipment.
    pub fn inventory_capacity(&self) -> u16 {
        self.inventory_slots.saturating_add(EQUIPMENT_SLOTS)
    }
}

/// One stack of the starter kit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StarterStack {
    /// Item kind id.
    pub kind: u32,
    /// How many (at most the kind's `max_stack`).
    pub count: u32,
    /// Quality of the stack.
    pub quality: u32,
}

/// Item kinds, looked up by id in a dense table (no hashing).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItemTable {
    kinds: Vec<ItemKind>,
    /// By kind id: index into `kinds` plus one (0 = no such kind).
    by_id: Vec<u16>,
}

impl ItemTable {
    /// The table of `kinds` (ids already checked unique and at most [`MAX_ITEM_ID`]).
    pub(super) fn new(kinds: Vec<ItemKind>) -> ItemTable {
        let len = kinds.iter().map(|k| k.id as usize + 1).max().unwrap_or(0);
        let mut by_id = vec![0u16; len];
        for (i, k) in kinds.iter().enumerate() {
            by_id[k.id as usize] = u16::try_from(i + 1).unwrap_or(0);
        }
        ItemTable { kinds, by_id }
    }

    /// The kind with id `id`.
    #[inline]
    pub fn get(&self, id: u32) -> Option<&ItemKind> {
        let slot = *self.by_id.get(id as usize)?;
        self.kinds.get(usize::from(slot).checked_sub(1)?)
    }

    /// The kind named `name`.
    pub fn named(&self, name: &str) -> Option<&ItemKind> {
        self.kinds.iter().find(|k| k.name == name)
    }

    /// Every kind in file order.
    pub fn iter(&self) -> impl Iterator<Item = &ItemKind> {
        self.kinds.iter()
    }

    /// Number of kinds.
    pub fn len(&self) -> usize {
        self.kinds.len()
    }

    /// True when there are no item kinds.
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }
}

/// `items.toml` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ItemFile {
    #[serde(default)]
    pub(super) rules: Option<ItemRules>,
    #[serde(default)]
    pub(super) item: Vec<ItemDef>,
    #[serde(default)]
    pub(super) starter: StarterDef,
}

/// One `[[item]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ItemDef {
    pub(super) id: u32,
    pub(super) name: String,
    pub(super) max_stack: u32,
    #[serde(default)]
    pub(super) tags: Vec<String>,
    #[serde(default)]
    pub(super) capacity: Option<u16>,
    #[serde(default)]
    pub(super) food: Option<u32>,
    #[serde(default)]
    pub(super) weapon: Option<Weapon>,
    #[serde(default)]
    pub(super) places: Option<String>,
    #[serde(default)]
    pub(super) plants: Option<String>,
}

/// `[starter]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StarterDef {
    #[serde(default)]
    pub(super) kit: Vec<StarterEntry>,
    /// Quality of every kit item (10, the neutral quality, when not given).
    #[serde(default = "neutral_quality")]
    pub(super) quality: u32,
}

/// The neutral quality: food and weapons of quality 10 count as written (`sqrt(10/10)`).
pub const NEUTRAL_QUALITY: u32 = 10;

fn neutral_quality() -> u32 {
    NEUTRAL_QUALITY
}

/// One `{ item, count }` of the kit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StarterEntry {
    pub(super) item: String,
    pub(super) count: u32,
}
