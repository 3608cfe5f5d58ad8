//! Map fences, live owners, sequenced saves and hand-offs on both backends: a write of a stale
//! epoch commits nothing, an older save changes nothing, a hand-off token is accepted once by
//! the shard it names, and a crash at any step of a hand-off keeps all of it or none of it.

mod common;

use std::time::Duration;

use store::{
    Acceptance, Backend, BatchOutcome, Cancellation, ChunkKey, ChunkRecord, ChunkSave, Claim, CommitMark,
    Connector, Container, Created, Faults, HandOff, ItemOp, ItemRecord, ItemTx, ObjectRecord, PlayerRecord,
    PlayerSave, Position, PositionUpdate, Refusal, SaveSeq, Store, StoreError,
};

const WAIT: Duration = Duration::from_secs(30);

pub fn open(connector: &Connector) -> Box<dyn Backend> {
    connector.migrate().expect("migrate");
    connector.connect().expect("connect")
}

pub fn player(id: i64, map: u32) -> PlayerRecord {
    PlayerRecord {
        id,
        name: format!("p{id}"),
        token_hash: vec![id as u8; 32],
        map,
        pos: Position { x: 256, y: 512 },
        health: 100,
        ..PlayerRecord::default()
    }
}

/// Creates player `id` on `map` with two stacks of 5 (item ids `10·id`, `10·id + 1`).
pub fn seed(b: &mut dyn Backend, id: i64, map: u32) {
    let put = |n: i64| {
        let container = Container::Player(id);
        ItemOp::Put(ItemRecord { id: 10 * id + n, kind: 1, quality: 0, count: 5, container, slot: n as u32 })
    };
    let kit = ItemTx::new("kit", vec![put(0), put(1)]);
    assert_eq!(b.create_player(&player(id, map), &kit).unwrap(), Created::New);
}

fn chunk(map: u32, data: u8) -> ChunkSave {
    let key = ChunkKey { map, cx: 0, cy: 0 };
    ChunkSave { key, chunk: Some(ChunkRecord { key, version: 1, data: vec![data] }), objects: vec![] }
}

fn stored_chunk(b: &mut dyn Backend, map: u32) -> Option<Vec<u8>> {
    b.load_chunk(ChunkKey { map, cx: 0, cy: 0 }).unwrap().chunk.map(|c| c.data)
}

fn set_count(id: i64, count: u32) -> ItemTx {
    ItemTx::new("count", vec![ItemOp::SetCount { id, count }])
}

fn count_of(b: &mut dyn Backend, id: i64) -> u32 {
    b.load_item(id).unwrap().expect("item").count
}

fn claimed(c: Claim) -> i64 {
    match c {
        Claim::Claimed { claim } => claim,
        other => panic!("expected a claim, got {other:?}"),
    }
}

