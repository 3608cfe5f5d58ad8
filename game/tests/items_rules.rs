//! Worked examples of every item rule and refusal: moves (whole, split, merge, automatic),
//! drops into a new pile, pickups, gifts, takes, nesting and depth, revisions, id sources,
//! loading and unloading.

mod items_common;

use game::items::{BadItemReason, ItemError, ItemWorld, Root, Source, Stack, Target};
use items_common::{content, counter, kind, rec, snapshot};
use store::{Container, ItemOp, ObjectRecord};

const P: Container = Container::Player(1);
const BOX: Container = Container::Object(100);

/// Player 1 (24 slots) holds 30 branches in slot 0, 10 berries in slot 1, a bag in slot 2
/// (with 5 stones in its slot 0) and a stone axe in slot 3; box 100 (16 slots) holds 20
/// branches in slot 4.
fn world() -> ItemWorld {
    let mut w = ItemWorld::new(content());
    let items = [
        rec(1, kind("branch"), 30, P, 0),
        rec(2, kind("berries"), 10, P, 1),
        rec(3, kind("bag"), 1, P, 2),
        rec(4, kind("stone"), 5, Container::Item(3), 0),
        rec(5, kind("stone axe"), 1, P, 3),
    ];
    let report = w.insert_container(Root::Player(1), 24, &items).unwrap();
    assert_eq!((report.loaded, report.bad.len()), (5, 0));
    w.insert_container(Root::Object(100), 16, &[rec(6, kind("branch"), 20, BOX, 4)]).unwrap();
    w
}

fn no_ids() -> impl FnMut() -> Option<i64> {
    || None
}

/// Asserts `result` is the refusal `expected` and the world did not change.
fn refused<T: std::fmt::Debug>(
    w: &ItemWorld,
    before: &items_common::Snapshot,
    result: Result<T, ItemError>,
    expected: ItemError,
) {
    assert_eq!(result.unwrap_err(), expected);
    assert_eq!(&snapshot(w), before, "a refused operation changes nothing");
}

#[test]
fn a_whole_stack_moves_to_an_empty_slot_keeping_its_id() {
    let mut w = world();
    let c = w.move_stack(Source::new(P, 0), Target::slot(BOX, 0), 30, &mut no_ids()).unwrap();
    assert_eq!(c.tx.ops, vec![ItemOp::Move { id: 1, to: BOX, slot: 0 }]);
    assert_eq!(c.count, 30);
    assert_eq!(w.item_at(BOX, 0).map(|i| (i.id, i.count)), Some((1, 30)));
    assert!(w.item_at(P, 0).is_none());
    let revised: Vec<_> = c.revised.iter().map(|r| (r.container, r.revision)).collect();
    assert_eq!(revised, vec![(P, 2), (BOX, 2)]);
}

#[test]
fn part_of_a_stack_splits_off_as_a_new_item() {
    let mut w = world();
    let c = w.move_stack(Source::new(P, 0), Target::slot(P, 10), 12, &mut counter(50)).unwrap();
    let new = rec(50, kind("branch"), 12, P, 10);
    assert_eq!(c.tx.ops, vec![ItemOp::SetCount { id: 1, count: 18 }, ItemOp::Put(new)]);
    assert_eq!(w.item(50), Some(&new));
    assert_eq!(w.item(1).unwrap().count, 18);
    assert_eq!(c.revised.len(), 1, "one container changed");
    assert_eq!(w.revision(P), Some(2));
}

