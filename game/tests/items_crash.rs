//! Crash-prefix property of the item layer at the game's level, on both backends: random play on
//! a real `ItemWorld` by several players (moves, splits, merges, drops into new piles and boxes
//! placed, pickups that empty and delete piles, two players racing for one pile, nested bags in
//! inventories and boxes, empty boxes picked up, crafts of every shipped recipe with their
//! overflow in new piles, eating, equipping and unequipping, deaths spilling everything into
//! corpses, looting, corpses vanishing with what they hold, chunk checkpoints listing stale
//! views of the boxes, piles and corpses), each accepted operation's `ItemTx` submitted in order
//! through a real `Store`'s writer while a fault hook kills connections and fails operations at
//! random points (mid-batch too), then "crashes": nothing commits any more and the store is
//! dropped without a flush. Each operation is checked as it runs against the play's bookkeeping
//! (`play.rs`: what it should do to the totals per (kind, quality); a refusal changes nothing).
//! Reloaded by a fresh `Store`, the players' inventories and the boxes', piles' and corpses'
//! items are exactly the model's after some prefix of the accepted operations, at least as long
//! as the acknowledged ones; the totals per (kind, quality) are what the bookkeeping expected
//! after that prefix; no item is inside itself or orphaned; and a fresh `ItemWorld` loads all of
//! it without a bad item.
//!
//! `ITEMS_CRASH_CASES` sets the number of cases per backend (default 32).

#[path = "../../store/tests/common/mod.rs"]
mod db;
#[path = "../../store/tests/common/faults.rs"]
mod faults;

use faults::{FaultPlan, WAIT, settle};
mod items_common;
#[path = "items_crash/play.rs"]
mod play;
#[path = "items_crash/steps.rs"]
mod steps;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use game::items::{ItemWorld, Root};
use play::{CHUNKS, PLAYERS, Play, root_capacity};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use steps::{Outcome, Step, Stored, Totals};
use store::crossbeam_channel;
use store::{
    Backoff, ChunkKey, ChunkSave, Container, FaultPoint, Faults, ItemOp, ItemRecord, PlayerRecord, Store,
    StoreConfig, StoreError, WriterConfig,
};