fn fenced_writes_commit_nothing(c: &Connector) {
    let mut b = open(c);
    seed(b.as_mut(), 1, 7);
    let old = b.take_map(7, "A").unwrap();
    let new = b.take_map(7, "B").unwrap();
    assert_eq!((old.epoch, new.epoch), (1, 2));
    assert_eq!(b.map_owner(7).unwrap().unwrap().shard, "B");
    let stale = |e: Result<_, StoreError>| {
        assert_eq!(e.err(), Some(StoreError::Fenced { map: 7, held: 1, current: 2 }));
    };
    stale(b.apply_item_tx(&set_count(10, 1).fenced(old)).map(|_| ()));
    stale(b.save_chunks_fenced(&[old], &[chunk(7, 1)]));
    assert_eq!(stored_chunk(b.as_mut(), 7), None);
    let claim = claimed(b.claim_player(1, "A").unwrap());
    let mut p = player(1, 7);
    p.health = 1;
    stale(
        b.save_players_seq(&[old], &[PlayerSave { player: p.clone(), seq: SaveSeq { claim, n: 1 } }])
            .map(|_| ()),
    );
    let moved = PositionUpdate { player: 1, map: 7, pos: Position { x: 9, y: 9 } };
    stale(b.write_positions_fenced(Some(old), &[moved]).map(|_| ()));
    let load = b.load_player(1).unwrap().unwrap();
    assert_eq!((load.player.health, load.player.pos), (100, Position { x: 256, y: 512 }));
    assert_eq!(count_of(b.as_mut(), 10), 5);
    // A batch with one fenced transaction: nothing of it commits.
    let batch = [set_count(10, 2).fenced(new), set_count(11, 2).fenced(old), set_count(11, 3)];
    let out = b.apply_item_txs(&batch, CommitMark { writer: 1, seq: 1 }).unwrap();
    assert!(matches!(out, BatchOutcome::Failed { index: 1, error: StoreError::Fenced { .. } }), "{out:?}");
    assert_eq!((count_of(b.as_mut(), 10), count_of(b.as_mut(), 11)), (5, 5));
    // The current epoch writes; a fenced position batch only moves characters live on its shard.
    b.save_chunks_fenced(&[new], &[chunk(7, 2)]).unwrap();
    assert_eq!(stored_chunk(b.as_mut(), 7), Some(vec![2]));
    b.apply_item_tx(&set_count(10, 4).fenced(new)).unwrap();
    assert_eq!(count_of(b.as_mut(), 10), 4);
    assert_eq!(b.write_positions_fenced(Some(new), &[moved]).unwrap(), 0, "player 1 is live on A, not B");
    assert_eq!(b.take_map(7, "A").unwrap().epoch, 3);
    let fence_a = store::Fence { map: 7, epoch: 3 };
    assert_eq!(b.write_positions_fenced(Some(fence_a), &[moved]).unwrap(), 1);
}

fn writer_fails_fenced_writes_for_good(c: &Connector, config: store::StoreConfig) {
    let mut b = open(c);
    seed(b.as_mut(), 1, 7);
    let old = b.take_map(7, "A").unwrap();
    let new = b.take_map(7, "B").unwrap();
    let store = Store::open(config).unwrap();
    let w = store.writer();
    let t1 = w.item_tx(set_count(10, 1)).unwrap();
    let t2 = w.item_tx(set_count(11, 1).fenced(old)).unwrap();
    let t3 = w.item_tx(set_count(10, 2).fenced(new)).unwrap();
    let t4 = w.save_chunks_fenced(old, vec![chunk(7, 1)]).unwrap();
    let t5 = w.save_chunks_fenced(new, vec![chunk(7, 2)]).unwrap();
    assert_eq!(t1.wait(WAIT), Ok(()));
    assert!(matches!(t2.wait(WAIT), Err(StoreError::Fenced { map: 7, held: 1, current: 2 })));
    assert_eq!(t3.wait(WAIT), Ok(()));
    assert!(matches!(t4.wait(WAIT), Err(StoreError::Fenced { .. })));
    assert_eq!(t5.wait(WAIT), Ok(()));
    assert_eq!((count_of(b.as_mut(), 10), count_of(b.as_mut(), 11)), (2, 5));
    assert_eq!(stored_chunk(b.as_mut(), 7), Some(vec![2]));
    let stats = w.stats();
    assert_eq!(stats.fenced, 2);
    let failure = w.failures().try_recv().unwrap();
    assert!(matches!(failure.error, StoreError::Fenced { map: 7, .. }));
    // Sequenced saves through the writer: the older one (submitted last) changes nothing.
    let claim = claimed(b.claim_player(1, "A").unwrap());
    let save = |n: i64, health: i32| PlayerSave {
        player: PlayerRecord { health, ..player(1, 7) },
        seq: SaveSeq { claim, n },
    };
    w.save_players_seq(None, vec![save(2, 20)]).unwrap().wait(WAIT).unwrap();
    w.save_players_seq(None, vec![save(1, 10)]).unwrap().wait(WAIT).unwrap();
    assert_eq!(b.load_player(1).unwrap().unwrap().player.health, 20);
    assert_eq!(w.stats().player_saves_stale, 1);
    store.shutdown(WAIT);
}

