//! What the database holds of the item layer, read with SQL, and its invariants: totals per
//! (kind, quality) counting a placed box as the box item it folds into, every item's container
//! existing (a player, a container object, a bag), no two items in one slot, no item inside
//! itself, no pile left empty.

use super::TestDb;
use game::Content;
use std::collections::{BTreeMap, BTreeSet};
use store::Container;

/// One stored item row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemRow {
    pub id: i64,
    pub kind: u32,
    pub quality: u32,
    pub count: u32,
    pub container: Container,
    pub slot: u32,
}

/// One stored container object (`holds_items`): kind and quality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContainerObject {
    pub kind: u32,
    pub quality: u32,
}

/// Every item row, container object and player id of a database.
#[derive(Debug, Clone)]
pub struct ItemAudit {
    pub items: BTreeMap<i64, ItemRow>,
    pub objects: BTreeMap<i64, ContainerObject>,
    pub players: BTreeSet<i64>,
}

/// Every column of these queries is an integer, cast so both databases return `BIGINT`.
const SQL_ITEMS: &str = "SELECT id, kind, quality, count, CAST(container_kind AS BIGINT), container_id, slot \
     FROM items";
const SQL_OBJECTS: &str = "SELECT id, kind, quality FROM objects WHERE holds_items";
const SQL_PLAYERS: &str = "SELECT id FROM players";

fn narrow(v: i64) -> u32 {
    u32::try_from(v).unwrap_or_else(|_| panic!("stored value {v} out of range"))
}

impl ItemAudit {
    /// Reads the item layer of `db`.
    pub fn read(db: &TestDb) -> ItemAudit {
        let items = db
            .rows(SQL_ITEMS)
            .into_iter()
            .map(|r| {
                let kind = i16::try_from(r[4]).expect("container kind");
                let container = Container::from_parts(kind, r[5]).expect("known container kind");
                let (id, slot) = (r[0], narrow(r[6]));
                (
                    id,
                    ItemRow {
                        id,
                        kind: narrow(r[1]),
                        quality: narrow(r[2]),
                        count: narrow(r[3]),
                        container,
                        slot,
                    },
                )
            })
            .collect();
        let objects = db
            .rows(SQL_OBJECTS)
            .into_iter()
            .map(|r| (r[0], ContainerObject { kind: narrow(r[1]), quality: narrow(r[2]) }))
            .collect();
        let players = db.rows(SQL_PLAYERS).into_iter().map(|r| r[0]).collect();
        ItemAudit { items, objects, players }
    }

    /// Totals per (kind, quality): the items, plus one item for each container object that
    /// folds into one (a placed box).
    pub fn totals(&self, content: &Content) -> BTreeMap<(u32, u32), u64> {
        let mut totals = BTreeMap::new();
        for i in self.items.values() {
            *totals.entry((i.kind, i.quality)).or_insert(0) += u64::from(i.count);
        }
        for o in self.objects.values() {
            let becomes = content.object_by_id(o.kind).and_then(|k| k.becomes.as_deref());
            if let Some(item) = becomes.and_then(|name| content.item_named(name)) {
                *totals.entry((item.id, o.quality)).or_insert(0) += 1;
            }
        }
        totals
    }

    /// What `c` holds, by slot: (item id, kind, quality, count).
    pub fn slots_of(&self, c: Container) -> BTreeMap<u32, (i64, u32, u32, u32)> {
        let held = self.items.values().filter(|i| i.container == c);
        held.map(|i| (i.slot, (i.id, i.kind, i.quality, i.count))).collect()
    }

    /// Items held directly by container objects of `kind`.
    pub fn items_in_objects_of(&self, kind: u32) -> usize {
        let of_kind =
            |i: &&ItemRow| matches!(i.container, Container::Object(o) if self.objects[&o].kind == kind);
        self.items.values().filter(of_kind).count()
    }

    /// Items inside bags.
    pub fn items_in_bags(&self) -> usize {
        self.items.values().filter(|i| matches!(i.container, Container::Item(_))).count()
    }

    /// Container objects of `kind`.
    pub fn objects_of(&self, kind: u32) -> usize {
        self.objects.values().filter(|o| o.kind == kind).count()
    }

    /// Panics naming the first broken invariant: an item whose container does not exist (or is
    /// no container), two items in one slot, an item inside itself, a pile holding nothing.
    pub fn check(&self, content: &Content) {
        let mut slots = BTreeMap::new();
        for i in self.items.values() {
            let exists = match i.container {
                Container::Player(p) => self.players.contains(&p),
                Container::Object(o) => self.objects.contains_key(&o),
                Container::Item(bag) => self
                    .items
                    .get(&bag)
                    .is_some_and(|b| content.item(b.kind).is_some_and(|k| k.is_container())),
            };
            assert!(exists, "orphan: {i:?}");
            if let Some(other) = slots.insert((i.container.to_parts(), i.slot), i.id) {
                panic!("items {other} and {} in one slot: {i:?}", i.id);
            }
            assert!(!self.is_inside_itself(i.id), "item inside itself: {i:?}");
        }
        let pile = content.pile_kind().map(|k| k.id);
        for (&id, o) in &self.objects {
            if Some(o.kind) == pile {
                let holds = self.items.values().any(|i| i.container == Container::Object(id));
                assert!(holds, "pile {id} is stored holding nothing");
            }
        }
    }

    /// True when walking up from item `id` through its bags comes back to it (or never ends).
    fn is_inside_itself(&self, id: i64) -> bool {
        let mut at = self.items.get(&id).map(|i| i.container);
        for _ in 0..=self.items.len() {
            match at {
                Some(Container::Item(bag)) if bag == id => return true,
                Some(Container::Item(bag)) => at = self.items.get(&bag).map(|i| i.container),
                _ => return false,
            }
        }
        true
    }
}
