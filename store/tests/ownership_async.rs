//! The ownership entry points of the tick on both backends: claims, accepts, cancels, map fences
//! and pruning through the [`store::Loader`], hand-offs and releases through the ordered
//! [`store::Writer`] (in order with the writes queued before them, a refusal failing only its
//! ticket), and retries after a connection lost right after a commit answered as the first try.

mod common;

use common::owned::{count_of, player, seed, set_count};

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use store::{
    Acceptance, Backend, Cancellation, Claim, FaultPoint, Faults, HandOff, HandoffToken, ItemTx, LoginLoad,
    PlayerRecord, PlayerSave, Refusal, SaveSeq, Store, StoreConfig, StoreError,
};

const WAIT: Duration = Duration::from_secs(30);

fn hand_off(from: &str, claim: i64, n: i64, token: &[u8], to: &str, items: Vec<ItemTx>) -> HandOff {
    HandOff {
        from_shard: from.into(),
        fence: None,
        save: PlayerSave { player: PlayerRecord { health: 77, ..player(1, 8) }, seq: SaveSeq { claim, n } },
        items,
        token_hash: token.to_vec(),
        to_shard: to.into(),
        to_map: 8,
        expires_ms: 1_000,
    }
}

/// Opens a store on `config` and seeds player 1 on map 7; returns it with a blocking connection.
fn open(config: StoreConfig) -> (Store, Box<dyn Backend>) {
    let store = Store::open(config).expect("open store");
    let mut b = store.connect().expect("connect");
    seed(b.as_mut(), 1, 7);
    (store, b)
}

fn claim(store: &Store, shard: &str) -> i64 {
    match store.loader().claim_player(1, shard).unwrap().wait(WAIT).unwrap() {
        Claim::Claimed { claim, .. } => claim,
        other => panic!("expected a claim, got {other:?}"),
    }
}

fn loader_answers_ownership_requests(config: StoreConfig) {
    let (store, mut b) = open(config);
    let l = store.loader();
    let a = claim(&store, "A");
    assert_eq!(claim(&store, "A"), a, "claiming again keeps the claim");
    let live_on_a = Claim::LiveOn { shard: "A".into() };
    assert_eq!(l.claim_player(1, "B").unwrap().wait(WAIT), Ok(live_on_a.clone()));
    assert_eq!(l.claim_player_from(1, "B", "C").unwrap().wait(WAIT), Ok(live_on_a));
    let taken = l.claim_player_from(1, "B", "A").unwrap().wait(WAIT);
    assert!(matches!(taken, Ok(Claim::Claimed { claim, .. }) if claim == a + 1), "{taken:?}");
    assert_eq!(l.claim_player(99, "B").unwrap().wait(WAIT), Err(StoreError::UnknownPlayer(99)));
    let owner = l.live_owner(1).unwrap().wait(WAIT).unwrap().unwrap();
    assert_eq!((owner.shard.as_deref(), owner.claim), (Some("B"), a + 1));
    assert_eq!(l.live_owner(99).unwrap().wait(WAIT), Ok(None));
    assert_eq!(l.take_map(7, "A").unwrap().wait(WAIT).unwrap().epoch, 1);
    let fence = l.take_map(7, "B").unwrap().wait(WAIT).unwrap();
    assert_eq!(fence, store::Fence { map: 7, epoch: 2 });
    assert_eq!(b.map_owner(7).unwrap().unwrap().shard, "B");
    // Hand-off through the writer, accepted through the loader; a new request is a replay.
    let w = store.writer();
    w.hand_off(hand_off("B", a + 1, 1, b"t1", "C", vec![])).unwrap().wait(WAIT).unwrap();
    let accept = || l.accept_handoff(b"t1".to_vec(), "C", 10).unwrap().wait(WAIT).unwrap();
    let Acceptance::Accepted { load, claim: c } = accept() else { panic!("accept refused") };
    assert_eq!((load.player.map, load.player.health, c), (8, 77, a + 2));
    assert_eq!(accept(), Acceptance::Refused(Refusal::Used), "a replayed token is refused");
    let forged = l.accept_handoff(b"forged".to_vec(), "C", 10).unwrap().wait(WAIT);
    assert_eq!(forged, Ok(Acceptance::Refused(Refusal::Unknown)));
    // Hand-off cancelled by its source through the loader.
    w.hand_off(hand_off("C", c, 1, b"t2", "A", vec![])).unwrap().wait(WAIT).unwrap();
    let cancel = |source: &str| l.cancel_handoff(b"t2".to_vec(), source).unwrap().wait(WAIT).unwrap();
    assert_eq!(cancel("A"), Cancellation::Refused(Refusal::OtherShard { named: "C".into() }));
    assert_eq!(cancel("C"), Cancellation::Reclaimed { claim: c + 1 });
    assert_eq!(cancel("C"), Cancellation::Refused(Refusal::Cancelled), "a second cancel is refused");
    // Released through the writer (after a save queued first); releasing again is harmless.
    let save = PlayerSave {
        player: PlayerRecord { health: 5, ..player(1, 8) },
        seq: SaveSeq { claim: c + 1, n: 1 },
    };
    let saved = w.save_players_seq(None, vec![save]).unwrap();
    let released = w.release_player(1, "C".into()).unwrap();
    assert_eq!((saved.wait(WAIT), released.wait(WAIT)), (Ok(()), Ok(())));
    assert_eq!(w.release_player(1, "C".into()).unwrap().wait(WAIT), Ok(()));
    let owner = b.live_owner(1).unwrap().unwrap();
    assert_eq!((owner.shard, owner.saved), (None, SaveSeq { claim: c + 1, n: 1 }));
    assert_eq!(b.load_player(1).unwrap().unwrap().player.health, 5);
    assert_eq!(l.prune_handoffs(0).unwrap().wait(WAIT), Ok(0), "none expired yet");
    assert_eq!(l.prune_handoffs(i64::MAX).unwrap().wait(WAIT), Ok(2), "the accepted and the cancelled token");
    assert_eq!(l.prune_handoffs(i64::MAX).unwrap().wait(WAIT), Ok(0));
    store.shutdown(WAIT);
}