fn older_saves_change_nothing(c: &Connector) {
    let mut b = open(c);
    seed(b.as_mut(), 1, 7);
    let claim = claimed(b.claim_player(1, "A").unwrap());
    assert_eq!(claimed(b.claim_player(1, "A").unwrap()), claim, "a shard re-claiming keeps its claim");
    let save = |claim: i64, n: i64, health: i32, x: i32| PlayerSave {
        player: PlayerRecord { health, pos: Position { x, y: 0 }, ..player(1, 7) },
        seq: SaveSeq { claim, n },
    };
    assert_eq!(b.save_players_seq(&[], &[save(claim, 2, 50, 2)]).unwrap(), 1);
    // The older save finishes after the newer one: nothing changes.
    assert_eq!(b.save_players_seq(&[], &[save(claim, 1, 10, 1)]).unwrap(), 0);
    assert_eq!(
        b.save_players_seq(&[], &[save(claim, 2, 11, 1)]).unwrap(),
        0,
        "an equal sequence is not newer"
    );
    // Two saves of one player in one call: the newest wins, whatever the order.
    assert_eq!(b.save_players_seq(&[], &[save(claim, 4, 40, 4), save(claim, 3, 30, 3)]).unwrap(), 1);
    let p = b.load_player(1).unwrap().unwrap().player;
    assert_eq!((p.health, p.pos.x), (40, 4));
    // Live elsewhere: another claim is refused unless the owner is known dead.
    assert_eq!(b.claim_player(1, "B").unwrap(), Claim::LiveOn { shard: "A".into() });
    assert_eq!(b.claim_player_from(1, "B", Some("C")).unwrap(), Claim::LiveOn { shard: "A".into() });
    let taken = claimed(b.claim_player_from(1, "B", Some("A")).unwrap());
    assert!(taken > claim);
    // The old owner's later save names a stale claim: nothing changes.
    assert_eq!(b.save_players_seq(&[], &[save(claim, 9, 90, 9)]).unwrap(), 0);
    assert_eq!(b.save_players_seq(&[], &[save(taken, 1, 5, 5)]).unwrap(), 1);
    assert_eq!(b.load_player(1).unwrap().unwrap().player.health, 5);
    assert!(!b.release_player(1, "A").unwrap(), "A does not hold it");
    assert!(b.release_player(1, "B").unwrap());
    let live = b.live_owner(1).unwrap().unwrap();
    assert_eq!((live.shard, live.saved), (None, SaveSeq { claim: taken, n: 1 }));
    assert_eq!(claimed(b.claim_player(1, "C").unwrap()), taken + 1);
    assert_eq!(b.claim_player(99, "C"), Err(StoreError::UnknownPlayer(99)));
}

/// A hand-off of player 1 from A (holding `claim`) to B on map 8, moving item 11 into box 500
/// on the source map (a world write committed with the save).
pub fn hand_off(claim: i64, n: i64, token: &[u8], to: &str, expires_ms: i64) -> HandOff {
    let pile = ObjectRecord { id: 500, map: 7, kind: 3, holds_items: true, ..ObjectRecord::default() };
    let drop = ItemTx::new(
        "drop",
        vec![ItemOp::PutObject(pile), ItemOp::Move { id: 11, to: Container::Object(500), slot: 0 }],
    );
    HandOff {
        from_shard: "A".into(),
        fence: None,
        save: PlayerSave {
            player: PlayerRecord { health: 77, pos: Position { x: 1, y: 2 }, ..player(1, 8) },
            seq: SaveSeq { claim, n },
        },
        items: vec![drop],
        token_hash: token.to_vec(),
        to_shard: to.into(),
        to_map: 8,
        expires_ms,
    }
}

