//! Map fences, live owners, sequenced saves and hand-offs on both backends: a write of a stale
//! epoch commits nothing, an older save changes nothing, a hand-off token is accepted once by
//! the shard it names, and a crash at any step of a hand-off keeps all of it or none of it.

mod common;

use common::owned::{count_of, player, seed, set_count};

use std::time::Duration;

use store::{
    Acceptance, Backend, BatchOutcome, Cancellation, ChunkKey, ChunkRecord, ChunkSave, Claim, CommitMark,
    Connector, Container, Faults, HandOff, ItemOp, ItemTx, ObjectRecord, PlayerRecord, PlayerSave, Position,
    PositionUpdate, Refusal, SaveSeq, Store, StoreError,
};

const WAIT: Duration = Duration::from_secs(30);

pub fn open(connector: &Connector) -> Box<dyn Backend> {
    connector.migrate().expect("migrate");
    connector.connect().expect("connect")
}

fn chunk(map: u32, data: u8) -> ChunkSave {
    let key = ChunkKey { map, cx: 0, cy: 0 };
    ChunkSave { key, chunk: Some(ChunkRecord { key, version: 1, data: vec![data] }), objects: vec![] }
}

fn stored_chunk(b: &mut dyn Backend, map: u32) -> Option<Vec<u8>> {
    b.load_chunk(ChunkKey { map, cx: 0, cy: 0 }).unwrap().chunk.map(|c| c.data)
}

