//! One conformance suite run against both backends (PostgreSQL and SQLite): round-trips of every
//! record, inventory shape, item invariants, atomic item moves, bad rows, object index loads.

mod common;

use store::{
    Backend, ChunkKey, ChunkRecord, ChunkSave, Connector, Container, FaultPoint, Faults, IdKind, ItemOp,
    ItemRecord, ItemTx, ObjectRecord, PlayerRecord, Position, PositionUpdate, StoreError,
};

fn open(connector: &Connector) -> Box<dyn Backend> {
    let applied = connector.migrate().expect("migrate");
    assert!(!applied.is_empty(), "fresh database gets migrations");
    assert!(connector.migrate().expect("migrate again").is_empty(), "migrations apply once");
    connector.connect().expect("connect")
}

pub fn player(id: i64) -> PlayerRecord {
    PlayerRecord {
        id,
        name: format!("player-{id}"),
        token_hash: vec![id as u8; 32],
        map: 3_000_000_000,
        pos: Position { x: -5 * 256 + 17, y: 1_000_000 },
        health: 100,
        hunger: -3,
        stamina: 42,
        xp_combat: 1 << 40,
        xp_crafting: 7,
        xp_gathering: 0,
    }
}

pub fn item(id: i64, container: Container, slot: u32) -> ItemRecord {
    ItemRecord {
        id,
        kind: 10 + id as u32,
        quality: u32::MAX - id as u32,
        count: 1 + id as u32,
        container,
        slot,
    }
}

pub fn object(id: i64, key: ChunkKey) -> ObjectRecord {
    ObjectRecord {
        id,
        map: key.map,
        grid_x: key.cx,
        grid_y: key.cy,
        kind: 7,
        pos: Position { x: key.cx * 128 * 256 + id as i32, y: key.cy * 128 * 256 },
        quality: 55,
        stage: 2,
        stage_started_ms: 1_700_000_000_000,
        stage_ends_ms: 1_700_000_360_000,
        state: vec![1, 2, 3, id as u8],
        holds_items: false,
    }
}

fn tx(label: &str, ops: Vec<ItemOp>) -> ItemTx {
    ItemTx::new(label, ops)
}

fn players_round_trip(c: &Connector) {
    let mut b = open(c);
    let mut p = player(1);
    b.save_players(&[p.clone(), player(2)]).unwrap();
    assert_eq!(b.load_player(1).unwrap().unwrap().player, p);
    assert_eq!(b.load_player_by_name("player-2").unwrap().unwrap().player, player(2));
    assert!(b.load_player(99).unwrap().is_none());
    p.health = 5;
    p.xp_gathering = 9;
    b.save_players(&[p.clone()]).unwrap();
    assert_eq!(b.load_player(1).unwrap().unwrap().player, p);
    let n = b
        .write_positions(&[
            PositionUpdate { player: 1, map: 4, pos: Position { x: 1, y: -2 }, claim: 0 },
            PositionUpdate { player: 404, map: 4, pos: Position { x: 1, y: 2 }, claim: 0 },
        ])
        .unwrap();
    assert_eq!(n, 1, "only existing players are updated");
    let got = b.load_player(1).unwrap().unwrap().player;
    assert_eq!((got.map, got.pos, got.health), (4, Position { x: 1, y: -2 }, 5));
}

/// Player 1 holds a bag (10) with a pouch (11) holding a gem (12), plus a sword (13).
fn give_nested(b: &mut dyn Backend) {
    b.save_players(&[player(1)]).unwrap();
    let ops = vec![
        ItemOp::Put(item(10, Container::Player(1), 0)),
        ItemOp::Put(item(11, Container::Item(10), 3)),
        ItemOp::Put(item(12, Container::Item(11), 0)),
        ItemOp::Put(item(13, Container::Player(1), 1)),
    ];
    b.apply_item_tx(&tx("give", ops)).unwrap();
}

fn nested_inventory_keeps_shape(c: &Connector) {
    let mut b = open(c);
    give_nested(b.as_mut());
    let load = b.load_player(1).unwrap().unwrap();
    let tree = load.inventory();
    assert_eq!(tree.len(), 2);
    assert_eq!(tree[0].item, item(10, Container::Player(1), 0));
    assert_eq!(tree[0].children[0].item, item(11, Container::Item(10), 3));
    assert_eq!(tree[0].children[0].children[0].item, item(12, Container::Item(11), 0));
    assert!(tree[1].children.is_empty());
    assert_eq!(b.load_items(Container::Item(10)).unwrap().items.len(), 2);
    assert_eq!(b.load_item(12).unwrap(), Some(item(12, Container::Item(11), 0)));
}