#[test]
fn stacks_of_one_kind_and_quality_merge_up_to_max_stack() {
    let mut w = world();
    // 20 branches onto 30 (max 50): all merge, the source is deleted.
    let c = w.move_stack(Source::new(BOX, 4), Target::slot(P, 0), 20, &mut no_ids()).unwrap();
    assert_eq!(c.tx.ops, vec![ItemOp::SetCount { id: 1, count: 50 }, ItemOp::Delete { id: 6 }]);
    assert!(w.item(6).is_none());
    // Give 45 more into the box and move them onto the full stack: no room.
    w.give(Target::slot(BOX, 4), Stack { kind: kind("branch"), quality: 0, count: 45 }, &mut counter(60))
        .unwrap();
    let before = snapshot(&w);
    let r = w.move_stack(Source::new(BOX, 4), Target::slot(P, 0), 45, &mut no_ids());
    refused(&w, &before, r, ItemError::NoRoom(P));
    // Onto a stack of 30: 20 fit, 25 stay.
    w.take(Source::new(P, 0), 20).unwrap();
    let c = w.move_stack(Source::new(BOX, 4), Target::slot(P, 0), 45, &mut no_ids()).unwrap();
    assert_eq!(c.count, 20);
    assert_eq!(c.tx.ops, vec![ItemOp::SetCount { id: 1, count: 50 }, ItemOp::SetCount { id: 60, count: 25 }]);
}

#[test]
fn a_different_stack_is_refused_not_swapped() {
    let mut w = world();
    let before = snapshot(&w);
    let r = w.move_stack(Source::new(P, 1), Target::slot(P, 0), 10, &mut no_ids());
    refused(&w, &before, r, ItemError::StackMismatch { container: P, slot: 0 });
    // Same kind, other quality: also a mismatch.
    let q = Stack { kind: kind("branch"), quality: 2, count: 5 };
    w.give(Target::slot(P, 9), q, &mut counter(70)).unwrap();
    let before = snapshot(&w);
    let r = w.move_stack(Source::new(P, 9), Target::slot(P, 0), 5, &mut no_ids());
    refused(&w, &before, r, ItemError::StackMismatch { container: P, slot: 0 });
}

#[test]
fn an_automatic_target_merges_first_then_takes_the_first_free_slot() {
    let mut w = world();
    // 40 of the box's 20 + given 40 branches: into the player's 30 (20 fit), rest to slot 4.
    w.give(Target::slot(BOX, 0), Stack { kind: kind("branch"), quality: 0, count: 40 }, &mut counter(80))
        .unwrap();
    let c = w.move_stack(Source::new(BOX, 0), Target::any(P), 40, &mut no_ids()).unwrap();
    assert_eq!(c.count, 40);
    assert_eq!(
        c.tx.ops,
        vec![
            ItemOp::SetCount { id: 1, count: 50 },
            ItemOp::Move { id: 80, to: P, slot: 4 },
            ItemOp::SetCount { id: 80, count: 20 }
        ]
    );
    // Within one container an automatic target only merges: two berry stacks become one.
    w.give(Target::slot(P, 7), Stack { kind: kind("berries"), quality: 0, count: 6 }, &mut counter(90))
        .unwrap();
    let c = w.move_stack(Source::new(P, 7), Target::any(P), 6, &mut no_ids()).unwrap();
    assert_eq!(c.tx.ops, vec![ItemOp::SetCount { id: 2, count: 16 }, ItemOp::Delete { id: 90 }]);
    // Nothing left to merge with: a no-op, not an error.
    let before = snapshot(&w);
    let c = w.move_stack(Source::new(P, 1), Target::any(P), 16, &mut no_ids()).unwrap();
    assert!(c.is_empty() && c.revised.is_empty());
    assert_eq!(snapshot(&w), before);
}

#[test]
fn a_move_onto_its_own_slot_changes_nothing() {
    let mut w = world();
    let before = snapshot(&w);
    let c = w.move_stack(Source::new(P, 0), Target::slot(P, 0), 30, &mut no_ids()).unwrap();
    assert!(c.is_empty());
    assert_eq!(snapshot(&w), before);
}

#[test]
fn an_item_never_goes_inside_itself() {
    let mut w = world();
    let bag = Container::Item(3);
    let before = snapshot(&w);
    let r = w.move_stack(Source::new(P, 2), Target::any(bag), 1, &mut no_ids());
    refused(&w, &before, r, ItemError::WouldContainItself { item: 3 });
    // A second bag inside the first: the first may not go into it either.
    w.give(Target::slot(bag, 1), Stack { kind: kind("bag"), quality: 0, count: 1 }, &mut counter(40))
        .unwrap();
    let before = snapshot(&w);
    let r = w.move_stack(Source::new(P, 2), Target::slot(Container::Item(40), 0), 1, &mut no_ids());
    refused(&w, &before, r, ItemError::WouldContainItself { item: 3 });
}

