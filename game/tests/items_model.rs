//! The item model under random play: several players with bags, boxes and piles move, split,
//! merge, drop, pick up, give, take and reload. After every step the world keeps its
//! invariants (every item in exactly one slot of a loaded container, no cycles, depth within
//! the rules, counts within `max_stack`), totals change only by explicit creations and takes,
//! revisions grow by one exactly where something changed, a refused step changes and emits
//! nothing, and replaying the emitted ops on a plain map of records (a reference store) gives
//! exactly the world's stored records. One of the characters is a server-side bot, whose
//! inventory is never stored: items moving in and out of it leave and enter the reference
//! store whole.

mod items_common;

use game::items::{ItemChange, ItemError, ItemWorld, Root, Source, Stack, Target};
use items_common::{Reference, Snapshot, check_invariants, container_key, content, kind, rec, snapshot};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use store::{Container, ItemRecord, ObjectRecord};

/// Three players and a bot (negative: its inventory is never stored).
const PLAYERS: [i64; 4] = [1, 2, 3, BOT];
const BOT: i64 = game::items::bot_holder(0);
const BOXES: [i64; 2] = [100, 101];
const FIRST_PILE: i64 = 50_000;

/// How many items a step asks for.
#[derive(Debug, Clone, Copy)]
enum Count {
    Whole,
    /// `n % (held + 1)`: mostly part of the stack, sometimes 0.
    Part(u32),
    /// One more than the stack holds.
    Over,
}

#[derive(Debug, Clone, Copy)]
enum Step {
    Move { from: usize, slot: u16, to: usize, to_slot: Option<u16>, count: Count, stale: bool },
    Drop { from: usize, slot: u16, count: Count },
    Pickup { pile: usize, to: usize },
    Give { to: usize, kind: usize, quality: u32, count: u32, slot: Option<u16> },
    Take { from: usize, slot: u16, count: Count },
    Reload { root: usize },
}

fn count() -> impl Strategy<Value = Count> {
    prop_oneof![4 => Just(Count::Whole), 5 => (0u32..60).prop_map(Count::Part), 1 => Just(Count::Over)]
}

fn step() -> impl Strategy<Value = Step> {
    let pick = 0usize..64;
    let slot = 0u16..64;
    prop_oneof![
        6 => (pick.clone(), slot.clone(), pick.clone(), prop::option::of(slot.clone()), count(), prop::bool::weighted(0.05))
            .prop_map(|(from, slot, to, to_slot, count, stale)| Step::Move { from, slot, to, to_slot, count, stale }),
        2 => (pick.clone(), slot.clone(), count()).prop_map(|(from, slot, count)| Step::Drop { from, slot, count }),
        2 => (pick.clone(), pick.clone()).prop_map(|(pile, to)| Step::Pickup { pile, to }),
        2 => (pick.clone(), pick.clone(), 0u32..2, 0u32..120, prop::option::of(slot.clone()))
            .prop_map(|(to, kind, quality, count, slot)| Step::Give { to, kind, quality, count, slot }),
        1 => (pick.clone(), slot, count()).prop_map(|(from, slot, count)| Step::Take { from, slot, count }),
        1 => pick.prop_map(|root| Step::Reload { root }),
    ]
}

/// The state the steps act on.
struct Play {
    world: ItemWorld,
    reference: Reference,
    totals: BTreeMap<(u32, u32), u64>,
    next_id: i64,
    next_pile: i64,
}

fn kinds() -> Vec<u32> {
    content().items.iter().map(|k| k.id).collect()
}

fn setup() -> Play {
    let mut world = ItemWorld::new(content());
    let mut all = Vec::new();
    for (n, &p) in PLAYERS.iter().enumerate() {
        let c = Container::Player(p);
        let base = if p == BOT { 900 } else { p * 100 };
        let (bag, inner) = (Container::Item(base + 3), Container::Item(base + 5));
        let items = vec![
            rec(base, kind("branch"), 30, c, 0),
            rec(base + 1, kind("berries"), 12 + n as u32, c, 1),
            rec(base + 3, kind("bag"), 1, c, 2),
            rec(base + 4, kind("stone"), 7, bag, 0),
            rec(base + 5, kind("bag"), 1, bag, 3),
            rec(base + 6, kind("seeds"), 20, inner, 1),
            rec(base + 7, kind("stone axe"), 1, c, 3),
            ItemRecord { quality: 1, ..rec(base + 8, kind("log"), 5, c, 4) },
            rec(base + 9, kind("log"), 5, c, 5),
        ];
        let report = world.insert_container(Root::Player(p), 24, &items).unwrap();
        assert!(report.bad.is_empty());
        all.extend(items);
    }
    for &b in &BOXES {
        let c = Container::Object(b);
        let items = vec![
            rec(b * 10, kind("branch"), 45, c, 0),
            rec(b * 10 + 1, kind("bag"), 1, c, 7),
            rec(b * 10 + 2, kind("club"), 1, c, 15),
        ];
        world.insert_container(Root::Object(b), 16, &items).unwrap();
        all.extend(items);
    }
    let reference = Reference { items: stored_only(&world, &all), objects: BOXES.into_iter().collect() };
    let totals = world.totals();
    Play { world, reference, totals, next_id: 10_000, next_pile: FIRST_PILE }
}

