//! Write-behind pool and loader against both backends, plus PostgreSQL failure drills: a
//! connection killed mid-batch, the database down until the queue bound is reached.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use store::{
    Backoff, ChunkKey, ChunkRecord, ChunkSave, Container, FaultPoint, ItemOp, ItemRecord, ItemTx,
    ObjectRecord, PlayerRecord, Position, Store, StoreConfig, StoreError,
};

const WAIT: Duration = Duration::from_secs(10);

fn fast(mut cfg: StoreConfig) -> StoreConfig {
    cfg.writer.position_interval = Duration::from_millis(100);
    cfg.writer.backoff = Backoff { min: Duration::from_millis(10), max: Duration::from_millis(200) };
    cfg.loader.backoff = cfg.writer.backoff;
    cfg
}

fn player(id: i64) -> PlayerRecord {
    PlayerRecord { id, name: format!("p{id}"), token_hash: vec![1; 32], health: 10, ..Default::default() }
}

fn item(id: i64, container: Container) -> ItemRecord {
    ItemRecord { id, kind: 1, quality: 10, count: 1, container, slot: 0 }
}

fn object(id: i64, key: ChunkKey) -> ObjectRecord {
    ObjectRecord { id, map: key.map, grid_x: key.cx, grid_y: key.cy, kind: 3, ..Default::default() }
}

fn chunk_save(i: i32) -> ChunkSave {
    let key = ChunkKey { map: 1, cx: i, cy: 0 };
    let chunk = ChunkRecord { key, version: 1, data: vec![i as u8; 100] };
    ChunkSave { key, chunk: Some(chunk), objects: vec![object(1000 + i64::from(i), key)] }
}

fn positions_are_coalesced_and_batched(cfg: StoreConfig) {
    let store = Store::open(fast(cfg)).unwrap();
    let w = store.writer();
    let players: Vec<_> = (1..=50).map(player).collect();
    w.save_players(players).unwrap().wait(WAIT).unwrap();
    for step in 0..20 {
        for id in 1..=50 {
            w.set_position(id, 2, Position { x: step, y: -(id as i32) });
        }
    }
    let report = w.flush(WAIT);
    assert!(report.complete(), "{report}");
    let s = w.stats();
    assert!(s.positions_written <= 100, "1,000 updates coalesced: {s:?}");
    let mut b = store.connect().unwrap();
    let got = b.load_player(7).unwrap().unwrap().player;
    assert_eq!((got.map, got.pos), (2, Position { x: 19, y: -7 }));
    // The periodic batch runs on its own.
    w.set_position(7, 3, Position { x: 1, y: 1 });
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(b.load_player(7).unwrap().unwrap().player.map, 3);
    store.shutdown(WAIT);
}

fn item_failures_are_reported_per_transaction(cfg: StoreConfig) {
    let store = Store::open(fast(cfg)).unwrap();
    let w = store.writer();
    w.save_player(player(1)).unwrap();
    let ok = w.item_tx(ItemTx::new("give", vec![ItemOp::Put(item(1, Container::Player(1)))])).unwrap();
    let bad = ItemTx::new("loop", vec![ItemOp::Move { id: 1, to: Container::Item(1), slot: 0 }]);
    let bad = w.item_tx(bad).unwrap();
    let after = w.item_tx(ItemTx::new("give2", vec![ItemOp::Put(item(2, Container::Item(1)))])).unwrap();
    ok.wait(WAIT).unwrap();
    assert!(matches!(bad.wait(WAIT), Err(StoreError::ItemTx { op: 0, .. })));
    after.wait(WAIT).unwrap();
    let failure = w.failures().recv_timeout(WAIT).unwrap();
    assert!(failure.what.contains("loop"), "{failure:?}");
    let report = store.shutdown(WAIT);
    assert_eq!((report.item_txs_ok, report.item_txs_failed), (2, 1), "{report}");
}

fn chunk_save_is_awaited_then_loaded(cfg: StoreConfig) {
    let store = Store::open(fast(cfg)).unwrap();
    let tickets: Vec<_> = (0..20).map(|i| store.writer().save_chunk(chunk_save(i)).unwrap()).collect();
    for t in &tickets {
        t.wait(WAIT).unwrap();
    }
    let load = store.loader().load_chunk(chunk_save(3).key).unwrap().wait(WAIT).unwrap();
    assert_eq!(load.chunk, chunk_save(3).chunk);
    assert_eq!(load.objects, chunk_save(3).objects);
    let (tx, rx) = crossbeam_channel::unbounded();
    for i in 0..20 {
        store.loader().load_chunk_to(chunk_save(i).key, &tx).unwrap();
    }
    for _ in 0..20 {
        let (key, load) = rx.recv_timeout(WAIT).unwrap();
        assert_eq!(load.unwrap().chunk.unwrap().key, key);
    }
    let ids = store.loader().reserve_ids(store::IdKind::Object, 10).unwrap().wait(WAIT).unwrap();
    assert_eq!(ids.end - ids.start, 10);
    let p = store.loader().load_player(12345).unwrap().wait(WAIT).unwrap();
    assert!(p.is_none());
    let report = store.shutdown(WAIT);
    assert_eq!(report.chunks_saved, 20, "{report}");
}