fn claimed(c: Claim) -> i64 {
    match c {
        Claim::Claimed { claim, .. } => claim,
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
    let moved = PositionUpdate { player: 1, map: 7, pos: Position { x: 9, y: 9 }, claim };
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

fn writer_fails_fenced_writes_for_good(config: store::StoreConfig) {
    let c = &Connector::new(config.backend.clone());
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
    // A replay is refused, even by the shard that accepted; only the loader's retry of the same
    // request (`accept_handoff_again`) is answered again.
    assert_eq!(b.accept_handoff(b"t1", "B", 10).unwrap(), Acceptance::Refused(Refusal::Used));
    let again = b.accept_handoff_again(b"t1", "B", 10).unwrap();
    assert_eq!(again, Acceptance::Accepted { load: load.clone(), claim: new_claim });
    assert_eq!(b.accept_handoff(b"t1", "C", 10).unwrap(), Acceptance::Refused(Refusal::Used));
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
    assert_eq!(b.cancel_handoff(b"t1", "A").unwrap(), Cancellation::Refused(Refusal::Cancelled), "a replay");
    assert_eq!(
        b.cancel_handoff_again(b"t1", "A").unwrap(),
        Cancellation::Reclaimed { claim: back },
        "a retry"
    );
    assert_eq!(b.cancel_handoff(b"t1", "C").unwrap(), Cancellation::Refused(Refusal::Cancelled));
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
        faults.set(move |point| {
            // After the commit: that crash is the lost answer of a committed hand-off.
            if point == store::FaultPoint::OwnerCommitted {
                return Ok(());
            }
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
    faults.set(|point| match point {
        store::FaultPoint::OwnerCommitted => Ok(()),
        _ => Err(StoreError::Injected("crash".into())),
    });
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
/// token for one shard, exactly one wins (the others are replays, refused).
fn racing_claims_and_accepts_have_one_winner(c: &Connector) {
    const RACERS: usize = 4;
    let mut b = open(c);
    seed(b.as_mut(), 1, 7);
    let race = |f: &(dyn Fn(usize, &mut dyn Backend) -> bool + Sync), winners: usize| {
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
        assert_eq!(won, winners);
    };
    let shard = |i: usize| format!("S{i}");
    race(&|i, b| matches!(b.claim_player(1, &shard(i)).unwrap(), Claim::Claimed { .. }), 1);
    let owner = b.live_owner(1).unwrap().unwrap();
    let from = owner.shard.clone().unwrap();
    let mut h = hand_off(owner.claim, 1, b"t", "B", 1_000);
    h.from_shard = from;
    b.hand_off(&h).unwrap();
    let one = owner.claim + 1;
    let accepted = |b: &mut dyn Backend| b.accept_handoff(b"t", "B", 10).unwrap();
    race(&|_, b| matches!(accepted(b), Acceptance::Accepted { claim, .. } if claim == one), 1);
    let live = b.live_owner(1).unwrap().unwrap();
    assert_eq!((live.shard.as_deref(), live.claim), (Some("B"), one), "accepted once");
}

/// Player `id`'s hand-off from `from` (holding `claim`) to `to` on map 8, without items.
fn plain(id: i64, from: &str, claim: i64, token: &[u8], to: &str, expires_ms: i64) -> HandOff {
    let mut h = hand_off(claim, 1, token, to, expires_ms);
    h.save.player = PlayerRecord { id, name: format!("p{id}"), ..h.save.player };
    h.from_shard = from.into();
    h.items.clear();
    h
}

/// Retries after a lost answer: the same hand-off, accept or cancel again (the `_again` entry
/// points the loader uses after a failed attempt) is answered as the first time and changes
/// nothing, while a new request with the token (a replay, even by the same shard) is refused.
fn retried_handoff_accept_and_cancel_are_idempotent(c: &Connector) {
    let mut b = open(c);
    seed(b.as_mut(), 1, 7);
    let claim = claimed(b.claim_player(1, "A").unwrap());
    let h = hand_off(claim, 1, b"t1", "B", 1_000);
    b.hand_off(&h).unwrap();
    let once = (items(b.as_mut()), b.live_owner(1).unwrap());
    b.hand_off(&h).expect("the same hand-off again is a retry of a committed one");
    assert_eq!((items(b.as_mut()), b.live_owner(1).unwrap()), once, "the retry changed nothing");
    let other = HandOff { from_shard: "C".into(), ..h.clone() };
    assert_eq!(b.hand_off(&other), Err(StoreError::NotOwner { player: 1, live: None }));
    let answer = |a: Acceptance| match a {
        Acceptance::Accepted { load, claim } => Ok((load.player.health, load.items.len(), claim)),
        Acceptance::Refused(r) => Err(r),
    };
    let accept = |b: &mut dyn Backend, shard: &str| answer(b.accept_handoff(b"t1", shard, 10).unwrap());
    let again = |b: &mut dyn Backend, shard: &str| answer(b.accept_handoff_again(b"t1", shard, 10).unwrap());
    let first = accept(b.as_mut(), "B").unwrap();
    assert_eq!(first.0, 77);
    assert_eq!(again(b.as_mut(), "B"), Ok(first), "a retried accept is answered again");
    assert_eq!(accept(b.as_mut(), "B"), Err(Refusal::Used), "a new request with the token is a replay");
    assert_eq!(accept(b.as_mut(), "C"), Err(Refusal::Used));
    assert_eq!(again(b.as_mut(), "C"), Err(Refusal::Used));
    assert_eq!(b.cancel_handoff(b"t1", "A").unwrap(), Cancellation::Refused(Refusal::Used));
    // Once the acceptance's claim is gone (released, claimed again), the token is used up.
    assert!(b.release_player(1, "B").unwrap());
    let b_claim = claimed(b.claim_player(1, "B").unwrap());
    assert_eq!(b_claim, first.2 + 1);
    assert_eq!(again(b.as_mut(), "B"), Err(Refusal::Used));
    // Cancel: the source's retried cancel is answered Reclaimed again while it holds that claim.
    b.hand_off(&plain(1, "B", b_claim, b"t2", "C", 1_000)).unwrap();
    let Cancellation::Reclaimed { claim: back } = b.cancel_handoff(b"t2", "B").unwrap() else {
        panic!("cancel refused")
    };
    assert_eq!(b.cancel_handoff_again(b"t2", "B").unwrap(), Cancellation::Reclaimed { claim: back });
    assert_eq!(
        b.cancel_handoff(b"t2", "B").unwrap(),
        Cancellation::Refused(Refusal::Cancelled),
        "not a retry"
    );
    assert_eq!(b.live_owner(1).unwrap().unwrap().claim, back, "the retry claimed nothing more");
    assert_eq!(b.cancel_handoff(b"t2", "C").unwrap(), Cancellation::Refused(Refusal::Cancelled));
    assert_eq!(b.accept_handoff(b"t2", "C", 10).unwrap(), Acceptance::Refused(Refusal::Cancelled));
    assert!(b.release_player(1, "B").unwrap());
    assert_eq!(b.cancel_handoff_again(b"t2", "B").unwrap(), Cancellation::Refused(Refusal::Cancelled));
}

/// A burst of hand-offs in one transaction: each is answered as it would be alone; a refused one
/// (here a source that does not hold its character) is rolled back alone, the others commit.
/// Seeds players `1..=n` on map 7 and claims them for shard "A"; their claims, in order.
fn seed_claimed_by_a(b: &mut dyn Backend, n: i64) -> Vec<i64> {
    (1..=n)
        .map(|id| {
            seed(b, id, 7);
            claimed(b.claim_player(id, "A").unwrap())
        })
        .collect()
}

fn handoffs_commit_together_and_fail_alone(c: &Connector) {
    let mut b = open(c);
    let claims = seed_claimed_by_a(b.as_mut(), 3);
    let ok1 = plain(1, "A", claims[0], b"h1", "B", 1_000);
    let refused = plain(2, "Z", claims[1], b"h2", "B", 1_000);
    let ok3 = plain(3, "A", claims[2], b"h3", "B", 1_000);
    let before = (items(b.as_mut()), b.live_owner(2).unwrap());
    let results = b.hand_offs(&[&ok1, &refused, &ok3]).unwrap();
    assert_eq!(results[0], Ok(()));
    assert!(matches!(results[1], Err(StoreError::NotOwner { player: 2, .. })), "{:?}", results[1]);
    assert_eq!(results[2], Ok(()));
    assert_eq!(b.live_owner(1).unwrap().unwrap().shard, None, "released");
    assert_eq!(b.live_owner(3).unwrap().unwrap().shard, None, "released");
    assert_eq!((items(b.as_mut()), b.live_owner(2).unwrap()), before, "the refused one changed nothing");
    assert_eq!(b.accept_handoff(b"h2", "B", 10).unwrap(), Acceptance::Refused(Refusal::Unknown));
    assert!(matches!(b.accept_handoff(b"h3", "B", 10).unwrap(), Acceptance::Accepted { .. }));
    // The same burst again (a retry after a lost answer): the committed ones answer Ok.
    let again = b.hand_offs(&[&ok1, &refused]).unwrap();
    assert_eq!(again[0], Ok(()));
    assert!(again[1].is_err());
}

/// A group of hand-offs answers each one as [`Backend::hand_off`] one after the other would: the
/// same token twice is a retry of the first, a character twice is released by the first, a stale
/// save, a stale fence and an unknown character are refused alone, and nothing of a refused one
/// is written.
fn handoff_groups_answer_as_one_by_one(c: &Connector) {
    let mut b = open(c);
    let fence = b.take_map(7, "A").unwrap();
    let stale = store::Fence { epoch: fence.epoch - 1, ..fence };
    let claims = seed_claimed_by_a(b.as_mut(), 5);
    let fenced = |id: i64, token: &[u8], f| {
        let mut h = plain(id, "A", claims[id as usize - 1], token, "B", 1_000);
        h.fence = Some(f);
        h
    };
    let first = fenced(1, b"g1", fence);
    let again = first.clone();
    let twice = fenced(1, b"g1b", fence);
    let newer = PlayerSave { player: player(2, 7), seq: SaveSeq { claim: claims[1], n: 5 } };
    assert_eq!(b.save_players_seq(&[fence], &[newer]).unwrap(), 1);
    let mut old = fenced(2, b"g2", fence);
    old.save.seq.n = 3; // older than the save stored last
    let behind = fenced(3, b"g3", stale);
    let unknown = plain(99, "A", 1, b"g99", "B", 1_000);
    let ok = fenced(4, b"g4", fence);
    let before = items(b.as_mut());
    let group = [&first, &again, &twice, &old, &behind, &unknown, &ok];
    let results = b.hand_offs(&group).unwrap();
    assert_eq!(results[0], Ok(()));
    assert_eq!(results[1], Ok(()), "the same token again is a retry of the first");
    assert_eq!(results[2], Err(StoreError::NotOwner { player: 1, live: None }), "released by the first");
    assert!(
        matches!(&results[3], Err(StoreError::Rejected(why)) if why.contains("not newer")),
        "{:?}",
        results[3]
    );
    assert!(matches!(results[4], Err(StoreError::Fenced { map: 7, .. })), "{:?}", results[4]);
    assert_eq!(results[5], Err(StoreError::UnknownPlayer(99)));
    assert_eq!(results[6], Ok(()));
    assert_eq!(items(b.as_mut()), before, "hand-offs without item transactions write no item");
    for (id, live) in [(1, None), (2, Some("A")), (3, Some("A")), (4, None), (5, Some("A"))] {
        assert_eq!(b.live_owner(id).unwrap().unwrap().shard.as_deref(), live, "player {id}");
    }
    assert_eq!(b.accept_handoff(b"g1b", "B", 10).unwrap(), Acceptance::Refused(Refusal::Unknown));
    assert_eq!(b.accept_handoff(b"g2", "B", 10).unwrap(), Acceptance::Refused(Refusal::Unknown));
    let accepted = |a: Acceptance| match a {
        Acceptance::Accepted { load, .. } => (load.player.map, load.player.health),
        Acceptance::Refused(r) => panic!("refused: {r:?}"),
    };
    assert_eq!(accepted(b.accept_handoff(b"g4", "B", 10).unwrap()), (8, 77), "the hand-off's save");
    // The whole group again (a retry after a lost answer): the same answers, nothing changes.
    let results_again = b.hand_offs(&group).unwrap();
    assert_eq!(results_again[0], Ok(()));
    assert_eq!(results_again[6], Err(StoreError::NotOwner { player: 4, live: Some("B".into()) }));
}

/// Tokens accepted in one transaction are answered as one by one: a valid token accepted (its
/// character claimed here, the next claim), the same token again used, a token for another
/// shard, an expired one, one whose character is live elsewhere and an unknown one refused; a
/// retry of the whole batch (`again`) answers the accepted ones again and changes nothing.
fn accept_batches_answer_as_one_by_one(c: &Connector) {
    let mut b = open(c);
    let claims = seed_claimed_by_a(b.as_mut(), 4);
    for (id, token, to, expires) in
        [(1, b"a1", "B", 1_000), (2, b"a2", "C", 1_000), (3, b"a3", "B", 5), (4, b"a4", "B", 1_000)]
    {
        let h = plain(id, "A", claims[id as usize - 1], token, to, expires);
        assert_eq!(b.hand_offs(&[&h]).unwrap(), vec![Ok(())]);
    }
    assert!(
        matches!(b.claim_player(4, "C").unwrap(), Claim::Claimed { .. }),
        "player 4 taken by C meanwhile"
    );
    let req = |hash: &'static [u8]| store::AcceptRequest { hash, shard: "B", now_ms: 10 };
    let batch = [req(b"a1"), req(b"a1"), req(b"a2"), req(b"a3"), req(b"a4"), req(b"zz")];
    let answers = b.accept_handoffs(&batch, false).unwrap();
    let claim_of = |a: &Result<Acceptance, StoreError>| match a {
        Ok(Acceptance::Accepted { load, claim }) => Some((load.player.id, *claim)),
        _ => None,
    };
    assert_eq!(claim_of(&answers[0]), Some((1, claims[0] + 1)));
    assert_eq!(answers[1], Ok(Acceptance::Refused(Refusal::Used)), "the same token again");
    assert_eq!(answers[2], Ok(Acceptance::Refused(Refusal::OtherShard { named: "C".into() })));
    assert_eq!(answers[3], Ok(Acceptance::Refused(Refusal::Expired)));
    assert_eq!(answers[4], Ok(Acceptance::Refused(Refusal::StillLive { shard: "C".into() })));
    assert_eq!(answers[5], Ok(Acceptance::Refused(Refusal::Unknown)));
    let owner = b.live_owner(1).unwrap().unwrap();
    assert_eq!((owner.shard.as_deref(), owner.claim), (Some("B"), claims[0] + 1));
    let again = b.accept_handoffs(&batch, true).unwrap();
    assert_eq!(claim_of(&again[0]), Some((1, claims[0] + 1)), "a retry answers the accepted one again");
    assert_eq!(claim_of(&again[1]), Some((1, claims[0] + 1)));
    assert_eq!(b.live_owner(1).unwrap().unwrap().claim, claims[0] + 1, "the retry changed nothing");
    assert_eq!(b.accept_handoffs(&batch[..1], false).unwrap()[0], Ok(Acceptance::Refused(Refusal::Used)));
}

/// A batch of accepts loads each accepted character whole, as a load of that character alone
/// does: its record and every item below it at any depth (PostgreSQL loads the batch with one
/// statement per table).
fn a_batch_of_accepts_loads_each_character_whole(c: &Connector) {
    let mut b = open(c);
    let claims = seed_claimed_by_a(b.as_mut(), 3);
    let inside = |id: i64, container: Container, slot: u32| {
        ItemOp::Put(store::ItemRecord { id, kind: 2, quality: 7, count: 1, container, slot })
    };
    // Player 2's first stack holds an item that holds another.
    let nested =
        ItemTx::new("nest", vec![inside(90, Container::Item(20), 0), inside(91, Container::Item(90), 3)]);
    b.apply_item_tx(&nested).unwrap();
    let tokens: [&[u8]; 3] = [b"l1", b"l2", b"l3"];
    for (i, token) in tokens.iter().enumerate() {
        let id = i as i64 + 1;
        assert_eq!(b.hand_offs(&[&plain(id, "A", claims[i], token, "B", 1_000)]).unwrap(), vec![Ok(())]);
    }
    let sorted = |mut load: store::PlayerLoad| {
        load.items.sort_by_key(|i| i.id);
        load
    };
    let batch: Vec<store::AcceptRequest> =
        tokens.iter().map(|&hash| store::AcceptRequest { hash, shard: "B", now_ms: 10 }).collect();
    let answers = b.accept_handoffs(&batch, false).unwrap();
    for (i, answer) in answers.into_iter().enumerate() {
        let Ok(Acceptance::Accepted { load, .. }) = answer else { panic!("{i}: {answer:?}") };
        let alone = b.load_player(i as i64 + 1).unwrap().unwrap();
        assert_eq!(sorted(*load), sorted(alone), "player {}", i + 1);
    }
    let two = b.load_player(2).unwrap().unwrap();
    assert_eq!(two.items.len(), 4, "two stacks and the two items nested below the first");
}

/// Group writes of many characters (merged saves, a burst of hand-offs), taking their rows in any
/// order, racing the positions writer over the same characters never deadlock: every write of
/// both sides succeeds. (PostgreSQL breaks a deadlock after `deadlock_timeout`, a second, by
/// failing one of the two; each group therefore locks its characters in id order first, the
/// order the fenced positions take them in.)
fn group_writes_racing_positions_never_deadlock(config: store::StoreConfig) {
    const N: i64 = 60;
    const ROUNDS: i64 = 40;
    let mut b = open(&Connector::new(config.backend.clone()));
    let fence = b.take_map(7, "A").unwrap();
    let claims = seed_claimed_by_a(b.as_mut(), N);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut other = Connector::new(config.backend.clone()).connect().expect("a second connection");
    let positions = {
        let (stop, claims) = (stop.clone(), claims.clone());
        std::thread::spawn(move || {
            let mut writes = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let moved: Vec<PositionUpdate> = (1..=N)
                    .map(|id| {
                        let (pos, claim) = (Position { x: writes, y: 1 }, claims[id as usize - 1]);
                        PositionUpdate { player: id, map: 7, pos, claim }
                    })
                    .collect();
                other.write_positions_fenced(Some(fence), &moved).expect("a position write");
                writes += 1;
                // A breath between writes: back to back, this connection would take SQLite's
                // database lock again the moment it let go, and starve the group writes past
                // their busy timeout on a loaded machine (the shard writes positions once a
                // second). The writes still overlap the groups' transactions all the time.
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            writes
        })
    };
    let descending = |n: i64| -> Vec<PlayerSave> {
        (1..=N)
            .rev()
            .map(|id| PlayerSave {
                player: player(id, 7),
                seq: SaveSeq { claim: claims[id as usize - 1], n },
            })
            .collect()
    };
    for n in 1..=ROUNDS {
        assert_eq!(b.save_players_seq(&[fence], &descending(n)).expect("a merged save"), N as usize);
    }
    let burst: Vec<HandOff> = (1..=N)
        .rev()
        .map(|id| {
            let mut h = plain(id, "A", claims[id as usize - 1], &id.to_le_bytes(), "B", 1_000);
            h.save.seq.n = ROUNDS + 1;
            h.fence = Some(fence);
            h
        })
        .collect();
    let results = b.hand_offs(&burst.iter().collect::<Vec<_>>()).expect("the burst of hand-offs");
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(positions.join().expect("the position writer") > 0);
    assert!((1..=N).all(|id| b.live_owner(id).unwrap().unwrap().shard.is_none()), "all handed off");
}

/// The source's position write for a character it is handing off, racing the hand-off (it starts
/// while the hand-off's transaction is open, so it waits for its locks), never puts the
/// character back on the map it left: once the hand-off commits, the character is not live on
/// the map's owner any more and the position does not apply. (Under PostgreSQL's read committed,
/// re-checking only the position row after the wait would apply it.)
fn a_racing_position_write_never_undoes_a_hand_off(config: store::StoreConfig) {
    let faults = Faults::default();
    let plain_connector = Connector::new(config.backend.clone());
    let mut b = open(&Connector::new(config.backend.clone()).with_faults(faults.clone()));
    seed(b.as_mut(), 1, 7);
    let fence = b.take_map(7, "A").unwrap();
    let claim = claimed(b.claim_player(1, "A").unwrap());
    let racer = std::sync::Arc::new(std::sync::Mutex::new(None));
    let slot = racer.clone();
    faults.set(move |point| {
        if point == store::FaultPoint::OwnerCommit && slot.lock().unwrap().is_none() {
            let mut other = plain_connector.connect().expect("a second connection");
            let update = PositionUpdate { player: 1, map: 7, pos: Position { x: 9, y: 9 }, claim };
            let race = std::thread::spawn(move || other.write_positions_fenced(Some(fence), &[update]));
            *slot.lock().unwrap() = Some(race);
            std::thread::sleep(Duration::from_millis(300)); // the racer runs into the locks
        }
        Ok(())
    });
    let mut h = plain(1, "A", claim, b"race", "B", 1_000);
    h.fence = Some(fence);
    b.hand_off(&h).unwrap();
    faults.clear();
    let race = racer.lock().unwrap().take().expect("the racing write ran");
    assert_eq!(race.join().unwrap(), Ok(0), "the racing position did not apply");
    let stored = b.load_player(1).unwrap().unwrap().player;
    assert_eq!((stored.map, stored.pos), (8, h.save.player.pos), "where the hand-off put it");
}

fn prune_removes_expired_tokens(c: &Connector) {
    let mut b = open(c);
    seed(b.as_mut(), 1, 7);
    seed(b.as_mut(), 2, 7);
    let a1 = claimed(b.claim_player(1, "A").unwrap());
    b.hand_off(&plain(1, "A", a1, b"accepted", "B", 1_000)).unwrap();
    let Acceptance::Accepted { claim: b1, .. } = b.accept_handoff(b"accepted", "B", 10).unwrap() else {
        panic!("accept refused")
    };
    b.hand_off(&plain(1, "B", b1, b"cancelled", "C", 1_000)).unwrap();
    let Cancellation::Reclaimed { claim: b1 } = b.cancel_handoff(b"cancelled", "B").unwrap() else {
        panic!("cancel refused")
    };
    b.hand_off(&plain(1, "B", b1, b"expiring", "C", 100)).unwrap();
    let a2 = claimed(b.claim_player(2, "A").unwrap());
    b.hand_off(&plain(2, "A", a2, b"pending", "B", 1_000)).unwrap();
    assert_eq!(b.prune_handoffs(100).unwrap(), 0, "nothing expired before 100");
    assert_eq!(
        b.accept_handoff(b"accepted", "B", 10).unwrap(),
        Acceptance::Refused(Refusal::Used),
        "kept while alive"
    );
    assert_eq!(b.prune_handoffs(101).unwrap(), 1, "expired before 101");
    assert_eq!(b.prune_handoffs(101).unwrap(), 0);
    assert_eq!(b.cancel_handoff(b"expiring", "B").unwrap(), Cancellation::Refused(Refusal::Unknown));
    assert!(matches!(b.accept_handoff(b"pending", "B", 10).unwrap(), Acceptance::Accepted { .. }));
    assert_eq!(
        b.prune_handoffs(1_001).unwrap(),
        3,
        "the accepted, the cancelled and the used one, once expired"
    );
    assert_eq!(b.accept_handoff(b"accepted", "B", 10).unwrap(), Acceptance::Refused(Refusal::Unknown));
}

/// A position taken under an earlier claim of the character never applies, even on the shard
/// that holds its map and has it live again (a move between two maps of one shard, or a hand-off
/// out and back): the write names its claim, and only the live claim's positions land.
fn a_position_from_an_earlier_claim_never_applies(c: &Connector) {
    let mut b = open(c);
    seed(b.as_mut(), 1, 7);
    let fence = b.take_map(7, "A").unwrap();
    let first = claimed(b.claim_player(1, "A").unwrap());
    assert!(b.release_player(1, "A").unwrap());
    let again = claimed(b.claim_player(1, "A").unwrap());
    assert_ne!(first, again);
    let at = |x: i32, claim: i64| PositionUpdate { player: 1, map: 7, pos: Position { x, y: 1 }, claim };
    assert_eq!(b.write_positions_fenced(Some(fence), &[at(5, first)]).unwrap(), 0, "the earlier claim's");
    assert_eq!(b.load_player(1).unwrap().unwrap().player.pos, Position { x: 256, y: 512 });
    assert_eq!(b.write_positions_fenced(Some(fence), &[at(6, again)]).unwrap(), 1, "the live claim's");
    assert_eq!(b.load_player(1).unwrap().unwrap().player.pos, Position { x: 6, y: 1 });
}

common::on_both_backends!(
    connector: [
        a_position_from_an_earlier_claim_never_applies,
        fenced_writes_commit_nothing,
        older_saves_change_nothing,
        handoff_is_accepted_once,
        refused_handoffs_change_nothing,
        crash_at_any_handoff_step_keeps_all_or_nothing,
        take_map_waits_for_fenced_writes_in_flight,
        racing_claims_and_accepts_have_one_winner,
        retried_handoff_accept_and_cancel_are_idempotent,
        prune_removes_expired_tokens,
        handoffs_commit_together_and_fail_alone,
        handoff_groups_answer_as_one_by_one,
        accept_batches_answer_as_one_by_one,
        a_batch_of_accepts_loads_each_character_whole,
    ]
    config: [
        writer_fails_fenced_writes_for_good,
        a_racing_position_write_never_undoes_a_hand_off,
        group_writes_racing_positions_never_deadlock,
    ]
);