/// Every loaded container, in a fixed order.
fn containers(w: &ItemWorld) -> Vec<Container> {
    let mut all: Vec<Container> = w.containers().map(|(c, _)| c).collect();
    all.sort_by_key(|c| container_key(*c));
    all
}

fn piles(w: &ItemWorld) -> Vec<Container> {
    containers(w).into_iter().filter(|c| matches!(c, Container::Object(id) if *id >= FIRST_PILE)).collect()
}

/// A slot of `c`: mostly an occupied one, sometimes any (maybe out of range).
fn slot_of(w: &ItemWorld, c: Container, raw: u16) -> u16 {
    let occupied: Vec<u16> =
        w.container(c).map(|s| s.occupied().map(|(s, _)| s).collect()).unwrap_or_default();
    if raw.is_multiple_of(8) || occupied.is_empty() {
        return raw % (capacity(w, c) + 1);
    }
    occupied[usize::from(raw) % occupied.len()]
}

fn capacity(w: &ItemWorld, c: Container) -> u16 {
    w.container(c).map_or(0, |s| s.capacity())
}

fn how_many(w: &ItemWorld, from: Source, count: Count) -> u32 {
    let held = w.item_at(from.container, from.slot).map_or(1, |i| i.count);
    match count {
        Count::Whole => held,
        Count::Part(n) => n % (held + 1),
        Count::Over => held + 1,
    }
}

impl Play {
    /// Runs one step; `Ok(None)` when the step had nothing to act on.
    fn run(&mut self, step: Step, dry: bool) -> Result<Option<ItemChange>, ItemError> {
        let next_id = &mut self.next_id;
        let mut ids = move || {
            if dry {
                return None;
            }
            *next_id += 1;
            Some(*next_id)
        };
        let w = &mut self.world;
        let all = containers(w);
        let at = |i: usize| all[i % all.len()];
        match step {
            Step::Move { from, slot, to, to_slot, count, stale } => {
                let (from, to) = (at(from), at(to));
                let mut source = Source::new(from, slot_of(w, from, slot));
                if stale {
                    source = source.seen(w.revision(from).unwrap_or(0).wrapping_add(1));
                }
                let n = how_many(w, source, count);
                let target = Target {
                    container: to,
                    slot: to_slot.map(|s| s % (capacity(w, to) + 1)),
                    revision: w.revision(to),
                };
                w.move_stack(source, target, n, &mut ids).map(Some)
            }
            Step::Drop { from, slot, count } => {
                let from = at(from);
                let source = Source::new(from, slot_of(w, from, slot)).seen(w.revision(from).unwrap_or(0));
                let n = how_many(w, source, count);
                let pile = self.next_pile;
                let mut change = w.drop_into_new_container(source, n, Root::Object(pile), 1, &mut ids)?;
                self.next_pile += 1;
                change.put_object_first(ObjectRecord { id: pile, ..ObjectRecord::default() });
                Ok(Some(change))
            }
            Step::Pickup { pile, to } => {
                let piles = piles(w);
                let Some(&pile) = piles.get(pile % piles.len().max(1)) else { return Ok(None) };
                let Container::Object(pile_id) = pile else { unreachable!() };
                let mut p = w.pickup(Source::new(pile, 0), Target::any(at(to)), &mut ids)?;
                if p.source_empty {
                    p.change.delete_object_last(pile_id);
                    assert_eq!(
                        w.remove_container(Root::Object(pile_id)).unwrap(),
                        vec![],
                        "an empty pile holds nothing"
                    );
                }
                Ok(Some(p.change))
            }
            Step::Give { to, kind, quality, count, slot } => {
                let kinds = kinds();
                let stack = Stack { kind: kinds[kind % kinds.len()], quality, count };
                let to = at(to);
                let target =
                    Target { container: to, slot: slot.map(|s| s % (capacity(w, to) + 1)), revision: None };
                let change = w.give(target, stack, &mut ids)?;
                *self.totals.entry((stack.kind, quality)).or_insert(0) += u64::from(change.count);
                Ok(Some(change))
            }
            Step::Take { from, slot, count } => {
                let from = at(from);
                let source = Source::new(from, slot_of(w, from, slot));
                let n = how_many(w, source, count);
                let (change, stack) = w.take(source, n)?;
                let total = self.totals.get_mut(&(stack.kind, stack.quality)).expect("taken kind was held");
                *total -= u64::from(stack.count);
                Ok(Some(change))
            }
            Step::Reload { root } => {
                let roots: Vec<Container> =
                    all.iter().copied().filter(|c| !matches!(c, Container::Item(_))).collect();
                let root = match roots[root % roots.len()] {
                    Container::Player(id) => Root::Player(id),
                    Container::Object(id) => Root::Object(id),
                    Container::Item(_) => unreachable!(),
                };
                let capacity = w.container(root.container()).unwrap().capacity();
                let records = w.remove_container(root).unwrap();
                let report = w.insert_container(root, capacity, &records).unwrap();
                assert_eq!(
                    (report.loaded, report.bad.len()),
                    (records.len(), 0),
                    "unload + load restores everything"
                );
                Ok(None)
            }
        }
    }
}