#[test]
fn nesting_stops_at_max_depth_counting_what_a_bag_holds() {
    let mut w = world();
    assert_eq!(w.content().item_rules.max_depth, 3);
    let outer = Container::Item(3);
    // inventory > bag 3 > bag 40 > item: depth 3 is allowed.
    w.give(Target::slot(outer, 1), Stack { kind: kind("bag"), quality: 0, count: 1 }, &mut counter(40))
        .unwrap();
    let inner = Container::Item(40);
    assert_eq!(w.depth(inner), Some(2));
    w.move_stack(Source::new(P, 1), Target::slot(inner, 0), 4, &mut counter(41)).unwrap();
    assert_eq!(w.depth(Container::Item(41)), None, "berries are no container");
    // A bag in bag 40 would be at depth 3, an item in it at 4.
    let bag = Stack { kind: kind("bag"), quality: 0, count: 1 };
    w.give(Target::slot(inner, 1), bag, &mut counter(42)).unwrap();
    let before = snapshot(&w);
    let r = w.give(
        Target::any(Container::Item(42)),
        Stack { kind: kind("stone"), quality: 0, count: 1 },
        &mut counter(43),
    );
    refused(&w, &before, r, ItemError::TooDeep { depth: 4, max: 3 });
    // Bag 3 (height 2: bag 40 holds items) cannot go into an empty bag in the inventory.
    w.give(Target::slot(P, 5), bag, &mut counter(44)).unwrap();
    let before = snapshot(&w);
    let r = w.move_stack(Source::new(P, 2), Target::any(Container::Item(44)), 1, &mut no_ids());
    refused(&w, &before, r, ItemError::TooDeep { depth: 4, max: 3 });
    // Moving the bag with its contents keeps them inside it.
    let c = w.move_stack(Source::new(P, 2), Target::slot(BOX, 0), 1, &mut no_ids()).unwrap();
    assert_eq!(c.tx.ops, vec![ItemOp::Move { id: 3, to: BOX, slot: 0 }]);
    assert_eq!(w.item(40).unwrap().container, outer);
    assert!(c.revised.iter().all(|r| r.container != outer), "the bag's own slots did not change");
}

#[test]
fn a_stale_revision_is_refused() {
    let mut w = world();
    w.move_stack(Source::new(P, 0), Target::slot(P, 8), 1, &mut counter(50)).unwrap();
    assert_eq!(w.revision(P), Some(2));
    let before = snapshot(&w);
    let r = w.move_stack(Source::new(P, 0).seen(1), Target::slot(BOX, 0), 1, &mut counter(51));
    refused(&w, &before, r, ItemError::Stale { container: P, expected: 1, actual: 2 });
    let r = w.move_stack(Source::new(P, 0).seen(2), Target::slot(BOX, 0).seen(7), 1, &mut counter(51));
    refused(&w, &before, r, ItemError::Stale { container: BOX, expected: 7, actual: 1 });
    w.move_stack(Source::new(P, 0).seen(2), Target::slot(BOX, 0).seen(1), 1, &mut counter(51)).unwrap();
}

#[test]
fn counts_slots_and_containers_are_checked() {
    let mut w = world();
    let before = snapshot(&w);
    let r = w.move_stack(Source::new(P, 0), Target::slot(BOX, 0), 0, &mut counter(50));
    refused(&w, &before, r, ItemError::BadCount { count: 0, held: 30 });
    let r = w.move_stack(Source::new(P, 0), Target::slot(BOX, 0), 31, &mut counter(50));
    refused(&w, &before, r, ItemError::BadCount { count: 31, held: 30 });
    let r = w.move_stack(Source::new(P, 24), Target::slot(BOX, 0), 1, &mut counter(50));
    refused(&w, &before, r, ItemError::NoSuchSlot { container: P, slot: 24 });
    let r = w.move_stack(Source::new(P, 0), Target::slot(BOX, 16), 1, &mut counter(50));
    refused(&w, &before, r, ItemError::NoSuchSlot { container: BOX, slot: 16 });
    let r = w.move_stack(Source::new(P, 9), Target::slot(BOX, 0), 1, &mut counter(50));
    refused(&w, &before, r, ItemError::EmptySlot { container: P, slot: 9 });
    let r = w.move_stack(Source::new(P, 0), Target::any(Container::Object(7)), 1, &mut counter(50));
    refused(&w, &before, r, ItemError::NoSuchContainer(Container::Object(7)));
    let r = w.move_stack(Source::new(Container::Item(1), 0), Target::any(P), 1, &mut counter(50));
    refused(&w, &before, r, ItemError::NoSuchContainer(Container::Item(1)));
}

