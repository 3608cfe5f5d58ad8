//! `ItemWorld`: the items of one map's containers (its players' inventories, its boxes and
//! piles, and the bags inside them), with their slots and revisions, and the queries every
//! operation checks against.

use super::error::ItemError;
use crate::content::{Content, ItemKind};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use store::{Container, ItemRecord};

/// An item's id (the store's item id).
pub type ItemId = i64;

/// Walks up at most this many containers (a guard: the rules allow at most 8).
const WALK_LIMIT: usize = 64;

/// A container the world holds items in: a character's inventory or a world object. Bags
/// (`Container::Item`) are not roots: they come and go with their item.
///
/// A server-side bot's inventory is a `Player` root under a negative id ([`bot_holder`]; stored
/// player ids are positive). It is the one container that is never stored: what a bot carries
/// lives in memory only, an item entering it leaves storage and an item leaving it for a stored
/// container (a corpse, a drop) enters storage whole (see `plan.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Root {
    /// A character's inventory (player id).
    Player(i64),
    /// A world object: a box, a pile (object id).
    Object(i64),
}

impl Root {
    /// The store's container key.
    pub fn container(self) -> Container {
        match self {
            Root::Player(id) => Container::Player(id),
            Root::Object(id) => Container::Object(id),
        }
    }
}

/// The inventory id of the bot whose entity has index `index` (see [`Root`]).
pub const fn bot_holder(index: u32) -> i64 {
    -1 - index as i64
}

/// True when a `Player` container id names a bot's inventory (see [`Root`]).
pub const fn is_bot_holder(id: i64) -> bool {
    id < 0
}

impl From<Root> for Container {
    fn from(root: Root) -> Container {
        root.container()
    }
}

/// One container's slots and revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slots {
    pub(super) slots: Vec<Option<ItemId>>,
    pub(super) revision: u32,
}

impl Slots {
    /// An empty container of `capacity` slots, at revision 1 (0 means "unchecked" in requests).
    pub(super) fn new(capacity: u16) -> Slots {
        Slots { slots: vec![None; usize::from(capacity)], revision: 1 }
    }

    /// Number of slots.
    pub fn capacity(&self) -> u16 {
        u16::try_from(self.slots.len()).unwrap_or(u16::MAX)
    }

    /// Grows by one on every change of the container (wrapping).
    pub fn revision(&self) -> u32 {
        self.revision
    }

    /// The item in `slot` (`None`: empty or out of range).
    pub fn get(&self, slot: u16) -> Option<ItemId> {
        self.slots.get(usize::from(slot)).copied().flatten()
    }

    /// `(slot, item)` of every occupied slot, in slot order.
    pub fn occupied(&self) -> impl Iterator<Item = (u16, ItemId)> + '_ {
        self.slots.iter().enumerate().filter_map(|(s, id)| Some((u16::try_from(s).ok()?, (*id)?)))
    }

    /// True when no slot holds an item.
    pub fn is_empty(&self) -> bool {
        self.slots.iter().all(Option::is_none)
    }
}

/// The items of many containers, each item in exactly one slot of one container.
#[derive(Debug, Clone)]
pub struct ItemWorld {
    pub(super) content: Arc<Content>,
    pub(super) containers: HashMap<Container, Slots>,
    pub(super) items: HashMap<ItemId, ItemRecord>,
}

impl ItemWorld {
    /// An empty world judged by `content`'s item kinds and rules.
    pub fn new(content: Arc<Content>) -> ItemWorld {
        ItemWorld { content, containers: HashMap::new(), items: HashMap::new() }
    }

    /// The content the world follows.
    pub fn content(&self) -> &Content {
        &self.content
    }

    /// The container's slots, if it is loaded.
    pub fn container(&self, c: Container) -> Option<&Slots> {
        self.containers.get(&c)
    }

    /// The container's revision, if it is loaded.
    pub fn revision(&self, c: Container) -> Option<u32> {
        self.containers.get(&c).map(|s| s.revision)
    }

    /// The item with id `id`.
    pub fn item(&self, id: ItemId) -> Option<&ItemRecord> {
        self.items.get(&id)
    }

