//! What a gameplay bot can do with items, read from what its client holds: the containers shown
//! (its inventory, its bag, its open box) and the objects in its chunks (piles, boxes). Every
//! [`Plan`] names slots, items and objects the server sent; item kinds are told apart by the
//! content (stackable, container, placeable), never by name.

use super::item_counts::ActionKind;
use super::rng::Rng;
use game::client::{CachedObject, GameClient};
use game::geom::{MapGeometry, TILE};
use net::protocol::{ANY_SLOT, ContainerRef, EntityId, ItemSlot};

/// Piles farther than this are not worth the walk.
pub const PILE_RANGE: i32 = 8 * TILE;
/// A bot keeps at least this many stackable items: it drops only beyond.
const KEEP_ITEMS: u32 = 3;
/// Most items dropped at once.
const MAX_DROP: u32 = 3;

/// One item action, ready to become a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// An InventoryMove (moves between inventory and bag, stashing, taking back).
    Move {
        /// Which action it is.
        kind: ActionKind,
        /// Source container and slot.
        from: (ContainerRef, u16),
        /// Destination container and slot (or [`ANY_SLOT`]).
        to: (ContainerRef, u16),
        /// How many.
        count: u16,
    },
    /// A Drop (a pile of part of a stack, or the box item placed).
    Drop {
        /// Which action it is.
        kind: ActionKind,
        /// Source container and slot.
        from: (ContainerRef, u16),
        /// How many.
        count: u16,
    },
    /// A Pickup of a pile.
    Pickup {
        /// The pile.
        pile: CachedObject,
    },
    /// An interact order on an object (open a box, pick it up).
    Interact {
        /// Which action it is.
        kind: ActionKind,
        /// The object.
        object: CachedObject,
        /// The verb (`game::wire::verb`).
        verb: u8,
    },
    /// A CloseContainer.
    Close {
        /// The open container.
        container: ContainerRef,
    },
}

impl Plan {
    /// Which action it is.
    pub fn kind(&self) -> ActionKind {
        match *self {
            Plan::Move { kind, .. } | Plan::Drop { kind, .. } | Plan::Interact { kind, .. } => kind,
            Plan::Pickup { .. } => ActionKind::Pickup,
            Plan::Close { .. } => ActionKind::Close,
        }
    }
}

/// A random element of `items`.
fn pick<T: Copy>(rng: &mut Rng, items: &[T]) -> Option<T> {
    if items.is_empty() {
        return None;
    }
    Some(items[rng.range(0, items.len() as i64 - 1) as usize])
}

/// A count in `lo..=hi` as a request count.
fn count_in(rng: &mut Rng, lo: u32, hi: u32) -> u16 {
    rng.range(i64::from(lo), i64::from(hi)).clamp(1, i64::from(u16::MAX)) as u16
}

/// True when items of `kind` stack (berries, branches; not a bag or a box).
fn stackable(game: &GameClient, kind: u32) -> bool {
    game.world().content().item(kind).is_some_and(|k| k.stackable())
}

/// The stacks of stackable items in container `c`.
pub fn stacks(game: &GameClient, c: &ContainerRef) -> Vec<ItemSlot> {
    let Some(view) = game.container(c) else { return Vec::new() };
    view.slots.values().filter(|s| s.count > 0 && stackable(game, s.kind)).copied().collect()
}

/// The bag in the inventory whose contents are shown.
pub fn bag(game: &GameClient) -> Option<ContainerRef> {
    let own = game.container(&ContainerRef::Own)?;
    let content = game.world().content();
    own.slots
        .values()
        .filter(|s| content.item(s.kind).is_some_and(|k| k.is_container()))
        .map(|s| ContainerRef::Item(s.item))
        .find(|bag| game.container(bag).is_some())
}

/// Stackable items held in the inventory and the bag.
fn stackable_total(game: &GameClient) -> u32 {
    let mut total: u32 = stacks(game, &ContainerRef::Own).iter().map(|s| s.count).sum();
    if let Some(bag) = bag(game) {
        total += stacks(game, &bag).iter().map(|s| s.count).sum::<u32>();
    }
    total
}

/// A move between the inventory and the bag, or inside the inventory: part or all of a stack
/// into the bag (a split, or a merge with a stack there), back out of the bag, a split into a
/// free inventory slot, or a merge of two inventory stacks of one kind and quality.
pub fn inventory_move(game: &GameClient, rng: &mut Rng) -> Option<Plan> {
    let own_ref = ContainerRef::Own;
    let own = stacks(game, &own_ref);
    let bag = bag(game);
    let in_bag = bag.map(|b| stacks(game, &b)).unwrap_or_default();
    let mut options: Vec<u8> = Vec::new();
    if bag.is_some() && !own.is_empty() {
        options.push(0);
    }
    if !in_bag.is_empty() {
        options.push(1);
    }
    let inventory = game.world().content().item_rules.inventory_slots;
    let free = game.container(&own_ref).and_then(|v| v.first_free_slot_below(inventory));
    let splittable: Vec<ItemSlot> = own.iter().filter(|s| s.count >= 2).copied().collect();
    if free.is_some() && !splittable.is_empty() {
        options.push(2);
    }
    let merges = merge_pairs(game, &own);
    if !merges.is_empty() {
        options.push(3);
    }
    let mv = |from: (ContainerRef, u16), to: (ContainerRef, u16), count: u16| Plan::Move {
        kind: ActionKind::Move,
        from,
        to,
        count,
    };
    match pick(rng, &options)? {
        0 => {
            let s = pick(rng, &own)?;
            Some(mv((own_ref, s.slot), (bag?, ANY_SLOT), count_in(rng, 1, s.count)))
        }
        1 => {
            let s = pick(rng, &in_bag)?;
            Some(mv((bag?, s.slot), (own_ref, ANY_SLOT), count_in(rng, 1, s.count)))
        }
        2 => {
            let s = pick(rng, &splittable)?;
            Some(mv((own_ref, s.slot), (own_ref, free?), count_in(rng, 1, s.count - 1)))
        }
        _ => {
            let (from, to, count) = pick(rng, &merges)?;
            Some(mv((own_ref, from), (own_ref, to), count))
        }
    }
}

