//! The craft model property: two players with materials of many qualities in their inventories
//! and bags craft every shipped recipe (in repetitions, with the experience varying, sometimes
//! with an inventory too full for the result and a ground pile offered or not), mixed with moves
//! and splits between their inventories and bags and gifts that fill the inventories. After
//! every step: every item is in exactly one place; the totals per (kind, quality) changed by
//! exactly the craft (each ingredient's repetitions out, taken highest quality first, the
//! result in) or not at all for a move; a refusal changed nothing; the craft's one transaction,
//! applied to a real SQLite store (and to a reference map), keeps storage equal to memory,
//! which the store's own loads confirm at the end.
//!
//! `CRAFT_CASES` sets the number of cases (default 24).

use crate::db;
use crate::items_common::{Reference, check_invariants, content, kind, rec};
use game::Content;
use game::items::{Craft, CraftError, CraftOutcome, GroundPile, ItemWorld, Root, Source, Stack, Target};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::collections::BTreeMap;
use store::{Backend, Container, ItemOp, ItemRecord, ItemTx, ObjectRecord, PlayerRecord};

const PLAYERS: [i64; 2] = [1, 2];
const FIRST_PILE: i64 = 90_000;

#[derive(Debug, Clone, Copy)]
enum Step {
    Craft { player: usize, recipe: usize, times: u16, experience: u64, pile: bool },
    Move { player: usize, from: usize, slot: u16, to: usize, to_slot: Option<u16>, part: Option<u32> },
    Clutter { player: usize },
}

fn step() -> impl Strategy<Value = Step> {
    let n = 0usize..64;
    prop_oneof![
        5 => (n.clone(), n.clone(), 1u16..=3, 0u64..3000, prop::bool::weighted(0.7))
            .prop_map(|(player, recipe, times, experience, pile)| Step::Craft { player, recipe, times, experience, pile }),
        4 => (n.clone(), n.clone(), 0u16..32, n.clone(), prop::option::of(0u16..32), prop::option::of(1u32..40))
            .prop_map(|(player, from, slot, to, to_slot, part)| Step::Move { player, from, slot, to, to_slot, part }),
        3 => n.prop_map(|player| Step::Clutter { player }),
    ]
}

/// Each player's kit: branches, stones and logs of several qualities in the inventory and in a
/// bag, berries, and for player 1 a stone axe.
fn kit(p: i64) -> Vec<ItemRecord> {
    let inv = Container::Player(p);
    let base = p * 100;
    let bag = Container::Item(base + 6);
    let q = |quality, r: ItemRecord| ItemRecord { quality, ..r };
    let mut items = vec![
        q(10 + p as u32, rec(base, kind("branch"), 30, inv, 0)),
        q(3 * p as u32, rec(base + 1, kind("branch"), 20, inv, 1)),
        q(8, rec(base + 2, kind("stone"), 25, inv, 2)),
        q(15, rec(base + 3, kind("stone"), 10, inv, 3)),
        q(20, rec(base + 4, kind("log"), 8, inv, 4)),
        q(33, rec(base + 5, kind("log"), 4, inv, 5)),
        rec(base + 6, kind("bag"), 1, inv, 6),
        q(40, rec(base + 7, kind("branch"), 6, bag, 0)),
        q(2, rec(base + 8, kind("stone"), 4, bag, 1)),
        q(25, rec(base + 9, kind("log"), 2, bag, 2)),
        rec(base + 10, kind("berries"), 5, inv, 7),
    ];
    if p == 1 {
        items.push(q(25, rec(base + 11, kind("stone axe"), 1, inv, 8)));
    }
    items
}

/// The world, its reference, the SQLite store the transactions go to, and the counters.
struct Play {
    world: ItemWorld,
    reference: Reference,
    store: Box<dyn Backend>,
    next_id: i64,
    next_pile: i64,
    next_clutter: u32,
    crafts: u32,
}

impl Play {
    fn setup(lite: &db::LiteDb) -> Play {
        let connector = lite.connector();
        connector.migrate().expect("migrate");
        let mut store = connector.connect().expect("connect");
        let players: Vec<PlayerRecord> = PLAYERS
            .iter()
            .map(|&id| PlayerRecord { id, name: format!("p{id}"), ..Default::default() })
            .collect();
        store.save_players(&players).expect("players");
        let mut world = ItemWorld::new(content());
        let mut all = Vec::new();
        for p in PLAYERS {
            let items = kit(p);
            assert!(world.insert_container(Root::Player(p), 24, &items).unwrap().bad.is_empty());
            all.extend(items);
        }
        store
            .apply_item_tx(&ItemTx::new("setup", all.iter().map(|r| ItemOp::Put(*r)).collect()))
            .expect("kits");
        let reference = Reference { items: all.iter().map(|r| (r.id, *r)).collect(), ..Reference::default() };
        Play {
            world,
            reference,
            store,
            next_id: 10_000,
            next_pile: FIRST_PILE,
            next_clutter: 1000,
            crafts: 0,
        }
    }

