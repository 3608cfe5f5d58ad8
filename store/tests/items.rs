//! The item layer against both backends: container objects (`holds_items`) are never clobbered
//! by chunk saves, item transactions commit in groups (a faulty one fails alone), a batch whose
//! commit answer was lost is not applied twice, and migration V4 marks existing containers.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use store::{
    Backend, BatchOutcome, ChunkKey, ChunkSave, CommitMark, Connector, Container, FaultPoint, ItemOp,
    ItemRecord, ItemTx, ObjectRecord, PlayerRecord, Position, Store, StoreConfig, StoreError,
};

const WAIT: Duration = Duration::from_secs(20);
const KEY: ChunkKey = ChunkKey { map: 2, cx: 5, cy: -3 };

fn open(connector: &Connector) -> Box<dyn Backend> {
    connector.migrate().expect("migrate");
    connector.connect().expect("connect")
}

fn player(id: i64) -> PlayerRecord {
    PlayerRecord { id, name: format!("p{id}"), token_hash: vec![7; 32], ..Default::default() }
}

fn item(id: i64, container: Container, count: u32) -> ItemRecord {
    ItemRecord { id, kind: 4, quality: 2, count, container, slot: id as u32 }
}

/// A plain object of the chunk (a tree) at stage `stage`.
fn tree(id: i64, stage: u16) -> ObjectRecord {
    ObjectRecord {
        id,
        map: KEY.map,
        grid_x: KEY.cx,
        grid_y: KEY.cy,
        kind: 1,
        pos: Position { x: id as i32, y: 9 },
        stage,
        ..Default::default()
    }
}

/// A container object of the item layer (a box) with some state.
fn chest(id: i64, state: u8) -> ObjectRecord {
    ObjectRecord { kind: 20, state: vec![state], holds_items: true, ..tree(id, 0) }
}

fn chunk_save(objects: Vec<ObjectRecord>) -> ChunkSave {
    ChunkSave { key: KEY, chunk: None, objects }
}

fn by_id<T: Clone>(rows: &[T], id: impl Fn(&T) -> i64) -> Vec<T> {
    let mut rows = rows.to_vec();
    rows.sort_by_key(|r| id(r));
    rows
}

/// Trees 1 and 2 from a chunk save; box 10 (state 1) holding a bag 21 with a coin 22, and a
/// coin 20, from an item transaction.
fn seed(b: &mut dyn Backend) {
    b.save_players(&[player(1)]).unwrap();
    b.save_chunks(&[chunk_save(vec![tree(1, 0), tree(2, 0)])]).unwrap();
    let ops = vec![
        ItemOp::PutObject(chest(10, 1)),
        ItemOp::Put(item(20, Container::Object(10), 5)),
        ItemOp::Put(item(21, Container::Object(10), 1)),
        ItemOp::Put(item(22, Container::Item(21), 3)),
    ];
    b.apply_item_tx(&ItemTx::new("place box", ops)).unwrap();
}

fn stale_chunk_saves_leave_boxes_alone(c: &Connector) {
    let mut b = open(c);
    seed(b.as_mut());
    // The box changes (state 2) after the chunk's snapshot was taken.
    b.apply_item_tx(&ItemTx::new("open box", vec![ItemOp::PutObject(chest(10, 2))])).unwrap();
    // Stale snapshots: without the box, with an old copy, with an old copy that lost the flag.
    let stale = [
        vec![tree(1, 1), tree(2, 0)],
        vec![tree(1, 1), tree(2, 0), chest(10, 1)],
        vec![tree(1, 1), tree(2, 0), ObjectRecord { holds_items: false, ..chest(10, 0) }],
    ];
    for objects in stale {
        b.save_chunks(&[chunk_save(objects.clone())]).unwrap();
        let load = b.load_chunk(KEY).unwrap();
        let want = vec![tree(1, 1), tree(2, 0), chest(10, 2)];
        assert_eq!(by_id(&load.objects, |o| o.id), want, "after saving {objects:?}");
        assert_eq!(by_id(&load.items, |i| i.id).iter().map(|i| i.id).collect::<Vec<_>>(), vec![20, 21, 22]);
    }
}