macro_rules! both {
    ($($name:ident),*) => {
        mod postgres_backend { $(#[test] fn $name() {
            let Some(db) = crate::common::pg_db() else { return };
            super::$name(db.config());
        })* }
        mod sqlite_backend { $(#[test] fn $name() {
            let db = crate::common::sqlite_db();
            super::$name(db.config());
        })* }
    };
}

both!(
    positions_are_coalesced_and_batched,
    item_failures_are_reported_per_transaction,
    chunk_save_is_awaited_then_loaded
);

/// `pg_terminate_backend` in the middle of chunk batches, item transactions and position
/// batches: the pool reconnects and retries, nothing is lost or duplicated.
#[test]
fn killed_connection_mid_batch_loses_nothing() {
    let Some(db) = common::pg_db() else { return };
    let db = Arc::new(db);
    let cfg = fast(db.config());
    let kills = Arc::new(AtomicUsize::new(0));
    let (k, d) = (kills.clone(), db.clone());
    cfg.faults.set(move |p| {
        let mid = matches!(
            p,
            FaultPoint::ChunkStmt { stmt: 2 } | FaultPoint::ItemOp { op: 1 } | FaultPoint::PositionCommit
        );
        if mid && k.fetch_add(1, Ordering::SeqCst) < 3 {
            assert!(d.kill_connections() >= 1, "a writer connection was open");
        }
        Ok(())
    });
    let store = Store::open(cfg).unwrap();
    let w = store.writer();
    w.save_players((1..=10).map(player).collect()).unwrap();
    let mut tickets = Vec::new();
    for i in 0..30 {
        tickets.push(w.save_chunk(chunk_save(i)).unwrap());
        let key = chunk_save(i).key;
        let ops = vec![
            ItemOp::Put(item(i64::from(i), Container::Player(1))),
            ItemOp::Put(item(100 + i64::from(i), Container::Item(i64::from(i)))),
            ItemOp::DeleteObject { id: 5000 + i64::from(i) },
        ];
        let _ = key;
        tickets.push(w.item_tx(ItemTx::new("craft", ops)).unwrap());
    }
    for id in 1..=10 {
        w.set_position(id, 9, Position { x: 5, y: 6 });
    }
    for t in tickets {
        t.wait(WAIT).unwrap();
    }
    let report = w.flush(WAIT);
    assert!(report.complete() && report.retries >= 1, "{report}");
    assert!(kills.load(Ordering::SeqCst) >= 3);
    let mut b = store.connect().unwrap();
    for i in 0..30 {
        let load = b.load_chunk(chunk_save(i).key).unwrap();
        assert_eq!(load.chunk, chunk_save(i).chunk);
        assert_eq!(load.objects, chunk_save(i).objects);
    }
    let inv = b.load_player(1).unwrap().unwrap();
    assert_eq!(inv.items.len(), 60, "every item exactly once");
    assert_eq!(b.load_player(10).unwrap().unwrap().player.map, 9);
    store.shutdown(WAIT);
}

/// Database down: writes queue up to the bound, then the caller is refused; flush reports the
/// pending writes; when the database is back everything is written.
#[test]
fn database_down_queues_then_refuses_then_recovers() {
    let Some(db) = common::pg_db() else { return };
    let mut cfg = fast(db.config());
    cfg.writer.queue_bound = 16;
    let store = Store::open(cfg).unwrap();
    let w = store.writer();
    w.save_player(player(1)).unwrap().wait(WAIT).unwrap();
    db.take_down();
    let mut accepted = Vec::new();
    let refused = loop {
        let id = accepted.len() as i64;
        let tx = ItemTx::new("pickup", vec![ItemOp::Put(item(id, Container::Player(1)))]);
        match w.item_tx(tx) {
            Ok(t) => accepted.push(t),
            Err(e) => break e,
        }
        assert!(accepted.len() <= 16);
    };
    assert!(matches!(refused, StoreError::QueueFull { .. }), "{refused}");
    assert_eq!(accepted.len(), 16);
    assert!(w.save_chunk(chunk_save(1)).is_err(), "chunk saves are refused too");
    w.set_position(1, 4, Position { x: 4, y: 4 });
    let started = Instant::now();
    let report = w.flush(Duration::from_millis(500));
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(!report.complete(), "{report}");
    assert_eq!((report.pending_ops, report.pending_positions), (16, 1), "{report}");
    let stats = w.stats();
    assert!(stats.rejected_full >= 2 && stats.retries >= 1, "{stats:?}");
    db.bring_up();
    let report = w.flush(WAIT);
    assert!(report.complete(), "{report}");
    assert_eq!((report.item_txs_ok, report.positions_written), (16, 1), "{report}");
    for t in accepted {
        t.wait(WAIT).unwrap();
    }
    let mut b = store.connect().unwrap();
    let p = b.load_player(1).unwrap().unwrap();
    assert_eq!((p.items.len(), p.player.map), (16, 4));
    store.shutdown(WAIT);
}

/// With the database still down at shutdown, nothing vanishes silently: the report counts it.
#[test]
fn shutdown_with_database_down_reports_unwritten() {
    let Some(db) = common::pg_db() else { return };
    let store = Store::open(fast(db.config())).unwrap();
    db.take_down();
    let t = store.writer().save_chunk(chunk_save(1)).unwrap();
    let report = store.shutdown(Duration::from_millis(300));
    assert_eq!(report.pending_ops, 1, "{report}");
    assert_eq!(t.wait(WAIT), Err(StoreError::Closed));
    db.bring_up();
}
