//! Crash safety: the `shard` binary is killed with SIGKILL while players walk; after a restart
//! their positions are at most about a second old and their inventories are intact. It is also
//! killed in the middle of a storm of first logins: after the restart every client logs in with
//! the token it chose, each name is one character with its full starter kit, and no item is
//! orphaned. Runs on the embedded SQLite store and on PostgreSQL + Redis. A SIGTERM afterwards
//! exits 0.

mod common;

use common::{PgDb, Player, RedisPrefix, ShardProcess, TestDb, redis_url, tiles, unique};
use net::protocol::{Order, SessionToken};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use store::{Store, StoreConfig};

const LONG: Duration = Duration::from_secs(30);
/// Walking speed: 100 units per tick at 20 Hz.
const TILES_PER_S: f64 = 100.0 * 20.0 / 256.0;

struct Walker {
    name: String,
    token: [u8; 32],
    last_seen: (i32, i32),
    /// Path length walked before the kill, in tiles: the sum of the steps seen between pumps,
    /// so turning back after a blocked stride still counts.
    walked: f64,
}

/// Logs players in, sets them walking, and kills the shard mid-walk.
fn play_and_crash(shard: ShardProcess, names: &[String]) -> Vec<Walker> {
    let mut players: Vec<Player> =
        names.iter().map(|n| Player::connect(shard.listen, n, [0; 32]).expect("log in")).collect();
    let mut walkers = Vec::new();
    for (p, name) in players.iter_mut().zip(names) {
        assert!(p.pump_until(LONG, |p| p.position().is_some()), "{name} gets frames");
        let at = p.position().unwrap();
        walkers.push(Walker { name: name.clone(), token: p.token(), last_seen: at, walked: 0.0 });
    }
    // Walk for three seconds (positions are batched once a second), turning whenever something
    // blocks the way, then kill mid-stride.
    let mut checks: Vec<((i32, i32), usize)> = walkers.iter().map(|w| (w.last_seen, 0)).collect();
    for (p, check) in players.iter_mut().zip(&mut checks) {
        walk(p, check);
    }
    let until = Instant::now() + Duration::from_secs(3);
    let mut next_check = Instant::now() + Duration::from_millis(400);
    while Instant::now() < until {
        for (p, w) in players.iter_mut().zip(&mut walkers) {
            p.pump(Duration::from_millis(20));
            note_step(p, w);
        }
        if Instant::now() >= next_check {
            next_check += Duration::from_millis(400);
            for (p, check) in players.iter_mut().zip(&mut checks) {
                let at = p.position().unwrap();
                if tiles(at, check.0) < 1.0 {
                    walk(p, check);
                }
                check.0 = at;
            }
        }
    }
    for (p, w) in players.iter_mut().zip(&mut walkers) {
        p.pump(Duration::from_millis(20));
        note_step(p, w);
    }
    shard.kill_hard();
    walkers
}

/// Adds the step since the last sample to the walker's path and remembers where it stands.
fn note_step(p: &Player, w: &mut Walker) {
    let at = p.position().unwrap();
    w.walked += tiles(at, w.last_seen);
    w.last_seen = at;
}

/// Orders a walk of 40 tiles in the next of eight directions.
fn walk(p: &mut Player, (at, turn): &mut ((i32, i32), usize)) {
    const DIRS: [(i32, i32); 8] = [(1, 0), (0, 1), (-1, 0), (0, -1), (1, 1), (-1, 1), (-1, -1), (1, -1)];
    let (dx, dy) = DIRS[*turn % DIRS.len()];
    *turn += 1;
    let here = p.position().unwrap_or(*at);
    p.order(Order::MoveTo { x: here.0 + dx * 40 * 256, y: here.1 + dy * 40 * 256 });
}

/// After the restart: each player logs in with its token and stands where it was about a
/// second before the kill.
fn check_positions(shard: &ShardProcess, walkers: &[Walker]) {
    for w in walkers {
        let mut p = Player::connect(shard.listen, &w.name, w.token).expect("log in after the crash");
        assert!(p.pump_until(LONG, |p| p.position().is_some()));
        let back = p.position().unwrap();
        let walked = w.walked;
        assert!(walked > 5.0, "{} walked before the kill ({walked:.1} tiles)", w.name);
        let lost = tiles(back, w.last_seen);
        eprintln!(
            "{}: walked {walked:.1} tiles, restart lost {lost:.2} tiles ({:.2} s)",
            w.name,
            lost / TILES_PER_S
        );
        // One second of batching, a tick of slack and the kill's own latency.
        assert!(
            lost <= 1.6 * TILES_PER_S,
            "{}: restart position {back:?} is {lost:.1} tiles from the last seen {:?}",
            w.name,
            w.last_seen
        );
        p.client.close();
    }
}