fn chunk_saves_still_prune_plain_objects(c: &Connector) {
    let mut b = open(c);
    seed(b.as_mut());
    // Emptied, the box still belongs to the item layer: the chunk save does not delete it.
    let ops = vec![
        ItemOp::Move { id: 20, to: Container::Player(1), slot: 0 },
        ItemOp::Move { id: 21, to: Container::Player(1), slot: 1 },
    ];
    b.apply_item_tx(&ItemTx::new("empty box", ops)).unwrap();
    b.save_chunks(&[chunk_save(vec![tree(2, 4)])]).unwrap();
    let load = b.load_chunk(KEY).unwrap();
    assert_eq!(
        by_id(&load.objects, |o| o.id),
        vec![tree(2, 4), chest(10, 1)],
        "tree 1 pruned, tree 2 changed"
    );
    assert!(load.items.is_empty());
    // Only an item transaction removes it.
    b.apply_item_tx(&ItemTx::new("break box", vec![ItemOp::DeleteObject { id: 10 }])).unwrap();
    assert_eq!(b.load_chunk(KEY).unwrap().objects, vec![tree(2, 4)]);
    assert_eq!(b.load_player(1).unwrap().unwrap().items.len(), 3, "the bag kept its coin");
}

/// Through the writer: an item transaction that creates a pile, then a stale chunk save submitted
/// after it (its snapshot does not know the pile), both queued before either is durable.
fn stale_save_after_item_tx_through_the_writer(cfg: StoreConfig) {
    let store = Store::open(cfg).unwrap();
    let w = store.writer();
    w.save_player(player(1)).unwrap();
    w.save_chunk(chunk_save(vec![tree(1, 0), tree(2, 0)])).unwrap();
    let drop = vec![ItemOp::PutObject(chest(11, 7)), ItemOp::Put(item(30, Container::Object(11), 9))];
    let dropped = w.item_tx(ItemTx::new("drop", drop)).unwrap();
    let saved = w.save_chunk(chunk_save(vec![tree(1, 3)])).unwrap();
    dropped.wait(WAIT).unwrap();
    saved.wait(WAIT).unwrap();
    let load = store.loader().load_chunk(KEY).unwrap().wait(WAIT).unwrap();
    assert_eq!(by_id(&load.objects, |o| o.id), vec![tree(1, 3), chest(11, 7)]);
    assert_eq!(load.items, vec![item(30, Container::Object(11), 9)]);
    store.shutdown(WAIT);
}

/// Holds the ordered worker inside a chunk save (at its first fault point) until released, so
/// that the writes submitted meanwhile are queued together and form its next batch.
struct Hold {
    entered: crossbeam_channel::Sender<()>,
    gate: crossbeam_channel::Receiver<()>,
}

/// The test's side of a [`Hold`].
struct Held {
    entered: crossbeam_channel::Receiver<()>,
    release: crossbeam_channel::Sender<()>,
}

fn hold() -> (Hold, Held) {
    let (entered_tx, entered) = crossbeam_channel::bounded(1);
    let (release, gate) = crossbeam_channel::bounded(1);
    (Hold { entered: entered_tx, gate }, Held { entered, release })
}

impl Hold {
    fn stop_here(&self) {
        let _ = self.entered.send(());
        let _ = self.gate.recv_timeout(WAIT);
    }
}

impl Held {
    /// Waits until the worker is held (it took its batch before the caller submits more).
    fn wait_held(&self) {
        self.entered.recv_timeout(WAIT).expect("the worker reaches the chunk save");
    }

    fn release(&self) {
        self.release.send(()).unwrap();
    }
}

