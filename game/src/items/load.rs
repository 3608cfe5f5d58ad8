//! Loading a root container's items from the store's flat list (refusing bad records one by one,
//! keeping the good ones) and unloading a root with everything below it.

use super::error::{BadItem, BadItemReason, ItemError};
use super::world::{ItemWorld, Root, Slots};
use std::collections::{HashMap, VecDeque};
use store::{Container, ItemRecord};

/// What a load did: how many items it took and which it refused.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoadReport {
    /// Items loaded.
    pub loaded: usize,
    /// Items refused, with why (they stay in the store untouched).
    pub bad: Vec<BadItem>,
}

impl ItemWorld {
    /// Adds root container `root` with `capacity` slots and the items below it (`items`: the
    /// store's flat list, at any depth). Each item is checked (known kind, count within
    /// `1..=max_stack`, slot in range and free, depth, id not loaded yet, reachable from `root`);
    /// refused items are reported and leave out what they hold. Refused only when `root` is
    /// already loaded.
    pub fn insert_container(
        &mut self,
        root: Root,
        capacity: u16,
        items: &[ItemRecord],
    ) -> Result<LoadReport, ItemError> {
        let root = root.container();
        if self.containers.contains_key(&root) {
            return Err(ItemError::ContainerExists(root));
        }
        self.containers.insert(root, Slots::new(capacity));
        let mut by_container: HashMap<Container, Vec<&ItemRecord>> = HashMap::new();
        for item in items {
            by_container.entry(item.container).or_default().push(item);
        }
        let mut report = LoadReport::default();
        let mut queue = VecDeque::from([(root, 0usize)]);
        while let Some((c, depth)) = queue.pop_front() {
            let Some(mut level) = by_container.remove(&c) else { continue };
            level.sort_by_key(|i| (i.slot, i.id));
            for item in level {
                match self.admit(item, depth + 1) {
                    Ok(holds) => {
                        report.loaded += 1;
                        if holds {
                            queue.push_back((Container::Item(item.id), depth + 1));
                        }
                    }
                    Err(reason) => report.bad.push(BadItem { item: *item, reason }),
                }
            }
        }
        let mut unreachable: Vec<&ItemRecord> = by_container.into_values().flatten().collect();
        unreachable.sort_by_key(|i| i.id);
        let bad = unreachable.into_iter().map(|i| BadItem { item: *i, reason: BadItemReason::Unreachable });
        report.bad.extend(bad);
        Ok(report)
    }

    /// Checks one stored item at `depth` and places it; `Ok(true)` when it is a container.
    fn admit(&mut self, item: &ItemRecord, depth: usize) -> Result<bool, BadItemReason> {
        if self.items.contains_key(&item.id) {
            return Err(BadItemReason::DuplicateId);
        }
        let kind = self.content.item(item.kind).ok_or(BadItemReason::UnknownKind)?;
        if item.count == 0 || item.count > kind.max_stack {
            return Err(BadItemReason::BadCount);
        }
        if depth > usize::from(self.content.item_rules.max_depth) {
            return Err(BadItemReason::TooDeep);
        }
        let capacity = kind.capacity;
        let slots = self.containers.get_mut(&item.container).ok_or(BadItemReason::Unreachable)?;
        let slot = usize::try_from(item.slot).map_err(|_| BadItemReason::SlotOutOfRange)?;
        match slots.slots.get_mut(slot) {
            None => return Err(BadItemReason::SlotOutOfRange),
            Some(Some(_)) => return Err(BadItemReason::SlotTaken),
            Some(place) => *place = Some(item.id),
        }
        self.items.insert(item.id, *item);
        if capacity > 0 {
            self.containers.insert(Container::Item(item.id), Slots::new(capacity));
        }
        Ok(capacity > 0)
    }

    /// Removes root container `root` and every item below it at any depth; returns their
    /// records, parents before children (ready to store or to load elsewhere).
    pub fn remove_container(&mut self, root: Root) -> Result<Vec<ItemRecord>, ItemError> {
        let root = root.container();
        if !self.containers.contains_key(&root) {
            return Err(ItemError::NoSuchContainer(root));
        }
        let ids = self.subtree(root);
        self.containers.remove(&root);
        let mut records = Vec::with_capacity(ids.len());
        for id in ids {
            self.containers.remove(&Container::Item(id));
            records.extend(self.items.remove(&id));
        }
        Ok(records)
    }
}
