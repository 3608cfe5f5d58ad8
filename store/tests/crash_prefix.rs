//! Crash-prefix property of the item layer, on both backends: random games (creates, moves,
//! splits, merges, bags in inventories and boxes, drops and pick-ups, stale chunk saves) go
//! through a real `Writer` while a fault hook kills connections and injects errors at random
//! points (mid-batch too) and then "crashes" (nothing commits any more, the writer is dropped
//! without a flush). Reloaded with a fresh connection, the database must hold exactly the model's
//! world after some prefix of the submitted writes, at least as long as the acknowledged ones,
//! with no item inside itself and none whose container is gone.
//!
//! `STORE_PROP_CASES` sets the number of cases per backend (default 20).

mod common;
#[path = "common/faults.rs"]
mod faults;

use faults::{FaultPlan, settle};
#[path = "crash_prefix/model.rs"]
mod model;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use store::{
    Backoff, Connector, Container, FaultPoint, ItemRecord, ObjectRecord, PlayerRecord, Position, StoreError,
    Ticket, Writer, WriterConfig,
};

use model::{CHUNKS, Model, PLAYERS, Step, World, Write};

fn cases() -> u32 {
    std::env::var("STORE_PROP_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(20)
}

/// One generated case: the game, how the writer batches, where faults and the crash fall.
#[derive(Debug, Clone)]
struct Case {
    steps: Vec<(Step, bool)>,
    max_batch: usize,
    fault_seed: u64,
    /// The hook call at which the database "crashes"; `None`: it never does.
    crash_at: Option<u32>,
}

fn case() -> impl Strategy<Value = Case> {
    let step = (any::<u8>(), any::<u16>(), any::<u16>(), any::<u16>(), prop::bool::weighted(0.15))
        .prop_map(|(action, a, b, c, pause)| (Step { action, a, b, c }, pause));
    // Three to four fault points per write: most crashes fall inside the run.
    let crash = prop::option::weighted(0.8, 0u32..100);
    (prop::collection::vec(step, 1..48), 1usize..=16, any::<u64>(), crash)
        .prop_map(|(steps, max_batch, fault_seed, crash_at)| Case { steps, max_batch, fault_seed, crash_at })
}

/// The database under test: one per test, emptied between cases.
enum Db {
    Pg(Arc<common::PgDb>),
    Lite(common::LiteDb),
}

impl Db {
    fn connector(&self) -> Connector {
        match self {
            Db::Pg(db) => db.connector(),
            Db::Lite(db) => db.connector(),
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

    /// Every item and object row, read with a connection of its own.
    fn dump(&self) -> World {
        let items = "SELECT id, kind, quality, count, container_kind, container_id, slot FROM items";
        let objects = "SELECT id, map, grid_x, grid_y, kind, x, y, quality, stage, stage_started_ms, \
                       stage_ends_ms, state, holds_items FROM objects";
        let mut w = World::default();
        match self {
            Db::Pg(db) => {
                let mut c = db.client();
                for r in c.query(items, &[]).unwrap() {
                    let ck: i16 = r.get(4);
                    let nums = [r.get(1), r.get(2), r.get(3), i64::from(ck), r.get(5), r.get(6)];
                    let item = item_from(r.get(0), nums);
                    w.items.insert(item.id, item);
                }
                for r in c.query(objects, &[]).unwrap() {
                    let ints = [r.get::<_, i32>(1), r.get(2), r.get(3), r.get(5), r.get(6), r.get(8)];
                    let longs = [r.get(4), r.get(7), r.get(9), r.get(10)];
                    let o = object_from(r.get(0), ints.map(i64::from), longs, r.get(11), r.get(12));
                    w.objects.insert(o.id, o);
                }
            }
            Db::Lite(db) => {
                let c = rusqlite::Connection::open(&db.path).unwrap();
                let mut stmt = c.prepare(items).unwrap();
                let rows = stmt.query_map([], |r| {
                    let mut nums = [0i64; 6];
                    for (i, n) in nums.iter_mut().enumerate() {
                        *n = r.get(i + 1)?;
                    }
                    Ok(item_from(r.get(0)?, nums))
                });
                for item in rows.unwrap() {
                    let item = item.unwrap();
                    w.items.insert(item.id, item);
                }
                let mut stmt = c.prepare(objects).unwrap();
                let rows = stmt.query_map([], |r| {
                    let ints = [r.get(1)?, r.get(2)?, r.get(3)?, r.get(5)?, r.get(6)?, r.get(8)?];
                    let longs = [r.get(4)?, r.get(7)?, r.get(9)?, r.get(10)?];
                    Ok(object_from(r.get(0)?, ints, longs, r.get(11)?, r.get(12)?))
                });
                for o in rows.unwrap() {
                    let o = o.unwrap();
                    w.objects.insert(o.id, o);
                }
            }
        }
        w
    }
}

/// An item from (kind, quality, count, container kind, container id, slot).
fn item_from(id: i64, n: [i64; 6]) -> ItemRecord {
    let container = Container::from_parts(n[3] as i16, n[4]).expect("container kind");
    ItemRecord {
        id,
        kind: n[0] as u32,
        quality: n[1] as u32,
        count: n[2] as u32,
        container,
        slot: n[5] as u32,
    }
}

/// An object from (map, grid x, grid y, x, y, stage) and (kind, quality, stage times).
fn object_from(id: i64, i: [i64; 6], l: [i64; 4], state: Vec<u8>, holds_items: bool) -> ObjectRecord {
    ObjectRecord {
        id,
        map: i[0] as u32,
        grid_x: i[1] as i32,
        grid_y: i[2] as i32,
        kind: l[0] as u32,
        pos: Position { x: i[3] as i32, y: i[4] as i32 },
        quality: l[1] as u32,
        stage: i[5] as u16,
        stage_started_ms: l[2],
        stage_ends_ms: l[3],
        state,
        holds_items,
    }
}

fn submit(w: &Writer, write: Write) -> Ticket {
    match write {
        Write::Items(tx) => w.item_tx(tx),
        Write::Chunk(save) => w.save_chunk(save),
    }
    .expect("queue has room")
}

fn run_case(db: &Db, case: &Case) -> Result<(), TestCaseError> {
    db.reset();
    let connector = db.connector();
    let players: Vec<PlayerRecord> =
        PLAYERS.iter().map(|&id| PlayerRecord { id, name: format!("p{id}"), ..Default::default() }).collect();
    connector.connect().unwrap().save_players(&players).unwrap();

    let (crash_tx, crashed) = crossbeam_channel::bounded::<()>(0);
    let plan = Arc::new(Mutex::new(FaultPlan {
        rng: case.fault_seed | 1,
        calls: 0,
        faults: 0,
        crash_at: case.crash_at,
        crashed: Some(crash_tx),
    }));
    let faults = store::Faults::default();
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
        hook_plan.lock().at_point(kill.as_ref().map(|k| k as &dyn Fn()))
    });
    let config = WriterConfig {
        max_batch: case.max_batch,
        position_interval: Duration::from_secs(3600),
        backoff: Backoff { min: Duration::from_millis(1), max: Duration::from_millis(4) },
        ..WriterConfig::default()
    };
    let writer = Writer::start(connector.clone().with_faults(faults.clone()), config);

    let mut model = Model::new();
    let mut worlds = vec![model.world.clone()];
    let mut tickets = Vec::new();
    let mut results: Vec<Option<Result<(), StoreError>>> = Vec::new();
    for &(step, pause) in &case.steps {
        tickets.push(submit(&writer, model.plan(step)));
        worlds.push(model.world.clone());
        results.push(None);
        if pause && !settle(&tickets, &mut results, tickets.len() - 1, &crashed) {
            break;
        }
    }
    for i in 0..tickets.len() {
        if !settle(&tickets, &mut results, i, &crashed) {
            break;
        }
    }
    drop(writer); // stops without a flush: whatever the crash held back is lost
    faults.clear();
    let results: Vec<Result<(), StoreError>> = results
        .into_iter()
        .zip(&tickets)
        .map(|(r, t)| r.or_else(|| t.try_take()).unwrap_or(Err(StoreError::Closed)))
        .collect();
    check(db, &connector, &worlds, &results)
}

/// The stored world is the model's after a prefix `k` of the writes, `k` at least the number of
/// acknowledged writes, which themselves form a prefix; nothing is orphaned or inside itself.
fn check(
    db: &Db,
    connector: &Connector,
    worlds: &[World],
    results: &[Result<(), StoreError>],
) -> Result<(), TestCaseError> {
    let acked = results.iter().take_while(|r| r.is_ok()).count();
    let unexpected: Vec<_> =
        results[acked..].iter().filter(|r| !matches!(r, Err(StoreError::Closed))).collect();
    prop_assert!(
        unexpected.is_empty(),
        "after {acked} acknowledged writes only Closed may follow: {unexpected:?}"
    );
    let stored = db.dump();
    check_invariants(&stored)?;
    let k = (acked..worlds.len()).rev().find(|&k| worlds[k] == stored);
    let Some(k) = k else {
        let near = (acked..worlds.len()).min_by_key(|&k| difference(&worlds[k], &stored));
        return Err(TestCaseError::fail(format!(
            "stored state is no prefix of at least {acked} writes; closest prefix {near:?}: \
             model {:?} stored {stored:?}",
            near.map(|k| &worlds[k])
        )));
    };
    prop_assert_eq!(stored.totals(), worlds[k].totals(), "totals per (kind, quality) after {} writes", k);
    check_loads(connector, &stored)
}

fn difference(a: &World, b: &World) -> usize {
    let items = a.items.iter().filter(|(id, i)| b.items.get(id) != Some(i)).count()
        + b.items.keys().filter(|id| !a.items.contains_key(id)).count();
    let objects = a.objects.iter().filter(|(id, o)| b.objects.get(id) != Some(o)).count()
        + b.objects.keys().filter(|id| !a.objects.contains_key(id)).count();
    items + objects
}

/// No item inside itself, none whose container does not exist.
fn check_invariants(w: &World) -> Result<(), TestCaseError> {
    for item in w.items.values() {
        let exists = match item.container {
            Container::Player(p) => PLAYERS.contains(&p),
            Container::Object(o) => w.objects.contains_key(&o),
            Container::Item(i) => w.items.contains_key(&i),
        };
        prop_assert!(exists, "orphan: {item:?}");
        if let Container::Item(bag) = item.container {
            prop_assert!(!w.is_within(bag, item.id), "item inside itself: {item:?}");
        }
    }
    Ok(())
}

/// The store's own loads (fresh connection) reach exactly the stored items: players' inventories
/// plus what the chunks' objects hold.
fn check_loads(connector: &Connector, stored: &World) -> Result<(), TestCaseError> {
    let mut b = connector.connect().unwrap();
    let mut reached: BTreeMap<i64, ItemRecord> = BTreeMap::new();
    let mut objects: BTreeSet<i64> = BTreeSet::new();
    for p in PLAYERS {
        let load = b.load_player(p).unwrap().expect("player exists");
        prop_assert!(load.bad.is_empty());
        reached.extend(load.items.into_iter().map(|i| (i.id, i)));
    }
    for key in CHUNKS {
        let load = b.load_chunk(key).unwrap();
        prop_assert!(load.bad.is_empty());
        objects.extend(load.objects.iter().map(|o| o.id));
        reached.extend(load.items.into_iter().map(|i| (i.id, i)));
    }
    prop_assert_eq!(&reached, &stored.items, "loads reach every stored item and no other");
    prop_assert_eq!(objects, stored.objects.keys().copied().collect::<BTreeSet<_>>());
    Ok(())
}

fn run_property(db: Db) {
    db.connector().migrate().expect("migrate");
    let config = Config { cases: cases(), failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new(config);
    if let Err(e) = runner.run(&case(), |c| run_case(&db, &c)) {
        panic!("{e}");
    }
}

#[test]
fn sqlite_items_are_a_prefix_after_a_crash() {
    run_property(Db::Lite(common::sqlite_db()));
}

#[test]
fn postgres_items_are_a_prefix_after_a_crash() {
    let Some(db) = common::pg_db() else { return };
    run_property(Db::Pg(Arc::new(db)));
}