/// Ten transactions queued behind a blocked chunk save are tried in one database transaction;
/// the faulty seventh fails alone, with its own error, and the nine others commit in two.
fn a_faulty_transaction_fails_alone_in_a_group(cfg: StoreConfig) {
    let (hold, held) = hold();
    let deepest = Arc::new(AtomicUsize::new(0));
    let seen = deepest.clone();
    cfg.faults.set(move |p| {
        match p {
            FaultPoint::ChunkStmt { stmt: 0 } => hold.stop_here(),
            FaultPoint::ItemTx { tx } => {
                seen.fetch_max(tx, Ordering::SeqCst);
            }
            _ => {}
        }
        Ok(())
    });
    let store = Store::open(cfg).unwrap();
    let w = store.writer();
    w.save_player(player(1)).unwrap().wait(WAIT).unwrap();
    let before = w.stats();
    let blocker = w.save_chunk(chunk_save(vec![tree(1, 0)])).unwrap();
    held.wait_held();
    let mut tickets = Vec::new();
    for i in 0..10 {
        let op = match i {
            6 => ItemOp::Move { id: 100, to: Container::Item(100), slot: 0 }, // inside itself
            _ => ItemOp::Put(item(100 + i, Container::Player(1), 1)),
        };
        tickets.push(w.item_tx(ItemTx::new(format!("tx{i}"), vec![op])).unwrap());
    }
    held.release();
    blocker.wait(WAIT).unwrap();
    for (i, t) in tickets.iter().enumerate() {
        match (i, t.wait(WAIT)) {
            (6, Err(StoreError::ItemTx { label, op: 0, .. })) => assert_eq!(label, "tx6"),
            (6, other) => panic!("tx6 must fail alone: {other:?}"),
            (_, r) => r.unwrap(),
        }
    }
    assert_eq!(deepest.load(Ordering::SeqCst), 6, "the first seven were tried in one transaction");
    let after = w.stats();
    let commits = (after.flushes - after.position_batches) - (before.flushes - before.position_batches);
    assert_eq!(commits, 3, "the chunk save, then transactions 0-5 and 7-9 in one commit each");
    let report = store.writer().flush(WAIT);
    assert_eq!((report.item_txs_ok, report.item_txs_failed), (9, 1), "{report}");
    let items = store.connect().unwrap().load_player(1).unwrap().unwrap().items;
    assert_eq!(items.len(), 9);
    store.shutdown(WAIT);
}

/// A batch whose commit is refused (a permanent error of no single transaction) is applied again
/// one transaction at a time: all four commit, each alone.
fn a_refused_commit_falls_back_to_one_by_one(cfg: StoreConfig) {
    let (hold, held) = hold();
    let refusals = Arc::new(AtomicUsize::new(0));
    let refused = refusals.clone();
    cfg.faults.set(move |p| match p {
        FaultPoint::ChunkStmt { stmt: 0 } => {
            hold.stop_here();
            Ok(())
        }
        FaultPoint::ItemCommit if refused.fetch_add(1, Ordering::SeqCst) == 0 => {
            Err(StoreError::Injected("commit refused".into()))
        }
        _ => Ok(()),
    });
    let store = Store::open(cfg).unwrap();
    let w = store.writer();
    w.save_player(player(1)).unwrap().wait(WAIT).unwrap();
    let before = w.stats();
    let blocker = w.save_chunk(chunk_save(vec![])).unwrap();
    held.wait_held();
    let puts = (0..4).map(|i| ItemTx::new("put", vec![ItemOp::Put(item(200 + i, Container::Player(1), 1))]));
    let tickets: Vec<_> = puts.map(|tx| w.item_tx(tx).unwrap()).collect();
    held.release();
    blocker.wait(WAIT).unwrap();
    tickets.iter().for_each(|t| t.wait(WAIT).unwrap());
    assert_eq!(refusals.load(Ordering::SeqCst), 5, "the batch, then each of the four alone");
    let after = w.stats();
    let commits = (after.flushes - after.position_batches) - (before.flushes - before.position_batches);
    assert_eq!(commits, 5, "the chunk save and four single transactions");
    assert_eq!(store.connect().unwrap().load_player(1).unwrap().unwrap().items.len(), 4);
    store.shutdown(WAIT);
}

/// A retry of a batch whose commit answer was lost finds its mark and applies nothing; a new
/// mark applies again. Marks of different writers are independent.
fn a_committed_batch_is_not_applied_twice(c: &Connector) {
    let mut b = open(c);
    b.save_players(&[player(1)]).unwrap();
    let mark = CommitMark { writer: -77, seq: 1 };
    let put = |count| vec![ItemTx::new("put", vec![ItemOp::Put(item(5, Container::Player(1), count))])];
    assert_eq!(b.apply_item_txs(&put(1), mark).unwrap(), BatchOutcome::Committed);
    let count = |b: &mut Box<dyn Backend>| b.load_item(5).unwrap().unwrap().count;
    assert_eq!(b.apply_item_txs(&put(2), mark).unwrap(), BatchOutcome::Committed);
    assert_eq!(count(&mut b), 1, "the replay was recognised and skipped");
    assert_eq!(
        b.apply_item_txs(&put(3), CommitMark { writer: 12, seq: 1 }).unwrap(),
        BatchOutcome::Committed
    );
    assert_eq!(count(&mut b), 3, "another writer's first batch");
    assert_eq!(b.apply_item_txs(&put(4), CommitMark { seq: 2, ..mark }).unwrap(), BatchOutcome::Committed);
    assert_eq!(count(&mut b), 4);
    // A failed batch leaves no mark: the same mark applies once the batch is fixed.
    let bad = vec![put(5).remove(0), ItemTx::new("ghost", vec![ItemOp::SetCount { id: 999, count: 1 }])];
    let failed = b.apply_item_txs(&bad, CommitMark { seq: 3, ..mark }).unwrap();
    assert!(
        matches!(failed, BatchOutcome::Failed { index: 1, error: StoreError::ItemTx { op: 0, .. } }),
        "{failed:?}"
    );
    assert_eq!(count(&mut b), 4, "nothing of the failed batch committed");
    assert_eq!(b.apply_item_txs(&put(6), CommitMark { seq: 3, ..mark }).unwrap(), BatchOutcome::Committed);
    assert_eq!(count(&mut b), 6);
}

