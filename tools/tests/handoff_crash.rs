//! SIGKILL at every step of a hand-off (shard A simulates map 0, shard B map 16, one PostgreSQL
//! database and one Redis per scenario): the test hook `SHARD_TEST_HANDOFF_PAUSE` stops the tick
//! at a step, the test kills the process there, restarts it and logs the character in again
//! with its session token. Every time the stored items are exactly what they were before the
//! hand-off (same rows: nothing lost, nothing duplicated), the character is live on one shard,
//! and it plays where the last committed step put it: still on A when the hand-off had not
//! committed, on B once it had.

mod common;

use common::cluster::{cluster_shard, cluster_shard_env, meta, post, wait_for};
use common::{PgDb, RedisPrefix, ShardProcess, unique};
use game::client::{Followed, connect_following};
use net::client::ClientError;
use net::protocol::{ClientMessage, Hello, ServerMessage, SessionToken};
use std::time::{Duration, Instant};
use store::meta::MetaStore;

const TIMEOUT: Duration = Duration::from_secs(20);
const LEASE_S: u64 = 3;

fn hello(name: &str, token: [u8; 32]) -> Hello {
    Hello { name: name.to_owned(), token: SessionToken(token) }
}

/// Every stored item row, in id order.
type Rows = Vec<(i64, i64, i64, i16, i64, i64)>;