/// Pairs of inventory stacks of one kind and quality, `(from slot, onto slot, count that fits)`.
fn merge_pairs(game: &GameClient, own: &[ItemSlot]) -> Vec<(u16, u16, u16)> {
    let content = game.world().content();
    let mut out = Vec::new();
    for a in own {
        for b in own.iter().filter(|b| b.slot != a.slot && (b.kind, b.quality) == (a.kind, a.quality)) {
            let max = content.item(b.kind).map_or(0, |k| k.max_stack);
            let fits = a.count.min(max.saturating_sub(b.count));
            if fits > 0 {
                out.push((a.slot, b.slot, fits.min(u32::from(u16::MAX)) as u16));
            }
        }
    }
    out
}

/// A few items of a stack in the inventory or the bag, dropped on the ground (only while the
/// bot holds more than a handful).
pub fn drop_some(game: &GameClient, rng: &mut Rng) -> Option<Plan> {
    if stackable_total(game) <= KEEP_ITEMS {
        return None;
    }
    let mut sources: Vec<(ContainerRef, ItemSlot)> =
        stacks(game, &ContainerRef::Own).into_iter().map(|s| (ContainerRef::Own, s)).collect();
    if let Some(bag) = bag(game) {
        sources.extend(stacks(game, &bag).into_iter().map(|s| (bag, s)));
    }
    let (c, s) = pick(rng, &sources)?;
    let count = count_in(rng, 1, s.count.min(MAX_DROP));
    Some(Plan::Drop { kind: ActionKind::Drop, from: (c, s.slot), count })
}

/// A pile within [`PILE_RANGE`] of the bot, its own or another's.
pub fn pile_nearby(game: &GameClient, rng: &mut Rng) -> Option<Plan> {
    let pile_kind = game.world().content().pile_kind()?.id;
    let at = game.position()?;
    let piles = objects_near(game, at, PILE_RANGE, pile_kind);
    pick(rng, &piles).map(|pile| Plan::Pickup { pile })
}

/// A placeable item lying alone in an inventory slot that places a container object (the box):
/// its Drop places the object. Returns the plan and the object kind it places.
pub fn place_box(game: &GameClient) -> Option<(Plan, u32)> {
    let own = game.container(&ContainerRef::Own)?;
    let content = game.world().content();
    own.slots.values().filter(|s| s.count == 1).find_map(|s| {
        let object = content.item(s.kind)?.places?;
        let kind = content.object_by_id(object)?;
        (kind.capacity.is_some() && kind.becomes.is_some()).then_some((
            Plan::Drop { kind: ActionKind::Place, from: (ContainerRef::Own, s.slot), count: 1 },
            object,
        ))
    })
}

/// A stack of the inventory, all or part of it, into open box `container`.
pub fn stash(game: &GameClient, rng: &mut Rng, container: ContainerRef) -> Option<Plan> {
    let s = pick(rng, &stacks(game, &ContainerRef::Own))?;
    let count = count_in(rng, 1, s.count);
    Some(Plan::Move {
        kind: ActionKind::Stash,
        from: (ContainerRef::Own, s.slot),
        to: (container, ANY_SLOT),
        count,
    })
}

/// The first stack of open box `container`, all of it, back into the inventory.
pub fn take_back(game: &GameClient, container: ContainerRef) -> Option<Plan> {
    let s = game.container(&container)?.slots.values().next().copied()?;
    let count = s.count.min(u32::from(u16::MAX)) as u16;
    Some(Plan::Move {
        kind: ActionKind::Take,
        from: (container, s.slot),
        to: (ContainerRef::Own, ANY_SLOT),
        count,
    })
}

/// The wire reference of the container object `entity`.
pub fn object_ref(entity: u64) -> ContainerRef {
    ContainerRef::Object(EntityId(entity))
}

/// Objects of kind `kind` in the held chunks whose centre lies within `range` of `at`.
pub fn objects_near(game: &GameClient, at: (i32, i32), range: i32, kind: u32) -> Vec<CachedObject> {
    let chunks = game.world().chunks();
    let (lo, hi) = (
        MapGeometry::chunk_of(at.0.saturating_sub(range), at.1.saturating_sub(range)),
        MapGeometry::chunk_of(at.0.saturating_add(range), at.1.saturating_add(range)),
    );
    let near = |o: &&CachedObject| {
        let (dx, dy) = (i64::from(o.x - at.0), i64::from(o.y - at.1));
        u32::from(o.kind) == kind && dx * dx + dy * dy <= i64::from(range).pow(2)
    };
    let mut out = Vec::new();
    for cy in lo.1..=hi.1 {
        for cx in lo.0..=hi.0 {
            if let Some(chunk) = chunks.get(cx, cy) {
                out.extend(chunk.objects().iter().filter(near).copied());
            }
        }
    }
    out
}

/// True when object `entity`, last seen at `at`, is still in the chunk there.
pub fn still_there(game: &GameClient, entity: u64, at: (i32, i32)) -> bool {
    let (cx, cy) = MapGeometry::chunk_of(at.0, at.1);
    game.world().chunks().get(cx, cy).is_some_and(|c| c.objects().iter().any(|o| o.entity == entity))
}
