//! Shared helpers of the item tests: the shipped content's kinds by name, item records, an id
//! counter, and a full snapshot of an `ItemWorld` to compare before and after.

#![allow(dead_code)]

use game::Content;
use game::items::ItemWorld;
use std::collections::BTreeMap;
use std::sync::Arc;
use store::{Container, ItemRecord};

/// The shipped content, shared.
pub fn content() -> Arc<Content> {
    Arc::new(Content::builtin())
}

/// The id of the shipped item kind `name`.
pub fn kind(name: &str) -> u32 {
    Content::builtin().item_named(name).unwrap_or_else(|| panic!("no item kind {name}")).id
}

/// An item record.
pub fn rec(id: i64, kind: u32, count: u32, container: Container, slot: u32) -> ItemRecord {
    ItemRecord { id, kind, quality: 0, count, container, slot }
}

/// Ids counting up from `first`.
pub fn counter(first: i64) -> impl FnMut() -> Option<i64> {
    let mut next = first;
    move || {
        next += 1;
        Some(next - 1)
    }
}

/// A container's key for sorting (the store's `Container` has no order).
pub fn container_key(c: Container) -> (i16, i64) {
    c.to_parts()
}

/// A container's slots and revision.
pub type SlotsAt = (Vec<Option<i64>>, u32);

/// Everything observable about a world: records by id, and every container's slots and
/// revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub records: BTreeMap<i64, ItemRecord>,
    pub containers: BTreeMap<(i16, i64), SlotsAt>,
}

pub fn snapshot(world: &ItemWorld) -> Snapshot {
    let records = world.records().map(|r| (r.id, *r)).collect();
    let containers = world
        .containers()
        .map(|(c, s)| {
            let slots = (0..s.capacity()).map(|i| s.get(i)).collect();
            (container_key(c), (slots, s.revision()))
        })
        .collect();
    Snapshot { records, containers }
}
