//! Applying an operation: a checked plan of effects becomes the world's new state, the store
//! ops that make storage equal to it (one `ItemTx`) and the containers' new revisions. Planning
//! checks everything first, so applying never fails once the new ids are in hand.

use super::error::ItemError;
use super::world::{ItemId, ItemWorld, Slots};
use store::{Container, ItemOp, ItemRecord, ItemTx, ObjectRecord};

/// Where new item ids come from (the shard's id blocks; a counter in tests).
pub trait IdSource {
    /// The next unused item id, or `None` when none is available right now.
    fn next_id(&mut self) -> Option<ItemId>;
}

impl<F: FnMut() -> Option<ItemId>> IdSource for F {
    fn next_id(&mut self) -> Option<ItemId> {
        self()
    }
}

/// A container's revision after an operation changed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revised {
    /// The container.
    pub container: Container,
    /// Its new revision.
    pub revision: u32,
}

/// What a successful operation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemChange {
    /// The ops that make storage equal to the world (submit as one transaction; empty when
    /// nothing changed).
    pub tx: ItemTx,
    /// Every container that changed, with its new revision, in the order first changed.
    pub revised: Vec<Revised>,
    /// How many items arrived at the destination (moved, merged, created) or were taken.
    pub count: u32,
}

impl ItemChange {
    /// True when the operation changed nothing (nothing to store or to tell). A change of a
    /// bot's inventory alone stores nothing but is not empty.
    pub fn is_empty(&self) -> bool {
        self.tx.ops.is_empty() && self.revised.is_empty()
    }

    /// Puts the new pile or box object first in the transaction, so the object and the items
    /// moved into it commit together.
    pub fn put_object_first(&mut self, object: ObjectRecord) {
        self.tx.ops.insert(0, ItemOp::PutObject(object));
    }

    /// Deletes an emptied object last in the transaction (after its items left it).
    pub fn delete_object_last(&mut self, id: i64) {
        self.tx.ops.push(ItemOp::DeleteObject { id });
    }
}

/// One change to the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Effect {
    /// A new, empty root container.
    NewContainer { root: Container, capacity: u16 },
    /// An existing item's new count.
    Count { id: ItemId, count: u32 },
    /// An existing item, whole, to an empty slot, with its (possibly new) count.
    Relocate { id: ItemId, to: Container, slot: u16, count: u32 },
    /// A new item in an empty slot (its id is drawn when the plan is applied).
    Create { kind: u32, quality: u32, count: u32, to: Container, slot: u16 },
    /// An item gone (never one that still holds items).
    Delete { id: ItemId },
}

/// A checked operation: its label and effects, applied in order.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    pub(super) label: &'static str,
    pub(super) effects: Vec<Effect>,
    /// Items arriving or taken (reported as [`ItemChange::count`]).
    pub(super) count: u32,
}

impl Plan {
    pub(super) fn new(label: &'static str) -> Plan {
        Plan { label, effects: Vec::new(), count: 0 }
    }
}

impl ItemWorld {
    /// Applies a checked plan. Fails, changing nothing, only when `ids` has too few ids or hands
    /// out one already in use.
    pub(super) fn apply(&mut self, plan: Plan, ids: &mut dyn IdSource) -> Result<ItemChange, ItemError> {
        let fresh = self.draw_ids(&plan, ids)?;
        let mut fresh = fresh.into_iter();
        let mut ops = Vec::with_capacity(plan.effects.len() + 1);
        let mut touched: Vec<Container> = Vec::new();
        let mut touch = |c: Container| {
            if !touched.contains(&c) {
                touched.push(c);
            }
        };
        for effect in plan.effects {
            match effect {
                Effect::NewContainer { root, capacity } => {
                    self.containers.insert(root, Slots::new(capacity));
                    touch(root);
                }
                Effect::Count { id, count } => {
                    if let Some(item) = self.items.get_mut(&id) {
                        item.count = count;
                        let at = item.container;
                        touch(at);
                        if self.is_stored(at) {
                            ops.push(ItemOp::SetCount { id, count });
                        }
                    }
                }
                Effect::Relocate { id, to, slot, count } => {
                    let Some(from) = self.items.get(&id).map(|i| i.container) else { continue };
                    let stored = (self.is_stored(from), self.is_stored(to));
                    if stored == (true, false) {
                        self.forget_stored(id, &mut ops);
                    }
                    if let Some(moved) = self.relocate(id, to, slot, count) {
                        touch(moved.from);
                        touch(to);
                        match stored {
                            (true, true) => {
                                ops.push(ItemOp::Move { id, to, slot: u32::from(slot) });
                                if moved.count_changed {
                                    ops.push(ItemOp::SetCount { id, count });
                                }
                            }
                            (false, true) => self.store_whole(id, &mut ops),
                            _ => {}
                        }
                    }
                }
                Effect::Create { kind, quality, count, to, slot } => {
                    let Some(id) = fresh.next() else { continue };
                    let record =
                        ItemRecord { id, kind, quality, count, container: to, slot: u32::from(slot) };
                    self.place(record);
                    touch(to);
                    if self.is_stored(to) {
                        ops.push(ItemOp::Put(record));
                    }
                }
                Effect::Delete { id } => {
                    let stored = self.items.get(&id).is_some_and(|i| self.is_stored(i.container));
                    if let Some(item) = self.unplace(id) {
                        touch(item.container);
                        if stored {
                            ops.push(ItemOp::Delete { id });
                        }
                    }
                }
            }
        }
        let revised = self.bump(&touched);
        Ok(ItemChange { tx: ItemTx::new(plan.label, ops), revised, count: plan.count })
    }