fn items(pg: &mut postgres::Client) -> Rows {
    pg.query("SELECT id, kind, count, container_kind, container_id, slot FROM items ORDER BY id", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
        .collect()
}

/// Who holds the character's claim and which map it is stored on.
fn live(pg: &mut postgres::Client, name: &str) -> (Option<String>, i32) {
    let row = pg
        .query_one(
            "SELECT p.live_shard, pp.map FROM players p JOIN player_positions pp ON pp.id = p.id WHERE p.name = $1",
            &[&name.to_lowercase()],
        )
        .unwrap();
    (row.get(0), row.get(1))
}

/// Receives until a Redirect comes (its token) or `limit` passes.
fn redirect_token(f: &mut Followed, limit: Duration) -> Option<[u8; 32]> {
    f.client.set_read_timeout(Duration::from_millis(50)).unwrap();
    let until = Instant::now() + limit;
    while Instant::now() < until {
        match f.client.recv() {
            Ok(ServerMessage::Redirect(r)) => return Some(r.token.0),
            Ok(ServerMessage::Frame(frame)) => {
                let _ =
                    f.client.send(&ClientMessage::Ack(net::protocol::Ack { tick: frame.tick, received: 0 }));
            }
            Ok(_) | Err(ClientError::Timeout) => {}
            Err(_) => return None,
        }
    }
    None
}

/// Logs in with the session token at `addr` (following Redirects), retrying while the shards
/// recover; the map it plays on.
fn play_again(addr: std::net::SocketAddr, name: &str, token: [u8; 32]) -> u32 {
    let mut map = None;
    let ok = wait_for(Duration::from_secs(40), || {
        map = connect_following(addr, hello(name, token), Duration::from_secs(5)).ok().map(|f| f.welcome.map);
        map.is_some()
    });
    assert!(ok, "{name} could not log in again");
    map.unwrap()
}

/// Two shards, one of them (`paused`: "a" or "b") with the pause at `step`, and the name and
/// token of a character to play.
struct Scene {
    // Dropped in this order: the shards before their database and prefix.
    a: Option<ShardProcess>,
    b: Option<ShardProcess>,
    pg: postgres::Client,
    db: PgDb,
    redis: RedisPrefix,
    name: String,
    token: [u8; 32],
}

impl Scene {
    fn new(paused: &str, step: &str) -> Option<Scene> {
        let db = PgDb::create()?;
        let redis = RedisPrefix::create()?;
        let pause = [("SHARD_TEST_HANDOFF_PAUSE", step)];
        let env = |id: &str| if id == paused { &pause[..] } else { &[][..] };
        let a = cluster_shard_env("a", "0", LEASE_S, (&db, &redis), &[], env("a"));
        let b = cluster_shard_env("b", "16", LEASE_S, (&db, &redis), &[], env("b"));
        let m = meta(&redis);
        assert!(wait_for(TIMEOUT, || m.map_owner(0).ok().flatten().as_deref() == Some("a")));
        assert!(wait_for(TIMEOUT, || m.map_owner(16).ok().flatten().as_deref() == Some("b")));
        std::thread::sleep(Duration::from_millis(1500)); // directories refreshed
        let pg = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
        let (name, token) = (unique("crash"), [0x5A; 32]);
        Some(Scene { a: Some(a), b: Some(b), pg, db, redis, name, token })
    }

    fn restart(&mut self, id: &str) {
        let (maps, slot) = if id == "a" { ("0", &mut self.a) } else { ("16", &mut self.b) };
        if let Some(old) = slot.take() {
            old.kill_hard();
        }
        *slot = Some(cluster_shard(id, maps, LEASE_S, (&self.db, &self.redis), &[]));
    }

    fn a(&self) -> &ShardProcess {
        self.a.as_ref().unwrap()
    }

    fn b(&self) -> &ShardProcess {
        self.b.as_ref().unwrap()
    }
}

#[test]
fn a_kill_at_every_step_of_a_hand_off_loses_and_duplicates_nothing() {
    // Source killed before its hand-off is submitted: the character stays on A.
    let Some(mut s) = Scene::new("a", "submitted") else { return };
    let mut on_a = connect_following(s.a().listen, hello(&s.name, s.token), TIMEOUT).expect("login on A");
    std::thread::sleep(Duration::from_millis(1500));
    let before = items(&mut s.pg);
    assert!(!before.is_empty(), "the starter kit is stored");
    let (status, _) = post(s.a().admin, &format!("/admin/handoff?to=16&name={}", s.name));
    assert_eq!(status, 409, "the paused tick does not answer in time");
    s.restart("a");
    drop(on_a.client);
    assert_eq!(play_again(s.a().listen, &s.name, s.token), 0, "still on A");
    assert_eq!(live(&mut s.pg, &s.name).0.as_deref(), Some("a"));
    assert_eq!(items(&mut s.pg), before, "submitted: the same items");
    println!("killed before submitting: the character stayed on A with its items");
    drop(s);

    // Source killed after the commit, before the Redirect: the character is B's.
    let Some(mut s) = Scene::new("a", "committed") else { return };
    on_a = connect_following(s.a().listen, hello(&s.name, s.token), TIMEOUT).expect("login on A");
    std::thread::sleep(Duration::from_millis(1500));
    let before = items(&mut s.pg);
    let (status, body) = post(s.a().admin, &format!("/admin/handoff?to=16&name={}", s.name));
    assert_eq!(status, 200, "{body}");
    assert!(wait_for(TIMEOUT, || live(&mut s.pg, &s.name) == (None, 16)), "committed: released on map 16");
    s.restart("a");
    drop(on_a.client);
    assert_eq!(play_again(s.a().listen, &s.name, s.token), 16, "on B, redirected there");
    assert_eq!(live(&mut s.pg, &s.name).0.as_deref(), Some("b"));
    assert_eq!(items(&mut s.pg), before, "committed: the same items");
    println!("killed after the commit: the character went on to B with its items");
    drop(s);

    // Target killed after accepting the token, before the spawn: the character is B's.
    let Some(mut s) = Scene::new("b", "accepted") else { return };
    on_a = connect_following(s.a().listen, hello(&s.name, s.token), TIMEOUT).expect("login on A");
    std::thread::sleep(Duration::from_millis(1500));
    let before = items(&mut s.pg);
    let (status, body) = post(s.a().admin, &format!("/admin/handoff?to=16&name={}", s.name));
    assert_eq!(status, 200, "{body}");
    let one_time = redirect_token(&mut on_a, TIMEOUT).expect("the Redirect");
    let (b_addr, name) = (s.b().listen, s.name.clone());
    let stuck = std::thread::spawn(move || {
        connect_following(b_addr, hello(&name, one_time), Duration::from_secs(3)).is_ok()
    });
    assert!(wait_for(TIMEOUT, || live(&mut s.pg, &s.name) == (Some("b".into()), 16)), "accepted on B");
    s.restart("b");
    assert!(!stuck.join().unwrap(), "the paused target never welcomed the client");
    assert_eq!(play_again(s.a().listen, &s.name, s.token), 16, "on B after its restart");
    assert_eq!(live(&mut s.pg, &s.name).0.as_deref(), Some("b"));
    assert_eq!(items(&mut s.pg), before, "accepted: the same items");
    match connect_following(s.b().listen, hello(&s.name, one_time), TIMEOUT) {
        Err(ClientError::Closed(c)) => assert_eq!(c.code, Some(game::shard::close::HANDOFF_REFUSED)),
        other => panic!("the used token must be refused, got {:?}", other.map(|f| f.welcome)),
    }
    println!("killed after the accept: the character is on B with its items");
}