macro_rules! both {
    (connector: $($name:ident),*; config: $($cname:ident),*) => {
        mod postgres_backend {
            $(#[test] fn $name() {
                let Some(db) = crate::common::pg_db() else { return };
                super::$name(&db.connector());
            })*
            $(#[test] fn $cname() {
                let Some(db) = crate::common::pg_db() else { return };
                super::$cname(db.config());
            })*
        }
        mod sqlite_backend {
            $(#[test] fn $name() {
                let db = crate::common::sqlite_db();
                super::$name(&db.connector());
            })*
            $(#[test] fn $cname() {
                let db = crate::common::sqlite_db();
                super::$cname(db.config());
            })*
        }
    };
}

both!(
    connector: stale_chunk_saves_leave_boxes_alone, chunk_saves_still_prune_plain_objects,
        a_committed_batch_is_not_applied_twice;
    config: stale_save_after_item_tx_through_the_writer, a_faulty_transaction_fails_alone_in_a_group,
        a_refused_commit_falls_back_to_one_by_one
);

/// The migrations as of before V4, to build a database the way an older shard left it.
mod old_schema {
    pub mod lite {
        refinery::embed_migrations!("../schemas/migrations/sqlite");
    }
    pub mod pg {
        refinery::embed_migrations!("../schemas/migrations/postgres");
    }
}

/// Rows written before V4 (`blob`: the database's empty byte string): object 1 holds an item,
/// object 2 does not.
fn old_rows(blob: &str) -> String {
    format!(
        "INSERT INTO objects VALUES (1, 2, 5, -3, 20, 0, 0, 0, 0, 0, 0, {blob}); \
         INSERT INTO objects VALUES (2, 2, 5, -3, 1, 0, 0, 0, 0, 0, 0, {blob}); \
         INSERT INTO items VALUES (7, 4, 2, 1, 2, 1, 0);"
    )
}

/// After V4 the old box is a container object (a chunk save that omits it keeps it), the
/// plain object is not (the same save prunes it).
fn v4_marks_old_containers(c: &Connector) {
    let mut b = open(c);
    let load = b.load_chunk(KEY).unwrap();
    let flags: Vec<(i64, bool)> =
        by_id(&load.objects, |o| o.id).iter().map(|o| (o.id, o.holds_items)).collect();
    assert_eq!(flags, vec![(1, true), (2, false)]);
    b.save_chunks(&[chunk_save(vec![])]).unwrap();
    let ids: Vec<i64> = b.load_chunk(KEY).unwrap().objects.iter().map(|o| o.id).collect();
    assert_eq!(ids, vec![1]);
}

#[test]
fn sqlite_v4_marks_old_containers() {
    let db = common::sqlite_db();
    let mut conn = rusqlite::Connection::open(&db.path).unwrap();
    let mut runner = old_schema::lite::migrations::runner();
    runner = runner.set_target(refinery::Target::Version(3));
    runner.set_migration_table_name("schema_migrations").run(&mut conn).unwrap();
    conn.execute_batch(&old_rows("X''")).unwrap();
    drop(conn);
    v4_marks_old_containers(&db.connector());
}

#[test]
fn postgres_v4_marks_old_containers() {
    let Some(db) = common::pg_db() else { return };
    let mut client = db.client();
    let mut runner = old_schema::pg::migrations::runner();
    runner = runner.set_target(refinery::Target::Version(3));
    runner.set_migration_table_name("schema_migrations").run(&mut client).unwrap();
    client.batch_execute(&old_rows("''::bytea")).unwrap();
    drop(client);
    v4_marks_old_containers(&db.connector());
}