    /// A stored item (with everything inside it) enters a bot's inventory: it leaves storage,
    /// innermost first.
    fn forget_stored(&self, id: ItemId, ops: &mut Vec<ItemOp>) {
        let inside = self.subtree(Container::Item(id));
        ops.extend(inside.iter().rev().map(|&id| ItemOp::Delete { id }));
        ops.push(ItemOp::Delete { id });
    }

    /// An item a bot carried (with everything inside it) enters a stored container: it is
    /// stored whole, outermost first.
    fn store_whole(&self, id: ItemId, ops: &mut Vec<ItemOp>) {
        let inside = self.subtree(Container::Item(id));
        let records = std::iter::once(id).chain(inside).filter_map(|id| self.items.get(&id));
        ops.extend(records.map(|r| ItemOp::Put(*r)));
    }

    /// One new id per created item, all checked unused, before anything changes.
    fn draw_ids(&self, plan: &Plan, ids: &mut dyn IdSource) -> Result<Vec<ItemId>, ItemError> {
        let needed = plan.effects.iter().filter(|e| matches!(e, Effect::Create { .. })).count();
        let mut fresh = Vec::with_capacity(needed);
        for _ in 0..needed {
            let id = ids.next_id().ok_or(ItemError::NoIds)?;
            if self.items.contains_key(&id) || fresh.contains(&id) {
                return Err(ItemError::IdInUse(id));
            }
            fresh.push(id);
        }
        Ok(fresh)
    }

    /// Puts a new record in its (empty) slot; a container kind gets its own empty slots.
    fn place(&mut self, record: ItemRecord) {
        if let Some(place) = self.slot_mut(record.container, record.slot) {
            *place = Some(record.id);
        }
        let capacity = self.content.item(record.kind).map_or(0, |k| k.capacity);
        if capacity > 0 {
            self.containers.insert(Container::Item(record.id), Slots::new(capacity));
        }
        self.items.insert(record.id, record);
    }

    /// Takes an item out of its slot and out of the world, with its (empty) own container.
    fn unplace(&mut self, id: ItemId) -> Option<ItemRecord> {
        let item = self.items.remove(&id)?;
        if let Some(place) = self.slot_mut(item.container, item.slot) {
            *place = None;
        }
        self.containers.remove(&Container::Item(id));
        Some(item)
    }

    /// Moves an existing item to an empty slot; returns where it came from.
    fn relocate(&mut self, id: ItemId, to: Container, slot: u16, count: u32) -> Option<Relocated> {
        let item = *self.items.get(&id)?;
        if let Some(place) = self.slot_mut(item.container, item.slot) {
            *place = None;
        }
        if let Some(place) = self.slot_mut(to, u32::from(slot)) {
            *place = Some(id);
        }
        let moved = ItemRecord { container: to, slot: u32::from(slot), count, ..item };
        self.items.insert(id, moved);
        Some(Relocated { from: item.container, count_changed: item.count != count })
    }

    fn slot_mut(&mut self, c: Container, slot: u32) -> Option<&mut Option<ItemId>> {
        let slots = self.containers.get_mut(&c)?;
        slots.slots.get_mut(usize::try_from(slot).ok()?)
    }

    /// Bumps the revision of every touched container still loaded.
    fn bump(&mut self, touched: &[Container]) -> Vec<Revised> {
        let mut revised = Vec::with_capacity(touched.len());
        for &c in touched {
            if let Some(slots) = self.containers.get_mut(&c) {
                slots.revision = slots.revision.wrapping_add(1);
                revised.push(Revised { container: c, revision: slots.revision });
            }
        }
        revised
    }
}

/// Where a relocated item came from.
#[derive(Debug, Clone, Copy)]
struct Relocated {
    from: Container,
    count_changed: bool,
}
