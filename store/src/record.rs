//! Plain records the store persists: players, items (with containers), chunks and objects.

use std::collections::HashMap;

/// A map is one (continent, layer) pair; the store treats it as an opaque number.
pub type MapId = u32;

/// Fixed-point position (1/256 tile), identical to the engine's representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Position {
    pub x: i32,
    pub y: i32,
}

/// The key under which a player name is unique: two names with the same key are one account.
///
/// Unicode NFKC, lowercased, then NFKC again (lowercasing can leave a string unnormalized), so
/// `Bob`, `BOB` and `Ｂｏｂ` (fullwidth) are one name, and so are a precomposed `é` and `e` +
/// U+0301. Which names are acceptable at all is the game's policy; this is only the key.
pub fn name_key(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    let lower: String = name.nfkc().flat_map(char::to_lowercase).collect();
    lower.nfkc().collect()
}

/// A character's persistent state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlayerRecord {
    pub id: i64,
    /// Login identity, unique by [`name_key`] (the key is derived by the store, never stored
    /// apart from the name).
    pub name: String,
    /// Hash of the session token (never the token itself).
    pub token_hash: Vec<u8>,
    pub map: MapId,
    pub pos: Position,
    pub health: i32,
    pub hunger: i32,
    pub stamina: i32,
    pub xp_combat: i64,
    pub xp_crafting: i64,
    pub xp_gathering: i64,
}

/// A coalesced position write for one player.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PositionUpdate {
    pub player: i64,
    pub map: MapId,
    pub pos: Position,
    /// The character's claim the position was taken under ([`crate::SaveSeq::claim`]): a
    /// fenced write applies only while that claim is the live one, so a position from before a
    /// hand-off never lands after it, even back on the same shard. Unfenced writes ignore it.
    pub claim: i64,
}

/// Where an item is: a player's inventory, a world object (box, corpse, dropped item) or a bag item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Container {
    Player(i64),
    Object(i64),
    Item(i64),
}

impl Container {
    /// Database encoding: (kind, id). Kinds: 1 player, 2 object, 3 item.
    pub fn to_parts(self) -> (i16, i64) {
        match self {
            Container::Player(id) => (1, id),
            Container::Object(id) => (2, id),
            Container::Item(id) => (3, id),
        }
    }

    /// Inverse of [`Container::to_parts`]; `None` for an unknown kind.
    pub fn from_parts(kind: i16, id: i64) -> Option<Container> {
        match kind {
            1 => Some(Container::Player(id)),
            2 => Some(Container::Object(id)),
            3 => Some(Container::Item(id)),
            _ => None,
        }
    }
}

/// One item stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemRecord {
    pub id: i64,
    pub kind: u32,
    pub quality: u32,
    pub count: u32,
    pub container: Container,
    pub slot: u32,
}

/// One operation of an item transaction. Every operation sets an absolute state, so replaying a
/// transaction after a lost acknowledgement is harmless.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemOp {
    /// Create the item or overwrite all its fields.
    Put(ItemRecord),
    /// Move an existing item (it must exist) to a container and slot.
    Move { id: i64, to: Container, slot: u32 },
    /// Set the count of an existing item.
    SetCount { id: i64, count: u32 },
    /// Delete an item (no error if it is already gone).
    Delete { id: i64 },
    /// Create or overwrite a world object in the same transaction (e.g. a dropped item), its
    /// [`ObjectRecord::holds_items`] flag as given: a container object (a pile of dropped items,
    /// a box) is written only this way.
    PutObject(ObjectRecord),
    /// Delete a world object in the same transaction (e.g. picking a dropped item up).
    DeleteObject { id: i64 },
}

/// A logical item change (drop, pickup, craft, transfer): all of its ops commit or none does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemTx {
    /// Short label for logs and error reports ("drop", "craft", ...).
    pub label: String,
    pub ops: Vec<ItemOp>,
    /// The map this change belongs to (its objects, or a player on it), checked in the same
    /// transaction ([`crate::Fence`]); `None` (the default): unfenced.
    pub fence: Option<crate::Fence>,
}

impl ItemTx {
    pub fn new(label: impl Into<String>, ops: Vec<ItemOp>) -> ItemTx {
        ItemTx { label: label.into(), ops, fence: None }
    }

    /// The same change, committed only while `fence` holds.
    pub fn fenced(mut self, fence: crate::Fence) -> ItemTx {
        self.fence = Some(fence);
        self
    }
}

/// A node of an inventory tree: an item and the items stored inside it (sorted by slot, then id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemNode {
    pub item: ItemRecord,
    pub children: Vec<ItemNode>,
}

