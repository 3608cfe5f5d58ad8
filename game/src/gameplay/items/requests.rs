//! What players ask of the item feature between two ticks (moves, drops, uses, plantings,
//! closing a box, a pickup's request id, crafts), translated from the wire with their containers
//! resolved, and the refusals the translation itself makes.

use super::jobs::OrderMark;
use crate::items::{Source, Target};
use crate::sim::components::Keys;
use crate::wire::error as code;
use engine::{Entity, World};
use net::protocol::{ANY_SLOT, ContainerRef, Craft, Drop, InventoryMove, Plant, UseItem};
use store::Container;

/// One player's item request, queued for the next tick's items system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemRequest {
    /// Move all or part of a stack.
    Move {
        /// The player.
        player: i64,
        /// The request id (echoed in errors).
        request: u32,
        /// Where from (with the revision seen).
        from: Source,
        /// Where to (with the revision seen).
        to: Target,
        /// How many.
        count: u32,
    },
    /// Drop all or part of a stack on the ground (a placeable item, alone, is placed).
    Drop {
        /// The player.
        player: i64,
        /// The request id.
        request: u32,
        /// Where from (with the revision seen).
        from: Source,
        /// How many.
        count: u32,
    },
    /// Use the item in a slot (eat food): one item of the stack.
    Use {
        /// The player.
        player: i64,
        /// The request id.
        request: u32,
        /// Which item (with the revision seen).
        from: Source,
    },
    /// Craft a recipe (checked, then run for its ticks; see `craft.rs`).
    Craft(CraftRequest),
    /// Plant one seed of a stack at a point (Plant).
    Plant {
        /// The player.
        player: i64,
        /// The request id.
        request: u32,
        /// Which seed (revision unchecked: the Plant message carries none).
        from: Source,
        /// Where, in 1/256 tile.
        at: (i32, i32),
    },
    /// Close the box the player has open.
    Close {
        /// The player.
        player: i64,
    },
    /// A request refused while it was translated (its container names nothing here): answered
    /// in turn with the others, so a client gets its answers in request order.
    Refused {
        /// The player.
        player: i64,
        /// The request id.
        request: u32,
        /// Code and text of the Error.
        refusal: Refusal,
    },
}

/// A refusal made before the request reached the items system: `(code, text)`.
pub type Refusal = (u16, String);

/// A Craft as the items system takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CraftRequest {
    /// The player.
    pub player: i64,
    /// The request id (echoed in its Error or CraftProgress).
    pub request: u32,
    /// The recipe id.
    pub recipe: u16,
    /// Repetitions.
    pub count: u16,
    /// The station entity named (`None`: by hand).
    pub station: Option<Entity>,
    /// The character's order when the Craft arrived: one given after it cancels the craft,
    /// even within the tick it starts in.
    pub order: OrderMark,
}

/// The request a Craft makes for `player`, whose character is `me`.
pub fn craft_request(world: &World, k: &Keys, player: i64, me: Entity, c: &Craft) -> ItemRequest {
    let order = world.column(k.order).get(me).map(OrderMark::of).unwrap_or_default();
    let station = (c.station.0 != 0).then(|| Entity::from_bits(c.station.0));
    ItemRequest::Craft(CraftRequest {
        player,
        request: c.request,
        recipe: c.recipe,
        count: c.count,
        station,
        order,
    })
}

/// The store container a wire reference names for `player`: the own inventory, the object an
/// entity id names (it must be a loaded object), or a bag by item id.
pub fn container_of(world: &World, k: &Keys, player: i64, r: ContainerRef) -> Result<Container, Refusal> {
    match r {
        ContainerRef::Own => Ok(Container::Player(player)),
        ContainerRef::Item(id) => i64::try_from(id)
            .map(Container::Item)
            .map_err(|_| (code::NO_SUCH_CONTAINER, format!("no item {id}"))),
        ContainerRef::Object(e) => world
            .column(k.object)
            .get(Entity::from_bits(e.0))
            .map(|rec| Container::Object(rec.id))
            .ok_or_else(|| (code::NO_SUCH_CONTAINER, format!("no object {} here", e.0))),
    }
}

/// A revision as a check: 0 on the wire means "do not check".
fn seen_source(s: Source, revision: u32) -> Source {
    if revision == 0 { s } else { s.seen(revision) }
}

fn seen_target(t: Target, revision: u32) -> Target {
    if revision == 0 { t } else { t.seen(revision) }
}

/// The request an InventoryMove makes.
pub fn move_request(world: &World, k: &Keys, player: i64, m: &InventoryMove) -> Result<ItemRequest, Refusal> {
    let from = container_of(world, k, player, m.from)?;
    let to = container_of(world, k, player, m.to)?;
    let source = seen_source(Source::new(from, m.from_slot), m.from_revision);
    let target = if m.to_slot == ANY_SLOT { Target::any(to) } else { Target::slot(to, m.to_slot) };
    let target = seen_target(target, m.to_revision);
    Ok(ItemRequest::Move { player, request: m.request, from: source, to: target, count: u32::from(m.count) })
}

/// The request a UseItem makes.
pub fn use_request(world: &World, k: &Keys, player: i64, u: &UseItem) -> Result<ItemRequest, Refusal> {
    let from = container_of(world, k, player, u.container)?;
    Ok(ItemRequest::Use {
        player,
        request: u.request,
        from: seen_source(Source::new(from, u.slot), u.revision),
    })
}

/// The request a Plant makes.
pub fn plant_request(world: &World, k: &Keys, player: i64, p: &Plant) -> Result<ItemRequest, Refusal> {
    let from = container_of(world, k, player, p.container)?;
    Ok(ItemRequest::Plant { player, request: p.request, from: Source::new(from, p.slot), at: (p.x, p.y) })
}

/// The request a Drop makes.
pub fn drop_request(world: &World, k: &Keys, player: i64, d: &Drop) -> Result<ItemRequest, Refusal> {
    let from = container_of(world, k, player, d.container)?;
    let source = seen_source(Source::new(from, d.slot), d.revision);
    Ok(ItemRequest::Drop { player, request: d.request, from: source, count: u32::from(d.count) })
}