fn handoff_is_accepted_once(c: &Connector) {
    let mut b = open(c);
    seed(b.as_mut(), 1, 7);
    let claim = claimed(b.claim_player(1, "A").unwrap());
    b.hand_off(&hand_off(claim, 1, b"t1", "B", 1_000)).unwrap();
    let live = b.live_owner(1).unwrap().unwrap();
    assert_eq!(live.shard, None, "released by the hand-off");
    assert_eq!(b.load_item(11).unwrap().unwrap().container, Container::Object(500));
    assert_eq!(b.accept_handoff(b"forged", "B", 10).unwrap(), Acceptance::Refused(Refusal::Unknown));
    let wrong = b.accept_handoff(b"t1", "C", 10).unwrap();
    assert_eq!(wrong, Acceptance::Refused(Refusal::OtherShard { named: "B".into() }));
    assert_eq!(b.accept_handoff(b"t1", "B", 1_001).unwrap(), Acceptance::Refused(Refusal::Expired));
    let Acceptance::Accepted { load, claim: new_claim } = b.accept_handoff(b"t1", "B", 1_000).unwrap() else {
        panic!("accept refused")
    };
    assert_eq!((load.player.map, load.player.pos, load.player.health), (8, Position { x: 1, y: 2 }, 77));
    assert_eq!(load.items.iter().map(|i| i.id).collect::<Vec<_>>(), vec![10]);
    assert!(new_claim > claim);
    assert_eq!(b.live_owner(1).unwrap().unwrap().shard.as_deref(), Some("B"));
    assert_eq!(b.accept_handoff(b"t1", "B", 10).unwrap(), Acceptance::Refused(Refusal::Used));
    assert_eq!(b.cancel_handoff(b"t1", "A").unwrap(), Cancellation::Refused(Refusal::Used));
    // A hand-off by a shard that no longer holds the character writes nothing.
    let err = b.hand_off(&hand_off(claim, 2, b"t2", "B", 1_000)).unwrap_err();
    assert_eq!(err, StoreError::NotOwner { player: 1, live: Some("B".into()) });
    assert_eq!(b.accept_handoff(b"t2", "B", 10).unwrap(), Acceptance::Refused(Refusal::Unknown));
}

fn refused_handoffs_change_nothing(c: &Connector) {
    let mut b = open(c);
    seed(b.as_mut(), 1, 7);
    let claim = claimed(b.claim_player(1, "A").unwrap());
    // Accept before release: the character was claimed again (a login elsewhere) meanwhile.
    b.hand_off(&hand_off(claim, 1, b"t1", "B", 1_000)).unwrap();
    let c_claim = claimed(b.claim_player(1, "C").unwrap());
    let still = b.accept_handoff(b"t1", "B", 10).unwrap();
    assert_eq!(still, Acceptance::Refused(Refusal::StillLive { shard: "C".into() }));
    assert_eq!(
        b.cancel_handoff(b"t1", "A").unwrap(),
        Cancellation::Refused(Refusal::StillLive { shard: "C".into() })
    );
    assert!(b.release_player(1, "C").unwrap());
    // The source cancels (target down): it holds the character again, the token is void.
    assert_eq!(
        b.cancel_handoff(b"t1", "B").unwrap(),
        Cancellation::Refused(Refusal::OtherShard { named: "A".into() })
    );
    let Cancellation::Reclaimed { claim: back } = b.cancel_handoff(b"t1", "A").unwrap() else {
        panic!("cancel refused")
    };
    assert!(back > c_claim);
    assert_eq!(b.live_owner(1).unwrap().unwrap().shard.as_deref(), Some("A"));
    assert_eq!(b.accept_handoff(b"t1", "B", 10).unwrap(), Acceptance::Refused(Refusal::Cancelled));
    assert_eq!(b.cancel_handoff(b"t1", "A").unwrap(), Cancellation::Refused(Refusal::Cancelled));
    // A reused token hash, or a save not newer than the stored one, writes nothing.
    let mut again = hand_off(back, 1, b"t1", "B", 1_000);
    again.items.clear();
    assert!(matches!(b.hand_off(&again), Err(StoreError::Rejected(_))));
    assert_eq!(b.live_owner(1).unwrap().unwrap().shard.as_deref(), Some("A"));
    // A fenced hand-off from a map taken by another shard writes nothing.
    let old = b.take_map(7, "A").unwrap();
    b.take_map(7, "B").unwrap();
    let fenced = HandOff { fence: Some(old), ..hand_off(back, 1, b"t3", "B", 1_000) };
    assert!(matches!(b.hand_off(&fenced), Err(StoreError::Fenced { .. })));
    assert_eq!(b.accept_handoff(b"t3", "B", 10).unwrap(), Acceptance::Refused(Refusal::Unknown));
}

