//! What every operation checks before it changes anything (the source slot, the destination's
//! revision, nesting and depth) and where a stack fits in a container (merges, then free
//! slots).

use super::error::ItemError;
use super::world::{ItemId, ItemWorld, Slots};
use crate::content::ItemKind;
use store::{Container, ItemRecord};

/// A slot to take items from, as the requester saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    /// The container.
    pub container: Container,
    /// The slot.
    pub slot: u16,
    /// The container's revision the request was made against (`None`: do not check).
    pub revision: Option<u32>,
}

impl Source {
    /// Slot `slot` of `container`, revision unchecked.
    pub fn new(container: Container, slot: u16) -> Source {
        Source { container, slot, revision: None }
    }

    /// The same, refused as stale unless the container is still at `revision`.
    pub fn seen(self, revision: u32) -> Source {
        Source { revision: Some(revision), ..self }
    }
}

/// Where items should go, as the requester saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// The container.
    pub container: Container,
    /// One slot, or `None`: stacks of the same kind and quality first, then free slots.
    pub slot: Option<u16>,
    /// The container's revision the request was made against (`None`: do not check).
    pub revision: Option<u32>,
}

impl Target {
    /// Exactly slot `slot` of `container`.
    pub fn slot(container: Container, slot: u16) -> Target {
        Target { container, slot: Some(slot), revision: None }
    }

    /// Anywhere in `container`: merged into its stacks first, then free slots.
    pub fn any(container: Container) -> Target {
        Target { container, slot: None, revision: None }
    }

    /// The same, refused as stale unless the container is still at `revision`.
    pub fn seen(self, revision: u32) -> Target {
        Target { revision: Some(revision), ..self }
    }
}

/// A stack outside any container: created (given) or taken out of the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stack {
    /// Item kind id.
    pub kind: u32,
    /// Quality.
    pub quality: u32,
    /// How many.
    pub count: u32,
}

/// Where a stack goes in one container.
#[derive(Debug, Clone, Default)]
pub(super) struct Fill {
    /// Existing stacks and their counts after the merge.
    pub(super) merges: Vec<(ItemId, u32)>,
    /// Empty slots and how many go in each.
    pub(super) free: Vec<(u16, u32)>,
    /// How many fit in all.
    pub(super) placed: u32,
}

impl ItemWorld {
    /// The item at `from`, once the container (loaded, at the revision seen) and the slot (in
    /// range, occupied) check out.
    pub(super) fn source(&self, from: Source) -> Result<ItemRecord, ItemError> {
        let slots = self.checked(from.container, from.revision)?;
        let (container, slot) = (from.container, from.slot);
        if slot >= slots.capacity() {
            return Err(ItemError::NoSuchSlot { container, slot });
        }
        let id = slots.get(slot).ok_or(ItemError::EmptySlot { container, slot })?;
        self.items.get(&id).copied().ok_or(ItemError::EmptySlot { container, slot })
    }

    /// The container `c`, loaded and at the revision seen.
    pub(super) fn checked(&self, c: Container, seen: Option<u32>) -> Result<&Slots, ItemError> {
        let slots = self.slots(c)?;
        match seen {
            Some(expected) if expected != slots.revision => {
                Err(ItemError::Stale { container: c, expected, actual: slots.revision })
            }
            _ => Ok(slots),
        }
    }

    /// An item entering `to` (at depth `to_depth`): `moved`, when it is an existing item
    /// arriving whole with what it holds, must not be `to` or hold it, and nothing may end up
    /// deeper than the rules allow.
    pub(super) fn check_nesting(
        &self,
        to: Container,
        to_depth: usize,
        moved: Option<ItemId>,
    ) -> Result<(), ItemError> {
        if let Some(id) = moved
            && self.is_inside(to, id)
        {
            return Err(ItemError::WouldContainItself { item: id });
        }
        let deepest = to_depth + 1 + moved.map_or(0, |id| self.height(id));
        let max = self.content.item_rules.max_depth;
        if deepest > usize::from(max) {
            return Err(ItemError::TooDeep { depth: deepest, max });
        }
        Ok(())
    }

    /// Where up to `count` of `kind` at `quality` fit in `to`: stacks of the same kind and
    /// quality (except `skip`) in slot order, then, when `use_free`, empty slots in order.
    pub(super) fn fill(
        &self,
        (to_c, to): (Container, &Slots),
        kind: &ItemKind,
        quality: u32,
        count: u32,
        skip: Option<ItemId>,
        use_free: bool,
    ) -> Fill {
        let mut fill = Fill::default();
        let mut left = count;
        for (slot, id) in to.occupied() {
            let Some(item) = self.items.get(&id) else { continue };
            if self.equip_slot(to_c, slot).is_some() {
                continue;
            }
            if left == 0 || Some(id) == skip || !same_stack(item, kind, quality) {
                continue;
            }
            let n = left.min(kind.max_stack.saturating_sub(item.count));
            if n > 0 {
                fill.merges.push((id, item.count + n));
                left -= n;
            }
        }
        if use_free {
            for (slot, place) in to.slots.iter().enumerate() {
                let Ok(slot) = u16::try_from(slot) else { break };
                if left == 0 {
                    break;
                }
                if place.is_none() && self.equip_slot(to_c, slot).is_none() {
                    let n = left.min(kind.max_stack);
                    fill.free.push((slot, n));
                    left -= n;
                }
            }
        }
        fill.placed = count - left;
        fill
    }

    /// Where up to `count` of `kind` at `quality` fit in exactly `slot` of `to`: the whole slot
    /// when empty, the room left on a stack of the same kind and quality; another stack is a
    /// mismatch.
    pub(super) fn fill_slot(
        &self,
        to: Container,
        slots: &Slots,
        slot: u16,
        kind: &ItemKind,
        quality: u32,
        count: u32,
    ) -> Result<Fill, ItemError> {
        if slot >= slots.capacity() {
            return Err(ItemError::NoSuchSlot { container: to, slot });
        }
        if let Some(e) = self.equip_slot(to, slot)
            && !e.accepts(kind)
        {
            return Err(ItemError::WrongSlot { kind: kind.id, slot: e });
        }
        let mut fill = Fill::default();
        fill.placed = match slots.get(slot).and_then(|id| self.items.get(&id)) {
            None => {
                let n = count.min(kind.max_stack);
                fill.free.push((slot, n));
                n
            }
            Some(item) if same_stack(item, kind, quality) => {
                let n = count.min(kind.max_stack.saturating_sub(item.count));
                if n > 0 {
                    fill.merges.push((item.id, item.count + n));
                }
                n
            }
            Some(_) => return Err(ItemError::StackMismatch { container: to, slot }),
        };
        Ok(fill)
    }
}

/// True when `item` stacks with `kind` at `quality`.
fn same_stack(item: &ItemRecord, kind: &ItemKind, quality: u32) -> bool {
    item.kind == kind.id && item.quality == quality && kind.stackable()
}