fn cases() -> u32 {
    std::env::var("ITEMS_CRASH_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(32)
}

/// One generated case: the play, how the writer batches, where faults and the crash fall.
#[derive(Debug, Clone)]
struct Case {
    steps: Vec<(Step, bool)>,
    max_batch: usize,
    fault_seed: u64,
    /// The hook call at which the database "crashes"; `None`: it never does.
    crash_at: Option<u32>,
}

fn count() -> impl Strategy<Value = steps::Count> {
    prop_oneof![
        6 => Just(steps::Count::Whole),
        8 => (0u32..60).prop_map(steps::Count::Part),
        1 => Just(steps::Count::Zero)
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let (n, slot) = (0usize..64, 0u16..64);
    prop_oneof![
        8 => (n.clone(), n.clone(), slot.clone(), n.clone(), prop::option::of(slot.clone()), count(), prop::bool::weighted(0.05))
            .prop_map(|(player, from, slot, to, to_slot, count, stale)| Step::Move { player, from, slot, to, to_slot, count, stale }),
        5 => (n.clone(), n.clone(), slot, count()).prop_map(|(player, from, slot, count)| Step::Drop { player, from, slot, count }),
        3 => (n.clone(), n.clone()).prop_map(|(player, pile)| Step::Pickup { player, pile }),
        2 => (n.clone(), n.clone(), n.clone()).prop_map(|(pile, first, second)| Step::Race { pile, first, second }),
        1 => (n.clone(), n.clone()).prop_map(|(player, object)| Step::TakeBox { player, object }),
        1 => n.clone().prop_map(|back| Step::SaveChunks { back }),
        8 => life_step(),
    ]
}

/// The steps of a character's life: crafts, eating, equipment, death, loot, corpses vanishing.
fn life_step() -> impl Strategy<Value = Step> {
    let (n, slot) = (0usize..64, 0u16..64);
    prop_oneof![
        5 => (n.clone(), n.clone(), 1u16..=3, 0u64..3000, prop::bool::weighted(0.8))
            .prop_map(|(player, recipe, times, experience, pile)| Step::Craft { player, recipe, times, experience, pile }),
        2 => (n.clone(), n.clone()).prop_map(|(player, food)| Step::Eat { player, food }),
        2 => (n.clone(), n.clone(), any::<bool>(), prop::bool::weighted(0.7))
            .prop_map(|(player, item, body, fitting)| Step::Equip { player, item, body, fitting }),
        2 => (n.clone(), any::<bool>(), n.clone(), prop::option::of(slot.clone()))
            .prop_map(|(player, body, to, to_slot)| Step::Unequip { player, body, to, to_slot }),
        2 => n.clone().prop_map(|player| Step::Die { player }),
        3 => (n.clone(), n.clone(), slot, count())
            .prop_map(|(player, corpse, slot, count)| Step::Loot { player, corpse, slot, count }),
        1 => n.prop_map(|corpse| Step::Vanish { corpse }),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    let steps = prop::collection::vec((step(), prop::bool::weighted(0.15)), 1..48);
    // Three to four fault points per transaction: most crashes fall inside the run.
    let crash = prop::option::weighted(0.8, 0u32..60);
    (steps, 1usize..=16, any::<u64>(), crash).prop_map(|(steps, max_batch, fault_seed, crash_at)| Case {
        steps,
        max_batch,
        fault_seed,
        crash_at,
    })
}

/// The database under test: one per test, emptied between cases.
enum Db {
    Pg(Arc<db::PgDb>),
    Lite(db::LiteDb),
}

impl Db {
    fn config(&self) -> StoreConfig {
        match self {
            Db::Pg(db) => db.config(),
            Db::Lite(db) => db.config(),
        }
    }

    fn reset(&self) {
        let sql = "DELETE FROM items; DELETE FROM objects; DELETE FROM chunks; \
                   DELETE FROM player_positions; DELETE FROM players; DELETE FROM item_commits;";
        match self {
            Db::Pg(db) => db.client().batch_execute(sql).expect("reset"),
            Db::Lite(db) => rusqlite::Connection::open(&db.path).unwrap().execute_batch(sql).expect("reset"),
        }
    }

    /// The ids of every item row and of every container object row, read with SQL.
    fn ids(&self) -> (BTreeSet<i64>, BTreeSet<i64>) {
        let items = "SELECT id FROM items";
        let objects = "SELECT id FROM objects WHERE holds_items";
        match self {
            Db::Pg(db) => {
                let mut c = db.client();
                let mut ids = |sql| c.query(sql, &[]).unwrap().iter().map(|r| r.get::<_, i64>(0)).collect();
                (ids(items), ids(objects))
            }
            Db::Lite(db) => {
                let c = rusqlite::Connection::open(&db.path).unwrap();
                let ids = |sql| {
                    let mut stmt = c.prepare(sql).unwrap();
                    let rows = stmt.query_map([], |r| r.get::<_, i64>(0)).unwrap();
                    rows.map(Result::unwrap).collect()
                };
                (ids(items), ids(objects))
            }
        }
    }
}

/// Stores the starting world (players, boxes, items) before any fault.
fn store_setup(store: &Store, setup: &store::ItemTx) {
    let players: Vec<PlayerRecord> =
        PLAYERS.iter().map(|&id| PlayerRecord { id, name: format!("p{id}"), ..Default::default() }).collect();
    let mut b = store.connect().expect("connect");
    b.save_players(&players).expect("players");
    b.apply_item_tx(setup).expect("the starting items");
}

/// Saves of the test's chunks listing `stale`'s container objects (which a chunk save neither
/// writes nor deletes) and no plain object.
fn chunk_saves(stale: &Stored) -> Vec<ChunkSave> {
    let listed = |key: ChunkKey| stale.objects.values().filter(|o| o.chunk() == key).cloned().collect();
    CHUNKS.iter().map(|&key| ChunkSave { key, chunk: None, objects: listed(key) }).collect()
}

/// The race rule: when the first pickup took the whole pile (and deleted it), the second is
/// refused; true when the race had exactly one winner.
fn check_race(outcomes: &[Outcome]) -> Result<bool, TestCaseError> {
    let [first, second] = outcomes else { return Ok(false) };
    let emptied = first.as_ref().is_ok_and(|o| {
        o.as_ref().is_some_and(|a| a.tx.ops.iter().any(|op| matches!(op, ItemOp::DeleteObject { .. })))
    });
    if emptied {
        prop_assert!(second.is_err(), "both racers got the pile: {outcomes:?}");
    }
    Ok(emptied)
}

fn run_case(db: &Db, case: &Case, stats: &mut Stats) -> Result<(), TestCaseError> {
    db.reset();
    let (crash_tx, crashed) = crossbeam_channel::bounded::<()>(0);
    let plan = Arc::new(Mutex::new(FaultPlan {
        rng: case.fault_seed | 1,
        calls: 0,
        faults: 0,
        crash_at: case.crash_at,
        crashed: Some(crash_tx),
    }));
    let faults = Faults::default();
    let mut config = db.config();
    config.faults = faults.clone();
    config.writer = WriterConfig {
        max_batch: case.max_batch,
        position_interval: Duration::from_secs(3600),
        backoff: Backoff { min: Duration::from_millis(1), max: Duration::from_millis(4) },
        ..WriterConfig::default()
    };
    let store = Store::open(config).expect("open the store");
    let (mut play, setup) = Play::setup();
    store_setup(&store, &setup);
    let pg = match db {
        Db::Pg(db) => Some(db.clone()),
        Db::Lite(_) => None,
    };
    let hook_plan = plan.clone();
    faults.set(move |_: FaultPoint| {
        let kill = pg.as_ref().map(|db| {
            move || {
                db.kill_connections();
            }
        });
        hook_plan.lock().unwrap().at_point(kill.as_ref().map(|k| k as &dyn Fn()))
    });

    let mut snapshots = vec![play.stored()];
    let mut expected = vec![play.expected.clone()];
    let mut tickets = Vec::new();
    let mut results: Vec<Option<Result<(), StoreError>>> = Vec::new();
    'play: for (step, pause) in &case.steps {
        if let Step::SaveChunks { back } = *step {
            let stale = snapshots[snapshots.len() - 1 - back % snapshots.len()].clone();
            for save in chunk_saves(&stale) {
                tickets.push(store.writer().save_chunk(save).expect("the queue has room"));
                results.push(None);
                snapshots.push(play.stored());
                expected.push(play.expected.clone());
            }
        }
        let outcomes = play.run(*step).map_err(TestCaseError::fail)?;
        if check_race(&outcomes)? {
            stats.races += 1;
        }
        stats.count(*step, &outcomes);
        for accepted in outcomes.into_iter().flatten().flatten() {
            tickets.push(store.writer().item_tx(accepted.tx).expect("the queue has room"));
            results.push(None);
            snapshots.push(accepted.after);
            expected.push(accepted.expected);
        }
        if *pause && !tickets.is_empty() && !settle(&tickets, &mut results, tickets.len() - 1, &crashed) {
            break 'play;
        }
    }
    for i in 0..tickets.len() {
        if !settle(&tickets, &mut results, i, &crashed) {
            break;
        }
    }
    drop(store); // stops without a flush: whatever the crash held back is lost
    faults.clear();
    let results: Vec<Result<(), StoreError>> = results
        .into_iter()
        .zip(&tickets)
        .map(|(r, t)| r.or_else(|| t.try_take()).unwrap_or(Err(StoreError::Closed)))
        .collect();
    let plan = plan.lock().unwrap();
    stats.faults += plan.faults;
    stats.crashed += u32::from(plan.crashed.is_none());
    drop(plan);
    check(db, (&snapshots, &expected), &results, stats)
}

/// What a run did, summed over its cases (printed, so a run shows it exercised something).
#[derive(Debug, Default)]
struct Stats {
    cases: u32,
    writes: usize,
    acked: usize,
    reloaded_ops: usize,
    crashed: u32,
    faults: u32,
    races: u32,
    /// Accepted operations of a character's life, by step name.
    life: BTreeMap<&'static str, u32>,
}

impl Stats {
    /// Counts the accepted operations of a life step.
    fn count(&mut self, step: Step, outcomes: &[Outcome]) {
        let name = match step {
            Step::Craft { .. } => "craft",
            Step::Eat { .. } => "eat",
            Step::Equip { .. } => "equip",
            Step::Unequip { .. } => "unequip",
            Step::Die { .. } => "die",
            Step::Loot { .. } => "loot",
            Step::Vanish { .. } => "vanish",
            _ => return,
        };
        for accepted in outcomes.iter().flatten().flatten() {
            *self.life.entry(name).or_insert(0) += 1;
            if name == "craft" && matches!(accepted.tx.ops.first(), Some(ItemOp::PutObject(_))) {
                *self.life.entry("craft into a pile").or_insert(0) += 1;
            }
        }
    }
}

/// The stored world is the model's after a prefix `k` of the accepted operations, `k` at least
/// the number of acknowledged ones (which themselves form a prefix); totals are what the
/// bookkeeping expected after that prefix; nothing is orphaned or inside itself; a fresh
/// `ItemWorld` loads it all.
fn check(
    db: &Db,
    (snapshots, expected): (&[Stored], &[Totals]),
    results: &[Result<(), StoreError>],
    stats: &mut Stats,
) -> Result<(), TestCaseError> {
    let acked = results.iter().take_while(|r| r.is_ok()).count();
    let unexpected: Vec<_> =
        results[acked..].iter().filter(|r| !matches!(r, Err(StoreError::Closed))).collect();
    prop_assert!(
        unexpected.is_empty(),
        "after {acked} acknowledged writes only Closed may follow: {unexpected:?}"
    );
    let store = Store::open(db.config()).expect("open the store again");
    let stored = reload(&store)?;
    let (item_ids, object_ids) = db.ids();
    prop_assert_eq!(
        &item_ids,
        &stored.items.keys().copied().collect(),
        "no orphans: every item row is reached"
    );
    prop_assert_eq!(
        &object_ids,
        &stored.objects.keys().copied().collect(),
        "every container object is loaded"
    );
    for item in stored.items.values() {
        if let Container::Item(bag) = item.container {
            prop_assert!(!stored.is_within(bag, item.id), "item inside itself: {item:?}");
        }
    }
    let Some(k) = (acked..snapshots.len()).rev().find(|&k| snapshots[k] == stored) else {
        let near = (acked..snapshots.len()).min_by_key(|&k| differences(&snapshots[k], &stored).len());
        let diff = near.map(|k| differences(&snapshots[k], &stored));
        return Err(TestCaseError::fail(format!(
            "stored state is no prefix of at least {acked} writes (of {}); closest prefix {near:?} \
             differs in (model / stored): {diff:#?}",
            snapshots.len() - 1
        )));
    };
    prop_assert_eq!(stored.totals(), expected[k].clone(), "totals per (kind, quality) after {} writes", k);
    check_fresh_world(&stored)?;
    stats.writes += results.len();
    stats.acked += acked;
    stats.reloaded_ops += k;
    Ok(())
}

/// What differs between two states: (model / stored) per item or object id.
fn differences(model: &Stored, stored: &Stored) -> Vec<String> {
    fn diff<T: PartialEq + std::fmt::Debug>(
        a: &BTreeMap<i64, T>,
        b: &BTreeMap<i64, T>,
        out: &mut Vec<String>,
    ) {
        let ids: BTreeSet<i64> = a.keys().chain(b.keys()).copied().collect();
        for id in ids {
            if a.get(&id) != b.get(&id) {
                out.push(format!("{id}: {:?} / {:?}", a.get(&id), b.get(&id)));
            }
        }
    }
    let mut out = Vec::new();
    diff(&model.items, &stored.items, &mut out);
    diff(&model.objects, &stored.objects, &mut out);
    out
}

/// What the store's own loads reach: every player's items and every container object of the
/// test's chunks with the items below it.
fn reload(store: &Store) -> Result<Stored, TestCaseError> {
    let loader = store.loader();
    let mut stored = Stored::default();
    for p in PLAYERS {
        let load = loader.load_player(p).unwrap().wait(WAIT).unwrap().expect("the player exists");
        prop_assert!(load.bad.is_empty(), "bad rows: {:?}", load.bad);
        stored.items.extend(load.items.into_iter().map(|i| (i.id, i)));
    }
    for key in CHUNKS {
        let load = loader.load_chunk(key).unwrap().wait(WAIT).unwrap();
        prop_assert!(load.bad.is_empty(), "bad rows: {:?}", load.bad);
        stored.objects.extend(load.objects.into_iter().filter(|o| o.holds_items).map(|o| (o.id, o)));
        stored.items.extend(load.items.into_iter().map(|i| (i.id, i)));
    }
    Ok(stored)
}

/// A fresh `ItemWorld` loads every reloaded root (each object's items by `load_items`-style
/// grouping) without a bad item, and then holds exactly the stored items.
fn check_fresh_world(stored: &Stored) -> Result<(), TestCaseError> {
    let mut world = ItemWorld::new(items_common::content());
    let mut roots: BTreeMap<(i16, i64), Vec<ItemRecord>> = BTreeMap::new();
    for item in stored.items.values() {
        roots.entry(root_of(stored, item.container).to_parts()).or_default().push(*item);
    }
    let all_roots =
        PLAYERS.iter().map(|&p| Root::Player(p)).chain(stored.objects.keys().map(|&o| Root::Object(o)));
    for root in all_roots {
        let items = roots.remove(&root.container().to_parts()).unwrap_or_default();
        let report = world.insert_container(root, root_capacity(root, &stored.objects), &items).unwrap();
        prop_assert!(report.bad.is_empty(), "bad items loading {root:?}: {:?}", report.bad);
        prop_assert_eq!(report.loaded, items.len());
    }
    prop_assert!(roots.is_empty(), "items under no root: {roots:?}");
    let records: BTreeMap<i64, ItemRecord> = world.records().map(|r| (r.id, *r)).collect();
    prop_assert_eq!(&records, &stored.items);
    Ok(())
}

/// The root container an item's container is in.
fn root_of(stored: &Stored, mut c: Container) -> Container {
    for _ in 0..=stored.items.len() {
        match c {
            Container::Item(id) => match stored.items.get(&id) {
                Some(bag) => c = bag.container,
                None => return c,
            },
            root => return root,
        }
    }
    c
}

fn run_property(db: Db) {
    let started = std::time::Instant::now();
    store::Connector::new(db.config().backend).migrate().expect("migrate");
    let config = Config { cases: cases(), failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new(config);
    let stats = Mutex::new(Stats::default());
    let result = runner.run(&case(), |c| {
        let mut s = stats.lock().unwrap();
        s.cases += 1;
        run_case(&db, &c, &mut s)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    eprintln!("{:?} in {:.1?}", stats.lock().unwrap(), started.elapsed());
}

#[test]
fn sqlite_game_items_are_a_prefix_after_a_crash() {
    run_property(Db::Lite(db::sqlite_db()));
}

#[test]
fn postgres_game_items_are_a_prefix_after_a_crash() {
    let Some(pg) = db::pg_db() else { return };
    run_property(Db::Pg(Arc::new(pg)));
}