#[test]
fn without_ids_nothing_changes_and_the_request_may_be_retried() {
    let mut w = world();
    let before = snapshot(&w);
    let r = w.move_stack(Source::new(P, 0), Target::slot(P, 9), 10, &mut no_ids());
    assert!(r.as_ref().unwrap_err().retryable());
    refused(&w, &before, r, ItemError::NoIds);
    // An id source handing out an id in use is refused too.
    let r = w.move_stack(Source::new(P, 0), Target::slot(P, 9), 10, &mut counter(2));
    refused(&w, &before, r, ItemError::IdInUse(2));
    assert!(w.move_stack(Source::new(P, 0), Target::slot(P, 9), 10, &mut counter(50)).is_ok());
}

#[test]
fn a_drop_creates_the_pile_container_in_the_same_transaction() {
    let mut w = world();
    let pile = w.content().pile_kind().unwrap().clone();
    let cap = pile.capacity.unwrap();
    let mut c =
        w.drop_into_new_container(Source::new(P, 1), 4, Root::Object(500), cap, &mut counter(50)).unwrap();
    let dropped = rec(50, kind("berries"), 4, Container::Object(500), 0);
    assert_eq!(c.tx.ops, vec![ItemOp::SetCount { id: 2, count: 6 }, ItemOp::Put(dropped)]);
    assert_eq!(c.tx.label, "drop");
    c.put_object_first(ObjectRecord { id: 500, kind: pile.id, ..ObjectRecord::default() });
    assert!(matches!(c.tx.ops[0], ItemOp::PutObject(ref o) if o.id == 500));
    assert_eq!(w.revision(Container::Object(500)), Some(2));
    // A whole bag drops with what it holds.
    let c = w.drop_into_new_container(Source::new(P, 2), 1, Root::Object(501), cap, &mut no_ids()).unwrap();
    assert_eq!(c.tx.ops, vec![ItemOp::Move { id: 3, to: Container::Object(501), slot: 0 }]);
    let before = snapshot(&w);
    let r = w.drop_into_new_container(Source::new(P, 0), 1, Root::Object(501), cap, &mut counter(60));
    refused(&w, &before, r, ItemError::ContainerExists(Container::Object(501)));
}

#[test]
fn a_pickup_moves_what_fits_and_says_when_the_pile_is_empty() {
    let mut w = world();
    let cap = w.content().pile_kind().unwrap().capacity.unwrap();
    w.drop_into_new_container(Source::new(P, 0), 30, Root::Object(500), cap, &mut no_ids()).unwrap();
    // Fill the inventory: 20 free slots of stones, one of 45 branches (room for 5).
    for slot in 4..24 {
        w.give(
            Target::slot(P, slot),
            Stack { kind: kind("stone"), quality: 0, count: 1 },
            &mut counter(100 + i64::from(slot)),
        )
        .unwrap();
    }
    w.give(Target::slot(P, 0), Stack { kind: kind("branch"), quality: 0, count: 45 }, &mut counter(200))
        .unwrap();
    let pile = Container::Object(500);
    let p = w.pickup(Source::new(pile, 0), Target::any(P), &mut no_ids()).unwrap();
    assert_eq!((p.change.count, p.left, p.source_empty), (5, 25, false));
    assert_eq!(p.change.tx.label, "pickup");
    // Make room, pick up the rest: the pile is empty, the caller deletes it.
    w.take(Source::new(P, 0), 50).unwrap();
    let mut p = w.pickup(Source::new(pile, 0), Target::any(P), &mut no_ids()).unwrap();
    assert_eq!((p.change.count, p.left, p.source_empty), (25, 0, true));
    assert_eq!(p.change.tx.ops, vec![ItemOp::Move { id: 1, to: P, slot: 0 }]);
    p.change.delete_object_last(500);
    assert_eq!(p.change.tx.ops.last(), Some(&ItemOp::DeleteObject { id: 500 }));
    assert_eq!(w.remove_container(Root::Object(500)).unwrap(), vec![]);
}