    /// Stores an accepted change and replays it on the reference.
    fn commit(&mut self, tx: &ItemTx) {
        self.store.apply_item_tx(tx).expect("the store takes every accepted change");
        self.reference.replay(tx);
    }

    fn run(&mut self, step: Step) -> Result<(), TestCaseError> {
        match step {
            Step::Craft { player, recipe, times, experience, pile } => {
                let book = &self.world.content().recipes;
                let recipe = book.iter().nth(recipe % book.len()).unwrap().id;
                let c = Craft { player: PLAYERS[player % PLAYERS.len()], recipe, times, experience };
                self.craft(c, pile)
            }
            Step::Move { player, from, slot, to, to_slot, part } => {
                let own = containers_of(&self.world, PLAYERS[player % PLAYERS.len()]);
                let (from, to) = (own[from % own.len()], own[to % own.len()]);
                let Some(item) = self.world.item_at(from, slot % 24).copied() else { return Ok(()) };
                let count = part.map_or(item.count, |n| 1 + n % item.count);
                let target = Target { container: to, slot: to_slot, revision: None };
                let before = self.world.totals();
                let next_id = &mut self.next_id;
                let mut ids = move || {
                    *next_id += 1;
                    Some(*next_id)
                };
                if let Ok(change) =
                    self.world.move_stack(Source::new(from, item.slot as u16), target, count, &mut ids)
                {
                    prop_assert_eq!(&self.world.totals(), &before, "a move keeps the totals");
                    self.commit(&change.tx);
                }
                Ok(())
            }
            Step::Clutter { player } => {
                let to = Target::any(Container::Player(PLAYERS[player % PLAYERS.len()]));
                self.next_clutter += 1;
                let stack = Stack { kind: kind("seeds"), quality: self.next_clutter, count: 1 };
                self.next_id += 1;
                let id = self.next_id;
                if let Ok(change) = self.world.give(to, stack, &mut || Some(id)) {
                    self.commit(&change.tx);
                }
                Ok(())
            }
        }
    }

    fn craft(&mut self, c: Craft, offer_pile: bool) -> Result<(), TestCaseError> {
        let before = self.world.clone();
        let preview = self.world.craft_preview(c);
        let overflow = preview.as_ref().map_or(0, |o| o.overflow);
        let capacity = self.world.content().pile_kind().and_then(|k| k.capacity).unwrap_or(1);
        let pile = (offer_pile && overflow > 0)
            .then_some(GroundPile { root: Root::Object(self.next_pile), capacity });
        let next_id = &mut self.next_id;
        let mut ids = move || {
            *next_id += 1;
            Some(*next_id)
        };
        match self.world.craft(c, pile, &mut ids) {
            Ok(mut done) => {
                prop_assert_eq!(Ok(&done.outcome), preview.as_ref(), "the preview is what the craft does");
                check_craft(&before, &self.world, c, &done.outcome)?;
                if let Some(Root::Object(id)) = done.pile {
                    prop_assert!(overflow > 0 && pile.is_some());
                    done.change.put_object_first(pile_record(id));
                    self.next_pile += 1;
                }
                self.crafts += 1;
                self.commit(&done.change.tx);
            }
            Err(e) => {
                prop_assert_eq!(records(&self.world), records(&before), "refused with {:?} yet changed", e);
                prop_assert!((103..=126).contains(&e.code()), "{e}");
                if let CraftError::NoRoom { overflow: left } = e {
                    prop_assert_eq!(left.count, overflow);
                }
                prop_assert_eq!(preview.err().is_some(), !matches!(e, CraftError::NoRoom { .. }));
            }
        }
        Ok(())
    }
}