/// Items of the test world: (id, container, count), sorted.
fn items(b: &mut dyn Backend) -> Vec<(i64, Container, u32)> {
    let mut all: Vec<(i64, Container, u32)> = [Container::Player(1), Container::Object(500)]
        .into_iter()
        .flat_map(|c| b.load_items(c).unwrap().items)
        .map(|i| (i.id, i.container, i.count))
        .collect();
    all.sort_by_key(|i| i.0);
    all
}

fn crash_at_any_handoff_step_keeps_all_or_nothing(c: &Connector) {
    let faults = Faults::default();
    let c = c.clone().with_faults(faults.clone());
    let mut b = open(&c);
    seed(b.as_mut(), 1, 7);
    let claim = claimed(b.claim_player(1, "A").unwrap());
    let before = items(b.as_mut());
    let mut crash_at = 1;
    loop {
        let mut calls = 0;
        faults.set(move |_| {
            calls += 1;
            if calls == crash_at { Err(StoreError::Injected("crash".into())) } else { Ok(()) }
        });
        let result = b.hand_off(&hand_off(claim, 1, b"t", "B", 1_000));
        faults.clear();
        let after = items(b.as_mut());
        assert_eq!(after.iter().map(|i| i.2).sum::<u32>(), 10, "no item lost or duplicated");
        assert_eq!(after.len(), 2);
        if result.is_ok() {
            assert!(crash_at > 1, "the hook was never reached");
            assert_eq!(b.live_owner(1).unwrap().unwrap().shard, None);
            assert_ne!(after, before);
            break;
        }
        assert_eq!(result, Err(StoreError::Injected("crash".into())));
        assert_eq!(after, before, "crash at call {crash_at}: nothing of the hand-off is kept");
        assert_eq!(b.live_owner(1).unwrap().unwrap().shard.as_deref(), Some("A"));
        assert_eq!(b.load_player(1).unwrap().unwrap().player.map, 7);
        assert_eq!(b.accept_handoff(b"t", "B", 10).unwrap(), Acceptance::Refused(Refusal::Unknown));
        crash_at += 1;
    }
    // A crash before the accept's commit keeps the token for a later accept.
    faults.set(|_| Err(StoreError::Injected("crash".into())));
    assert!(b.accept_handoff(b"t", "B", 10).is_err());
    faults.clear();
    assert_eq!(b.live_owner(1).unwrap().unwrap().shard, None);
    assert!(matches!(b.accept_handoff(b"t", "B", 10).unwrap(), Acceptance::Accepted { .. }));
    assert_eq!(items(b.as_mut()).iter().map(|i| i.2).sum::<u32>(), 10);
}

