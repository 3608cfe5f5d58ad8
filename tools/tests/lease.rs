//! Several `shard` processes over one PostgreSQL database and one Redis (own database and key
//! prefix per test): maps claimed by lease with heartbeat, a standby that redirects clients to
//! the owner and takes the map over when the owner is killed, a shard whose claim is stolen
//! stopping the map and closing its clients, and a login on the wrong shard redirected to the
//! one where the character is live. Leases of 3 s (heartbeat 1 s); every wait polls.

mod common;

use common::cluster::{cluster_shard, meta, metric, wait_for, ws};
use common::{PgDb, RedisPrefix, ShardProcess, unique};
use game::client::{Followed, connect_following};
use net::client::ClientError;
use net::protocol::{ClientMessage, Hello, Order, ServerMessage, SessionToken};
use std::time::{Duration, Instant};
use store::meta::{MetaStore, ShardInfo};

const LEASE_S: u64 = 3;
const MAP: u32 = 0;
const TIMEOUT: Duration = Duration::from_secs(20);

fn shard(id: &str, db: &PgDb, redis: &RedisPrefix) -> ShardProcess {
    cluster_shard(id, "0", LEASE_S, (db, redis), &[])
}

fn hello(name: &str, token: [u8; 32]) -> Hello {
    Hello { name: name.to_owned(), token: SessionToken(token) }
}

/// Receives messages (acking frames) until the server closes; returns the Redirect seen and
/// the close code.
fn until_closed(f: &mut Followed, limit: Duration) -> (Option<String>, Option<u16>) {
    let until = Instant::now() + limit;
    let mut redirect = None;
    while Instant::now() < until {
        match f.client.recv() {
            Ok(ServerMessage::Redirect(r)) => redirect = Some(r.address),
            Ok(_) | Err(ClientError::Timeout) => {}
            Err(ClientError::Closed(c)) => return (redirect, c.code),
            Err(_) => return (redirect, None),
        }
    }
    panic!("the server did not close the connection within {limit:?}");
}

/// Walks a few tiles east and returns where the frames say the character stands once still.
fn walk(f: &mut Followed) -> (i32, i32) {
    let mut game = game::client::GameClient::new(std::sync::Arc::new(game::Content::builtin()));
    game.handle(&ServerMessage::Welcome(f.welcome)).unwrap();
    f.client.set_read_timeout(Duration::from_millis(20)).unwrap();
    let (x, y) = (f.welcome.x, f.welcome.y);
    let order = Order::MoveTo { x: x + 4 * 256, y };
    let input = game.input(order);
    f.client.send(&ClientMessage::Input(input)).unwrap();
    let mut last = (x, y);
    let mut still_since = Instant::now();
    let until = Instant::now() + TIMEOUT;
    while Instant::now() < until {
        if let Ok(msg) = f.client.recv() {
            game.handle(&msg).unwrap();
            if matches!(msg, ServerMessage::Frame(_))
                && let Some(ack) = game.ack()
            {
                let _ = f.client.send(&ClientMessage::Ack(ack));
            }
        }
        let now = game.position().unwrap_or(last);
        if now != last {
            (last, still_since) = (now, Instant::now());
        } else if last != (x, y) && still_since.elapsed() > Duration::from_secs(2) {
            return last;
        }
    }
    panic!("the character did not walk and stop within {TIMEOUT:?}");
}

