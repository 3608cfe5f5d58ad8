//! The containers a client was shown (protocol §4, *Containers and items*): each one's revision,
//! capacity and occupied slots, replaced by `ContainerContents`, patched by a `ContainerChange`
//! made against the revision held (any other change marks the view out of sync until the next
//! contents) and forgotten on `ContainerClosed`.

use super::error::ClientWorldError;
use net::protocol::{ContainerChange, ContainerClosed, ContainerContents, ContainerRef, ItemSlot};
use std::collections::BTreeMap;

/// What the client holds of one container.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerView {
    /// The revision of the contents held.
    pub revision: u32,
    /// Number of slots.
    pub capacity: u16,
    /// The occupied slots, by slot index.
    pub slots: BTreeMap<u16, ItemSlot>,
    /// True when a change was missed: the slots may be wrong until the next `ContainerContents`.
    pub out_of_sync: bool,
}

impl ContainerView {
    /// The item in `slot`, if it holds one.
    pub fn slot(&self, slot: u16) -> Option<&ItemSlot> {
        self.slots.get(&slot)
    }

    /// The first slot holding no item, if any.
    pub fn first_free_slot(&self) -> Option<u16> {
        self.first_free_slot_below(self.capacity)
    }

    /// The first empty slot below `limit` (the own inventory's `inventory_slots`: the
    /// equipment slots after it take only what fits them).
    pub fn first_free_slot_below(&self, limit: u16) -> Option<u16> {
        (0..self.capacity.min(limit)).find(|s| !self.slots.contains_key(s))
    }
}

/// What a `ContainerChange` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChangeOutcome {
    /// Applied at the revision held.
    Applied,
    /// Not made against the revision held, or the container is not held: marked out of sync.
    OutOfSync {
        /// The revision held, `None` when the container is not held.
        held: Option<u32>,
    },
}

/// Every container a client was shown, by reference.
#[derive(Debug, Clone, Default)]
pub(crate) struct Containers {
    views: BTreeMap<ContainerRef, ContainerView>,
}

impl Containers {
    /// Forgets everything (a new session).
    pub(crate) fn clear(&mut self) {
        self.views.clear();
    }

    /// The views held.
    pub(crate) fn views(&self) -> &BTreeMap<ContainerRef, ContainerView> {
        &self.views
    }

    /// Replaces what is held of the container. A slot outside the capacity or listed twice is
    /// refused (nothing changes); records of emptied slots are skipped.
    pub(crate) fn contents(&mut self, c: &ContainerContents) -> Result<(), ClientWorldError> {
        let mut slots = BTreeMap::new();
        for s in &c.slots {
            check_slot(c.container, c.capacity, s.slot)?;
            if slots.insert(s.slot, *s).is_some() {
                return Err(ClientWorldError::RepeatedSlot { container: c.container, slot: s.slot });
            }
        }
        slots.retain(|_, s| !s.is_empty());
        let view = ContainerView { revision: c.revision, capacity: c.capacity, slots, out_of_sync: false };
        self.views.insert(c.container, view);
        Ok(())
    }

    /// Applies a change made against the revision held; otherwise marks the view out of sync.
    /// A slot outside the capacity is refused (nothing changes).
    pub(crate) fn change(&mut self, c: &ContainerChange) -> Result<ChangeOutcome, ClientWorldError> {
        let Some(view) = self.views.get_mut(&c.container) else {
            return Ok(ChangeOutcome::OutOfSync { held: None });
        };
        if view.out_of_sync || view.revision != c.base_revision {
            view.out_of_sync = true;
            return Ok(ChangeOutcome::OutOfSync { held: Some(view.revision) });
        }
        for s in &c.slots {
            check_slot(c.container, view.capacity, s.slot)?;
        }
        for s in &c.slots {
            if s.is_empty() {
                view.slots.remove(&s.slot);
            } else {
                view.slots.insert(s.slot, *s);
            }
        }
        view.revision = c.revision;
        Ok(ChangeOutcome::Applied)
    }

    /// Forgets the container; true when it was held.
    pub(crate) fn closed(&mut self, c: &ContainerClosed) -> bool {
        self.views.remove(&c.container).is_some()
    }
}

fn check_slot(container: ContainerRef, capacity: u16, slot: u16) -> Result<(), ClientWorldError> {
    if slot < capacity {
        Ok(())
    } else {
        Err(ClientWorldError::SlotOutsideContainer { container, slot, capacity })
    }
}