/// Every player still has exactly the starter kit.
fn check_inventories(store: &Store, walkers: &[Walker]) {
    for w in walkers {
        let load =
            store.loader().load_player_by_name(&w.name).unwrap().wait(LONG).unwrap().expect("player row");
        let mut kit: Vec<(u32, u32)> = load.items.iter().map(|i| (i.kind, i.count)).collect();
        kit.sort_unstable();
        let mut expected = game::shard::STARTER_KIT.to_vec();
        expected.sort_unstable();
        assert_eq!(kit, expected, "{}'s inventory", w.name);
        assert!(load.bad.is_empty(), "no unreadable rows");
    }
}

fn crash_and_recover(args: &[String], store_config: impl Fn() -> StoreConfig) {
    let names: Vec<String> = (0..3).map(|i| unique(&format!("w{i}_"))).collect();
    let walkers = play_and_crash(ShardProcess::start(args), &names);
    let shard = ShardProcess::start(args);
    check_positions(&shard, &walkers);
    assert_eq!(shard.terminate(), Some(0), "SIGTERM exits 0 after saving everything");
    let store = Store::open(store_config()).expect("open the store after the shard");
    check_inventories(&store, &walkers);
}

#[test]
fn sqlite_shard_killed_mid_walk_loses_at_most_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let args = vec!["--data-dir".to_owned(), dir.path().display().to_string()];
    let db = dir.path().join(tools::serve::SQLITE_FILE);
    crash_and_recover(&args, || StoreConfig::sqlite(&db));
}

#[test]
fn postgres_and_redis_shard_killed_mid_walk_loses_at_most_a_second() {
    let Some(db) = PgDb::create() else { return };
    let Some(redis) = RedisPrefix::create() else { return };
    let args = vec![
        "--database-url".to_owned(),
        db.url.clone(),
        "--redis-url".to_owned(),
        redis_url(),
        "--redis-prefix".to_owned(),
        redis.prefix.clone(),
        "--shard-id".to_owned(),
        unique("crash-"),
    ];
    crash_and_recover(&args, || StoreConfig::postgres(db.url.clone()));
}

/// First logins in flight when the shard dies.
const STORM: usize = 40;

/// Starts `STORM` first logins, each with a token its client chose, and kills the shard once a
/// few of them were welcomed (the rest are at every step of their login).
fn storm_and_crash(shard: ShardProcess) -> Vec<(String, [u8; 32])> {
    let logins: Vec<(String, [u8; 32])> =
        (0..STORM).map(|i| (unique(&format!("s{i}_")), SessionToken::random().unwrap().0)).collect();
    let welcomed = Arc::new(AtomicUsize::new(0));
    let addr = shard.listen;
    let clients: Vec<_> = logins
        .iter()
        .cloned()
        .map(|(name, token)| {
            let welcomed = welcomed.clone();
            std::thread::spawn(move || {
                if let Ok(p) = Player::connect(addr, &name, token) {
                    welcomed.fetch_add(1, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_secs(2));
                    drop(p);
                }
            })
        })
        .collect();
    let until = Instant::now() + LONG;
    while welcomed.load(Ordering::Relaxed) < STORM / 8 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(1));
    }
    shard.kill_hard();
    clients.into_iter().for_each(|c| c.join().unwrap());
    let n = welcomed.load(Ordering::Relaxed);
    eprintln!("{n} of {STORM} first logins were welcomed before the kill");
    logins
}

fn login_storm_killed(db: &TestDb, args: &[String]) {
    let logins = storm_and_crash(ShardProcess::start(args));
    let shard = ShardProcess::start(args);
    for (name, token) in &logins {
        let p = Player::connect(shard.listen, name, *token).expect("the client logs in after the crash");
        assert_eq!(p.token(), *token, "{name} keeps the token its client chose");
    }
    assert_eq!(shard.terminate(), Some(0));
    assert_eq!(db.players(), STORM as i64, "one character per name");
    let kit = game::shard::STARTER_KIT.len() as i64;
    assert_eq!(db.items(), STORM as i64 * kit, "one full starter kit each");
    assert_eq!(db.orphaned_items(), 0, "items without their player");
}

#[test]
fn sqlite_shard_killed_mid_login_storm_keeps_every_name() {
    let db = TestDb::sqlite();
    login_storm_killed(&db, &db.shard_args());
}

#[test]
fn postgres_and_redis_shard_killed_mid_login_storm_keeps_every_name() {
    let Some(db) = TestDb::postgres() else { return };
    let Some(redis) = RedisPrefix::create() else { return };
    let mut args = db.shard_args();
    args.extend(["--redis-url".to_owned(), redis_url(), "--redis-prefix".to_owned(), redis.prefix.clone()]);
    args.extend(["--shard-id".to_owned(), unique("storm-")]);
    login_storm_killed(&db, &args);
}
