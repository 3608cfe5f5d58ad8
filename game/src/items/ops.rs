//! The item operations: move (split, merge), drop into a new pile, take out of the world, give
//! (create), pick up. Each checks everything before it changes anything and returns the one
//! transaction that makes storage equal to the world.

use super::error::ItemError;
use super::place::{Fill, Source, Stack, Target};
use super::plan::{Effect, IdSource, ItemChange, Plan};
use super::world::{ItemWorld, Root};
use store::{Container, ItemRecord, ItemTx};

/// What a pickup did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pickup {
    /// The change (its `count` is how many were picked up).
    pub change: ItemChange,
    /// How many stayed in the source slot for lack of room.
    pub left: u32,
    /// True when the source container now holds nothing (a pile to remove).
    pub source_empty: bool,
}

impl ItemWorld {
    /// Moves `count` items of the stack at `from` to `to`.
    ///
    /// - Into an empty slot: the whole stack moves (same id); part of it splits off as a new
    ///   item (one new id).
    /// - Onto a stack of the same kind and quality: merged up to `max_stack`; what does not fit
    ///   stays at `from`. Onto another stack: refused with `StackMismatch` (no swap).
    /// - `to.slot == None`: merged into the stacks of `to` in slot order, the rest into its first
    ///   free slot; within the same container only the merge happens (the rest is already
    ///   there). A move onto its own slot, or one that merges nothing within its container, is
    ///   a no-op.
    ///
    /// Refused when nothing fits (`NoRoom`).
    pub fn move_stack(
        &mut self,
        from: Source,
        to: Target,
        count: u32,
        ids: &mut dyn IdSource,
    ) -> Result<ItemChange, ItemError> {
        let src = self.source(from)?;
        check_count(count, src.count)?;
        let same_container = to.container == from.container;
        if same_container && to.slot == Some(from.slot) {
            self.checked(to.container, to.revision)?;
            return Ok(unchanged("move"));
        }
        let fill = self.fill_for(&src, to, count)?;
        if fill.placed == 0 {
            let equipped = u16::try_from(src.slot).ok().and_then(|s| self.equip_slot(src.container, s));
            if same_container && to.slot.is_none() && equipped.is_none() {
                return Ok(unchanged("move"));
            }
            return Err(ItemError::NoRoom(to.container));
        }
        let plan = self.transfer(Plan::new("move"), &src, fill, to.container);
        self.apply(plan, ids)
    }

    /// Where `count` of `src` go in `to`, once the destination and the nesting check out.
    fn fill_for(&self, src: &ItemRecord, to: Target, count: u32) -> Result<Fill, ItemError> {
        let slots = self.checked(to.container, to.revision)?;
        let depth = self.depth(to.container).ok_or(ItemError::NoSuchContainer(to.container))?;
        let whole = count == src.count;
        self.check_nesting(to.container, depth, whole.then_some(src.id))?;
        let kind = self.kind(src.kind)?;
        match to.slot {
            Some(slot) => self.fill_slot(to.container, slots, slot, kind, src.quality, count),
            None => {
                // Within one container "anywhere" only merges, except out of an equipment
                // slot: unequipping anywhere puts the item in a free inventory slot.
                let from_equipment =
                    u16::try_from(src.slot).ok().and_then(|s| self.equip_slot(src.container, s));
                let use_free = to.container != src.container || from_equipment.is_some();
                Ok(self.fill((to.container, slots), kind, src.quality, count, Some(src.id), use_free))
            }
        }
    }

    /// Drops `count` items of the stack at `from` into a new root container `pile` of
    /// `capacity` slots (a pile object the caller creates: it adds the object's `PutObject` with
    /// [`ItemChange::put_object_first`], so object and items commit in one transaction). The
    /// stack lands in slot 0, whole (same id) or split off (one new id).
    pub fn drop_into_new_container(
        &mut self,
        from: Source,
        count: u32,
        pile: Root,
        capacity: u16,
        ids: &mut dyn IdSource,
    ) -> Result<ItemChange, ItemError> {
        let src = self.source(from)?;
        check_count(count, src.count)?;
        let root = pile.container();
        if self.containers.contains_key(&root) {
            return Err(ItemError::ContainerExists(root));
        }
        if capacity == 0 {
            return Err(ItemError::NoRoom(root));
        }
        self.check_nesting(root, 0, (count == src.count).then_some(src.id))?;
        let fill = Fill { merges: Vec::new(), free: vec![(0, count)], placed: count };
        let mut plan = Plan::new("drop");
        plan.effects.push(Effect::NewContainer { root, capacity });
        let plan = self.transfer(plan, &src, fill, root);
        self.apply(plan, ids)
    }