#[test]
fn standby_redirects_to_the_owner_and_takes_the_map_over_when_the_owner_is_killed() {
    let Some(db) = PgDb::create() else { return };
    let Some(redis) = RedisPrefix::create() else { return };
    let m = meta(&redis);
    let owner = shard("owner", &db, &redis);
    // The port listens before the shard has opened its stores: wait for its claim.
    assert!(wait_for(TIMEOUT, || m.map_owner(MAP).ok().flatten().as_deref() == Some("owner")));
    let standby = shard("standby", &db, &redis);
    assert!(wait_for(TIMEOUT, || metric(standby.admin, "shard_maps_owned") == Some(0.0)), "standby");
    assert_eq!(m.map_owner(MAP).unwrap().as_deref(), Some("owner"));

    // (a) A new player connecting to the standby is redirected and plays on the owner.
    let name = unique("lease");
    let token = [7u8; 32];
    let mut first =
        connect_following(standby.listen, hello(&name, token), TIMEOUT).expect("login via standby");
    assert_eq!(first.redirects.len(), 1, "one redirect");
    assert_eq!(first.redirects[0].address, ws(owner.listen));
    println!("redirect latency (Redirect to Welcome): {:?}", first.redirects[0].latency);
    let stood = walk(&mut first);

    // (d) Logging in on the standby while live on the owner: redirected to the owner, where the
    // newer connection replaces the older one.
    let second = connect_following(standby.listen, hello(&name, token), TIMEOUT).expect("second login");
    assert_eq!(second.redirects.len(), 1);
    assert_eq!(second.redirects[0].address, ws(owner.listen));
    assert!(wait_for(TIMEOUT, || metric(standby.admin, "shard_redirects_total") == Some(2.0)));
    drop(first);
    drop(second);

    // (b) SIGKILL the owner: the standby claims the map within a lease and a heartbeat.
    std::thread::sleep(Duration::from_millis(1500)); // positions reach the store within a second
    let killed = Instant::now();
    owner.kill_hard();
    assert!(wait_for(Duration::from_secs(LEASE_S * 3 + 10), || m.map_owner(MAP).ok().flatten().as_deref()
        == Some("standby")));
    let takeover = killed.elapsed();
    println!("lease takeover after SIGKILL: {takeover:?} (lease {LEASE_S} s, heartbeat 1 s)");
    assert!(takeover <= Duration::from_secs(LEASE_S + 1) + Duration::from_secs(5), "took {takeover:?}");

    let mut back = None;
    assert!(wait_for(TIMEOUT, || {
        back = connect_following(standby.listen, hello(&name, token), TIMEOUT).ok();
        back.is_some()
    }));
    let back = back.unwrap();
    println!("login on the new owner {:?} after the kill", killed.elapsed());
    assert!(back.redirects.is_empty(), "the standby simulates the map itself now");
    let (dx, dy) = (back.welcome.x - stood.0, back.welcome.y - stood.1);
    assert!(
        dx.abs() <= 2 * 256 && dy.abs() <= 2 * 256,
        "came back at {:?}, stood at {stood:?}",
        (back.welcome.x, back.welcome.y)
    );
    assert!(wait_for(TIMEOUT, || metric(standby.admin, "shard_maps_owned") == Some(1.0)));
    assert_eq!(metric(standby.admin, "shard_lease_takeovers_total"), Some(1.0));
    let items = format!(
        "SELECT count(*) FROM items i JOIN players p ON i.container_kind = 1 AND i.container_id = p.id \
         WHERE p.name = '{}'",
        name.to_lowercase()
    );
    let mut pg = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let held: i64 = pg.query_one(items.as_str(), &[]).unwrap().get(0);
    assert_eq!(held as usize, game::shard::STARTER_KIT.len(), "the starter kit, as stored");
    assert_eq!(standby.terminate(), Some(0));
}

#[test]
fn a_shard_whose_claim_is_stolen_stops_the_map_and_redirects_its_clients() {
    let Some(db) = PgDb::create() else { return };
    let Some(redis) = RedisPrefix::create() else { return };
    let victim = shard("victim", &db, &redis);
    let name = unique("stolen");
    let mut player = connect_following(victim.listen, hello(&name, [9u8; 32]), TIMEOUT).expect("login");
    player.client.set_read_timeout(Duration::from_millis(50)).unwrap();
    assert!(
        wait_for(TIMEOUT, || metric(victim.admin, "shard_lease_renewals_total").is_some_and(|n| n >= 1.0))
    );

    // (c) Another shard takes the claim key over (as if the victim had been cut off).
    let m = meta(&redis);
    let thief = ShardInfo { id: "thief".into(), addr: "ws://127.0.0.1:9/".into(), maps: vec![MAP] };
    m.register_shard(&thief, Duration::from_secs(120)).unwrap();
    assert!(m.release_map(MAP, "victim").unwrap());
    assert!(m.claim_map(MAP, "thief", Duration::from_secs(120)).unwrap());
    let stolen = Instant::now();
    let (redirect, code) = until_closed(&mut player, Duration::from_secs(LEASE_S * 3 + 10));
    println!("clients closed {:?} after the claim was stolen", stolen.elapsed());
    assert_eq!(redirect.as_deref(), Some("ws://127.0.0.1:9/"), "redirected to the thief");
    assert_eq!(code, Some(game::shard::close::REDIRECTED));
    assert!(wait_for(TIMEOUT, || metric(victim.admin, "shard_lease_losses_total") == Some(1.0)));
    assert!(wait_for(TIMEOUT, || metric(victim.admin, "shard_maps_owned") == Some(0.0)));
    assert_eq!(m.map_owner(MAP).unwrap().as_deref(), Some("thief"), "the victim never took it back");

    // The map has an owner that is not there: logins are redirected to it.
    let again = connect_following(victim.listen, hello(&name, [9u8; 32]), Duration::from_secs(2));
    assert!(again.is_err(), "the thief's address does not answer");
    // No live owner at all: a clear close code, never a hang.
    m.unregister_shard("thief").unwrap();
    assert!(m.release_map(MAP, "thief").unwrap());
    let mut refused = None;
    assert!(wait_for(TIMEOUT, || {
        match connect_following(victim.listen, hello(&name, [9u8; 32]), TIMEOUT) {
            Err(ClientError::Closed(c)) => refused = c.code,
            Ok(_) => refused = Some(0), // the victim claimed the free map again
            Err(_) => {}
        }
        refused.is_some()
    }));
    assert!(
        matches!(refused, Some(game::shard::close::MAP_UNAVAILABLE) | Some(0)),
        "closed with {refused:?}"
    );
    assert_eq!(victim.terminate(), Some(0));
}
