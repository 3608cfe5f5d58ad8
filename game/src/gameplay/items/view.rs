//! What each player sees of the items: its own inventory and every bag inside it, plus the box
//! it has open and every bag inside that. A view remembers what it last sent of each container
//! (revision and slots), so after a change it sends only the slots that differ
//! (ContainerChange), the whole of a container newly seen (ContainerContents), and a
//! ContainerClosed for one no longer seen.

use crate::items::ItemWorld;
use engine::Entity;
use net::protocol::{
    ContainerChange, ContainerClosed, ContainerContents, ContainerRef, EntityId, ItemSlot, ServerMessage,
    closed_reason,
};
use std::collections::{BTreeMap, HashMap};
use store::{Container, ItemRecord};

/// The box a player has open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenBox {
    /// Its stored object id.
    pub object: i64,
    /// Its entity.
    pub entity: Entity,
}

/// What was last sent of one container.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Shown {
    revision: u32,
    slots: BTreeMap<u16, ItemRecord>,
}

/// One player's view of the items.
#[derive(Debug)]
pub struct View {
    /// The player's character.
    pub entity: Entity,
    /// The box open, if any.
    pub open: Option<OpenBox>,
    /// Why the containers that leave the view at the next refresh leave it (a box closed on
    /// request, out of reach, replaced); otherwise they are gone.
    pub closing: Option<u8>,
    /// A Pickup request waiting for its interact action: `(target, request id)`.
    pub pickup: Option<(Entity, u32)>,
    /// Something this player sees may have changed: refresh at the end of the tick.
    pub dirty: bool,
    /// The ticket of the last item transaction that touched the player's inventory (it
    /// resolves once that and everything before it is durable).
    pub last_ticket: Option<store::Ticket>,
    shown: HashMap<Container, Shown>,
}

impl View {
    /// A new view of `entity` (nothing sent yet: the first refresh sends everything).
    pub fn new(entity: Entity) -> Self {
        Self {
            entity,
            open: None,
            closing: None,
            pickup: None,
            dirty: true,
            last_ticket: None,
            shown: HashMap::new(),
        }
    }

    /// True when the view sent `c` (and not its closing since).
    pub fn shows(&self, c: Container) -> bool {
        self.shown.contains_key(&c)
    }

    /// Brings the client up to date with `world`: the messages to send, in order.
    pub fn refresh(
        &mut self,
        player: i64,
        world: &ItemWorld,
        entity_of: impl Fn(i64) -> Option<Entity>,
        out: &mut Vec<ServerMessage>,
    ) {
        self.dirty = false;
        let mut roots = vec![Container::Player(player)];
        roots.extend(self.open.map(|b| Container::Object(b.object)));
        let visible = visible_containers(world, &roots);
        let wire = |c: Container| wire_ref(c, player, &entity_of);
        let reason = self.closing.take().unwrap_or(closed_reason::GONE);
        let gone: Vec<Container> = self.shown.keys().filter(|c| !visible.contains(c)).copied().collect();
        for c in gone {
            self.shown.remove(&c);
            if let Some(container) = wire(c) {
                out.push(ServerMessage::ContainerClosed(ContainerClosed { container, reason }));
            }
        }
        for c in visible {
            let (Some(slots), Some(container)) = (world.container(c), wire(c)) else { continue };
            if self.shown.get(&c).is_some_and(|s| s.revision == slots.revision()) {
                continue;
            }
            let now: BTreeMap<u16, ItemRecord> = world.items_in(c).map(|i| (slot_of(i), *i)).collect();
            match self.shown.get(&c) {
                None => out.push(ServerMessage::ContainerContents(ContainerContents {
                    container,
                    revision: slots.revision(),
                    capacity: slots.capacity(),
                    slots: now.values().map(item_slot).collect(),
                })),
                Some(shown) if shown.revision != slots.revision() => {
                    out.push(ServerMessage::ContainerChange(ContainerChange {
                        container,
                        base_revision: shown.revision,
                        revision: slots.revision(),
                        slots: changed_slots(&shown.slots, &now),
                    }))
                }
                Some(_) => continue,
            }
            self.shown.insert(c, Shown { revision: slots.revision(), slots: now });
        }
    }
}

/// `roots` and every container item (bag) below them, each listed once, parents first.
pub fn visible_containers(world: &ItemWorld, roots: &[Container]) -> Vec<Container> {
    let mut out: Vec<Container> = roots.iter().filter(|c| world.container(**c).is_some()).copied().collect();
    let mut next = 0;
    while next < out.len() {
        let c = out[next];
        next += 1;
        let Some(slots) = world.container(c) else { continue };
        for (_, id) in slots.occupied() {
            let bag = Container::Item(id);
            if world.container(bag).is_some() && !out.contains(&bag) {
                out.push(bag);
            }
        }
    }
    out
}

/// The root a container lies in (a character's inventory or a world object), walking up
/// through the bags holding it; `None` when a link is missing.
pub fn root_of(world: &ItemWorld, c: Container) -> Option<Container> {
    let mut at = c;
    for _ in 0..64 {
        match at {
            Container::Item(id) => at = world.item(id)?.container,
            root => return Some(root),
        }
    }
    None
}

/// How `player`'s client names `c`: its own inventory, a world object by entity, a bag by id.
fn wire_ref(c: Container, player: i64, entity_of: &impl Fn(i64) -> Option<Entity>) -> Option<ContainerRef> {
    match c {
        Container::Player(p) if p == player => Some(ContainerRef::Own),
        Container::Player(_) => None,
        Container::Object(id) => entity_of(id).map(|e| ContainerRef::Object(EntityId(e.to_bits()))),
        Container::Item(id) => u64::try_from(id).ok().map(ContainerRef::Item),
    }
}

fn slot_of(item: &ItemRecord) -> u16 {
    u16::try_from(item.slot).unwrap_or(u16::MAX)
}

fn item_slot(item: &ItemRecord) -> ItemSlot {
    ItemSlot {
        slot: slot_of(item),
        item: u64::try_from(item.id).unwrap_or(0),
        kind: item.kind,
        quality: item.quality,
        count: item.count,
    }
}

/// The slots whose content differs between `before` and `now` (an emptied one as empty).
fn changed_slots(before: &BTreeMap<u16, ItemRecord>, now: &BTreeMap<u16, ItemRecord>) -> Vec<ItemSlot> {
    let mut out = Vec::new();
    for (slot, old) in before {
        match now.get(slot) {
            None => out.push(ItemSlot::empty(*slot)),
            Some(new) if new != old => out.push(item_slot(new)),
            Some(_) => {}
        }
    }
    out.extend(now.iter().filter(|(s, _)| !before.contains_key(s)).map(|(_, i)| item_slot(i)));
    out.sort_by_key(|s| s.slot);
    out
}