/// A hand-off queued after item transactions of the same character commits after them; the
/// ones queued after it commit after it.
fn writer_hand_off_commits_in_order(config: StoreConfig) {
    let (store, mut b) = open(config);
    let a = claim(&store, "A");
    let w = store.writer();
    let before = [w.item_tx(set_count(10, 3)).unwrap(), w.item_tx(set_count(11, 3)).unwrap()];
    let h = w.hand_off(hand_off("A", a, 1, b"t", "B", vec![set_count(10, 4)])).unwrap();
    let after = w.item_tx(set_count(10, 1)).unwrap();
    for t in before.iter().chain([&h]) {
        assert_eq!(t.wait(WAIT), Ok(()));
    }
    // Before `after` lands the hand-off's own item change is what the new shard loads.
    let accepted = store.loader().accept_handoff(b"t".to_vec(), "B", 10).unwrap().wait(WAIT).unwrap();
    assert_eq!(after.wait(WAIT), Ok(()));
    let Acceptance::Accepted { load, .. } = accepted else { panic!("accept refused: {accepted:?}") };
    assert_eq!(load.player.health, 77);
    let counts: Vec<(i64, u32)> = load.items.iter().map(|i| (i.id, i.count)).collect();
    assert!(counts == [(10, 4), (11, 3)] || counts == [(10, 1), (11, 3)], "{counts:?}");
    assert_eq!((count_of(b.as_mut(), 10), count_of(b.as_mut(), 11)), (1, 3));
    let stats = w.stats();
    assert_eq!((stats.handoffs, stats.handoffs_refused, stats.item_txs_ok), (1, 0, 3));
    store.shutdown(WAIT);
}

/// Refused hand-offs (not the owner, a stale fence, a save on another map) fail only their tickets:
/// the writes around them in the same batch commit.
fn refused_hand_off_fails_only_its_ticket(config: StoreConfig) {
    let (store, mut b) = open(config);
    let a = claim(&store, "A");
    let old = b.take_map(7, "A").unwrap();
    b.take_map(7, "B").unwrap();
    let w = store.writer();
    let t1 = w.item_tx(set_count(10, 2)).unwrap();
    let not_owner = w.hand_off(hand_off("B", a, 1, b"x", "C", vec![set_count(11, 9)])).unwrap();
    let fenced = w.hand_off(HandOff { fence: Some(old), ..hand_off("A", a, 1, b"y", "B", vec![]) }).unwrap();
    let elsewhere = w.hand_off(HandOff { to_map: 9, ..hand_off("A", a, 1, b"z", "B", vec![]) }).unwrap();
    let t2 = w.item_tx(set_count(11, 2)).unwrap();
    let ok = w.hand_off(hand_off("A", a, 1, b"t", "B", vec![])).unwrap();
    assert_eq!(t1.wait(WAIT), Ok(()));
    assert_eq!(not_owner.wait(WAIT), Err(StoreError::NotOwner { player: 1, live: Some("A".into()) }));
    assert!(matches!(fenced.wait(WAIT), Err(StoreError::Fenced { map: 7, held: 1, current: 2 })));
    assert!(matches!(elsewhere.wait(WAIT), Err(StoreError::Rejected(_))));
    assert_eq!((t2.wait(WAIT), ok.wait(WAIT)), (Ok(()), Ok(())));
    assert_eq!((count_of(b.as_mut(), 10), count_of(b.as_mut(), 11)), (2, 2), "no refused item change");
    for token in [b"x", b"y", b"z"] {
        assert_eq!(b.accept_handoff(token, "B", 10).unwrap(), Acceptance::Refused(Refusal::Unknown));
    }
    assert!(matches!(b.accept_handoff(b"t", "B", 10).unwrap(), Acceptance::Accepted { .. }));
    let stats = w.stats();
    assert_eq!((stats.handoffs, stats.handoffs_refused, stats.fenced), (1, 3, 1));
    let failures: Vec<_> = w.failures().try_iter().map(|f| f.error).collect();
    assert_eq!(failures.len(), 3, "{failures:?}");
    store.shutdown(WAIT);
}