/// The totals changed by exactly the recipe: each ingredient's `count × times` out, taken
/// highest quality first from the crafter's holdings, the result's `count × times` in; the
/// tools are untouched.
fn check_craft(
    before: &ItemWorld,
    after: &ItemWorld,
    c: Craft,
    o: &CraftOutcome,
) -> Result<(), TestCaseError> {
    let recipe = before.content().recipe(c.recipe).unwrap();
    let mut expected = before.totals();
    for s in &o.consumed {
        *expected.get_mut(&(s.kind, s.quality)).expect("consumed what was held") -= u64::from(s.count);
    }
    *expected.entry((o.result.kind, o.result.quality)).or_insert(0) += u64::from(o.result.count);
    expected.retain(|_, n| *n > 0);
    prop_assert_eq!(&after.totals(), &expected, "totals change by the recipe");
    prop_assert_eq!(o.result.count, recipe.result.count * u32::from(c.times));
    prop_assert_eq!(o.result.kind, recipe.result.kind);
    for ingredient in &recipe.ingredients {
        let needed = ingredient.count * u32::from(c.times);
        let mut held: Vec<(u32, u32)> = holdings(before, c.player)
            .filter(|r| r.kind == ingredient.kind)
            .map(|r| (r.quality, r.count))
            .collect();
        held.sort_by_key(|h| std::cmp::Reverse(h.0));
        let mut best_first: BTreeMap<u32, u32> = BTreeMap::new();
        let mut left = needed;
        for (quality, count) in held {
            let n = left.min(count);
            if n > 0 {
                *best_first.entry(quality).or_insert(0) += n;
            }
            left -= n;
        }
        let used: BTreeMap<u32, u32> =
            o.consumed.iter().filter(|s| s.kind == ingredient.kind).map(|s| (s.quality, s.count)).collect();
        prop_assert_eq!(used, best_first, "kind {} taken highest quality first", ingredient.kind);
    }
    for &tool in &o.tools {
        prop_assert_eq!(after.item(tool), before.item(tool), "a tool is kept as it was");
    }
    Ok(())
}

/// Every item below the player's inventory.
fn holdings(w: &ItemWorld, player: i64) -> impl Iterator<Item = &ItemRecord> + '_ {
    w.records().filter(move |r| root_of(w, r.container) == Container::Player(player))
}

fn root_of(w: &ItemWorld, mut c: Container) -> Container {
    while let Container::Item(id) = c {
        c = w.item(id).expect("a bag's item is loaded").container;
    }
    c
}

/// The player's inventory and the bags below it, in a fixed order.
fn containers_of(w: &ItemWorld, player: i64) -> Vec<Container> {
    let mut own: Vec<Container> =
        w.containers().map(|(c, _)| c).filter(|&c| root_of(w, c) == Container::Player(player)).collect();
    own.sort_by_key(|c| c.to_parts());
    own
}

fn pile_record(id: i64) -> ObjectRecord {
    let kind = Content::builtin().pile_kind().unwrap().id;
    ObjectRecord { id, map: 1, kind, holds_items: true, ..ObjectRecord::default() }
}

fn records(w: &ItemWorld) -> BTreeMap<i64, ItemRecord> {
    w.records().map(|r| (r.id, *r)).collect()
}

/// Storage, read back through the store's own loads of every player and every pile, holds
/// exactly the world's items, and no other item row exists.
fn check_store(play: &mut Play, lite: &db::LiteDb) -> Result<(), TestCaseError> {
    let piles = play.world.containers().filter_map(|(c, _)| match c {
        Container::Object(id) => Some(Container::Object(id)),
        _ => None,
    });
    let roots: Vec<Container> = PLAYERS.iter().map(|&p| Container::Player(p)).chain(piles).collect();
    let mut stored = BTreeMap::new();
    for root in roots {
        let load = play.store.load_items(root).expect("load");
        prop_assert!(load.bad.is_empty(), "bad rows: {:?}", load.bad);
        stored.extend(load.items.into_iter().map(|r| (r.id, r)));
    }
    prop_assert_eq!(&stored, &records(&play.world), "storage equals memory");
    let rows: i64 = rusqlite::Connection::open(&lite.path)
        .unwrap()
        .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
        .unwrap();
    prop_assert_eq!(rows as usize, play.world.len(), "no item row outside the loads");
    Ok(())
}

fn cases() -> u32 {
    std::env::var("CRAFT_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24)
}

fn run_case(steps: &[Step], totals: &mut (u32, u32)) -> Result<(), TestCaseError> {
    let lite = db::sqlite_db();
    let mut play = Play::setup(&lite);
    for &step in steps {
        play.run(step)?;
        check_invariants(&play.world);
        prop_assert_eq!(
            &records(&play.world),
            &play.reference.items,
            "replayed ops equal the world after {:?}",
            step
        );
    }
    check_store(&mut play, &lite)?;
    totals.0 += play.crafts;
    totals.1 += u32::try_from(play.next_pile - FIRST_PILE).unwrap_or(0);
    Ok(())
}

#[test]
fn random_crafts_moves_and_splits_conserve_items_and_storage_follows() {
    let mut runner =
        TestRunner::new(Config { cases: cases(), failure_persistence: None, ..Config::default() });
    let totals = std::cell::Cell::new((0, 0));
    let result = runner.run(&prop::collection::vec(step(), 1..60), |steps| {
        let mut t = totals.get();
        let outcome = run_case(&steps, &mut t);
        totals.set(t);
        outcome
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (crafts, piles) = totals.get();
    eprintln!("{crafts} crafts, {piles} of them with a ground pile");
    assert!(crafts > 0, "the property crafted something");
}