/// Revisions grew by exactly one for the containers reported, and nowhere else.
fn check_revisions(before: &Snapshot, after: &Snapshot, change: &ItemChange) {
    let revised: BTreeMap<(i16, i64), u32> =
        change.revised.iter().map(|r| (container_key(r.container), r.revision)).collect();
    assert_eq!(revised.len(), change.revised.len(), "each container reported once");
    for (key, (slots, revision)) in &after.containers {
        let old = before.containers.get(key);
        match revised.get(key) {
            Some(&r) => {
                assert_eq!(r, *revision);
                assert_eq!(r, old.map_or(1, |o| o.1).wrapping_add(1), "{key:?} grew by one");
            }
            None => match old {
                Some(old) => {
                    assert_eq!((&old.0, old.1), (slots, *revision), "{key:?} unchanged and not reported")
                }
                // A bag created (given or split off) brings its own empty slots at revision 1.
                None => assert!(
                    key.0 == 3 && *revision == 1 && slots.iter().all(Option::is_none),
                    "{key:?} new, not reported"
                ),
            },
        }
    }
    for r in after.records.values() {
        if before.records.get(&r.id) != Some(r) {
            assert!(
                revised.contains_key(&container_key(r.container)),
                "{r:?} changed in an unreported container"
            );
        }
    }
}

/// 64 cases unless `PROPTEST_CASES` says otherwise.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
}

/// The world's stored records (a bot's inventory left out).
fn records(w: &ItemWorld) -> BTreeMap<i64, ItemRecord> {
    w.records().filter(|r| w.is_stored(r.container)).map(|r| (r.id, *r)).collect()
}

fn stored_only(w: &ItemWorld, all: &[ItemRecord]) -> BTreeMap<i64, ItemRecord> {
    all.iter().filter(|r| w.is_stored(r.container)).map(|r| (r.id, *r)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_play_keeps_every_invariant(steps in prop::collection::vec((step(), prop::bool::weighted(0.1)), 1..60)) {
        let mut play = setup();
        check_invariants(&play.world);
        for (step, dry) in steps {
            let before = snapshot(&play.world);
            match play.run(step, dry) {
                Ok(Some(change)) => {
                    let after = snapshot(&play.world);
                    if !matches!(step, Step::Reload { .. }) {
                        check_revisions(&before, &after, &change);
                    }
                    if change.is_empty() {
                        prop_assert_eq!(&after, &before, "an empty change changes nothing");
                    }
                    play.reference.replay(&change.tx);
                }
                Ok(None) => {}
                Err(e) => {
                    prop_assert_eq!(&snapshot(&play.world), &before, "refused with {:?} yet changed", e);
                    prop_assert!(e.code() >= 103);
                    if dry && e == ItemError::NoIds {
                        prop_assert!(e.retryable());
                    }
                }
            }
            check_invariants(&play.world);
            prop_assert_eq!(&records(&play.world), &play.reference.items, "replayed ops equal the world's stored records after {:?}", step);
            let piles: BTreeSet<i64> = piles(&play.world).into_iter().map(|c| c.to_parts().1).collect();
            let stored: BTreeSet<i64> = play.reference.objects.iter().copied().filter(|&id| id >= FIRST_PILE).collect();
            prop_assert_eq!(piles, stored, "piles in memory are the piles stored");
            play.totals.retain(|_, n| *n > 0);
            prop_assert_eq!(&play.world.totals(), &play.totals, "totals change only by gifts and takes");
        }
    }
}