/// `take_map` waits for a fenced write in flight (it holds the map's row): the write commits
/// under the old epoch before the new owner gets its fence, so the new owner loads it.
fn take_map_waits_for_fenced_writes_in_flight(c: &Connector) {
    let faults = Faults::default();
    let c = c.clone().with_faults(faults.clone());
    let mut b = open(&c);
    let fence = b.take_map(7, "A").unwrap();
    let (inside_tx, inside) = store::crossbeam_channel::bounded::<()>(1);
    let (go_tx, go) = store::crossbeam_channel::bounded::<()>(1);
    faults.set(move |point| {
        if point == (store::FaultPoint::ChunkStmt { stmt: 0 }) {
            let _ = inside_tx.send(());
            let _ = go.recv();
        }
        Ok(())
    });
    let writer_conn = c.clone();
    let write = std::thread::spawn(move || {
        writer_conn.connect().unwrap().save_chunks_fenced(&[fence], &[chunk(7, 1)])
    });
    inside.recv_timeout(WAIT).expect("the write reached its transaction");
    let taker_conn = c.clone();
    let (took_tx, took) = store::crossbeam_channel::bounded(1);
    let take = std::thread::spawn(move || {
        let f = taker_conn.connect().unwrap().take_map(7, "B");
        let _ = took_tx.send(());
        f
    });
    std::thread::sleep(Duration::from_millis(300));
    assert!(took.try_recv().is_err(), "take_map must wait for the fenced write in flight");
    go_tx.send(()).unwrap();
    assert_eq!(write.join().unwrap(), Ok(()));
    assert_eq!(take.join().unwrap().unwrap().epoch, 2);
    faults.clear();
    assert_eq!(stored_chunk(b.as_mut(), 7), Some(vec![1]));
    assert!(matches!(b.save_chunks_fenced(&[fence], &[chunk(7, 2)]), Err(StoreError::Fenced { .. })));
}

/// Racing shards: of several claims of a released character, and of several accepts of one
/// token, exactly one wins.
fn racing_claims_and_accepts_have_one_winner(c: &Connector) {
    const RACERS: usize = 4;
    let mut b = open(c);
    seed(b.as_mut(), 1, 7);
    let race = |f: &(dyn Fn(usize, &mut dyn Backend) -> bool + Sync)| {
        let start = std::sync::Barrier::new(RACERS);
        let won: usize = std::thread::scope(|s| {
            let racers: Vec<_> = (0..RACERS)
                .map(|i| {
                    let (start, c) = (&start, c.clone());
                    s.spawn(move || {
                        let mut b = c.connect().unwrap();
                        start.wait();
                        f(i, b.as_mut())
                    })
                })
                .collect();
            racers.into_iter().map(|r| usize::from(r.join().unwrap())).sum()
        });
        assert_eq!(won, 1, "exactly one racer wins");
    };
    let shard = |i: usize| format!("S{i}");
    race(&|i, b| matches!(b.claim_player(1, &shard(i)).unwrap(), Claim::Claimed { .. }));
    let owner = b.live_owner(1).unwrap().unwrap();
    let from = owner.shard.clone().unwrap();
    let mut h = hand_off(owner.claim, 1, b"t", "B", 1_000);
    h.from_shard = from;
    b.hand_off(&h).unwrap();
    race(&|_, b| matches!(b.accept_handoff(b"t", "B", 10).unwrap(), Acceptance::Accepted { .. }));
    assert_eq!(b.live_owner(1).unwrap().unwrap().shard.as_deref(), Some("B"));
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod postgres_backend {
            $(#[test] fn $name() {
                let Some(db) = crate::common::pg_db() else { return };
                super::$name(&db.connector());
            })*
            #[test]
            fn writer_fails_fenced_writes_for_good() {
                let Some(db) = crate::common::pg_db() else { return };
                super::writer_fails_fenced_writes_for_good(&db.connector(), db.config());
            }
        }
        mod sqlite_backend {
            $(#[test] fn $name() {
                let db = crate::common::sqlite_db();
                super::$name(&db.connector());
            })*
            #[test]
            fn writer_fails_fenced_writes_for_good() {
                let db = crate::common::sqlite_db();
                super::writer_fails_fenced_writes_for_good(&db.connector(), db.config());
            }
        }
    };
}

on_both_backends!(
    fenced_writes_commit_nothing,
    older_saves_change_nothing,
    handoff_is_accepted_once,
    refused_handoffs_change_nothing,
    crash_at_any_handoff_step_keeps_all_or_nothing,
    take_map_waits_for_fenced_writes_in_flight,
    racing_claims_and_accepts_have_one_winner,
);