/// Builds the tree of items below `root` from a flat list (items not reachable are ignored).
pub fn build_item_tree(root: Container, items: &[ItemRecord]) -> Vec<ItemNode> {
    let mut by_container: HashMap<Container, Vec<ItemRecord>> = HashMap::new();
    for item in items {
        by_container.entry(item.container).or_default().push(*item);
    }
    build_level(root, &mut by_container, 0)
}

fn build_level(
    at: Container,
    by_container: &mut HashMap<Container, Vec<ItemRecord>>,
    depth: usize,
) -> Vec<ItemNode> {
    let Some(mut level) = by_container.remove(&at) else {
        return Vec::new();
    };
    level.sort_by_key(|i| (i.slot, i.id));
    level
        .into_iter()
        .map(|item| {
            let children = if depth < MAX_NESTING {
                build_level(Container::Item(item.id), by_container, depth + 1)
            } else {
                Vec::new()
            };
            ItemNode { item, children }
        })
        .collect()
}

/// Deepest nesting the store follows when loading (protects against corrupted cyclic rows).
pub const MAX_NESTING: usize = 64;

/// Identifies a chunk: map and chunk coordinates (`grid_x`, `grid_y` of the objects inside it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChunkKey {
    pub map: MapId,
    pub cx: i32,
    pub cy: i32,
}

/// A stored chunk: its tile layers encoded by [`crate::codec`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkRecord {
    pub key: ChunkKey,
    pub version: u32,
    pub data: Vec<u8>,
}

/// A world object (tree, plant, rock, box, dropped item, corpse, ...).
///
/// Growth is stored as times, never as counters: the stage index plus when it started and when it
/// ends (milliseconds since the Unix epoch), so offline growth is a pure function of time.
///
/// Two layers write objects: chunk saves (the world's plain objects) and item transactions
/// (container objects, [`ObjectRecord::holds_items`]). Each object belongs to exactly one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectRecord {
    pub id: i64,
    pub map: MapId,
    pub grid_x: i32,
    pub grid_y: i32,
    pub kind: u32,
    pub pos: Position,
    pub quality: u32,
    pub stage: u16,
    pub stage_started_ms: i64,
    pub stage_ends_ms: i64,
    pub state: Vec<u8>,
    /// A container object (box, pile of dropped items, corpse): written only by item transactions
    /// ([`ItemOp::PutObject`], [`ItemOp::DeleteObject`]); chunk saves neither write nor delete it,
    /// because a chunk's object snapshot may be older than the item transaction that changed it.
    pub holds_items: bool,
}

impl ObjectRecord {
    /// The chunk the object is stored with.
    pub fn chunk(&self) -> ChunkKey {
        ChunkKey { map: self.map, cx: self.grid_x, cy: self.grid_y }
    }
}

/// Save of one chunk: its tiles (optional, when only objects changed) and its complete set of
/// plain objects. Plain objects of this chunk that are stored but not listed are deleted.
/// Container objects ([`ObjectRecord::holds_items`]) are not the chunk's to write: listed ones are
/// skipped, stored ones are neither overwritten nor deleted, whatever the save lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkSave {
    pub key: ChunkKey,
    pub chunk: Option<ChunkRecord>,
    pub objects: Vec<ObjectRecord>,
}

/// A player loaded with its inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayerLoad {
    pub player: PlayerRecord,
    /// Every item below the player, flat; use [`PlayerLoad::inventory`] for the tree.
    pub items: Vec<ItemRecord>,
    /// Item rows that could not be read; only those items are missing.
    pub bad: Vec<crate::BadRecord>,
}

impl PlayerLoad {
    pub fn inventory(&self) -> Vec<ItemNode> {
        build_item_tree(Container::Player(self.player.id), &self.items)
    }
}

/// A chunk loaded with its objects and the items inside those objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkLoad {
    pub key: ChunkKey,
    /// `None` if the chunk was never stored (the world generates it).
    pub chunk: Option<ChunkRecord>,
    pub objects: Vec<ObjectRecord>,
    /// Items held by the objects (boxes, corpses), recursively, flat.
    pub items: Vec<ItemRecord>,
    /// Rows that could not be read; only those records are missing.
    pub bad: Vec<crate::BadRecord>,
}

/// Kinds of ids the store hands out in blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Player,
    Item,
    Object,
}

impl IdKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IdKind::Player => "player",
            IdKind::Item => "item",
            IdKind::Object => "object",
        }
    }
}