fn item_cannot_be_inside_itself(c: &Connector) {
    let mut b = open(c);
    give_nested(b.as_mut());
    let cases = [
        ItemOp::Move { id: 10, to: Container::Item(10), slot: 0 },
        ItemOp::Move { id: 10, to: Container::Item(12), slot: 0 },
        ItemOp::Put(item(10, Container::Item(11), 0)),
    ];
    for op in cases {
        let err = b.apply_item_tx(&tx("bad", vec![op.clone()])).unwrap_err();
        assert!(matches!(err, StoreError::ItemTx { op: 0, .. }), "{op:?}: {err}");
    }
    let err = b
        .apply_item_tx(&tx("ghost", vec![ItemOp::Move { id: 13, to: Container::Item(777), slot: 0 }]))
        .unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
    let tree = b.load_player(1).unwrap().unwrap().inventory();
    assert_eq!(tree[0].children[0].children[0].item.id, 12, "shape unchanged");
    // A legal move deeper still works.
    b.apply_item_tx(&tx("ok", vec![ItemOp::Move { id: 13, to: Container::Item(12), slot: 0 }])).unwrap();
    assert_eq!(b.load_item(13).unwrap().unwrap().container, Container::Item(12));
}

fn item_invariants_per_operation(c: &Connector) {
    let mut b = open(c);
    give_nested(b.as_mut());
    let err = b.apply_item_tx(&tx("del", vec![ItemOp::Delete { id: 11 }])).unwrap_err();
    assert!(matches!(err, StoreError::ItemTx { op: 0, .. }), "bag with contents: {err}");
    let ops = vec![ItemOp::SetCount { id: 13, count: 9 }, ItemOp::SetCount { id: 999, count: 1 }];
    let err = b.apply_item_tx(&tx("count", ops)).unwrap_err();
    assert!(matches!(err, StoreError::ItemTx { op: 1, .. }), "{err}");
    assert_eq!(b.load_item(13).unwrap().unwrap().count, item(13, Container::Player(1), 1).count);
    let ops = vec![ItemOp::Delete { id: 12 }, ItemOp::Delete { id: 12 }];
    b.apply_item_tx(&tx("delete twice", ops)).unwrap();
    assert!(b.load_item(12).unwrap().is_none());
}

fn drop_and_pickup_are_atomic(c: &Connector) {
    let faults = Faults::default();
    let c = c.clone().with_faults(faults.clone());
    let mut b = open(&c);
    give_nested(b.as_mut());
    let key = ChunkKey { map: 1, cx: 2, cy: 3 };
    let drop_ops = vec![
        ItemOp::PutObject(object(500, key)),
        ItemOp::Move { id: 13, to: Container::Object(500), slot: 0 },
    ];
    // Interrupted between the two statements: neither side changes.
    faults.set(|p| match p {
        FaultPoint::ItemOp { op: 1 } => Err(StoreError::Injected("crash between statements".into())),
        _ => Ok(()),
    });
    assert!(matches!(b.apply_item_tx(&tx("drop", drop_ops.clone())), Err(StoreError::Injected(_))));
    faults.clear();
    assert_eq!(b.load_item(13).unwrap().unwrap().container, Container::Player(1));
    assert!(b.load_chunk(key).unwrap().objects.is_empty(), "no half-dropped object");
    // Uninterrupted: both sides change.
    b.apply_item_tx(&tx("drop", drop_ops)).unwrap();
    let chunk = b.load_chunk(key).unwrap();
    assert_eq!(chunk.objects, vec![object(500, key)]);
    assert_eq!(chunk.items, vec![item(13, Container::Object(500), 0)]);
    // The object cannot vanish while it still holds the item.
    let err = b.apply_item_tx(&tx("bad", vec![ItemOp::DeleteObject { id: 500 }])).unwrap_err();
    assert!(matches!(err, StoreError::ItemTx { .. }), "{err}");
    let pickup =
        vec![ItemOp::Move { id: 13, to: Container::Player(1), slot: 4 }, ItemOp::DeleteObject { id: 500 }];
    b.apply_item_tx(&tx("pickup", pickup)).unwrap();
    assert!(b.load_chunk(key).unwrap().objects.is_empty());
    assert_eq!(b.load_item(13).unwrap().unwrap().container, Container::Player(1));
}