#[test]
fn a_gift_merges_then_fills_free_slots_and_reports_what_fit() {
    let mut w = world();
    let branch = |count| Stack { kind: kind("branch"), quality: 0, count };
    let c = w.give(Target::any(P), branch(130), &mut counter(50)).unwrap();
    assert_eq!(c.count, 130);
    let new = |id, count, slot| ItemOp::Put(rec(id, kind("branch"), count, P, slot));
    assert_eq!(
        c.tx.ops,
        vec![ItemOp::SetCount { id: 1, count: 50 }, new(50, 50, 4), new(51, 50, 5), new(52, 10, 6)]
    );
    // The box: 16 slots, one holding 20 branches: 30 + 15 × 50 fit of 1,000.
    let c = w.give(Target::any(BOX), branch(1000), &mut counter(60)).unwrap();
    assert_eq!(c.count, 30 + 15 * 50);
    let before = snapshot(&w);
    let r = w.give(Target::any(BOX), branch(1), &mut counter(90));
    refused(&w, &before, r, ItemError::NoRoom(BOX));
    let r = w.give(Target::any(P), Stack { kind: 999, quality: 0, count: 1 }, &mut counter(90));
    refused(&w, &before, r, ItemError::UnknownKind(999));
    let r = w.give(Target::any(P), branch(0), &mut counter(90));
    refused(&w, &before, r, ItemError::BadCount { count: 0, held: 0 });
}

#[test]
fn a_take_removes_items_from_the_world() {
    let mut w = world();
    let (c, stack) = w.take(Source::new(P, 1), 3).unwrap();
    assert_eq!(c.tx.ops, vec![ItemOp::SetCount { id: 2, count: 7 }]);
    assert_eq!(stack, Stack { kind: kind("berries"), quality: 0, count: 3 });
    let (c, _) = w.take(Source::new(P, 1), 7).unwrap();
    assert_eq!(c.tx.ops, vec![ItemOp::Delete { id: 2 }]);
    let before = snapshot(&w);
    let r = w.take(Source::new(P, 2), 1);
    refused(&w, &before, r, ItemError::NotEmpty { item: 3 });
    w.take(Source::new(Container::Item(3), 0), 5).unwrap();
    let (c, _) = w.take(Source::new(P, 2), 1).unwrap();
    assert_eq!(c.tx.ops, vec![ItemOp::Delete { id: 3 }]);
    assert!(w.container(Container::Item(3)).is_none(), "the bag's slots went with it");
}

