//! Property test of ownership on both backends: random interleavings of `take_map`, fenced chunk
//! saves and item transactions, sequenced saves, claims, hand-offs, accepts and cancels from two
//! simulated shards, each outcome checked against a model that predicts it, and after every step
//! the database equal to the model: at most one live owner per character, every item stored
//! once, and no write of a fenced epoch or an older save visible.
//!
//! `STORE_PROP_CASES` sets the number of cases per backend (default 16).

mod common;

use std::collections::HashMap;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use store::{
    Acceptance, Backend, Cancellation, ChunkKey, ChunkRecord, ChunkSave, Claim, Connector, Container,
    Created, Fence, HandOff, ItemOp, ItemRecord, ItemTx, PlayerRecord, PlayerSave, Position, Refusal,
    SaveSeq, StoreError,
};

const SHARDS: [&str; 2] = ["A", "B"];
const MAPS: [u32; 2] = [1, 2];
const PLAYERS: [i64; 2] = [1, 2];
const NOW: i64 = 100;

fn cases() -> u32 {
    std::env::var("STORE_PROP_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(16)
}

/// What the model knows of a character.
#[derive(Debug, Clone, PartialEq)]
struct Char {
    live: Option<&'static str>,
    claim: i64,
    saved: SaveSeq,
    map: u32,
    health: i32,
    /// Slot of each of its two items.
    slots: [u32; 2],
}

#[derive(Debug, Clone)]
struct Token {
    hash: Vec<u8>,
    player: i64,
    from: &'static str,
    to: &'static str,
    expires: i64,
    state: u8, // 0 pending, 1 used, 2 cancelled
    /// The claim the accept or cancel gave (0 while pending).
    claim: i64,
}

#[derive(Debug, Default)]
struct Model {
    epoch: HashMap<u32, i64>,
    /// The epoch each shard believes it holds, by map.
    held: HashMap<(&'static str, u32), i64>,
    chars: HashMap<i64, Char>,
    /// The claim a shard believes it holds of a character, and its last save number.
    claims: HashMap<(&'static str, i64), (i64, i64)>,
    chunks: HashMap<u32, u8>,
    tokens: Vec<Token>,
}

impl Model {
    fn fence(&self, shard: &'static str, map: u32) -> Option<Fence> {
        self.held.get(&(shard, map)).map(|&epoch| Fence { map, epoch })
    }

    fn stale(&self, fence: Option<Fence>) -> bool {
        fence.is_some_and(|f| self.epoch.get(&f.map) != Some(&f.epoch))
    }

    fn next_seq(&mut self, shard: &'static str, player: i64) -> Option<SaveSeq> {
        let (claim, n) = self.claims.get_mut(&(shard, player))?;
        *n += 1;
        Some(SaveSeq { claim: *claim, n: *n })
    }

    /// Whether a save of `seq` applies now.
    fn applies(&self, player: i64, seq: SaveSeq) -> bool {
        let c = &self.chars[&player];
        c.claim == seq.claim && c.saved < seq
    }

    fn token_refusal(&self, t: &Token) -> Option<Refusal> {
        match t.state {
            1 => Some(Refusal::Used),
            2 => Some(Refusal::Cancelled),
            _ => None,
        }
    }
}

fn record(id: i64, c: &Char) -> PlayerRecord {
    PlayerRecord {
        id,
        name: format!("p{id}"),
        token_hash: vec![1; 32],
        map: c.map,
        pos: Position { x: 0, y: 0 },
        health: c.health,
        ..PlayerRecord::default()
    }
}

fn seed(b: &mut dyn Backend, m: &mut Model) {
    for id in PLAYERS {
        let c = Char { live: None, claim: 0, saved: SaveSeq::default(), map: 1, health: 100, slots: [0, 1] };
        let put = |n: i64| {
            let container = Container::Player(id);
            ItemOp::Put(ItemRecord {
                id: 10 * id + n,
                kind: 1,
                quality: 0,
                count: 5,
                container,
                slot: n as u32,
            })
        };
        let kit = ItemTx::new("kit", vec![put(0), put(1)]);
        assert_eq!(b.create_player(&record(id, &c), &kit).unwrap(), Created::New);
        m.chars.insert(id, c);
    }
}

type Step = (u8, u8, u8, u8);

fn check<T: std::fmt::Debug + PartialEq>(what: &str, got: T, want: T) -> Result<(), TestCaseError> {
    prop_assert_eq!(&got, &want, "{}", what);
    Ok(())
}

fn fenced(r: &Result<impl std::fmt::Debug, StoreError>) -> bool {
    matches!(r, Err(StoreError::Fenced { .. }))
}

/// Runs one step on the database and the model, checking the outcome the model predicts.
fn step(b: &mut dyn Backend, m: &mut Model, i: usize, (action, x, y, z): Step) -> Result<(), TestCaseError> {
    let shard = SHARDS[usize::from(x) % 2];
    let other = SHARDS[1 - usize::from(x) % 2];
    let map = MAPS[usize::from(y) % 2];
    let player = PLAYERS[usize::from(z) % 2];
    match action % 8 {
        0 => {
            let f = b.take_map(map, shard).unwrap();
            let e = m.epoch.entry(map).or_insert(0);
            *e += 1;
            check("epoch", f.epoch, *e)?;
            m.held.insert((shard, map), f.epoch);
        }
        1 => {
            let Some(fence) = m.fence(shard, map) else { return Ok(()) };
            let key = ChunkKey { map, cx: 0, cy: 0 };
            let save = ChunkSave {
                key,
                chunk: Some(ChunkRecord { key, version: 1, data: vec![i as u8] }),
                objects: vec![],
            };
            let r = b.save_chunks_fenced(&[fence], &[save]);
            check("chunk save fenced", fenced(&r), m.stale(Some(fence)))?;
            if r.is_ok() {
                m.chunks.insert(map, i as u8);
            }
        }
        2 => {
            let fence = m.fence(shard, map);
            let slot = u32::from(y) + 10;
            let tx = ItemTx::new(
                "move",
                vec![ItemOp::Move { id: 10 * player, to: Container::Player(player), slot }],
            );
            let tx = match fence {
                Some(f) => tx.fenced(f),
                None => tx,
            };
            let r = b.apply_item_tx(&tx);
            check("item tx fenced", fenced(&r), m.stale(fence))?;
            if r.is_ok() {
                m.chars.get_mut(&player).unwrap().slots[0] = slot;
            }
        }
        3 => {
            let Some(seq) = m.next_seq(shard, player) else { return Ok(()) };
            let fence = if y % 2 == 0 { m.fence(shard, m.chars[&player].map) } else { None };
            let mut c = m.chars[&player].clone();
            c.health = i as i32;
            let r = b.save_players_seq(fence.as_slice(), &[PlayerSave { player: record(player, &c), seq }]);
            check("save fenced", fenced(&r), m.stale(fence))?;
            if let Ok(n) = r {
                let applies = m.applies(player, seq);
                check("save applied", n, usize::from(applies))?;
                if applies {
                    let ch = m.chars.get_mut(&player).unwrap();
                    (ch.health, ch.saved) = (c.health, seq);
                }
            }
        }
        4 => {
            let dead = (y % 2 == 0).then_some(other);
            let got = b.claim_player_from(player, shard, dead).unwrap();
            let c = m.chars.get_mut(&player).unwrap();
            let want = match c.live {
                Some(s) if s == shard => Claim::Claimed { claim: c.claim, saved: c.saved },
                Some(s) if Some(s) != dead => Claim::LiveOn { shard: s.into() },
                _ => {
                    c.claim += 1;
                    c.live = Some(shard);
                    Claim::Claimed { claim: c.claim, saved: c.saved }
                }
            };
            check("claim", &got, &want)?;
            if let Claim::Claimed { claim, .. } = got {
                let known = m.claims.entry((shard, player)).or_insert((claim, 0));
                if known.0 != claim {
                    *known = (claim, 0);
                }
            }
        }
        5 => {
            let Some(seq) = m.next_seq(shard, player) else { return Ok(()) };
            let hash = vec![i as u8, 0xAA];
            let expires = if z % 3 == 0 { NOW - 1 } else { NOW + 1 };
            let mut c = m.chars[&player].clone();
            c.map = map;
            c.health = 1000 + i as i32;
            let slot = u32::from(x) + 20;
            let items = vec![ItemTx::new(
                "bag",
                vec![ItemOp::Move { id: 10 * player + 1, to: Container::Player(player), slot }],
            )];
            let h = HandOff {
                from_shard: shard.into(),
                fence: None,
                save: PlayerSave { player: record(player, &c), seq },
                items,
                token_hash: hash.clone(),
                to_shard: other.into(),
                to_map: map,
                expires_ms: expires,
            };
            let r = b.hand_off(&h);
            let cur = &m.chars[&player];
            let ok = cur.live == Some(shard) && cur.claim == seq.claim && m.applies(player, seq);
            check("hand-off ok", r.is_ok(), ok)?;
            if ok {
                let ch = m.chars.get_mut(&player).unwrap();
                (ch.live, ch.saved, ch.map, ch.health, ch.slots[1]) = (None, seq, map, c.health, slot);
                m.tokens.push(Token { hash, player, from: shard, to: other, expires, state: 0, claim: 0 });
            }
        }
        6 | 7 => {
            let accept = action % 8 == 6;
            let t = if m.tokens.is_empty() { None } else { Some(usize::from(y) % (m.tokens.len() + 1)) };
            let Some(k) = t.filter(|&k| k < m.tokens.len()) else {
                let got = if accept {
                    format!("{:?}", b.accept_handoff(b"forged", shard, NOW).unwrap())
                } else {
                    format!("{:?}", b.cancel_handoff(b"forged", shard).unwrap())
                };
                return check("forged", got.contains("Unknown"), true);
            };
            let tok = m.tokens[k].clone();
            let live = m.chars[&tok.player].live;
            // The same accept (cancel) again while its claim holds: answered as the first time.
            let named = if accept { tok.to } else { tok.from };
            let done = if accept { 1 } else { 2 };
            if tok.state == done
                && named == shard
                && live == Some(shard)
                && m.chars[&tok.player].claim == tok.claim
            {
                let got = if accept {
                    match b.accept_handoff_again(&tok.hash, shard, NOW).unwrap() {
                        Acceptance::Accepted { claim, .. } => Some(claim),
                        _ => None,
                    }
                } else {
                    match b.cancel_handoff_again(&tok.hash, shard).unwrap() {
                        Cancellation::Reclaimed { claim } => Some(claim),
                        _ => None,
                    }
                };
                return check("repeated accept/cancel", got, Some(tok.claim));
            }
            let refusal = m.token_refusal(&tok).or_else(|| {
                let named = if accept { tok.to } else { tok.from };
                if named != shard {
                    Some(Refusal::OtherShard { named: named.into() })
                } else if accept && NOW > tok.expires {
                    Some(Refusal::Expired)
                } else {
                    live.map(|s| Refusal::StillLive { shard: s.into() })
                }
            });
            let c = m.chars.get_mut(&tok.player).unwrap();
            if accept {
                let got = b.accept_handoff(&tok.hash, shard, NOW).unwrap();
                match (got, refusal) {
                    (Acceptance::Refused(r), Some(want)) => check("accept refusal", r, want)?,
                    (Acceptance::Accepted { load, claim }, None) => {
                        c.claim += 1;
                        check("accept claim", claim, c.claim)?;
                        check("accepted map", load.player.map, c.map)?;
                        check("accepted items", load.items.len(), 2)?;
                        c.live = Some(shard);
                        (m.tokens[k].state, m.tokens[k].claim) = (1, claim);
                        m.claims.insert((shard, tok.player), (claim, 0));
                    }
                    (got, want) => prop_assert!(false, "accept: got {:?}, model {:?}", got, want),
                }
            } else {
                let got = b.cancel_handoff(&tok.hash, shard).unwrap();
                match (got, refusal) {
                    (Cancellation::Refused(r), Some(want)) => check("cancel refusal", r, want)?,
                    (Cancellation::Reclaimed { claim }, None) => {
                        c.claim += 1;
                        check("cancel claim", claim, c.claim)?;
                        c.live = Some(shard);
                        (m.tokens[k].state, m.tokens[k].claim) = (2, claim);
                        m.claims.insert((shard, tok.player), (claim, 0));
                    }
                    (got, want) => prop_assert!(false, "cancel: got {:?}, model {:?}", got, want),
                }
            }
        }
        _ => unreachable!(),
    }
    Ok(())
}

/// The database equals the model.
fn same_world(b: &mut dyn Backend, m: &Model) -> Result<(), TestCaseError> {
    let mut total = 0;
    for id in PLAYERS {
        let c = &m.chars[&id];
        let live = b.live_owner(id).unwrap().unwrap();
        check("live shard", live.shard.as_deref(), c.live)?;
        check("claim", live.claim, c.claim)?;
        check("saved", live.saved, c.saved)?;
        let load = b.load_player(id).unwrap().unwrap();
        check("health", load.player.health, c.health)?;
        check("map", load.player.map, c.map)?;
        let mut slots: Vec<(i64, u32)> = load.items.iter().map(|i| (i.id, i.slot)).collect();
        slots.sort();
        check("items", slots, vec![(10 * id, c.slots[0]), (10 * id + 1, c.slots[1])])?;
        total += load.items.iter().map(|i| i.count).sum::<u32>();
    }
    check("item total", total, 20)?;
    for map in MAPS {
        let stored = b.load_chunk(ChunkKey { map, cx: 0, cy: 0 }).unwrap().chunk.map(|c| c.data[0]);
        check("chunk", stored, m.chunks.get(&map).copied())?;
        check("epoch", b.map_owner(map).unwrap().map(|o| o.epoch), m.epoch.get(&map).copied())?;
    }
    Ok(())
}

fn run(reset: &dyn Fn() -> Box<dyn Backend>) {
    let steps = prop::collection::vec((any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>()), 1..60);
    let mut runner =
        TestRunner::new(Config { cases: cases(), failure_persistence: None, ..Config::default() });
    runner
        .run(&steps, |steps| {
            let mut b = reset();
            let mut m = Model::default();
            seed(b.as_mut(), &mut m);
            for (i, s) in steps.into_iter().enumerate() {
                step(b.as_mut(), &mut m, i, s)?;
                same_world(b.as_mut(), &m)?;
            }
            Ok(())
        })
        .unwrap();
}

const RESET: &str = "DELETE FROM items; DELETE FROM objects; DELETE FROM chunks; DELETE FROM player_positions; \
     DELETE FROM players; DELETE FROM map_owners; DELETE FROM handoffs;";

fn open(c: &Connector) -> Box<dyn Backend> {
    c.migrate().expect("migrate");
    c.connect().expect("connect")
}

#[test]
fn postgres_interleavings_keep_the_invariants() {
    let Some(db) = common::pg_db() else { return };
    run(&|| {
        let b = open(&db.connector());
        db.client().batch_execute(RESET).unwrap();
        b
    });
}

#[test]
fn sqlite_interleavings_keep_the_invariants() {
    let db = common::sqlite_db();
    run(&|| {
        let b = open(&db.connector());
        rusqlite::Connection::open(&db.path).unwrap().execute_batch(RESET).unwrap();
        b
    });
}
