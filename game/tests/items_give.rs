//! Worked examples of giving several stacks at once (what gathering yields): merged into stacks
//! of the same kind and quality, then free slots (never the equipment slots), in one change;
//! all or nothing when the inventory is nearly full.

mod items_common;

use game::items::{ItemError, ItemWorld, Root, Stack, inventory_capacity};
use items_common::{content, counter, kind, rec, snapshot};
use store::{Container, ItemOp, ItemRecord};

const P: Container = Container::Player(1);

fn stack(name: &str, quality: u32, count: u32) -> Stack {
    Stack { kind: kind(name), quality, count }
}

/// Player 1 holds 45 branches of quality 0 in slot 0 and `fillers` more stacks of stones
/// (quality 1) from slot 1 on; its stone axe lies in the hand slot.
fn world(fillers: u32) -> ItemWorld {
    let c = content();
    let mut w = ItemWorld::new(c.clone());
    let mut items = vec![rec(1, kind("branch"), 45, P, 0)];
    items.extend(
        (0..fillers).map(|i| ItemRecord { quality: 1, ..rec(10 + i64::from(i), kind("stone"), 1, P, 1 + i) }),
    );
    let hand = u32::from(c.item_rules.inventory_slots);
    items.push(rec(9, kind("stone axe"), 1, P, hand));
    w.insert_container(Root::Player(1), inventory_capacity(&c.item_rules), &items).unwrap();
    w
}

#[test]
fn stacks_merge_then_fill_free_slots_in_one_change() {
    let mut w = world(0);
    let given = [stack("branch", 0, 8), stack("berries", 11, 3), stack("branch", 0, 2)];
    let c = w.give_all(P, &given, &mut counter(100)).unwrap();
    // Branches 0 × (8 + 2): 5 fill slot 0 to 50, 5 start a stack in slot 1; berries in slot 2.
    assert_eq!(c.count, 13);
    assert_eq!(c.tx.label, "gather");
    let berries = ItemRecord { id: 101, kind: kind("berries"), quality: 11, count: 3, container: P, slot: 2 };
    assert_eq!(
        c.tx.ops,
        vec![
            ItemOp::SetCount { id: 1, count: 50 },
            ItemOp::Put(rec(100, kind("branch"), 5, P, 1)),
            ItemOp::Put(berries),
        ]
    );
    assert_eq!(c.revised.len(), 1, "one container, one new revision");
    assert_eq!(w.item_at(P, 2).map(|i| (i.kind, i.quality, i.count)), Some((kind("berries"), 11, 3)));
}

#[test]
fn all_or_nothing_when_the_inventory_is_nearly_full() {
    // 23 of 24 slots taken: one stack fits, two do not.
    let mut w = world(22);
    let before = snapshot(&w);
    let two = [stack("berries", 10, 3), stack("seeds", 10, 2)];
    assert_eq!(w.check_give_all(P, &two), Err(ItemError::NoRoom(P)));
    assert_eq!(w.give_all(P, &two, &mut counter(100)).unwrap_err(), ItemError::NoRoom(P));
    assert_eq!(snapshot(&w), before, "nothing given, the hand slot untouched");
    // Branches still merge into slot 0; one new stack takes the last free slot.
    let fits = [stack("branch", 0, 5), stack("seeds", 10, 2)];
    assert_eq!(w.check_give_all(P, &fits), Ok(()));
    let c = w.give_all(P, &fits, &mut counter(100)).unwrap();
    assert_eq!(c.count, 7);
    assert_eq!(w.item_at(P, 23).map(|i| i.kind), Some(kind("seeds")));
    assert_eq!(w.give_all(P, &[stack("seeds", 11, 1)], &mut counter(200)), Err(ItemError::NoRoom(P)));
}

#[test]
fn refusals_change_nothing() {
    let mut w = world(0);
    let before = snapshot(&w);
    assert_eq!(
        w.give_all(P, &[stack("stone", 0, 0)], &mut counter(1)),
        Err(ItemError::BadCount { count: 0, held: 0 })
    );
    let unknown = Stack { kind: 999, quality: 0, count: 1 };
    assert_eq!(w.give_all(P, &[unknown], &mut counter(100)), Err(ItemError::UnknownKind(999)));
    let elsewhere = Container::Player(2);
    assert_eq!(
        w.give_all(elsewhere, &[stack("stone", 0, 1)], &mut counter(100)),
        Err(ItemError::NoSuchContainer(elsewhere))
    );
    assert_eq!(w.give_all(P, &[stack("stone", 0, 1)], &mut || None), Err(ItemError::NoIds));
    assert_eq!(snapshot(&w), before);
}