#[test]
fn loading_keeps_the_good_items_and_reports_the_bad() {
    let mut w = ItemWorld::new(content());
    let (bag, stone, berries) = (kind("bag"), kind("stone"), kind("berries"));
    let items = [
        rec(1, stone, 5, P, 0),
        rec(2, stone, 5, P, 0),                   // slot taken by 1
        rec(3, stone, 5, P, 24),                  // slot out of range
        rec(4, 999, 1, P, 1),                     // unknown kind
        rec(5, stone, 0, P, 2),                   // count 0
        rec(6, berries, 41, P, 3),                // over max_stack 40
        rec(7, bag, 1, P, 4),                     // bag, depth 1
        rec(8, bag, 1, Container::Item(7), 0),    // depth 2
        rec(9, bag, 1, Container::Item(8), 0),    // depth 3
        rec(10, stone, 1, Container::Item(9), 0), // depth 4: too deep
        rec(11, bag, 1, Container::Item(12), 0),  // cycle 11 <-> 12
        rec(12, bag, 1, Container::Item(11), 0),
        rec(13, stone, 1, Container::Item(99), 0), // orphan
        rec(14, stone, 1, Container::Item(4), 0),  // inside a refused item
        rec(15, stone, 1, Container::Item(1), 0),  // inside a stone (no container)
        rec(1, stone, 1, P, 5),                    // duplicate id
    ];
    let report = w.insert_container(Root::Player(1), 24, &items).unwrap();
    assert_eq!(report.loaded, 4, "1, 7, 8, 9");
    let reasons: Vec<(i64, BadItemReason)> = report.bad.iter().map(|b| (b.item.id, b.reason)).collect();
    use BadItemReason::*;
    assert_eq!(
        reasons,
        vec![
            (2, SlotTaken),
            (4, UnknownKind),
            (5, BadCount),
            (6, BadCount),
            (1, DuplicateId),
            (3, SlotOutOfRange),
            (10, TooDeep),
            (11, Unreachable),
            (12, Unreachable),
            (13, Unreachable),
            (14, Unreachable),
            (15, Unreachable),
        ]
    );
    assert_eq!(w.len(), 4);
    assert!(w.container(Container::Item(9)).unwrap().is_empty());
    let r = w.insert_container(Root::Player(1), 24, &[]);
    assert_eq!(r.unwrap_err(), ItemError::ContainerExists(P));
    // Unloading returns the whole subtree, parents first; loading it again restores it.
    let records = w.remove_container(Root::Player(1)).unwrap();
    let ids: Vec<i64> = records.iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![1, 7, 8, 9]);
    assert!(w.is_empty() && w.container(Container::Item(7)).is_none());
    assert_eq!(w.remove_container(Root::Player(1)).unwrap_err(), ItemError::NoSuchContainer(P));
    let again = w.insert_container(Root::Player(1), 24, &records).unwrap();
    assert_eq!((again.loaded, again.bad.len()), (4, 0));
}

#[test]
fn totals_count_every_kind_and_quality_held() {
    let w = world();
    let totals = w.totals();
    assert_eq!(totals.get(&(kind("branch"), 0)), Some(&50));
    assert_eq!(totals.get(&(kind("stone"), 0)), Some(&5));
    assert_eq!(totals.len(), 5);
}

#[test]
fn every_refusal_has_its_own_stable_code_and_text() {
    use game::wire::error as code;
    let c = Container::Player(1);
    let errors = [
        (ItemError::NoSuchContainer(c), code::NO_SUCH_CONTAINER),
        (ItemError::NoSuchSlot { container: c, slot: 1 }, code::NO_SUCH_SLOT),
        (ItemError::EmptySlot { container: c, slot: 1 }, code::EMPTY_SLOT),
        (ItemError::NoRoom(c), code::NO_ROOM),
        (ItemError::WouldContainItself { item: 1 }, code::WOULD_CONTAIN_ITSELF),
        (ItemError::TooDeep { depth: 4, max: 3 }, code::TOO_DEEP),
        (ItemError::StackMismatch { container: c, slot: 1 }, code::STACK_MISMATCH),
        (ItemError::Stale { container: c, expected: 1, actual: 2 }, code::STALE),
        (ItemError::BadCount { count: 0, held: 1 }, code::BAD_COUNT),
        (ItemError::NoIds, code::NO_IDS),
        (ItemError::OutOfReach, code::OUT_OF_REACH),
        (ItemError::NotOpen, code::NOT_OPEN),
        (ItemError::NotEmpty { item: 1 }, code::NOT_EMPTY),
        (ItemError::ContainerExists(c), code::CONTAINER_EXISTS),
        (ItemError::IdInUse(1), code::ID_IN_USE),
        (ItemError::UnknownKind(1), code::UNKNOWN_KIND),
        (ItemError::StorageBusy, code::STORAGE_BUSY),
    ];
    let mut codes: Vec<u16> = errors.iter().map(|(e, _)| e.code()).collect();
    assert!(errors.iter().all(|(e, c)| e.code() == *c && !e.to_string().is_empty()));
    assert_eq!(codes, (103..=119).collect::<Vec<u16>>(), "item codes follow 100..=102");
    codes.dedup();
    assert_eq!(codes.len(), errors.len());
    assert!(
        errors.iter().all(|(e, _)| e.retryable() == matches!(e, ItemError::NoIds | ItemError::StorageBusy))
    );
}
