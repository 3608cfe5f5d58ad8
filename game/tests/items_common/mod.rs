//! Shared helpers of the item tests: the shipped content's kinds by name, item records, an id
//! counter, a full snapshot of an `ItemWorld` to compare before and after, the world's
//! invariants, and a reference store that replays transactions.

#![allow(dead_code)]

use game::Content;
use game::items::ItemWorld;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use store::{Container, ItemOp, ItemRecord, ItemTx};

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

/// The reference store: records and objects, changed only by replaying transactions.
#[derive(Debug, Default)]
pub struct Reference {
    pub items: BTreeMap<i64, ItemRecord>,
    pub objects: BTreeSet<i64>,
}

impl Reference {
    pub fn replay(&mut self, tx: &ItemTx) {
        for op in &tx.ops {
            match op {
                ItemOp::Put(r) => {
                    self.items.insert(r.id, *r);
                }
                ItemOp::Move { id, to, slot } => {
                    let r = self.items.get_mut(id).expect("moved item exists");
                    (r.container, r.slot) = (*to, *slot);
                }
                ItemOp::SetCount { id, count } => {
                    self.items.get_mut(id).expect("counted item exists").count = *count
                }
                ItemOp::Delete { id } => {
                    assert!(
                        self.items.values().all(|r| r.container != Container::Item(*id)),
                        "deleted item {id} holds items"
                    );
                    self.items.remove(id);
                }
                ItemOp::PutObject(o) => {
                    self.objects.insert(o.id);
                }
                ItemOp::DeleteObject { id } => {
                    assert!(
                        self.items.values().all(|r| r.container != Container::Object(*id)),
                        "deleted object {id} holds items"
                    );
                    self.objects.remove(id);
                }
            }
        }
    }
}

/// Every item in exactly one slot of a loaded container, counts within `max_stack`, no item
/// inside itself, depth within the rules, a bag's slots exactly when the bag is there.
pub fn check_invariants(w: &ItemWorld) {
    let rules = w.content().item_rules;
    let mut occupied = 0;
    for (c, slots) in w.containers() {
        for (slot, id) in slots.occupied() {
            occupied += 1;
            let r = w.item(id).unwrap_or_else(|| panic!("slot {slot} of {c:?} holds missing item {id}"));
            assert_eq!((r.container, r.slot), (c, u32::from(slot)), "item {id} knows its slot");
        }
        if let Container::Item(id) = c {
            let r = w.item(id).expect("a bag's slots exist only with the bag");
            assert!(w.content().item(r.kind).unwrap().is_container());
        }
    }
    assert_eq!(occupied, w.len(), "every item is in exactly one slot");
    for r in w.records() {
        let k = w.content().item(r.kind).expect("known kind");
        assert!((1..=k.max_stack).contains(&r.count), "{r:?}");
        assert_eq!(w.container(Container::Item(r.id)).is_some(), k.is_container());
        assert!(!w.is_inside(r.container, r.id), "item {} inside itself", r.id);
        let depth = w.depth(r.container).expect("container is loaded and acyclic") + 1;
        assert!(depth <= usize::from(rules.max_depth), "item {} at depth {depth}", r.id);
    }
}