/// Fails the first `n` passes of `point` after it is armed with a lost connection.
fn lose_connection_after(faults: &Faults, point: FaultPoint, n: usize) -> Arc<AtomicUsize> {
    let lost = Arc::new(AtomicUsize::new(0));
    let seen = lost.clone();
    faults.set(move |p| {
        if p == point && seen.fetch_add(1, Ordering::SeqCst) < n {
            return Err(StoreError::Unavailable("connection lost after commit".into()));
        }
        Ok(())
    });
    lost
}

/// A connection lost right after the commit of a hand-off, an accept or a cancel: the retry of
/// the writer (loader) finds it committed and answers as the first try, with one token and one
/// claim.
fn retry_after_lost_commit_is_answered_once(mut config: StoreConfig) {
    let faults = Faults::default();
    config.faults = faults.clone();
    let (store, mut b) = open(config);
    let (w, l) = (store.writer(), store.loader());
    let a = claim(&store, "A");
    let lost = lose_connection_after(&faults, FaultPoint::OwnerCommitted, 1);
    let h = w.hand_off(hand_off("A", a, 1, b"t", "B", vec![set_count(11, 4)])).unwrap();
    assert_eq!(h.wait(WAIT), Ok(()), "the retry finds the hand-off committed");
    assert!(lost.load(Ordering::SeqCst) >= 2, "the hand-off was retried");
    let stats = w.stats();
    assert_eq!((stats.handoffs, stats.handoffs_refused), (1, 0));
    assert!(stats.retries >= 1);
    faults.clear();
    assert!(w.failures().try_recv().is_err(), "no failure reported");
    assert_eq!(count_of(b.as_mut(), 11), 4);
    assert_eq!(b.live_owner(1).unwrap().unwrap().shard, None);
    // The accept's answer is lost: the loader's retry is answered Accepted, claimed once.
    let lost = lose_connection_after(&faults, FaultPoint::OwnerCommitted, 1);
    let accepted = l.accept_handoff(b"t".to_vec(), "B", 10).unwrap().wait(WAIT).unwrap();
    assert!(lost.load(Ordering::SeqCst) >= 2, "the accept was retried");
    faults.clear();
    let Acceptance::Accepted { claim: bc, load } = accepted else { panic!("accept refused: {accepted:?}") };
    assert_eq!((bc, load.player.health), (a + 1, 77));
    assert_eq!(b.live_owner(1).unwrap().unwrap().claim, a + 1);
    // The same for a cancel.
    w.hand_off(hand_off("B", bc, 1, b"u", "C", vec![])).unwrap().wait(WAIT).unwrap();
    let lost = lose_connection_after(&faults, FaultPoint::OwnerCommitted, 1);
    let cancelled = l.cancel_handoff(b"u".to_vec(), "B").unwrap().wait(WAIT);
    assert!(lost.load(Ordering::SeqCst) >= 2, "the cancel was retried");
    faults.clear();
    assert_eq!(cancelled, Ok(Cancellation::Reclaimed { claim: bc + 1 }));
    let owner = b.live_owner(1).unwrap().unwrap();
    assert_eq!((owner.shard.as_deref(), owner.claim), (Some("B"), bc + 1));
    assert_eq!(b.prune_handoffs(i64::MAX).unwrap(), 2, "one token per hand-off");
    store.shutdown(WAIT);
}