    /// Takes `count` items of the stack at `from` out of the world (eaten, used up, placed as
    /// an object) and returns them as a detached stack. An item that holds items is taken
    /// only when empty.
    pub fn take(&mut self, from: Source, count: u32) -> Result<(ItemChange, Stack), ItemError> {
        let src = self.source(from)?;
        check_count(count, src.count)?;
        let mut plan = Plan::new("take");
        plan.count = count;
        if count == src.count {
            if self.container(Container::Item(src.id)).is_some_and(|s| !s.is_empty()) {
                return Err(ItemError::NotEmpty { item: src.id });
            }
            plan.effects.push(Effect::Delete { id: src.id });
        } else {
            plan.effects.push(Effect::Count { id: src.id, count: src.count - count });
        }
        let change = self.apply(plan, &mut || None::<i64>)?;
        Ok((change, Stack { kind: src.kind, quality: src.quality, count }))
    }

    /// Creates `stack` in `to` (gathered, crafted): merged into stacks of the same kind and
    /// quality, then into free slots, each new stack a new id. What does not fit is not created
    /// (`count` says how many were); refused when nothing fits.
    pub fn give(
        &mut self,
        to: Target,
        stack: Stack,
        ids: &mut dyn IdSource,
    ) -> Result<ItemChange, ItemError> {
        check_count(stack.count, stack.count)?;
        let kind = self.kind(stack.kind)?;
        let slots = self.checked(to.container, to.revision)?;
        let depth = self.depth(to.container).ok_or(ItemError::NoSuchContainer(to.container))?;
        self.check_nesting(to.container, depth, None)?;
        let fill = match to.slot {
            Some(slot) => self.fill_slot(to.container, slots, slot, kind, stack.quality, stack.count)?,
            None => self.fill((to.container, slots), kind, stack.quality, stack.count, None, true),
        };
        if fill.placed == 0 {
            return Err(ItemError::NoRoom(to.container));
        }
        let mut plan = Plan::new("give");
        plan.count = fill.placed;
        plan.effects.extend(fill.merges.iter().map(|&(id, count)| Effect::Count { id, count }));
        let (kind, quality, to) = (stack.kind, stack.quality, to.container);
        let creates =
            fill.free.iter().map(|&(slot, count)| Effect::Create { kind, quality, count, to, slot });
        plan.effects.extend(creates);
        self.apply(plan, ids)
    }

    /// Picks up the whole stack at `from` (a pile's slot) into `to`: moves what fits (see
    /// [`ItemWorld::move_stack`]), leaves the rest, and says whether the source is now empty
    /// (the caller then deletes the pile object with [`ItemChange::delete_object_last`] and
    /// removes its container).
    pub fn pickup(&mut self, from: Source, to: Target, ids: &mut dyn IdSource) -> Result<Pickup, ItemError> {
        let held = self.source(from)?.count;
        let mut change = self.move_stack(from, to, held, ids)?;
        change.tx.label = "pickup".into();
        let source_empty = self.container(from.container).is_some_and(|s| s.is_empty());
        Ok(Pickup { left: held - change.count, change, source_empty })
    }

    /// The effects of moving what `fill` places out of `src` into `to`: merges, then the source
    /// (relocated whole into the first free slot when all of it goes, else reduced or deleted),
    /// then new stacks split off.
    fn transfer(&self, mut plan: Plan, src: &ItemRecord, fill: Fill, to: Container) -> Plan {
        plan.count = fill.placed;
        plan.effects.extend(fill.merges.iter().map(|&(id, count)| Effect::Count { id, count }));
        let left = src.count - fill.placed;
        let mut free = fill.free.into_iter();
        if left > 0 {
            plan.effects.push(Effect::Count { id: src.id, count: left });
        } else if let Some((slot, count)) = free.next() {
            plan.effects.push(Effect::Relocate { id: src.id, to, slot, count });
        } else {
            plan.effects.push(Effect::Delete { id: src.id });
        }
        let (kind, quality) = (src.kind, src.quality);
        plan.effects.extend(free.map(|(slot, count)| Effect::Create { kind, quality, count, to, slot }));
        plan
    }
}

/// A count must be at least 1 and at most what the stack holds.
fn check_count(count: u32, held: u32) -> Result<(), ItemError> {
    if count == 0 || count > held {
        return Err(ItemError::BadCount { count, held });
    }
    Ok(())
}

/// The result of an operation that changes nothing.
fn unchanged(label: &str) -> ItemChange {
    ItemChange { tx: ItemTx::new(label, Vec::new()), revised: Vec::new(), count: 0 }
}