    /// The item in `slot` of `c`.
    pub fn item_at(&self, c: Container, slot: u16) -> Option<&ItemRecord> {
        self.items.get(&self.containers.get(&c)?.get(slot)?)
    }

    /// The items directly in `c`, in slot order (none when `c` is not loaded).
    pub fn items_in(&self, c: Container) -> impl Iterator<Item = &ItemRecord> + '_ {
        let slots = self.containers.get(&c).into_iter().flat_map(Slots::occupied);
        slots.filter_map(|(_, id)| self.items.get(&id))
    }

    /// Every item held, in no particular order.
    pub fn records(&self) -> impl Iterator<Item = &ItemRecord> + '_ {
        self.items.values()
    }

    /// Every loaded container, in no particular order.
    pub fn containers(&self) -> impl Iterator<Item = (Container, &Slots)> + '_ {
        self.containers.iter().map(|(c, s)| (*c, s))
    }

    /// Number of items held.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when no item is held.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// How many items of each (kind, quality) are held, over every container.
    pub fn totals(&self) -> BTreeMap<(u32, u32), u64> {
        let mut totals = BTreeMap::new();
        for i in self.items.values() {
            *totals.entry((i.kind, i.quality)).or_insert(0) += u64::from(i.count);
        }
        totals
    }

    /// How deep `c` is: 0 for a root, the depth of its bag item for a bag (an item directly in
    /// a root is at depth 1). `None` when `c` is not loaded.
    pub fn depth(&self, c: Container) -> Option<usize> {
        if !self.containers.contains_key(&c) {
            return None;
        }
        let mut at = c;
        for depth in 0..WALK_LIMIT {
            match at {
                Container::Item(id) => at = self.items.get(&id)?.container,
                _ => return Some(depth),
            }
        }
        None
    }

    /// How many levels of items `id` holds below itself: 0 when it holds nothing, 1 when it
    /// holds items that hold nothing, and so on.
    pub fn height(&self, id: ItemId) -> usize {
        self.height_within(id, WALK_LIMIT)
    }

    fn height_within(&self, id: ItemId, budget: usize) -> usize {
        let Some(slots) = self.containers.get(&Container::Item(id)) else { return 0 };
        if budget == 0 {
            return WALK_LIMIT;
        }
        let children = slots.occupied().map(|(_, child)| 1 + self.height_within(child, budget - 1));
        children.max().unwrap_or(0)
    }

    /// True when `c` is item `id`'s own container or lies anywhere inside it.
    pub fn is_inside(&self, c: Container, id: ItemId) -> bool {
        let mut at = c;
        for _ in 0..WALK_LIMIT {
            match at {
                Container::Item(x) if x == id => return true,
                Container::Item(x) => match self.items.get(&x) {
                    Some(i) => at = i.container,
                    None => return false,
                },
                _ => return false,
            }
        }
        true
    }

    /// False when `c` lies in a bot's inventory (at any depth): its items are never stored.
    pub fn is_stored(&self, c: Container) -> bool {
        let mut at = c;
        for _ in 0..WALK_LIMIT {
            match at {
                Container::Item(id) => match self.items.get(&id) {
                    Some(item) => at = item.container,
                    None => return true,
                },
                Container::Player(id) => return !is_bot_holder(id),
                Container::Object(_) => return true,
            }
        }
        true
    }

    /// The item kind of `kind`.
    pub(super) fn kind(&self, kind: u32) -> Result<&ItemKind, ItemError> {
        self.content.item(kind).ok_or(ItemError::UnknownKind(kind))
    }

    /// The loaded container `c`.
    pub(super) fn slots(&self, c: Container) -> Result<&Slots, ItemError> {
        self.containers.get(&c).ok_or(ItemError::NoSuchContainer(c))
    }

    /// Every item below `c` at any depth, parents before children, each level in slot order.
    pub(super) fn subtree(&self, c: Container) -> Vec<ItemId> {
        let mut out = Vec::new();
        let mut next = 0;
        let mut at = Some(c);
        while let Some(c) = at
            && out.len() <= self.items.len()
        {
            if let Some(slots) = self.containers.get(&c) {
                out.extend(slots.occupied().map(|(_, id)| id));
            }
            at = out.get(next).map(|&id| Container::Item(id));
            next += 1;
        }
        out
    }
}