fn chunks_and_objects_round_trip(c: &Connector) {
    let mut b = open(c);
    let key = ChunkKey { map: 9, cx: -4, cy: 7 };
    let other = ChunkKey { map: 9, cx: -4, cy: 8 };
    assert!(b.load_chunk(key).unwrap().chunk.is_none(), "never stored");
    let rec = ChunkRecord { key, version: u32::MAX, data: vec![0, 1, 2, 255] };
    let save = ChunkSave { key, chunk: Some(rec.clone()), objects: vec![object(1, key), object(2, key)] };
    let save2 = ChunkSave { key: other, chunk: None, objects: vec![object(3, other)] };
    b.save_chunks(&[save, save2]).unwrap();
    b.apply_item_tx(&tx(
        "box",
        vec![ItemOp::Put(item(20, Container::Object(2), 0)), ItemOp::Put(item(21, Container::Item(20), 0))],
    ))
    .unwrap();
    let load = b.load_chunk(key).unwrap();
    assert_eq!(load.chunk, Some(rec.clone()));
    let mut objs = load.objects.clone();
    objs.sort_by_key(|o| o.id);
    assert_eq!(objs, vec![object(1, key), object(2, key)]);
    assert_eq!(load.items.len(), 2, "box contents load with the chunk");
    assert_eq!(b.load_chunk(other).unwrap().objects, vec![object(3, other)]);
    // A later save replaces the object set: object 1 removed, object 2 changed; tiles kept.
    let mut changed = object(2, key);
    changed.stage = 3;
    b.save_chunks(&[ChunkSave { key, chunk: None, objects: vec![changed.clone()] }]).unwrap();
    let load = b.load_chunk(key).unwrap();
    assert_eq!((load.chunk, load.objects), (Some(rec), vec![changed]));
}

/// A chunk save that leaves out a box still holding items keeps the box: items are never orphaned.
fn chunk_save_never_orphans_items(c: &Connector) {
    let mut b = open(c);
    let key = ChunkKey { map: 4, cx: 2, cy: 2 };
    let save = ChunkSave { key, chunk: None, objects: vec![object(30, key), object(31, key)] };
    b.save_chunks(&[save]).unwrap();
    b.apply_item_tx(&tx("stash", vec![ItemOp::Put(item(40, Container::Object(31), 0))])).unwrap();
    b.save_chunks(&[ChunkSave { key, chunk: None, objects: vec![] }]).unwrap();
    let load = b.load_chunk(key).unwrap();
    assert_eq!(load.objects, vec![object(31, key)], "the empty object goes, the full box stays");
    assert_eq!(load.items.iter().map(|i| i.id).collect::<Vec<_>>(), vec![40]);
}

fn ids_are_reserved_in_blocks(c: &Connector) {
    let mut b = open(c);
    let a = b.reserve_ids(IdKind::Item, 100).unwrap();
    let d = b.reserve_ids(IdKind::Item, 5).unwrap();
    assert_eq!((a.end - a.start, d.start), (100, a.end));
    assert_eq!(b.reserve_ids(IdKind::Object, 1).unwrap(), 1..2);
}

fn bad_rows_affect_only_their_record(c: &Connector, corrupt: &dyn Fn()) {
    let mut b = open(c);
    give_nested(b.as_mut());
    corrupt(); // sets item 13's quality out of range and one object's kind out of range
    let load = b.load_player(1).unwrap().unwrap();
    assert_eq!(load.items.len(), 3);
    assert_eq!(load.bad.len(), 1);
    assert_eq!(load.bad[0].record, store::RecordRef::Item(13));
    let err = b.load_item(13).unwrap_err();
    assert!(matches!(err, StoreError::BadRecord(_)), "{err}");
}

common::on_both_backends!(
    connector: [
        players_round_trip,
        nested_inventory_keeps_shape,
        item_cannot_be_inside_itself,
        item_invariants_per_operation,
        drop_and_pickup_are_atomic,
        chunks_and_objects_round_trip,
        chunk_save_never_orphans_items,
        ids_are_reserved_in_blocks,
    ]
    postgres: {
        #[test]
        fn bad_rows() {
            let Some(db) = crate::common::pg_db() else { return };
            super::bad_rows_affect_only_their_record(&db.connector(), &|| {
                db.client().batch_execute("UPDATE items SET quality = -1 WHERE id = 13").unwrap();
            });
        }
    }
    sqlite: {
        #[test]
        fn bad_rows() {
            let db = crate::common::sqlite_db();
            let path = db.path.clone();
            super::bad_rows_affect_only_their_record(&db.connector(), &move || {
                let c = rusqlite::Connection::open(&path).unwrap();
                c.execute_batch("UPDATE items SET quality = 'oops' WHERE id = 13").unwrap();
            });
        }
    }
);
