//! Equipment slots: the hand and body slots at the end of a character's inventory take only
//! what fits them (a tool or weapon; armor), equipping and unequipping are moves, and stacks
//! placed anywhere in the inventory never land in them.

mod items_common;

use game::items::{EquipSlot, ItemError, ItemWorld, Root, Source, Stack, Target, inventory_capacity};
use items_common::{content, counter, kind, rec, snapshot};
use store::Container;

const P: Container = Container::Player(1);

/// Player 1 holds a stone axe (slot 0), 10 berries (slot 1) and a bark vest (slot 2).
fn world() -> (ItemWorld, u16, u16) {
    let mut w = ItemWorld::new(content());
    let rules = w.content().item_rules;
    let items = [
        rec(1, kind("stone axe"), 1, P, 0),
        rec(2, kind("berries"), 10, P, 1),
        rec(3, kind("bark vest"), 1, P, 2),
    ];
    w.insert_container(Root::Player(1), inventory_capacity(&rules), &items).unwrap();
    (w, EquipSlot::Hand.slot(&rules), EquipSlot::Body.slot(&rules))
}

#[test]
fn the_hand_takes_tools_and_weapons_and_the_body_armor() {
    let (mut w, hand, body) = world();
    assert_eq!((hand, body), (24, 25), "right after the 24 inventory slots");
    let mut ids = || None::<i64>;
    w.move_stack(Source::new(P, 0), Target::slot(P, hand), 1, &mut ids).unwrap();
    assert_eq!(w.equipped(1, EquipSlot::Hand).map(|i| i.id), Some(1));
    w.move_stack(Source::new(P, 2), Target::slot(P, body), 1, &mut ids).unwrap();
    assert_eq!(w.equipped(1, EquipSlot::Body).map(|i| i.id), Some(3));

    // Berries are neither; the axe is no armor. Refusals change nothing.
    let before = snapshot(&w);
    let berries = w.move_stack(Source::new(P, 1), Target::slot(P, hand), 1, &mut ids);
    assert_eq!(berries.unwrap_err(), ItemError::WrongSlot { kind: kind("berries"), slot: EquipSlot::Hand });
    let axe = w.move_stack(Source::new(P, hand), Target::slot(P, body), 1, &mut ids);
    assert!(matches!(axe, Err(ItemError::StackMismatch { .. }) | Err(ItemError::WrongSlot { .. })));
    assert_eq!(snapshot(&w), before);
    assert_eq!(ItemError::WrongSlot { kind: 5, slot: EquipSlot::Hand }.code(), game::wire::error::WRONG_SLOT);

    // Unequipping is a move out, anywhere: it lands in an inventory slot.
    w.move_stack(Source::new(P, hand), Target::any(P), 1, &mut ids).unwrap();
    assert!(w.equipped(1, EquipSlot::Hand).is_none());
    let axe_slot = w.items_in(P).find(|i| i.id == 1).unwrap().slot;
    assert!(axe_slot < 24);
}

#[test]
fn stacks_placed_anywhere_never_fill_the_equipment_slots() {
    let (mut w, hand, body) = world();
    // Fill every free inventory slot with berries given "anywhere", then one stack more.
    let mut ids = counter(100);
    let free = 24 - 3;
    let stack = Stack { kind: kind("berries"), quality: 0, count: 40 * free + 30 };
    let c = w.give(Target::any(P), stack, &mut ids).unwrap();
    assert_eq!(c.count, 40 * free + 30, "merged into slot 1 (30 of room) and every free slot");
    assert!(w.item_at(P, hand).is_none() && w.item_at(P, body).is_none());
    let more = Stack { kind: kind("berries"), quality: 0, count: 1 };
    assert_eq!(w.give(Target::any(P), more, &mut ids).unwrap_err(), ItemError::NoRoom(P));
    // Even a tool given anywhere goes to the inventory, not the hand: here there is no room.
    let axe = Stack { kind: kind("stone axe"), quality: 0, count: 1 };
    assert_eq!(w.give(Target::any(P), axe, &mut ids).unwrap_err(), ItemError::NoRoom(P));
    // Into the hand by name it fits.
    w.give(Target::slot(P, hand), axe, &mut ids).unwrap();
    assert_eq!(w.equipped(1, EquipSlot::Hand).map(|i| i.kind), Some(kind("stone axe")));
    // Unequipping into a full inventory is refused, not silently ignored.
    let before = snapshot(&w);
    let out = w.move_stack(Source::new(P, hand), Target::any(P), 1, &mut ids);
    assert_eq!(out.unwrap_err(), ItemError::NoRoom(P));
    assert_eq!(snapshot(&w), before);
}