/// A login's first request: without a token, or with a token no hand-off has, the player by
/// name (the token's answer kept); with a hand-off token for this shard, the acceptance alone.
fn login_tries_the_token_then_loads_by_name(config: StoreConfig) {
    let (store, _b) = open(config);
    let (l, w) = (store.loader(), store.writer());
    let token = |hash: &[u8], shard: &str| {
        Some(HandoffToken { hash: hash.to_vec(), shard: shard.into(), now_ms: 10 })
    };
    let login = |name: &str, t| l.login(name, t).unwrap().wait(WAIT).unwrap();
    let LoginLoad::ByName { load: Ok(Some(load)), handoff: None } = login("p1", None) else {
        panic!("no token: the load by name alone")
    };
    assert_eq!(load.player.id, 1);
    let LoginLoad::ByName { load: Ok(None), handoff: Some(Ok(refused)) } = login("nobody", token(b"x", "B"))
    else {
        panic!("an unknown name with a token no hand-off has")
    };
    assert_eq!(refused, Acceptance::Refused(Refusal::Unknown));
    let a = claim(&store, "A");
    w.hand_off(hand_off("A", a, 1, b"t", "B", vec![])).unwrap().wait(WAIT).unwrap();
    let LoginLoad::ByName { load: Ok(Some(_)), handoff: Some(Ok(other)) } = login("p1", token(b"t", "C"))
    else {
        panic!("a token for another shard: refused, and the load by name")
    };
    assert_eq!(other, Acceptance::Refused(Refusal::OtherShard { named: "B".into() }));
    let LoginLoad::HandedOff(Acceptance::Accepted { load, claim: c }) = login("p1", token(b"t", "B")) else {
        panic!("the hand-off token for this shard is accepted")
    };
    assert_eq!((load.player.map, load.player.health, c), (8, 77, a + 1));
    let LoginLoad::ByName { handoff: Some(Ok(replayed)), .. } = login("p1", token(b"t", "B")) else {
        panic!("a replay falls back to the load by name")
    };
    assert_eq!(replayed, Acceptance::Refused(Refusal::Used));
    store.shutdown(WAIT);
}

/// A burst of logins submitted at once (the loader serves the ones queued together in one
/// request, their tokens in one transaction) is answered login by login as one at a time would
/// be: each hand-off token accepted once, the same token twice used by the first, a name without
/// a token loaded by name.
fn a_burst_of_logins_is_answered_login_by_login(config: StoreConfig) {
    let (store, mut b) = open(config);
    let (l, w) = (store.loader(), store.writer());
    const N: i64 = 40;
    for id in 2..=N {
        seed(b.as_mut(), id, 7);
    }
    for id in 1..=N {
        let a = match l.claim_player(id, "A").unwrap().wait(WAIT).unwrap() {
            Claim::Claimed { claim, .. } => claim,
            other => panic!("{other:?}"),
        };
        let mut h = hand_off("A", a, 1, &id.to_le_bytes(), "B", vec![]);
        h.save.player = PlayerRecord { id, name: format!("p{id}"), ..h.save.player };
        w.hand_off(h).unwrap().wait(WAIT).unwrap();
    }
    let token =
        |id: i64| Some(HandoffToken { hash: id.to_le_bytes().to_vec(), shard: "B".into(), now_ms: 10 });
    let mut logins: Vec<_> = (1..=N).map(|id| l.login(&format!("p{id}"), token(id)).unwrap()).collect();
    logins.push(l.login("p1", token(1)).unwrap());
    logins.push(l.login("p2", None).unwrap());
    let answers: Vec<LoginLoad> = logins.into_iter().map(|p| p.wait(WAIT).unwrap()).collect();
    let mut accepted: Vec<i64> = Vec::new();
    for answer in &answers[..N as usize + 1] {
        match answer {
            LoginLoad::HandedOff(Acceptance::Accepted { load, .. }) => accepted.push(load.player.id),
            LoginLoad::ByName {
                handoff: Some(Ok(Acceptance::Refused(Refusal::Used))),
                load: Ok(Some(load)),
            } => {
                assert_eq!(load.player.id, 1, "only player 1's token is presented twice");
            }
            other => panic!("unexpected answer {other:?}"),
        }
    }
    accepted.sort_unstable();
    assert_eq!(accepted, (1..=N).collect::<Vec<_>>(), "every token accepted exactly once");
    assert!(matches!(&answers[N as usize + 1], LoginLoad::ByName { load: Ok(Some(_)), handoff: None }));
    for id in 1..=N {
        assert_eq!(b.live_owner(id).unwrap().unwrap().shard.as_deref(), Some("B"));
    }
    store.shutdown(WAIT);
}

common::on_both_backends!(
    config: [
        login_tries_the_token_then_loads_by_name,
        a_burst_of_logins_is_answered_login_by_login,
        loader_answers_ownership_requests,
        writer_hand_off_commits_in_order,
        refused_hand_off_fails_only_its_ticket,
        retry_after_lost_commit_is_answered_once,
    ]
);
